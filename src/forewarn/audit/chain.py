"""The audit hash chain: canonical content, sealing, verification.

Each event's `hash` is SHA-256 over its canonical content: the JSON array of its HASHED_FIELDS in
that order (`prev_hash` first), written exactly as PostgreSQL's `json_build_array(...)::text` writes
it — elements separated by ", ", strings escaped as JSON requires and otherwise raw UTF-8 — so the
database can recompute the same bytes itself, which is how `forewarn audit verify` checks a large
table quickly (`audit.selectors`; tests prove the two agree). Times are UTC ISO 8601 with
microseconds; `data` and `changes` enter as their canonical JSON text (keys sorted, no whitespace),
which is exactly what the database stores (`audit.models.CanonicalJSONField`). The id is not
hashed: order is the id order, and `prev_hash` ties each row to the one before it, so a deleted,
inserted, edited or reordered row breaks the chain there.

The same functions seal rows written one at a time (`audit.services`) and rows written in bulk
(`demo.bulk`), and verify them (`forewarn audit verify`), so the three cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder

GENESIS = "0" * 64

HASHED_FIELDS = (
    "prev_hash", "occurred_at", "occurred_on", "actor_id", "organisation_id", "kind", "action",
    "object_type", "object_id", "case_id", "from_state", "to_state", "data", "changes", "reason",
    "correlation_id", "ip_address", "user_agent",
)
_OCCURRED_AT = HASHED_FIELDS.index("occurred_at")
_OCCURRED_ON = HASHED_FIELDS.index("occurred_on")
_JSON = (HASHED_FIELDS.index("data"), HASHED_FIELDS.index("changes"))

_sha256 = hashlib.sha256
# json_build_array's own layout: ", " between elements (PostgreSQL src/backend/utils/adt/json.c).
_row_json = json.JSONEncoder(separators=(", ", ":"), ensure_ascii=False).encode
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_canonical_django = DjangoJSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_json(value) -> str:
    """The one text form of a JSON value: keys sorted, no whitespace, UTF-8; dates, times, decimals
    and UUIDs as strings (DjangoJSONEncoder). What the audit columns store and the hash covers."""
    try:
        return _canonical(value)
    except TypeError:  # a date or a decimal inside: the encoder that knows them
        return _canonical_django(value)


def _timestamp(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        if len(value) == 32 and value[10] == "T" and value.endswith("+00:00"):
            return value  # already canonical (PostgreSQL formats it in audit.selectors)
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:  # Django stores UTC; SQLite hands it back naive
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_content(values: list) -> str:
    """The text a row's hash covers, from its HASHED_FIELDS values in order (prev_hash first).

    `data` and `changes` may be given as stored (canonical text) or as values. Mutates `values`.
    """
    values[_OCCURRED_AT] = _timestamp(values[_OCCURRED_AT])
    on = values[_OCCURRED_ON]
    if not isinstance(on, str):
        values[_OCCURRED_ON] = on.isoformat()
    for i in _JSON:
        if not isinstance(values[i], str):
            values[i] = canonical_json(values[i])
    return _row_json(values)


def digest(values: list) -> str:
    """The hash of one row, from its HASHED_FIELDS values in order (prev_hash first)."""
    return _sha256(canonical_content(values).encode()).hexdigest()


# What an absent field is stored as (so it hashes the way it is stored).
ROW_DEFAULTS = {name: "" for name in HASHED_FIELDS} | {
    "kind": "change", "data": "{}", "changes": "{}", "actor_id": None, "organisation_id": None, "object_id": None,
    "case_id": None,
}


def seal(rows: Iterable[dict], prev_hash: str) -> str:
    """Complete rows (dicts of attname -> value; occurred_at and occurred_on required) with their
    defaults, prev_hash and hash, in order. Returns the last hash, to seal the next rows from.

    `data` and `changes` are replaced by their canonical JSON text, the form the columns store: write
    them as they are (COPY, bulk_create or create)."""
    for row in rows:
        tail = content_after_prev_hash(row)
        row["prev_hash"] = prev_hash
        prev_hash = row["hash"] = link(prev_hash, tail)
    return prev_hash


# The canonical content opens with the prev_hash, always 64 hex digits (nothing to escape):
# '["<prev_hash>", '. Everything after that is known before the chain reaches the row.
_HEAD = '["%s", '
_TAIL_FROM = len(_HEAD % GENESIS)


def content_after_prev_hash(row: dict) -> str:
    """Complete a row (as `complete`) and return its canonical content after the prev_hash.

    The part of sealing that does not depend on the chain: a bulk load computes it for many rows in
    worker processes, and only `link` runs in chain order.
    """
    complete(row)
    values = [row[name] for name in HASHED_FIELDS]
    values[0] = GENESIS
    return canonical_content(values)[_TAIL_FROM:]


def stored_content_after_prev_hash(values: list) -> str:
    """`content_after_prev_hash` of HASHED_FIELDS values already in their stored text form (the
    time as `_timestamp` gives it, the date ISO, `data` and `changes` canonical JSON text; the
    prev_hash slot is ignored): a bulk load's fast path, checked by verifying what it wrote."""
    values[0] = GENESIS
    return _row_json(values)[_TAIL_FROM:]


