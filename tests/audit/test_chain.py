"""The audit trail's hash chain: sealed on every append, verified end to end, tamper evident."""

import datetime as dt
import threading

import pytest
from django.db import DatabaseError, connection, transaction

from forewarn.audit import chain
from forewarn.audit.models import Event, EventKind
from forewarn.audit.selectors import chain_verify
from forewarn.audit.services import event_record, read_record, refused_record
from forewarn.cases.models import Case
from forewarn.core.errors import GuardFailed
from forewarn.organisations.models import Role
from tests.factories import CaseFactory, make_user


def _events(n: int, actor) -> list[Event]:
    case = CaseFactory()
    return [event_record(actor=actor, action=f"test.step{i}", obj=case, case=case, data={"i": i, "on": dt.date(2024, 1, i + 1)})
            for i in range(n)]


def test_each_event_chains_onto_the_one_before(handler):
    events = _events(3, handler)
    assert events[0].prev_hash == chain.GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.hash for e in events}) == 3
    result = chain_verify()
    assert result.ok and result.checked == 3 and result.last_hash == events[-1].hash


def test_stored_data_is_what_was_hashed(handler):
    (event,) = _events(1, handler)
    # Dates in data are stored as ISO text, exactly as hashed, so verification reads back the same bytes.
    assert Event.objects.get(pk=event.pk).data == {"i": 0, "on": "2024-01-01"}
    assert chain_verify().ok


def test_reads_changes_and_refusals_share_one_chain(handler):
    case = CaseFactory()
    event_record(actor=handler, action="case.test", obj=case, case=case)
    read_record(actor=handler, obj=case, case=case, reason="checking")
    refused_record(actor=None, action="case.test", error=GuardFailed("no", code="x.y"), object_type="cases.case",
                   object_id=case.pk)
    assert list(Event.objects.values_list("kind", flat=True)) == [EventKind.CHANGE, EventKind.READ, EventKind.REFUSED]
    assert chain_verify().checked == 3


def _tamper(sql: str, params: list) -> None:
    """Edit the audit table behind the application's back. On PostgreSQL triggers are switched off
    for the statement (as a superuser could), so verification can be proved to find what the
    append-only trigger would otherwise have refused."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a superuser's switch: ordinary triggers do not fire
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the trigger exists only on PostgreSQL")
def test_postgresql_refuses_updates_and_deletes_of_audit_events(handler):
    target = _events(3, handler)[1]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_event SET reason = 'edited' WHERE id = %s", [target.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_event WHERE id = %s", [target.pk])
    assert chain_verify().ok and chain_verify().checked == 3


def test_an_edited_event_is_found(handler):
    events = _events(4, handler)
    target = events[2]
    _tamper("UPDATE audit_event SET reason = 'edited' WHERE id = %s", [target.pk])
    result = chain_verify()
    assert (result.ok, result.broken_at, result.checked) == (False, target.pk, 2)
    assert "altered" in result.problem


def test_a_deleted_event_breaks_the_link_of_the_next(handler):
    events = _events(4, handler)
    _tamper("DELETE FROM audit_event WHERE id = %s", [events[1].pk])
    result = chain_verify()
    assert (result.ok, result.broken_at) == (False, events[2].pk)
    assert "removed" in result.problem


def test_a_forged_event_with_a_recomputed_hash_still_breaks_the_next_link(handler):
    """Rewriting one row and its own hash is not enough: the next row's prev_hash gives it away."""
    events = _events(3, handler)
    values = [getattr(events[1], name) for name in chain.HASHED_FIELDS]
    values[chain.HASHED_FIELDS.index("reason")] = "forged"
    forged_hash = chain.digest(values)
    _tamper("UPDATE audit_event SET reason = 'forged', hash = %s WHERE id = %s", [forged_hash, events[1].pk])
    result = chain_verify()
    assert (result.ok, result.broken_at) == (False, events[2].pk)


def test_content_cannot_be_shifted_between_fields(handler):
    """Fields are JSON array elements: moving text from one field to its neighbour changes the hash."""
    (event,) = _events(1, handler)
    values = [getattr(event, name) for name in chain.HASHED_FIELDS]
    shifted = list(values)
    i = chain.HASHED_FIELDS.index("reason")
    values[i], values[i + 1] = "ab", "c"
    shifted[i], shifted[i + 1] = "a", "bc"
    assert chain.digest(values) != chain.digest(shifted)


@pytest.mark.postgres
@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="SQLite's in-memory test database cannot take two writers; it serialises writers anyway")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_never_fork_the_chain():
    """Two threads append at once; the chain lock serialises them so every link holds."""
    actor = make_user(Role.CASE_HANDLER)
    case = CaseFactory()
    barrier = threading.Barrier(2)
    errors = []

    def write(tag):
        try:
            barrier.wait(timeout=10)
            for i in range(15):
                with transaction.atomic():
                    event_record(actor=actor, action=f"test.{tag}{i}", obj=case, case=case)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(tag,)) for tag in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    result = chain_verify()
    assert result.ok and result.checked == 30
    assert Case.objects.count() == 1


