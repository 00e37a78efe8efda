"""Delivering register alerts: the outbox worker's services, signed webhooks, e-mail, operators' tools.

`register.alerts` writes `OutboxMessage` rows in the same transaction as the change that calls for
them (the transactional outbox, issue #4 §2). The worker (`register.worker`, `forewarn worker`)
delivers them with these functions:

1. `outbox_claim` takes up to a batch of due rows under a lease, counts the attempt and commits, so
   a slow receiver never holds a database transaction open. The lease is written into
   `next_attempt_at` too: a worker killed mid-batch leaves rows that fall due again when their lease
   runs out, and another worker (or the same one, restarted) takes them.
2. `message_deliver` sends one message outside any transaction and then marks it delivered, or
   schedules a retry with exponential back-off, or after `FOREWARN_OUTBOX_MAX_ATTEMPTS` attempts
   moves it to the dead-letter state.

Delivery is at least once: a worker killed after the receiver answered but before the row was
marked sends that message again. Every attempt carries the message's idempotency key (the
`Idempotency-Key` header and the body's `id` for webhooks; `Message-ID` and
`X-Forewarn-Idempotency-Key` for e-mail), so a receiver that keeps each key once processes every
message exactly once. docs/notifications.md explains the whole path.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Count, F, Min
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record, read_search
from forewarn.core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from forewarn.core.validation import clean_choice
from forewarn.organisations import permissions
from forewarn.register.models import (
    AlertTrigger,
    Channel,
    DeliveryStatus,
    OutboxMessage,
    Unit,
    WebhookEndpoint,
)

logger = logging.getLogger("forewarn.register.delivery")

SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "fwhk_"
EVENT_TYPES = {"alert": "register.alert", "escalation": "register.alert.escalated"}
LAST_ERROR_MAX = 2000


def _setting(name: str, default):
    return getattr(settings, name, default)


# -- signing ---------------------------------------------------------------------------------------
def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def webhook_signature(*, secret: str, timestamp: int | str, body: str | bytes) -> str:
    """The `X-Forewarn-Signature` value: `v1=` and the hex HMAC-SHA256 of `"{timestamp}.{body}"`.

    The timestamp is signed with the body so a captured request cannot be replayed later with a fresh
    timestamp (receivers refuse old timestamps, `webhook_signature_verify`).
    """
    signed = _as_bytes(str(timestamp)) + b"." + _as_bytes(body)
    digest = hmac.new(_as_bytes(secret), signed, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def webhook_signature_verify(*, secret: str, timestamp: int | str, body: str | bytes, signature: str,
                             tolerance_seconds: int = 300, now: float | None = None) -> bool:
    """For receivers: is this request signed with `secret`, and recent? Pass the raw body as received.

    `signature` is the `X-Forewarn-Signature` header; several comma-separated `v1=` values are
    accepted (any one matching is enough). A timestamp more than `tolerance_seconds` from now, in
    either direction, is refused: a replay of a captured request fails once it is that old.
    """
    try:
        sent_at = int(str(timestamp).strip())
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_seconds:
        return False
    expected = webhook_signature(secret=secret, timestamp=sent_at, body=body)
    offered = [part.strip() for part in (signature or "").split(",")]
    # compare_digest for every candidate: no early exit that would time the comparison.
    return any([hmac.compare_digest(expected, candidate) for candidate in offered if candidate])


# -- what is sent --------------------------------------------------------------------------------------
def webhook_payload(message: OutboxMessage) -> dict:
    """The JSON body of a webhook: the alert as the recipient unit may read it in its inbox.

    A webhook goes to a unit's own receiver over HTTPS and is signed, so unlike e-mail it carries
    the register entry (`entry`: what `register.alerts` put in `Alert.summary`, passed on as is).
    """
    recipient = message.recipient
    alert = recipient.alert
    person = alert.person
    return {
        "id": message.idempotency_key,
        "type": EVENT_TYPES.get(message.purpose, f"register.{message.purpose}"),
        "created_at": message.created_at.isoformat(),
        "alert": {
            "id": alert.pk,
            "trigger": alert.trigger,
            "occurred_on": alert.occurred_on.isoformat(),
            "person": {"id": person.pk, "name": person.full_name,
                       "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None},
            "reasons": list(alert.reasons or []),
            "entry": alert.summary,
        },
        "recipient": {
            "organisation": recipient.organisation.code,
            "unit": recipient.unit,
            "basis": recipient.basis,
            "acknowledge_by": recipient.acknowledge_by.isoformat(),
        },
    }


def webhook_request(message: OutboxMessage, *, secret: str, timestamp: int | None = None) -> tuple[bytes, dict]:
    """The exact bytes to POST and their headers (signature over those bytes)."""
    body = json.dumps(webhook_payload(message), cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": message.idempotency_key,
        "X-Forewarn-Timestamp": str(timestamp),
        "X-Forewarn-Signature": webhook_signature(secret=secret, timestamp=timestamp, body=body),
        "User-Agent": "Forewarn-Webhooks/1",
    }
    return body, headers


def alert_link(recipient_id: int) -> str:
    """Where a recipient signs in to read an alert (the inbox item)."""
    return f"{settings.FOREWARN_PUBLIC_URL.rstrip('/')}/register/alerts/{recipient_id}/"


def _message_id(message: OutboxMessage) -> str:
    host = urlsplit(settings.FOREWARN_PUBLIC_URL).hostname or "forewarn.invalid"
    return f"<{message.idempotency_key}@{host}>"


def email_for(message: OutboxMessage) -> EmailMessage:
    """The e-mail for an outbox message: a notice and a sign-in link, never the allegation.

    E-mail is not a secure channel (it crosses servers outside the police network and sits in
    mailboxes that are forwarded, shared and printed), so it says only which unit has an alert, what
    kind (the trigger's label) and when; the person, the allegation and its category are read after
    signing in (UK GDPR art 5(1)(f), art 32; DPA 2018 s40 for law-enforcement processing).
    """
    recipient = message.recipient
    alert = recipient.alert
    unit = Unit(recipient.unit).label
    unit_lower = unit[0].lower() + unit[1:]
    organisation = recipient.organisation.name
    trigger = AlertTrigger(alert.trigger).label if alert.trigger in AlertTrigger.values else alert.trigger
    when = timezone.localtime(alert.created_at).strftime("%d %B %Y at %H:%M").lstrip("0")
    acknowledge_by = recipient.acknowledge_by.strftime("%d %B %Y").lstrip("0")
    if message.purpose == "escalation":
        subject = f"Forewarn: a register alert for your {unit_lower} has been escalated"
        # The IOPC's oversight copies go to its administrators (register.alerts.ESCALATION_ROLE).
        as_whom = ("an administrator of the IOPC" if recipient.unit == Unit.OVERSIGHT
                   else "head of professional standards")
        opening = (f"A register alert for the {unit_lower} of {organisation} was not acknowledged by "
                   f"{acknowledge_by}. It has been escalated to you as {as_whom}.")
    else:
        subject = f"Forewarn: a register alert for your {unit_lower}"
        opening = (f"The {unit_lower} of {organisation} has a new alert in the national allegations "
                   f"register. Please acknowledge it by {acknowledge_by}.")
    body = "\n".join([
        opening,
        "",
        f"Alert: {trigger}",
        f"Raised: {when}",
        "",
        "Sign in to Forewarn to read it:",
        alert_link(recipient.pk),
        "",
        "This e-mail does not contain the details of the alert, because e-mail is not a secure channel.",
        "Do not reply to it.",
        "",
    ])
    return EmailMessage(subject=subject, body=body, to=[message.email],
                        headers={"Message-ID": _message_id(message),
                                 "X-Forewarn-Idempotency-Key": message.idempotency_key})


# -- back-off --------------------------------------------------------------------------------------
def backoff_delay(attempts: int, *, base: float | None = None, cap: float | None = None,
                  jitter: float = 0.1, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base × 2^(attempts−1), capped.

    Jitter takes up to 10 % off, never adds, so the cap holds and receivers coming back up are not
    hit by every worker's retries in the same second.
    """
    base = float(_setting("FOREWARN_OUTBOX_BACKOFF_SECONDS", 30.0) if base is None else base)
    cap = float(_setting("FOREWARN_OUTBOX_BACKOFF_MAX_SECONDS", 3600.0) if cap is None else cap)
    exponent = max(attempts, 1) - 1
    delay = cap if exponent >= 64 else min(base * (2 ** exponent), cap)
    return delay * (1 - jitter * (rng or random).random())


def backoff_table(*, max_attempts: int | None = None, base: float | None = None,
                  cap: float | None = None) -> list[tuple[int, float | None]]:
    """(attempt, seconds until the next one; None: dead letter) for every attempt, without jitter."""
    max_attempts = int(_setting("FOREWARN_OUTBOX_MAX_ATTEMPTS", 8) if max_attempts is None else max_attempts)
    return [(n, None if n >= max_attempts else backoff_delay(n, base=base, cap=cap, jitter=0))
            for n in range(1, max_attempts + 1)]


# -- claiming, delivering, finishing ---------------------------------------------------------------------
class PermanentFailure(Exception):
    """A message that no retry can deliver (its endpoint was deactivated): straight to the dead letters."""


class DeliveryError(Exception):
    """A failed attempt worth retrying (the receiver answered other than 2xx)."""


def outbox_claim(*, batch: int = 20, now: dt.datetime | None = None,
                 lease_seconds: float | None = None) -> list[OutboxMessage]:
    """Claim up to `batch` due pending messages under a lease, count the attempt, commit.

    On PostgreSQL `SKIP LOCKED` lets several workers claim side by side without waiting on each
    other or taking the same row; SQLite serialises writers (BEGIN IMMEDIATE, see settings), which
    gives the same result one worker at a time.
    """
    now = now or timezone.now()
    lease = dt.timedelta(seconds=float(_setting("FOREWARN_OUTBOX_LEASE_SECONDS", 120.0)
                                       if lease_seconds is None else lease_seconds))
    leased_until = now + lease
    with transaction.atomic():
        due = (OutboxMessage.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "id"))
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:batch])
        if not ids:
            return []
        # The lease is also the next attempt time: a worker that dies holding it leaves rows that
        # fall due again by themselves, with no sweeper to run.
        OutboxMessage.objects.filter(pk__in=ids).update(leased_until=leased_until, next_attempt_at=leased_until,
                                                        attempts=F("attempts") + 1)
    return list(OutboxMessage.objects.filter(pk__in=ids)
                .select_related("endpoint", "recipient", "recipient__organisation", "recipient__alert",
                                "recipient__alert__person")
                .order_by("id"))


