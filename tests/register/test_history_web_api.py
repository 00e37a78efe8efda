"""The register's history, check, application and disclosure pages and API operations: thin layers over
the services, tested for their shapes, statuses and field errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from forewarn.organisations.models import Role
from forewarn.register.models import Application, DisclosureRequest, RegisterCheck
from tests.api.conftest import client_for
from tests.factories import make_user, only_refused, sign_in
from tests.register.history_world import officer_world

pytestmark = pytest.mark.django_db
CHECK = {"lawful_basis": "transfer_vetting", "purpose": "Transfer application ref NB-77.",
         "application_kind": "transfer", "reference": "NB-77", "given_name": "tamsin", "family_name": "QUARRENDER",
         "date_of_birth": "1984-05-09", "previous_forces": ["SUR"]}


@pytest.fixture
def world():
    return officer_world()


@pytest.fixture
def vetting():
    return make_user(Role.VETTING_OFFICER, organisation="NBR")


def _page(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


# -- API ---------------------------------------------------------------------------------------------------
def test_api_history(world):
    api = client_for(make_user(Role.VETTING_OFFICER, organisation="MET"))
    body = api.get(f"/api/register/people/{world.person.pk}").json()
    assert body["person"] == {"id": world.person.pk, "full_name": "Tamsin Quarrender", "date_of_birth": "1984-05-09"}
    assert body["relationships"] == ["employs"] and body["basis_missing"] is False
    (entry,) = body["entries"]
    assert (entry["category"], entry["severity"], entry["visibility"], entry["case_id"]) == (
        "sexual_conduct", "gross_misconduct", "entry", None)
    assert [a["organisation"]["code"] for a in body["appointments"]] == ["SUR", "MET"]
    stranger = client_for(make_user(Role.HEAD_OF_STANDARDS, organisation="NBR"))
    body = stranger.get(f"/api/register/people/{world.person.pk}").json()
    assert body["entries"] == [] and body["basis_missing"] and "check" in body["message"]
    assert client_for(make_user(Role.INVESTIGATOR)).get(f"/api/register/people/{world.person.pk}").status_code == 403
    assert client_for(make_user(Role.PANEL_MEMBER)).get(f"/api/register/people/{world.person.pk}").status_code == 404
    assert stranger.get("/api/register/people/987654321").status_code == 404


def test_api_check_then_history_then_close(world, vetting):
    api = client_for(vetting)
    response = api.post("/api/register/checks", CHECK)
    assert response.status_code == 201, response.json()
    body = response.json()
    (match,) = body["matches"]
    assert match["person_id"] == world.person.pk and match["application_opened"] is True
    assert match["evidence"] == ["date of birth 9 May 1984 matched",
                                 "given name 'Tamsin' and family name 'Quarrender' matched the current name",
                                 "served in SUR 2005–2009"]
    assert [e["subject_allegation_id"] for e in match["history"]["entries"]] == [world.subject.pk]
    assert match["application"]["kind"] == "transfer" and match["application"]["reference"] == "NB-77"
    again = api.get(f"/api/register/checks/{body['id']}")
    assert again.status_code == 200 and again.json()["matches"][0]["evidence"] == match["evidence"]
    assert client_for(make_user(Role.VETTING_OFFICER, organisation="ESS")).get(
        f"/api/register/checks/{body['id']}").status_code == 404

    listed = api.get("/api/register/applications").json()
    assert [a["id"] for a in listed] == [match["application"]["id"]]
    closed = api.post(f"/api/register/applications/{match['application']['id']}/close", {"outcome": "withdrawn"})
    assert closed.status_code == 200 and closed.json()["open"] is False
    assert api.post(f"/api/register/applications/{match['application']['id']}/close",
                    {"outcome": "withdrawn"}).status_code == 409
    assert api.get("/api/register/applications").json() == []
    assert api.get(f"/api/register/people/{world.person.pk}").json()["entries"] == []


@pytest.mark.parametrize(("change", "field"), [
    ({"lawful_basis": ""}, "lawful_basis"), ({"purpose": ""}, "purpose"), ({"date_of_birth": None}, "date_of_birth"),
    ({"date_of_birth": (timezone.localdate() + dt.timedelta(days=3)).isoformat()}, "date_of_birth"),
    ({"lawful_basis": "nosiness"}, "lawful_basis"),
])
def test_api_check_refusals_are_422_naming_the_field(world, vetting, change, field):
    response = client_for(vetting).post("/api/register/checks", {**CHECK, **change})
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert response.json()["field"] == field
    assert not RegisterCheck.objects.exists() and not Application.objects.filter(organisation__code="NBR").exists()


def test_api_applications_open_and_refuse_a_second(world, vetting):
    api = client_for(vetting)
    body = {"person_id": world.person.pk, "kind": "vetting", "reason": "Staff post applicant."}
    created = api.post("/api/register/applications", body)
    assert created.status_code == 201 and created.json()["person"]["id"] == world.person.pk
    assert api.post("/api/register/applications", body).status_code == 409
    assert api.post("/api/register/applications", {**body, "reason": ""}).status_code == 422
    assert client_for(make_user(Role.CASE_HANDLER, organisation="NBR")).post(
        "/api/register/applications", body).status_code == 403


def test_api_disclosure_request_and_decision(world):
    met = client_for(make_user(Role.VETTING_OFFICER, organisation="MET"))
    created = met.post("/api/register/disclosures", {"subject_allegation_id": world.subject.pk,
                                                     "reason": "Needed for a vetting review."})
    assert created.status_code == 201 and created.json()["status"] == "requested"
    disclosure_id = created.json()["id"]
    assert met.post(f"/api/register/disclosures/{disclosure_id}/decide",
                    {"grant": True, "reason": "Granting my own request."}).status_code == 404
    kent = client_for(make_user(Role.HEAD_OF_STANDARDS, organisation="KEN"))
    decided = kent.post(f"/api/register/disclosures/{disclosure_id}/decide",
                        {"grant": True, "reason": "Relevant to the review.", "days": 14})
    assert decided.status_code == 200 and decided.json()["status"] == "granted"
    assert decided.json()["case_id"] == world.case.pk
    lists = met.get("/api/register/disclosures").json()
    assert [d["id"] for d in lists["outgoing"]] == [disclosure_id] and lists["outgoing"][0]["case_id"] == world.case.pk
    assert met.get(f"/api/cases/{world.case.pk}").status_code == 200
    stranger = client_for(make_user(Role.VETTING_OFFICER, organisation="NBR"))
    assert stranger.post("/api/register/disclosures", {"subject_allegation_id": world.subject.pk,
                                                       "reason": "Just curious about it."}).status_code == 404
    assert DisclosureRequest.objects.count() == 1


# -- pages -------------------------------------------------------------------------------------------------
def test_history_page(world):
    page = _page(make_user(Role.HEAD_OF_STANDARDS, organisation="KEN")).get(f"/register/people/{world.person.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tamsin Quarrender" in html and f'id="entry-{world.subject.pk}"' in html
    assert f'href="/cases/{world.case.pk}/"' in html  # the owning force opens its file
    stranger = _page(make_user(Role.VETTING_OFFICER, organisation="NBR")).get(f"/register/people/{world.person.pk}/")
    html = stranger.content.decode()
    assert 'id="no-basis"' in html and f'id="entry-{world.subject.pk}"' not in html
    assert f"/register/checks/new/?person={world.person.pk}" in html


def test_person_page_links_to_the_register_history(world):
    html = _page(make_user(Role.VETTING_OFFICER, organisation="MET")).get(f"/people/{world.person.pk}/").content
    assert f'href="/register/people/{world.person.pk}/"'.encode() in html


def test_check_pages(world, vetting):
    client = _page(vetting)
    assert client.get("/register/checks/new/").status_code == 200
    form = {"lawful_basis": "recruitment_vetting", "purpose": "Recruitment vetting NB/2025/3.",
            "application_kind": "vetting", "given_name": "Tamsin", "family_name": "Quarrender",
            "date_of_birth_day": "9", "date_of_birth_month": "5", "date_of_birth_year": "1984",
            "previous_forces": "sur, MET"}
    response = client.post("/register/checks/new/", form)
    check = RegisterCheck.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/register/checks/{check.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "served in SUR 2005–2009" in html and f'id="entry-{world.subject.pk}"' in html
    assert "This check opened" in html


def test_check_form_shows_every_field_error_and_writes_nothing(vetting):
    response = _page(vetting).post("/register/checks/new/", {"lawful_basis": "recruitment_vetting",
                                                             "purpose": "Recruitment vetting.",
                                                             "application_kind": "vetting", "given_name": "Tamsin"})
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html
    assert 'id="family_name-error"' in html and 'id="date_of_birth-error"' in html
    assert not RegisterCheck.objects.exists() and only_refused(1)


def test_application_pages(world, vetting):
    application = Application.objects.create(organisation=vetting.organisation, person=world.person, kind="vetting",
                                             opened_on=timezone.localdate(), reference="NB-1")
    client = _page(vetting)
    html = client.get("/register/applications/").content.decode()
    assert "NB-1" in html and f"/register/applications/{application.pk}/close/" in html
    assert client.get(f"/register/applications/{application.pk}/close/").status_code == 200
    response = client.post(f"/register/applications/{application.pk}/close/", {"outcome": "granted"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.outcome == "granted" and not application.is_open
    other = _page(make_user(Role.VETTING_OFFICER, organisation="ESS"))
    assert other.get(f"/register/applications/{application.pk}/close/").status_code == 404


def test_disclosure_pages(world):
    met_vetting = make_user(Role.VETTING_OFFICER, organisation="MET")
    client = _page(met_vetting)
    assert client.get(f"/register/disclosures/new/?entry={world.subject.pk}").status_code == 200
    response = client.post("/register/disclosures/new/", {"subject_allegation_id": world.subject.pk,
                                                          "reason": "Vetting review after an alert."})
    assert response.status_code == 302 and response["Location"] == f"/register/people/{world.person.pk}/"
    request = DisclosureRequest.objects.get()
    kent = _page(make_user(Role.HEAD_OF_STANDARDS, organisation="KEN"))
    assert f"/register/disclosures/{request.pk}/decide/" in kent.get("/register/disclosures/").content.decode()
    short = kent.post(f"/register/disclosures/{request.pk}/decide/", {"grant": "yes", "reason": "ok", "days": "30"})
    assert short.status_code == 200 and 'id="reason-error"' in short.content.decode()
    done = kent.post(f"/register/disclosures/{request.pk}/decide/",
                     {"grant": "yes", "reason": "Relevant to the vetting review.", "days": "30"})
    assert done.status_code == 302
    assert client.get(f"/cases/{world.case.pk}/").status_code == 200
    assert client.get(f"/register/disclosures/{request.pk}/decide/").status_code == 404
