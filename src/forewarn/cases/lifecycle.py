"""The statutory lifecycles of a case and of each subject-allegation, as data (domain brief §3A-§3E, §3G).

Four machines, all run by `core.lifecycle.run_transition`:

* CASE_MACHINE — a complaint, conduct matter or DSI matter from intake to finalisation;
* CASE_SUSPENSION_MACHINE — overlay: the investigation paused for criminal proceedings;
* SUBJECT_ALLEGATION_MACHINE — one officer x one allegation: severity, investigation, decision;
* SUBJECT_CRIMINAL_MACHINE — overlay: misconduct proceedings delayed for criminal proceedings.

Rules tagged [R] rest on the domain brief's unverified background knowledge; verify before relying
on them. The proceedings app calls `refer_to_proceedings`, `withdraw_proceedings` and
`conclude_proceedings` on SUBJECT_ALLEGATION_MACHINE by name: those names and payloads are a contract.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pydantic
from django.apps import apps

from forewarn.cases.models import (
    CaseStatus,
    CaseToAnswer,
    CaseType,
    CriminalStatus,
    HandlingRoute,
    InvestigationMode,
    ReviewBody,
    Severity,
    SubjectStatus,
    SuspensionStatus,
)
from forewarn.cases.vocabulary import Category, MandatoryReferral, ReferralBasis
from forewarn.core import calendar
from forewarn.core.clocks import CLOCK_RULES, ClockKind
from forewarn.core.lifecycle import ClockStart, Context, Machine, Payload, Reasons, Transition, require
from forewarn.core.regimes import Regime
from forewarn.organisations.models import Role
from forewarn.organisations.permissions import case_in_scope

FORCE = frozenset({Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY})
AA = frozenset({Role.APPROPRIATE_AUTHORITY})
IOPC = frozenset({Role.IOPC_CASEWORKER})
AA_OR_IOPC = AA | IOPC
FORCE_OR_IOPC = FORCE | IOPC
INVESTIGATING = FORCE | {Role.INVESTIGATOR} | IOPC

# Clocks that run on the case itself; a case that ends stops them all.
CASE_CLOCKS = (ClockKind.IOPC_REFERRAL, ClockKind.INVESTIGATION_PROGRESS_REPORT, ClockKind.COMPLAINANT_REVIEW)

# Proceedings that have run their course (proceedings.ProceedingStatus values).
PROCEEDING_CLOSED_STATUSES = ("final", "withdrawn", "remitted")

# [R] IOPC categories whose allegations by their nature indicate conduct that might be a criminal
# offence or justify disciplinary proceedings, so PRA 2002 Sch 3 para 2(6A)(b) requires Schedule 3
# handling. The statutory test is an "indication" on the facts; this list is the floor, not the test.
MUST_RECORD_CATEGORIES = frozenset({Category.SEXUAL_CONDUCT, Category.ABUSE_OF_POSITION, Category.DISCRIMINATORY})

# Investigation modes by regime: PRA 2002 Sch 3 para 15 as amended by the Policing and Crime Act
# 2017 (local, directed, independent); before 1 February 2020 supervised and managed existed and
# directed did not.
MODES_BY_REGIME = {
    Regime.R2012: frozenset({InvestigationMode.LOCAL, InvestigationMode.SUPERVISED, InvestigationMode.MANAGED,
                             InvestigationMode.INDEPENDENT}),
    Regime.R2020: frozenset({InvestigationMode.LOCAL, InvestigationMode.DIRECTED, InvestigationMode.INDEPENDENT}),
    Regime.R2025: frozenset({InvestigationMode.LOCAL, InvestigationMode.DIRECTED, InvestigationMode.INDEPENDENT}),
}


# -- payloads ------------------------------------------------------------------------------------

class Recording(Payload):
    """Recording under Schedule 3; the mandatory-referral descriptions the matter meets, if known."""

    referral_categories: list[MandatoryReferral] = pydantic.Field(default_factory=list)


class HandleOutsideSch3(Reasons):
    """The appropriate authority's confirmation that nothing requires Schedule 3 handling."""

    complainant_wants_recording: bool = False
    indicates_dsi: bool = False
    indicates_crime_or_disciplinary: bool = False
    indicates_article_2_or_3_breach: bool = False
    referral_categories: list[MandatoryReferral] = pydantic.Field(default_factory=list)


class OutcomeSummary(Payload):
    outcome_summary: str = pydantic.Field(min_length=1, max_length=20_000)


class ConductRegsOnly(Reasons):
    referral_categories: list[MandatoryReferral] = pydantic.Field(default_factory=list)


class Referral(Payload):
    referral_basis: ReferralBasis
    referral_categories: list[MandatoryReferral] = pydantic.Field(default_factory=list)


class NoReferral(Reasons):
    referral_categories: list[MandatoryReferral] = pydantic.Field(default_factory=list)


class ModeDecision(Reasons):
    investigation_mode: InvestigationMode
    special_procedures: bool = False


class LocalInvestigation(Payload):
    special_procedures: bool


class InvestigationReport(Payload):
    report_summary: str = pydantic.Field(min_length=1, max_length=20_000)


class ReviewApplication(Payload):
    review_body: ReviewBody
    late_reason: str = pydantic.Field(default="", max_length=5_000)


class Finalisation(Payload):
    note: str = pydantic.Field(default="", max_length=5_000)


class SeverityAssessment(Reasons):
    severity: Severity
    likely_proceedings: Literal["", "meeting", "hearing"] = ""


class InvestigatorAppointment(Payload):
    investigator_name: str = pydantic.Field(min_length=1, max_length=200)


class NoticeServed(Payload):
    notice_served_on: dt.date


class InvestigatorsReport(Payload):
    opinion: Literal["case_to_answer", "no_case_to_answer"]
    report_summary: str = pydantic.Field(min_length=1, max_length=20_000)