def _send_webhook(message: OutboxMessage, *, http: httpx.Client) -> None:
    endpoint = message.endpoint
    if endpoint is None:
        raise PermanentFailure("webhook message without an endpoint")
    if not endpoint.active:
        raise PermanentFailure(f"webhook endpoint {endpoint.pk} ({endpoint.url}) was deactivated; "
                               "not sent (a deactivated receiver must not get alerts)")
    body, headers = webhook_request(message, secret=endpoint.secret)
    response = http.post(endpoint.url, content=body, headers=headers)
    if not 200 <= response.status_code < 300:
        excerpt = response.text[:200].replace("\n", " ") if response.content else ""
        raise DeliveryError(f"HTTP {response.status_code} from {endpoint.url}" + (f": {excerpt}" if excerpt else ""))


def _send_email(message: OutboxMessage) -> None:
    if not message.email:
        raise PermanentFailure("e-mail message without an address")
    sent = email_for(message).send(fail_silently=False)
    if sent != 1:
        raise DeliveryError(f"the mail backend accepted {sent} messages for {message.email}")


def http_client() -> httpx.Client:
    timeout = float(_setting("FOREWARN_WEBHOOK_TIMEOUT_SECONDS", 5.0))
    # No redirects: a 3xx is not a delivery, and following one would post the alert to an address
    # the administrator never registered.
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)


