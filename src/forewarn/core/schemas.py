"""Building blocks shared by every API router: input base class, bounded ids, the problem schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

import pydantic
from ninja import Field, Schema

# Both databases store ids as signed 64-bit integers; a larger number would reach the driver and fail
# there (OverflowError on SQLite, DataError on PostgreSQL), so it is refused as input instead.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def choice_of(codes: Iterable[str], *, blank: bool = False) -> Any:
    """A string that must be one of `codes` (an enum in the OpenAPI document, so clients and contract
    tests know the vocabulary); `blank` also allows "" for an optional choice. A wrong code is a 422
    naming the field (code validation.choice), before any service runs."""
    options = tuple(str(code) for code in codes)
    return Literal[("", *options) if blank else options]  # type: ignore[valid-type]


# For query parameters, which do not pass through `In`.
QueryText = Annotated[str, pydantic.AfterValidator(_no_nul), Field(max_length=200)]


def _hostile(value: Any, path: str = "") -> str | None:
    """The first place in raw input that no database column can hold, or None."""
    if isinstance(value, str):
        # PostgreSQL text cannot contain NUL; psycopg raises before the query runs.
        return (path or "body") if "\x00" in value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (path or "body") if abs(value) > MAX_ID else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = _hostile(key, path) or _hostile(item, f"{path}.{key}" if path else str(key))
            if where:
                return where
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            where = _hostile(item, f"{path}.{index}" if path else str(index))
            if where:
                return where
    return None


class In(Schema):
    """Base for request bodies: unknown fields are refused, and so is anything a column cannot store."""

    model_config = pydantic.ConfigDict(extra="forbid", str_strip_whitespace=True)

    @pydantic.model_validator(mode="before")
    @classmethod
    def _refuse_unstorable(cls, data: Any) -> Any:
        where = _hostile(data)
        if where:
            raise ValueError(f"{where}: contains a NUL character or a number too large to store")
        return data


class AvailableActionOut(Schema):
    """A lifecycle step the caller may take now; run it at /api/{machine}/{id}/actions/{action}."""

    machine: str
    action: str
    label: str
    target: str
    target_label: str
    cite: str


class Problem(Schema):
    """RFC 9457 problem details, as every error response is shaped."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    context: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None


def actor_of(request):
    """The user a request acts as (bearer token or session)."""
    return request.auth


# Every operation can answer with these; listed so the OpenAPI document describes them.
PROBLEMS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}