class CaseToAnswerDecision(Reasons):
    case_to_answer: CaseToAnswer


class RprpReport(Payload):
    summary: str = pydantic.Field(min_length=1, max_length=20_000)


class ReferralToProceedings(Payload):
    """Contract with the proceedings app: do not rename these fields."""

    proceeding_form: Literal["meeting", "hearing", "accelerated_hearing"]
    condition_c_special_determination: bool = False


class ProceedingsConclusion(Payload):
    """Contract with the proceedings app: do not rename this field."""

    finding: Literal["not_proven", "proven_not_misconduct", "misconduct", "gross_misconduct"]


# -- rules: case ---------------------------------------------------------------------------------

def _is_complaint(ctx: Context) -> None:
    """Only a complaint."""
    require(ctx.obj.case_type == CaseType.COMPLAINT, "case.complaints_only", "Only a complaint takes this step.")


def _is_not_complaint(ctx: Context) -> None:
    """Not a complaint (a complaint ends by notifying the complainant of the outcome)."""
    # PRA 2002 Sch 3 para 6A / para 25: a complainant is told the outcome and may seek a review.
    require(ctx.obj.case_type != CaseType.COMPLAINT, "case.complaint_needs_outcome",
            "A complaint is finalised after the complainant is told the outcome.")


def _is_plain_conduct_matter(ctx: Context) -> None:
    """Only an unrecorded conduct matter (never a complaint or DSI matter)."""
    require(ctx.obj.case_type == CaseType.CONDUCT_MATTER, "case.conduct_matter_only",
            "Only a conduct matter may be dealt with under the Conduct Regulations without recording.")


def _categories(ctx: Context) -> set[str]:
    return {str(c) for c in getattr(ctx.payload, "referral_categories", [])} | set(ctx.obj.referral_categories or [])


def _may_handle_outside_sch3(ctx: Context) -> None:
    """Refused if the complainant wants it recorded or it must be handled under Schedule 3."""
    p = ctx.payload
    # PRA 2002 Sch 3 para 2(6)-(6B): the complainant's wish to have it recorded is decisive.
    require(not p.complainant_wants_recording, "sch3.complainant_wants_recording",
            "The complainant wants the complaint recorded: it must be recorded under Schedule 3.")
    require(not (p.indicates_dsi or p.indicates_crime_or_disciplinary or p.indicates_article_2_or_3_breach),
            "sch3.must_record",
            "A complaint indicating death or serious injury, a crime, conduct justifying disciplinary proceedings "
            "or a breach of ECHR Article 2 or 3 must be handled under Schedule 3 (PRA 2002 Sch 3 para 2(6A)).")
    require(not _categories(ctx), "sch3.mandatory_referral",
            "A complaint meeting a mandatory referral description must be recorded (PRA 2002 Sch 3 para 2(6B)).")
    alleged = set(ctx.obj.allegations.values_list("category", flat=True))
    require(not (alleged & MUST_RECORD_CATEGORIES), "sch3.must_record_category",
            "Allegations of sexual conduct, abuse of position or discriminatory behaviour indicate possible "
            "criminal or disciplinary conduct and must be handled under Schedule 3.")


def _no_referral_needed_for_conduct_regs(ctx: Context) -> None:
    """Refused if the matter meets a mandatory referral description."""
    require(not _categories(ctx), "referral.mandatory",
            "A matter meeting a mandatory referral description must be recorded and referred to the IOPC "
            "(PRA 2002 Sch 3 paras 10-13; C&M Regs 2020 reg 7).")


def _mandatory_needs_categories(ctx: Context) -> None:
    """A mandatory referral names the description(s) it meets."""
    if ctx.payload.referral_basis == ReferralBasis.MANDATORY:
        require(bool(_categories(ctx)) or ctx.obj.case_type == CaseType.DSI_MATTER, "referral.categories_required",
                "Say which mandatory referral description(s) the matter meets (C&M Regs 2020 reg 4).")


def _referral_not_mandatory(ctx: Context) -> None:
    """Refused for every DSI matter and every matter meeting a mandatory referral description."""
    # R (Rose) v CC Greater Manchester [2021] EWHC 875 (Admin): the criteria leave no discretion.
    require(ctx.obj.case_type != CaseType.DSI_MATTER, "referral.dsi_mandatory",
            "Every death or serious injury matter must be referred to the IOPC (PRA 2002 Sch 3 para 14C).")
    require(not _categories(ctx), "referral.mandatory",
            "The matter meets a mandatory referral description and must be referred to the IOPC; there is no "
            "discretion (R (Rose) v CC Greater Manchester [2021] EWHC 875 (Admin)).")


def _mode_allowed_in_regime(ctx: Context) -> None:
    """The investigation mode must exist in the case's regime."""
    allowed = MODES_BY_REGIME[Regime(ctx.obj.regime)]
    mode = InvestigationMode(ctx.payload.investigation_mode)
    require(mode in allowed, "mode.not_in_regime",
            f"A {mode.label.lower()} investigation is not available under the {Regime(ctx.obj.regime).label}.")


def _not_suspended(ctx: Context) -> None:
    """Not while the investigation is suspended."""
    require(ctx.obj.suspension_status == SuspensionStatus.ACTIVE, "case.suspended",
            "The investigation is suspended for criminal proceedings.")


def _review_window_end(case) -> dt.date:
    # C&M Regs 2020 reg 29: 28 days beginning with the day after the outcome was given (the date
    # the case entered OUTCOME_NOTIFIED).
    return CLOCK_RULES[ClockKind.COMPLAINANT_REVIEW].due_from(case.status_since)


