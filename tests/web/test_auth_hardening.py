"""Deny by default over every URL, CSRF on every form, security headers, cookies and the CSP."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

import forewarn
from forewarn.organisations.authentication import session_start
from tests.factories import sign_in

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("web:sign-in")
TWO_FACTOR = reverse("web:two-factor")
_CONVERTER_SAMPLES = {"int": "1", "slug": "x", "str": "x", "path": "x",
                      "uuid": "00000000-0000-0000-0000-000000000001"}


# Open to anyone: the staff sign-in page, the complainants' portal (which has its own sign-in) and the
# published barred list (Police Act 1996 Part 4A: the College's public search; register.lists.public_q).
PUBLIC_NAMESPACES = {"portal"}
PUBLIC_URLS = {"/barred-list/"}


def web_urls():
    """(path, view, namespace) for every URL pattern outside the API, with sample parameter values."""
    found = []

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if entry.namespace == "api":
                    continue  # the API answers 401 itself and is tested in tests/api
                walk(entry.url_patterns, route, entry.namespace or namespace)
            elif isinstance(entry, URLPattern):
                assert not route.startswith("^"), f"regex route {route}: add a sample for it here"
                url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: _CONVERTER_SAMPLES[m.group(1) or "str"], route)
                found.append(("/" + url, entry.callback, namespace))

    walk(get_resolver().url_patterns, "", None)
    assert len(found) >= 15, found
    return found


def is_public(url, view, namespace) -> bool:
    """Marked @login_not_required; only the sign-in page and the public portal may be."""
    if getattr(view, "login_required", True):
        return False
    assert url in {SIGN_IN, *PUBLIC_URLS} or namespace in PUBLIC_NAMESPACES, f"{url} is open to anyone: is that intended?"
    return True


def half_signed_in(client, user):
    """Password accepted, second factor not yet given."""
    client.force_login(user)
    session = client.session
    session_start(session)
    session.save()


def test_every_web_page_needs_sign_in(client):
    for url, view, namespace in web_urls():
        response = client.get(url)
        if is_public(url, view, namespace):
            assert response.status_code != 302 or not response["Location"].startswith(SIGN_IN), url
        else:
            assert response.status_code == 302 and response["Location"].startswith(f"{SIGN_IN}?next="), url


def test_every_web_page_needs_the_second_factor(client, handler):
    half_signed_in(client, handler)
    allowed = {TWO_FACTOR: 200, reverse("web:sign-out"): 405}
    for url, view, namespace in web_urls():
        if is_public(url, view, namespace):
            continue
        response = client.get(url)
        if url in allowed:
            assert response.status_code == allowed[url], url
        else:
            assert response.status_code == 302 and response["Location"].startswith(f"{TWO_FACTOR}?next="), url


def plain_view(request):
    return HttpResponse("a page someone added without any decorator")


urlpatterns = [path("new-page/", plain_view), path("", include("forewarn.urls"))]


@pytest.mark.urls(__name__)
def test_a_new_view_is_protected_without_anyone_remembering(client, handler):
    assert client.get("/new-page/")["Location"] == f"{SIGN_IN}?next=/new-page/"
    half_signed_in(client, handler)
    assert client.get("/new-page/")["Location"] == f"{TWO_FACTOR}?next=%2Fnew-page%2F"
    sign_in(client, handler)
    assert client.get("/new-page/").status_code == 200


def test_every_web_url_refuses_a_post_without_the_csrf_token(handler, met_case):
    anonymous, signed_in = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    sign_in(signed_in, handler)
    anonymous.get(SIGN_IN)  # each holds a CSRF cookie: only the form's token is missing
    signed_in.get(reverse("web:my-work"))
    for client in (anonymous, signed_in):
        assert client.cookies.get("csrftoken")
    for url, view, _namespace in web_urls():
        assert not getattr(view, "csrf_exempt", False), url
        for client in (anonymous, signed_in):
            response = client.post(url, {"summary": "x", "username": handler.username, "code": "123456"})
            assert response.status_code == 403, url
            assert b"CSRF" in response.content, url
    # Control: with the token the same kind of POST is accepted (the 403 above is the CSRF check).
    token = signed_in.cookies["csrftoken"].value
    assert signed_in.post(reverse("web:sign-out"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert met_case.parties.count() == 1


def test_security_headers_on_every_page(handler):
    signed_in = Client()
    sign_in(signed_in, handler)
    for client, url in ((Client(), SIGN_IN), (signed_in, reverse("web:my-work")), (Client(), "/api/docs")):
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_hsts_is_sent_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get(SIGN_IN, secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_session_and_csrf_cookies_are_httponly_and_samesite_lax(client, handler):
    client.get(SIGN_IN)
    response = client.post(SIGN_IN, {"username": handler.username, "password": "correct horse battery staple"})
    for name in ("sessionid", "csrftoken"):
        cookie = response.cookies[name] if name in response.cookies else client.cookies[name]
        assert cookie["httponly"] is True and cookie["samesite"] == "Lax", name


def _settings_outside_development(debug: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"FOREWARN_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env["SECRET_KEY"] = "test-only-" + "x" * 40
    if debug:
        env["FOREWARN_DEBUG"] = debug
    code = ("import json, forewarn.settings as s; print(json.dumps({k: getattr(s, k) for k in "
            "['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE',"
            " 'SECURE_HSTS_SECONDS', 'SESSION_IDLE_TIMEOUT', 'SESSION_ABSOLUTE_TIMEOUT', 'X_FRAME_OPTIONS']}))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_settings_secure_cookies_hsts_and_time_limits():
    production = _settings_outside_development(None)
    assert production == {"SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
                          "SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax",
                          "SECURE_HSTS_SECONDS": 31_536_000, "SESSION_IDLE_TIMEOUT": 1800,
                          "SESSION_ABSOLUTE_TIMEOUT": 28_800, "X_FRAME_OPTIONS": "DENY"}
    development = _settings_outside_development("1")
    assert development["SECURE_HSTS_SECONDS"] == 0 and development["SESSION_COOKIE_SECURE"] is False


def test_no_template_has_inline_script_style_or_event_handlers():
    """The CSP forbids them, so a template that used one would silently break in the browser."""
    templates = list(Path(forewarn.__file__).parent.glob("**/templates/**/*.html"))
    assert len(templates) >= 10
    for template in templates:
        html = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, f"{template}: inline {tag}"
        assert not re.search(r"<style\b|\sstyle=", html), f"{template}: inline style"
        assert not re.search(r"\son[a-z]+=", html), f"{template}: inline event handler"
