"""Hostile text typed into every text field of the web forms, in a real browser.

For each hostile string, a signed-in case handler records a case, adds a party, an allegation and a
subject, and gives reasons for a lifecycle step, typing the string into every free-text field. Each
form is first sent with one deliberate mistake, so it comes back re-displaying what was typed; then
it is sent correctly. The test checks that:
- no JavaScript dialog ever opens (`page.on("dialog")`), and no injected <script> or <img> exists in
  the page: the Content-Security-Policy would stop an injected inline script from running, so a
  missing dialog alone would not prove the text was escaped;
- the re-displayed form holds exactly what was typed (the value survived HTML escaping both ways);
- the database holds exactly what was typed, byte for byte;
- the case page shows the literal text (escaped, not interpreted).

Strings longer than a field allows are replaced there by a short hostile string, so every field gets
something hostile; the 20,000-character string goes into the fields that take 20,000 characters.
Form values have no newline: a browser sends a textarea's line breaks as CRLF (HTML form encoding),
which is the browser's normalisation, not the application's.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from forewarn.audit.models import Event
from forewarn.cases.models import Allegation, Case, Party, SubjectAllegation
from forewarn.organisations.models import Role
from tests.factories import make_user

# Browser tests need the live server to see committed data; the organisations loaded by a data
# migration are restored after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LONG = ("A<script>alert(1)</script>&amp;\"'" * 700)[:20_000]
HOSTILE = {
    "script": "<script>alert(1)</script>",
    "attribute-breakout": '"><img src=x onerror=alert(1)>',
    "sql": "'; DROP TABLE cases_case; --",
    # Right-to-left override, zero-width space and joiner, emoji with skin tone and ZWJ sequence,
    # a combining accent on a plain letter, Hebrew and Arabic text.
    "unicode": "\u202eevil\u202c x\u200by\u200dz 👮🏽\u200d♀️ 🚓 e\u0301 שלום مرحبا",
    "20000-characters": LONG,
}
# For fields too short for the string under test: still hostile, 17 characters.
SHORT = "<i>'\";--</i>&lt;"
TODAY = timezone.localdate()
# Field lengths the services accept (cases/services.py).
LIMITS = {"incident_location": 200, "summary": 20_000, "full_name": 200, "email": 254, "phone": 40,
          "address": 1000, "vulnerability_notes": 2000, "description": 20_000, "name_as_given": 200,
          "number_as_given": 20, "station_as_given": 120, "description_as_given": 2000, "reasons": 20_000}


def fit(value: str, field: str) -> str:
    return value if len(value) <= LIMITS[field] else SHORT


def values_for(hostile: str, *fields: str) -> dict[str, str]:
    out = {f: fit(hostile, f) for f in fields}
    if "email" in out:
        # The service checks only that an address has a local part and a domain around an '@'.
        out["email"] = fit(hostile, "email")[:240] + "@example.org"
    return out


def fill_date(page, name: str, day: dt.date | tuple) -> None:
    d, m, y = (day.day, day.month, day.year) if isinstance(day, dt.date) else day
    page.fill(f"#id_{name}_day", str(d))
    page.fill(f"#id_{name}_month", str(m))
    page.fill(f"#id_{name}_year", str(y))


def fill(page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.fill(f"main [name='{name}']", value)


def submit(page) -> None:
    with page.expect_navigation():
        page.locator("main form[method='post'] button[type='submit']").click()


def assert_redisplayed(page, values: dict[str, str]) -> None:
    """The form came back with an error and with every value exactly as typed."""
    assert page.locator(".govuk-error-summary").count() == 1, page.locator("main").inner_text()[:500]
    for name, value in values.items():
        assert page.input_value(f"main [name='{name}']") == value, f"{name} was not re-displayed intact"


def assert_nothing_ran(page, dialogs: list) -> None:
    assert dialogs == [], f"a dialog opened: {dialogs}"
    injected = page.evaluate("""() => ({
        scripts: [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length,
        images: document.querySelectorAll('img[src="x"]').length,
    })""")
    assert injected == {"scripts": 0, "images": 0}, injected


def assert_shown(page, *values: str) -> None:
    text = page.locator("main").text_content()
    for value in values:
        assert value in text, f"{value[:60]!r} is not shown literally on {page.url}"


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_stored_intact_and_shown_escaped(hostile, signed_in_page):
    user = make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY)
    page = signed_in_page(user)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # -- record a case -------------------------------------------------------------------------------
    page.goto("/cases/new/")
    case_values = values_for(hostile, "incident_location", "summary")
    page.check("input[name='case_type'][value='complaint']")
    fill_date(page, "came_to_attention_on", (31, 2, TODAY.year))  # no such day
    fill(page, case_values)
    submit(page)
    assert_redisplayed(page, case_values)
    assert_nothing_ran(page, dialogs)
    fill_date(page, "came_to_attention_on", TODAY)
    submit(page)
    case = Case.objects.get(created_by=user)
    assert (case.incident_location, case.summary) == (case_values["incident_location"], case_values["summary"])
    assert page.url.endswith(f"/cases/{case.id}/")
    assert_shown(page, *case_values.values())
    assert_nothing_ran(page, dialogs)

    # -- add a party ---------------------------------------------------------------------------------
    page.goto(f"/cases/{case.id}/parties/new/")
    party_values = values_for(hostile, "full_name", "email", "phone", "address", "vulnerability_notes")
    page.check("input[name='role'][value='witness']")
    page.check("input[name='is_vulnerable']")
    page.fill("main [name='postcode']", "SW1A 1AA")  # upper-cased by the service, so not hostile here
    fill(page, {**party_values, "email": "no-at-sign"})
    submit(page)
    assert_redisplayed(page, {**party_values, "email": "no-at-sign"})
    assert_nothing_ran(page, dialogs)
    fill(page, {"email": party_values["email"]})
    submit(page)
    party = Party.objects.get(case=case)
    assert {f: getattr(party, f) for f in party_values} == party_values
    assert_shown(page, *party_values.values())
    assert_nothing_ran(page, dialogs)

    # -- add an allegation ---------------------------------------------------------------------------
    page.goto(f"/cases/{case.id}/allegations/new/")
    allegation_values = values_for(hostile, "description")
    fill(page, allegation_values)
    submit(page)  # no category chosen
    assert_redisplayed(page, allegation_values)
    assert_nothing_ran(page, dialogs)
    page.select_option("main [name='category']", "individual_behaviours")
    page.select_option("main [name='subcategory']", "Impolite language / tone")
    submit(page)
    allegation = Allegation.objects.get(case=case)
    assert allegation.description == allegation_values["description"]
    assert_shown(page, allegation_values["description"])
    assert_nothing_ran(page, dialogs)

    # -- add a subject -------------------------------------------------------------------------------
    page.goto(f"/cases/{case.id}/allegations/{allegation.id}/subjects/new/")
    subject_values = values_for(hostile, "name_as_given", "number_as_given", "station_as_given",
                                "description_as_given")
    fill(page, {**subject_values, "approximate_age": "200"})  # out of range
    submit(page)
    assert_redisplayed(page, subject_values)
    assert_nothing_ran(page, dialogs)
    fill(page, {"approximate_age": ""})
    submit(page)
    subject = SubjectAllegation.objects.get(case=case)
    assert {f: getattr(subject, f) for f in subject_values} == subject_values
    assert_shown(page, subject_values["name_as_given"], subject_values["number_as_given"])
    assert_nothing_ran(page, dialogs)

    # -- reasons for a lifecycle step ------------------------------------------------------------------
    page.goto(f"/actions/subject_allegation/{subject.id}/assess_severity/")
    reasons = values_for(hostile, "reasons")
    page.check("input[name='severity'][value='misconduct']")
    fill(page, reasons)
    fill_date(page, "on", TODAY + dt.timedelta(days=1))  # in the future
    submit(page)
    assert_redisplayed(page, reasons)
    assert_nothing_ran(page, dialogs)
    fill_date(page, "on", TODAY)
    submit(page)
    step = Event.objects.get(action="subject_allegation.assess_severity", object_id=subject.id, kind="change")
    assert step.data["reasons"] == reasons["reasons"]
    assert_nothing_ran(page, dialogs)
