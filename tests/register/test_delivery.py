"""Delivering register alerts (issue #4 §2): signed webhooks, e-mail without the allegation, retries
with back-off, dead letters, the worker loop, the operators' CLI and the webhook endpoints' API.

Webhooks go to a real HTTP receiver and e-mail to a real SMTP server (tests/register/receivers.py);
the worker killed mid-batch is in test_worker_crash.py.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
import uuid

import pytest
from click.testing import CliRunner
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from forewarn import cli
from forewarn.audit.models import Event
from forewarn.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from forewarn.organisations.models import Role
from forewarn.register import alerts, delivery
from forewarn.register.models import (
    Alert,
    AlertRecipient,
    AlertTrigger,
    Channel,
    DeliveryStatus,
    OutboxMessage,
    WebhookEndpoint,
)
from forewarn.register.worker import Worker, WorkerOptions, _Listener
from tests.api.conftest import client_for
from tests.factories import AppointmentFactory, PersonFactory, make_user, org
from tests.register.receivers import SmtpSink, WebhookReceiver, wait_for

pytestmark = pytest.mark.django_db
ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

SECRET = "fwhk_test-secret-not-for-production"
# What the alert is about: none of it may appear in an e-mail.
PERSON_GIVEN, PERSON_FAMILY = "Imogen", "Quillfeather"
CATEGORY, REASON = "sexual_conduct", "Sexual conduct (IOPC category)"
# Not overdue, so the worker's escalation leaves the test's alerts alone.
ACKNOWLEDGE_BY = dt.date.today() + dt.timedelta(days=30)
ACKNOWLEDGE_BY_TEXT = ACKNOWLEDGE_BY.strftime("%d %B %Y").lstrip("0")


# -- builders ----------------------------------------------------------------------------------------
def build_recipient(*, organisation: str = "MET", unit: str = "standards", trigger: str = "serious_allegation",
                    acknowledge_by: dt.date | None = None) -> AlertRecipient:
    person = PersonFactory(given_name=PERSON_GIVEN, family_name=PERSON_FAMILY, date_of_birth=dt.date(1984, 5, 4))
    alert = Alert.objects.create(
        person=person, trigger=trigger, dedupe_key=uuid.uuid4().hex, occurred_on=dt.date(2025, 3, 3),
        reasons=[REASON],
        summary={"entry": {"organisation": "KEN", "category": CATEGORY, "standards": ["SPB-DC"],
                           "severity": "gross_misconduct", "contact": "psd@kent.police.example"}})
    return AlertRecipient.objects.create(alert=alert, organisation=org(organisation), unit=unit, basis="employs",
                                         acknowledge_by=acknowledge_by or ACKNOWLEDGE_BY)


def build_endpoint(url: str, *, organisation: str = "MET", unit: str = "standards", active: bool = True,
                   secret: str = SECRET) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(organisation=org(organisation), unit=unit, url=url, secret=secret,
                                          active=active)


def queue(recipient: AlertRecipient, *, endpoint: WebhookEndpoint | None = None, email: str = "",
          purpose: str = "alert", count: int = 1) -> list[OutboxMessage]:
    channel = Channel.WEBHOOK if endpoint is not None else Channel.EMAIL
    return OutboxMessage.objects.bulk_create([
        OutboxMessage(recipient=recipient, purpose=purpose, channel=channel, endpoint=endpoint, email=email,
                      idempotency_key=uuid.uuid4().hex, next_attempt_at=timezone.now())
        for _ in range(count)])


def make_due(*messages: OutboxMessage) -> None:
    """Skip the back-off wait (as time passing would)."""
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(next_attempt_at=timezone.now())


def fresh(message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=message.pk)


def run_once(**options) -> delivery.DrainResult:
    lines: list[str] = []
    result = Worker(WorkerOptions(once=True, **options), report=lines.append).run()
    result.lines = lines
    return result


@pytest.fixture
def receiver():
    started = WebhookReceiver(SECRET).start()
    yield started
    started.release.set()
    started.stop()


@pytest.fixture
def smtp(settings):
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    yield sink
    sink.stop()


@pytest.fixture(autouse=True)
def _outbox_settings(settings, monkeypatch):
    settings.FOREWARN_PUBLIC_URL = "https://forewarn.example.police.uk"
    settings.FOREWARN_OUTBOX_BACKOFF_SECONDS = 30.0
    settings.FOREWARN_OUTBOX_BACKOFF_MAX_SECONDS = 3600.0
    settings.FOREWARN_OUTBOX_MAX_ATTEMPTS = 8
    settings.FOREWARN_OUTBOX_LEASE_SECONDS = 120.0
    monkeypatch.setattr(cli, "_setup_django", lambda: None)  # pytest-django has configured Django


# -- signing -----------------------------------------------------------------------------------------
def test_signature_verifies_and_refuses_tampering_and_old_timestamps():
    body = b'{"id":"abc","type":"register.alert"}'
    now = time.time()
    ts = int(now)
    signature = delivery.webhook_signature(secret=SECRET, timestamp=ts, body=body)
    assert signature.startswith("v1=") and len(signature) == 3 + 64
    verify = delivery.webhook_signature_verify
    assert verify(secret=SECRET, timestamp=str(ts), body=body, signature=signature, now=now)
    assert verify(secret=SECRET, timestamp=ts, body=body.decode(), signature=signature, now=now)  # str body
    # Tampered body, tampered timestamp, wrong secret, a mangled or missing signature.
    assert not verify(secret=SECRET, timestamp=ts, body=body.replace(b"abc", b"abd"), signature=signature, now=now)
    assert not verify(secret=SECRET, timestamp=ts + 1, body=body, signature=signature, now=now)
    assert not verify(secret=SECRET + "x", timestamp=ts, body=body, signature=signature, now=now)
    assert not verify(secret=SECRET, timestamp=ts, body=body, signature=signature[:-1] + "0", now=now) or \
        signature.endswith("0")
    assert not verify(secret=SECRET, timestamp=ts, body=body, signature="", now=now)
    assert not verify(secret=SECRET, timestamp="yesterday", body=body, signature=signature, now=now)
    # A captured request replayed later (or a clock far ahead) is refused, even correctly signed.
    old = ts - 301
    old_signature = delivery.webhook_signature(secret=SECRET, timestamp=old, body=body)
    assert not verify(secret=SECRET, timestamp=old, body=body, signature=old_signature, now=now)
    assert verify(secret=SECRET, timestamp=old, body=body, signature=old_signature, now=now, tolerance_seconds=400)
    future = ts + 301
    assert not verify(secret=SECRET, timestamp=future, body=body,
                      signature=delivery.webhook_signature(secret=SECRET, timestamp=future, body=body), now=now)
    # Several signatures (a receiver mid-rotation): any one valid is enough.
    assert verify(secret=SECRET, timestamp=ts, body=body, signature=f"v1={'0' * 64}, {signature}", now=now)


def test_webhook_request_signs_the_exact_bytes_sent():
    recipient = build_recipient()
    endpoint = build_endpoint("https://psd.met.example/hook")
    [message] = queue(recipient, endpoint=endpoint)
    body, headers = delivery.webhook_request(message, secret=SECRET, timestamp=1_760_000_000)
    assert headers["Idempotency-Key"] == message.idempotency_key
    assert headers["X-Forewarn-Timestamp"] == "1760000000"
    assert headers["X-Forewarn-Signature"] == delivery.webhook_signature(secret=SECRET, timestamp=1_760_000_000,
                                                                         body=body)
    payload = json.loads(body)
    assert payload["id"] == message.idempotency_key and payload["type"] == "register.alert"
    assert payload["alert"]["person"] == {"id": recipient.alert.person_id, "name": f"{PERSON_GIVEN} {PERSON_FAMILY}",
                                          "date_of_birth": "1984-05-04"}
    assert payload["alert"]["entry"] == recipient.alert.summary  # passed on as is
    assert payload["alert"]["reasons"] == [REASON]
    assert payload["recipient"] == {"organisation": "MET", "unit": "standards", "basis": "employs",
                                    "acknowledge_by": ACKNOWLEDGE_BY.isoformat()}


# -- back-off -----------------------------------------------------------------------------------------
def test_backoff_doubles_from_the_base_and_is_capped_at_an_hour():
    table = delivery.backoff_table(max_attempts=8, base=30, cap=3600)
    assert table == [(1, 30.0), (2, 60.0), (3, 120.0), (4, 240.0), (5, 480.0), (6, 960.0), (7, 1920.0), (8, None)]
    assert delivery.backoff_delay(8, base=30, cap=3600, jitter=0) == 3600.0
    assert delivery.backoff_delay(500, base=30, cap=3600, jitter=0) == 3600.0
    rng = random.Random(4)
    delays = [delivery.backoff_delay(3, base=30, cap=3600, rng=rng) for _ in range(200)]
    assert all(108.0 <= d <= 120.0 for d in delays)  # jitter takes up to 10 % off, never adds
    assert len({round(d, 3) for d in delays}) > 100  # and it does vary
    capped = [delivery.backoff_delay(20, base=30, cap=3600, rng=rng) for _ in range(50)]
    assert max(capped) <= 3600.0


def test_failures_back_off_then_become_a_dead_letter(receiver, settings):
    settings.FOREWARN_OUTBOX_MAX_ATTEMPTS = 3
    receiver.fail_with = 500
    [message] = queue(build_recipient(), endpoint=build_endpoint(receiver.url))
    expected_waits = {1: 30, 2: 60}
    for attempt in (1, 2):
        before = timezone.now()
        result = run_once()
        message = fresh(message)
        assert (result.retried, result.delivered, result.dead) == (1, 0, 0)
        assert message.status == DeliveryStatus.PENDING and message.attempts == attempt
        assert message.last_error.startswith(f"HTTP 500 from {receiver.url}")
        assert message.leased_until is None
        wait = (message.next_attempt_at - before).total_seconds()
        assert expected_waits[attempt] * 0.9 - 1 <= wait <= expected_waits[attempt] + 1
        assert run_once().claimed == 0  # not due again before its back-off has passed
        make_due(message)
    result = run_once()
    message = fresh(message)
    assert result.dead == 1 and message.status == DeliveryStatus.DEAD and message.attempts == 3
    assert "HTTP 500" in message.last_error
    assert Event.objects.filter(action="register.outbox.dead", object_id=message.pk).count() == 1
    make_due(message)
    assert run_once().claimed == 0  # a dead letter is never picked up again by itself
    assert receiver.processed == []


def test_timeouts_and_refused_connections_are_retried_with_the_error_recorded(settings):
    down = WebhookReceiver(SECRET)  # never started: nothing listens on its port
    [message] = queue(build_recipient(), endpoint=build_endpoint(down.url))
    assert run_once().retried == 1
    message = fresh(message)
    assert message.status == DeliveryStatus.PENDING and message.attempts == 1
    assert "ConnectError" in message.last_error


def test_inactive_endpoint_goes_straight_to_the_dead_letters_with_the_reason(receiver):
    endpoint = build_endpoint(receiver.url, active=False)
    [message] = queue(build_recipient(), endpoint=endpoint)
    result = run_once()
    message = fresh(message)
    assert result.dead == 1 and message.status == DeliveryStatus.DEAD and message.attempts == 1
    assert f"webhook endpoint {endpoint.pk}" in message.last_error and "deactivated" in message.last_error
    assert receiver.seen == []


# -- webhooks to a real receiver ------------------------------------------------------------------------
def test_webhook_reaches_a_real_receiver_signed_and_keyed(receiver):
    recipient = build_recipient(unit="vetting")
    endpoint = build_endpoint(receiver.url, unit="vetting")
    messages = queue(recipient, endpoint=endpoint, count=3) + queue(recipient, endpoint=endpoint, purpose="escalation")
    result = run_once()
    assert result.delivered == 4 and receiver.refused == 0
    assert sorted(receiver.processed) == sorted(m.idempotency_key for m in messages)
    for message in messages:
        message = fresh(message)
        assert message.status == DeliveryStatus.DELIVERED and message.delivered_at is not None
        assert message.attempts == 1 and message.last_error == ""
        body = receiver.bodies[message.idempotency_key]
        assert body["id"] == message.idempotency_key
        assert body["type"] == ("register.alert.escalated" if message.purpose == "escalation" else "register.alert")
        assert body["recipient"]["unit"] == "vetting"
        assert receiver.headers[message.idempotency_key]["Content-Type"] == "application/json"


def test_a_receiver_with_another_secret_refuses_and_the_message_is_retried(receiver):
    [message] = queue(build_recipient(), endpoint=build_endpoint(receiver.url, secret="fwhk_someone-elses"))
    assert run_once().retried == 1
    assert receiver.refused == 1 and receiver.processed == []
    assert fresh(message).last_error.startswith("HTTP 401")


def test_receiver_down_then_up_delivers_on_retry(receiver):
    [message] = queue(build_recipient(), endpoint=build_endpoint(receiver.url))
    receiver.stop()
    assert run_once().retried == 1
    assert "ConnectError" in fresh(message).last_error
    receiver.start()
    make_due(message)
    assert run_once().delivered == 1
    message = fresh(message)
    assert message.status == DeliveryStatus.DELIVERED and message.attempts == 2
    assert receiver.processed == [message.idempotency_key] and receiver.seen == [message.idempotency_key]


def test_delivered_messages_are_not_sent_again(receiver):
    [message] = queue(build_recipient(), endpoint=build_endpoint(receiver.url))
    assert run_once().delivered == 1
    make_due(message)  # even if it looked due, a delivered row is not pending
    assert run_once().claimed == 0
    assert delivery.outbox_claim(batch=10) == []
    assert receiver.seen == [message.idempotency_key]


# -- e-mail -------------------------------------------------------------------------------------------
def _mail_text(msg) -> str:
    return f"{msg.subject}\n{msg.body}\n{json.dumps(msg.extra_headers)}"


def test_email_carries_no_allegation_details():
    recipient = build_recipient()
    [message] = queue(recipient, email="head.psd@met.police.example")
    email = delivery.email_for(message)
    text = _mail_text(email)
    assert email.subject == "Forewarn: a register alert for your professional standards department"
    assert email.to == ["head.psd@met.police.example"]
    assert f"https://forewarn.example.police.uk/register/alerts/{recipient.pk}/" in email.body
    assert "Metropolitan Police" in email.body  # which unit
    assert AlertTrigger.SERIOUS_ALLEGATION.label in email.body  # the trigger's label
    assert ACKNOWLEDGE_BY_TEXT in email.body  # acknowledge by
    for secret_detail in (PERSON_GIVEN, PERSON_FAMILY, "1984", CATEGORY, "sexual", "Sexual", REASON, "SPB-DC",
                          "gross", "kent.police"):
        assert secret_detail not in text, secret_detail
    assert email.extra_headers["X-Forewarn-Idempotency-Key"] == message.idempotency_key
    assert email.extra_headers["Message-ID"] == f"<{message.idempotency_key}@forewarn.example.police.uk>"


def test_escalation_email_says_so():
    recipient = build_recipient(unit="vetting")
    [message] = queue(recipient, email="head.psd@met.police.example", purpose="escalation")
    email = delivery.email_for(message)
    assert email.subject == "Forewarn: a register alert for your vetting unit has been escalated"
    assert f"not acknowledged by {ACKNOWLEDGE_BY_TEXT}" in email.body and "escalated to you" in email.body
    assert PERSON_FAMILY not in _mail_text(email) and CATEGORY not in _mail_text(email)


def test_email_through_a_real_smtp_server(smtp):
    recipient = build_recipient()
    messages = queue(recipient, email="head.psd@met.police.example") + queue(recipient, email="dep@met.police.example")
    result = run_once()
    assert result.delivered == 2
    wait_for(lambda: len(smtp.messages) == 2, what="two messages at the SMTP server")
    received = {m["To"]: m for m in smtp.messages}
    assert set(received) == {"head.psd@met.police.example", "dep@met.police.example"}
    for message in messages:
        got = received[message.email]
        assert got["Subject"] == "Forewarn: a register alert for your professional standards department"
        assert got["Message-ID"] == f"<{message.idempotency_key}@forewarn.example.police.uk>"
        assert got["X-Forewarn-Idempotency-Key"] == message.idempotency_key
        assert got["From"] == django_settings.DEFAULT_FROM_EMAIL
        body = got.get_content()
        assert f"/register/alerts/{recipient.pk}/" in body
        assert PERSON_FAMILY not in body and CATEGORY not in body and REASON not in body
        assert fresh(message).status == DeliveryStatus.DELIVERED
    assert [e.rcpt_tos for e in smtp.envelopes] in (
        [["head.psd@met.police.example"], ["dep@met.police.example"]],
        [["dep@met.police.example"], ["head.psd@met.police.example"]])


def test_smtp_server_down_is_retried(smtp):
    [message] = queue(build_recipient(), email="head.psd@met.police.example")
    smtp.stop()
    assert run_once().retried == 1
    message = fresh(message)
    assert message.status == DeliveryStatus.PENDING and message.last_error
    smtp.start()
    make_due(message)
    assert run_once().delivered == 1
    wait_for(lambda: len(smtp.messages) == 1, what="the retried message")


# -- the worker loop ------------------------------------------------------------------------------------
def test_worker_once_drains_several_batches_and_exits(receiver):
    recipient, endpoint = build_recipient(), build_endpoint(receiver.url)
    queue(recipient, endpoint=endpoint, count=7)
    result = run_once(batch=3)
    assert (result.claimed, result.delivered) == (7, 7)
    assert len(receiver.processed) == 7
    assert any(line.startswith("Batch of 3:") for line in result.lines)
    assert result.lines[-1] == "Worker stopped: 7 delivered, 0 to retry, 0 dead letters."


def test_worker_command_once_exits_zero(receiver):
    queue(build_recipient(), endpoint=build_endpoint(receiver.url), count=2)
    outcome = CliRunner().invoke(cli.main, ["worker", "--once", "--batch", "5"])
    assert outcome.exit_code == 0, outcome.output
    assert "Worker stopped: 2 delivered" in outcome.output
    assert OutboxMessage.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2
    empty = CliRunner().invoke(cli.main, ["worker", "--once"])
    assert empty.exit_code == 0 and "Worker stopped: 0 delivered" in empty.output
    bad = CliRunner().invoke(cli.main, ["worker", "--batch", "0"])
    assert bad.exit_code == 2 and "--batch" in bad.output


def test_a_live_lease_is_not_claimed_an_expired_one_is(receiver):
    [message] = queue(build_recipient(), endpoint=build_endpoint(receiver.url))
    now = timezone.now()
    [claimed] = delivery.outbox_claim(batch=5, now=now, lease_seconds=60)
    assert claimed.pk == message.pk and claimed.attempts == 1
    assert claimed.leased_until == claimed.next_attempt_at == now + dt.timedelta(seconds=60)
    assert delivery.outbox_claim(batch=5, now=now + dt.timedelta(seconds=59)) == []
    # The worker holding it was killed: once the lease runs out, another takes it.
    [again] = delivery.outbox_claim(batch=5, now=now + dt.timedelta(seconds=61), lease_seconds=60)
    assert again.pk == message.pk and again.attempts == 2
    # The first worker, come back to life, may not overwrite the second's outcome.
    assert delivery.message_mark_failed(message=claimed, error="late") == DeliveryStatus.PENDING
    assert fresh(message).last_error == "" and fresh(message).leased_until == again.leased_until
    assert delivery.message_deliver(message=again) == DeliveryStatus.DELIVERED


def test_stopping_hands_back_the_rest_of_the_batch(receiver):
    messages = queue(build_recipient(), endpoint=build_endpoint(receiver.url), count=4)
    calls = []

    def stop_after_two():
        calls.append(1)
        return len(calls) > 2

    result = delivery.outbox_deliver_batch(batch=10, should_stop=stop_after_two)
    assert (result.claimed, result.delivered, result.released) == (4, 2, 2)
    rest = [fresh(m) for m in messages[2:]]
    assert all(m.status == DeliveryStatus.PENDING and m.attempts == 0 and m.leased_until is None for m in rest)
    assert all(m.next_attempt_at <= timezone.now() for m in rest)  # due at once, not after the lease


def test_worker_escalates_overdue_alerts_and_delivers_the_escalation():
    """The worker runs alerts_escalate_overdue: a copy not acknowledged in time goes to the force's head
    of professional standards, by e-mail (the in-app inbox is alerts.py's)."""
    head = make_user(Role.HEAD_OF_STANDARDS, organisation="MET", email="head.psd@met.police.example")
    recipient = build_recipient(unit="vetting", acknowledge_by=timezone.localdate() - dt.timedelta(days=1))
    result = run_once()
    recipient.refresh_from_db()
    assert recipient.escalated_at is not None
    assert any("Escalated 1 unacknowledged alert" in line for line in result.lines)
    [message] = OutboxMessage.objects.filter(recipient=recipient, purpose="escalation")
    assert message.status == DeliveryStatus.DELIVERED and message.email == head.email
    [sent] = mail.outbox
    assert sent.to == [head.email] and "escalated" in sent.subject


@pytest.mark.parametrize(("module", "job", "message"), [
    (alerts, "alerts_escalate_overdue", "Escalating overdue alerts failed"),
    (delivery, "outbox_purge", "Purging delivered messages failed"),
])
def test_a_failing_housekeeping_job_does_not_stop_deliveries(monkeypatch, receiver, module, job, message):
    def broken(**_kwargs):
        raise RuntimeError(f"{job} failed")

    monkeypatch.setattr(module, job, broken)
    queue(build_recipient(), endpoint=build_endpoint(receiver.url))
    result = run_once()
    assert result.delivered == 1
    assert any(message in line for line in result.lines)


def test_an_alert_raised_by_alerts_py_is_delivered_by_webhook_and_email(receiver, smtp):
    """End to end from the lead's alert_raise: the rows it queues are what the worker delivers."""
    person = PersonFactory(given_name=PERSON_GIVEN, family_name=PERSON_FAMILY)
    AppointmentFactory(person=person, organisation=org("KEN"), start_date=dt.date(2015, 1, 5))
    head = make_user(Role.HEAD_OF_STANDARDS, organisation="KEN", email="head.psd@kent.police.example")
    endpoint = build_endpoint(receiver.url, organisation="KEN", unit="standards")
    alert = alerts.alert_raise(person_id=person.pk, trigger=AlertTrigger.SERIOUS_ALLEGATION,
                               dedupe_key=f"test:{uuid.uuid4().hex}", occurred_on=timezone.localdate(),
                               summary={"entry": {"category": CATEGORY}}, reasons=[REASON])
    queued = OutboxMessage.objects.filter(recipient__alert=alert)
    assert {m.channel for m in queued} == {Channel.WEBHOOK, Channel.EMAIL}
    result = run_once()
    assert result.delivered == queued.count() and result.retried == result.dead == 0
    [key] = [m.idempotency_key for m in queued if m.endpoint_id == endpoint.pk]
    assert receiver.bodies[key]["alert"]["entry"] == {"entry": {"category": CATEGORY}}
    assert receiver.bodies[key]["recipient"]["organisation"] == "KEN"
    wait_for(lambda: any(m["To"] == head.email for m in smtp.messages), what="the head of standards' e-mail")


# -- waking on new rows (PostgreSQL LISTEN/NOTIFY; SQLite polls) ---------------------------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_wakes_on_a_new_row(receiver):
    """On PostgreSQL a committed outbox row wakes the worker at once (trigger + LISTEN), so a long
    poll interval does not delay delivery; on SQLite, where there is no LISTEN, the poll does."""
    listener = _Listener()
    assert listener.open() is ON_POSTGRES
    listener.close()
    poll = 30.0 if ON_POSTGRES else 0.05
    lines: list[str] = []
    worker = Worker(WorkerOptions(poll_interval=poll, escalate_every=3600), report=lines.append)
    errors = []

    def run():
        try:
            worker.run()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="worker")
    thread.start()
    try:
        # Started, and so about to find the outbox empty and wait: the row below arrives during that wait
        # (were it to arrive before, the first claim would take it and the test would still hold).
        wait_for(lambda: any(line.startswith("Worker started") for line in lines), timeout=10, what="start")
        recipient, endpoint = build_recipient(), build_endpoint(receiver.url)
        started = time.monotonic()
        [message] = queue(recipient, endpoint=endpoint)
        wait_for(lambda: receiver.processed, timeout=5, what="the webhook")
        assert time.monotonic() - started < 3.0  # far below the 30 s poll on PostgreSQL
        wait_for(lambda: fresh(message).status == DeliveryStatus.DELIVERED, timeout=5, what="delivered")
    finally:
        worker.stop()
        thread.join(timeout=40)
    assert not thread.is_alive() and not errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outbox_insert_notifies_listeners_on_postgresql():
    if not ON_POSTGRES:
        with connection.cursor() as cursor:  # SQLite: no trigger was installed
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE '%outbox%'")
            assert cursor.fetchone()[0] == 0
        return
    listener = _Listener()
    assert listener.open()
    try:
        assert listener.wait(0.05) is False  # nothing yet
        queue(build_recipient(), email="a@met.police.example", count=3)  # one statement, committed
        assert listener.wait(5) is True
    finally:
        listener.close()