def _late_review_needs_reason(ctx: Context) -> None:
    """An application after the 28-day window needs a reason for lateness."""
    if ctx.on > _review_window_end(ctx.obj):
        require(bool(ctx.payload.late_reason), "review.late_without_reason",
                "The application is after the 28-day window (C&M Regs 2020 reg 29): give the reason it is late.")


def _review_body_matches(ctx: Context) -> None:
    """The IOPC is the review body for a matter referred to it."""
    # [R] C&M Regs 2020 reg 30: the IOPC is the relevant review body where the complaint was referred.
    if ctx.obj.referred_on is not None:
        require(ctx.payload.review_body == ReviewBody.IOPC, "review.body_must_be_iopc",
                "The complaint was referred to the IOPC, so the IOPC is the review body.")


def _review_window_closed(ctx: Context) -> None:
    """Not while the complainant may still apply for a review."""
    if ctx.obj.status == CaseStatus.OUTCOME_NOTIFIED:
        end = _review_window_end(ctx.obj)
        require(ctx.on > end, "review.window_open",
                f"The complainant may apply for a review until {end.isoformat()} (C&M Regs 2020 reg 29).")


def _no_open_proceedings(ctx: Context) -> None:
    """Not while any misconduct proceeding of the case is open."""
    proceeding = apps.get_model("proceedings", "Proceeding")
    open_count = proceeding.objects.filter(case=ctx.obj).exclude(status__in=PROCEEDING_CLOSED_STATUSES).count()
    require(open_count == 0, "case.proceedings_open",
            f"{open_count} misconduct proceeding(s) of this case are still open.")


def _finalise_route(ctx: Context) -> None:
    """A complaint is finalised only after its outcome was notified."""
    if ctx.obj.status != CaseStatus.OUTCOME_NOTIFIED:
        _is_not_complaint(ctx)


# -- apply: case ---------------------------------------------------------------------------------

def _copy(*names: str):
    """An `apply` that copies the named payload fields onto the record."""

    def apply(ctx: Context):
        for name in names:
            setattr(ctx.obj, name, getattr(ctx.payload, name))
        return names

    return apply


def _set(**values):
    """An `apply` that sets fixed values on the record."""

    def apply(ctx: Context):
        for name, value in values.items():
            setattr(ctx.obj, name, value)
        return tuple(values)

    return apply


def _apply_record(ctx: Context):
    case = ctx.obj
    case.recorded_on = ctx.on
    case.referral_categories = sorted(_categories(ctx))
    case.handling_route = ""
    changed = ["recorded_on", "referral_categories", "handling_route"]
    if case.case_type == CaseType.CONDUCT_MATTER:
        # PRA 2002 Sch 3 paras 10-11: a recorded conduct matter is a recordable conduct matter.
        case.case_type = CaseType.RECORDABLE_CONDUCT_MATTER
        changed.append("case_type")
    return changed


def _apply_referral(ctx: Context):
    case = ctx.obj
    case.referral_basis = ctx.payload.referral_basis
    case.referral_categories = sorted(_categories(ctx))
    case.referred_on = ctx.on
    return ["referral_basis", "referral_categories", "referred_on"]


def _apply_mode(ctx: Context):
    case = ctx.obj
    case.investigation_mode = ctx.payload.investigation_mode
    case.special_procedures = ctx.payload.special_procedures
    case.handling_route = HandlingRoute.SCH3_INVESTIGATION
    return ["investigation_mode", "special_procedures", "handling_route"]


def _apply_local_investigation(ctx: Context):
    case = ctx.obj
    case.investigation_mode = InvestigationMode.LOCAL
    case.special_procedures = ctx.payload.special_procedures
    if case.handling_route != HandlingRoute.CONDUCT_REGS:
        case.handling_route = HandlingRoute.SCH3_INVESTIGATION
    return ["investigation_mode", "special_procedures", "handling_route"]


UNPAUSED_CLOCK_KINDS = [kind.value for kind, rule in CLOCK_RULES.items() if not rule.pauses]


def clocks_pause(*, clocks, on: dt.date) -> int:
    """Pause running clocks (a suspension overlay took hold), but not those fixed by outside events."""
    return (clocks.filter(stopped_on__isnull=True, paused_on__isnull=True).exclude(kind__in=UNPAUSED_CLOCK_KINDS)
            .update(paused_on=on))


def clocks_resume(*, clocks, on: dt.date) -> int:
    """Resume paused clocks, pushing each due date back by the working days lost while paused."""
    resumed = 0
    for clock in clocks.filter(stopped_on__isnull=True, paused_on__isnull=False):
        lost = calendar.working_days_between(clock.paused_on, on)
        clock.due_on = calendar.add_working_days(clock.due_on, lost)
        clock.paused_on = None
        clock.save(update_fields=["due_on", "paused_on"])
        resumed += 1
    return resumed


def _clocks(**owner):
    return apps.get_model("core", "Clock").objects.filter(**owner)


def _apply_suspend_case(ctx: Context):
    clocks_pause(clocks=_clocks(case=ctx.obj), on=ctx.on)
    return []


def _apply_resume_case(ctx: Context):
    # A subject still held for criminal proceedings (Conduct Regs 2020 reg 10) stays paused.
    clocks = _clocks(case=ctx.obj).exclude(subject_allegation__criminal_status=CriminalStatus.SUSPENDED_FOR_CRIMINAL)
    clocks_resume(clocks=clocks, on=ctx.on)
    return []


def _progress_report_anchor(ctx: Context) -> dt.date:
    # Conduct Regs 2020 reg 19(1); C&M Regs 2020 reg 13(1): 12 months from when the matter came to attention.
    return ctx.obj.came_to_attention_on


def _reinvestigation_anchor(ctx: Context) -> dt.date:
    # [R] A re-investigation after an upheld review is a fresh investigation; its 12 months run from the
    # review decision, not from the original complaint (which would make it overdue on its first day).
    return ctx.on


