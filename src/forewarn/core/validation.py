"""Input checks shared by every service: each failure names the field and writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import models
from django.utils import timezone

from forewarn.core.errors import ValidationFailed


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"{field}: this field is required.", field=field, code="validation.required")
    if len(value) > max_length:
        raise ValidationFailed(f"{field}: at most {max_length} characters (got {len(value)}).", field=field,
                               code="validation.too_long")
    return value


def clean_past_date(value: dt.date | None, *, field: str, required: bool = False) -> dt.date | None:
    """A date that is not in the future (no date of birth, decision or incident after today)."""
    if value is None:
        if required:
            raise ValidationFailed(f"{field}: this field is required.", field=field, code="validation.required")
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationFailed(f"{field}: must be a date.", field=field, code="validation.type")
    if value > timezone.localdate():
        raise ValidationFailed(f"{field}: {value.isoformat()} is in the future.", field=field, code="date.in_future")
    return value


def clean_choice(value: str | None, choices: type[models.TextChoices], *, field: str, required: bool = True,
                 allowed: Iterable[str] | None = None) -> str:
    value = (value or "").strip()
    if not value and not required:
        return ""
    permitted = [str(c) for c in (allowed or choices.values)]
    if value not in permitted:
        raise ValidationFailed(f"{field}: '{value}' is not one of {', '.join(permitted)}.", field=field,
                               code="validation.choice")
    return value
