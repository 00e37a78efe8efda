"""Signing in: password, then enrolling or entering an authenticator code; lockout; session limits; audit."""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from forewarn.audit.models import Event
from forewarn.organisations.authentication import LAST_SEEN_AT, SIGNED_IN_AT, otp_device_reset
from forewarn.organisations.models import Role
from forewarn.organisations.services import api_token_issue
from tests.factories import code_for, make_user, sign_in, wrong_code_for

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
SIGN_IN = reverse("web:sign-in")
TWO_FACTOR = reverse("web:two-factor")


def password_step(client, user, password=PASSWORD, **extra):
    return client.post(SIGN_IN, {"username": user.username, "password": password, **extra})


def session_id(client) -> str:
    return client.cookies["sessionid"].value


def test_first_sign_in_enrols_an_authenticator_and_rotates_the_session_at_each_step(client, handler):
    client.get(SIGN_IN)
    response = password_step(client, handler)
    assert response.status_code == 302 and response["Location"] == f"{TWO_FACTOR}?next=%2F"
    after_password = session_id(client)

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "Set up your authenticator app" in html
    device = TOTPDevice.objects.get(user=handler, confirmed=False)
    assert "<svg" in html and "<path" in html  # the QR code, inline: the page makes no outside request
    secret = re.search(r'<code id="otp-secret">([A-Z2-7 ]+)</code>', html).group(1)
    assert secret.replace(" ", "") == TOTPDevice.objects.get(pk=device.pk).config_url.split("secret=")[1][:32]
    assert page["Cache-Control"].startswith("max-age=0") and "no-store" in page["Cache-Control"]

    wrong = client.post(TWO_FACTOR, {"code": wrong_code_for(device), "next": "/"})
    assert wrong.status_code == 200 and "The code is not correct" in wrong.content.decode()
    assert client.get(reverse("web:case-list"))["Location"].startswith(TWO_FACTOR)

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    done = client.post(TWO_FACTOR, {"code": code_for(device), "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert session_id(client) != after_password  # rotated again once fully signed in
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(reverse("web:case-list")).status_code == 200
    actions = list(Event.objects.filter(object_type="organisations.user", object_id=handler.pk)
                   .values_list("action", flat=True))
    assert actions == ["auth.password_accepted", "auth.sign_in_failed", "auth.sign_in"]


def test_enrolled_user_enters_a_code_and_goes_where_they_were_going(client, handler):
    device = TOTPDevice.objects.create(user=handler, name="phone", confirmed=True)
    start = client.get(reverse("web:case-list"))
    assert start["Location"] == f"{SIGN_IN}?next=/cases/"
    response = password_step(client, handler, next="/cases/")
    assert response["Location"] == f"{TWO_FACTOR}?next=%2Fcases%2F"
    page = client.get(response["Location"]).content.decode()
    assert "Enter your security code" in page and "<svg" not in page and 'autocomplete="one-time-code"' in page
    assert "Police complaints and misconduct" not in page  # no service navigation before the second factor
    done = client.post(TWO_FACTOR, {"code": code_for(device), "next": "/cases/"})
    assert done["Location"] == "/cases/"


def test_next_never_leaves_the_site(client, handler):
    device = TOTPDevice.objects.create(user=handler, confirmed=True)
    password_step(client, handler)
    done = client.post(TWO_FACTOR, {"code": code_for(device), "next": "https://attacker.example/"})
    assert done["Location"] == reverse("web:my-work")


def test_an_empty_or_malformed_code_is_a_field_error(client, handler):
    TOTPDevice.objects.create(user=handler, confirmed=True)
    password_step(client, handler)
    for code, message in (("", "Enter the 6-digit code from your authenticator app."),
                          ("12ab", "Enter the 6-digit code shown in your authenticator app.")):
        html = client.post(TWO_FACTOR, {"code": code}).content.decode()
        assert "govuk-error-summary" in html and message in html


def test_a_verified_user_is_sent_on_from_the_code_page(client, handler):
    sign_in(client, handler)
    assert client.get(TWO_FACTOR)["Location"] == reverse("web:my-work")


# -- lockout and back-off ------------------------------------------------------------------------------------
def lock_out(client, username, limit=5):
    responses = [client.post(SIGN_IN, {"username": username, "password": "wrong password"}) for _ in range(limit)]
    assert [r.status_code for r in responses] == [200] * (limit - 1) + [429]
    return responses[-1]


def test_five_wrong_passwords_lock_out_that_name_from_that_address_with_one_message_for_all(handler):
    known, unknown = Client(), Client()
    locked_known = lock_out(known, handler.username)
    locked_unknown = lock_out(unknown, "no-such-user")
    html = locked_known.content.decode()
    assert "Sign-in paused" in html and "Wait 15 minutes" in html
    # No account enumeration: the same page, byte for byte, whether or not the account exists.
    assert locked_known.content == locked_unknown.content
    # Even the right password is refused during the lockout.
    assert password_step(known, handler).status_code == 429
    assert "_auth_user_id" not in known.session
    # Someone at another address is not locked out of the same account.
    other = Client(REMOTE_ADDR="192.0.2.10")
    assert password_step(other, handler)["Location"].startswith(TWO_FACTOR)

    failures = Event.objects.filter(action="auth.sign_in_failed")
    assert [e.data["reason"] for e in failures.filter(object_type="organisations.user")] == \
        ["credentials"] * 5 + ["locked_out"]
    assert all(e.actor_id is None for e in failures)
    # Audit data is canonical JSON text (the hashed bytes), so it is matched in Python, not by a JSON lookup.
    assert [e.data["username"] for e in failures.filter(object_type="axes.accessattempt")].count("no-such-user") == 5


def test_the_wrong_password_message_does_not_say_whether_the_account_exists(client, handler):
    a = client.post(SIGN_IN, {"username": handler.username, "password": "wrong"}).content.decode()
    b = client.post(SIGN_IN, {"username": "no-such-user", "password": "wrong"}).content.decode()
    message = "Please enter a correct username and password"
    assert message in a and message in b


def test_cool_off_ends_the_lockout_and_each_attempt_during_it_restarts_the_wait(client, handler):
    lock_out(client, handler.username)
    attempt = AccessAttempt.objects.get(username=handler.username)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - dt.timedelta(minutes=14))
    assert password_step(client, handler).status_code == 429  # back-off: the wait starts again now
    attempt.refresh_from_db()
    assert attempt.attempt_time > timezone.now() - dt.timedelta(minutes=1)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert password_step(client, handler)["Location"].startswith(TWO_FACTOR)


def test_wrong_codes_count_towards_the_lockout_and_end_the_session(client, handler, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # take django-otp's own per-device back-off out of this test
    device = TOTPDevice.objects.create(user=handler, confirmed=True)
    password_step(client, handler)
    statuses = [client.post(TWO_FACTOR, {"code": wrong_code_for(device)}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert client.get(reverse("web:my-work"))["Location"].startswith(SIGN_IN)  # signed out
    assert password_step(client, handler).status_code == 429
    assert [e.data.get("reason") for e in Event.objects.filter(action="auth.sign_in_failed")].count("otp_code") == 5


def test_a_complete_sign_in_clears_earlier_failures(client, handler):
    device = TOTPDevice.objects.create(user=handler, confirmed=True)
    for _ in range(3):
        password_step(client, handler, password="wrong")
    password_step(client, handler)
    assert AccessAttempt.objects.filter(username=handler.username).exists()  # a password alone does not
    client.post(TWO_FACTOR, {"code": code_for(device)})
    assert not AccessAttempt.objects.filter(username=handler.username).exists()


# -- session limits ------------------------------------------------------------------------------------------
def _age_session(client, **ago):
    session = client.session
    for key, delta in ago.items():
        session[key] = (timezone.now() - delta).timestamp()
    session.save()


def test_an_idle_session_ends_with_a_message_and_an_audit_event(client, handler):
    sign_in(client, handler)
    _age_session(client, **{LAST_SEEN_AT: dt.timedelta(minutes=31)})
    response = client.get(reverse("web:case-list"))
    assert response["Location"] == f"{SIGN_IN}?next=/cases/"
    assert "had not used Forewarn for a while" in client.get(response["Location"]).content.decode()
    assert Event.objects.get(action="auth.sign_out").data == {"reason": "expired_idle"}


def test_activity_keeps_a_session_alive_until_the_absolute_limit(client, handler):
    sign_in(client, handler)
    _age_session(client, **{LAST_SEEN_AT: dt.timedelta(minutes=25), SIGNED_IN_AT: dt.timedelta(hours=7)})
    assert client.get(reverse("web:case-list")).status_code == 200
    assert client.session[LAST_SEEN_AT] > (timezone.now() - dt.timedelta(minutes=1)).timestamp()
    _age_session(client, **{SIGNED_IN_AT: dt.timedelta(hours=8, seconds=1)})
    assert client.get(reverse("web:case-list"))["Location"].startswith(SIGN_IN)
    assert Event.objects.get(action="auth.sign_out").data == {"reason": "expired_absolute"}


def test_a_session_not_made_by_the_sign_in_pages_is_ended(client, handler):
    client.force_login(handler)  # no sign-in stamp, no second factor
    assert client.get(reverse("web:my-work"))["Location"].startswith(SIGN_IN)


def test_api_session_expiry_answers_401(client, handler):
    sign_in(client, handler)
    _age_session(client, **{LAST_SEEN_AT: dt.timedelta(hours=1)})
    assert client.get("/api/me").status_code == 401


def test_sign_out_is_audited(client, handler):
    sign_in(client, handler)
    client.post(reverse("web:sign-out"))
    assert Event.objects.get(action="auth.sign_out").data == {"reason": "signed_out"}


# -- the API and the reset -----------------------------------------------------------------------------------
def test_the_api_needs_a_verified_session_but_tokens_need_no_second_factor(client, handler):
    password_step(client, handler)  # password only
    assert client.get("/api/me").status_code == 401
    _, secret = api_token_issue(actor=handler, user_id=handler.id, name="script", scopes=["read"])
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    TOTPDevice.objects.filter(user=handler).delete()
    device = TOTPDevice.objects.create(user=handler, confirmed=True)
    client.post(TWO_FACTOR, {"code": code_for(device)})
    assert client.get("/api/me").json()["id"] == handler.id


def test_an_administrator_reset_sends_open_sessions_back_to_enrolment(client, handler):
    sign_in(client, handler)
    assert client.get(reverse("web:case-list")).status_code == 200
    otp_device_reset(actor=make_user(Role.ADMINISTRATOR), user_id=handler.pk, reason="phone stolen")
    response = client.get(reverse("web:case-list"))
    assert response["Location"].startswith(TWO_FACTOR)
    assert "Set up your authenticator app" in client.get(response["Location"]).content.decode()