def _case_earliest(case) -> dt.date:
    return case.came_to_attention_on


def _case_clock_owner(case) -> dict:
    return {"case": case, "subject_allegation": None, "proceeding": None}


_OPEN_COMPLAINT_STATES = (
    CaseStatus.RECEIVED, CaseStatus.LOGGED, CaseStatus.HANDLED_OUTSIDE_SCH3, CaseStatus.RECORDED,
    CaseStatus.REFERRED_TO_IOPC, CaseStatus.AWAITING_HANDLING, CaseStatus.UNDER_INVESTIGATION,
    CaseStatus.REVIEW_REQUESTED,
)

CASE_MACHINE = Machine(
    name="case",
    model="cases.Case",
    state_field="status",
    since_field="status_since",
    states=CaseStatus,
    initial=CaseStatus.RECEIVED,
    description="A complaint, conduct matter or DSI matter. Complaints start as Received; conduct and DSI "
                "matters start as Identified.",
    terminal=frozenset({CaseStatus.NOT_A_COMPLAINT, CaseStatus.FINALISED_OUTSIDE_SCH3, CaseStatus.FINALISED,
                        CaseStatus.WITHDRAWN, CaseStatus.DISCONTINUED}),
    in_scope=case_in_scope,
    case_of=lambda c: c,
    earliest_date=_case_earliest,
    clock_owner=_case_clock_owner,
    transitions=(
        # §3A complaint intake
        Transition(
            action="log", label="Log the complaint", sources=(CaseStatus.RECEIVED,), target=CaseStatus.LOGGED,
            roles=FORCE, preconditions=(_is_complaint,),
            cite="PRA 2002 Sch 3 para 2(1); s12"),
        Transition(
            action="reject_as_not_a_complaint", label="Close as not a valid complaint",
            sources=(CaseStatus.LOGGED,), target=CaseStatus.NOT_A_COMPLAINT, roles=FORCE, payload=Reasons,
            stops=CASE_CLOCKS, cite="PRA 2002 s12(1)-(1B)"),
        Transition(
            action="handle_outside_sch3", label="Handle outside Schedule 3", sources=(CaseStatus.LOGGED,),
            target=CaseStatus.HANDLED_OUTSIDE_SCH3, roles=FORCE, payload=HandleOutsideSch3,
            rules=(_may_handle_outside_sch3,), apply=_set(handling_route=HandlingRoute.OUTSIDE_SCH3),
            cite="PRA 2002 Sch 3 para 2(6)-(6C)"),
        Transition(
            action="finalise_outside_sch3", label="Finalise outside Schedule 3",
            sources=(CaseStatus.HANDLED_OUTSIDE_SCH3,), target=CaseStatus.FINALISED_OUTSIDE_SCH3, roles=FORCE,
            payload=OutcomeSummary, apply=_copy("outcome_summary"), stops=CASE_CLOCKS,
            cite="PRA 2002 Sch 3 para 2(6C)"),
        Transition(
            action="record_at_complainant_request", label="Record under Schedule 3 at the complainant's request",
            sources=(CaseStatus.HANDLED_OUTSIDE_SCH3,), target=CaseStatus.RECORDED, roles=FORCE,
            payload=Recording, apply=_apply_record, starts=(ClockKind.IOPC_REFERRAL,),
            cite="PRA 2002 Sch 3 para 2(6)(a)"),
        # §3A C3b and §3D: recording a complaint, conduct matter or DSI matter
        Transition(
            action="record", label="Record under Schedule 3", sources=(CaseStatus.LOGGED, CaseStatus.IDENTIFIED),
            target=CaseStatus.RECORDED, roles=FORCE, payload=Recording, apply=_apply_record,
            starts=(ClockKind.IOPC_REFERRAL,),
            cite="PRA 2002 Sch 3 paras 2, 11, 14A; C&M Regs 2020 reg 44"),
        Transition(
            action="deal_under_conduct_regs", label="Deal with under the Conduct Regulations only",
            sources=(CaseStatus.IDENTIFIED,), target=CaseStatus.AWAITING_HANDLING, roles=FORCE,
            payload=ConductRegsOnly, preconditions=(_is_plain_conduct_matter,),
            rules=(_no_referral_needed_for_conduct_regs,), apply=_set(handling_route=HandlingRoute.CONDUCT_REGS),
            cite="PRA 2002 Sch 3 para 11; Conduct Regs 2020 Part 3"),
        # §3B referral
        Transition(
            action="refer_to_iopc", label="Refer to the IOPC", sources=(CaseStatus.RECORDED,),
            target=CaseStatus.REFERRED_TO_IOPC, roles=FORCE, payload=Referral,
            rules=(_mandatory_needs_categories,), apply=_apply_referral, stops=(ClockKind.IOPC_REFERRAL,),
            cite="PRA 2002 Sch 3 paras 4, 13, 14C; C&M Regs 2020 reg 4"),
        Transition(
            action="decide_not_to_refer", label="Decide referral is not required", sources=(CaseStatus.RECORDED,),
            target=CaseStatus.AWAITING_HANDLING, roles=FORCE, payload=NoReferral,
            rules=(_referral_not_mandatory,), apply=_set(referral_basis=""), stops=(ClockKind.IOPC_REFERRAL,),
            cite="PRA 2002 Sch 3 para 4; R (Rose) v CC GMP [2021] EWHC 875 (Admin)"),
        Transition(
            action="determine_mode", label="Decide the mode of investigation",
            sources=(CaseStatus.REFERRED_TO_IOPC,), target=CaseStatus.UNDER_INVESTIGATION, roles=IOPC,
            payload=ModeDecision, rules=(_mode_allowed_in_regime,), apply=_apply_mode,
            starts=(ClockStart(ClockKind.INVESTIGATION_PROGRESS_REPORT, _progress_report_anchor),),
            cite="PRA 2002 Sch 3 paras 5, 15"),
        Transition(
            action="refer_back", label="Refer back: investigation not necessary",
            sources=(CaseStatus.REFERRED_TO_IOPC,), target=CaseStatus.AWAITING_HANDLING, roles=IOPC,
            payload=Reasons, cite="PRA 2002 Sch 3 para 5(2)"),
        # §3C handling
        Transition(
            action="investigate", label="Investigate locally", sources=(CaseStatus.AWAITING_HANDLING,),
            target=CaseStatus.UNDER_INVESTIGATION, roles=FORCE, payload=LocalInvestigation,
            apply=_apply_local_investigation,
            starts=(ClockStart(ClockKind.INVESTIGATION_PROGRESS_REPORT, _progress_report_anchor),),
            cite="PRA 2002 Sch 3 para 6(2)(a), para 16; Conduct Regs 2020 reg 19"),
        Transition(
            action="handle_otherwise", label="Handle otherwise than by investigation",
            sources=(CaseStatus.AWAITING_HANDLING,), target=CaseStatus.HANDLED_OTHERWISE, roles=FORCE,
            payload=Reasons, apply=_set(handling_route=HandlingRoute.SCH3_OTHERWISE), cite="PRA 2002 Sch 3 para 6(2)(b), para 6A"),
        Transition(
            action="take_no_further_action", label="Take no further action",
            sources=(CaseStatus.AWAITING_HANDLING,), target=CaseStatus.NO_FURTHER_ACTION, roles=FORCE,
            payload=Reasons, cite="PRA 2002 Sch 3 para 6(2)(c) [R]"),
        Transition(
            action="submit_investigation_report", label="Submit the investigation report",
            sources=(CaseStatus.UNDER_INVESTIGATION,), target=CaseStatus.INVESTIGATION_REPORTED,
            roles=INVESTIGATING, payload=InvestigationReport, preconditions=(_not_suspended,),
            stops=(ClockKind.INVESTIGATION_PROGRESS_REPORT,), cite="PRA 2002 Sch 3 paras 22, 23"),
        # §3G complainant review
        Transition(
            action="notify_outcome", label="Tell the complainant the outcome",
            sources=(CaseStatus.HANDLED_OTHERWISE, CaseStatus.NO_FURTHER_ACTION, CaseStatus.INVESTIGATION_REPORTED),
            target=CaseStatus.OUTCOME_NOTIFIED, roles=FORCE_OR_IOPC, payload=OutcomeSummary,
            preconditions=(_is_complaint,), apply=_copy("outcome_summary"), starts=(ClockKind.COMPLAINANT_REVIEW,),
            cite="PRA 2002 Sch 3 paras 6A, 24; C&M Regs 2020 reg 29"),
        Transition(
            action="request_review", label="Record an application for review",
            sources=(CaseStatus.OUTCOME_NOTIFIED,), target=CaseStatus.REVIEW_REQUESTED, roles=FORCE_OR_IOPC,
            payload=ReviewApplication, rules=(_late_review_needs_reason, _review_body_matches),
            apply=_copy("review_body"), stops=(ClockKind.COMPLAINANT_REVIEW,),
            cite="PRA 2002 Sch 3 paras 6A, 25; C&M Regs 2020 regs 29-30"),
        # [R] LPB review staff act under the case-handler or appropriate-authority role at their own body.
        Transition(
            action="decide_review_not_upheld", label="Decide the review is not upheld",
            sources=(CaseStatus.REVIEW_REQUESTED,), target=CaseStatus.FINALISED, roles=FORCE_OR_IOPC,
            payload=Reasons, rules=(_no_open_proceedings,), stops=CASE_CLOCKS,
            cite="PRA 2002 Sch 3 paras 6A, 25"),
        Transition(
            action="uphold_review_reinvestigate", label="Uphold the review and re-investigate",
            sources=(CaseStatus.REVIEW_REQUESTED,), target=CaseStatus.UNDER_INVESTIGATION, roles=FORCE_OR_IOPC,
            payload=Reasons,
            starts=(ClockStart(ClockKind.INVESTIGATION_PROGRESS_REPORT, _reinvestigation_anchor),),
            cite="PRA 2002 Sch 3 para 25(4A)-(5)"),
        Transition(
            action="finalise", label="Finalise the case",
            sources=(CaseStatus.OUTCOME_NOTIFIED, CaseStatus.INVESTIGATION_REPORTED, CaseStatus.HANDLED_OTHERWISE,
                     CaseStatus.NO_FURTHER_ACTION, CaseStatus.AWAITING_HANDLING),
            target=CaseStatus.FINALISED, roles=FORCE, payload=Finalisation,
            rules=(_finalise_route, _review_window_closed, _no_open_proceedings), stops=CASE_CLOCKS,
            cite="PRA 2002 Sch 3 paras 24-25; C&M Regs 2020 reg 29"),
        # Side exits
        Transition(
            action="withdraw", label="Record that the complaint is withdrawn", sources=_OPEN_COMPLAINT_STATES,
            target=CaseStatus.WITHDRAWN, roles=FORCE, payload=Reasons, preconditions=(_is_complaint,),
            rules=(_no_open_proceedings,), stops=CASE_CLOCKS, cite="C&M Regs 2020 reg 38"),
        Transition(
            action="discontinue", label="Discontinue the investigation", sources=(CaseStatus.UNDER_INVESTIGATION,),
            target=CaseStatus.DISCONTINUED, roles=AA_OR_IOPC, payload=Reasons, rules=(_no_open_proceedings,),
            stops=CASE_CLOCKS, cite="PRA 2002 Sch 3 para 21 [R]"),
    ),
)