def test_awkward_content_verifies_on_either_database(handler):
    """Whole-second times, non-ASCII text, nested keys in any order: the stored text is the hashed text."""
    case = CaseFactory()
    event = event_record(actor=handler, action="test.awkward", obj=case, case=case,
                         data={"z": {"b": 1, "a": [dt.date(2024, 2, 29), None, True]}, "ä": "Zoë ‏עברית 👮‍♀️"},
                         changes={"status": ["received", "logged"]}, reason="naïve\ttab\nnewline\x01\\ \"quoted\"")
    stored = Event.objects.get(pk=event.pk)
    assert stored.data == {"z": {"b": 1, "a": ["2024-02-29", None, True]}, "ä": "Zoë ‏עברית 👮‍♀️"}
    assert stored.changes == {"status": ["received", "logged"]}
    whole_second = event_record(actor=handler, action="test.second", obj=case, case=case)
    assert chain_verify().ok and whole_second.hash != event.hash
    # However it was sealed (in Python, or by PostgreSQL's append function), Python's digest of the
    # stored row gives the stored hash: the two canonical forms agree byte for byte.
    for stored in Event.objects.all():
        assert chain.digest([getattr(stored, name) for name in chain.HASHED_FIELDS]) == stored.hash


def test_an_event_created_at_a_whole_second_verifies(handler, monkeypatch):
    import django.utils.timezone as tz

    fixed = dt.datetime(2026, 11, 21, 10, 0, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(tz, "now", lambda: fixed)
    case = CaseFactory()
    event = event_record(actor=handler, action="test.second", obj=case, case=case)
    assert Event.objects.get(pk=event.pk).occurred_at == fixed
    assert chain_verify().ok


@pytest.mark.postgres
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="ranges are verified in parallel only on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_verification_joins_its_ranges_and_finds_breaks_anywhere():
    actor = make_user(Role.CASE_HANDLER)
    events = _events(30, actor)
    parallel = {"workers": 3, "parallel_min": 1}
    assert chain_verify(**parallel) == chain_verify(parallel_min=10**9)
    assert chain_verify(**parallel).ok and chain_verify(**parallel).checked == 30

    # A row altered inside the second range.
    with transaction.atomic():
        _tamper("UPDATE audit_event SET reason = 'edited' WHERE id = %s", [events[15].pk])
    result = chain_verify(**parallel)
    assert (result.ok, result.broken_at, result.checked) == (False, events[15].pk, 15)


@pytest.mark.postgres
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="ranges are verified in parallel only on PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_verification_finds_a_row_removed_at_a_range_boundary():
    actor = make_user(Role.CASE_HANDLER)
    events = _events(30, actor)
    ids = [e.pk for e in events]
    step = (ids[-1] - ids[0]) // 3 + 1
    first_of_second_range = ids[0] + step
    with transaction.atomic():
        _tamper("DELETE FROM audit_event WHERE id = %s", [first_of_second_range])
    result = chain_verify(workers=3, parallel_min=1)
    assert (result.ok, result.broken_at) == (False, first_of_second_range + 1)
    assert "removed" in result.problem


def test_sealing_in_two_parts_gives_the_hash_of_the_whole_content():
    """A bulk load computes each row's content after its prev_hash in worker processes and links the
    hashes in order afterwards (`chain.content_after_prev_hash`, `chain.links`): the same hash as
    `chain.digest` over the whole row, whatever the content, and data given as canonical text or as a value."""
    rows = [{"occurred_at": dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC), "occurred_on": dt.date(2024, 5, 1),
             "action": "case.open", "object_id": 7, "data": {"b": "ünïcode \"quoted\"\n", "a": [1, None]}},
            {"occurred_at": "2024-05-01T09:30:00.000001+00:00", "occurred_on": "2024-05-01", "action": "read",
             "data": chain.canonical_json({"a": 1}), "reason": "tab\there"}]
    tails = [chain.content_after_prev_hash(dict(row)) for row in rows]
    hashes = chain.links(tails, chain.GENESIS)
    whole = [dict(row) for row in rows]
    last = chain.seal(whole, chain.GENESIS)
    assert hashes == [row["hash"] for row in whole] and last == hashes[-1]
    prev = chain.GENESIS
    for row, expected in zip(whole, hashes, strict=True):
        assert chain.digest([prev if name == "prev_hash" else row[name] for name in chain.HASHED_FIELDS]) == expected
        prev = expected
    assert whole[1]["data"] == '{"a":1}'  # canonical text is kept as it is, not encoded again
