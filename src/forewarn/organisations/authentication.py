"""Staff sign-in: the second factor (TOTP, RFC 6238), the sign-in audit trail and session time limits.

Every member of staff signs in with a password and then a 6-digit code from an authenticator app
(OWASP ASVS 2.7/2.8, level 2: multi-factor for access to personal data of this sensitivity). The
TOTP devices, their secrets and the per-device exponential throttle on wrong codes are django-otp's;
lockout by username and address after repeated failures is django-axes's (settings.AXES_*). This
module holds the rules around them: enrolment, verification, the administrator-led reset, and the
audit events for each (ASVS 7.2.1: every authentication decision is logged).

API bearer tokens (`services.api_token_authenticate`) are the machine path and carry no second
factor; a session used against the API must be verified like any web page (`VerifiedSessionAuth`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from base64 import b32encode
from dataclasses import dataclass

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from ninja.security import SessionAuth

from forewarn.audit.services import event_record
from forewarn.core.errors import NotFound, PermissionDenied, ValidationFailed
from forewarn.organisations.models import Role, User

logger = logging.getLogger(__name__)

CODE_PATTERN = re.compile(r"^\d{6}$")
DEVICE_NAME = "Authenticator app"

# Session keys for the time limits (settings.SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT).
SIGNED_IN_AT = "forewarn_signed_in_at"
LAST_SEEN_AT = "forewarn_last_seen_at"


class SignInFailure:
    """Why a sign-in step failed, as recorded in the audit event (`data.reason`)."""

    CREDENTIALS = "credentials"
    LOCKED_OUT = "locked_out"
    OTP_CODE = "otp_code"
    OTP_THROTTLED = "otp_throttled"


# -- TOTP devices ------------------------------------------------------------------------------------------
def otp_confirmed_device(*, user) -> TOTPDevice | None:
    """The user's confirmed authenticator, or None if they have not enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def otp_enrolment_device(*, user) -> TOTPDevice:
    """The unconfirmed device being enrolled: created once, reused so the QR code survives a reload."""
    if otp_confirmed_device(user=user) is not None:
        raise ValidationFailed("This user already has a confirmed authenticator.", code="otp.already_enrolled")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def otp_secret_base32(device: TOTPDevice) -> str:
    """The shared secret in the base32 form authenticator apps accept when typed in."""
    return b32encode(device.bin_key).decode("ascii")


def otp_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URI as an inline SVG QR code (made here: no request leaves the server)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=15, border=4)
    return image.to_string(encoding="unicode")


def _code_clean(code: str | None) -> str:
    cleaned = re.sub(r"\s+", "", code or "")
    if not CODE_PATTERN.match(cleaned):
        raise ValidationFailed("code: enter the 6-digit code shown in your authenticator app.", field="code",
                               code="otp.code_format")
    return cleaned


def _throttle_check(*, user, device: TOTPDevice) -> None:
    """django-otp doubles the wait after each wrong code (1 s, 2 s, 4 s…) per device (ASVS 2.2.1)."""
    allowed, details = device.verify_is_allowed()
    if allowed:
        return
    until = (details or {}).get("locked_until")
    wait = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    sign_in_failure_record(username=user.get_username(), user=user, reason=SignInFailure.OTP_THROTTLED)
    raise ValidationFailed(f"code: too many wrong codes. Wait {wait} seconds, then enter a new code.",
                           field="code", code="otp.throttled", wait_seconds=wait)


def _verify(*, user, device: TOTPDevice, code: str) -> TOTPDevice:
    """Check a code against one device. A wrong code is committed to the throttle and audited."""
    cleaned = _code_clean(code)
    _throttle_check(user=user, device=device)
    # django_otp.verify_token locks the device row and commits the throttle count on failure; each
    # code is accepted once only (last_t), so an observed code cannot be replayed (ASVS 2.8.4).
    verified = django_otp.verify_token(user, device.persistent_id, cleaned)
    if verified is None:
        sign_in_failure_record(username=user.get_username(), user=user, reason=SignInFailure.OTP_CODE)
        raise ValidationFailed("code: the code is not correct. Check the time on your device and enter the "
                               "code your authenticator app shows now.", field="code", code="otp.code_invalid")
    return verified


def otp_enrolment_confirm(*, user, code: str) -> TOTPDevice:
    """Confirm the device being enrolled with a code it produced; the user is then verified."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None or otp_confirmed_device(user=user) is not None:
        raise ValidationFailed("There is no authenticator being set up; start again.", code="otp.no_enrolment")
    device = _verify(user=user, device=device, code=code)
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        event_record(actor=user, action="auth.otp_enrol", obj=device, data={"device_id": device.pk})
        event_record(actor=user, action="auth.sign_in", obj=user, data={"factors": ["password", "totp"]})
    return device


def otp_verify(*, user, code: str) -> TOTPDevice:
    """Verify the second factor of a sign-in against the user's confirmed device."""
    device = otp_confirmed_device(user=user)
    if device is None:
        raise ValidationFailed("Set up an authenticator app first.", code="otp.not_enrolled")
    device = _verify(user=user, device=device, code=code)
    event_record(actor=user, action="auth.sign_in", obj=user, data={"factors": ["password", "totp"]})
    return device


