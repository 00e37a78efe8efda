"""Referral, the statutory guards on each step, challenges and list referrals."""

from __future__ import annotations

import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.cases.models import SubjectAllegation, SubjectStatus
from forewarn.core import calendar
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, TransitionNotAllowed
from forewarn.core.lifecycle import run_transition
from forewarn.core.models import Clock
from forewarn.proceedings import selectors, services
from forewarn.proceedings.lifecycle import CHALLENGE_MACHINE, PROCEEDING_MACHINE
from forewarn.proceedings.models import Challenge, ListReferral, Proceeding
from tests.factories import CaseFactory, change_events, only_refused
from tests.proceedings.builders import challenge_in, decided_proceeding, officer_allegations, proceeding_in

pytestmark = pytest.mark.django_db

SERIOUS = {"culpability": 3, "harm": 3, "seriousness_conclusion": "Serious: deliberate conduct, real harm."}


def step(actor, proceeding, action, on=None, **payload):
    obj, _ = run_transition(machine=PROCEEDING_MACHINE, obj_id=proceeding.pk, action=action, actor=actor,
                            payload=payload, on=on)
    return obj


def nothing_written(proceeding=None):
    assert only_refused(None)
    if proceeding is not None:
        fresh = Proceeding.objects.get(pk=proceeding.pk)
        assert fresh.version == proceeding.version and fresh.status == proceeding.status


# -- referral ----------------------------------------------------------------------------------

def test_refer_creates_the_proceeding_moves_the_subjects_and_starts_the_clocks(caseworker):
    subjects = officer_allegations(count=2, final_written_warning_in_force=True)
    notice = dt.date(2024, 6, 3)
    p = services.proceeding_refer(actor=caseworker, subject_allegation_ids=[s.id for s in subjects], form="hearing",
                                  notice_on=notice, panel=[{"role": "chair", "name": "Morwenna Example"}])
    assert (p.status, p.notice_on, p.regime, p.panel_regime) == ("notice_of_referral", notice, "R2020", "CHAIR_2024")
    assert p.final_written_warning_in_force and not p.is_former_officer and p.person_id == subjects[0].person_id
    assert sorted(p.items.values_list("subject_allegation_id", flat=True)) == sorted(s.id for s in subjects)
    assert set(SubjectAllegation.objects.filter(pk__in=[s.id for s in subjects]).values_list("status", flat=True)) \
        == {SubjectStatus.REFERRED_TO_PROCEEDINGS}
    clocks = {c.kind: c.due_on for c in Clock.objects.filter(proceeding=p, stopped_on__isnull=True)}
    assert clocks == {"officer_response": calendar.add_working_days(notice, 15),
                      "hearing_held": calendar.add_working_days(notice, 100)}
    assert Event.objects.filter(action="proceeding.refer", object_id=p.id).count() == 1
    assert Event.objects.filter(action="subject_allegation.refer_to_proceedings").count() == 2
    lqc = services.proceeding_refer(actor=caseworker, subject_allegation_ids=[officer_allegations()[0].id],
                                    form="accelerated_hearing", notice_on=dt.date(2024, 5, 6))
    assert lqc.panel_regime == "LQC"


def test_an_unidentified_officer_described_the_same_way_may_be_referred_together(caseworker):
    case = CaseFactory()
    described = {"identified": False, "name_as_given": "Smith", "number_as_given": "4521"}
    subjects = [*officer_allegations(case=case, case_to_answer="misconduct", **described),
                *officer_allegations(case=case, case_to_answer="misconduct", **described)]
    p = services.proceeding_refer(actor=caseworker, subject_allegation_ids=[s.id for s in subjects], form="meeting",
                                  notice_on=dt.date(2025, 3, 3))
    assert p.items.count() == 2 and p.person_id is None


