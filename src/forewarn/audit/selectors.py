"""Reading the audit trail: verify the chain, an object's history, who viewed a record."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models import QuerySet

from forewarn.audit import chain
from forewarn.audit.models import Event, EventKind
from forewarn.core.errors import NotFound, ValidationFailed

_COLUMNS = ("id", "hash", *chain.HASHED_FIELDS)


# On PostgreSQL the database formats the dates the way the chain hashes them (faster than Python).
_PG_FORMAT = {
    "occurred_at": """to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')""",
    "occurred_on": "occurred_on::text",
}


def _chain_rows(batch: int) -> Iterator[tuple]:
    table = Event._meta.db_table
    columns = [_PG_FORMAT.get(c, c) for c in _COLUMNS] if connection.vendor == "postgresql" else _COLUMNS
    sql = f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY id'  # noqa: S608 - our own names
    # A server-side cursor on PostgreSQL streams the table instead of loading it.
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield from rows


def chain_verify(*, batch: int = 10_000) -> chain.Verification:
    """Recompute the whole chain in id order; report the first broken link (if any)."""
    return chain.verify_rows(_chain_rows(batch))


def parse_object(reference: str) -> tuple[str, int]:
    """'cases.case:42' -> ('cases.case', 42), for the CLI's --object."""
    label, _, pk = reference.partition(":")
    if not label or not pk.isdigit():
        raise ValidationFailed("object: give it as app.model:id, e.g. cases.case:42.", field="object")
    return label.lower(), int(pk)


def object_history(*, object_type: str, object_id: int) -> QuerySet[Event]:
    """Every event about one record (and, for a case, every event filed under it), oldest first."""
    qs = Event.objects.filter(object_type=object_type, object_id=object_id)
    if object_type == "cases.case":
        qs = Event.objects.filter(case_id=object_id) | qs
    if not qs.exists():
        raise NotFound(f"No audit events for {object_type}:{object_id}.", field="object")
    return qs.select_related("actor", "organisation").order_by("id")


def viewers(*, object_type: str, object_id: int) -> QuerySet[Event]:
    """Who has been shown this record, newest first (the head of professional standards' question)."""
    return (Event.objects.filter(kind=EventKind.READ, object_type=object_type, object_id=object_id)
            .select_related("actor", "organisation").order_by("-id"))


def event_as_dict(event: Event) -> dict:
    """One event as plain data (the export format): every column, the chain included."""
    return {
        "id": event.id,
        **{name: getattr(event, name) for name in chain.HASHED_FIELDS},
        "actor": event.actor.username if event.actor_id else None,
        "organisation": event.organisation.code if event.organisation_id else None,
        "hash": event.hash,
    }
