"""Dates that cannot be are refused by the services, naming the field, whatever the interface.

The lifecycle engine's own date rules (no step in the future, none before the matter came to
attention or before the current step began) are tested in tests/core/test_engine.py; these are the
rules of the services outside it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from forewarn.cases import services as case_services
from forewarn.core.errors import ValidationFailed
from forewarn.organisations.models import Role
from forewarn.proceedings import services as proceeding_services
from forewarn.proceedings.models import ListReferral
from forewarn.workforce import services as workforce
from forewarn.workforce.models import Appointment, Person
from tests.factories import CaseFactory, PersonFactory, change_events, make_user
from tests.proceedings.builders import officer_allegations

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _refused(call, field: str, code: str) -> None:
    changes = change_events().count()
    with pytest.raises(ValidationFailed) as err:
        call()
    assert (err.value.field, err.value.code) == (field, code)
    assert change_events().count() == changes


def test_no_date_of_birth_in_the_future():
    admin = make_user(Role.ADMINISTRATOR)
    _refused(lambda: workforce.person_create(actor=admin, given_name="Ada", family_name="Imaginary",
                                             date_of_birth=TODAY + dt.timedelta(days=1)),
             "date_of_birth", "date.in_future")
    assert not Person.objects.exists()


def test_no_appointment_before_the_person_was_born():
    admin = make_user(Role.ADMINISTRATOR)
    person = PersonFactory(date_of_birth=dt.date(1990, 5, 1))
    _refused(lambda: workforce.appointment_start(actor=admin, person_id=person.id, organisation_id=admin.organisation_id,
                                                 start_date=dt.date(1989, 9, 1), service_number="1234"),
             "start_date", "date.before_birth")
    assert not Appointment.objects.exists()
    workforce.appointment_start(actor=admin, person_id=person.id, organisation_id=admin.organisation_id,
                                start_date=dt.date(2012, 9, 1), service_number="1234")


def test_no_incident_after_the_matter_came_to_attention_and_no_matter_from_the_future():
    handler = make_user(Role.CASE_HANDLER)
    _refused(lambda: case_services.case_record(actor=handler, case_type="complaint", summary="s",
                                               came_to_attention_on=TODAY - dt.timedelta(days=3),
                                               incident_date=TODAY - dt.timedelta(days=1)),
             "incident_date", "date.incident_after_attention")
    _refused(lambda: case_services.case_record(actor=handler, case_type="complaint", summary="s",
                                               came_to_attention_on=TODAY + dt.timedelta(days=1)),
             "came_to_attention_on", "date.in_future")


def test_no_progress_report_before_the_matter_came_to_attention():
    handler = make_user(Role.CASE_HANDLER)
    case = CaseFactory(status="under_investigation")
    _refused(lambda: case_services.investigation_progress_report_record(
        actor=handler, case_id=case.id, on=case.came_to_attention_on - dt.timedelta(days=1), summary="s"),
        "on", "date.before_matter")


def test_no_advisory_list_report_before_the_person_left():
    aa = make_user(Role.APPROPRIATE_AUTHORITY)
    left = dt.date(2024, 6, 1)
    subject = officer_allegations(status="under_investigation", status_since=dt.date(2024, 3, 1),
                                  left_service_on=left, is_former_officer=True)[0]
    _refused(lambda: proceeding_services.list_referral_record(
        actor=aa, kind="advisory", subject_allegation_id=subject.pk, reported_on=left - dt.timedelta(days=1),
        conduct_description="d"), "reported_on", "date.before_leaving")
    assert not ListReferral.objects.exists()
    proceeding_services.list_referral_record(actor=aa, kind="advisory", subject_allegation_id=subject.pk,
                                             reported_on=left, conduct_description="d")