@pytest.mark.parametrize(("setup", "code"), [
    ("two_officers", "proceeding.mixed_officers"),
    ("two_cases", "proceeding.mixed_cases"),
    ("gm_to_meeting", "proceeding.form_not_allowed"),
    ("misconduct_to_amh", "proceeding.form_not_allowed"),
    ("misconduct_with_fww_to_meeting", "proceeding.form_not_allowed"),
    ("former_officer_misconduct", "proceeding.form_not_allowed"),
])
def test_refer_refusals_write_nothing(caseworker, setup, code):
    case = CaseFactory()
    form = "hearing"
    if setup == "two_officers":
        subjects = officer_allegations(case=case) + officer_allegations(case=case)
    elif setup == "two_cases":
        first = officer_allegations()
        subjects = first + officer_allegations(person=first[0].person)
    elif setup == "gm_to_meeting":
        subjects, form = officer_allegations(), "meeting"
    elif setup == "misconduct_to_amh":
        subjects, form = officer_allegations(case_to_answer="misconduct"), "accelerated_hearing"
    elif setup == "misconduct_with_fww_to_meeting":
        subjects, form = officer_allegations(case_to_answer="misconduct", final_written_warning_in_force=True), "meeting"
    else:
        subjects = officer_allegations(case_to_answer="misconduct", is_former_officer=True)
    with pytest.raises(GuardFailed) as err:
        services.proceeding_refer(actor=caseworker, subject_allegation_ids=[s.id for s in subjects], form=form,
                                  notice_on=dt.date(2025, 3, 3))
    assert err.value.code == code
    assert Proceeding.objects.count() == 0 and Clock.objects.count() == 0
    nothing_written()
    assert set(SubjectAllegation.objects.values_list("status", flat=True)) == {SubjectStatus.CASE_TO_ANSWER}


def test_refer_needs_a_case_to_answer_the_aa_role_and_the_actor_s_own_force(caseworker, handler, other_force_handler):
    raised = officer_allegations(status=SubjectStatus.REPORT_SUBMITTED)
    with pytest.raises(TransitionNotAllowed):
        services.proceeding_refer(actor=caseworker, subject_allegation_ids=[raised[0].id], form="hearing",
                                  notice_on=dt.date(2025, 3, 3))
    ready = officer_allegations()
    with pytest.raises(PermissionDenied):
        services.proceeding_refer(actor=handler, subject_allegation_ids=[ready[0].id], form="hearing",
                                  notice_on=dt.date(2025, 3, 3))
    with pytest.raises(NotFound):
        services.proceeding_refer(actor=other_force_handler, subject_allegation_ids=[ready[0].id], form="hearing",
                                  notice_on=dt.date(2025, 3, 3))
    nothing_written()


# -- scheduling, findings and outcome guards --------------------------------------------------------

def test_amh_is_held_10_to_15_working_days_after_notice(caseworker):
    amh = proceeding_in("notice_of_referral", form="accelerated_hearing")
    with pytest.raises(GuardFailed) as err:
        step(caseworker, amh, "schedule", scheduled_for=calendar.add_working_days(amh.notice_on, 5))
    assert err.value.code == "proceeding.amh_date"
    nothing_written(amh)
    assert step(caseworker, amh, "schedule", scheduled_for=calendar.add_working_days(amh.notice_on, 15)).status \
        == "scheduled"
    meeting = proceeding_in("notice_of_referral", form="meeting")
    with pytest.raises(GuardFailed) as err:
        step(caseworker, meeting, "schedule", scheduled_for=calendar.add_working_days(meeting.notice_on, 5))
    assert err.value.code == "proceeding.steps_skipped"


def test_a_hearing_beyond_100_working_days_needs_an_extension_reason(caseworker):
    hearing = proceeding_in("witness_lists_exchanged")
    late = calendar.add_working_days(hearing.notice_on, 101)
    with pytest.raises(GuardFailed) as err:
        step(caseworker, hearing, "schedule", scheduled_for=late)
    assert err.value.code == "proceeding.hearing_date"
    p = step(caseworker, hearing, "schedule", scheduled_for=late, extension_reason="Key witness abroad until then.")
    assert (p.scheduled_for, p.extension_reason) == (late, "Key witness abroad until then.")


