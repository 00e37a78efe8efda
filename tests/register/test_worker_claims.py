"""How often the worker claims (register/worker.py): while serious allegations are recorded at 50 a
second, every claim it makes costs five statements on the machine that records them.

- A notification already received announces rows the next claim sees: it is discarded before the
  claim, and a part batch is not followed by an empty claim (PostgreSQL, LISTEN).
- Notifications that arrive within `min_claim_gap` of the last claim wait out the gap and are claimed
  together; a notification after a quiet spell is claimed at once.
- Without LISTEN (SQLite, or a lost connection) a part batch is still followed by a claim at once:
  nothing would wake the worker for the rows committed meanwhile but the poll.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from forewarn.register import delivery
from forewarn.register.models import DeliveryStatus
from forewarn.register.worker import Worker, WorkerOptions, _Listener
from tests.register.receivers import wait_for
from tests.register.test_delivery import (
    ON_POSTGRES,
    _outbox_settings,  # noqa: F401 - the autouse fixture: outbox settings for these tests too
    build_endpoint,
    build_recipient,
    fresh,
    queue,
    receiver,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class _Claims:
    """Count `outbox_claim` calls: when each began and how many messages it took."""

    def __init__(self, monkeypatch):
        self.taken: list[int] = []
        self.at: list[float] = []
        real = delivery.outbox_claim

        def counted(**kwargs):
            self.at.append(time.monotonic())
            claimed = real(**kwargs)
            self.taken.append(len(claimed))
            return claimed

        monkeypatch.setattr(delivery, "outbox_claim", counted)


def _running(options: WorkerOptions):
    lines: list[str] = []
    worker = Worker(options, report=lines.append)
    errors: list[Exception] = []

    def run():
        try:
            worker.run()
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="worker")
    thread.start()
    wait_for(lambda: any(line.startswith("Worker started") for line in lines), timeout=10, what="start")
    return worker, thread, errors


def _stopped(worker, thread, errors) -> None:
    worker.stop()
    thread.join(timeout=40)
    assert not thread.is_alive() and not errors


def test_a_part_batch_is_not_followed_by_an_empty_claim_while_listening(receiver, monkeypatch):  # noqa: F811
    claims = _Claims(monkeypatch)
    endpoint = build_endpoint(receiver.url)
    poll = 30.0 if ON_POSTGRES else 1.0
    worker, thread, errors = _running(WorkerOptions(poll_interval=poll, escalate_every=3600, min_claim_gap=0))
    try:
        wait_for(lambda: claims.taken, timeout=5, what="the first, empty claim")
        [message] = queue(build_recipient(), endpoint=endpoint)
        wait_for(lambda: fresh(message).status == DeliveryStatus.DELIVERED, timeout=5, what="delivered")
        time.sleep(0.5)  # time for a claim that should not come
        taken, at = list(claims.taken), list(claims.at)
    finally:
        _stopped(worker, thread, errors)
    if ON_POSTGRES:
        # Started: one empty claim; woken by the row's notification: one claim that took it. The
        # notification itself was discarded before that claim, so nothing wakes the worker again.
        assert taken == [0, 1]
    else:
        # Polling (no LISTEN): the claim that took the row is followed at once by another, well within
        # the 1 s poll, since nothing else would tell the worker of rows committed in the meantime.
        took = taken.index(1)
        assert taken[took + 1] == 0 and at[took + 1] - at[took] < 0.5, (taken, at)


def test_notifications_within_the_gap_are_claimed_together(receiver, monkeypatch):  # noqa: F811
    if not ON_POSTGRES:
        # No notifications to coalesce: SQLite's worker claims at each poll, the gap is shorter.
        assert _Listener().open() is False
        return
    claims = _Claims(monkeypatch)
    endpoint, recipient = build_endpoint(receiver.url), build_recipient()
    worker, thread, errors = _running(WorkerOptions(poll_interval=30.0, escalate_every=3600, min_claim_gap=1.5))
    try:
        wait_for(lambda: claims.taken == [0], timeout=5, what="the first, empty claim")
        time.sleep(1.6)  # a quiet spell longer than the gap: the next notification is claimed at once
        started = time.monotonic()
        [first] = queue(recipient, endpoint=endpoint)
        wait_for(lambda: fresh(first).status == DeliveryStatus.DELIVERED, timeout=5, what="the first message")
        at_once = time.monotonic() - started
        second = queue(recipient, endpoint=endpoint)  # two commits, each notifying, within the gap
        third = queue(recipient, endpoint=endpoint)
        wait_for(lambda: all(fresh(m).status == DeliveryStatus.DELIVERED for m in second + third), timeout=10,
                 what="the next two")
        together = time.monotonic() - started
    finally:
        _stopped(worker, thread, errors)
    assert at_once < 1.0, at_once
    assert claims.taken == [0, 1, 2]  # the two later rows in one claim
    assert together >= 1.5  # …made once the gap had passed


def test_drain_discards_only_notifications_already_received():
    listener = _Listener()
    if not ON_POSTGRES:
        assert listener.open() is False and not listener.listening
        listener.drain()  # nothing to drain, and no error
        return
    assert listener.open() and listener.listening
    try:
        queue(build_recipient(), email="a@met.police.example")
        time.sleep(0.3)  # the notification reaches the listener's connection (sent at the commit)
        listener.drain()
        assert listener.wait(0.2) is False  # drained
        queue(build_recipient(), email="b@met.police.example")
        assert listener.wait(5) is True  # a later commit still wakes
    finally:
        listener.close()