def otp_device_reset(*, actor, user_id: int, reason: str) -> User:
    """An administrator removes a user's authenticator (lost or replaced phone); they enrol anew at next sign-in.

    Removing the device also ends its verification in every open session of that user: django-otp
    finds no device for the session's device id, so the next request goes back to the 2FA step.
    """
    user = User.objects.filter(pk=user_id).first()
    is_admin = getattr(actor, "is_authenticated", False) and actor.has_any_role({Role.ADMINISTRATOR})
    # Deny by default: a user outside the administrator's organisation looks exactly like no user.
    if user is None or not is_admin or actor.organisation_id != user.organisation_id:
        raise NotFound(f"No user with id {user_id}.", field="user")
    if actor.pk == user.pk:
        # One person must not be able to swap both factors alone (ASVS 2.5.6: secure recovery).
        raise PermissionDenied("An administrator cannot reset their own authenticator; ask another "
                               "administrator of the organisation.", code="otp.self_reset")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason: say why the authenticator is being reset.", field="reason",
                               code="validation.required")
    with transaction.atomic():
        devices = list(TOTPDevice.objects.select_for_update().filter(user=user).values_list("id", flat=True))
        TOTPDevice.objects.filter(pk__in=devices).delete()
        event_record(actor=actor, action="auth.otp_reset", obj=user, reason=reason,
                     data={"user_id": user.pk, "devices_removed": len(devices)})
    return user


def otp_current_code(*, user) -> str:
    """The code the user's authenticator shows now. Development only: it lets a demo user past 2FA."""
    if not settings.DEBUG:
        raise PermissionDenied("Printing one-time codes is only possible in development (FOREWARN_DEBUG=1).",
                               code="otp.debug_only")
    device = otp_confirmed_device(user=user) or TOTPDevice.objects.filter(user=user).order_by("id").first()
    if device is None:
        raise NotFound(f"User '{user.get_username()}' has no authenticator.", field="user")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


# -- the sign-in audit trail -------------------------------------------------------------------------------
def sign_in_failure_record(*, username: str, reason: str, user=None) -> None:
    """Audit a refused sign-in step. The object is the account tried or, for an unknown name, the
    django-axes attempt row that counts towards the lockout (the event needs something to point at)."""
    username = (username or "")[:150]
    if user is None:
        user = User.objects.filter(username=username).first()
    if user is None:
        from axes.models import AccessAttempt

        obj = AccessAttempt.objects.filter(username=username).order_by("-attempt_time", "-id").first()
        if obj is None:  # axes is switched off (AXES_ENABLED): its own log is gone too, so say so
            logger.warning("Sign-in failed for unknown username %r (%s); no attempt row to audit.", username, reason)
            return
    else:
        obj = user
    # The person at the keyboard is unknown when a password fails (actor None); after the password
    # step the session belongs to the user, so a wrong code is theirs.
    actor = user if reason in (SignInFailure.OTP_CODE, SignInFailure.OTP_THROTTLED) else None
    event_record(actor=actor, action="auth.sign_in_failed", obj=obj,
                 data={"username": username, "reason": reason})


def password_accepted_record(*, user) -> None:
    """Audit the first step passing: a password accepted but never followed by a code is worth seeing."""
    event_record(actor=user, action="auth.password_accepted", obj=user, data={})


def sign_out_record(*, user, reason: str) -> None:
    """Audit the end of a session: signed out, or expired (idle or absolute limit)."""
    event_record(actor=user, action="auth.sign_out", obj=user, data={"reason": reason})


# -- session time limits ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionLimits:
    idle: dt.timedelta
    absolute: dt.timedelta

    @classmethod
    def from_settings(cls) -> SessionLimits:
        return cls(idle=dt.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT),
                   absolute=dt.timedelta(seconds=settings.SESSION_ABSOLUTE_TIMEOUT))


def session_start(session, *, now: dt.datetime | None = None) -> None:
    """Stamp a freshly signed-in session; the limits count from here."""
    stamp = (now or timezone.now()).timestamp()
    session[SIGNED_IN_AT] = stamp
    session[LAST_SEEN_AT] = stamp


def session_expiry_reason(session, *, now: dt.datetime | None = None,
                          limits: SessionLimits | None = None) -> str | None:
    """'idle', 'absolute' or 'unstamped' when the session must end; None while it is live.

    A session with no sign-in stamp was not made by the sign-in flow and is ended (deny by default).
    """
    limits = limits or SessionLimits.from_settings()
    now_ts = (now or timezone.now()).timestamp()
    signed_in_at, last_seen_at = session.get(SIGNED_IN_AT), session.get(LAST_SEEN_AT)
    if not isinstance(signed_in_at, (int, float)) or not isinstance(last_seen_at, (int, float)):
        return "unstamped"
    if now_ts - signed_in_at >= limits.absolute.total_seconds():
        return "absolute"
    if now_ts - last_seen_at >= limits.idle.total_seconds():
        return "idle"
    return None


def session_touch(session, *, now: dt.datetime | None = None) -> None:
    """Record activity. Written at most once a minute so a busy page does not save the session on
    every request; the idle limit is therefore exact to within a minute."""
    now_ts = (now or timezone.now()).timestamp()
    if now_ts - session.get(LAST_SEEN_AT, 0) >= 60:
        session[LAST_SEEN_AT] = now_ts


# -- the API -------------------------------------------------------------------------------------------------
class VerifiedSessionAuth(SessionAuth):
    """django-ninja session authentication that also needs the session's second factor verified.

    StaffAuthenticationMiddleware already hides an unverified session from the API; this keeps the
    rule where a reader of the API's `auth=` expects it, and holds if the middleware is ever removed.
    """

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        # is_verified() is installed by django-otp's OTPMiddleware; without it nobody is verified.
        if user is None or not getattr(user, "is_verified", lambda: False)():
            return None
        return user
