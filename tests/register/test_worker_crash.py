"""The crash test issue #4 §2 asks for: kill the worker in the middle of a batch and take the receiver
down, then restart both — nothing lost, nothing duplicated (from the receiver's point of view).

The worker runs as a real subprocess (`python -m forewarn.cli worker`) on the test database (a file
on SQLite, see settings_test; the test database by name on PostgreSQL), so it commits, holds leases
and dies exactly as in production. The receiver is a real HTTP server that verifies signatures and
keeps each idempotency key once (tests/register/receivers.py).

1. 60 webhook messages are pending. Worker 1 starts; the receiver holds its answer to the 25th key
   it processes, and worker 1 is SIGKILLed while it waits for that answer: mid-batch, with a message
   the receiver has acted on but the worker never recorded, and the rest of its batch still leased.
2. The receiver goes down. Worker 2 starts: every message left fails (connection refused) and backs
   off; the killed worker's leased messages come due when their leases run out.
3. The receiver comes back. Worker 2 drains the outbox and is stopped with SIGTERM (graceful: exit 0).

Then every message is delivered, none is dead, the receiver processed each of the 60 keys exactly
once, and it saw at least the held one twice (at-least-once delivery, made exactly-once by the key).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from forewarn.register.models import Channel, DeliveryStatus, OutboxMessage
from tests.register.receivers import WebhookReceiver, wait_for
from tests.register.test_delivery import SECRET, build_endpoint, build_recipient

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MESSAGES = 60
HOLD_AT = 25  # the receiver holds its answer to the 25th key it processes: the worker is killed then
PROJECT_DIR = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    """The test database, for a process that is not pytest's."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        assert name.startswith("/") and "memory" not in name, f"the SQLite test database must be a file: {name}"
        return f"sqlite:///{name}"
    assert db["ENGINE"] == "django.db.backends.postgresql", db["ENGINE"]
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "forewarn.settings",
        "DATABASE_URL": _database_url(),
        "FOREWARN_DEBUG": "1",
        # Tiny back-off (0.1 s doubling, at most 0.5 s) and short leases, so the test takes seconds;
        # attempts are not the point here, so none may run out while the receiver is down.
        "FOREWARN_OUTBOX_BACKOFF_SECONDS": "0.1",
        "FOREWARN_OUTBOX_BACKOFF_MAX_SECONDS": "0.5",
        "FOREWARN_OUTBOX_MAX_ATTEMPTS": "1000",
        "FOREWARN_OUTBOX_LEASE_SECONDS": "2",
        "FOREWARN_WEBHOOK_TIMEOUT_SECONDS": "5",
        "FOREWARN_PUBLIC_URL": settings.FOREWARN_PUBLIC_URL,
    }
    return subprocess.Popen([sys.executable, "-m", "forewarn.cli", "worker", "--poll-interval", "0.05",
                             "--batch", "10"], cwd=PROJECT_DIR, env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


def _count(**filters) -> int:
    return OutboxMessage.objects.filter(**filters).count()


def test_killed_worker_and_downed_receiver_lose_nothing_and_duplicate_nothing(tmp_path):
    receiver = WebhookReceiver(SECRET).start()
    endpoint = build_endpoint(receiver.url)
    recipient = build_recipient()
    OutboxMessage.objects.bulk_create([
        OutboxMessage(recipient=recipient, channel=Channel.WEBHOOK, endpoint=endpoint,
                      idempotency_key=uuid.uuid4().hex, next_attempt_at=timezone.now()) for _ in range(MESSAGES)])
    keys = sorted(OutboxMessage.objects.values_list("idempotency_key", flat=True))
    log = tmp_path / "worker.log"
    workers: list[subprocess.Popen] = []
    try:
        # 1. Worker 1 delivers part of the batch and is killed while waiting for an answer.
        receiver.hold_at = HOLD_AT
        workers.append(_worker(log))
        wait_for(receiver.holding.is_set, timeout=20, what=f"the receiver to process {HOLD_AT} keys")
        workers[0].send_signal(signal.SIGKILL)
        assert workers[0].wait(timeout=10) == -signal.SIGKILL
        held_key = receiver.processed[HOLD_AT - 1]
        receiver.release.set()  # its answer goes to a dead socket
        delivered_at_kill = _count(status=DeliveryStatus.DELIVERED)
        assert delivered_at_kill < HOLD_AT <= len(receiver.processed) < MESSAGES  # killed mid-way
        held = OutboxMessage.objects.get(idempotency_key=held_key)
        assert held.status == DeliveryStatus.PENDING and held.leased_until is not None  # sent, never recorded
        assert _count(status=DeliveryStatus.PENDING, leased_until__isnull=False) >= 1

        # 2. The receiver goes down; worker 2's attempts fail and back off.
        receiver.stop()
        workers.append(_worker(log))
        wait_for(lambda: not OutboxMessage.objects.filter(status=DeliveryStatus.PENDING)
                 .exclude(last_error__contains="ConnectError").exists(),
                 timeout=20, what="every undelivered message to fail against the downed receiver")
        failed_while_down = _count(status=DeliveryStatus.PENDING)
        assert failed_while_down == MESSAGES - _count(status=DeliveryStatus.DELIVERED) > 0
        assert _count(status=DeliveryStatus.DEAD) == 0

        # 3. The receiver comes back; the worker drains the outbox and stops gracefully.
        receiver.start()
        wait_for(lambda: _count(status=DeliveryStatus.DELIVERED) == MESSAGES, timeout=20,
                 what="every message delivered")
        workers[1].send_signal(signal.SIGTERM)
        assert workers[1].wait(timeout=10) == 0, log.read_text()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
        receiver.release.set()
        receiver.stop()

    output = log.read_text()
    assert "Worker stopped:" in output  # worker 2 finished its message and said so
    rows = list(OutboxMessage.objects.all())
    assert len(rows) == MESSAGES  # nothing lost
    assert {m.status for m in rows} == {DeliveryStatus.DELIVERED}  # none dead, none pending
    assert all(m.delivered_at is not None and m.leased_until is None for m in rows)
    assert receiver.refused == 0
    # Exactly once for the receiver: each key acted on once, none missing, none unknown.
    assert sorted(receiver.processed) == keys
    # At least once on the wire: the held message was sent again after the kill.
    assert receiver.seen.count(held_key) >= 2
    report = (f"{MESSAGES} messages: receiver saw {len(receiver.seen)} requests, {receiver.duplicates} of them "
              f"repeats of a key already processed; processed {len(receiver.processed)} keys once each; "
              f"{delivered_at_kill} recorded delivered before the kill, {failed_while_down} failed while the "
              f"receiver was down")
    print(report)
    assert receiver.duplicates >= 1, report
