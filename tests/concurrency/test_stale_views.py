"""A page or API client working from an old view of a record is refused, told why, and overwrites nothing.

The web forms carry the version the page was drawn from in a hidden field; the API takes it as
`expected_version`. Someone else's change in between makes the submission stale: a 409 problem with
the current version (API), or the form again with a plain message (web).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from forewarn.cases import restriction, services
from forewarn.cases.models import SubjectAllegation
from forewarn.core.errors import StaleVersion
from forewarn.organisations.models import Role
from forewarn.organisations.services import api_token_issue
from forewarn.workforce import services as workforce
from tests.factories import (
    AppointmentFactory,
    CaseFactory,
    PersonFactory,
    SubjectAllegationFactory,
    change_events,
    make_user,
    org,
    sign_in,
)

pytestmark = pytest.mark.django_db

STALE_MESSAGE = "Someone else changed this record"


@pytest.fixture
def handler_web(db):
    user = make_user(Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY)
    client = Client()
    sign_in(client, user)
    return user, client


def _hidden_version(page: str) -> int:
    return int(re.search(r'name="expected_version"[^>]*value="(\d+)"', page).group(1))


def test_linking_a_subject_from_a_stale_page_is_refused_with_a_plain_message(handler_web):
    user, client = handler_web
    subject = SubjectAllegationFactory(name_as_given="Imaginary")
    first, second = PersonFactory(family_name="Imaginary"), PersonFactory(family_name="Imaginary")
    for person in (first, second):
        AppointmentFactory(person=person)
    page = client.get(f"/subjects/{subject.id}/link/?q=Imaginary").content.decode()
    assert _hidden_version(page) == subject.version == 1
    # Meanwhile a colleague identifies the officer.
    services.subject_link_person(actor=user, subject_allegation_id=subject.id, person_id=first.id, expected_version=1)
    changes = change_events().count()
    response = client.post(f"/subjects/{subject.id}/link/?q=Imaginary",
                           {"person": second.id, "reason": "Collar number", "expected_version": 1})
    body = response.content.decode()
    assert response.status_code == 200 and STALE_MESSAGE in body
    assert "your version 1, current version 2" in body and "check what changed" in body
    subject.refresh_from_db()
    assert (subject.person_id, subject.version) == (first.id, 2) and change_events().count() == changes


def test_a_lifecycle_step_from_a_stale_page_is_refused_and_the_page_says_so(handler_web):
    user, client = handler_web
    case = CaseFactory(status="received")
    url = f"/actions/case/{case.id}/log/"
    assert _hidden_version(client.get(url).content.decode()) == 1
    services.case_withdraw(actor=user, case_id=case.id, reasons="Withdrawn by letter.", expected_version=1)
    today = timezone.localdate()
    response = client.post(url, {"on_day": today.day, "on_month": today.month, "on_year": today.year,
                                 "expected_version": 1})
    assert response.status_code == 200 and STALE_MESSAGE in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.version) == ("withdrawn", 2)


def test_the_api_answers_a_stale_link_with_409_and_the_current_version():
    user = make_user(Role.CASE_HANDLER)
    _, secret = api_token_issue(actor=user, user_id=user.id, name="t", scopes=["read", "write"])
    subject = SubjectAllegationFactory()
    first, second = PersonFactory(), PersonFactory()
    services.subject_link_person(actor=user, subject_allegation_id=subject.id, person_id=first.id)
    response = Client().post(f"/api/subjects/{subject.id}/link", {"person_id": second.id, "expected_version": 1},
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    problem = response.json()
    assert (response.status_code, response["Content-Type"]) == (409, "application/problem+json")
    assert (problem["code"], problem["context"]["current_version"]) == ("version.stale", 2)
    assert SubjectAllegation.objects.get(pk=subject.pk).person_id == first.id


@pytest.mark.parametrize("edit", ["rename", "end", "rank", "transfer"])
def test_workforce_edits_refuse_a_stale_version(edit):
    admin = make_user(Role.ADMINISTRATOR)
    appointment = AppointmentFactory()
    person = appointment.person
    appointment.ranks.create(rank="PC", start_date=appointment.start_date)
    today = timezone.localdate()
    calls = {
        "rename": lambda v: workforce.person_rename(actor=admin, person_id=person.id, given_name="New",
                                                    family_name=f"Name{v}", expected_version=v),
        "end": lambda v: workforce.appointment_end(actor=admin, appointment_id=appointment.id, on=today,
                                                   reason="resigned", expected_version=v),
        "rank": lambda v: workforce.rank_change(actor=admin, appointment_id=appointment.id, rank="PS", on=today,
                                                acting=True, expected_version=v),
        "transfer": lambda v: workforce.person_transfer(actor=admin, person_id=person.id,
                                                        to_organisation_id=org("KEN").id, on=today,
                                                        service_number=f"9{v}", expected_version=v),
    }
    calls[edit](1)  # the first edit, made against version 1, lands and makes version 2
    changes = change_events().count()
    with pytest.raises(StaleVersion) as err:
        calls[edit](1)  # a second edit from the same old view
    assert err.value.context["current_version"] == 2
    assert change_events().count() == changes


def test_a_restriction_decided_from_a_stale_view_is_refused_on_the_api_and_the_web():
    head = make_user(Role.HEAD_OF_STANDARDS)
    case = CaseFactory()
    web = Client()
    sign_in(web, head)
    page = web.get(f"/cases/{case.id}/restriction/").content.decode()
    assert _hidden_version(page) == 1
    restriction.case_restrict(actor=head, case_id=case.id, kind="covert", reason="Covert operation.",
                              expected_version=1)
    # The API client and the open page both still think the case is at version 1.
    _, secret = api_token_issue(actor=head, user_id=head.id, name="t", scopes=["read", "write"])
    response = Client().post(f"/api/cases/{case.id}/restriction",
                             {"restricted": False, "reason": "Lift it.", "expected_version": 1},
                             content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert (response.status_code, response.json()["context"]["current_version"]) == (409, 2)
    response = web.post(f"/cases/{case.id}/restriction/", {"kind": "", "reason": "Lift it.", "expected_version": 1})
    assert STALE_MESSAGE in response.content.decode()
    case.refresh_from_db()
    assert (case.restricted, case.restriction_kind, case.version) == (True, "covert", 2)