# -- operators: outbox status, dead letters, retry -------------------------------------------------------
def _cli(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def test_outbox_status_dead_and_retry(receiver):
    recipient = build_recipient()
    endpoint = build_endpoint(receiver.url)
    delivered, dead, pending = queue(recipient, endpoint=endpoint, count=3)
    OutboxMessage.objects.filter(pk=delivered.pk).update(status=DeliveryStatus.DELIVERED)
    OutboxMessage.objects.filter(pk=dead.pk).update(status=DeliveryStatus.DEAD, attempts=8, last_error="HTTP 503")
    queue(recipient, email="x@met.police.example")
    status = _cli("outbox", "status")
    assert status.exit_code == 0, status.output
    assert "dead       webhook          1" in status.output and "pending    email            1" in status.output
    assert "Oldest pending:" in status.output
    listing = _cli("outbox", "dead")
    assert listing.exit_code == 0 and f"{dead.pk}" in listing.output and "HTTP 503" in listing.output
    assert "1 dead letter(s)." in listing.output

    retried = _cli("outbox", "retry", "--id", dead.pk)
    assert retried.exit_code == 0, retried.output
    dead = fresh(dead)
    assert dead.status == DeliveryStatus.PENDING and dead.attempts == 0 and dead.next_attempt_at <= timezone.now()
    event = Event.objects.get(action="register.outbox.retry", object_id=dead.pk)
    assert event.from_state == "dead" and event.to_state == "pending" and event.data["attempts"] == 8
    assert run_once().delivered == 3  # the retried one, the pending webhook and the e-mail
    assert fresh(dead).status == DeliveryStatus.DELIVERED


def _aged(message: OutboxMessage, *, status: str, days: float) -> OutboxMessage:
    """A message in `status`, delivered (or last tried) `days` ago."""
    when = timezone.now() - dt.timedelta(days=days)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=status, delivered_at=when if status == DeliveryStatus.DELIVERED else None)
    return fresh(message)


