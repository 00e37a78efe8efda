"""The register inbox on the web and the API: reading is audited, acknowledging once, other forces see nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from forewarn.audit.models import Event
from forewarn.organisations.models import Role
from forewarn.register.models import AlertRecipient
from tests.api.conftest import client_for
from tests.factories import AppointmentFactory, PersonFactory, make_user, org, sign_in
from tests.register.test_alerts import _allegation

pytestmark = pytest.mark.django_db


@pytest.fixture
def standards_copy():
    """A Met allegation of sexual conduct against a serving Kent officer (fictional): Kent's PSD copy."""
    person = PersonFactory(given_name="Tobias", family_name="Quillfeather", date_of_birth=dt.date(1980, 5, 5))
    AppointmentFactory(person=person, organisation=org("KEN"), start_date=dt.date(2012, 4, 2))
    met = make_user(Role.CASE_HANDLER, organisation="MET")
    from forewarn.cases import services

    allegation = _allegation(met)
    services.subject_add(actor=met, allegation_id=allegation.id, person_id=person.id)
    return AlertRecipient.objects.get(unit="standards")


def test_inbox_page_lists_and_detail_is_audited(standards_copy):
    hos = make_user(Role.HEAD_OF_STANDARDS, organisation="KEN")
    client = Client()
    sign_in(client, hos)
    page = client.get("/register/alerts/")
    assert page.status_code == 200
    assert "Tobias Quillfeather" in page.content.decode()

    detail = client.get(f"/register/alerts/{standards_copy.id}/")
    body = detail.content.decode()
    assert detail.status_code == 200
    assert "Sexual conduct" in body and "Acknowledge" in body
    assert Event.objects.filter(kind="read", object_id=standards_copy.id, actor=hos).count() == 1

    done = client.post(f"/register/alerts/{standards_copy.id}/acknowledge/", {"note": "Seen by PSD."})
    assert done.status_code == 302
    standards_copy.refresh_from_db()
    assert standards_copy.acknowledged_by == hos
    assert "Acknowledged" in client.get(f"/register/alerts/{standards_copy.id}/").content.decode()
    assert "Tobias" not in client.get("/register/alerts/").content.decode()  # no longer waiting


def test_other_force_and_other_unit_get_404(standards_copy):
    for user in (make_user(Role.HEAD_OF_STANDARDS, organisation="SUS"), make_user(Role.VETTING_OFFICER, organisation="KEN")):
        client = Client()
        sign_in(client, user)
        assert client.get(f"/register/alerts/{standards_copy.id}/").status_code == 404
        assert client.post(f"/register/alerts/{standards_copy.id}/acknowledge/").status_code == 404
    standards_copy.refresh_from_db()
    assert standards_copy.acknowledged_at is None


def test_api_list_get_acknowledge(standards_copy):
    handler = make_user(Role.CASE_HANDLER, organisation="KEN")
    api = client_for(handler)
    listed = api.get("/api/register/alerts").json()
    assert [a["id"] for a in listed] == [standards_copy.id]
    assert listed[0]["trigger"] == "serious_allegation" and listed[0]["summary"]["entry"]["organisation"]["code"] == "MET"
    one = api.get(f"/api/register/alerts/{standards_copy.id}")
    assert one.status_code == 200 and one.json()["person_name"] == "Tobias Quillfeather"

    acknowledged = api.post(f"/api/register/alerts/{standards_copy.id}/acknowledge", {"note": "Seen."})
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_by"] == handler.username
    again = api.post(f"/api/register/alerts/{standards_copy.id}/acknowledge", {})
    assert again.status_code == 409 and again.json()["code"] == "alert.already_acknowledged"
    assert api.get("/api/register/alerts").json() == []
    assert len(api.get("/api/register/alerts?include_acknowledged=true").json()) == 1
    bad = api.post(f"/api/register/alerts/{standards_copy.id}/acknowledge", {"note": "x" * 2001})
    assert bad.status_code == 422 and bad.json()["field"] == "note"


def test_api_other_force_404(standards_copy):
    api = client_for(make_user(Role.CASE_HANDLER, organisation="SUS"))
    assert api.get(f"/api/register/alerts/{standards_copy.id}").status_code == 404
    assert api.get("/api/register/alerts").json() == []


def test_my_work_shows_waiting_alerts(standards_copy):
    client = Client()
    sign_in(client, make_user(Role.HEAD_OF_STANDARDS, organisation="KEN"))
    assert "1 alert waits for acknowledgement" in client.get("/").content.decode()
    client = Client()
    sign_in(client, make_user(Role.HEAD_OF_STANDARDS, organisation="SUS"))
    assert 'id="register-alerts"' not in client.get("/").content.decode()


def test_person_page_links_the_register_for_register_readers_only():
    person = PersonFactory()
    for role, shown in ((Role.VETTING_OFFICER, True), (Role.IOPC_CASEWORKER, True), (Role.ADMINISTRATOR, False)):
        client = Client()
        sign_in(client, make_user(role, organisation="IOPC" if role == Role.IOPC_CASEWORKER else "MET"))
        page = client.get(f"/people/{person.id}/").content.decode()
        assert ("National register history" in page) is shown, role