def test_findings_cover_every_allegation_and_a_meeting_cannot_find_gross_misconduct(caseworker):
    meeting = proceeding_in("scheduled", form="meeting")
    ids = list(meeting.items.values_list("subject_allegation_id", flat=True))
    with pytest.raises(GuardFailed) as err:
        step(caseworker, meeting, "findings_record", findings={ids[0]: "misconduct"})
    assert err.value.code == "proceeding.findings_incomplete"
    with pytest.raises(GuardFailed) as err:
        step(caseworker, meeting, "findings_record", findings={i: "gross_misconduct" for i in ids})
    assert err.value.code == "finding.exceeds_form"
    nothing_written(meeting)
    step(caseworker, meeting, "findings_record", findings={ids[0]: "misconduct", ids[1]: "not_proven"},
         admitted=[ids[0]])
    assert dict(meeting.items.values_list("subject_allegation_id", "finding")) == {ids[0]: "misconduct",
                                                                                    ids[1]: "not_proven"}
    assert SubjectAllegation.objects.get(pk=ids[1]).finding == "not_proven"


@pytest.mark.parametrize("sanction", ["dismissal_without_notice", "reduction_in_rank", "would_have_been_dismissed"])
def test_a_meeting_can_never_dismiss_or_reduce_rank(caseworker, sanction):
    meeting = proceeding_in("heard", form="meeting", finding="misconduct")
    with pytest.raises(GuardFailed) as err:
        step(caseworker, meeting, "outcome_determine", sanction=sanction, reasons="r", reduced_to_rank="PC", **SERIOUS)
    assert err.value.code == "outcome.not_permitted"
    nothing_written(meeting)


def test_r2025_gross_misconduct_short_of_dismissal_needs_exceptional_circumstances(caseworker):
    case = CaseFactory(came_to_attention_on=dt.date(2025, 7, 1))
    assert case.regime == "R2025"
    hearing = proceeding_in("heard", finding="gross_misconduct", case=case)
    with pytest.raises(GuardFailed) as err:
        step(caseworker, hearing, "outcome_determine", sanction="final_written_warning", reasons="r", **SERIOUS)
    assert err.value.code == "outcome.exceptional_circumstances_required"
    nothing_written(hearing)
    p = step(caseworker, hearing, "outcome_determine", sanction="final_written_warning", reasons="r",
             exceptional_circumstances="Coerced by a senior officer; immediate self-report.", **SERIOUS)
    assert p.sanction == "final_written_warning" and p.exceptional_circumstances.startswith("Coerced")
    older = proceeding_in("heard", finding="gross_misconduct")  # R2020: no presumption
    assert step(caseworker, older, "outcome_determine", sanction="final_written_warning", reasons="r",
                **SERIOUS).status == "outcome_determined"


def test_outcome_needs_reasons_seriousness_and_a_rank_for_a_reduction(caseworker):
    hearing = proceeding_in("heard", finding="gross_misconduct")
    with pytest.raises(GuardFailed) as err:
        step(caseworker, hearing, "outcome_determine", sanction="dismissal_without_notice", reasons="r")
    assert err.value.code == "outcome.seriousness_required"
    with pytest.raises(GuardFailed) as err:
        step(caseworker, hearing, "outcome_determine", sanction="reduction_in_rank", reasons="r", **SERIOUS)
    assert err.value.code == "outcome.rank_required"
    with pytest.raises(GuardFailed) as err:
        step(caseworker, hearing, "outcome_determine", sanction="reduction_in_rank", reasons="r", reduced_to_rank="PC",
             warning_months=12, **SERIOUS)
    assert err.value.code == "outcome.expiry_not_a_warning"
    nothing_written(hearing)
    not_proven = proceeding_in("heard", finding="not_proven")
    assert step(caseworker, not_proven, "outcome_determine", sanction="no_action", reasons="Not proven.").sanction \
        == "no_action"