def outbox_ages(days_and_statuses):
    recipient = build_recipient()
    messages = queue(recipient, email="x@met.police.example", count=len(days_and_statuses))
    return [_aged(m, status=status, days=days) for m, (days, status) in zip(messages, days_and_statuses, strict=True)]


def test_purge_deletes_only_messages_delivered_before_the_keeping_period(settings):
    settings.FOREWARN_OUTBOX_KEEP_DAYS = 30
    old, recent, dead, pending = outbox_ages([(31, DeliveryStatus.DELIVERED), (29, DeliveryStatus.DELIVERED),
                                              (90, DeliveryStatus.DEAD), (90, DeliveryStatus.PENDING)])
    assert delivery.outbox_purge(chunk=1) == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, dead.pk, pending.pk}
    assert AlertRecipient.objects.count() == 1  # what was sent to whom stays on the alert
    assert delivery.outbox_purge() == 0
    assert delivery.outbox_purge(keep_days=28) == 1  # `recent` is past a shorter period


def test_purge_is_off_when_the_keeping_period_is_zero_and_refuses_a_negative_one(settings):
    settings.FOREWARN_OUTBOX_KEEP_DAYS = 0
    outbox_ages([(400, DeliveryStatus.DELIVERED)])
    assert delivery.outbox_purge() == 0 and OutboxMessage.objects.count() == 1
    with pytest.raises(ValidationFailed, match="keep_days"):
        delivery.outbox_purge(keep_days=-1)
    assert OutboxMessage.objects.count() == 1


