"""Exhaustive transition tables: every allowed pair succeeds and writes one event for the record it
moves; every forbidden pair raises TransitionNotAllowed and writes nothing (architecture rule 3)."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from forewarn.audit.models import Event
from forewarn.cases.models import SubjectAllegation, SubjectStatus
from forewarn.core import calendar
from forewarn.core.errors import NotFound, PermissionDenied, TransitionNotAllowed
from forewarn.core.lifecycle import run_transition
from forewarn.organisations.models import Role
from forewarn.proceedings.lifecycle import CHALLENGE_MACHINE, MACHINES, PROCEEDING_MACHINE
from forewarn.proceedings.models import (
    Challenge,
    ChallengeStatus,
    Finding,
    Proceeding,
    ProceedingStatus,
    Sanction,
)
from tests.factories import make_user, only_refused, seat_on_panel
from tests.proceedings.builders import challenge_in, decided_proceeding, proceeding_in

pytestmark = pytest.mark.django_db
P = ProceedingStatus
C = ChallengeStatus

SERIOUSNESS = {"culpability": 4, "harm": 4, "seriousness_conclusion": "Deliberate, targeted, high harm."}
# Why each less severe outcome a hearing may impose for gross misconduct was insufficient (issue #6 §2).
NOT_LESS_THAN_DISMISSAL = {"outcomes_considered": [
    {"sanction": "final_written_warning", "why_not": "Would not maintain public confidence."},
    {"sanction": "reduction_in_rank", "why_not": "He cannot be trusted at any rank."}]}


def _events(obj) -> int:
    return Event.objects.filter(object_type=obj._meta.label_lower, object_id=obj.pk).count()


def _subject_events(proceeding) -> int:
    ids = list(proceeding.items.values_list("subject_allegation_id", flat=True))
    return Event.objects.filter(object_type="cases.subjectallegation", object_id__in=ids).count()


def _proceeding_scenario(source: str, target: str):
    """(proceeding, payload) for one allowed step of PROCEEDING_MACHINE."""
    today = timezone.localdate()
    if (source, target) == (P.NOTICE_OF_REFERRAL, P.SCHEDULED):
        p = proceeding_in(source, form="accelerated_hearing")
        return p, {"scheduled_for": calendar.add_working_days(p.notice_on, 12)}
    if target == P.OFFICER_RESPONDED:
        return proceeding_in(source), {"accepts": "accepts_in_part", "summary": "Admits allegation 1 only."}
    if target == P.SCHEDULED:
        return proceeding_in(source), {"scheduled_for": calendar.add_working_days(today, 30)}
    if target == P.HEARD:
        p = proceeding_in(source)
        return p, {"findings": {i: "gross_misconduct" for i in p.items.values_list("subject_allegation_id", flat=True)}}
    if target == P.OUTCOME_DETERMINED:
        return (proceeding_in(source, finding=Finding.GROSS_MISCONDUCT),
                {"sanction": "dismissal_without_notice", "reasons": "Dismissal is necessary.", **SERIOUSNESS,
                 **NOT_LESS_THAN_DISMISSAL})
    if target == P.OUTCOME_REPORTED:
        return proceeding_in(source, finding=Finding.GROSS_MISCONDUCT, sanction=Sanction.DISMISSAL_WITHOUT_NOTICE), {}
    if target == P.OUTCOME_NOTIFIED:
        return proceeding_in(source, finding=Finding.GROSS_MISCONDUCT, sanction=Sanction.FINAL_WRITTEN_WARNING), {}
    if (source, target) == (P.OUTCOME_NOTIFIED, P.FINAL):
        return decided_proceeding(source, form="meeting", finding=Finding.MISCONDUCT,
                                  sanction=Sanction.WRITTEN_WARNING), {}
    if target == P.APPEALED:
        return decided_proceeding(source), {"route": "judicial_review"}
    if (source, target) == (P.APPEALED, P.FINAL):
        return decided_proceeding(source), {"substituted_sanction": None}
    if target in (P.REMITTED, P.WITHDRAWN):
        return decided_proceeding(source) if target == P.REMITTED else proceeding_in(source), {"reasons": "Reasons."}
    return decided_proceeding(source), {}


PROCEEDING_PAIRS = sorted(PROCEEDING_MACHINE.allowed_pairs())
PROCEEDING_FORBIDDEN = sorted(set(itertools.product(P.values, P.values)) - PROCEEDING_MACHINE.allowed_pairs())


def test_the_tables_are_the_registry_entries():
    assert MACHINES == (PROCEEDING_MACHINE, CHALLENGE_MACHINE)
    assert len(PROCEEDING_PAIRS) == 23 and len(CHALLENGE_MACHINE.allowed_pairs()) == 6


@pytest.mark.parametrize(("source", "target"), PROCEEDING_PAIRS)
def test_every_allowed_proceeding_step_succeeds_and_writes_one_event(caseworker, source, target):
    proceeding, payload = _proceeding_scenario(source, target)
    subject_events = _subject_events(proceeding)
    obj, ctx = run_transition(machine=PROCEEDING_MACHINE, obj_id=proceeding.pk, target=target, actor=caseworker,
                              payload=payload)
    assert obj.status == target and obj.version == proceeding.version + 1
    assert _events(proceeding) == 1
    event = Event.objects.get(object_type="proceedings.proceeding", object_id=proceeding.pk)
    assert (event.from_state, event.to_state) == (source, target)
    moved = 2 if target in (P.HEARD, P.WITHDRAWN) else 0  # findings and withdrawal move both subjects
    assert _subject_events(proceeding) - subject_events == moved
    subject_states = set(SubjectAllegation.objects.filter(proceedings=proceeding).values_list("status", flat=True))
    expected = {P.HEARD: SubjectStatus.PROCEEDINGS_CONCLUDED, P.WITHDRAWN: SubjectStatus.PROCEEDINGS_WITHDRAWN}
    assert subject_states == {expected.get(target, SubjectStatus.REFERRED_TO_PROCEEDINGS)}
    if target == P.REMITTED:
        rehearing = ctx.results["rehearing"]
        assert (rehearing.remitted_from_id, rehearing.status) == (proceeding.pk, P.NOTICE_OF_REFERRAL)
        assert _events(rehearing) == 1


@pytest.mark.parametrize(("source", "target"), PROCEEDING_FORBIDDEN)
def test_every_forbidden_proceeding_step_is_refused_and_writes_nothing(caseworker, source, target):
    proceeding = decided_proceeding(source)
    with pytest.raises(TransitionNotAllowed):
        run_transition(machine=PROCEEDING_MACHINE, obj_id=proceeding.pk, target=target, actor=caseworker,
                       payload={})
    fresh = Proceeding.objects.get(pk=proceeding.pk)
    assert (fresh.status, fresh.version) == (source, proceeding.version)
    assert only_refused() and Proceeding.objects.count() == 1


def _challenge_payload(target: str) -> dict:
    return {C.DISMISSED: {"reasons": "Not irrational.", "citation": "[2023] EWHC 9999 (Admin)"},
            C.ALLOWED_SUBSTITUTED: {"reasons": "Only dismissal was open.", "substituted_sanction": "dismissal_without_notice",
                                    **NOT_LESS_THAN_DISMISSAL},
            C.ALLOWED_REMITTED: {"reasons": "Inadequate reasons on seriousness."},
            C.WITHDRAWN: {"reasons": "Withdrawn by the applicant."},
            C.APPEALED_ONWARD: {}}[target]


@pytest.mark.parametrize(("source", "target"), sorted(CHALLENGE_MACHINE.allowed_pairs()))
def test_every_allowed_challenge_step_succeeds_and_writes_one_event(caseworker, source, target):
    challenge = challenge_in(source, proceeding_status=P.APPEALED if source == C.LODGED else P.FINAL)
    proceeding = challenge.proceeding
    obj, ctx = run_transition(machine=CHALLENGE_MACHINE, obj_id=challenge.pk, target=target, actor=caseworker,
                              payload=_challenge_payload(target))
    assert obj.status == target
    assert _events(challenge) == 1
    proceeding.refresh_from_db()
    # Deciding a challenge also moves the proceeding, which writes its own single event.
    expected = {C.DISMISSED: P.FINAL, C.ALLOWED_SUBSTITUTED: P.FINAL, C.WITHDRAWN: P.FINAL,
                C.ALLOWED_REMITTED: P.REMITTED}
    assert proceeding.status == expected.get(target, P.FINAL)
    assert _events(proceeding) == (1 if target in expected else 0)
    if target == C.ALLOWED_SUBSTITUTED:
        assert proceeding.sanction == Sanction.DISMISSAL_WITHOUT_NOTICE
    if target == C.ALLOWED_REMITTED:
        assert ctx.results["rehearing"].remitted_from_id == proceeding.pk


@pytest.mark.parametrize(("source", "target"),
                         sorted(set(itertools.product(C.values, C.values)) - CHALLENGE_MACHINE.allowed_pairs()))
def test_every_forbidden_challenge_step_is_refused_and_writes_nothing(caseworker, source, target):
    challenge = challenge_in(source)
    with pytest.raises(TransitionNotAllowed):
        run_transition(machine=CHALLENGE_MACHINE, obj_id=challenge.pk, target=target, actor=caseworker,
                       payload=_challenge_payload(target) if target != C.LODGED else {})
    assert Challenge.objects.get(pk=challenge.pk).status == source
    assert only_refused()


def test_a_panel_member_cannot_notify_and_an_aa_cannot_make_findings(caseworker):
    panel = make_user(Role.PANEL_MEMBER)
    aa = make_user(Role.APPROPRIATE_AUTHORITY)
    reported = proceeding_in(P.OUTCOME_REPORTED, finding=Finding.GROSS_MISCONDUCT, sanction=Sanction.REDUCTION_IN_RANK)
    seat_on_panel(panel, proceeding=reported)  # in scope: the panel member sits on it
    with pytest.raises(PermissionDenied):
        run_transition(machine=PROCEEDING_MACHINE, obj_id=reported.pk, action="outcome_notify", actor=panel)
    scheduled = proceeding_in(P.SCHEDULED)
    findings = {i: "misconduct" for i in scheduled.items.values_list("subject_allegation_id", flat=True)}
    with pytest.raises(PermissionDenied):
        run_transition(machine=PROCEEDING_MACHINE, obj_id=scheduled.pk, action="findings_record", actor=aa,
                       payload={"findings": findings})
    assert only_refused(2)


def test_another_force_cannot_see_the_proceeding(other_force_handler):
    proceeding = proceeding_in(P.NOTICE_OF_REFERRAL)
    with pytest.raises(NotFound):
        run_transition(machine=PROCEEDING_MACHINE, obj_id=proceeding.pk, action="officer_respond",
                       actor=other_force_handler, payload={"accepts": "denies"})
    assert only_refused()