def test_notification_sets_effect_and_expiry_and_opens_the_right_windows(caseworker):
    meeting = proceeding_in("outcome_reported", form="meeting", finding="misconduct", sanction="final_written_warning")
    p = step(caseworker, meeting, "outcome_notify")
    assert p.sanction_effective_on == p.status_since
    assert p.sanction_expires_on == calendar.add_months(p.status_since, 24)
    assert set(Clock.objects.filter(proceeding=p, stopped_on__isnull=True).values_list("kind", flat=True)) \
        == {"meeting_appeal"}
    with pytest.raises(GuardFailed) as err:  # the officer may still appeal (reg 45: 7 WD)
        step(caseworker, p, "finalise")
    assert err.value.code == "proceeding.appeal_window_open"
    with pytest.raises(GuardFailed) as err:
        step(caseworker, p, "outcome_publish")
    assert err.value.code == "proceeding.not_published"

    dismissed = proceeding_in("outcome_reported", finding="gross_misconduct", sanction="dismissal_without_notice")
    p = step(caseworker, dismissed, "outcome_notify")
    assert p.sanction_expires_on is None
    assert set(Clock.objects.filter(proceeding=p, stopped_on__isnull=True).values_list("kind", flat=True)) \
        == {"pat_appeal", "barred_list_report"}
    with pytest.raises(GuardFailed) as err:
        step(caseworker, p, "finalise")
    assert err.value.code == "proceeding.publication_required"
    p = step(caseworker, p, "outcome_publish", dispensed_reason="Would prejudice a criminal trial.")
    assert p.published_on is None and p.publication_dispensed_reason


def test_withdrawal_withdraws_each_subject_with_its_own_event(caseworker):
    p = proceeding_in("officer_responded")
    p = step(caseworker, p, "withdraw", reasons="The complainant's evidence is no longer available.")
    assert p.status == "withdrawn"
    assert Event.objects.filter(action="subject_allegation.withdraw_proceedings").count() == 2
    assert Event.objects.filter(action="proceeding.withdraw").count() == 1
    with pytest.raises(TransitionNotAllowed):
        step(caseworker, decided_proceeding("heard"), "withdraw", reasons="Too late.")


# -- challenges ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("form", "route"), [("hearing", "meeting_appeal"), ("accelerated_hearing", "meeting_appeal"),
                                             ("meeting", "pat")])
def test_a_route_lies_only_against_its_forms(caseworker, form, route):
    p = decided_proceeding("outcome_notified", form=form, finding="misconduct", sanction="written_warning")
    with pytest.raises(GuardFailed) as err:
        services.challenge_lodge(actor=caseworker, proceeding_id=p.pk, route=route, applicant="The officer",
                                 grounds="Unreasonable.", lodged_on=p.sanction_effective_on)
    assert err.value.code == "challenge.route_not_available"
    nothing_written(p)


def test_a_late_challenge_needs_a_reason(caseworker):
    notified = dt.date(2026, 9, 1)
    p = decided_proceeding("final", notified_on=notified, notice_on=dt.date(2026, 6, 1))
    late = calendar.add_working_days(notified, 11)
    with pytest.raises(GuardFailed) as err:
        services.challenge_lodge(actor=caseworker, proceeding_id=p.pk, route="pat", applicant="The officer",
                                 grounds="New evidence.", lodged_on=late)
    assert err.value.code == "challenge.late"
    nothing_written(p)
    c = services.challenge_lodge(actor=caseworker, proceeding_id=p.pk, route="pat", applicant="The officer",
                                 grounds="New evidence.", lodged_on=late, late_reason="Extension granted by the chair.")
    assert c.status == "lodged" and Proceeding.objects.get(pk=p.pk).status == "appealed"
    assert change_events().get(action="challenge.lodge").data["late"] is True


def test_court_of_appeal_needs_a_decided_judicial_review(caseworker):
    jr = challenge_in("lodged")
    p = jr.proceeding
    with pytest.raises(GuardFailed) as err:
        services.challenge_lodge(actor=caseworker, proceeding_id=p.pk, route="court_of_appeal", applicant="x",
                                 grounds="g", lodged_on=jr.lodged_on)
    assert err.value.code == "challenge.parent_required"
    with pytest.raises(GuardFailed) as err:
        services.challenge_lodge(actor=caseworker, proceeding_id=p.pk, route="court_of_appeal", applicant="x",
                                 grounds="g", lodged_on=jr.lodged_on, parent_id=jr.pk)
    assert err.value.code == "challenge.parent_not_decided"
    assert Challenge.objects.count() == 1
    nothing_written()