def _case_under_investigation(ctx: Context) -> None:
    """Only while the case is under investigation."""
    require(ctx.obj.status == CaseStatus.UNDER_INVESTIGATION, "suspension.not_investigating",
            "Only an investigation can be suspended.")


CASE_SUSPENSION_MACHINE = Machine(
    name="case_suspension",
    model="cases.Case",
    state_field="suspension_status",
    since_field="suspension_since",
    states=SuspensionStatus,
    initial=SuspensionStatus.ACTIVE,
    description="Overlay on a case: its investigation paused so as not to prejudice criminal proceedings. "
                "Every open clock of the case is paused, and resumes with its due date moved back by the "
                "working days lost.",
    in_scope=case_in_scope,
    case_of=lambda c: c,
    earliest_date=_case_earliest,
    clock_owner=_case_clock_owner,
    transitions=(
        Transition(
            action="suspend", label="Suspend the investigation", sources=(SuspensionStatus.ACTIVE,),
            target=SuspensionStatus.SUSPENDED, roles=AA_OR_IOPC, payload=Reasons,
            preconditions=(_case_under_investigation,), apply=_apply_suspend_case,
            cite="C&M Regs 2020 reg 23 [U number]; PRA 2002 Sch 3 para 22"),
        Transition(
            action="resume", label="Resume the investigation", sources=(SuspensionStatus.SUSPENDED,),
            target=SuspensionStatus.ACTIVE, roles=AA_OR_IOPC, payload=Reasons, apply=_apply_resume_case,
            cite="C&M Regs 2020 reg 23 [U number]"),
    ),
)


