"""Disclosure schedules (issue #6 §1): nothing known is left off, a reasoned decision on each item,
sealed versions that verify, and the continuing duty when new material is linked after serving."""

from __future__ import annotations

import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.cases import services as case_services
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from forewarn.disclosure import services
from forewarn.disclosure.models import Decision, DriftNotice, ScheduleStatus, ScheduleVersion
from forewarn.organisations.models import Role
from tests.factories import (
    AllegationFactory,
    AppointmentFactory,
    CaseFactory,
    PartyFactory,
    PersonFactory,
    SubjectAllegationFactory,
    make_user,
    org,
)
from tests.proceedings.builders import challenge_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A Met officer (fictional) with a decided hearing under judicial review, and other records:
    a withdrawn conduct matter, an allegation recorded by Kent, a restricted anti-corruption case."""
    jr = challenge_in("lodged")
    hearing = jr.proceeding
    person = hearing.person
    AppointmentFactory(person=person, organisation=org("MET"), start_date=dt.date(2005, 9, 1))
    case = hearing.case
    PartyFactory(case=case, full_name="Ottoline Vance", email="ottoline@example.org", role="complainant")
    PartyFactory(case=case, full_name="Protected Witness", email="pw@example.org", role="witness", restricted=True)
    withdrawn = SubjectAllegationFactory(person=person, allegation=AllegationFactory(
        case=CaseFactory(case_type="conduct_matter", status="withdrawn")), status="closed_no_action")
    kent = SubjectAllegationFactory(person=person, allegation=AllegationFactory(case=CaseFactory(organisation=org("KEN"))))
    covert = SubjectAllegationFactory(person=person, allegation=AllegationFactory(
        case=CaseFactory(restricted=True, restriction_kind="anti_corruption")))
    officer = make_user(Role.CASE_HANDLER, organisation="MET")
    return {"jr": jr, "hearing": hearing, "person": person, "case": case, "withdrawn": withdrawn, "kent": kent,
            "covert": covert, "officer": officer}


def _open(world):
    return services.schedule_open(actor=world["officer"], case_id=world["case"].pk, challenge_id=world["jr"].pk)


def _decide_all(schedule, actor, decision=Decision.DISCLOSED, reason=""):
    for item in schedule.items.filter(decision=""):
        services.item_decide(actor=actor, schedule_id=schedule.pk, item_id=item.pk, decision=decision, reason=reason)


def test_the_schedule_lists_every_record_known_about_the_person(world):
    schedule = _open(world)
    assert schedule.kind == "judicial_review" and schedule.person == world["person"]
    keys = set(schedule.items.values_list("key", flat=True))
    hearing_subjects = {f"subject_allegation:{i.subject_allegation_id}" for i in world["hearing"].items.all()}
    assert hearing_subjects <= keys
    for other in ("withdrawn", "kent", "covert"):
        assert f"subject_allegation:{world[other].pk}" in keys  # not upheld, other force, restricted: all listed
    assert f"proceeding:{world['hearing'].pk}" in keys  # the prior outcome
    covert = schedule.items.get(key=f"subject_allegation:{world['covert'].pk}")
    assert covert.facts["entry"]["withheld"] is True and "description" not in covert.facts
    assert Event.objects.filter(action="disclosure.schedule.open", object_id=schedule.pk).exists()


def test_decisions_need_the_officer_and_reasons(world):
    schedule = _open(world)
    item = schedule.items.first()
    with pytest.raises(ValidationFailed) as error:
        services.item_decide(actor=world["officer"], schedule_id=schedule.pk, item_id=item.pk,
                             decision="not_relevant")
    assert error.value.field == "reason"
    with pytest.raises(ValidationFailed) as error:
        services.item_decide(actor=world["officer"], schedule_id=schedule.pk, item_id=item.pk, decision="maybe")
    assert error.value.field == "decision"
    colleague = make_user(Role.CASE_HANDLER, organisation="MET")
    with pytest.raises(GuardFailed):
        services.item_decide(actor=colleague, schedule_id=schedule.pk, item_id=item.pk, decision="disclosed")
    with pytest.raises(NotFound):
        services.item_decide(actor=make_user(Role.CASE_HANDLER, organisation="KEN"), schedule_id=schedule.pk,
                             item_id=item.pk, decision="disclosed")
    item.refresh_from_db()
    assert item.decision == ""
    services.item_decide(actor=world["officer"], schedule_id=schedule.pk, item_id=item.pk, decision="withheld",
                         reason="Public interest immunity: an ongoing covert operation.")
    item.refresh_from_db()
    assert (item.decision, item.decided_by) == ("withheld", world["officer"])


def test_serving_seals_a_version_that_verifies_and_detects_tampering(world):
    schedule = _open(world)
    with pytest.raises(GuardFailed) as error:
        services.schedule_serve(actor=world["officer"], schedule_id=schedule.pk, served_to="The claimant's solicitors")
    assert error.value.code == "disclosure.items_pending"
    _decide_all(schedule, world["officer"])
    version = services.schedule_serve(actor=world["officer"], schedule_id=schedule.pk,
                                      served_to="The claimant's solicitors")
    assert version.number == 1 and len(version.content_hash) == 64
    text = str(version.content)
    assert "Ottoline Vance" in text  # the complainant's name, as the access rules allow the subject side
    assert "ottoline@example.org" not in text and "Protected Witness" not in text  # contacts, restricted parties
    assert services.schedule_verify(schedule_id=schedule.pk) == [(1, True, services.schedule_verify(
        schedule_id=schedule.pk)[0][2])]
    ScheduleVersion.objects.filter(pk=version.pk).update(content={**version.content, "items": []})
    [(number, ok, message)] = services.schedule_verify(schedule_id=schedule.pk)
    assert (number, ok) == (1, False) and "does not match" in message


def test_new_material_after_serving_is_drift_and_blocks_completion(world):
    schedule = _open(world)
    _decide_all(schedule, world["officer"])
    services.schedule_serve(actor=world["officer"], schedule_id=schedule.pk, served_to="The court")
    # A colleague's complaint about the same officer, recorded later by another force.
    kent = make_user(Role.CASE_HANDLER, organisation="KEN")
    case = CaseFactory(organisation=org("KEN"))
    allegation = case_services.allegation_add(actor=kent, case_id=case.pk, category="sexual_conduct",
                                              subcategory="Sexual harassment", standards=["SPB-DC"],
                                              description="Fictional.")
    subject = case_services.subject_add(actor=kent, allegation_id=allegation.pk, person_id=world["person"].pk)
    item = schedule.items.get(key=f"subject_allegation:{subject.pk}")
    assert item.decision == "" and item.added_after_version == 1
    notice = DriftNotice.objects.get(schedule=schedule)
    assert notice.item == item and services.drift_notices_for(actor=world["officer"]) == [notice]
    with pytest.raises(GuardFailed) as error:
        services.schedule_complete(actor=world["officer"], schedule_id=schedule.pk)
    assert error.value.code == "disclosure.items_pending"
    services.item_decide(actor=world["officer"], schedule_id=schedule.pk, item_id=item.pk, decision="disclosed")
    assert services.drift_notices_for(actor=world["officer"]) == []
    with pytest.raises(GuardFailed) as error:
        services.schedule_complete(actor=world["officer"], schedule_id=schedule.pk)
    assert error.value.code == "disclosure.unserved_decisions"
    services.schedule_serve(actor=world["officer"], schedule_id=schedule.pk, served_to="The court")
    done = services.schedule_complete(actor=world["officer"], schedule_id=schedule.pk)
    assert done.status == ScheduleStatus.COMPLETED
    assert [ok for _, ok, _ in services.schedule_verify(schedule_id=schedule.pk)] == [True, True]


def test_an_unlinked_record_stays_on_the_schedule_marked_as_no_longer_linked(world):
    from forewarn.linkage.identification import link_undo

    schedule = _open(world)
    kent = world["kent"]
    link_undo(actor=make_user(Role.CASE_HANDLER, organisation="KEN"), subject_allegation_id=kent.pk,
              reason="Wrong officer.")
    item = schedule.items.get(key=f"subject_allegation:{kent.pk}")
    assert item.no_longer_linked is True


def test_who_may_open_and_read(world):
    with pytest.raises(PermissionDenied):
        services.schedule_open(actor=make_user(Role.VETTING_OFFICER, organisation="MET"), case_id=world["case"].pk,
                               challenge_id=world["jr"].pk)
    with pytest.raises(NotFound):
        services.schedule_open(actor=make_user(Role.CASE_HANDLER, organisation="KEN"), case_id=world["case"].pk,
                               challenge_id=world["jr"].pk)
    schedule = _open(world)
    with pytest.raises(NotFound):
        services.schedule_read(actor=make_user(Role.CASE_HANDLER, organisation="KEN"), schedule_id=schedule.pk)
    with pytest.raises(ValidationFailed) as error:
        services.schedule_open(actor=world["officer"], case_id=world["case"].pk, kind="criminal")
    assert error.value.field == "person_id"
    stranger = PersonFactory()
    with pytest.raises(ValidationFailed) as error:
        services.schedule_open(actor=world["officer"], case_id=world["case"].pk, kind="civil", person_id=stranger.pk)
    assert error.value.field == "person_id"
