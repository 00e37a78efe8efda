"""Complainant access without a staff account: one-time codes by e-mail, and a short session for one case.

The complainant gives the case reference and their e-mail address. If a complainant party of that
case has that address, a one-time code is e-mailed to it; the answer on screen is the same whether
or not anything matched, so the form cannot be used to find out who complained about what (OWASP
ASVS 2.5.2 / WSTG-IDNT-04, account enumeration). A valid code opens a 30-minute session that sees
that one case, through that one party, and nothing else.

Codes: 8 random digits (`secrets`), kept only as a keyed hash, valid for 15 minutes, used once,
dead after 5 wrong tries (OWASP ASVS 2.7.2, 2.7.6; NIST SP 800-63B 5.1.3 and 5.2.2). Requests are
limited per case reference and per e-mail address. Every request, every code entered and every
page the complainant sees is an audit event with no actor and the party in its data. Code events
are security events, not steps of the case, so they stay off the case's statutory timeline (which
the subject officer's side may read); page views are read events, like a member of staff's.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import asdict, dataclass
from functools import partial

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from forewarn.audit.services import event_record, read_record
from forewarn.cases.models import CaseType, Party, PartyRole
from forewarn.core.errors import DomainError
from forewarn.portal.models import AccessAttempt, AccessCode, AttemptKind

CODE_DIGITS = 8
CODE_LIFETIME = dt.timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5
SESSION_LIFETIME = dt.timedelta(minutes=30)
# Code requests per case reference, and per e-mail address, in any hour. Enough for a complainant
# who mistypes; too few to flood someone's inbox or to try many codes.
REQUESTS_PER_WINDOW = 5
RATE_WINDOW = dt.timedelta(hours=1)
REFERENCE_MAX = 24  # cases.Case.reference


class CodeRefused(DomainError):
    """The code was wrong, expired, used, or there was none: one answer for all (no enumeration)."""

    code = "portal.code_invalid"
    http_status = 400
    title = "The code is not valid"


@dataclass(frozen=True)
class PortalGrant:
    """What a complainant's session may see: one party of one case, until `expires_at`."""

    party_id: int
    case_id: int
    expires_at: dt.datetime
    # A keyed hash of the address the code went to: if staff change the party's address, the
    # session ends (the old address may be the reason it was changed).
    email_key: str

    def as_session(self) -> dict:
        return {**asdict(self), "expires_at": self.expires_at.isoformat()}

    @classmethod
    def from_session(cls, data) -> PortalGrant | None:
        try:
            return cls(party_id=int(data["party_id"]), case_id=int(data["case_id"]),
                       expires_at=dt.datetime.fromisoformat(data["expires_at"]), email_key=str(data["email_key"]))
        except (KeyError, TypeError, ValueError):
            return None


def normal_reference(value: str | None) -> str:
    return (value or "").strip().upper()


def normal_email(value: str | None) -> str:
    return (value or "").strip().lower()


def ledger_key(kind: str, value: str) -> str:
    """A keyed hash of what was typed: the ledger can count it without storing it."""
    return salted_hmac(f"forewarn.portal.{kind}", value, algorithm="sha256").hexdigest()


def _code_hash(code: str, salt: str, party_id: int) -> str:
    return salted_hmac(f"forewarn.portal.code.{salt}", f"{party_id}:{code}", algorithm="sha256").hexdigest()


def _matching_party(reference: str, email: str) -> Party | None:
    """The complainant of the case with that reference who gave that address, if any."""
    if not reference or not email or len(reference) > REFERENCE_MAX or len(email) > 254:
        return None
    if "\x00" in reference or "\x00" in email:
        return None
    return (Party.objects.filter(case__reference=reference, case__case_type=CaseType.COMPLAINT,
                                 role=PartyRole.COMPLAINANT, email__iexact=email)
            .select_related("case").order_by("id").first())


def _party_data(party: Party | None) -> dict:
    return {"party_id": party.pk, "party_role": party.role, "case_id": party.case_id} if party else {}


def _as_typed(reference: str) -> str:
    """The reference as typed, for the audit record: bounded, and storable (no NUL in PostgreSQL JSON)."""
    return reference[:REFERENCE_MAX].replace("\x00", "")