def link(prev_hash: str, tail: str) -> str:
    """The hash of the row whose content after its prev_hash is `tail`, chained after `prev_hash`
    (equal to `digest` of its values with that prev_hash)."""
    return _sha256((_HEAD % prev_hash + tail).encode()).hexdigest()


def links(tails: Iterable[str], prev_hash: str) -> list[str]:
    """The hashes of rows with these tails, chained in order after `prev_hash`."""
    hashes = []
    for tail in tails:
        prev_hash = _sha256((_HEAD % prev_hash + tail).encode()).hexdigest()
        hashes.append(prev_hash)
    return hashes


def complete_all(rows: list[dict]) -> list[dict]:
    for row in rows:
        complete(row)
    return rows


def complete(row: dict) -> dict:
    """Fill a row's absent fields with what they are stored as, and its JSON as canonical text.

    `data` and `changes` given as text are taken as canonical text already (as `canonical_content`
    takes them): a bulk load encodes a value it repeats once, not once per row."""
    for name, default in ROW_DEFAULTS.items():
        if name not in row:
            row[name] = default
    for name in ("data", "changes"):
        if not isinstance(row[name], str):
            row[name] = canonical_json(row[name])
    return row


@dataclass(frozen=True)
class Verification:
    checked: int
    broken_at: int | None = None  # id of the first row whose link or content does not match
    problem: str = ""
    last_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_rows(rows: Iterator[tuple], prev_hash: str = GENESIS) -> Verification:
    """Check (id, hash, *HASHED_FIELDS) tuples in id order; stop at the first broken link."""
    checked = 0
    for row in rows:
        event_id, stored_hash, values = row[0], row[1], list(row[2:])
        if values[0] != prev_hash:
            return Verification(checked, event_id, "its prev_hash does not match the hash of the event before it "
                                                   "(an event was removed, inserted or reordered)", prev_hash)
        if digest(values) != stored_hash:
            return Verification(checked, event_id, "its content does not match its hash (the event was altered)",
                                prev_hash)
        prev_hash = stored_hash
        checked += 1
    return Verification(checked, last_hash=prev_hash)


def verify_computed(rows: Iterator[tuple], prev_hash: str = GENESIS) -> Verification:
    """Check (id, hash, prev_hash, recomputed_hash) tuples in id order, where the database computed
    the hash from the stored content (the same canonical bytes; `audit.selectors`)."""
    checked = 0
    for event_id, stored_hash, stored_prev, recomputed in rows:
        if stored_prev != prev_hash:
            return Verification(checked, event_id, "its prev_hash does not match the hash of the event before it "
                                                   "(an event was removed, inserted or reordered)", prev_hash)
        if recomputed != stored_hash:
            return Verification(checked, event_id, "its content does not match its hash (the event was altered)",
                                prev_hash)
        prev_hash = stored_hash
        checked += 1
    return Verification(checked, last_hash=prev_hash)
