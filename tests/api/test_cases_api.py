"""Case endpoints: each happy path, a refusal each, scope (404 never 403) and contact-detail minimisation."""

import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.cases.models import Allegation, Case, Party, SubjectAllegation
from forewarn.core.models import Clock
from forewarn.organisations.models import Role
from tests.factories import (
    AllegationFactory,
    CaseFactory,
    PartyFactory,
    PersonFactory,
    SubjectAllegationFactory,
    change_events,
    make_user,
    name_on_case,
)

pytestmark = pytest.mark.django_db

NEW_CASE = {"case_type": "complaint", "came_to_attention_on": "2024-03-04", "summary": "Rude at the front counter.",
            "incident_date": "2024-03-01", "incident_location": "Front counter"}


def test_record_a_case_then_list_and_filter(handler, api_for):
    client = api_for(handler)
    response = client.post("/api/cases", NEW_CASE)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["reference"] == "MET-2024-00001" and created["status"] == "received"
    assert created["organisation"]["code"] == "MET" and created["regime"] == "R2020"
    CaseFactory(case_type="conduct_matter", status="identified")
    CaseFactory(organisation=make_user(organisation="KEN").organisation)  # not visible to the Met

    listed = client.get("/api/cases").json()
    assert listed["count"] == 2 and {c["case_type"] for c in listed["items"]} == {"complaint", "conduct_matter"}
    assert client.get("/api/cases", {"type": "complaint"}).json()["count"] == 1
    assert client.get("/api/cases", {"status": "identified"}).json()["count"] == 1
    assert client.get("/api/cases", {"q": "front counter"}).json()["items"][0]["id"] == created["id"]
    page = client.get("/api/cases", {"limit": 1, "offset": 1}).json()
    assert (page["count"], len(page["items"]), page["limit"], page["offset"]) == (2, 1, 1, 1)


def test_list_filters_by_category_and_overdue(handler, api_for):
    with_property = AllegationFactory(category="property", subcategory="").case
    overdue = CaseFactory()
    Clock.objects.create(case=overdue, kind="outcome_report", started_on=dt.date(2024, 1, 1),
                         due_on=dt.date(2024, 1, 8))
    client = api_for(handler)
    assert [c["id"] for c in client.get("/api/cases", {"category": "property"}).json()["items"]] == [with_property.id]
    assert [c["id"] for c in client.get("/api/cases", {"overdue": "true"}).json()["items"]] == [overdue.id]
    clocks = client.get("/api/clocks/overdue").json()
    assert [(c["case_id"], c["kind"], c["overdue"]) for c in clocks] == [(overdue.id, "outcome_report", True)]
    ken = make_user(organisation="KEN").organisation.id
    assert client.get("/api/clocks/overdue", {"organisation": ken}).json() == []


def test_recording_refusals_name_the_field_and_write_nothing(handler, api_for):
    client = api_for(handler)
    future = {**NEW_CASE, "came_to_attention_on": "2999-01-01"}
    body = client.post("/api/cases", future).json()
    assert (body["status"], body["code"], body["field"]) == (422, "date.in_future", "came_to_attention_on")
    body = client.post("/api/cases", {**NEW_CASE, "case_type": "gossip"}).json()
    assert (body["code"], body["field"]) == ("validation.choice", "case_type")
    body = client.post("/api/cases", {k: v for k, v in NEW_CASE.items() if k != "summary"}).json()
    assert (body["status"], body["code"], body["field"]) == (422, "validation.failed", "summary")
    vetting = api_for(make_user(Role.VETTING_OFFICER))
    assert vetting.post("/api/cases", NEW_CASE).json()["code"] == "permission.denied"
    # Refusals leave only 'refused' audit events (the service's, and the access guard's for the role).
    assert Case.objects.count() == 0 and not change_events().filter(action="case.open").exists()
    guard_refusals = Event.objects.filter(kind="refused", action="case.record")
    assert [e.data["code"] for e in guard_refusals] == ["permission.denied"]


