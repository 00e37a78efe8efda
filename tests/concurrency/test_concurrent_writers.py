"""Two people changing the same case at the same moment: one wins, the other is told, nothing is lost.

Every edit carries the version its author saw (`expected_version`); the service locks the row
(`select_for_update`) and only then compares versions (core.versioning). So a second writer either
waits on the row lock and then sees the new version, or arrives after the commit and sees it at once:
either way it is refused with StaleVersion (HTTP 409) and its change is not applied.

The two writers below ask for *different* steps ("log" and "withdraw" are both allowed from
Received, and "withdraw" is still allowed after "log"), so a missing version check would let the
loser silently overwrite the winner's decision: these tests would then fail.

Real concurrency (threads, separate connections) runs on PostgreSQL only, where row locks exist.
SQLite locks the whole database file for a writer, so a threaded test there would test SQLite's
locking rather than ours. On SQLite the same guarantee is checked sequentially
(`test_the_same_two_edits_one_after_the_other…`, which runs on both databases); `make test` runs the
whole suite on PostgreSQL too, so the threaded tests always run in CI.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test import Client

from forewarn.audit.models import Event
from forewarn.cases import services
from forewarn.cases.models import Case, CaseStatus
from forewarn.core.errors import StaleVersion
from forewarn.organisations.models import Role
from forewarn.organisations.services import api_token_issue
from tests.factories import CaseFactory, change_events, make_user

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
needs_row_locks = pytest.mark.skipif(
    not ON_POSTGRES, reason="row locks need PostgreSQL; the sequential test at the end covers SQLite")
# Separate connections must see each other's commits, so these tests commit for real; the
# organisations loaded by a data migration are restored after each flush (serialized_rollback).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WHY = "The complainant wrote to withdraw the complaint."
ROUNDS = 5  # several fresh races, so a lucky interleaving cannot pass by chance once


def _log(actor, case_id, version):
    return services.case_log(actor=actor, case_id=case_id, expected_version=version)


def _withdraw(actor, case_id, version):
    return services.case_withdraw(actor=actor, case_id=case_id, reasons=WHY, expected_version=version)


TARGETS = {_log: CaseStatus.LOGGED, _withdraw: CaseStatus.WITHDRAWN}


def _in_thread(work, results: dict, key: str, barrier: threading.Barrier | None = None):
    """Run `work` on its own thread, hence its own database connection; keep its result or error."""

    def run():
        try:
            if barrier is not None:
                barrier.wait(timeout=10)
            results[key] = work()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
            results[key] = exc
        finally:
            connections.close_all()  # this thread's connection only (connections are per thread)

    thread = threading.Thread(target=run, name=f"writer-{key}")
    thread.start()
    return thread


def _assert_one_won(case_id: int, results: dict, writers: dict) -> None:
    won = [k for k, v in results.items() if isinstance(v, Case)]
    lost = [k for k, v in results.items() if not isinstance(v, Case)]
    assert len(won) == 1 and len(lost) == 1, results
    refusal = results[lost[0]]
    assert isinstance(refusal, StaleVersion), refusal
    assert refusal.http_status == 409 and refusal.context["current_version"] == 2
    case = Case.objects.get(pk=case_id)
    # The winner's decision stands; the loser's was not applied on top of it.
    assert (case.status, case.version) == (TARGETS[writers[won[0]]], 2)
    assert change_events().filter(case_id=case_id).exclude(action="case.open").count() == 1


@pytest.mark.postgres
@needs_row_locks
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_two_writers_released_together_exactly_one_wins(round_number):
    actor = make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY)
    case = CaseFactory(status=CaseStatus.RECEIVED)
    writers = {"a": _log, "b": _withdraw}
    barrier = threading.Barrier(2)
    results: dict = {}
    threads = [_in_thread(lambda w=w: w(actor, case.id, 1), results, key, barrier) for key, w in writers.items()]
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a writer hung (deadlock?)"
    _assert_one_won(case.id, results, writers)


@pytest.mark.postgres
@needs_row_locks
def test_the_second_writer_waits_on_the_row_lock_then_sees_the_new_version():
    """Force the overlap: the first writer holds its lock until the second is already waiting on it."""
    actor = make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY)
    case = CaseFactory(status=CaseStatus.RECEIVED)
    locked, hold = threading.Event(), 0.5
    results: dict = {}

    def first():
        with transaction.atomic():
            logged = _log(actor, case.id, 1)
            locked.set()
            time.sleep(hold)  # the row stays locked until this transaction commits
        return logged

    def second():
        assert locked.wait(timeout=10)
        started = time.monotonic()
        try:
            return _withdraw(actor, case.id, 1)
        finally:
            results["waited"] = time.monotonic() - started

    threads = [_in_thread(first, results, "a"), _in_thread(second, results, "b")]
    for thread in threads:
        thread.join(timeout=30)
    waited = results.pop("waited")
    assert waited >= hold * 0.8, f"the second writer did not wait for the lock ({waited:.2f}s)"
    _assert_one_won(case.id, results, {"a": _log, "b": _withdraw})
    assert isinstance(results["b"], StaleVersion)


@pytest.mark.postgres
@needs_row_locks
def test_two_api_clients_at_once_get_one_200_and_one_409_with_the_current_version():
    actor = make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY)
    _, secret = api_token_issue(actor=actor, user_id=actor.id, name="race", scopes=["read", "write"])
    case = CaseFactory(status=CaseStatus.RECEIVED)
    bodies = {"log": {"expected_version": 1},
              "withdraw": {"expected_version": 1, "payload": {"reasons": WHY}}}
    barrier = threading.Barrier(2)
    results: dict = {}

    def post(action):
        response = Client().post(f"/api/case/{case.id}/actions/{action}", json.dumps(bodies[action]),
                                 content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
        return response.status_code, json.loads(response.content)

    threads = [_in_thread(lambda a=a: post(a), results, a, barrier) for a in bodies]
    for thread in threads:
        thread.join(timeout=30)
    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200, 409], results
    winner = next(a for a, (status, _) in results.items() if status == 200)
    problem = next(body for status, body in results.values() if status == 409)
    assert problem["code"] == "version.stale" and problem["context"]["current_version"] == 2
    case.refresh_from_db()
    assert (case.status, case.version) == (TARGETS[_log if winner == "log" else _withdraw], 2)
    assert change_events().filter(case_id=case.id).exclude(action="case.open").count() == 1


@pytest.mark.parametrize("first, second", [(_log, _withdraw), (_withdraw, _log)])
def test_the_same_two_edits_one_after_the_other_the_second_is_refused(first, second):
    """The sequential equivalent (runs on both databases): the second edit was made against version 1."""
    actor = make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY)
    case = CaseFactory(status=CaseStatus.RECEIVED)
    results = {"a": first(actor, case.id, 1)}
    events = Event.objects.count()
    try:
        second(actor, case.id, 1)
    except StaleVersion as exc:
        results["b"] = exc
    _assert_one_won(case.id, results, {"a": first, "b": second})
    # The refusal itself is audited (one 'refused' event), and nothing else was written.
    assert list(Event.objects.order_by("id").values_list("kind", flat=True))[events:] == ["refused"]
