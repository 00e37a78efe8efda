"""Writing audit events: changes, reads and refusals, each sealed into the hash chain.

Call `event_record` inside the transaction of the change it records; `read_record` where a record
is shown (it commits at once, so the read is audited even if the request then fails); refusals are
recorded by `refusals_audited` around a write, after its transaction has rolled back, so a refused
write leaves exactly one `refused` event and nothing else.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from forewarn.audit import chain, context
from forewarn.audit.models import Event, EventKind
from forewarn.core.errors import DomainError

# One key for the chain's writer lock (an arbitrary constant: "FWAU").
CHAIN_LOCK_KEY = 0x46574155


def chain_head_locked(*, durable: bool = True) -> str:
    """Take the chain lock for the rest of the transaction and return the last hash.

    Appends must be serialised or two writers would both chain onto the same predecessor. On
    PostgreSQL a transaction-scoped advisory lock does it (held to commit, so ids follow chain
    order); SQLite's write transactions (BEGIN IMMEDIATE, see settings) are already serialised.
    `durable=False`: see `_append`; only for a transaction of its own.
    """
    head = f'SELECT hash FROM "{Event._meta.db_table}" ORDER BY id DESC LIMIT 1'  # noqa: S608 - our table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two statements, not one: under READ COMMITTED a statement's snapshot is taken when it
            # starts, so a head read in the same statement as the lock wait could miss the commit
            # of the writer that held the lock. The commit setting rides along with the lock.
            relax = "" if durable else ", set_config('synchronous_commit', 'off', true)"
            cursor.execute(f"SELECT pg_advisory_xact_lock(%s){relax}", [CHAIN_LOCK_KEY])
        cursor.execute(head)
        row = cursor.fetchone()
    return row[0] if row and row[0] else chain.GENESIS


def _append(rows: list[dict], *, durable: bool = True) -> list[Event]:
    """Seal rows onto the chain and insert them, in one transaction.

    `durable=False` (reads) lets PostgreSQL acknowledge the commit before its WAL reaches disk
    (synchronous_commit off, for this transaction only, and only when it is a transaction of its
    own): the flush was most of a read's audit cost. A crash of the database server can then lose
    the last fraction of a second of read events, never a change, and never leaves a hole in the
    chain: WAL is flushed in order, so a durable commit that chained onto a read event also made
    that event durable.
    """
    request = context.current()
    now = timezone.now()
    for row in rows:
        row.setdefault("occurred_at", now)
        row.setdefault("occurred_on", timezone.localdate())
        row.setdefault("correlation_id", request.correlation_id)
        row.setdefault("ip_address", request.ip_address)
        row.setdefault("user_agent", request.user_agent)
    # Never relax the commit of a transaction that also carries a change.
    durable = durable or connection.in_atomic_block
    if connection.vendor == "postgresql":
        events = _append_postgresql(rows, durable=durable)
    else:
        with transaction.atomic():
            chain.seal(rows, chain_head_locked(durable=durable))
            events = [Event.objects.create(**rows[0])] if len(rows) == 1 else Event.objects.bulk_create(
                [Event(**row) for row in rows])
    for event in events:  # hand back values, as a fresh read would (seal left the stored text)
        event.data, event.changes = json.loads(event.data), json.loads(event.changes)
    return events


def _append_postgresql(rows: list[dict], *, durable: bool) -> list[Event]:
    """One round trip: `forewarn_audit_append` (migration audit 0006) takes the chain lock, reads
    the head, seals and inserts each row with the same canonical content as `chain.digest`."""
    payload = []
    for row in chain.complete_all(rows):
        payload.append({name: _json_value(name, row[name]) for name in chain.HASHED_FIELDS[1:]})
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at COMMIT, each taking
            # a key-share lock on the row it names, while this transaction already holds the chain
            # lock taken below. A writer holding that row FOR UPDATE (allegation_add locks its case)
            # and queued for the chain lock then deadlocks with us. Checking now, before the chain
            # lock, keeps every row lock ahead of it (found by benchmarks/notification_latency.py).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT * FROM forewarn_audit_append(%s::jsonb, %s, %s)",
                       [json.dumps(payload, ensure_ascii=False), CHAIN_LOCK_KEY, durable])
        sealed = cursor.fetchall()
    return [Event(**{**row, "id": event_id, "prev_hash": prev_hash, "hash": event_hash})
            for (event_id, prev_hash, event_hash), row in zip(sealed, rows, strict=True)]


def _json_value(name: str, value):
    if name == "occurred_at":
        return value.isoformat(timespec="microseconds")
    if name == "occurred_on":
        return value.isoformat()
    return value


def _actor_fields(actor) -> dict:
    return {"actor_id": getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None,
            "organisation_id": getattr(actor, "organisation_id", None)}


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
    changes: dict[str, list] | None = None,
    reason: str = "",
) -> Event:
    """Append one change event. Call inside the transaction of the change it records.

    The event is first offered to the register (`register.alerts.alerts_for_event`) and to open
    disclosure schedules (`disclosure.services.drift_for_event`), in the same transaction: an alert and its outbox rows commit or roll back with the change (transactional
    outbox), and no path that records a change can skip the register. The alerts it raised are
    named in the event's data (hash-chained provenance). The register goes first because the
    append holds the audit chain's lock until commit: writing alert rows after it (a foreign-key
    check takes a key-share lock on the case row) deadlocked against a transaction that held the
    case FOR UPDATE and queued for the chain lock (found by benchmarks/notification_latency.py).
    """
    row = {
        **_actor_fields(actor),
        "kind": EventKind.CHANGE,
        "action": action,
        "object_type": obj._meta.label_lower,
        "object_id": obj.pk,
        "case_id": getattr(case, "pk", None),
        "occurred_on": occurred_on or timezone.localdate(),
        "from_state": from_state,
        "to_state": to_state,
        "data": data or {},
        "changes": changes or {},
        "reason": reason,
    }
    from forewarn.disclosure.services import drift_for_event  # disclosure sits above audit
    from forewarn.register.alerts import alerts_for_event  # the register sits above audit

    pending = SimpleNamespace(pk=None, **row)
    raised = alerts_for_event(event=pending, obj=obj)
    # The continuing duty of disclosure: new material linked to a person reaches every open schedule
    # for them, in this transaction (disclosure/services.py).
    drift_for_event(event=pending, obj=obj)
    if raised:
        row["data"] = {**row["data"], "alerts_raised": raised}
    return _append([row])[0]


def read_record(*, actor, obj, case=None, reason: str = "", data: dict | None = None,
                also: Iterable = ()) -> list[Event]:
    """Record that `actor` was shown `obj` (and each record in `also`, e.g. the parties on a case
    page). Commits at once: a read is audited even if the rest of the request fails."""
    rows = [{
        **_actor_fields(actor),
        "kind": EventKind.READ,
        "action": f"{record._meta.model_name}.read",
        "object_type": record._meta.label_lower,
        "object_id": record.pk,
        "case_id": getattr(case, "pk", None),
        "data": (data or {}) if record is obj else {},
        "reason": reason,
    } for record in (obj, *also)]
    return _append(rows, durable=False)


def read_search(*, actor, action: str, data: dict) -> Event:
    """Record a search or list that showed records (the query and the ids it returned)."""
    return _append([{**_actor_fields(actor), "kind": EventKind.READ, "action": action, "data": data}],
                   durable=False)[0]


def refused_record(*, actor, action: str, error: DomainError, object_type: str = "",
                   object_id: int | None = None) -> Event:
    """Record a refused write: who tried what on which record, and the refusal's code and message."""
    return _append([{
        **_actor_fields(actor),
        "kind": EventKind.REFUSED,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "data": {"code": error.code, "message": error.message, **({"field": error.field} if error.field else {})},
    }])[0]