def test_the_worker_purges_at_its_first_look_and_then_hourly(settings, monkeypatch):
    settings.FOREWARN_OUTBOX_KEEP_DAYS = 30
    outbox_ages([(45, DeliveryStatus.DELIVERED), (40, DeliveryStatus.DELIVERED)])
    result = run_once()
    assert not OutboxMessage.objects.exists()
    assert any("Purged 2 message(s) delivered more than 30 days ago" in line for line in result.lines)
    calls = []
    monkeypatch.setattr(delivery, "outbox_purge", lambda: calls.append(1) or 0)
    worker = Worker(WorkerOptions(once=True), report=lambda line: None)
    worker._maybe_purge()
    worker._maybe_purge()  # within the hour: not again
    assert calls == [1]


def test_outbox_purge_command(settings):
    settings.FOREWARN_OUTBOX_KEEP_DAYS = 30
    outbox_ages([(10, DeliveryStatus.DELIVERED), (40, DeliveryStatus.DELIVERED)])
    default = _cli("outbox", "purge")
    assert default.exit_code == 0 and "1 delivered message(s) older than 30 days purged." in default.output
    shorter = _cli("outbox", "purge", "--keep-days", 7)
    assert shorter.exit_code == 0 and "1 delivered message(s) older than 7 days purged." in shorter.output
    refused = _cli("outbox", "purge", "--keep-days", 0)
    assert refused.exit_code == 2 and "--keep-days" in refused.output
    settings.FOREWARN_OUTBOX_KEEP_DAYS = 0
    kept = _cli("outbox", "purge")
    assert kept.exit_code == 0 and "nothing purged" in kept.output