def test_case_detail_and_timeline(handler, api_for):
    client = api_for(handler)
    case_id = client.post("/api/cases", NEW_CASE).json()["id"]
    party = client.post(f"/api/cases/{case_id}/parties", {
        "role": "complainant", "full_name": "Ada Fictional", "eligibility_basis": "directed_at",
        "email": "ada@example.org", "phone": "01632 960000", "postcode": "ab1 2cd"})
    assert party.status_code == 201 and party.json()["postcode"] == "AB1 2CD"
    allegation = client.post(f"/api/cases/{case_id}/allegations", {
        "category": "individual_behaviours", "subcategory": "Impolite language / tone",
        "standards": ["SPB-ARC"], "description": "Swore at the complainant."})
    assert allegation.status_code == 201 and allegation.json()["number"] == 1
    subject = client.post(f"/api/allegations/{allegation.json()['id']}/subjects",
                          {"name_as_given": "Smith", "rank_as_given": "PS", "number_as_given": "1234"})
    assert subject.status_code == 201, subject.content
    assert subject.json()["subject_label"] == "Sergeant Smith #1234" and subject.json()["status"] == "raised"

    detail = client.get(f"/api/cases/{case_id}").json()
    assert detail["reference"] == "MET-2024-00001" and detail["allegation_count"] == 1
    assert detail["parties"][0]["email"] == "ada@example.org" and not detail["parties"][0]["contact_details_withheld"]
    assert detail["allegations"][0]["subject_ids"] == [subject.json()["id"]]
    assert detail["subjects"][0]["allegation_number"] == 1
    assert "organisation" in detail and "created_by" not in detail
    timeline = client.get(f"/api/cases/{case_id}/timeline").json()
    assert [e["action"] for e in timeline] == ["case.open", "party.add", "allegation.add", "subject.add",
                                               "identification.propose"]
    assert "ada@example.org" not in str(timeline)


def test_contact_details_only_for_force_casework_in_scope(db, api_for):
    case = CaseFactory(referred_on=dt.date(2024, 2, 1))
    PartyFactory(case=case, email="ada@example.org", phone="01632 960001", address="1 Fictional Road")
    investigator = make_user(Role.INVESTIGATOR)
    name_on_case(investigator, case)  # investigators see the cases they are appointed to
    for user in (investigator, make_user(Role.IOPC_CASEWORKER, organisation="IOPC")):
        body = api_for(user).get(f"/api/cases/{case.id}").json()
        (party,) = body["parties"]
        assert party["contact_details_withheld"] and party["email"] is None and party["address"] is None
        assert "ada@example.org" not in str(body) and party["full_name"]


def test_another_force_gets_404_for_every_case_route(handler, other_force_handler, api_for):
    sa = SubjectAllegationFactory()
    person = PersonFactory()
    client = api_for(other_force_handler)
    case_id = sa.case_id
    for response in (
        client.get(f"/api/cases/{case_id}"),
        client.get(f"/api/cases/{case_id}/timeline"),
        client.post(f"/api/cases/{case_id}/parties", {"role": "witness", "full_name": "Bo Fictional"}),
        client.post(f"/api/cases/{case_id}/allegations", {"category": "property", "description": "d"}),
        client.post(f"/api/allegations/{sa.allegation_id}/subjects", {"name_as_given": "Jones"}),
        client.post(f"/api/subjects/{sa.id}/link", {"person_id": person.id}),
    ):
        assert response.status_code == 404 and response.json()["code"] == "not_found", response.content
        assert response["Content-Type"] == "application/problem+json"
    assert Party.objects.count() == 0 and Allegation.objects.count() == 1
    assert SubjectAllegation.objects.count() == 1 and SubjectAllegation.objects.get().person_id is None
    assert api_for(other_force_handler).get("/api/cases").json()["count"] == 0


def test_refusals_for_parties_allegations_and_subjects(handler, api_for):
    case = CaseFactory()
    allegation = AllegationFactory(case=case)
    client = api_for(handler)
    body = client.post(f"/api/cases/{case.id}/parties", {"role": "complainant", "full_name": "Ada"}).json()
    assert (body["status"], body["field"]) == (422, "eligibility_basis")
    body = client.post(f"/api/cases/{case.id}/allegations", {"category": "property", "description": "d",
                                                            "standards": ["SPB-XX"]}).json()
    assert (body["status"], body["field"]) == (422, "standards.0")  # the first unknown standard
    body = client.post(f"/api/allegations/{allegation.id}/subjects", {}).json()
    assert (body["status"], body["code"]) == (422, "subject.undescribed")
    assert Party.objects.count() == 0 and Allegation.objects.count() == 1 and SubjectAllegation.objects.count() == 0


def test_link_a_subject_to_a_person(handler, api_for):
    sa = SubjectAllegationFactory()
    person = PersonFactory()
    client = api_for(handler)
    body = client.post(f"/api/subjects/{sa.id}/link", {"person_id": person.id, "reason": "Collar number"}).json()
    assert body["person_id"] == person.id and body["subject_label"] == person.full_name and body["version"] == 2
    refused = client.post(f"/api/subjects/{sa.id}/link", {"person_id": 987654321}).json()
    assert (refused["status"], refused["field"]) == (422, "person_id")
    assert SubjectAllegation.objects.get().person_id == person.id