def message_send(message: OutboxMessage, *, http: httpx.Client | None = None) -> None:
    """One attempt to hand a message over; raises on failure. Never inside a transaction."""
    if message.recipient is None:
        raise PermanentFailure("message without an alert recipient")
    if message.channel == Channel.WEBHOOK:
        if http is not None:
            _send_webhook(message, http=http)
            return
        with http_client() as client:
            _send_webhook(message, http=client)
        return
    if message.channel == Channel.EMAIL:
        _send_email(message)
        return
    raise PermanentFailure(f"unknown channel {message.channel!r}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (DeliveryError, PermanentFailure)):
        text = str(exc)
    elif isinstance(exc, httpx.TimeoutException):
        text = f"timed out: {type(exc).__name__}: {exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:LAST_ERROR_MAX]


def message_mark_delivered(*, message: OutboxMessage, now: dt.datetime | None = None) -> bool:
    """Mark a sent message delivered (whoever holds its lease now: it has been sent)."""
    now = now or timezone.now()
    done = (OutboxMessage.objects.filter(pk=message.pk, status=DeliveryStatus.PENDING)
            .update(status=DeliveryStatus.DELIVERED, delivered_at=now, leased_until=None, last_error=""))
    if done:
        message.status, message.delivered_at, message.leased_until, message.last_error = (
            DeliveryStatus.DELIVERED, now, None, "")
    return bool(done)


def message_mark_failed(*, message: OutboxMessage, error: str, permanent: bool = False,
                        now: dt.datetime | None = None) -> str:
    """Schedule the next attempt, or move the message to the dead letters. Returns the new status.

    Only while this worker still holds the lease it claimed with: a worker whose lease ran out (and
    whose message another worker has taken since) must not overwrite that worker's outcome.
    """
    now = now or timezone.now()
    max_attempts = int(_setting("FOREWARN_OUTBOX_MAX_ATTEMPTS", 8))
    dead = permanent or message.attempts >= max_attempts
    values = {"leased_until": None, "last_error": error[:LAST_ERROR_MAX]}
    if dead:
        values["status"] = DeliveryStatus.DEAD
    else:
        values["next_attempt_at"] = now + dt.timedelta(seconds=backoff_delay(message.attempts))
    with transaction.atomic():
        changed = (OutboxMessage.objects
                   .filter(pk=message.pk, status=DeliveryStatus.PENDING, leased_until=message.leased_until)
                   .update(**values))
        if changed and dead:
            # A dead letter is an alert a force may not have received: it goes on the record.
            event_record(actor=None, action="register.outbox.dead", obj=message, from_state=DeliveryStatus.PENDING,
                         to_state=DeliveryStatus.DEAD,
                         data={"channel": message.channel, "purpose": message.purpose,
                               "recipient_id": message.recipient_id, "attempts": message.attempts,
                               "last_error": values["last_error"]})
    if not changed:
        return message.status
    for name, value in values.items():
        setattr(message, name, value)
    return message.status


def message_deliver(*, message: OutboxMessage, http: httpx.Client | None = None) -> str:
    """Send one claimed message and record the outcome. Returns its new status."""
    try:
        message_send(message, http=http)
    except PermanentFailure as exc:
        return message_mark_failed(message=message, error=_describe(exc), permanent=True)
    except (DeliveryError, httpx.HTTPError, smtplib.SMTPException, OSError) as exc:
        logger.info("outbox message %s: attempt %s failed: %s", message.pk, message.attempts, exc)
        return message_mark_failed(message=message, error=_describe(exc))
    except Exception as exc:  # a fault of ours (a bug, bad data): retried, then a dead letter to inspect
        logger.exception("outbox message %s: unexpected error", message.pk)
        return message_mark_failed(message=message, error=_describe(exc))
    message_mark_delivered(message=message)
    return DeliveryStatus.DELIVERED


def outbox_release(*, messages: list[OutboxMessage]) -> int:
    """Hand back claimed messages not attempted (the worker is stopping): due now, attempt uncounted."""
    released = 0
    for message in messages:
        released += (OutboxMessage.objects
                     .filter(pk=message.pk, status=DeliveryStatus.PENDING, leased_until=message.leased_until)
                     .update(leased_until=None, next_attempt_at=timezone.now(), attempts=F("attempts") - 1))
    return released


@dataclass
class DrainResult:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DrainResult) -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.retried += other.retried
        self.dead += other.dead
        self.released += other.released
        self.errors += other.errors