def test_outbox_retry_refusals_write_nothing():
    recipient = build_recipient()
    [delivered] = queue(recipient, email="x@met.police.example")
    OutboxMessage.objects.filter(pk=delivered.pk).update(status=DeliveryStatus.DELIVERED)
    before = Event.objects.count()
    for args, words in ((["--id", delivered.pk], "was delivered; it is not sent twice"),
                        (["--id", 999_999], "No outbox message with id 999999"),
                        ([], "give either --id N or --all-dead"),
                        (["--id", delivered.pk, "--all-dead"], "give either --id N or --all-dead")):
        outcome = _cli("outbox", "retry", *args)
        assert outcome.exit_code == 2 and words in outcome.output, outcome.output
    assert fresh(delivered).status == DeliveryStatus.DELIVERED
    assert Event.objects.count() == before


def test_outbox_retry_all_dead_leaves_deactivated_endpoints_dead(receiver):
    recipient = build_recipient()
    live, gone = build_endpoint(receiver.url), build_endpoint(receiver.url, active=False)
    messages = queue(recipient, endpoint=live, count=2) + queue(recipient, endpoint=gone)
    OutboxMessage.objects.update(status=DeliveryStatus.DEAD, attempts=8)
    outcome = _cli("outbox", "retry", "--all-dead")
    assert outcome.exit_code == 0 and "2 message(s) back to pending" in outcome.output
    assert [fresh(m).status for m in messages] == ["pending", "pending", "dead"]
    assert Event.objects.filter(action="register.outbox.retry").count() == 2
    single = _cli("outbox", "retry", "--id", messages[2].pk)
    assert single.exit_code == 2 and "deactivated" in single.output