def _send_code(*, address: str, reference: str, code: str) -> None:
    context = {"reference": reference, "code": f"{code[:4]} {code[4:]}",
               "minutes": int(CODE_LIFETIME.total_seconds() // 60)}
    send_mail(subject=f"Your code to follow complaint {reference}",
              message=render_to_string("portal/email/code.txt", context),
              from_email=None, recipient_list=[address])


def access_code_request(*, reference: str, email: str) -> None:
    """E-mail a one-time code if a complainant of that case gave that address. Returns nothing, ever.

    The caller shows the same message whatever happened; only the audit trail says what did.
    """
    now = timezone.now()
    reference, email = normal_reference(reference), normal_email(email)
    reference_key, email_key = ledger_key("reference", reference), ledger_key("email", email)
    with transaction.atomic():
        recent = AccessAttempt.objects.filter(kind=AttemptKind.REQUEST, throttled=False,
                                              created_at__gte=now - RATE_WINDOW)
        throttled = (recent.filter(reference_key=reference_key).count() >= REQUESTS_PER_WINDOW
                     or recent.filter(email_key=email_key).count() >= REQUESTS_PER_WINDOW)
        party = _matching_party(reference, email)
        attempt = AccessAttempt.objects.create(kind=AttemptKind.REQUEST, reference_key=reference_key,
                                               email_key=email_key, matched=party is not None,
                                               throttled=throttled, created_at=now)
        if throttled:
            event_record(actor=None, action="portal.code_request_throttled", obj=party or attempt,
                         data={**_party_data(party), "attempt_id": attempt.pk, "reference": _as_typed(reference)})
            return
        if party is None:
            event_record(actor=None, action="portal.code_request_unmatched", obj=attempt,
                         data={"reference": _as_typed(reference)})
            return
        # Only the newest code works: asking again retires the one before.
        AccessCode.objects.filter(party=party, used_at__isnull=True, invalidated_at__isnull=True).update(
            invalidated_at=now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(16)
        access = AccessCode.objects.create(party=party, case=party.case, code_hash=_code_hash(code, salt, party.pk),
                                           salt=salt, created_at=now, expires_at=now + CODE_LIFETIME)
        event_record(actor=None, action="portal.code_sent", obj=access,
                     data={**_party_data(party), "expires_at": access.expires_at.isoformat()})
        # After commit, so a code is never sent that was not stored; a mail failure is logged, and the
        # complainant sees the same message and can ask again.
        transaction.on_commit(partial(_send_code, address=party.email, reference=party.case.reference, code=code),
                              robust=True)


def _refusal(access: AccessCode, typed: str, now: dt.datetime) -> str | None:
    if access.used_at is not None:
        return "used"
    if access.invalidated_at is not None:  # the newest code is only ever retired by too many tries
        return "locked"
    if access.expires_at <= now:
        return "expired"
    if not constant_time_compare(_code_hash(typed, access.salt, access.party_id), access.code_hash):
        return "wrong"
    return None


def access_code_verify(*, reference: str, email: str, code: str) -> PortalGrant:
    """Exchange a valid code for a grant to one case; otherwise CodeRefused, with the try recorded.

    Unlike most refusals this one writes: the wrong try counts towards the limit and is audited,
    which is the point. The grant itself is not stored; the caller keeps it in the session.
    """
    now = timezone.now()
    reference, email = normal_reference(reference), normal_email(email)
    typed = re.sub(r"[\s-]", "", code or "")
    grant = None
    with transaction.atomic():
        attempt = AccessAttempt.objects.create(kind=AttemptKind.VERIFY, reference_key=ledger_key("reference", reference),
                                               email_key=ledger_key("email", email), created_at=now)
        party = _matching_party(reference, email)
        access = (AccessCode.objects.select_for_update().filter(party=party).order_by("-created_at", "-id").first()
                  if party else None)
        if access is None:
            event_record(actor=None, action="portal.code_rejected", obj=attempt,
                         data={**_party_data(party), "reason": "no_code",
                               "reference": _as_typed(reference)})
        else:
            attempt.matched = True
            attempt.save(update_fields=["matched"])
            reason = _refusal(access, typed, now)
            if reason == "wrong":
                access.attempts += 1
                if access.attempts >= MAX_CODE_ATTEMPTS:
                    access.invalidated_at = now
                access.save(update_fields=["attempts", "invalidated_at"])
            elif reason is None:
                access.attempts += 1
                access.used_at = now
                access.save(update_fields=["attempts", "used_at"])
                grant = PortalGrant(party_id=party.pk, case_id=party.case_id, expires_at=now + SESSION_LIFETIME,
                                    email_key=ledger_key("email", normal_email(party.email)))
            event_record(actor=None, action="portal.code_accepted" if grant else "portal.code_rejected", obj=access,
                         data={**_party_data(party), "attempts": access.attempts,
                                                **({"reason": reason} if reason else {})})
    if grant is None:
        raise CodeRefused("code: The code is not valid or has expired. Check it, or ask for a new code.",
                          field="code")
    return grant


def portal_access_record(*, party: Party, document=None) -> None:
    """Audit what the complainant was shown: their case page, or one letter (no actor; the party named).

    A read event, like a member of staff's: it shows in "who has viewed this record", not in the
    case's statutory timeline.
    """
    read_record(actor=None, obj=document or party.case, case=party.case, reason="complainant portal",
                data={**_party_data(party), "via": "portal"})
