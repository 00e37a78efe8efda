"""Bearer tokens: issue, revoke, and what the API does with missing, bad, revoked and expired ones."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from forewarn.audit.models import Event
from forewarn.core.errors import NotFound, ValidationFailed
from forewarn.organisations.models import ApiToken, Role
from forewarn.organisations.services import api_token_issue, api_token_revoke
from tests.api.conftest import ApiClient
from tests.factories import make_user, only_refused, sign_in

pytestmark = pytest.mark.django_db


def test_issue_stores_only_the_hash_and_audits_without_the_secret(handler):
    token, secret = api_token_issue(actor=handler, user_id=handler.id, name="laptop", scopes=["read"])
    assert secret.startswith("fw_") and len(secret) > 40
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:10] and secret not in str(ApiToken.objects.values().get())
    event = Event.objects.get(action="api_token.issue")
    assert secret not in str(event.data) and token.token_hash not in str(event.data)
    assert event.data["scopes"] == ["read"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": "", "scopes": ["read"]}, "name"),
    ({"name": "x", "scopes": []}, "scopes"),
    ({"name": "x", "scopes": ["admin"]}, "scopes"),
    ({"name": "x", "scopes": ["read"], "expires_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "expires_at"),
])
def test_issue_refuses_bad_input_and_writes_nothing(handler, kwargs, field):
    with pytest.raises(ValidationFailed) as err:
        api_token_issue(actor=handler, user_id=handler.id, **kwargs)
    assert err.value.field == field
    assert ApiToken.objects.count() == 0 and only_refused()


def test_only_the_user_or_an_administrator_of_their_organisation_may_issue_or_revoke(handler, other_force_handler):
    with pytest.raises(NotFound):
        api_token_issue(actor=other_force_handler, user_id=handler.id, name="x", scopes=["read"])
    admin = make_user(Role.ADMINISTRATOR)
    token, _ = api_token_issue(actor=admin, user_id=handler.id, name="x", scopes=["read"])
    assert token.user == handler
    with pytest.raises(NotFound):
        api_token_revoke(actor=other_force_handler, token_id=token.id)
    api_token_revoke(actor=handler, token_id=token.id)
    api_token_revoke(actor=handler, token_id=token.id)  # idempotent: one event only
    assert Event.objects.filter(action="api_token.revoke", kind="change").count() == 1


def _assert_401(response):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 401 and body["code"] == "auth.required" and body["type"].endswith("auth.required")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_missing_invalid_revoked_and_expired_tokens_are_401(handler):
    _assert_401(ApiClient(None).get("/api/me"))
    _assert_401(ApiClient("fw_not-a-real-token").get("/api/me"))
    _assert_401(ApiClient("x" * 5000).get("/api/me"))

    token, secret = api_token_issue(actor=handler, user_id=handler.id, name="t", scopes=["read"])
    assert ApiClient(secret).get("/api/me").status_code == 200
    api_token_revoke(actor=handler, token_id=token.id)
    _assert_401(ApiClient(secret).get("/api/me"))

    token, secret = api_token_issue(actor=handler, user_id=handler.id, name="t", scopes=["read"],
                                    expires_at=timezone.now() + dt.timedelta(hours=1))
    assert ApiClient(secret).get("/api/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _assert_401(ApiClient(secret).get("/api/me"))

    _, secret = api_token_issue(actor=handler, user_id=handler.id, name="t", scopes=["read"])
    handler.is_active = False
    handler.save(update_fields=["is_active"])
    _assert_401(ApiClient(secret).get("/api/me"))


def test_a_read_only_token_cannot_write_and_a_write_only_token_cannot_read(handler):
    _, read_only = api_token_issue(actor=handler, user_id=handler.id, name="r", scopes=["read"])
    response = ApiClient(read_only).post("/api/cases", {"case_type": "complaint", "summary": "x",
                                                        "came_to_attention_on": "2024-01-01"})
    assert response.status_code == 403 and response.json()["code"] == "auth.scope_missing"
    assert response["Content-Type"] == "application/problem+json"
    _, write_only = api_token_issue(actor=handler, user_id=handler.id, name="w", scopes=["write"])
    assert ApiClient(write_only).get("/api/cases").status_code == 403
    from forewarn.cases.models import Case
    assert Case.objects.count() == 0


def test_me_reports_roles_scopes_and_marks_the_token_used(handler, api_for):
    client = api_for(handler, scopes=["read"])
    body = client.get("/api/me").json()
    assert body["roles"] == [Role.CASE_HANDLER] and body["scopes"] == ["read"]
    assert body["organisation"]["code"] == "MET" and body["username"] == handler.username
    assert ApiToken.objects.get().last_used_at is not None


def test_session_auth_works_for_the_web_apps_own_pages(handler):
    from django.test import Client
    client = Client()
    sign_in(client, handler)
    body = client.get("/api/me").json()
    assert body["id"] == handler.id and body["scopes"] == ["read", "write"]


def test_a_session_write_without_the_csrf_token_is_refused(handler):
    from django.test import Client

    from forewarn.cases.models import Case
    client = Client(enforce_csrf_checks=True)
    sign_in(client, handler)
    response = client.post("/api/cases", "{}", content_type="application/json")
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
    assert Case.objects.count() == 0
