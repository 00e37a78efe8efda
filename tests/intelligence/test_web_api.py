"""Intelligence records through the API and the web pages: 201 on a good report, 4xx naming the field on
bad input with nothing written, 404 for another force's record, and the schedule page's wording."""

from __future__ import annotations

import pytest
from django.test import Client

from forewarn.audit.models import Event, EventKind
from forewarn.intelligence.models import IntelligenceRecord
from forewarn.organisations.models import Role
from tests.api.conftest import client_for
from tests.disclosure.test_schedules import _open, world  # noqa: F401 - the shared fixture
from tests.factories import PersonFactory, make_user, sign_in

pytestmark = pytest.mark.django_db

BODY = {"reference": "MET/INT/40", "received_on": "2024-05-02", "source_evaluation": "3",
        "intelligence_assessment": "D", "handling_code": "P", "summary": "Fictional: anonymous call.",
        "name_as_given": "Sgt Wilberforce", "station_as_given": "Bow"}


@pytest.fixture
def analyst():
    return make_user(Role.APPROPRIATE_AUTHORITY, organisation="MET")


def test_api_records_reads_links_and_unlinks(analyst):
    api = client_for(analyst)
    response = api.post("/api/intelligence", BODY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["grading"], body["organisation"], body["person_id"]) == ("3D P", "MET", None)
    record_id = body["id"]
    assert api.get(f"/api/intelligence/{record_id}").json()["reference"] == "MET/INT/40"
    assert [r["id"] for r in api.get("/api/intelligence?unlinked=true").json()["items"]] == [record_id]
    person = PersonFactory()
    linked = api.post(f"/api/intelligence/{record_id}/link", {"person_id": person.pk, "expected_version": 1})
    assert linked.status_code == 200 and linked.json()["link_method"] == "manual"
    assert api.post(f"/api/intelligence/{record_id}/unlink", {}).status_code == 422  # a reason is required
    stale = api.post(f"/api/intelligence/{record_id}/unlink", {"reason": "Wrong.", "expected_version": 1})
    assert stale.status_code == 409
    assert api.post(f"/api/intelligence/{record_id}/unlink", {"reason": "Wrong."}).json()["person_id"] is None
    kent = client_for(make_user(Role.HEAD_OF_STANDARDS, organisation="KEN"))
    assert kent.get(f"/api/intelligence/{record_id}").status_code == 404
    assert kent.post(f"/api/intelligence/{record_id}/link", {"person_id": person.pk}).status_code == 404
    assert kent.get("/api/intelligence").json()["count"] == 0
    vetting = client_for(make_user(Role.VETTING_OFFICER, organisation="MET"))
    assert vetting.post("/api/intelligence", {**BODY, "reference": "X"}).status_code == 403


@pytest.mark.parametrize(("change", "field", "status"), [
    ({"source_evaluation": "5"}, "source_evaluation", 422),
    ({"handling_code": "C"}, "handling_conditions", 422),  # the service's rule: C must state its conditions
    ({"received_on": "2024-02-30"}, "received_on", 422),
    ({"summary": ""}, "summary", 422),
    ({"approximate_age": 7}, "approximate_age", 422),
    ({"colour": "blue"}, "colour", 422),
    ({"person_id": 0}, "person_id", 422),
    ({"person_id": 9_999_999}, "person_id", 422),
    ({"name_as_given": "", "station_as_given": ""}, "name_as_given", 422),
])
def test_api_bad_input_is_4xx_naming_the_field_with_nothing_written(analyst, change, field, status):
    response = client_for(analyst).post("/api/intelligence", {**BODY, **change})
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert not IntelligenceRecord.objects.exists()
    assert not Event.objects.filter(kind=EventKind.CHANGE, action__startswith="intelligence.").exists()


def test_web_pages_record_show_and_link(analyst):
    client = Client()
    sign_in(client, analyst)
    assert client.get("/intelligence/new/").status_code == 200
    refused = client.post("/intelligence/new/", {"reference": "MET/INT/41", "received_on_day": "2",
                                                 "received_on_month": "5", "received_on_year": "2024",
                                                 "source_evaluation": "2", "intelligence_assessment": "B",
                                                 "handling_code": "C", "summary": "Fictional."})
    assert refused.status_code == 200 and b"conditions" in refused.content and not IntelligenceRecord.objects.exists()
    created = client.post("/intelligence/new/", {"reference": "MET/INT/41", "received_on_day": "2",
                                                 "received_on_month": "5", "received_on_year": "2024",
                                                 "source_evaluation": "2", "intelligence_assessment": "B",
                                                 "handling_code": "P", "summary": "Fictional.",
                                                 "name_as_given": "PC Quill", "sensitive": "on"})
    record = IntelligenceRecord.objects.get()
    assert created.status_code == 302 and record.sensitive and record.grading == "2B P"
    page = client.get(f"/intelligence/{record.pk}/")
    assert page.status_code == 200 and b"MET/INT/41" in page.content and b"Sensitive" in page.content
    assert b"MET/INT/41" in client.get("/intelligence/").content
    person = PersonFactory()
    client.post(f"/intelligence/{record.pk}/link/", {"person_id": str(person.pk), "expected_version": "1"})
    record.refresh_from_db()
    assert record.person == person
    kent = Client()
    sign_in(kent, make_user(Role.HEAD_OF_STANDARDS, organisation="KEN"))
    assert kent.get(f"/intelligence/{record.pk}/").status_code == 404


def test_the_schedule_page_lists_sensitive_intelligence_without_content(world):  # noqa: F811
    from forewarn.intelligence.services import intelligence_record

    intelligence_record(actor=make_user(Role.HEAD_OF_STANDARDS, organisation="KEN"), reference="KEN/ACU/1",
                        received_on=world["case"].came_to_attention_on, source_evaluation="1",
                        intelligence_assessment="A", handling_code="P", summary="Fictional covert detail.",
                        sensitive=True, person_id=world["person"].pk)
    schedule = _open(world)
    client = Client()
    sign_in(client, world["officer"])
    page = client.get(f"/disclosure/{schedule.pk}/").content.decode()
    assert "Sensitive intelligence held by Kent Police: ask the owning force" in page
    assert "Fictional covert detail" not in page and "KEN/ACU/1" not in page
    assert "not held in Forewarn" not in page


def test_the_menu_offers_intelligence_only_to_those_who_may_read_it(analyst):
    link = b'href="/intelligence/"'
    client = Client()
    sign_in(client, analyst)
    assert link in client.get("/cases/").content
    vetting = Client()
    sign_in(vetting, make_user(Role.VETTING_OFFICER, organisation="MET"))
    page = vetting.get("/cases/")
    assert page.status_code == 200 and link not in page.content