# -- webhook endpoints: CLI -----------------------------------------------------------------------------
def test_webhook_cli_add_list_rotate_deactivate():
    admin = make_user(Role.ADMINISTRATOR, organisation="MET", username="met-admin")
    added = _cli("webhook", "add", "--user", "met-admin", "--unit", "vetting", "--url", "https://vet.met.example/in")
    assert added.exit_code == 0, added.output
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.organisation.code, endpoint.unit, endpoint.active) == ("MET", "vetting", True)
    assert endpoint.secret.startswith("fwhk_") and endpoint.secret in added.output  # shown once, here
    listed = _cli("webhook", "list", "--user", "met-admin")
    assert listed.exit_code == 0 and "https://vet.met.example/in" in listed.output
    assert endpoint.secret not in listed.output and "1 endpoint(s)." in listed.output
    rotated = _cli("webhook", "rotate", "--user", "met-admin", "--id", endpoint.pk)
    old = endpoint.secret
    endpoint.refresh_from_db()
    assert rotated.exit_code == 0 and endpoint.secret != old and endpoint.secret in rotated.output
    deactivated = _cli("webhook", "deactivate", "--user", "met-admin", "--id", endpoint.pk)
    endpoint.refresh_from_db()
    assert deactivated.exit_code == 0 and not endpoint.active and "inactive" in deactivated.output
    actions = list(Event.objects.filter(object_type="register.webhookendpoint", actor=admin)
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["register.webhooks.create", "register.webhooks.rotate", "register.webhooks.deactivate"]
    assert not Event.objects.filter(data__icontains=old).exists()  # no secret in the audit trail
    again = _cli("webhook", "rotate", "--user", "met-admin", "--id", endpoint.pk)
    assert again.exit_code == 2 and "deactivated" in again.output


def test_webhook_cli_bad_input_writes_nothing():
    make_user(Role.ADMINISTRATOR, organisation="MET", username="met-admin")
    make_user(Role.CASE_HANDLER, organisation="MET", username="met-handler")
    kent = build_endpoint("https://psd.kent.example/in", organisation="KEN")
    cases = [
        (["add", "--user", "met-admin", "--unit", "vetting", "--url", "http://psd.met.example/in"], "must use https"),
        (["add", "--user", "met-admin", "--unit", "vetting", "--url", "not a url"], "url:"),
        (["add", "--user", "met-admin", "--unit", "vetting", "--url", "https://u:p@psd.met.example/"], "user name"),
        (["add", "--user", "met-admin", "--unit", "canteen", "--url", "https://psd.met.example/"], "--unit"),
        (["add", "--user", "met-handler", "--unit", "vetting", "--url", "https://psd.met.example/"], "permission"),
        (["add", "--user", "nobody", "--unit", "vetting", "--url", "https://psd.met.example/"], "No active user"),
        (["rotate", "--user", "met-admin", "--id", kent.pk], f"No webhook endpoint with id {kent.pk}"),
        (["deactivate", "--user", "met-admin", "--id", kent.pk], f"No webhook endpoint with id {kent.pk}"),
    ]
    for args, words in cases:
        outcome = _cli("webhook", *args)
        assert outcome.exit_code == 2 and words in outcome.output, (args, outcome.output)
    assert list(WebhookEndpoint.objects.all()) == [kent]
    kent.refresh_from_db()
    assert kent.active and kent.secret == SECRET


# -- webhook endpoints: services and API ------------------------------------------------------------------
def test_webhook_services_scope_and_roles():
    admin = make_user(Role.ADMINISTRATOR, organisation="MET")
    handler = make_user(Role.CASE_HANDLER, organisation="MET")
    with pytest.raises(PermissionDenied):
        delivery.webhook_endpoint_create(actor=handler, unit="standards", url="https://psd.met.example/")
    with pytest.raises(ValidationFailed) as bad_unit:
        delivery.webhook_endpoint_create(actor=admin, unit="canteen", url="https://psd.met.example/")
    assert bad_unit.value.field == "unit"
    kent = build_endpoint("https://psd.kent.example/", organisation="KEN")
    with pytest.raises(NotFound):
        delivery.webhook_endpoint_deactivate(actor=admin, webhook_id=kent.pk)
    assert delivery.webhook_endpoints_for_actor(actor=admin) == []
    endpoint, secret = delivery.webhook_endpoint_create(actor=admin, unit="standards", url="https://psd.met.example/")
    assert delivery.webhook_endpoints_for_actor(actor=admin) == [endpoint]
    assert Event.objects.filter(action="register.webhooks.list", kind="read").exists()
    delivery.webhook_endpoint_deactivate(actor=admin, webhook_id=endpoint.pk)
    count = Event.objects.count()
    delivery.webhook_endpoint_deactivate(actor=admin, webhook_id=endpoint.pk)  # again: nothing changes
    assert Event.objects.count() == count
    with pytest.raises(TransitionNotAllowed):
        delivery.webhook_endpoint_rotate(actor=admin, webhook_id=endpoint.pk)


def test_http_is_allowed_only_to_this_machine_and_only_where_settings_say(settings):
    settings.FOREWARN_WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    assert delivery.clean_webhook_url("http://127.0.0.1:8123/in") == "http://127.0.0.1:8123/in"
    assert delivery.clean_webhook_url("http://localhost/in") == "http://localhost/in"
    with pytest.raises(ValidationFailed):
        delivery.clean_webhook_url("http://10.0.0.5/in")
    settings.FOREWARN_WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(ValidationFailed) as refused:
        delivery.clean_webhook_url("http://127.0.0.1:8123/in")
    assert refused.value.code == "webhook.https_required"
    assert delivery.clean_webhook_url(" https://psd.met.example/in ") == "https://psd.met.example/in"


def test_webhook_api_create_list_rotate_deactivate():
    admin = make_user(Role.ADMINISTRATOR, organisation="MET")
    api = client_for(admin)
    created = api.post("/api/register/webhooks", {"unit": "standards", "url": "https://psd.met.example/in"})
    assert created.status_code == 201, created.content
    body = created.json()
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert body["secret"] == endpoint.secret and body["organisation"] == "MET" and body["active"] is True
    listed = api.get("/api/register/webhooks")
    assert listed.status_code == 200 and [e["id"] for e in listed.json()] == [endpoint.pk]
    assert "secret" not in listed.json()[0] and endpoint.secret not in listed.content.decode()
    rotated = api.post(f"/api/register/webhooks/{endpoint.pk}/rotate")
    endpoint.refresh_from_db()
    assert rotated.status_code == 200 and rotated.json()["secret"] == endpoint.secret != body["secret"]
    deactivated = api.post(f"/api/register/webhooks/{endpoint.pk}/deactivate")
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert "secret" not in deactivated.json()


def test_webhook_api_refusals():
    admin = make_user(Role.ADMINISTRATOR, organisation="MET")
    api = client_for(admin)
    kent = build_endpoint("https://psd.kent.example/in", organisation="KEN")
    assert api.post(f"/api/register/webhooks/{kent.pk}/rotate").status_code == 404
    assert api.post(f"/api/register/webhooks/{kent.pk}/deactivate").status_code == 404
    bad = api.post("/api/register/webhooks", {"unit": "standards", "url": "http://psd.met.example/in"})
    assert bad.status_code == 422 and bad.json()["field"] == "url"
    bad_unit = api.post("/api/register/webhooks", {"unit": "canteen", "url": "https://psd.met.example/in"})
    assert bad_unit.status_code == 422 and bad_unit.json()["field"] == "unit"
    handler = client_for(make_user(Role.CASE_HANDLER, organisation="MET"))
    assert handler.get("/api/register/webhooks").status_code == 403
    assert handler.post("/api/register/webhooks", {"unit": "standards", "url": "https://x.example/"}).status_code == 403
    assert list(WebhookEndpoint.objects.all()) == [kent]
    kent.refresh_from_db()
    assert kent.active and kent.secret == SECRET