def outbox_deliver_batch(*, batch: int = 20, http: httpx.Client | None = None,
                         should_stop: Callable[[], bool] = lambda: False) -> DrainResult:
    """Claim one batch and deliver it message by message; stop early (releasing the rest) if asked."""
    result = DrainResult()
    claimed = outbox_claim(batch=batch)
    result.claimed = len(claimed)
    for index, message in enumerate(claimed):
        if should_stop():
            result.released = outbox_release(messages=claimed[index:])
            break
        status = message_deliver(message=message, http=http)
        if status == DeliveryStatus.DELIVERED:
            result.delivered += 1
        elif status == DeliveryStatus.DEAD:
            result.dead += 1
            result.errors.append(f"message {message.pk} dead: {message.last_error}")
        else:
            result.retried += 1
            result.errors.append(f"message {message.pk} attempt {message.attempts}: {message.last_error}")
    return result


# -- operators ----------------------------------------------------------------------------------------
@dataclass
class OutboxStatus:
    counts: dict[tuple[str, str], int]  # (status, channel) -> count
    oldest_pending_at: dt.datetime | None
    leased: int

    @property
    def oldest_pending_age(self) -> dt.timedelta | None:
        return None if self.oldest_pending_at is None else timezone.now() - self.oldest_pending_at


