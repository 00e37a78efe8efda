"""Reading the audit trail: verify the chain, an object's history, who viewed a record."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction
from django.db.models import QuerySet

from forewarn.audit import chain
from forewarn.audit.models import Event, EventKind
from forewarn.core.errors import NotFound, ValidationFailed

_COLUMNS = ("id", "hash", *chain.HASHED_FIELDS)


def _pg_text(column: str) -> str:
    """A column as `chain.canonical_content` writes it."""
    if column == "occurred_at":
        return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
    if column == "occurred_on":
        return f"to_char({column}, 'YYYY-MM-DD')"
    return column  # text as text, ids as numbers, NULL as null: as json_build_array writes them


# PostgreSQL computes each row's hash from its stored content — json_build_array writes the same
# bytes as chain.canonical_content — and Python only compares links: several times faster than
# fetching the content and hashing it here. tests/audit proves the two agree.
_PG_CONTENT = f"json_build_array({', '.join(_pg_text(c) for c in chain.HASHED_FIELDS)})::text"
_PG_VERIFY = (f"SELECT id, hash, prev_hash, encode(sha256(convert_to({_PG_CONTENT}, 'UTF8')), 'hex') "
              f'FROM "{Event._meta.db_table}" ORDER BY id')  # noqa: S608 - our own names


def _stream(sql: str, batch: int) -> Iterator[tuple]:
    # A server-side cursor on PostgreSQL streams the table instead of loading it.
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield from rows


PARALLEL_MIN_EVENTS = 200_000


def chain_verify(*, batch: int = 10_000, workers: int | None = None,
                 parallel_min: int = PARALLEL_MIN_EVENTS) -> chain.Verification:
    """Recompute the whole chain in id order; report the first broken link (if any).

    On PostgreSQL a large table is split into id ranges verified at once over separate
    connections (a server-side cursor runs on one core); the ranges' ends are then joined.
    """
    if connection.vendor != "postgresql":
        sql = f'SELECT {", ".join(_COLUMNS)} FROM "{Event._meta.db_table}" ORDER BY id'  # noqa: S608
        return chain.verify_rows(_stream(sql, batch))
    workers = workers or os.cpu_count() or 1
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT min(id), max(id), count(*) FROM "{Event._meta.db_table}"')  # noqa: S608
        low, high, count = cursor.fetchone()
    if workers < 2 or count < parallel_min:
        return chain.verify_computed(_stream(_PG_VERIFY, batch))
    step = (high - low) // workers + 1
    ranges = [(low + i * step, min(low + (i + 1) * step - 1, high)) for i in range(workers)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda bounds: _verify_range(*bounds, batch=batch), ranges))
    return _join(parts)


def _verify_range(low: int, high: int, *, batch: int) -> tuple:
    """Verify ids low..high on this thread's own connection; the first row's link is the caller's to check."""
    sql = _PG_VERIFY.replace(" ORDER BY id", f" WHERE id BETWEEN {int(low)} AND {int(high)} ORDER BY id")
    try:
        rows = _stream(sql, batch)
        first = next(rows, None)
        if first is None:
            return None
        result = chain.verify_computed(itertools.chain([first], rows), prev_hash=first[2])
        return first[0], first[2], result
    finally:
        connection.close()  # this thread's connection (Django keeps one per thread)


def _join(parts: list) -> chain.Verification:
    checked, prev_hash = 0, chain.GENESIS
    for part in parts:
        if part is None:
            continue
        first_id, first_prev, result = part
        if first_prev != prev_hash:
            return chain.Verification(checked, first_id, "its prev_hash does not match the hash of the event "
                                                         "before it (an event was removed, inserted or reordered)",
                                      prev_hash)
        if not result.ok:
            return chain.Verification(checked + result.checked, result.broken_at, result.problem, result.last_hash)
        checked += result.checked
        prev_hash = result.last_hash
    return chain.Verification(checked, last_hash=prev_hash)


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


def record_viewers(*, actor, case_id: int, party_id: int | None = None) -> tuple:
    """Who has been shown a case, or one of its parties, newest first — for the head of professional
    standards (`audit.viewers.read`). Scope first (NotFound), then role (PermissionDenied).

    Returns (case, party or None, reads).
    """
    from forewarn.cases.models import Party
    from forewarn.cases.selectors import case_get_for_actor
    from forewarn.organisations.permissions import require

    case = case_get_for_actor(actor=actor, case_id=case_id)
    party = None
    if party_id is not None:
        party = Party.objects.filter(case=case, pk=party_id).first()
        if party is None:
            raise NotFound(f"No party {party_id} on this case.", field="party")
    require(actor, "audit.viewers.read")
    record = party or case
    reads = (Event.objects.filter(kind=EventKind.READ, object_type=record._meta.label_lower, object_id=record.pk)
             .select_related("actor", "organisation").order_by("-id"))
    return case, party, reads


def event_as_dict(event: Event) -> dict:
    """One event as plain data (the export format): every column, the chain included."""
    return {
        "id": event.id,
        **{name: getattr(event, name) for name in chain.HASHED_FIELDS},
        "actor": event.actor.username if event.actor_id else None,
        "organisation": event.organisation.code if event.organisation_id else None,
        "hash": event.hash,
    }
