"""The barred and advisory lists on the web and through the API: the public page (no sign-in, only
published entries, no ids), the staff pages and their actions, the API endpoints, and read audit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from forewarn.audit.models import Event
from forewarn.organisations.models import Role
from forewarn.register.models import ListEntry
from tests.api.conftest import client_for
from tests.factories import change_events, make_user, sign_in
from tests.register.test_lists import dismissed, listed_barred, officer, public_entry, report, resigned

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PUBLIC = "/barred-list/"


@pytest.fixture
def aa(db):
    return make_user(Role.APPROPRIATE_AUTHORITY)


@pytest.fixture
def college(db):
    return make_user(Role.ADMINISTRATOR, organisation="COP")


def signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


# -- the public page ---------------------------------------------------------------------------------------
def test_the_public_page_needs_no_sign_in_and_starts_with_guidance_not_a_list():
    public_entry()
    response = Client().get(PUBLIC)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Search the police barred list" in text and "Marlowe" not in text
    assert response["Cache-Control"] == "no-store"
    empty = Client().get(PUBLIC, {"given_name": "", "family_name": ""})
    assert empty.status_code == 200 and "result" not in empty.content.decode()


def test_the_public_page_lists_published_entries_only_and_no_ids():
    shown = public_entry(standards=["SPB-DC", "SPB-HI"])
    hidden = [public_entry(kind="advisory", basis="resigned_during_investigation"),  # the advisory list
              public_entry(published=False, publication_withheld_reason="significant_harm"),
              public_entry(publish_until=TODAY - dt.timedelta(days=1)),
              public_entry(gross_misconduct=False),
              public_entry(status="removed")]
    response = Client().get(PUBLIC, {"family_name": "quenby"})
    text = response.content.decode()
    assert response.status_code == 200
    assert text.count("Marlowe Quenby") == 1 and "1 result" in text
    for words in ("Metropolitan Police Service", "Sergeant", "10 April 2024", "Discreditable conduct",
                  "Honesty and integrity"):
        assert words in text
    # Nothing on the page lets anyone walk to an entry: no entry or case ids, no links into the register.
    for entry in (shown, *hidden):
        assert f"/lists/{entry.pk}/" not in text and entry.case.reference not in text
    assert "/register/" not in text and "/cases/" not in text
    assert "Police advisory list" not in text and "advisory" not in re.sub(r"<[^>]+>", "", text).lower()


def test_the_public_page_escapes_names():
    public_entry('<script>alert("x")</script> Quenby')
    text = Client().get(PUBLIC, {"family_name": "Quenby"}).content.decode()
    assert "<script>alert" not in text and "&lt;script&gt;" in text


def test_no_url_reveals_an_advisory_entry():
    advisory = public_entry("Oriel Paskin", kind="advisory", basis="resigned_during_investigation")
    anonymous = Client()
    for url in (f"/register/lists/{advisory.pk}/", "/register/lists/?kind=advisory"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/sign-in/" in response["Location"], url
    searched = anonymous.get(PUBLIC, {"family_name": "Paskin"}).content.decode()
    assert "Oriel Paskin" not in searched and "No published entry matches" in searched
    assert Client().get(f"/api/register/lists/{advisory.pk}").status_code == 401


def test_the_public_page_paginates():
    for i in range(25):
        public_entry(f"Given{i} Pagesmith")
    first = Client().get(PUBLIC, {"family_name": "Pagesmith"}).content.decode()
    second = Client().get(PUBLIC, {"family_name": "Pagesmith", "page": 2}).content.decode()
    assert "25 results" in first and first.count("Pagesmith</td>") + first.count("Pagesmith<br>") == 20
    assert second.count("Pagesmith<br>") == 5


# -- staff pages -----------------------------------------------------------------------------------------------
def test_the_staff_list_filters_overdue_entries_and_audits_what_it_showed(aa):
    late = dismissed(aa, on=dt.date(2024, 4, 10))
    listed = listed_barred(aa, person=officer("Ivo", "Stannard", number="MET2"))
    vetting = make_user(Role.VETTING_OFFICER)
    client = signed_in(vetting)
    page = client.get(reverse("register:lists")).content.decode()
    assert "Marlowe Quenby" in page and "Ivo Stannard" in page and "past the due date" in page
    overdue = client.get(reverse("register:lists"), {"overdue": "on"}).content.decode()
    assert "Marlowe Quenby" in overdue and "Ivo Stannard" not in overdue and "Overdue" in overdue
    searches = Event.objects.filter(kind="read", action="list_entry.search").order_by("id")
    assert searches.count() == 2
    assert sorted(searches[0].data["ids"]) == sorted([late.pk, listed.pk]) and searches[1].data["ids"] == [late.pk]


def test_the_force_s_overdue_page_shows_the_advisory_report_owed(aa):
    resigned(on=dt.date(2024, 6, 3))
    page = signed_in(aa).get(reverse("web:overdue")).content.decode()
    assert "Report to the advisory list" in page and "10 Jun 2024" in page
    kent = signed_in(make_user(Role.APPROPRIATE_AUTHORITY, organisation="KEN"))
    assert "Report to the advisory list" not in kent.get(reverse("web:overdue")).content.decode()


def test_the_entry_page_offers_what_the_user_may_do(aa, college):
    waiting = dismissed(aa)
    page = signed_in(aa).get(reverse("register:list-entry", args=[waiting.pk])).content.decode()
    assert "Report to the College of Policing" in page and "Publish or withhold" not in page
    assert waiting.case.reference in page  # the AA sees the case
    vetting_page = signed_in(make_user(Role.VETTING_OFFICER)).get(
        reverse("register:list-entry", args=[waiting.pk])).content.decode()
    assert "Report to the College" not in vetting_page and "Remove from the list" not in vetting_page
    listed = report(aa, waiting)
    college_page = signed_in(college).get(reverse("register:list-entry", args=[listed.pk])).content.decode()
    assert "Publish or withhold" in college_page and "Remove from the list" in college_page
    assert listed.case.reference not in college_page  # the College does not see the force's case
    assert Event.objects.filter(kind="read", action="listentry.read").count() == 3


def test_reporting_from_the_entry_page_lists_it(aa):
    entry = dismissed(aa)
    client = signed_in(aa)
    url = reverse("register:list-entry-report", args=[entry.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reported_on_day": "12", "reported_on_month": "4", "reported_on_year": "2024",
                                "conduct_description": "", "expected_version": entry.version})
    assert refused.status_code == 200 and "There is a problem" in refused.content.decode()
    response = client.post(url, {"reported_on_day": "12", "reported_on_month": "4", "reported_on_year": "2024",
                                 "conduct_description": "Dishonesty in a statement.",
                                 "expected_version": entry.version})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.reported_on) == ("listed", dt.date(2024, 4, 12))


def test_withholding_and_removing_from_the_web(aa, college):
    entry = listed_barred(aa)
    client = signed_in(college)
    url = reverse("register:list-entry-publication", args=[entry.pk])
    missing = client.post(url, {"publish": "no", "reason": "", "expected_version": entry.version})
    assert "Select a reason" in missing.content.decode() or "reason" in missing.content.decode()
    assert ListEntry.objects.get(pk=entry.pk).published
    assert client.post(url, {"publish": "no", "reason": "national_security",
                             "expected_version": entry.version}).status_code == 302
    assert not ListEntry.objects.get(pk=entry.pk).published
    removal = reverse("register:list-entry-removal", args=[entry.pk])
    page = client.get(removal).content.decode()
    assert "Review application succeeded" in page and "Moved onto the barred list" not in page  # barred reasons only
    response = client.post(removal, {"reason": "review_succeeded", "note": "Review allowed.",
                                     "on_day": str(TODAY.day), "on_month": str(TODAY.month), "on_year": str(TODAY.year),
                                     "expected_version": entry.version + 1})
    assert response.status_code == 302
    assert ListEntry.objects.get(pk=entry.pk).status == "removed"


def test_staff_pages_deny_by_default(aa):
    entry = dismissed(aa)
    kent = signed_in(make_user(Role.APPROPRIATE_AUTHORITY, organisation="KEN"))
    for name in ("register:list-entry", "register:list-entry-report", "register:list-entry-removal"):
        assert kent.get(reverse(name, args=[entry.pk])).status_code == 404
    investigator = signed_in(make_user(Role.INVESTIGATOR))
    assert investigator.get(reverse("register:lists")).status_code == 403
    vetting = signed_in(make_user(Role.VETTING_OFFICER))
    assert vetting.get(reverse("register:list-entry-report", args=[entry.pk])).status_code == 404
    assert not change_events().filter(action="list_entry.list").exists()


# -- the API ----------------------------------------------------------------------------------------------------
def test_api_list_and_detail(aa):
    waiting = dismissed(aa)
    resigned()
    api = client_for(make_user(Role.VETTING_OFFICER))
    body = api.get("/api/register/lists", {"kind": "barred"}).json()
    assert body["count"] == 1 and body["items"][0]["id"] == waiting.pk
    item = body["items"][0]
    assert (item["status"], item["overdue"], item["name_at_listing"]) == ("awaiting_report", True, "Marlowe Quenby")
    assert item["case_id"] is None and item["case_reference"] == ""  # a vetting officer does not see the case
    assert api.get("/api/register/lists", {"overdue": True}).json()["count"] == 2
    assert api.get("/api/register/lists", {"kind": "secret"}).status_code == 422
    detail = client_for(aa).get(f"/api/register/lists/{waiting.pk}").json()
    assert detail["case_id"] == waiting.case_id and detail["standards"] == ["SPB-ARC", "SPB-DC", "SPB-HI"]
    kent = client_for(make_user(Role.VETTING_OFFICER, organisation="KEN"))
    assert kent.get(f"/api/register/lists/{waiting.pk}").status_code == 404
    assert kent.get("/api/register/lists").json()["count"] == 0
    assert Event.objects.filter(kind="read", action="list_entry.search").count() == 3  # not the refused one


def test_api_report_publication_and_removal(aa, college):
    entry = dismissed(aa)
    api = client_for(aa)
    refused = api.post(f"/api/register/lists/{entry.pk}/report", {"reported_on": "2024-04-12",
                                                                   "conduct_description": "x", "expected_version": 99})
    assert refused.status_code == 409 and refused.json()["code"] == "version.stale"
    listed = api.post(f"/api/register/lists/{entry.pk}/report",
                      {"reported_on": "2024-04-12", "conduct_description": "Dishonesty."})
    assert listed.status_code == 200, listed.content
    assert (listed.json()["status"], listed.json()["published"]) == ("listed", True)
    assert api.post(f"/api/register/lists/{entry.pk}/removal",
                    {"reason": "entered_in_error", "note": "n"}).status_code == 404  # the College holds it now
    college_api = client_for(college)
    withheld = college_api.post(f"/api/register/lists/{entry.pk}/publication", {"publish": False})
    assert withheld.status_code == 422 and withheld.json()["field"] == "reason"
    withheld = college_api.post(f"/api/register/lists/{entry.pk}/publication",
                                {"publish": False, "reason": "significant_harm", "note": "Risk to a witness."})
    assert withheld.status_code == 200 and withheld.json()["publication_withheld_reason"] == "significant_harm"
    assert college_api.post(f"/api/register/lists/{entry.pk}/removal",
                            {"reason": "nonsense", "note": "n"}).status_code == 422
    removed = college_api.post(f"/api/register/lists/{entry.pk}/removal",
                               {"reason": "review_succeeded", "note": "Review allowed."})
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    again = college_api.post(f"/api/register/lists/{entry.pk}/removal", {"reason": "review_succeeded", "note": "x"})
    assert again.status_code == 409
    actions = list(change_events().filter(object_type="register.listentry").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["list_entry.open", "list_entry.list", "list_entry.publication", "list_entry.remove"]


def test_the_demo_scenario_officer_is_on_the_public_barred_list():
    from forewarn.demo import demo_actors, demo_users_create
    from forewarn.demo.scenarios import load_scenarios

    users = {u.username: u for u in demo_users_create()}
    assert users["college-admin"].organisation == "COP"
    load_scenarios(demo_actors())
    entry = ListEntry.objects.get(kind="barred")
    assert (entry.basis, entry.status, entry.decided_on, entry.reported_on, entry.publish_until) == (
        "would_have_been_dismissed", "listed", dt.date(2025, 6, 20), dt.date(2025, 6, 25), dt.date(2030, 6, 20))
    assert not ListEntry.objects.filter(kind="advisory", person=entry.person).exists()  # concluded when he left
    text = Client().get(PUBLIC, {"family_name": "Calloway"}).content.decode()
    assert "Damian Rhys Calloway" in text and "Metropolitan Police Service" in text
