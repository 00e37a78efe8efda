"""Second factor and sign-in audit services: enrolment, verification, throttling, reset, session limits."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from forewarn.audit.models import Event
from forewarn.core.errors import NotFound, PermissionDenied, ValidationFailed
from forewarn.organisations import authentication as auth
from forewarn.organisations.models import Role
from tests.factories import code_for, make_user, wrong_code_for

pytestmark = pytest.mark.django_db


def test_enrolment_device_is_made_once_and_kept_until_confirmed(handler):
    first = auth.otp_enrolment_device(user=handler)
    assert not first.confirmed and auth.otp_enrolment_device(user=handler) == first
    assert TOTPDevice.objects.filter(user=handler).count() == 1
    secret = auth.otp_secret_base32(first)
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    svg = auth.otp_qr_svg(first)
    assert svg.startswith("<svg") and "<path" in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_enrolment_confirm_with_the_apps_code_confirms_and_audits(handler):
    device = auth.otp_enrolment_device(user=handler)
    TOTPDevice.objects.create(user=handler, name="stray", confirmed=False)
    confirmed = auth.otp_enrolment_confirm(user=handler, code=code_for(device))
    assert confirmed.pk == device.pk and TOTPDevice.objects.get(pk=device.pk).confirmed
    assert list(TOTPDevice.objects.filter(user=handler).values_list("pk", flat=True)) == [device.pk]
    enrol = Event.objects.get(action="auth.otp_enrol")
    assert enrol.actor == handler and enrol.object_id == device.pk
    assert Event.objects.get(action="auth.sign_in").data == {"factors": ["password", "totp"]}
    with pytest.raises(ValidationFailed) as err:
        auth.otp_enrolment_device(user=handler)
    assert err.value.code == "otp.already_enrolled"


def test_a_wrong_code_is_refused_counted_and_audited_against_the_user(handler):
    device = auth.otp_enrolment_device(user=handler)
    with pytest.raises(ValidationFailed) as err:
        auth.otp_enrolment_confirm(user=handler, code=wrong_code_for(device))
    assert err.value.code == "otp.code_invalid" and err.value.field == "code"
    device.refresh_from_db()
    assert not device.confirmed and device.throttling_failure_count == 1  # committed despite the refusal
    failed = Event.objects.get(action="auth.sign_in_failed")
    assert failed.data == {"username": handler.username, "reason": "otp_code"} and failed.actor == handler
    assert not Event.objects.filter(action__in=["auth.otp_enrol", "auth.sign_in"]).exists()


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_a_malformed_code_is_refused_without_counting(handler, code):
    device = auth.otp_enrolment_device(user=handler)
    with pytest.raises(ValidationFailed) as err:
        auth.otp_enrolment_confirm(user=handler, code=code)
    assert err.value.code == "otp.code_format"
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_spaces_in_a_code_are_ignored(handler):
    device = TOTPDevice.objects.create(user=handler, confirmed=True)
    code = code_for(device)
    assert auth.otp_verify(user=handler, code=f" {code[:3]} {code[3:]} ") == device


def test_wrong_codes_back_off_exponentially_and_a_right_code_after_the_wait_clears_it(handler):
    device = TOTPDevice.objects.create(user=handler, confirmed=True)
    with pytest.raises(ValidationFailed):
        auth.otp_verify(user=handler, code=wrong_code_for(device))
    # Straight away even the right code is refused: the device is throttled for 1 s, then 2 s, 4 s…
    with pytest.raises(ValidationFailed) as err:
        auth.otp_verify(user=handler, code=code_for(device))
    assert err.value.code == "otp.throttled" and err.value.context["wait_seconds"] >= 1
    assert [e.data.get("reason") for e in Event.objects.filter(action="auth.sign_in_failed")].count("otp_throttled") == 1
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=5))
    assert auth.otp_verify(user=handler, code=code_for(device)) == device
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_is_accepted_once_only(handler):
    device = TOTPDevice.objects.create(user=handler, confirmed=True)
    code = code_for(device)
    auth.otp_verify(user=handler, code=code)
    with pytest.raises(ValidationFailed) as err:
        auth.otp_verify(user=handler, code=code)
    assert err.value.code == "otp.code_invalid"


def test_verify_needs_a_confirmed_device(handler):
    auth.otp_enrolment_device(user=handler)
    with pytest.raises(ValidationFailed) as err:
        auth.otp_verify(user=handler, code="123456")
    assert err.value.code == "otp.not_enrolled"


# -- administrator-led reset -------------------------------------------------------------------------------
def test_an_administrator_resets_a_colleagues_authenticator_with_a_reason(handler):
    admin = make_user(Role.ADMINISTRATOR)
    TOTPDevice.objects.create(user=handler, confirmed=True)
    TOTPDevice.objects.create(user=handler, confirmed=False)
    auth.otp_device_reset(actor=admin, user_id=handler.pk, reason="  phone lost  ")
    assert not TOTPDevice.objects.filter(user=handler).exists()
    event = Event.objects.get(action="auth.otp_reset")
    assert event.actor == admin and event.object_id == handler.pk and event.reason == "phone lost"
    assert event.data == {"user_id": handler.pk, "devices_removed": 2}


def test_reset_is_denied_by_default(handler, other_force_handler):
    TOTPDevice.objects.create(user=handler, confirmed=True)
    kent_admin = make_user(Role.ADMINISTRATOR, organisation="KEN")
    met_admin = make_user(Role.ADMINISTRATOR)
    for actor in (kent_admin, other_force_handler, make_user(Role.CASE_HANDLER)):
        with pytest.raises(NotFound):  # out of scope looks like absent
            auth.otp_device_reset(actor=actor, user_id=handler.pk, reason="x")
    with pytest.raises(NotFound):
        auth.otp_device_reset(actor=met_admin, user_id=10**9, reason="x")
    with pytest.raises(PermissionDenied) as err:
        auth.otp_device_reset(actor=met_admin, user_id=met_admin.pk, reason="x")
    assert err.value.code == "otp.self_reset"
    with pytest.raises(ValidationFailed) as err:
        auth.otp_device_reset(actor=met_admin, user_id=handler.pk, reason="   ")
    assert err.value.field == "reason"
    assert TOTPDevice.objects.filter(user=handler).count() == 1
    assert not Event.objects.filter(action="auth.otp_reset").exists()


def test_current_code_is_for_development_only(handler, settings):
    device = TOTPDevice.objects.create(user=handler, confirmed=True)
    settings.DEBUG = False
    with pytest.raises(PermissionDenied) as err:
        auth.otp_current_code(user=handler)
    assert err.value.code == "otp.debug_only"
    settings.DEBUG = True
    assert auth.otp_current_code(user=handler) == code_for(device)
    with pytest.raises(NotFound):
        auth.otp_current_code(user=make_user(Role.CASE_HANDLER))


# -- sign-in failures in the audit trail -------------------------------------------------------------------
def test_a_failure_for_an_existing_account_points_at_it_with_no_actor(handler):
    auth.sign_in_failure_record(username=handler.username, reason=auth.SignInFailure.CREDENTIALS)
    event = Event.objects.get(action="auth.sign_in_failed")
    assert event.actor is None and event.organisation is None
    assert (event.object_type, event.object_id) == ("organisations.user", handler.pk)


def test_a_failure_for_an_unknown_name_points_at_the_lockout_counter():
    attempt = AccessAttempt.objects.create(username="nobody-here", ip_address="127.0.0.1", user_agent="t",
                                           failures_since_start=1, attempt_time=timezone.now())
    auth.sign_in_failure_record(username="nobody-here", reason=auth.SignInFailure.CREDENTIALS)
    event = Event.objects.get(action="auth.sign_in_failed")
    assert event.actor is None and (event.object_type, event.object_id) == ("axes.accessattempt", attempt.pk)
    assert event.data == {"username": "nobody-here", "reason": "credentials"}


# -- session time limits -----------------------------------------------------------------------------------
def test_session_limits_idle_absolute_and_unstamped():
    limits = auth.SessionLimits(idle=dt.timedelta(minutes=30), absolute=dt.timedelta(hours=8))
    start = timezone.now()
    session = {}
    assert auth.session_expiry_reason(session, now=start, limits=limits) == "unstamped"
    auth.session_start(session, now=start)
    assert auth.session_expiry_reason(session, now=start + dt.timedelta(minutes=29), limits=limits) is None
    assert auth.session_expiry_reason(session, now=start + dt.timedelta(minutes=30), limits=limits) == "idle"
    # Activity keeps it alive up to the absolute limit, and no further.
    moment = start
    while moment < start + dt.timedelta(hours=8):
        assert auth.session_expiry_reason(session, now=moment, limits=limits) is None
        auth.session_touch(session, now=moment)
        moment += dt.timedelta(minutes=20)
    assert auth.session_expiry_reason(session, now=moment, limits=limits) == "absolute"


def test_session_touch_writes_at_most_once_a_minute():
    start = timezone.now()
    session = {}
    auth.session_start(session, now=start)
    auth.session_touch(session, now=start + dt.timedelta(seconds=59))
    assert session[auth.LAST_SEEN_AT] == start.timestamp()
    auth.session_touch(session, now=start + dt.timedelta(seconds=61))
    assert session[auth.LAST_SEEN_AT] == (start + dt.timedelta(seconds=61)).timestamp()
