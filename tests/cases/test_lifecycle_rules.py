"""Statutory guards and clocks of the case and subject-allegation machines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forewarn.audit.models import Event
from forewarn.cases import services
from forewarn.cases.lifecycle import (
    CASE_MACHINE,
    CASE_SUSPENSION_MACHINE,
    SUBJECT_ALLEGATION_MACHINE,
    SUBJECT_CRIMINAL_MACHINE,
)
from forewarn.cases.models import Case, CaseStatus, CaseType, SubjectAllegation, SubjectStatus
from forewarn.core import calendar
from forewarn.core.clocks import ClockKind
from forewarn.core.errors import DomainError, GuardFailed, NotFound, PermissionDenied, TransitionNotAllowed
from forewarn.core.lifecycle import run_transition
from forewarn.core.models import Clock
from forewarn.organisations.models import Role
from forewarn.proceedings.models import Proceeding
from tests.cases.test_lifecycle import ACTION_DATA
from tests.factories import (
    AllegationFactory,
    CaseFactory,
    SubjectAllegationFactory,
    change_events,
    make_user,
    only_refused,
    seat_on_panel,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
WHY = "Reasons recorded for the decision."


@pytest.fixture
def everyone(db):
    return make_user(*Role.values)


def step(machine, obj, action, actor, on=None, **payload):
    result, _ = run_transition(machine=machine, obj_id=obj.pk, actor=actor, action=action, payload=payload, on=on)
    return result


def refused(code, machine, obj, action, actor, **payload):
    """Assert the step is refused by the rule `code` and leaves no trace."""
    before = change_events().count()
    with pytest.raises(GuardFailed) as err:
        step(machine, obj, action, actor, **payload)
    assert err.value.code == code
    assert change_events().count() == before
    fresh = type(obj).objects.get(pk=obj.pk)
    assert (getattr(fresh, machine.state_field), fresh.version) == (getattr(obj, machine.state_field), obj.version)


def open_clock(case, kind, subject=None):
    return Clock.objects.get(case=case, subject_allegation=subject, kind=kind, stopped_on__isnull=True)


# -- Schedule 3 recording (PRA 2002 Sch 3 para 2(6)-(6B)) -----------------------------------------

@pytest.mark.parametrize(("payload", "code"), [
    ({"complainant_wants_recording": True}, "sch3.complainant_wants_recording"),
    ({"indicates_dsi": True}, "sch3.must_record"),
    ({"indicates_crime_or_disciplinary": True}, "sch3.must_record"),
    ({"indicates_article_2_or_3_breach": True}, "sch3.must_record"),
    ({"referral_categories": ["MR-ASSAULT"]}, "sch3.mandatory_referral"),
])
def test_a_complaint_that_must_be_recorded_cannot_be_handled_outside_schedule_3(payload, code, everyone):
    case = CaseFactory(status=CaseStatus.LOGGED)
    refused(code, CASE_MACHINE, case, "handle_outside_sch3", everyone, reasons=WHY, **payload)


def test_an_allegation_of_sexual_conduct_forces_schedule_3(everyone):
    case = CaseFactory(status=CaseStatus.LOGGED)
    AllegationFactory(case=case, category="sexual_conduct", subcategory="Sexual harassment")
    refused("sch3.must_record_category", CASE_MACHINE, case, "handle_outside_sch3", everyone, reasons=WHY)


def test_outside_schedule_3_the_complainant_may_still_ask_for_recording(everyone):
    case = CaseFactory(status=CaseStatus.LOGGED)
    AllegationFactory(case=case)  # impolite language: may be handled outside Schedule 3
    case = step(CASE_MACHINE, case, "handle_outside_sch3", everyone, reasons=WHY)
    assert case.handling_route == "outside_sch3"
    case = step(CASE_MACHINE, case, "record_at_complainant_request", everyone)
    assert (case.status, case.recorded_on, case.handling_route) == (CaseStatus.RECORDED, TODAY, "")


def test_recording_a_conduct_matter_makes_it_recordable_and_starts_the_referral_clock(everyone):
    case = CaseFactory(case_type=CaseType.CONDUCT_MATTER, status=CaseStatus.IDENTIFIED)
    on = dt.date(2026, 11, 20)  # a Friday: one working day later is Monday
    case = step(CASE_MACHINE, case, "record", everyone, on=on, referral_categories=["MR-CORRUPT"])
    assert case.case_type == CaseType.RECORDABLE_CONDUCT_MATTER
    assert case.referral_categories == ["MR-CORRUPT"]
    clock = open_clock(case, ClockKind.IOPC_REFERRAL)
    assert (clock.started_on, clock.due_on) == (on, dt.date(2026, 11, 23))
    case = step(CASE_MACHINE, case, "refer_to_iopc", everyone, referral_basis="mandatory")
    assert (case.referred_on, case.referral_basis) == (TODAY, "mandatory")
    assert Clock.objects.get(pk=clock.pk).stopped_on == TODAY


def test_a_conduct_matter_meeting_a_mandatory_description_cannot_skip_recording(everyone):
    case = CaseFactory(case_type=CaseType.CONDUCT_MATTER, status=CaseStatus.IDENTIFIED)
    refused("referral.mandatory", CASE_MACHINE, case, "deal_under_conduct_regs", everyone, reasons=WHY,
            referral_categories=["MR-SEXOFF"])


def test_a_dsi_matter_cannot_be_dealt_with_under_the_conduct_regulations_alone(everyone):
    case = CaseFactory(case_type=CaseType.DSI_MATTER, status=CaseStatus.IDENTIFIED)
    refused("case.conduct_matter_only", CASE_MACHINE, case, "deal_under_conduct_regs", everyone, reasons=WHY)


# -- Referral (Sch 3 para 4; R (Rose) v CC GMP) ----------------------------------------------------

def test_mandatory_referral_cannot_be_skipped_when_recorded_with_a_category(everyone):
    case = CaseFactory(status=CaseStatus.RECORDED, referral_categories=["MR-ASSAULT"])
    refused("referral.mandatory", CASE_MACHINE, case, "decide_not_to_refer", everyone, reasons=WHY)


def test_mandatory_referral_cannot_be_skipped_when_the_decision_names_a_category(everyone):
    case = CaseFactory(status=CaseStatus.RECORDED)
    refused("referral.mandatory", CASE_MACHINE, case, "decide_not_to_refer", everyone, reasons=WHY,
            referral_categories=["MR-DISCRIM"])


def test_a_dsi_matter_must_be_referred(everyone):
    case = CaseFactory(case_type=CaseType.DSI_MATTER, status=CaseStatus.RECORDED)
    refused("referral.dsi_mandatory", CASE_MACHINE, case, "decide_not_to_refer", everyone, reasons=WHY)
    case = step(CASE_MACHINE, case, "refer_to_iopc", everyone, referral_basis="mandatory")
    assert case.status == CaseStatus.REFERRED_TO_IOPC


def test_a_mandatory_referral_names_its_description(everyone):
    case = CaseFactory(status=CaseStatus.RECORDED)
    refused("referral.categories_required", CASE_MACHINE, case, "refer_to_iopc", everyone,
            referral_basis="mandatory")


def test_not_referring_stops_the_referral_clock(everyone):
    case = step(CASE_MACHINE, CaseFactory(status=CaseStatus.LOGGED), "record", everyone)
    case = step(CASE_MACHINE, case, "decide_not_to_refer", everyone, reasons=WHY)
    assert case.status == CaseStatus.AWAITING_HANDLING
    assert not Clock.objects.filter(case=case, stopped_on__isnull=True).exists()


# -- IOPC mode decision (Sch 3 para 15, by regime) ---------------------------------------------------

def test_only_the_iopc_decides_the_mode_and_it_sees_only_referred_cases(iopc, caseworker):
    case = CaseFactory(status=CaseStatus.REFERRED_TO_IOPC, referred_on=dt.date(2024, 2, 1))
    with pytest.raises(PermissionDenied):
        step(CASE_MACHINE, case, "determine_mode", caseworker, investigation_mode="local", reasons=WHY)
    unreferred = CaseFactory(status=CaseStatus.REFERRED_TO_IOPC)
    with pytest.raises(NotFound):
        step(CASE_MACHINE, unreferred, "determine_mode", iopc, investigation_mode="local", reasons=WHY)
    case = step(CASE_MACHINE, case, "determine_mode", iopc, investigation_mode="independent", reasons=WHY)
    assert (case.status, case.investigation_mode) == (CaseStatus.UNDER_INVESTIGATION, "independent")


@pytest.mark.parametrize("mode", ["supervised", "managed"])
def test_supervised_and_managed_modes_are_refused_in_the_2020_regime(mode, iopc):
    case = CaseFactory(status=CaseStatus.REFERRED_TO_IOPC, referred_on=dt.date(2024, 2, 1))
    assert case.regime == "R2020"
    refused("mode.not_in_regime", CASE_MACHINE, case, "determine_mode", iopc, investigation_mode=mode, reasons=WHY)


def test_the_2012_regime_has_supervised_but_not_directed(iopc):
    old = dict(came_to_attention_on=dt.date(2019, 6, 3), referred_on=dt.date(2019, 6, 5))
    refused("mode.not_in_regime", CASE_MACHINE, CaseFactory(status=CaseStatus.REFERRED_TO_IOPC, **old),
            "determine_mode", iopc, investigation_mode="directed", reasons=WHY)
    case = step(CASE_MACHINE, CaseFactory(status=CaseStatus.REFERRED_TO_IOPC, **old), "determine_mode", iopc,
                investigation_mode="supervised", reasons=WHY)
    assert (case.regime, case.investigation_mode) == ("R2012", "supervised")


# -- Investigation progress reports (Conduct Regs 2020 reg 19; C&M Regs 2020 reg 13) ----------------

def test_investigating_starts_the_12_month_report_clock_from_when_the_matter_came_to_attention(everyone):
    case = CaseFactory(status=CaseStatus.AWAITING_HANDLING, came_to_attention_on=dt.date(2025, 12, 31))
    case = step(CASE_MACHINE, case, "investigate", everyone, special_procedures=True)
    assert (case.investigation_mode, case.special_procedures) == ("local", True)
    clock = open_clock(case, ClockKind.INVESTIGATION_PROGRESS_REPORT)
    assert (clock.started_on, clock.due_on) == (dt.date(2025, 12, 31), dt.date(2026, 12, 31))


def test_a_progress_report_stops_the_clock_and_starts_the_next_six_months(caseworker):
    case = CaseFactory(status=CaseStatus.AWAITING_HANDLING, came_to_attention_on=dt.date(2025, 8, 31))
    step(CASE_MACHINE, case, "investigate", caseworker, on=dt.date(2025, 9, 1), special_procedures=False)
    first = open_clock(case, ClockKind.INVESTIGATION_PROGRESS_REPORT)
    assert first.due_on == dt.date(2026, 8, 31)
    following = services.investigation_progress_report_record(
        actor=caseworker, case_id=case.pk, on=dt.date(2026, 8, 31), summary="Interviews complete; file with CPS.")
    assert Clock.objects.get(pk=first.pk).stopped_on == dt.date(2026, 8, 31)
    # 31 August + 6 months is clamped to the last day of February.
    assert (following.started_on, following.due_on) == (dt.date(2026, 8, 31), dt.date(2027, 2, 28))
    assert open_clock(case, ClockKind.INVESTIGATION_PROGRESS_REPORT) == following
    event = Event.objects.get(action="case.investigation_progress_report")
    assert event.data["was_due_on"] == "2026-08-31" and event.data["next_due_on"] == "2027-02-28"


def test_a_progress_report_needs_an_investigation_and_a_role(caseworker):
    case = CaseFactory(status=CaseStatus.AWAITING_HANDLING)
    with pytest.raises(GuardFailed) as err:
        services.investigation_progress_report_record(actor=caseworker, case_id=case.pk, on=TODAY, summary="x")
    assert err.value.code == "progress_report.not_investigating"
    with pytest.raises(PermissionDenied):
        services.investigation_progress_report_record(actor=make_user(Role.VETTING_OFFICER), case_id=case.pk,
                                                      on=TODAY, summary="x")
    assert only_refused(2) and not Clock.objects.exists()


def test_submitting_the_report_stops_the_progress_clock_but_not_while_suspended(everyone):
    case = step(CASE_MACHINE, CaseFactory(status=CaseStatus.AWAITING_HANDLING), "investigate", everyone,
                special_procedures=True)
    case = step(CASE_SUSPENSION_MACHINE, case, "suspend", everyone, reasons=WHY)
    refused("case.suspended", CASE_MACHINE, case, "submit_investigation_report", everyone, report_summary="r")
    case = step(CASE_SUSPENSION_MACHINE, case, "resume", everyone, reasons=WHY)
    case = step(CASE_MACHINE, case, "submit_investigation_report", everyone, report_summary="Report.")
    assert not Clock.objects.filter(case=case, stopped_on__isnull=True).exists()


# -- Suspension overlay -------------------------------------------------------------------------------

def test_suspension_pauses_every_open_clock_and_resuming_adds_the_working_days_lost(everyone):
    case = CaseFactory(status=CaseStatus.UNDER_INVESTIGATION)
    sa = SubjectAllegationFactory(allegation__case=case, case=case)
    case_clock = Clock.objects.create(case=case, kind=ClockKind.INVESTIGATION_PROGRESS_REPORT,
                                      started_on=dt.date(2024, 1, 15), due_on=dt.date(2025, 1, 15))
    sa_clock = Clock.objects.create(case=case, subject_allegation=sa, kind=ClockKind.REPRESENTATIONS,
                                    started_on=dt.date(2024, 12, 2), due_on=dt.date(2024, 12, 16))
    stopped = Clock.objects.create(case=case, kind=ClockKind.IOPC_REFERRAL, started_on=dt.date(2024, 1, 15),
                                   due_on=dt.date(2024, 1, 16), stopped_on=dt.date(2024, 1, 16))
    case = step(CASE_SUSPENSION_MACHINE, case, "suspend", everyone, on=dt.date(2024, 12, 20), reasons=WHY)
    assert case.suspension_status == "suspended"
    assert set(Clock.objects.filter(paused_on=dt.date(2024, 12, 20)).values_list("pk", flat=True)) == {
        case_clock.pk, sa_clock.pk}
    # 20 Dec 2024 (Fri) to 3 Jan 2025: 23, 24, 27, 30, 31 Dec, 2, 3 Jan = 7 working days (25, 26 Dec, 1 Jan off).
    step(CASE_SUSPENSION_MACHINE, case, "resume", everyone, on=dt.date(2025, 1, 3), reasons=WHY)
    assert calendar.working_days_between(dt.date(2024, 12, 20), dt.date(2025, 1, 3)) == 7
    case_clock.refresh_from_db()
    sa_clock.refresh_from_db()
    assert (case_clock.paused_on, case_clock.due_on) == (None, dt.date(2025, 1, 24))
    assert (sa_clock.paused_on, sa_clock.due_on) == (None, dt.date(2024, 12, 27))  # 16 Dec + 7 WD
    assert Clock.objects.get(pk=stopped.pk).paused_on is None


def test_only_an_investigation_can_be_suspended(everyone):
    case = CaseFactory(status=CaseStatus.AWAITING_HANDLING)
    refused("suspension.not_investigating", CASE_SUSPENSION_MACHINE, case, "suspend", everyone, reasons=WHY)


def test_criminal_overlay_pauses_only_that_subject_and_survives_a_case_resume(everyone):
    case = CaseFactory(status=CaseStatus.UNDER_INVESTIGATION)
    held = SubjectAllegationFactory(allegation__case=case, case=case, status=SubjectStatus.UNDER_INVESTIGATION)
    other = SubjectAllegationFactory(allegation__case=case, case=case, status=SubjectStatus.UNDER_INVESTIGATION)
    clocks = {sa.pk: Clock.objects.create(case=case, subject_allegation=sa, kind=ClockKind.REPRESENTATIONS,
                                          started_on=dt.date(2024, 3, 1), due_on=dt.date(2024, 3, 15))
              for sa in (held, other)}
    step(SUBJECT_CRIMINAL_MACHINE, held, "suspend_for_criminal_proceedings", everyone, on=dt.date(2024, 3, 4),
         reasons=WHY)
    assert Clock.objects.get(pk=clocks[held.pk].pk).paused_on == dt.date(2024, 3, 4)
    assert Clock.objects.get(pk=clocks[other.pk].pk).paused_on is None
    refused("subject.suspended_for_criminal", SUBJECT_ALLEGATION_MACHINE,
            SubjectAllegation.objects.get(pk=held.pk), "submit_report", everyone, opinion="case_to_answer",
            report_summary="r")
    # The whole case is suspended and resumed: the held subject stays paused.
    case = step(CASE_SUSPENSION_MACHINE, case, "suspend", everyone, on=dt.date(2024, 3, 5), reasons=WHY)
    step(CASE_SUSPENSION_MACHINE, case, "resume", everyone, on=dt.date(2024, 3, 8), reasons=WHY)
    assert Clock.objects.get(pk=clocks[held.pk].pk).paused_on == dt.date(2024, 3, 4)
    assert Clock.objects.get(pk=clocks[other.pk].pk).due_on == dt.date(2024, 3, 20)  # 3 working days lost, added to 15 March
    step(SUBJECT_CRIMINAL_MACHINE, SubjectAllegation.objects.get(pk=held.pk), "resume_after_criminal_proceedings",
         everyone, on=dt.date(2024, 3, 11), reasons=WHY)
    # 4 March (Mon) to 11 March: 5 working days lost.
    assert Clock.objects.get(pk=clocks[held.pk].pk).due_on == dt.date(2024, 3, 22)


def test_a_closed_subject_cannot_be_held_for_criminal_proceedings(everyone):
    sa = SubjectAllegationFactory(status=SubjectStatus.CLOSED_NO_ACTION)
    refused("criminal.subject_not_open", SUBJECT_CRIMINAL_MACHINE, sa, "suspend_for_criminal_proceedings",
            everyone, reasons=WHY)


# -- Outcome, review and finalisation (C&M Regs 2020 reg 29) ------------------------------------------

def test_notifying_the_outcome_opens_the_28_day_review_window(everyone):
    case = CaseFactory(status=CaseStatus.HANDLED_OTHERWISE)
    on = TODAY - dt.timedelta(days=10)
    case = step(CASE_MACHINE, case, "notify_outcome", everyone, on=on, outcome_summary="Apology given.")
    clock = open_clock(case, ClockKind.COMPLAINANT_REVIEW)
    assert clock.due_on == on + dt.timedelta(days=28)
    refused("review.window_open", CASE_MACHINE, case, "finalise", everyone)
    case = step(CASE_MACHINE, case, "request_review", everyone, review_body="lpb")
    assert (case.review_body, Clock.objects.get(pk=clock.pk).stopped_on) == ("lpb", TODAY)


def test_finalising_after_the_window_has_passed(everyone):
    case = CaseFactory(status=CaseStatus.OUTCOME_NOTIFIED, status_since=TODAY - dt.timedelta(days=29))
    assert step(CASE_MACHINE, case, "finalise", everyone).status == CaseStatus.FINALISED


def test_finalise_is_refused_on_the_last_day_of_the_window(everyone):
    case = CaseFactory(status=CaseStatus.OUTCOME_NOTIFIED, status_since=TODAY - dt.timedelta(days=28))
    refused("review.window_open", CASE_MACHINE, case, "finalise", everyone)


def test_a_late_review_application_needs_a_reason(everyone):
    case = CaseFactory(status=CaseStatus.OUTCOME_NOTIFIED, status_since=TODAY - dt.timedelta(days=40))
    refused("review.late_without_reason", CASE_MACHINE, case, "request_review", everyone, review_body="lpb")
    case = step(CASE_MACHINE, case, "request_review", everyone, review_body="lpb",
                late_reason="Complainant was in hospital.")
    assert case.status == CaseStatus.REVIEW_REQUESTED


def test_a_referred_complaint_is_reviewed_by_the_iopc(everyone):
    case = CaseFactory(status=CaseStatus.OUTCOME_NOTIFIED, status_since=TODAY, referred_on=dt.date(2024, 2, 1))
    refused("review.body_must_be_iopc", CASE_MACHINE, case, "request_review", everyone, review_body="lpb")


def test_a_complaint_is_finalised_only_through_its_outcome(everyone):
    case = CaseFactory(status=CaseStatus.INVESTIGATION_REPORTED)
    refused("case.complaint_needs_outcome", CASE_MACHINE, case, "finalise", everyone)


def test_finalising_is_refused_while_a_proceeding_is_open(everyone):
    case = CaseFactory(case_type=CaseType.RECORDABLE_CONDUCT_MATTER, status=CaseStatus.INVESTIGATION_REPORTED)
    proceeding = Proceeding.objects.create(case=case, form="meeting", status="scheduled", status_since=TODAY,
                                           regime=case.regime, notice_on=TODAY)
    refused("case.proceedings_open", CASE_MACHINE, case, "finalise", everyone)
    Proceeding.objects.filter(pk=proceeding.pk).update(status="final")
    assert step(CASE_MACHINE, case, "finalise", everyone).status == CaseStatus.FINALISED


def test_withdrawing_a_complaint_stops_its_clocks(everyone):
    case = step(CASE_MACHINE, CaseFactory(status=CaseStatus.LOGGED), "record", everyone)
    assert Clock.objects.filter(case=case, stopped_on__isnull=True).count() == 1
    case = step(CASE_MACHINE, case, "withdraw", everyone, reasons="Signed withdrawal received.")
    assert case.status == CaseStatus.WITHDRAWN
    assert not Clock.objects.filter(case=case, stopped_on__isnull=True).exists()


def test_a_conduct_matter_cannot_be_withdrawn(everyone):
    case = CaseFactory(case_type=CaseType.RECORDABLE_CONDUCT_MATTER, status=CaseStatus.RECORDED)
    refused("case.complaints_only", CASE_MACHINE, case, "withdraw", everyone, reasons=WHY)


# -- Subject-allegation -------------------------------------------------------------------------------

@pytest.mark.parametrize(("severity", "action", "allowed"), [
    ("no_misconduct", "close_no_action", True),
    ("misconduct", "close_no_action", False),
    ("pri", "refer_to_reflective_practice", True),
    ("gross_misconduct", "refer_to_reflective_practice", False),
])
def test_what_follows_a_severity_assessment_depends_on_the_severity(severity, action, allowed, everyone):
    sa = SubjectAllegationFactory(status=SubjectStatus.SEVERITY_ASSESSED, severity=severity)
    if allowed:
        assert step(SUBJECT_ALLEGATION_MACHINE, sa, action, everyone, reasons=WHY).status != sa.status
    else:
        refused("severity.mismatch", SUBJECT_ALLEGATION_MACHINE, sa, action, everyone, reasons=WHY)


def test_an_investigator_is_appointed_only_for_misconduct_in_an_investigated_case(everyone):
    case = CaseFactory(status=CaseStatus.AWAITING_HANDLING)
    sa = SubjectAllegationFactory(allegation__case=case, case=case, status=SubjectStatus.SEVERITY_ASSESSED,
                                  severity="misconduct")
    refused("subject.case_not_investigating", SUBJECT_ALLEGATION_MACHINE, sa, "appoint_investigator", everyone,
            investigator_name="DI Nobody")
    pri = SubjectAllegationFactory(status=SubjectStatus.SEVERITY_ASSESSED, severity="pri",
                                   allegation__case__status=CaseStatus.UNDER_INVESTIGATION)
    refused("severity.mismatch", SUBJECT_ALLEGATION_MACHINE, pri, "appoint_investigator", everyone,
            investigator_name="DI Nobody")


def test_severity_can_be_revised_during_the_investigation(everyone):
    sa = SubjectAllegationFactory(status=SubjectStatus.UNDER_INVESTIGATION, severity="misconduct")
    sa = step(SUBJECT_ALLEGATION_MACHINE, sa, "reassess_severity", everyone, severity="gross_misconduct",
              reasons="New evidence.")
    assert (sa.status, sa.severity) == (SubjectStatus.SEVERITY_ASSESSED, "gross_misconduct")


def test_serving_the_notice_starts_the_10_working_day_representations_clock(everyone):
    sa = SubjectAllegationFactory(status=SubjectStatus.INVESTIGATOR_APPOINTED)
    served = dt.date(2026, 3, 27)  # Friday before Easter 2026
    sa = step(SUBJECT_ALLEGATION_MACHINE, sa, "serve_notice", everyone, notice_served_on=served)
    clock = open_clock(sa.case, ClockKind.REPRESENTATIONS, subject=sa)
    # Good Friday (3 April) and Easter Monday (6 April) are not working days.
    assert (clock.started_on, clock.due_on) == (served, dt.date(2026, 4, 14))
    sa = step(SUBJECT_ALLEGATION_MACHINE, sa, "submit_report", everyone, opinion="no_case_to_answer",
              report_summary="Insufficient evidence.")
    assert Clock.objects.get(pk=clock.pk).stopped_on == TODAY


def test_a_notice_cannot_be_dated_after_the_step(everyone):
    sa = SubjectAllegationFactory(status=SubjectStatus.INVESTIGATOR_APPOINTED)
    refused("notice.after_step", SUBJECT_ALLEGATION_MACHINE, sa, "serve_notice", everyone,
            on=TODAY - dt.timedelta(days=1), notice_served_on=TODAY)


def former(left_on: dt.date, **kwargs) -> SubjectAllegation:
    return SubjectAllegationFactory(status=SubjectStatus.CASE_TO_ANSWER, is_former_officer=True,
                                    left_service_on=left_on, **kwargs)


def test_a_former_officer_cannot_be_referred_for_misconduct(everyone):
    sa = former(dt.date(2024, 3, 1), case_to_answer="misconduct")
    refused("former_officer.gm_only", SUBJECT_ALLEGATION_MACHINE, sa, "refer_to_proceedings", everyone,
            proceeding_form="meeting")


def test_a_former_officer_may_be_referred_for_gross_misconduct_under_condition_a(everyone):
    sa = former(dt.date(2024, 3, 1), case_to_answer="gross_misconduct")  # left after it came to attention
    sa = step(SUBJECT_ALLEGATION_MACHINE, sa, "refer_to_proceedings", everyone, proceeding_form="hearing")
    assert sa.status == SubjectStatus.REFERRED_TO_PROCEEDINGS


def test_condition_c_needs_the_iopc_special_determination(everyone):
    # Left in June 2022; the matter came to attention on 15 January 2024, more than 12 months later.
    sa = former(dt.date(2022, 6, 30), case_to_answer="gross_misconduct")
    refused("former_officer.condition_c", SUBJECT_ALLEGATION_MACHINE, sa, "refer_to_proceedings", everyone,
            proceeding_form="hearing")
    sa = step(SUBJECT_ALLEGATION_MACHINE, sa, "refer_to_proceedings", everyone, proceeding_form="accelerated_hearing",
              condition_c_special_determination=True)
    assert sa.status == SubjectStatus.REFERRED_TO_PROCEEDINGS


def test_condition_b_needs_no_determination(everyone):
    sa = former(dt.date(2023, 2, 1), case_to_answer="gross_misconduct")  # within 12 months of leaving
    assert step(SUBJECT_ALLEGATION_MACHINE, sa, "refer_to_proceedings", everyone,
                proceeding_form="hearing").status == SubjectStatus.REFERRED_TO_PROCEEDINGS


def test_conclude_proceedings_stores_the_finding_and_panel_members_may_record_it():
    panel = make_user(Role.PANEL_MEMBER)
    sa = SubjectAllegationFactory(status=SubjectStatus.REFERRED_TO_PROCEEDINGS, case_to_answer="gross_misconduct")
    seat_on_panel(panel, case=sa.case)  # a panel member sees only the cases of the hearings they sit on
    sa = step(SUBJECT_ALLEGATION_MACHINE, sa, "conclude_proceedings", panel, finding="gross_misconduct")
    assert (sa.status, sa.finding) == (SubjectStatus.PROCEEDINGS_CONCLUDED, "gross_misconduct")


def test_gross_misconduct_cannot_be_found_on_a_misconduct_referral(everyone):
    sa = SubjectAllegationFactory(status=SubjectStatus.REFERRED_TO_PROCEEDINGS, case_to_answer="misconduct")
    refused("finding.exceeds_referral", SUBJECT_ALLEGATION_MACHINE, sa, "conclude_proceedings", everyone,
            finding="gross_misconduct")


def test_service_wrappers_choose_assessment_or_revision(aa):
    sa = SubjectAllegationFactory()
    sa = services.subject_assess_severity(actor=aa, subject_allegation_id=sa.pk, severity="misconduct", reasons=WHY)
    assert (sa.status, sa.severity) == (SubjectStatus.SEVERITY_ASSESSED, "misconduct")
    sa = services.subject_assess_severity(actor=aa, subject_allegation_id=sa.pk, severity="pri", reasons=WHY)
    assert sa.severity == "pri"
    assert list(Event.objects.values_list("action", flat=True)) == [
        "subject_allegation.assess_severity", "subject_allegation.reassess_severity"]


def test_refer_to_iopc_wrapper(aa):
    case = CaseFactory(status=CaseStatus.RECORDED)
    case = services.case_refer_to_iopc(actor=aa, case_id=case.pk, referral_basis="mandatory",
                                       referral_categories=["MR-RELEVANT"])
    assert (case.status, case.referral_categories) == (CaseStatus.REFERRED_TO_IOPC, ["MR-RELEVANT"])


# -- Property: random attempts never leave the table ------------------------------------------------

CASE_ACTIONS = [t.action for t in CASE_MACHINE.transitions]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case_type=st.sampled_from(CaseType.values), actions=st.lists(st.sampled_from(CASE_ACTIONS), max_size=12))
def test_any_sequence_of_attempts_stays_within_the_table(case_type, actions, everyone):
    initial = CaseStatus.RECEIVED if case_type == CaseType.COMPLAINT else CaseStatus.IDENTIFIED
    case = CaseFactory(case_type=case_type, status=initial)
    allowed = CASE_MACHINE.allowed_pairs()
    for action in actions:
        before = Case.objects.get(pk=case.pk)
        events = change_events().count()
        try:
            step(CASE_MACHINE, before, action, everyone, **ACTION_DATA["case"][action]["payload"])
        except DomainError:
            after = Case.objects.get(pk=case.pk)
            assert (after.status, after.version, change_events().count()) == (before.status, before.version, events)
            continue
        after = Case.objects.get(pk=case.pk)
        assert (before.status, after.status) in allowed
        assert change_events().count() == events + 1
    if Case.objects.get(pk=case.pk).status in CASE_MACHINE.terminal:
        with pytest.raises(TransitionNotAllowed):
            step(CASE_MACHINE, case, "log", everyone)
