"""Intelligence records (issue #6 §1): recording and linking are permission-checked, scoped to the
owning force and audited in the same transaction; a refusal writes nothing but its refusal event;
a described subject gets proposed matches from the case flow's identity resolution."""

from __future__ import annotations

import datetime as dt

import pytest

from forewarn.audit.models import Event, EventKind
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from forewarn.intelligence import selectors, services
from forewarn.intelligence.models import IntelligenceRecord, LinkMethod
from forewarn.organisations.models import Role
from tests.factories import AppointmentFactory, PersonFactory, RankHeldFactory, make_user, org

pytestmark = pytest.mark.django_db

REPORT = {"received_on": dt.date(2024, 6, 3), "source_evaluation": "2", "intelligence_assessment": "B",
          "handling_code": "P", "summary": "Fictional: seen accepting gifts from a licensee.",
          "name_as_given": "PC Tamsin Orchard", "number_as_given": "5512", "station_as_given": "Holborn"}


@pytest.fixture
def analyst():
    return make_user(Role.HEAD_OF_STANDARDS, organisation="MET")


def _record(actor, reference="INT/24/001", **overrides):
    return services.intelligence_record(actor=actor, reference=reference, **{**REPORT, **overrides})


def _changes():
    return Event.objects.filter(kind=EventKind.CHANGE, action__startswith="intelligence.").count()


def test_recording_is_audited_in_the_same_transaction_and_scoped_to_the_force(analyst):
    record = _record(analyst)
    assert (record.organisation, record.grading, record.person) == (org("MET"), "2B P", None)
    event = Event.objects.get(action="intelligence.record", object_id=record.pk)
    assert event.kind == EventKind.CHANGE and event.actor_id == analyst.pk
    assert event.data["grading"] == "2B P" and "summary" not in event.data  # the trail carries no content
    assert selectors.intelligence_get_for_actor(actor=analyst, intelligence_id=record.pk) == record
    for outsider in (make_user(Role.HEAD_OF_STANDARDS, organisation="KEN"),  # another force
                     make_user(Role.VETTING_OFFICER, organisation="MET"),  # a role that holds no intelligence
                     make_user(Role.IOPC_CASEWORKER, organisation="IOPC")):
        with pytest.raises(NotFound):
            selectors.intelligence_get_for_actor(actor=outsider, intelligence_id=record.pk)
        assert selectors.intelligence_for_actor(actor=outsider) == (0, [])


@pytest.mark.parametrize("role", [Role.VETTING_OFFICER, Role.INVESTIGATOR, Role.IOPC_CASEWORKER, Role.PANEL_MEMBER,
                                  Role.SUBJECT_OFFICER, Role.ADMINISTRATOR])
def test_roles_without_intelligence_cannot_record_and_nothing_is_written(role):
    actor = make_user(role, organisation="IOPC" if role == Role.IOPC_CASEWORKER else "MET")
    with pytest.raises(PermissionDenied):
        _record(actor)
    assert not IntelligenceRecord.objects.exists() and _changes() == 0
    refused = Event.objects.get(kind=EventKind.REFUSED, action="intelligence.record")
    assert refused.actor_id == actor.pk


@pytest.mark.parametrize(("overrides", "field"), [
    ({"reference": ""}, "reference"),
    ({"source_evaluation": "4"}, "source_evaluation"),
    ({"intelligence_assessment": "F"}, "intelligence_assessment"),
    ({"handling_code": "X"}, "handling_code"),
    ({"summary": "  "}, "summary"),
    ({"received_on": dt.date.today() + dt.timedelta(days=3)}, "received_on"),
    ({"handling_code": "C"}, "handling_conditions"),  # C must say what the conditions are
    ({"handling_conditions": "Not to the subject."}, "handling_conditions"),  # conditions without C
    ({"name_as_given": "", "number_as_given": "", "station_as_given": ""}, "name_as_given"),
    ({"approximate_age": 9}, "approximate_age"),
    ({"person_id": 987654321}, "person_id"),
])
def test_bad_input_names_the_field_and_writes_nothing(analyst, overrides, field):
    with pytest.raises(ValidationFailed) as error:
        _record(analyst, **overrides)
    assert error.value.field == field
    assert not IntelligenceRecord.objects.exists() and _changes() == 0