# -- subject-allegation ---------------------------------------------------------------------------

def _severity_is(*allowed: str):
    labels = " or ".join(str(Severity(s).label).lower() for s in allowed)

    def rule(ctx: Context) -> None:
        require(ctx.obj.severity in allowed, "severity.mismatch", f"Only when severity was assessed as {labels}.")

    rule.__doc__ = f"From severity assessed: only if the severity is {labels}."
    return rule


def _from_severity(*allowed: str):
    """Apply a severity rule only when leaving SEVERITY_ASSESSED (other sources have no such condition)."""
    inner = _severity_is(*allowed)

    def rule(ctx: Context) -> None:
        if ctx.obj.status == SubjectStatus.SEVERITY_ASSESSED:
            inner(ctx)

    rule.__doc__ = inner.__doc__
    return rule


def _subject_case_investigating(ctx: Context) -> None:
    """Only while the case is under investigation."""
    require(ctx.obj.case.status == CaseStatus.UNDER_INVESTIGATION, "subject.case_not_investigating",
            "The case is not under investigation: appoint an investigator once it is.")


def _subject_not_held_for_criminal(ctx: Context) -> None:
    """Not while delayed for criminal proceedings."""
    require(ctx.obj.criminal_status == CriminalStatus.NONE, "subject.suspended_for_criminal",
            "Misconduct proceedings are delayed for criminal proceedings (Conduct Regs 2020 reg 10).")


def _notice_date_valid(ctx: Context) -> None:
    """The notice date is on or before the step's date and not before the matter came to attention."""
    served = ctx.payload.notice_served_on
    require(served <= ctx.on, "notice.after_step", "The notice cannot be served after the date of this step.")
    require(served >= ctx.obj.case.came_to_attention_on, "notice.before_matter",
            "The notice cannot be served before the matter came to attention.")


def _former_officer_may_be_referred(ctx: Context) -> None:
    """A former officer only for gross misconduct, and after 12 months only with a Condition C determination."""
    sa = ctx.obj
    if not sa.is_former_officer:
        return
    # Conduct Regs 2020 reg 4 and Sch 1: the regulations reach a former officer only for gross misconduct.
    require(sa.case_to_answer == CaseToAnswer.GROSS_MISCONDUCT, "former_officer.gm_only",
            "A former officer can be referred to proceedings only for gross misconduct (Conduct Regs 2020 reg 4).")
    left, attention = sa.left_service_on, sa.case.came_to_attention_on
    if left and left < attention and calendar.add_months(left, 12) < attention:
        # Condition C: the matter came to attention more than 12 months after the officer left.
        require(ctx.payload.condition_c_special_determination, "former_officer.condition_c",
                "The officer left more than 12 months before the matter came to attention: proceedings need "
                "the IOPC's Condition C special determination (Conduct Regs 2020 reg 4, Sch 1 para 2).")


def _finding_within_referral(ctx: Context) -> None:
    """Gross misconduct can be found only on a case to answer for gross misconduct."""
    # [R] The reg 30 notice states whether the conduct is alleged to be misconduct or gross misconduct.
    if ctx.payload.finding == "gross_misconduct":
        require(ctx.obj.case_to_answer == CaseToAnswer.GROSS_MISCONDUCT, "finding.exceeds_referral",
                "Gross misconduct cannot be found on a case to answer for misconduct (Conduct Regs 2020 reg 42).")


def _notice_anchor(ctx: Context) -> dt.date:
    # Conduct Regs 2020 reg 18: representations within 10 working days of the reg 17 notice.
    return ctx.payload.notice_served_on


def _subject_case(sa):
    return sa.case


def _subject_in_scope(actor, sa) -> bool:
    return case_in_scope(actor, sa.case)


def _subject_earliest(sa) -> dt.date:
    return sa.case.came_to_attention_on


def _subject_clock_owner(sa) -> dict:
    return {"case": sa.case, "subject_allegation": sa, "proceeding": None}


def _advisory_list_settle(ctx: Context) -> None:
    """The person's allegations in this case may all be closed now: a leaver's advisory entry may come
    off (Police Act 1996 s88L(1)(a)-(b), (4)); `register.lists.advisory_entries_settle` decides."""
    from forewarn.register.lists import advisory_entries_settle  # the register sits above cases

    advisory_entries_settle(actor=ctx.actor, person_id=ctx.obj.person_id, case_id=ctx.obj.case_id, on=ctx.on)