def test_a_substituted_outcome_must_be_one_the_original_body_could_impose(caseworker):
    c = challenge_in("lodged")
    with pytest.raises(GuardFailed) as err:
        run_transition(machine=CHALLENGE_MACHINE, obj_id=c.pk, action="substitute", actor=caseworker,
                       payload={"reasons": "r", "substituted_sanction": "written_warning"})
    assert err.value.code == "challenge.substitution_not_permitted"
    assert Challenge.objects.get(pk=c.pk).status == "lodged"
    nothing_written()


# -- barred and advisory lists ---------------------------------------------------------------------

def test_barred_list_needs_a_notified_dismissal_and_stops_its_clock(aa, caseworker, handler):
    warned = decided_proceeding("final")
    with pytest.raises(GuardFailed) as err:
        services.list_referral_record(actor=aa, kind="barred", proceeding_id=warned.pk,
                                      reported_on=warned.sanction_effective_on, conduct_description="d")
    assert err.value.code == "list_referral.no_dismissal"
    dismissed = step(caseworker, proceeding_in("outcome_reported", finding="gross_misconduct",
                                               sanction="dismissal_without_notice"), "outcome_notify")
    referral = services.list_referral_record(actor=aa, kind="barred", proceeding_id=dismissed.pk,
                                             reported_on=dismissed.sanction_effective_on,
                                             conduct_description="Sexual misconduct towards a victim of crime.")
    assert referral.person_id == dismissed.person_id and referral.standards == ["SPB-ARC"]
    assert Clock.objects.get(proceeding=dismissed, kind="barred_list_report").stopped_on == referral.reported_on
    assert change_events().filter(action="list_referral.record", object_id=referral.pk).count() == 1
    with pytest.raises(PermissionDenied):
        services.list_referral_record(actor=handler, kind="barred", proceeding_id=dismissed.pk,
                                      reported_on=dismissed.sanction_effective_on, conduct_description="d")
    assert ListReferral.objects.count() == 1


@pytest.mark.parametrize(("left_on", "status", "since", "ok"), [
    (dt.date(2024, 6, 1), "under_investigation", dt.date(2024, 3, 1), True),   # left while under investigation
    (dt.date(2023, 6, 1), "under_investigation", dt.date(2024, 3, 1), True),   # came to attention after (s88I(1)(b))
    (dt.date(2024, 6, 1), "no_case_to_answer", dt.date(2024, 5, 1), False),    # closed before leaving
    (dt.date(2024, 6, 1), "proceedings_concluded", dt.date(2024, 9, 1), True),  # still open when leaving
    (None, "under_investigation", dt.date(2024, 3, 1), False),                # not left
])
def test_advisory_list_is_for_leaving_while_open_or_an_allegation_after_leaving(aa, left_on, status, since, ok):
    subject = officer_allegations(status=status, status_since=since, left_service_on=left_on,
                                  is_former_officer=left_on is not None)[0]
    assert subject.case.came_to_attention_on == dt.date(2024, 1, 15)
    if ok:
        referral = services.list_referral_record(actor=aa, kind="advisory", subject_allegation_id=subject.pk,
                                                 reported_on=dt.date(2024, 10, 1), conduct_description="d")
        assert (referral.kind, referral.person_id) == ("advisory", subject.person_id)
    else:
        with pytest.raises(GuardFailed) as err:
            services.list_referral_record(actor=aa, kind="advisory", subject_allegation_id=subject.pk,
                                          reported_on=dt.date(2024, 10, 1), conduct_description="d")
        assert err.value.code == "list_referral.not_left_while_open"
        assert ListReferral.objects.count() == 0
        nothing_written()


# -- selectors -------------------------------------------------------------------------------------

def test_selectors_see_only_the_actor_s_scope(caseworker, other_force_handler):
    p = proceeding_in("notice_of_referral")
    assert selectors.proceeding_get_for_actor(actor=caseworker, proceeding_id=p.pk) == p
    with pytest.raises(NotFound):
        selectors.proceeding_get_for_actor(actor=other_force_handler, proceeding_id=p.pk)
    listed = selectors.proceedings_for_case(actor=caseworker, case_id=p.case_id)
    assert [x.pk for x in listed] == [p.pk] and len(listed[0].items.all()) == 2
    with pytest.raises(NotFound):
        selectors.proceedings_for_case(actor=other_force_handler, case_id=p.case_id)