_write_depth: contextvars.ContextVar[int] = contextvars.ContextVar("forewarn_audited_write_depth", default=0)


@contextmanager
def refusals_audited(*, actor, action: str, object_type: str = "", object_id: int | None = None) -> Iterator[None]:
    """Around a write: if it is refused, record one `refused` event once its transaction has rolled back.

    Only the outermost audited write records (a service calling another records one refusal, under
    its own action name). Wrap outside the write's `transaction.atomic()`.
    """
    outermost = _write_depth.get() == 0
    token = _write_depth.set(_write_depth.get() + 1)
    try:
        yield
    except DomainError as error:
        if outermost:
            _write_depth.reset(token)
            token = None
            refused_record(actor=actor, action=action, error=error, object_type=object_type, object_id=object_id)
        raise
    finally:
        if token is not None:
            _write_depth.reset(token)


def audited_write(action: str, *, target: str | None = None):
    """Decorate a write service (keyword-only, `actor=` among its arguments) so that a refusal is
    recorded as one `refused` event. The target is the first `<name>_id` argument or model instance
    the service was given, when there is one; `target` names its model when the argument's name
    does not (e.g. `token_id` -> "organisations.apitoken")."""

    def decorate(service):
        @functools.wraps(service)
        def wrapper(*args, **kwargs):
            object_type, object_id = _target(kwargs)
            if target and object_id is not None:
                object_type = target
            with refusals_audited(actor=kwargs.get("actor"), action=action, object_type=object_type,
                                  object_id=object_id):
                return service(*args, **kwargs)

        return wrapper

    return decorate


def _target(kwargs: dict) -> tuple[str, int | None]:
    for name, value in kwargs.items():
        if name == "actor":
            continue
        if name.endswith("_id") and isinstance(value, int):
            return _label_of(name.removesuffix("_id")), value
        meta = getattr(value, "_meta", None)
        if meta is not None and isinstance(getattr(value, "pk", None), int):
            return meta.label_lower, value.pk
    return "", None


def audit_export_open(*, actor, reference: str, reason: str) -> list[dict]:
    """A record's full audit history, for the head of professional standards; the export is audited.

    A case (or anything filed under one) must be in the actor's case scope; for other records only
    the events of the actor's own organisation are exported.
    """
    from forewarn.audit import selectors
    from forewarn.cases.selectors import case_get_for_actor
    from forewarn.core.validation import clean_text
    from forewarn.organisations.permissions import require

    reason = clean_text(reason, field="reason", max_length=2000, required=True)
    object_type, object_id = selectors.parse_object(reference)
    history = selectors.object_history(object_type=object_type, object_id=object_id)
    case_ids = set(history.exclude(case_id=None).values_list("case_id", flat=True))
    for case_id in case_ids:  # NotFound before PermissionDenied: never confirm an unseen case
        case_get_for_actor(actor=actor, case_id=case_id)
    require(actor, "audit.export")
    if not case_ids:
        history = history.filter(organisation_id=actor.organisation_id)
    events = [selectors.event_as_dict(event) for event in history]
    _append([{
        **_actor_fields(actor), "kind": EventKind.READ, "action": "audit.export", "object_type": object_type,
        "object_id": object_id, "reason": reason, "data": {"events": len(events)},
    }])
    return events


def _label_of(name: str) -> str:
    """'subject_allegation' -> 'cases.subjectallegation': the label object history is filed under."""
    from django.apps import apps

    wanted = name.replace("_", "")
    for model in apps.get_models():
        if model._meta.model_name == wanted:
            return model._meta.label_lower
    return name