def _advisory_list_open_after_leaving(ctx: Context) -> None:
    """Gross misconduct alleged against someone who had resigned or retired: the advisory list
    (Police Act 1996 s88I(1)(b)); `register.lists.advisory_entry_open_after_leaving` decides."""
    from forewarn.register.lists import advisory_entry_open_after_leaving  # the register sits above cases

    advisory_entry_open_after_leaving(actor=ctx.actor, subject=ctx.obj, on=ctx.on)


# Steps that close a subject-allegation before or instead of proceedings. The finding of proceedings
# (conclude_proceedings) settles nothing yet: whether the person would have been dismissed is the
# outcome's, notified later (proceedings.lifecycle outcome_notify).
SETTLES_ADVISORY_LIST = (_advisory_list_settle,)


SUBJECT_ALLEGATION_MACHINE = Machine(
    name="subject_allegation",
    model="cases.SubjectAllegation",
    state_field="status",
    since_field="status_since",
    states=SubjectStatus,
    initial=SubjectStatus.RAISED,
    description="One officer x one allegation: severity assessment, investigation, case-to-answer decision "
                "and referral to proceedings (domain §3E).",
    terminal=frozenset({SubjectStatus.CLOSED_NO_ACTION, SubjectStatus.RPRP_COMPLETED,
                        SubjectStatus.REFERRED_TO_PERFORMANCE, SubjectStatus.PROCEEDINGS_WITHDRAWN,
                        SubjectStatus.PROCEEDINGS_CONCLUDED}),
    in_scope=_subject_in_scope,
    case_of=_subject_case,
    earliest_date=_subject_earliest,
    clock_owner=_subject_clock_owner,
    transitions=(
        Transition(
            action="assess_severity", label="Assess severity", sources=(SubjectStatus.RAISED,),
            target=SubjectStatus.SEVERITY_ASSESSED, roles=AA_OR_IOPC, payload=SeverityAssessment,
            apply=_copy("severity", "likely_proceedings"), then=(_advisory_list_open_after_leaving,),
            cite="Conduct Regs 2020 reg 14; C&M Regs 2020 reg 16"),
        # Severity may be revised at any time during the investigation.
        Transition(
            action="reassess_severity", label="Revise the severity assessment",
            sources=(SubjectStatus.SEVERITY_ASSESSED, SubjectStatus.INVESTIGATOR_APPOINTED,
                     SubjectStatus.UNDER_INVESTIGATION),
            target=SubjectStatus.SEVERITY_ASSESSED, roles=AA_OR_IOPC, payload=SeverityAssessment,
            apply=_copy("severity", "likely_proceedings"), then=(_advisory_list_open_after_leaving,),
            cite="Conduct Regs 2020 reg 14; C&M Regs 2020 reg 16"),
        Transition(
            action="close_no_action", label="Close with no further action",
            sources=(SubjectStatus.SEVERITY_ASSESSED, SubjectStatus.NO_CASE_TO_ANSWER),
            target=SubjectStatus.CLOSED_NO_ACTION, roles=AA_OR_IOPC, payload=Reasons,
            preconditions=(_from_severity(Severity.NO_MISCONDUCT),), stops=(ClockKind.REPRESENTATIONS,),
            then=SETTLES_ADVISORY_LIST, cite="Conduct Regs 2020 regs 14, 23"),
        Transition(
            action="refer_to_reflective_practice", label="Refer to reflective practice review",
            sources=(SubjectStatus.SEVERITY_ASSESSED, SubjectStatus.NO_CASE_TO_ANSWER),
            target=SubjectStatus.REFLECTIVE_PRACTICE, roles=AA_OR_IOPC, payload=Reasons,
            preconditions=(_from_severity(Severity.PRACTICE_REQUIRING_IMPROVEMENT),),
            cite="Conduct Regs 2020 regs 14, 23, Part 6"),
        Transition(
            action="appoint_investigator", label="Appoint an investigator", sources=(SubjectStatus.SEVERITY_ASSESSED,),
            target=SubjectStatus.INVESTIGATOR_APPOINTED, roles=AA_OR_IOPC, payload=InvestigatorAppointment,
            preconditions=(_severity_is(Severity.MISCONDUCT, Severity.GROSS_MISCONDUCT), _subject_case_investigating),
            apply=_copy("investigator_name"), cite="Conduct Regs 2020 reg 15"),
        Transition(
            action="serve_notice", label="Serve the notice of investigation",
            sources=(SubjectStatus.INVESTIGATOR_APPOINTED,), target=SubjectStatus.UNDER_INVESTIGATION,
            roles=INVESTIGATING, payload=NoticeServed, rules=(_notice_date_valid,), apply=_copy("notice_served_on"),
            starts=(ClockStart(ClockKind.REPRESENTATIONS, _notice_anchor),), cite="Conduct Regs 2020 regs 17-18"),
        Transition(
            action="submit_report", label="Submit the investigator's report",
            sources=(SubjectStatus.UNDER_INVESTIGATION,), target=SubjectStatus.REPORT_SUBMITTED,
            roles=INVESTIGATING, payload=InvestigatorsReport, preconditions=(_subject_not_held_for_criminal,),
            stops=(ClockKind.REPRESENTATIONS,), cite="Conduct Regs 2020 reg 21"),
        Transition(
            action="decide_case_to_answer", label="Decide there is a case to answer",
            sources=(SubjectStatus.REPORT_SUBMITTED,), target=SubjectStatus.CASE_TO_ANSWER, roles=AA_OR_IOPC,
            payload=CaseToAnswerDecision, apply=_copy("case_to_answer"),
            cite="Conduct Regs 2020 reg 23; PRA 2002 Sch 3 paras 23-24, 27"),
        Transition(
            action="decide_no_case_to_answer", label="Decide there is no case to answer",
            sources=(SubjectStatus.REPORT_SUBMITTED,), target=SubjectStatus.NO_CASE_TO_ANSWER, roles=AA_OR_IOPC,
            payload=Reasons, then=SETTLES_ADVISORY_LIST, cite="Conduct Regs 2020 reg 23; PRA 2002 Sch 3 paras 23-24"),
        Transition(
            action="refer_to_performance", label="Refer to performance procedures",
            sources=(SubjectStatus.NO_CASE_TO_ANSWER,), target=SubjectStatus.REFERRED_TO_PERFORMANCE, roles=AA,
            payload=Reasons, then=SETTLES_ADVISORY_LIST, cite="Conduct Regs 2020 reg 23; Police (Performance) Regs 2020"),
        Transition(
            action="complete_reflective_practice", label="Complete the reflective practice review",
            sources=(SubjectStatus.REFLECTIVE_PRACTICE,), target=SubjectStatus.RPRP_COMPLETED, roles=FORCE,
            payload=RprpReport, then=SETTLES_ADVISORY_LIST, cite="Conduct Regs 2020 regs 70-72 [R]"),
        Transition(
            action="refer_to_proceedings", label="Refer to misconduct proceedings",
            sources=(SubjectStatus.CASE_TO_ANSWER,), target=SubjectStatus.REFERRED_TO_PROCEEDINGS,
            roles=AA_OR_IOPC, payload=ReferralToProceedings,
            preconditions=(_subject_not_held_for_criminal,),
            # The form (meeting, hearing, AMH) is the proceeding's decision across all its allegations
            # (Conduct Regs 2020 reg 42(5)-(6), reg 49): proceedings.rules.forms_allowed checks it.
            rules=(_former_officer_may_be_referred,),
            cite="Conduct Regs 2020 regs 4, 23, 30, 42(5)-(6), 49, Sch 1"),
        Transition(
            action="withdraw_proceedings", label="Withdraw the misconduct proceedings",
            sources=(SubjectStatus.CASE_TO_ANSWER, SubjectStatus.REFERRED_TO_PROCEEDINGS),
            target=SubjectStatus.PROCEEDINGS_WITHDRAWN, roles=AA_OR_IOPC, payload=Reasons,
            then=SETTLES_ADVISORY_LIST, cite="Conduct Regs 2020 reg 27"),
        Transition(
            action="conclude_proceedings", label="Record the finding of the proceedings",
            sources=(SubjectStatus.REFERRED_TO_PROCEEDINGS,), target=SubjectStatus.PROCEEDINGS_CONCLUDED,
            roles=AA | {Role.PANEL_MEMBER}, payload=ProceedingsConclusion, rules=(_finding_within_referral,),
            apply=_copy("finding"), cite="Conduct Regs 2020 regs 41-43, 61-63"),
    ),
)


