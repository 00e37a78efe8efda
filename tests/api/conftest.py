import pytest
from django.test import Client

from forewarn.organisations.services import api_token_issue


class ApiClient:
    """django.test.Client speaking JSON with a bearer token."""

    def __init__(self, secret: str | None):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}

    def get(self, path, data=None, **extra):
        return self.client.get(path, data, **self.headers, **extra)

    def put(self, path, body=None, **extra):
        payload = __import__("json").dumps(body if body is not None else {})
        return self.client.put(path, payload, content_type="application/json", **self.headers, **extra)

    def post(self, path, body=None, *, raw: str | bytes | None = None, **extra):
        payload = raw if raw is not None else __import__("json").dumps(body if body is not None else {})
        return self.client.post(path, payload, content_type="application/json", **self.headers, **extra)


def client_for(user, scopes=("read", "write")) -> ApiClient:
    _, secret = api_token_issue(actor=user, user_id=user.id, name="tests", scopes=list(scopes))
    return ApiClient(secret)


@pytest.fixture
def api_for():
    return client_for