def outbox_status() -> OutboxStatus:
    """Counts by status and channel, and the age of the oldest message still waiting."""
    rows = OutboxMessage.objects.order_by().values("status", "channel").annotate(n=Count("id"))
    counts = {(row["status"], row["channel"]): row["n"] for row in rows}
    pending = OutboxMessage.objects.filter(status=DeliveryStatus.PENDING)
    oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
    leased = pending.filter(leased_until__gt=timezone.now()).count()
    return OutboxStatus(counts=counts, oldest_pending_at=oldest, leased=leased)


def outbox_dead_list(*, limit: int = 200) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(status=DeliveryStatus.DEAD).select_related("endpoint")
                .order_by("id")[:limit])


def outbox_purge(*, now: dt.datetime | None = None, keep_days: int | None = None, chunk: int = 5_000) -> int:
    """Delete messages delivered more than `keep_days` ago (FOREWARN_OUTBOX_KEEP_DAYS); 0 keeps them all.

    A delivered row has done its work: what was sent, to which unit and when stays on the alert and
    its recipients (and the alert's audit event); the row itself holds an e-mail address or an
    endpoint and would otherwise grow without end (about two a serious allegation). Pending and dead
    messages are never purged. Deleted in chunks so no lock is held for long beside live deliveries.
    """
    keep_days = _setting("FOREWARN_OUTBOX_KEEP_DAYS", 30) if keep_days is None else keep_days
    if keep_days < 0:
        raise ValidationFailed(f"keep_days: {keep_days} is negative.", field="keep_days", code="validation.range")
    if keep_days == 0:
        return 0
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_days)
    purged = 0
    while True:
        ids = list(OutboxMessage.objects.filter(status=DeliveryStatus.DELIVERED, delivered_at__lt=cutoff)
                   .order_by("id").values_list("id", flat=True)[:chunk])
        if not ids:
            return purged
        purged += OutboxMessage.objects.filter(pk__in=ids, status=DeliveryStatus.DELIVERED).delete()[0]


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"


