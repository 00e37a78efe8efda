"""Writing audit events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from forewarn.audit.models import Event


def event_record(
    *,
    actor,
    action: str,
    obj,
    case=None,
    occurred_on: dt.date | None = None,
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
    reason: str = "",
) -> Event:
    """Append one event. Call inside the transaction of the change it records."""
    return Event.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        organisation_id=getattr(actor, "organisation_id", None),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        case=case,
        occurred_on=occurred_on or timezone.localdate(),
        from_state=from_state,
        to_state=to_state,
        data=data or {},
        reason=reason,
    )