def test_a_reference_is_unique_within_its_force_only(analyst):
    _record(analyst)
    with pytest.raises(ValidationFailed) as error:
        _record(analyst)
    assert error.value.code == "intelligence.duplicate_reference"
    _record(make_user(Role.HEAD_OF_STANDARDS, organisation="KEN"))  # Kent's own INT/24/001
    assert IntelligenceRecord.objects.count() == 2


def test_a_described_subject_gets_candidates_and_linking_one_records_how(analyst):
    person = PersonFactory(given_name="Tamsin", family_name="Orchard", date_of_birth=dt.date(1988, 2, 2), sex="F")
    appointment = AppointmentFactory(person=person, organisation=org("MET"), service_number="5512",
                                     station="Holborn", start_date=dt.date(2012, 9, 1))
    RankHeldFactory(appointment=appointment, rank="PC", start_date=dt.date(2012, 9, 1))
    for _ in range(10):
        RankHeldFactory(appointment=AppointmentFactory(person=PersonFactory(), station="Camden"))
    record = _record(analyst, rank_as_given="PC")
    assert record.candidates and record.candidates[0]["person_id"] == person.pk
    assert record.person is None  # proposals only: a person decides the link
    linked = services.intelligence_link(actor=analyst, intelligence_id=record.pk, person_id=person.pk,
                                        reason="Collar number and station match.", expected_version=record.version)
    assert (linked.person, linked.link_method) == (person, LinkMethod.CANDIDATE)
    assert linked.link_probability == record.candidates[0]["probability"]
    event = Event.objects.get(action="intelligence.link", object_id=record.pk)
    assert event.data["method"] == "candidate" and event.changes == {"person_id": [None, person.pk]}


def test_link_and_unlink_are_guarded_and_audited(analyst):
    record = _record(analyst)
    person = PersonFactory()
    kent = make_user(Role.HEAD_OF_STANDARDS, organisation="KEN")
    with pytest.raises(NotFound):  # another force's record does not exist for Kent
        services.intelligence_link(actor=kent, intelligence_id=record.pk, person_id=person.pk)
    with pytest.raises(PermissionDenied):
        services.intelligence_link(actor=make_user(Role.VETTING_OFFICER, organisation="MET"),
                                   intelligence_id=record.pk, person_id=person.pk)
    with pytest.raises(StaleVersion):
        services.intelligence_link(actor=analyst, intelligence_id=record.pk, person_id=person.pk, expected_version=7)
    with pytest.raises(GuardFailed):
        services.intelligence_unlink(actor=analyst, intelligence_id=record.pk, reason="Nothing to undo.")
    record.refresh_from_db()
    assert record.person is None and _changes() == 1  # only the recording
    services.intelligence_link(actor=analyst, intelligence_id=record.pk, person_id=person.pk)
    record.refresh_from_db()
    assert (record.person, record.link_method, record.linked_by) == (person, LinkMethod.MANUAL, analyst)
    with pytest.raises(GuardFailed):
        services.intelligence_link(actor=analyst, intelligence_id=record.pk, person_id=PersonFactory().pk)
    with pytest.raises(ValidationFailed) as error:
        services.intelligence_unlink(actor=analyst, intelligence_id=record.pk, reason="")
    assert error.value.field == "reason"
    services.intelligence_unlink(actor=analyst, intelligence_id=record.pk, reason="Wrong officer.")
    record.refresh_from_db()
    assert record.person is None and record.link_method == ""
    unlink = Event.objects.get(kind=EventKind.CHANGE, action="intelligence.unlink", object_id=record.pk)
    assert unlink.data == {"person_id": person.pk} and unlink.reason == "Wrong officer."
    assert _changes() == 3