_OPEN_SUBJECT_STATES = frozenset({
    SubjectStatus.SEVERITY_ASSESSED, SubjectStatus.INVESTIGATOR_APPOINTED, SubjectStatus.UNDER_INVESTIGATION,
    SubjectStatus.REPORT_SUBMITTED, SubjectStatus.CASE_TO_ANSWER, SubjectStatus.REFERRED_TO_PROCEEDINGS,
})


def _subject_open(ctx: Context) -> None:
    """Only while the subject is in an open investigation or proceedings step."""
    require(ctx.obj.status in _OPEN_SUBJECT_STATES, "criminal.subject_not_open",
            "Only an open investigation or proceedings can be delayed for criminal proceedings.")


def _apply_criminal_hold(ctx: Context):
    clocks_pause(clocks=_clocks(subject_allegation=ctx.obj), on=ctx.on)
    return []


def _apply_criminal_release(ctx: Context):
    # A subject's clocks stay paused while the whole case is still suspended.
    if ctx.obj.case.suspension_status == SuspensionStatus.ACTIVE:
        clocks_resume(clocks=_clocks(subject_allegation=ctx.obj), on=ctx.on)
    return []


SUBJECT_CRIMINAL_MACHINE = Machine(
    name="subject_criminal",
    model="cases.SubjectAllegation",
    state_field="criminal_status",
    since_field="criminal_status_since",
    states=CriminalStatus,
    initial=CriminalStatus.NONE,
    description="Overlay on a subject-allegation: misconduct proceedings delayed while criminal proceedings "
                "might be prejudiced. The subject's clocks pause and resume.",
    in_scope=_subject_in_scope,
    case_of=_subject_case,
    earliest_date=_subject_earliest,
    clock_owner=_subject_clock_owner,
    transitions=(
        Transition(
            action="suspend_for_criminal_proceedings", label="Delay for criminal proceedings",
            sources=(CriminalStatus.NONE,), target=CriminalStatus.SUSPENDED_FOR_CRIMINAL, roles=AA_OR_IOPC,
            payload=Reasons, preconditions=(_subject_open,), apply=_apply_criminal_hold,
            cite="Conduct Regs 2020 reg 10"),
        Transition(
            action="resume_after_criminal_proceedings", label="Resume after criminal proceedings",
            sources=(CriminalStatus.SUSPENDED_FOR_CRIMINAL,), target=CriminalStatus.NONE, roles=AA_OR_IOPC,
            payload=Reasons, apply=_apply_criminal_release, cite="Conduct Regs 2020 reg 10(3)"),
    ),
)

MACHINES = (CASE_MACHINE, CASE_SUSPENSION_MACHINE, SUBJECT_ALLEGATION_MACHINE, SUBJECT_CRIMINAL_MACHINE)