def outbox_retry(*, message_id: int | None = None, all_dead: bool = False) -> list[OutboxMessage]:
    """Put a dead (or waiting) message, or every dead one, back to pending with its attempts reset.

    An operator's command on the server (`forewarn outbox retry`), not a Forewarn user's action: the
    audit event names the operating-system account that ran it.
    """
    if (message_id is None) == (not all_dead):
        raise ValidationFailed("Give either a message id or --all-dead, not both.", field="id")
    now = timezone.now()
    with transaction.atomic():
        if all_dead:
            chosen = list(OutboxMessage.objects.select_for_update(of=("self",))
                          .filter(status=DeliveryStatus.DEAD).exclude(endpoint__active=False).order_by("id"))
        else:
            message = (OutboxMessage.objects.select_for_update(of=("self",)).select_related("endpoint")
                       .filter(pk=message_id).first())
            if message is None:
                raise NotFound(f"No outbox message with id {message_id}.", field="id")
            if message.status == DeliveryStatus.DELIVERED:
                raise TransitionNotAllowed(f"Message {message_id} was delivered; it is not sent twice.",
                                           code="outbox.already_delivered")
            if message.leased_until is not None and message.leased_until > now:
                raise TransitionNotAllowed(f"Message {message_id} is being delivered now; try again shortly.",
                                           code="outbox.leased")
            if message.endpoint is not None and not message.endpoint.active:
                raise TransitionNotAllowed(f"Message {message_id} is for webhook endpoint {message.endpoint_id}, "
                                           "which is deactivated.", code="outbox.endpoint_inactive")
            chosen = [message]
        operator = _operator()
        for message in chosen:
            before = (message.status, message.attempts, message.last_error)
            message.status, message.attempts, message.next_attempt_at = DeliveryStatus.PENDING, 0, now
            message.leased_until = None
            message.save(update_fields=["status", "attempts", "next_attempt_at", "leased_until"])
            event_record(actor=None, action="register.outbox.retry", obj=message, from_state=before[0],
                         to_state=DeliveryStatus.PENDING,
                         data={"operator": operator, "attempts": before[1], "last_error": before[2][:500]})
    return chosen


# -- webhook endpoints (register.webhooks.manage: a force's administrators, their own force only) ------
def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_webhook_url(url: str | None) -> str:
    """An https URL (http only to this machine, and only where settings allow it: tests, a local relay).

    The body carries a person's name and date of birth and the register entry: never over plain
    HTTP across a network.
    """
    url = (url or "").strip()
    if not url:
        raise ValidationFailed("url: this field is required.", field="url", code="validation.required")
    if len(url) > 500:
        raise ValidationFailed(f"url: at most 500 characters (got {len(url)}).", field="url",
                               code="validation.too_long")
    try:
        URLValidator(schemes=["https", "http"])(url)
    except DjangoValidationError:
        raise ValidationFailed(f"url: '{url[:100]}' is not a valid http(s) URL.", field="url",
                               code="validation.url") from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationFailed("url: must not contain a user name or password.", field="url", code="validation.url")
    if parts.scheme == "http" and not (_setting("FOREWARN_WEBHOOK_ALLOW_HTTP_LOOPBACK", False)
                                       and _loopback(parts.hostname or "")):
        raise ValidationFailed("url: must use https (the alerts carry personal data).", field="url",
                               code="webhook.https_required")
    return url


