"""The notification worker (`forewarn worker`): delivers the register's outbox, escalates overdue alerts.

A loop around `register.delivery`: claim a batch of due messages, deliver them one by one, repeat
while there is work; when there is none, wait. On PostgreSQL the wait ends at once when a new
outbox row commits (a trigger, migration register 0004, runs `pg_notify('forewarn_outbox')` and the
worker LISTENs on its own connection); the poll interval is the fallback, and on SQLite the only
wake-up. About once a minute the worker also escalates unacknowledged alerts
(`register.alerts.alerts_escalate_overdue`, issue #4 §2: 2 working days), and about once an hour it
deletes messages delivered more than FOREWARN_OUTBOX_KEEP_DAYS ago (`delivery.outbox_purge`).

SIGTERM and SIGINT stop it gracefully: the message being sent is finished and recorded, the rest of
the batch is handed back at once (not left to its lease). A SIGKILL loses nothing either: the
killed worker's leases run out and its messages are delivered again, under the same idempotency keys.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from forewarn.register import delivery

logger = logging.getLogger("forewarn.register.worker")

NOTIFY_CHANNEL = "forewarn_outbox"
ESCALATION_INTERVAL_SECONDS = 60.0
PURGE_INTERVAL_SECONDS = 3600.0  # delivered messages past FOREWARN_OUTBOX_KEEP_DAYS are deleted hourly
STOP_CHECK_SECONDS = 0.5  # a stop request is noticed within this, however long the poll interval
# Claims woken by notifications are at least this far apart. Under load (a serious allegation every
# 20 ms at 50/s) one claim then takes the rows of several commits: a claim costs five statements
# whatever it takes, and a claim per commit (with the empty one after it) was about half the worker's
# CPU, on the machine that records the allegations (benchmarks/notification_latency.py). A quiet outbox loses nothing: a notification
# more than the gap after the last claim is claimed at once. Delivery is due within 2 s (issue #4 §5).
MIN_CLAIM_GAP_SECONDS = 0.1


class _Listener:
    """LISTEN forewarn_outbox on a connection of its own (PostgreSQL); silently absent elsewhere."""

    def __init__(self) -> None:
        self.conn = None

    def open(self) -> bool:
        if connection.vendor != "postgresql":
            return False
        try:
            conn = connection.get_new_connection(connection.get_connection_params())
            conn.autocommit = True
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except Exception:  # noqa: BLE001 - polling still works; try again at the next wait
            logger.warning("could not LISTEN on %s; polling instead", NOTIFY_CHANNEL, exc_info=True)
            return False
        self.conn = conn
        return True

    def wait(self, timeout: float) -> bool:
        """Block until a notification or the timeout; True if notified."""
        if self.conn is None and not self.open():
            time.sleep(timeout)
            return False
        try:
            notified = False
            for _ in self.conn.notifies(timeout=timeout, stop_after=1):
                notified = True
            return notified
        except Exception:  # noqa: BLE001 - a dropped connection: poll, reconnect next time
            logger.warning("LISTEN connection lost; reconnecting", exc_info=True)
            self.close()
            return False

    def drain(self) -> None:
        """Discard the notifications already received, without waiting: the claim that follows sees
        every row they announced (each is sent at its transaction's commit)."""
        if self.conn is None:
            return
        try:
            for _ in self.conn.notifies(timeout=0):
                pass
        except Exception:  # noqa: BLE001 - a dropped connection: poll, reconnect at the next wait
            logger.warning("LISTEN connection lost; reconnecting", exc_info=True)
            self.close()

    @property
    def listening(self) -> bool:
        return self.conn is not None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self.conn = None


@dataclass
class WorkerOptions:
    poll_interval: float = 0.5
    batch: int = 20
    once: bool = False
    escalate_every: float = ESCALATION_INTERVAL_SECONDS
    purge_every: float = PURGE_INTERVAL_SECONDS
    min_claim_gap: float = MIN_CLAIM_GAP_SECONDS


class Worker:
    """Deliver until stopped (or, with `once`, until nothing is due)."""

    def __init__(self, options: WorkerOptions | None = None, *, report: Callable[[str], None] | None = None):
        self.options = options or WorkerOptions()
        self.report = report or (lambda line: logger.info("%s", line))
        self.stopping = threading.Event()
        self.total = delivery.DrainResult()
        self._last_run: dict[str, float] = {}  # periodic job -> when it last ran (monotonic)
        self._last_claim = float("-inf")
        self._listener = _Listener()

    # -- stopping ------------------------------------------------------------------------------------
    def stop(self, *_args) -> None:
        """Finish the current message, then stop (signal handler and tests)."""
        if not self.stopping.is_set():
            self.report("Stopping after the current message…")
        self.stopping.set()

    def _install_signals(self) -> dict:
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, self.stop)
        return previous

    # -- the loop ------------------------------------------------------------------------------------
    def run(self) -> delivery.DrainResult:
        previous = self._install_signals()
        listening = self._listener.open() if not self.options.once else False
        mode = "LISTEN forewarn_outbox, polling as fallback" if listening else "polling"
        self.report(f"Worker started ({mode} every {self.options.poll_interval:g} s, batch {self.options.batch}).")
        try:
            with delivery.http_client() as http:
                while not self.stopping.is_set():
                    if not connection.in_atomic_block:  # never inside a caller's transaction (tests)
                        close_old_connections()  # a long-running process: drop broken or aged connections
                    self._maybe_escalate()
                    self._maybe_purge()
                    # Notifications received so far announce rows this claim will see: discarded, they
                    # do not wake the loop again for an empty claim (one per allegation, at 50/s).
                    self._listener.drain()
                    self._last_claim = time.monotonic()
                    result = delivery.outbox_deliver_batch(batch=self.options.batch, http=http,
                                                           should_stop=self.stopping.is_set)
                    self._record(result)
                    if result.claimed >= self.options.batch or (result.claimed and not self._listener.listening):
                        # More may be due: claim again before waiting. A part batch emptied the queue
                        # as of the claim; while listening, a row committed since then has notified,
                        # and the wait below returns at once (without LISTEN, claim again to find out).
                        continue
                    if self.options.once:
                        break
                    self._wait()
        finally:
            self._listener.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        t = self.total
        self.report(f"Worker stopped: {t.delivered} delivered, {t.retried} to retry, {t.dead} dead letters.")
        return self.total

    def _wait(self) -> None:
        """Idle until a notification or the poll interval, in slices short enough to notice a stop;
        then until `min_claim_gap` after the last claim (MIN_CLAIM_GAP_SECONDS)."""
        deadline = time.monotonic() + self.options.poll_interval
        while not self.stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or self._listener.wait(min(left, STOP_CHECK_SECONDS)):
                break
        gap = self._last_claim + self.options.min_claim_gap - time.monotonic()
        if gap > 0:
            self.stopping.wait(gap)

    def _record(self, result: delivery.DrainResult) -> None:
        self.total.add(result)
        for line in result.errors:
            self.report(line)
        if result.claimed:
            self.report(f"Batch of {result.claimed}: {result.delivered} delivered, {result.retried} to retry, "
                        f"{result.dead} dead" + (f", {result.released} handed back" if result.released else "") + ".")

    def _due(self, job: str, every: float) -> bool:
        """True at the first look and then once per `every` seconds for each periodic job."""
        clock = time.monotonic()
        last = self._last_run.get(job)
        if last is not None and clock - last < every:
            return False
        self._last_run[job] = clock
        return True

    def _periodic(self, job: Callable[[], int], *, failed: str) -> int:
        """Run a housekeeping job; a failure is reported and retried next time, never stops deliveries."""
        try:
            return job()
        except Exception:  # noqa: BLE001 - deliveries go on; the next interval tries again
            logger.exception("%s", failed)
            self.report(f"{failed} (see the log); trying again later.")
            return 0

    def _maybe_escalate(self) -> None:
        if not self._due("escalate", self.options.escalate_every):
            return
        from forewarn.register import alerts

        escalated = self._periodic(lambda: alerts.alerts_escalate_overdue(now=timezone.now()),
                                   failed="Escalating overdue alerts failed")
        if escalated:
            self.report(f"Escalated {escalated} unacknowledged alert(s) to heads of professional standards "
                        "(the IOPC's to its administrators).")

    def _maybe_purge(self) -> None:
        if not self._due("purge", self.options.purge_every):
            return
        purged = self._periodic(delivery.outbox_purge, failed="Purging delivered messages failed")
        if purged:
            self.report(f"Purged {purged} message(s) delivered more than "
                        f"{settings.FOREWARN_OUTBOX_KEEP_DAYS} days ago.")
