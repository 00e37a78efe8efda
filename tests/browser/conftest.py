"""A real browser for the web UI: Playwright for Python driving Debian's chromium.

No browser is downloaded: `.ci/install-chromium` (run by `make setup` and `.ci/run`) installs the
system package and Playwright launches it by path. Each xdist worker starts its own browser, once
per test module, and the tests sign in by a session cookie made on the server (see `signed_in_page`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.factories import sign_in

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser(django_db_setup):
    if not CHROMIUM.exists():
        # Not a skip: a missing browser must fail CI loudly, with the fix.
        pytest.fail(f"{CHROMIUM} is missing: run ./.ci/install-chromium (make setup does)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running on this thread while the browser lives, and
    # Django refuses ORM calls from a thread with a running loop. The ORM calls made here are plain
    # synchronous test code, so that guard is lifted for as long as the browser is up, and put back after.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # Django keeps its connections in context-local storage, and the code after start() runs in a
    # context of Playwright's making, where Django would open fresh connection objects: ones without
    # the test database's serialized contents, so `serialized_rollback` would silently restore nothing
    # (the organisations loaded by a data migration vanish after the first flush). Hand the session's
    # own connection objects to that context.
    session_connections = {alias: connections[alias] for alias in connections}
    playwright = sync_playwright().start()
    for alias, connection in session_connections.items():
        connections[alias] = connection
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def signed_in_page(browser, live_server):
    """A page whose browser carries the session of a fully signed-in user (password and second factor).

    Returns a function taking the user. The session is made on the server by the same helper the other
    web tests use (tests.factories.sign_in), and its cookie is handed to the browser: the sign-in pages
    themselves are tested in tests/web, and typing a TOTP code here would only add flakiness.
    """
    contexts = []

    def open_as(user):
        client = Client()
        sign_in(client, user)
        context = browser.new_context(base_url=live_server.url)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                              "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                              "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_as
    for context in contexts:
        context.close()