def _require_manager(actor) -> None:
    permissions.require(actor, "register.webhooks.manage")
    if getattr(actor, "organisation_id", None) is None:
        raise ValidationFailed("Your account belongs to no organisation.", field="organisation")


def webhook_endpoint_get_for_actor(*, actor, webhook_id: int, for_update: bool = False) -> WebhookEndpoint:
    """One of the actor's own organisation's endpoints, or NotFound (another force's is never confirmed)."""
    org_id = getattr(actor, "organisation_id", None) if permissions.is_signed_in(actor) else None
    qs = WebhookEndpoint.objects.filter(pk=webhook_id, organisation_id=org_id) if org_id else WebhookEndpoint.objects.none()
    if for_update:
        qs = qs.select_for_update()
    found = qs.first()
    if found is None:
        raise NotFound(f"No webhook endpoint with id {webhook_id}.", field="webhook_id")
    return found


def webhook_endpoints_for_actor(*, actor) -> list[WebhookEndpoint]:
    """The actor's organisation's endpoints (secrets are never shown again); the list is audited."""
    _require_manager(actor)
    found = list(WebhookEndpoint.objects.filter(organisation_id=actor.organisation_id).order_by("unit", "id"))
    read_search(actor=actor, action="register.webhooks.list", data={"ids": [e.pk for e in found]})
    return found


@audited_write("register.webhooks.create")
def webhook_endpoint_create(*, actor, unit: str, url: str) -> tuple[WebhookEndpoint, str]:
    """Register a receiver for one unit of the actor's organisation. Returns (endpoint, secret); the
    secret is shown this once (it is kept, because signing needs it, but never displayed again)."""
    _require_manager(actor)
    unit = clean_choice(unit, Unit, field="unit")
    url = clean_webhook_url(url)
    secret = _new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(organisation_id=actor.organisation_id, unit=unit, url=url,
                                                  secret=secret, active=True)
        # The secret stays out of the audit trail: the trail is read more widely than the secret may be.
        event_record(actor=actor, action="register.webhooks.create", obj=endpoint,
                     data={"unit": unit, "url": url})
    return endpoint, secret


@audited_write("register.webhooks.rotate", target="register.webhookendpoint")
def webhook_endpoint_rotate(*, actor, webhook_id: int) -> tuple[WebhookEndpoint, str]:
    """Replace an endpoint's secret (shown once). Messages sent from now on are signed with the new one."""
    _require_manager(actor)
    with transaction.atomic():
        endpoint = webhook_endpoint_get_for_actor(actor=actor, webhook_id=webhook_id, for_update=True)
        if not endpoint.active:
            raise TransitionNotAllowed(f"Webhook endpoint {webhook_id} is deactivated; register a new one.",
                                       code="webhook.inactive")
        secret = _new_secret()
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "updated_at"])
        event_record(actor=actor, action="register.webhooks.rotate", obj=endpoint,
                     data={"unit": endpoint.unit, "url": endpoint.url})
    return endpoint, secret


@audited_write("register.webhooks.deactivate", target="register.webhookendpoint")
def webhook_endpoint_deactivate(*, actor, webhook_id: int) -> WebhookEndpoint:
    """Stop sending to an endpoint. Its undelivered messages become dead letters when their turn
    comes. Deactivating an inactive endpoint changes nothing and records nothing."""
    _require_manager(actor)
    with transaction.atomic():
        endpoint = webhook_endpoint_get_for_actor(actor=actor, webhook_id=webhook_id, for_update=True)
        if endpoint.active:
            endpoint.active = False
            endpoint.save(update_fields=["active", "updated_at"])
            event_record(actor=actor, action="register.webhooks.deactivate", obj=endpoint,
                         from_state="active", to_state="inactive", data={"unit": endpoint.unit, "url": endpoint.url})
    return endpoint
