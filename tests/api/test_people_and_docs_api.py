"""People, organisations, and the OpenAPI document."""

import datetime as dt

import pytest
from django.test import Client

from forewarn.organisations.models import Organisation, Role
from tests.factories import (
    AppointmentFactory,
    PersonFactory,
    RankHeldFactory,
    SubjectAllegationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


def test_people_search_and_history_with_allegations_in_scope_only(handler, other_force_handler, api_for):
    person = PersonFactory(given_name="Morwenna", family_name="Trelawny")
    met = AppointmentFactory(person=person, service_number="4821", end_date=dt.date(2019, 12, 31),
                             end_reason="transferred")
    RankHeldFactory(appointment=met, rank="PC")
    RankHeldFactory(appointment=met, rank="PS", start_date=dt.date(2016, 1, 1))
    AppointmentFactory(person=person, organisation=other_force_handler.organisation, start_date=dt.date(2020, 1, 1))
    SubjectAllegationFactory(person=person)  # a Met case
    PersonFactory(family_name="Unrelated")

    client = api_for(handler)
    found = client.get("/api/people", {"q": "trelawny"}).json()
    assert [p["id"] for p in found] == [person.id]
    assert [a["organisation_code"] for a in found[0]["appointments"]] == ["MET", "KEN"]
    assert found[0]["appointments"][0]["current_rank"] == "PS"
    assert [p["id"] for p in client.get("/api/people", {"q": "4821"}).json()] == [person.id]

    detail = client.get(f"/api/people/{person.id}").json()
    assert [a["organisation_code"] for a in detail["allegations"]] == ["MET"]
    assert "date_of_birth" not in detail
    # Kent sees the person's appointments across forces, but not the Met's allegation.
    assert api_for(other_force_handler).get(f"/api/people/{person.id}").json()["allegations"] == []


def test_people_refusals(handler, api_for):
    person = PersonFactory()
    panel = api_for(make_user(Role.PANEL_MEMBER))
    assert panel.get(f"/api/people/{person.id}").status_code == 404
    # A role that may not read people is refused the search outright (no record is named, so 403).
    assert panel.get("/api/people", {"q": person.family_name}).json()["status"] == 403
    missing_q = api_for(handler).get("/api/people").json()
    assert (missing_q["status"], missing_q["field"]) == (422, "q")
    assert api_for(handler).get("/api/people/987654321").json()["code"] == "not_found"


def test_organisations_are_listed(handler, api_for):
    body = api_for(handler).get("/api/organisations").json()
    assert len(body) == Organisation.objects.count() and {"MET", "IOPC"} <= {o["code"] for o in body}
    assert all(set(o) == {"id", "code", "name", "kind", "is_force", "oversees_id"} for o in body)


EXPECTED_ROUTES = {
    ("get", "/api/me"), ("get", "/api/organisations"),
    ("get", "/api/cases"), ("post", "/api/cases"), ("get", "/api/cases/{case_id}"),
    ("get", "/api/cases/{case_id}/timeline"), ("post", "/api/cases/{case_id}/parties"),
    ("post", "/api/cases/{case_id}/allegations"), ("post", "/api/allegations/{allegation_id}/subjects"),
    ("post", "/api/subjects/{subject_id}/link"),
    ("get", "/api/lifecycle"), ("get", "/api/{machine}/{obj_id}/actions"),
    ("post", "/api/{machine}/{obj_id}/actions/{action}"),
    ("post", "/api/proceedings"), ("get", "/api/proceedings/{proceeding_id}"),
    ("post", "/api/proceedings/{proceeding_id}/challenges"), ("post", "/api/list-referrals"),
    ("get", "/api/people"), ("get", "/api/people/{person_id}"), ("get", "/api/clocks/overdue"),
    ("get", "/api/cases/{case_id}/documents"), ("post", "/api/cases/{case_id}/documents"),
    ("post", "/api/cases/{case_id}/letters"), ("get", "/api/documents/{document_id}"),
    ("get", "/api/documents/{document_id}/content"),
    ("post", "/api/cases/{case_id}/restriction"), ("get", "/api/cases/{case_id}/participants"),
    ("post", "/api/cases/{case_id}/participants"), ("delete", "/api/cases/{case_id}/participants/{user_id}"),
    ("post", "/api/cases/{case_id}/break-glass"), ("get", "/api/break-glass"),
    ("get", "/api/proceedings/{proceeding_id}/panel"), ("post", "/api/proceedings/{proceeding_id}/panel"),
    ("delete", "/api/proceedings/{proceeding_id}/panel/{user_id}"),
    # The register: history, checks, applications, disclosure requests.
    ("get", "/api/register/people/{person_id}"), ("post", "/api/register/checks"),
    ("get", "/api/register/checks/{check_id}"), ("get", "/api/register/applications"),
    ("post", "/api/register/applications"), ("post", "/api/register/applications/{application_id}/close"),
    ("get", "/api/register/disclosures"), ("post", "/api/register/disclosures"),
    ("post", "/api/register/disclosures/{disclosure_id}/decide"),
    # The register: alerts, the barred and advisory lists, webhook endpoints.
    ("get", "/api/register/alerts"), ("get", "/api/register/alerts/{alert_id}"),
    ("post", "/api/register/alerts/{alert_id}/acknowledge"),
    ("get", "/api/register/lists"), ("get", "/api/register/lists/{list_entry_id}"),
    ("post", "/api/register/lists/{list_entry_id}/report"), ("post", "/api/register/lists/{list_entry_id}/publication"),
    ("post", "/api/register/lists/{list_entry_id}/removal"),
    ("get", "/api/register/webhooks"), ("post", "/api/register/webhooks"),
    ("post", "/api/register/webhooks/{webhook_id}/rotate"), ("post", "/api/register/webhooks/{webhook_id}/deactivate"),
    # Identity resolution in the case flow (issue #5 §1).
    ("get", "/api/identifications/review"), ("get", "/api/subjects/{subject_id}/identification"),
    ("post", "/api/subjects/{subject_id}/identify"), ("post", "/api/subjects/{subject_id}/unlink"),
    ("post", "/api/identifications/{identification_id}/accept"),
    ("post", "/api/identifications/{identification_id}/reject"),
    ("post", "/api/identifications/{identification_id}/none"),
    ("put", "/api/organisations/{organisation_id}/match-thresholds"),
    # Disclosure schedules (issue #6 §1).
    ("post", "/api/cases/{case_id}/disclosure-schedules"), ("get", "/api/disclosure-schedules/{schedule_id}"),
    ("post", "/api/disclosure-schedules/{schedule_id}/items/{item_id}/decision"),
    ("post", "/api/disclosure-schedules/{schedule_id}/serve"),
    ("post", "/api/disclosure-schedules/{schedule_id}/complete"),
    ("get", "/api/disclosure-schedules/{schedule_id}/export.csv"),
    ("get", "/api/disclosure-schedules/{schedule_id}/export.pdf"),
    # Outcome guidance (issue #6 §2).
    ("get", "/api/proceedings/{proceeding_id}/guidance"), ("post", "/api/proceedings/{proceeding_id}/guidance"),
    # Intelligence records (issue #6 §1).
    ("get", "/api/intelligence"), ("post", "/api/intelligence"), ("get", "/api/intelligence/{intelligence_id}"),
    ("post", "/api/intelligence/{intelligence_id}/link"), ("post", "/api/intelligence/{intelligence_id}/unlink"),
}


def test_the_openapi_document_renders_and_lists_every_route(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["title"] == "Forewarn API" and doc["info"]["version"] == "1"
    routes = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert routes == EXPECTED_ROUTES
    assert doc["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    # Every operation documents its problem responses.
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert {"401", "403", "404", "422"} <= set(op["responses"]), (method, path)
    assert Client().get("/api/docs").status_code == 200
