"""`forewarn otp reset` and `forewarn otp code`, and the demo users' authenticators."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from forewarn.audit.models import Event
from forewarn.demo import demo_users_create
from forewarn.organisations.authentication import otp_secret_base32, otp_verify
from forewarn.organisations.models import Role, User
from tests.factories import code_for, make_user
from tests.test_cli import _no_setup, run  # noqa: F401 (_no_setup is an autouse fixture)

pytestmark = pytest.mark.django_db


def test_reset_removes_the_authenticator_and_is_audited():
    make_user(Role.ADMINISTRATOR, username="admin1")
    target = make_user(Role.CASE_HANDLER, username="handler1")
    TOTPDevice.objects.create(user=target, confirmed=True)
    result = run("otp", "reset", "--user", "admin1", "--for-user", "handler1", "--reason", "phone lost")
    assert result.exit_code == 0, result.output
    assert "Authenticator reset for handler1" in result.output
    assert not TOTPDevice.objects.filter(user=target).exists()
    event = Event.objects.get(action="auth.otp_reset")
    assert event.actor.username == "admin1" and event.reason == "phone lost"


def test_reset_refusals_exit_2_with_one_line():
    make_user(Role.CASE_HANDLER, username="handler1")
    make_user(Role.ADMINISTRATOR, username="kentadmin", organisation="KEN")
    make_user(Role.ADMINISTRATOR, username="admin1")
    result = run("otp", "reset", "--user", "kentadmin", "--for-user", "handler1", "--reason", "x")
    assert result.exit_code == 2 and "error: not_found: No user with id" in result.output
    result = run("otp", "reset", "--user", "admin1", "--for-user", "admin1", "--reason", "x")
    assert result.exit_code == 2 and "error: otp.self_reset:" in result.output
    result = run("otp", "reset", "--user", "admin1", "--for-user", "handler1")
    assert result.exit_code == 2 and "--reason" in result.output
    assert not Event.objects.filter(action="auth.otp_reset").exists()


def test_code_is_refused_outside_development(settings):
    user = make_user(Role.CASE_HANDLER, username="handler1")
    device = TOTPDevice.objects.create(user=user, confirmed=True)
    settings.DEBUG = False
    result = run("otp", "code", "--user", "handler1")
    assert result.exit_code == 2 and "error: otp.debug_only:" in result.output
    settings.DEBUG = True
    result = run("otp", "code", "--user", "handler1")
    assert result.exit_code == 0 and result.output.strip() == code_for(device)


def test_demo_users_get_a_working_authenticator_printed_with_the_password(settings):
    users = demo_users_create()
    for demo in users:
        device = TOTPDevice.objects.get(user__username=demo.username)
        assert device.confirmed and otp_secret_base32(device) == demo.otp_secret
    first = {u.username: u.otp_secret for u in users}
    again = {u.username: u.otp_secret for u in demo_users_create()}
    assert all(first[name] != again[name] for name in first)  # new keys on every run, like passwords
    assert TOTPDevice.objects.count() == len(users)
    settings.DEBUG = True
    code = run("otp", "code", "--user", "met-psd").output.strip()
    user = User.objects.get(username="met-psd")
    assert otp_verify(user=user, code=code).user == user


def test_demo_prints_the_authenticator_keys_and_how_to_get_a_code(monkeypatch):
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: None)
    result = run("demo", "--people", 100, "--years", 1, "--no-serve")
    assert result.exit_code == 0, result.output
    key = TOTPDevice.objects.get(user__username="met-handler")
    assert f"authenticator key {otp_secret_base32(key)}" in result.output
    assert "forewarn otp code --user met-psd" in result.output
