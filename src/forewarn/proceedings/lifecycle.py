"""The proceeding and challenge lifecycles as data (domain brief §3F P0–P10 and §3G).

Transitions call `rules.py` for what a form may decide and `core.lifecycle.run_transition` for the
recipe (lock, state check, role, rules, mutate, clocks, one audit event). Steps that also move the
subject-allegations (findings, withdrawal) run the subject-allegation machine's own transitions in
the same database transaction, so each record writes its own audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import pydantic
from django.apps import apps

from forewarn.core import calendar
from forewarn.core.clocks import CLOCK_RULES, ClockKind
from forewarn.core.lifecycle import (
    Context,
    Machine,
    Payload,
    Reasons,
    Transition,
    require,
    run_transition,
)
from forewarn.core.regimes import panel_regime_for
from forewarn.organisations.models import Role
from forewarn.organisations.permissions import case_in_scope
from forewarn.proceedings import rules
from forewarn.proceedings.models import (
    ChallengeRoute,
    ChallengeStatus,
    Finding,
    Level,
    ProceedingForm,
    ProceedingStatus,
    Sanction,
)

P = ProceedingStatus
C = ChallengeStatus
AA = frozenset({Role.APPROPRIATE_AUTHORITY})
ADMIN = frozenset({Role.APPROPRIATE_AUTHORITY, Role.CASE_HANDLER})
PANEL = frozenset({Role.PANEL_MEMBER})

PRE_HEARING_STATES = (P.NOTICE_OF_REFERRAL, P.OFFICER_RESPONDED, P.WITNESS_LISTS_EXCHANGED, P.PRE_HEARING,
                      P.SCHEDULED)
HELD_CLOCKS = (ClockKind.MEETING_HELD, ClockKind.HEARING_HELD, ClockKind.AMH_HELD)
HELD_CLOCK_FOR_FORM = {ProceedingForm.MEETING: ClockKind.MEETING_HELD,
                       ProceedingForm.HEARING: ClockKind.HEARING_HELD,
                       ProceedingForm.ACCELERATED_HEARING: ClockKind.AMH_HELD}
APPEAL_CLOCKS = (ClockKind.MEETING_APPEAL, ClockKind.PAT_APPEAL)
# Subject-allegation states from which the subject machine's proceedings actions start.
SUBJECT_REFERRED = "referred_to_proceedings"


# -- helpers -----------------------------------------------------------------------------------

def clock_start(proceeding, kind: ClockKind, started_on: dt.date) -> None:
    """Start (or restart) one clock on a proceeding; for clocks a table cannot name statically."""
    clock_model = apps.get_model("core", "Clock")
    owner = {"case": proceeding.case, "subject_allegation": None, "proceeding": proceeding}
    clock_model.objects.filter(**owner, kind=kind, stopped_on__isnull=True).update(stopped_on=started_on)
    clock_model.objects.create(**owner, kind=kind, started_on=started_on,
                               due_on=CLOCK_RULES[kind].due_from(started_on))


def notice_clocks_start(proceeding) -> None:
    """At the reg 30 notice: the officer's response (reg 31, 15 WD) and the period to hold it."""
    clock_start(proceeding, ClockKind.OFFICER_RESPONSE, proceeding.notice_on)
    clock_start(proceeding, HELD_CLOCK_FOR_FORM[proceeding.form], proceeding.notice_on)


def subject_machine():
    # Imported when used: cases/lifecycle.py is the subject-allegation table's home, and the
    # registry imports both apps' tables.
    from forewarn.cases.lifecycle import SUBJECT_ALLEGATION_MACHINE

    return SUBJECT_ALLEGATION_MACHINE


def _guidance():
    # Imported when used: the outcomes guidance (issue #6 §2) sits above proceedings.
    from forewarn.guidance import services

    return services


def _lists():
    # Imported when used: the register (barred and advisory lists) sits above proceedings.
    from forewarn.register import lists

    return lists


def _items(proceeding):
    return list(proceeding.items.select_related("subject_allegation").order_by("id"))


def _outcome_finding(proceeding) -> str | None:
    findings = [i.finding for i in proceeding.items.all() if i.finding]
    return rules.most_serious(findings) if findings else None


def _allowed_sanctions(proceeding, finding: str) -> frozenset[str]:
    return rules.sanctions_allowed(
        form=proceeding.form, finding=finding, regime=proceeding.regime,
        final_written_warning_in_force=proceeding.final_written_warning_in_force,
        is_former_officer=proceeding.is_former_officer, unconnected_incidents=proceeding.unconnected_incidents)


# -- payloads ------------------------------------------------------------------------------------

class OfficerResponse(Payload):
    """Reg 31(1)-(3): whether the officer accepts the conduct, and their account."""

    accepts: Literal["accepts", "denies", "accepts_in_part"]
    summary: str = pydantic.Field(default="", max_length=20_000)


class Schedule(Payload):
    scheduled_for: dt.date
    extension_reason: str = pydantic.Field(default="", max_length=20_000)


class Findings(Payload):
    """Reg 41: a finding on each subject-allegation in the proceeding, keyed by its id."""

    findings: dict[int, Finding] = pydantic.Field(min_length=1)
    admitted: list[int] = []


class OutcomeConsidered(Payload):
    sanction: Sanction
    why_not: str = pydantic.Field(default="", max_length=5_000)


def _factor_lines(value):
    """Factors as "id: explanation" lines; objects {"factor": id, "explanation": …} are accepted too."""
    if not isinstance(value, list):
        return value
    from forewarn.guidance.rules import factor_line

    return [factor_line(entry) if isinstance(entry, dict) else entry for entry in value]


FACTORS_HELP = ("One factor per line, 'factor_id: how it was weighed', from the outcomes guidance's {kind} factors "
                "(GET /api/proceedings/{{id}}/guidance lists them); or objects {{\"factor\", \"explanation\"}}.")


def _factors(kind: str):
    # list[str] so the web form is one line per factor; guidance.rules bounds each explanation.
    return Annotated[list[str], pydantic.BeforeValidator(_factor_lines),
                     pydantic.Field(max_length=30, description=FACTORS_HELP.format(kind=kind))]


class Outcome(Payload):
    """Reg 42 / reg 62, with the structured reasoning of the College's outcomes guidance
    (seriousness -> purpose -> outcome). O'Connor [2025] EWCA Civ 27: a panel that lists factors
    but does not assess culpability and harm errs in law, so both are required with a sanction.
    Factors are chosen from the guidance's vocabularies (guidance.data), each with how it was weighed;
    an outcome the guidance marks as an outlier needs `outlier_reasons` (issue #6 §2).
    """

    sanction: Sanction
    reasons: str = pydantic.Field(min_length=1, max_length=20_000)
    warning_months: int | None = pydantic.Field(default=None, ge=1, le=120)
    sanction_expires_on: dt.date | None = None
    reduced_to_rank: str = pydantic.Field(default="", max_length=8)
    culpability: Level | None = None
    harm: Level | None = None
    culpability_factors: _factors("culpability") = []
    harm_factors: _factors("harm") = []
    aggravating_factors: _factors("aggravating") = []
    mitigating_factors: _factors("mitigating") = []
    personal_mitigation: _factors("personal mitigation") = []
    seriousness_conclusion: str = pydantic.Field(default="", max_length=20_000)
    purpose: str = pydantic.Field(default="", max_length=20_000,
                                  description="How the outcome serves the purpose of outcomes (public confidence, "
                                              "standards, protecting the public).")
    outcomes_considered: list[OutcomeConsidered] = []
    exceptional_circumstances: str = pydantic.Field(default="", max_length=20_000)
    outlier_reasons: str = pydantic.Field(default="", max_length=20_000,
                                          description="Explicit reasons for an outcome below the guidance's "
                                                      "indicative range (the AA and the IOPC are told).")
    guidance_version: str = pydantic.Field(default="", max_length=40)


class Publication(Payload):
    """Reg 39 / reg 63: the outcome is published unless the chair dispenses with publication."""

    dispensed_reason: str = pydantic.Field(default="", max_length=20_000)


class AppealLodged(Payload):
    route: ChallengeRoute


class SubstitutedAssessment(Payload):
    """An appeal body's own assessment of an outcome it substitutes (issue #6 §2): each field left out
    is the panel's as recorded (guidance.services.substitution_check)."""

    culpability: Level | None = None
    harm: Level | None = None
    # None (not given) is the panel's factors; [] is none. Typed as lists so the web form is one line each.
    culpability_factors: _factors("culpability") = None
    harm_factors: _factors("harm") = None
    aggravating_factors: _factors("aggravating") = None
    mitigating_factors: _factors("mitigating") = None
    personal_mitigation: _factors("personal mitigation") = None
    purpose: str = pydantic.Field(default="", max_length=20_000,
                                  description="How the substituted outcome serves the purpose of outcomes.")
    outcomes_considered: list[OutcomeConsidered] = pydantic.Field(
        default=[], description="Each less severe outcome and why it was insufficient.")
    exceptional_circumstances: str = pydantic.Field(default="", max_length=20_000)
    outlier_reasons: str = pydantic.Field(default="", max_length=20_000,
                                          description="Explicit reasons for a substituted outcome below the "
                                                      "guidance's indicative range (the AA and the IOPC are told).")


class _MaySubstitute(Payload):
    substituted_sanction: Sanction | None = None


class ChallengeDecided(SubstitutedAssessment, _MaySubstitute):
    """The decision of an appeal body on the proceeding; a substitution replaces the outcome."""


class Remittal(Payload):
    reasons: str = pydantic.Field(default="", max_length=20_000)


class ChallengeDecision(Payload):
    reasons: str = pydantic.Field(min_length=1, max_length=20_000)
    citation: str = pydantic.Field(default="", max_length=120)


class _Substitutes(ChallengeDecision):
    substituted_sanction: Sanction


class Substitution(SubstitutedAssessment, _Substitutes):
    """The appeal body's decision, the outcome it substituted and (optionally) its own assessment."""


# -- proceeding rules ------------------------------------------------------------------------------

def _hearings_only(ctx: Context) -> None:
    require(ctx.obj.form == ProceedingForm.HEARING, "proceeding.hearings_only",
            "Only a misconduct hearing has a pre-hearing (Conduct Regs 2020 reg 33).")


def _published_forms_only(ctx: Context) -> None:
    require(ctx.obj.form in rules.HEARING_FORMS, "proceeding.not_published",
            "Only the outcome of a hearing or accelerated hearing is published (reg 39 / reg 63).")


def _meeting_final_without_publication(ctx: Context) -> None:
    # A hearing's outcome must be published or publication dispensed with first (reg 39 / reg 63).
    require(ctx.obj.form == ProceedingForm.MEETING, "proceeding.publication_required",
            "A hearing's outcome is published (or publication dispensed with) before it becomes final.")


def _schedule_rules(ctx: Context) -> None:
    p, data = ctx.obj, ctx.payload
    if p.status == P.NOTICE_OF_REFERRAL:
        require(p.form == ProceedingForm.ACCELERATED_HEARING, "proceeding.steps_skipped",
                "Only an accelerated hearing may be scheduled straight after the notice (reg 51).")
    require(data.scheduled_for >= ctx.on, "proceeding.scheduled_in_past",
            "The date set for the proceeding cannot be before the day it is set.")
    days = calendar.working_days_between(p.notice_on, data.scheduled_for)
    if p.form == ProceedingForm.ACCELERATED_HEARING:
        # Reg 52: not less than 10 and not more than 15 working days after the notice [R].
        require(10 <= days <= 15, "proceeding.amh_date",
                f"An accelerated hearing is held 10 to 15 working days after notice (this date is {days}).")
    elif p.form == ProceedingForm.HEARING and not data.extension_reason:
        # Reg 34: within 100 working days of the notice, extendable in the interests of justice [R].
        require(days <= 100, "proceeding.hearing_date",
                f"A hearing is held within 100 working days of notice (this date is {days}); give the reason "
                "for the extension.")
    elif p.form == ProceedingForm.MEETING and not data.extension_reason:
        # Reg 34: within 20 working days of the notice, extendable [R].
        require(days <= 20, "proceeding.meeting_date",
                f"A meeting is held within 20 working days of notice (this date is {days}); give the reason "
                "for the extension.")


def _schedule_apply(ctx: Context):
    ctx.obj.scheduled_for = ctx.payload.scheduled_for
    fields = ["scheduled_for"]
    if ctx.payload.extension_reason:
        ctx.obj.extension_reason = ctx.payload.extension_reason
        fields.append("extension_reason")
    return fields


def _findings_rules(ctx: Context) -> None:
    p, data = ctx.obj, ctx.payload
    expected = {i.subject_allegation_id for i in p.items.all()}
    require(set(data.findings) == expected, "proceeding.findings_incomplete",
            "Give exactly one finding for each allegation in the proceeding.")
    require(set(data.admitted) <= expected, "proceeding.findings_incomplete",
            "An admitted allegation must be one of the proceeding's allegations.")
    if p.form == ProceedingForm.MEETING:
        # A meeting decides misconduct only; GM is for a hearing (reg 23, reg 42(2)).
        require(Finding.GROSS_MISCONDUCT not in data.findings.values(), "finding.exceeds_form",
                "A misconduct meeting cannot find gross misconduct.")


def _findings_apply(ctx: Context):
    data = ctx.payload
    machine = subject_machine()
    for item in _items(ctx.obj):
        item.finding = data.findings[item.subject_allegation_id]
        item.admitted = item.subject_allegation_id in data.admitted
        item.save(update_fields=["finding", "admitted"])
        # A rehearing after remittal finds again on subjects whose first proceeding already
        # concluded them; their record keeps that conclusion and this finding lives on the item.
        if item.subject_allegation.status == SUBJECT_REFERRED:
            run_transition(machine=machine, obj_id=item.subject_allegation_id, action="conclude_proceedings",
                           actor=ctx.actor, payload={"finding": item.finding}, on=ctx.on)
    return []


def _outcome_rules(ctx: Context) -> None:
    p, data = ctx.obj, ctx.payload
    finding = _outcome_finding(p)
    require(finding is not None, "proceeding.findings_incomplete", "No findings have been made.")
    allowed = _allowed_sanctions(p, finding)
    require(data.sanction in allowed, "outcome.not_permitted",
            f"'{Sanction(data.sanction).label}' is not an outcome a {p.get_form_display().lower()} may impose "
            f"for a finding of {Finding(finding).label.lower()} under the {p.regime} regime "
            f"(allowed: {', '.join(sorted(allowed)) or 'none'}).")
    if rules.exceptional_circumstances_required(finding=finding, regime=p.regime, sanction=data.sanction):
        # Reg 42 / reg 63 as amended by SI 2025/558: dismissal is presumed for gross misconduct.
        require(bool(data.exceptional_circumstances.strip()), "outcome.exceptional_circumstances_required",
                "Gross misconduct under the 2025 regime means dismissal unless exceptional circumstances "
                "are given (SI 2025/558).")
    if finding in (Finding.MISCONDUCT, Finding.GROSS_MISCONDUCT):
        require(data.culpability is not None and data.harm is not None and bool(data.seriousness_conclusion),
                "outcome.seriousness_required",
                "Assess culpability and harm and conclude on seriousness before choosing an outcome "
                "(College outcomes guidance; O'Connor [2025] EWCA Civ 27).")
    if data.warning_months or data.sanction_expires_on:
        require(data.sanction in rules.WARNINGS, "outcome.expiry_not_a_warning",
                "Only a written or final written warning has a period.")
    if data.sanction == Sanction.REDUCTION_IN_RANK:
        require(bool(data.reduced_to_rank), "outcome.rank_required", "Give the rank the officer is reduced to.")
    if finding in (Finding.MISCONDUCT, Finding.GROSS_MISCONDUCT):
        # The outcomes guidance (issue #6 §2): factors from its vocabularies, each explained; an outlier
        # outcome only with explicit reasons. Judged here, before anything is written.
        ctx.results["guidance"] = _guidance().outcome_check(proceeding=p, values=data.model_dump(mode="json"),
                                                            finding=finding)


def _outcome_apply(ctx: Context):
    p, data = ctx.obj, ctx.payload
    p.sanction = data.sanction
    p.outcome_reasons = data.reasons
    p.warning_months = data.warning_months
    p.sanction_expires_on = data.sanction_expires_on
    p.reduced_to_rank = data.reduced_to_rank
    p.culpability = data.culpability
    p.harm = data.harm
    check = ctx.results.get("guidance")
    if check is not None:
        # As chosen from the guidance: [{"factor", "words", "explanation"}, …].
        p.aggravating_factors = [c.as_json() for c in check.draft.aggravating_factors]
        p.mitigating_factors = [c.as_json() for c in check.draft.mitigating_factors]
        p.personal_mitigation = [c.as_json() for c in check.draft.personal_mitigation]
    else:
        p.aggravating_factors = list(data.aggravating_factors)
        p.mitigating_factors = list(data.mitigating_factors)
        p.personal_mitigation = list(data.personal_mitigation)
    p.seriousness_conclusion = data.seriousness_conclusion
    p.outcomes_considered = [o.model_dump(mode="json") for o in data.outcomes_considered]
    p.exceptional_circumstances = data.exceptional_circumstances
    p.guidance_version = data.guidance_version or (_guidance().data.GUIDANCE_VERSION if check else "")
    if check is not None:
        ctx.results["assessment"] = _guidance().assessment_record(actor=ctx.actor, proceeding=p, check=check,
                                                                  on=ctx.on)
    return ["sanction", "outcome_reasons", "warning_months", "sanction_expires_on", "reduced_to_rank",
            "culpability", "harm", "aggravating_factors", "mitigating_factors", "personal_mitigation",
            "seriousness_conclusion", "outcomes_considered", "exceptional_circumstances", "guidance_version"]


def _notified_apply(ctx: Context):
    p = ctx.obj
    # Reg 42(4): disciplinary action takes effect from the date the officer is notified.
    p.sanction_effective_on = ctx.on
    if p.sanction in rules.WARNINGS and p.sanction_expires_on is None:
        p.sanction_expires_on = rules.warning_expires_on(sanction=p.sanction, effective_on=ctx.on,
                                                         months=p.warning_months)
    if p.sanction and p.sanction not in (Sanction.NO_ACTION, Sanction.REFLECTIVE_PRACTICE):
        clock_start(p, rules.appeal_clock_for(p.form), ctx.on)
    if p.sanction in rules.BARRING_OUTCOMES:
        # Barred List Regs 2017 reg 3: the AA reports within 5 WD of the dismissal or finding.
        clock_start(p, ClockKind.BARRED_LIST_REPORT, ctx.on)
        _lists().barred_entry_open(actor=ctx.actor, proceeding=p, on=ctx.on)
    return ["sanction_effective_on", "sanction_expires_on"]


def _advisory_list_settle(ctx: Context) -> None:
    """An outcome notified, or substituted on appeal: if it does not bar the person, a leaver's advisory
    entry for this case comes off once all their allegations in it are closed (Police Act 1996
    s88L(1)(c), (4)); a barring outcome leaves it to the barred listing (s88L(5))."""
    p = ctx.obj
    _lists().advisory_entries_settle(actor=ctx.actor, person_id=p.person_id, case_id=p.case_id, on=ctx.on)


def _published_apply(ctx: Context):
    p = ctx.obj
    if ctx.payload.dispensed_reason:
        p.publication_dispensed_reason = ctx.payload.dispensed_reason
        return ["publication_dispensed_reason"]
    p.published_on = ctx.on
    # Published notice kept for not less than 28 days (reg 39(9) / reg 63(9)).
    clock_start(p, ClockKind.PUBLICATION, ctx.on)
    return ["published_on"]


def _appeal_window_closed(ctx: Context) -> None:
    clock_model = apps.get_model("core", "Clock")
    open_window = clock_model.objects.filter(proceeding=ctx.obj, kind__in=APPEAL_CLOCKS, stopped_on__isnull=True,
                                             due_on__gte=ctx.on).first()
    require(open_window is None, "proceeding.appeal_window_open",
            f"The officer may still appeal until {open_window.due_on.isoformat() if open_window else ''}.")


def _decided_rules(ctx: Context) -> None:
    p, new = ctx.obj, ctx.payload.substituted_sanction
    if new is None:
        return
    finding = _outcome_finding(p)
    require(finding is not None and new in _allowed_sanctions(p, finding), "challenge.substitution_not_permitted",
            "An appeal body may substitute only an outcome the original body could have imposed.")
    if finding in (Finding.MISCONDUCT, Finding.GROSS_MISCONDUCT):
        # A substituted outcome is held to the outcomes guidance as the panel's was (issue #6 §2): the
        # same range, outlier reasons and less severe outcomes, judged before anything is written.
        ctx.results["guidance"] = _guidance().substitution_check(
            proceeding=p, values=ctx.payload.model_dump(mode="json"), finding=finding)


def _decided_apply(ctx: Context):
    p, new = ctx.obj, ctx.payload.substituted_sanction
    if new is None:
        return []
    if p.sanction in rules.BARRING_OUTCOMES and new not in rules.BARRING_OUTCOMES:
        # Police Act 1996 s88F: a dismissal overturned on appeal comes off the barred list.
        _lists().barred_entries_remove_for_proceeding(
            actor=ctx.actor, proceeding=p, on=ctx.on, note=f"Outcome substituted on appeal: {Sanction(new).label}.")
    p.sanction = new
    p.sanction_expires_on = (rules.warning_expires_on(sanction=new, effective_on=ctx.on)
                             if new in rules.WARNINGS else None)
    p.warning_months = None
    check = ctx.results.get("guidance")
    if check is not None:
        ctx.results["assessment"] = _guidance().assessment_record(actor=ctx.actor, proceeding=p, check=check,
                                                                  on=ctx.on, decision="substitution")
    return ["sanction", "sanction_expires_on", "warning_months"]


def _left_service(subject, on: dt.date) -> bool:
    if subject.is_former_officer or (subject.left_service_on and subject.left_service_on <= on):
        return True
    if not subject.person_id:
        return False
    appointments = apps.get_model("workforce", "Appointment").objects.filter(
        person_id=subject.person_id, role_type="officer")
    return appointments.exists() and not appointments.exclude(end_date__lte=on).exists()


def _remit_apply(ctx: Context):
    """Quashed and remitted: a fresh proceeding on the same allegations (domain §3G G6)."""
    from forewarn.audit.services import event_record
    from forewarn.proceedings.models import Proceeding, ProceedingAllegation

    old = ctx.obj
    items = _items(old)
    # A quashed dismissal no longer stands (s88F); a rehearing that dismisses again opens a new entry.
    _lists().barred_entries_remove_for_proceeding(actor=ctx.actor, proceeding=old, on=ctx.on,
                                                  note="Outcome quashed and remitted for a fresh decision.")
    rehearing = Proceeding.objects.create(
        case=old.case, person=old.person, form=old.form, status=P.NOTICE_OF_REFERRAL, status_since=ctx.on,
        regime=old.regime, panel_regime=panel_regime_for(ctx.on), notice_on=ctx.on,
        # The officer may have left since the first decision (O'Connor: Mason resigned before the
        # rehearing, which found he would have been dismissed).
        is_former_officer=old.is_former_officer or any(_left_service(i.subject_allegation, ctx.on) for i in items),
        final_written_warning_in_force=old.final_written_warning_in_force,
        unconnected_incidents=old.unconnected_incidents, condition_c_determination=old.condition_c_determination,
        remitted_from=old)
    ProceedingAllegation.objects.bulk_create(
        [ProceedingAllegation(proceeding=rehearing, subject_allegation_id=i.subject_allegation_id) for i in items])
    notice_clocks_start(rehearing)
    event_record(actor=ctx.actor, action="proceeding.rehearing", obj=rehearing, case=old.case, occurred_on=ctx.on,
                 to_state=P.NOTICE_OF_REFERRAL, data={"remitted_from": old.id, "form": old.form},
                 reason=ctx.payload.reasons)
    ctx.results["rehearing"] = rehearing
    return []


def _withdraw_apply(ctx: Context):
    machine = subject_machine()
    for item in _items(ctx.obj):
        if item.subject_allegation.status == SUBJECT_REFERRED:
            run_transition(machine=machine, obj_id=item.subject_allegation_id, action="withdraw_proceedings",
                           actor=ctx.actor, payload={"reasons": ctx.payload.reasons}, on=ctx.on)
    return []


PROCEEDING_MACHINE = Machine(
    name="proceeding",
    model="proceedings.Proceeding",
    state_field="status",
    since_field="status_since",
    states=ProceedingStatus,
    initial=P.NOTICE_OF_REFERRAL,
    terminal=frozenset({P.WITHDRAWN, P.REMITTED}),
    in_scope=lambda actor, p: case_in_scope(actor, p.case),
    case_of=lambda p: p.case,
    earliest_date=lambda p: p.notice_on,
    clock_owner=lambda p: {"case": p.case, "subject_allegation": None, "proceeding": p},
    description="Misconduct meeting, hearing or accelerated hearing (Conduct Regs 2020 Parts 4 and 5).",
    transitions=(
        Transition("officer_respond", "Record the officer's response", (P.NOTICE_OF_REFERRAL,), P.OFFICER_RESPONDED,
                   ADMIN, payload=OfficerResponse, stops=(ClockKind.OFFICER_RESPONSE,),
                   starts=(ClockKind.WITNESS_LISTS,), cite="Conduct Regs 2020 reg 31(1)-(3)"),
        Transition("witness_lists_exchange", "Record the exchange of witness lists", (P.OFFICER_RESPONDED,),
                   P.WITNESS_LISTS_EXCHANGED, ADMIN, stops=(ClockKind.WITNESS_LISTS,),
                   cite="Conduct Regs 2020 reg 31(4)"),
        Transition("pre_hearing_hold", "Record the pre-hearing", (P.WITNESS_LISTS_EXCHANGED,), P.PRE_HEARING,
                   ADMIN, preconditions=(_hearings_only,), cite="Conduct Regs 2020 reg 33"),
        Transition("schedule", "Set the date", (P.NOTICE_OF_REFERRAL, P.WITNESS_LISTS_EXCHANGED, P.PRE_HEARING),
                   P.SCHEDULED, ADMIN, payload=Schedule, rules=(_schedule_rules,), apply=_schedule_apply,
                   cite="Conduct Regs 2020 reg 34, reg 52"),
        Transition("findings_record", "Record the findings", (P.SCHEDULED,), P.HEARD, PANEL, payload=Findings,
                   rules=(_findings_rules,), apply=_findings_apply, stops=HELD_CLOCKS,
                   cite="Conduct Regs 2020 reg 41 / reg 61"),
        Transition("outcome_determine", "Decide the outcome", (P.HEARD,), P.OUTCOME_DETERMINED, PANEL,
                   payload=Outcome, rules=(_outcome_rules,), apply=_outcome_apply,
                   starts=(ClockKind.OUTCOME_REPORT,), cite="Conduct Regs 2020 reg 42 / reg 62; SI 2025/558"),
        Transition("outcome_report", "Send the outcome report to the appropriate authority",
                   (P.OUTCOME_DETERMINED,), P.OUTCOME_REPORTED, PANEL, stops=(ClockKind.OUTCOME_REPORT,),
                   cite="Conduct Regs 2020 reg 43 / reg 63"),
        Transition("outcome_notify", "Notify the officer of the outcome", (P.OUTCOME_REPORTED,), P.OUTCOME_NOTIFIED,
                   AA, apply=_notified_apply, then=(_advisory_list_settle,),
                   cite="Conduct Regs 2020 reg 42(4), reg 43(2)"),
        Transition("outcome_publish", "Publish the outcome (or record that publication is dispensed with)",
                   (P.OUTCOME_NOTIFIED,), P.OUTCOME_PUBLISHED, ADMIN, payload=Publication,
                   preconditions=(_published_forms_only,), apply=_published_apply,
                   cite="Conduct Regs 2020 reg 39 / reg 63"),
        Transition("finalise", "Record that the outcome is final", (P.OUTCOME_NOTIFIED,), P.FINAL, ADMIN,
                   preconditions=(_meeting_final_without_publication,), rules=(_appeal_window_closed,),
                   stops=APPEAL_CLOCKS, cite="Conduct Regs 2020 reg 45"),
        Transition("finalise_published", "Record that the outcome is final", (P.OUTCOME_PUBLISHED,), P.FINAL,
                   ADMIN, rules=(_appeal_window_closed,), stops=APPEAL_CLOCKS, cite="PAT Rules 2020"),
        Transition("challenge_lodged", "Record that a challenge was lodged",
                   (P.OUTCOME_NOTIFIED, P.OUTCOME_PUBLISHED, P.FINAL), P.APPEALED, ADMIN, payload=AppealLodged,
                   stops=APPEAL_CLOCKS, cite="Conduct Regs 2020 reg 45; PAT Rules 2020; CPR 54"),
        Transition("challenge_decided", "Record that the challenge ended and the outcome stands or was substituted",
                   (P.APPEALED,), P.FINAL, ADMIN, payload=ChallengeDecided, rules=(_decided_rules,),
                   apply=_decided_apply, then=(_advisory_list_settle,), cite="Conduct Regs 2020 reg 46; PAT Rules 2020"),
        Transition("remit", "Record that the outcome was quashed and remitted", (P.APPEALED,), P.REMITTED, ADMIN,
                   payload=Remittal, apply=_remit_apply, cite="Senior Courts Act 1981 s31(5); PAT Rules 2020"),
        Transition("withdraw", "Withdraw the proceedings", PRE_HEARING_STATES, P.WITHDRAWN, AA, payload=Reasons,
                   apply=_withdraw_apply, stops=(ClockKind.OFFICER_RESPONSE, ClockKind.WITNESS_LISTS, *HELD_CLOCKS),
                   cite="Conduct Regs 2020 reg 27"),
    ),
)


# -- challenges ----------------------------------------------------------------------------------

def _proceeding_challenge_end(ctx: Context, substituted: str | None = None) -> None:
    """Move the proceeding back to final once no other challenge against it is pending."""
    challenge = ctx.obj
    proceeding = challenge.proceeding
    others = type(challenge).objects.filter(proceeding=proceeding, status=C.LODGED).exclude(pk=challenge.pk)
    if proceeding.status != P.APPEALED or (others.exists() and substituted is None):
        return
    payload = {"substituted_sanction": substituted}
    if substituted is not None:
        # The appeal body's own assessment, if it gave one, goes with the outcome it substituted.
        payload.update(ctx.payload.model_dump(mode="json", include=set(SubstitutedAssessment.model_fields),
                                              exclude_none=True))
    run_transition(machine=PROCEEDING_MACHINE, obj_id=proceeding.pk, action="challenge_decided", actor=ctx.actor,
                   payload=payload, on=ctx.on,
                   reason=f"{challenge.get_route_display()} {ctx.transition.target.replace('_', ' ')}")


def _record_decision(ctx: Context) -> list[str]:
    ctx.obj.decision_reasons = ctx.payload.reasons
    ctx.obj.citation = ctx.payload.citation
    return ["decision_reasons", "citation"]


def _dismiss_apply(ctx: Context):
    fields = _record_decision(ctx)
    _proceeding_challenge_end(ctx)
    return fields


def _substitute_apply(ctx: Context):
    fields = _record_decision(ctx)
    ctx.obj.substituted_sanction = ctx.payload.substituted_sanction
    _proceeding_challenge_end(ctx, substituted=ctx.payload.substituted_sanction)
    return [*fields, "substituted_sanction"]


def _challenge_remit_apply(ctx: Context):
    fields = _record_decision(ctx)
    _, inner = run_transition(machine=PROCEEDING_MACHINE, obj_id=ctx.obj.proceeding_id, action="remit",
                              actor=ctx.actor, payload={"reasons": ctx.payload.reasons}, on=ctx.on)
    ctx.results["rehearing"] = inner.results["rehearing"]
    return fields


def _proceeding_under_challenge(ctx: Context) -> None:
    require(ctx.obj.proceeding.status == P.APPEALED, "challenge.proceeding_not_appealed",
            "The proceeding is not recorded as under challenge.")


def _challenge_withdraw_apply(ctx: Context):
    ctx.obj.decision_reasons = ctx.payload.reasons
    _proceeding_challenge_end(ctx)
    return ["decision_reasons"]


def _onward_only_from_judicial_review(ctx: Context) -> None:
    require(ctx.obj.route == "judicial_review", "challenge.not_appealable",
            "Only a decided judicial review is appealed onward to the Court of Appeal.")


CHALLENGE_MACHINE = Machine(
    name="challenge",
    model="proceedings.Challenge",
    state_field="status",
    since_field="status_since",
    states=ChallengeStatus,
    initial=C.LODGED,
    terminal=frozenset({C.ALLOWED_REMITTED, C.WITHDRAWN, C.APPEALED_ONWARD}),
    in_scope=lambda actor, c: case_in_scope(actor, c.proceeding.case),
    case_of=lambda c: c.proceeding.case,
    earliest_date=lambda c: c.lodged_on,
    clock_owner=lambda c: {"case": c.proceeding.case, "subject_allegation": None, "proceeding": c.proceeding},
    description="Appeal, Police Appeals Tribunal, judicial review or Court of Appeal against an outcome.",
    transitions=(
        Transition("dismiss", "Record that the challenge was dismissed", (C.LODGED,), C.DISMISSED, ADMIN,
                   payload=ChallengeDecision, apply=_dismiss_apply, cite="Conduct Regs 2020 reg 46; PAT Rules 2020"),
        Transition("substitute", "Record that the challenge was allowed and the outcome substituted", (C.LODGED,),
                   C.ALLOWED_SUBSTITUTED, ADMIN, payload=Substitution, preconditions=(_proceeding_under_challenge,),
                   apply=_substitute_apply, cite="PAT Rules 2020; Senior Courts Act 1981 s31(5)(b)"),
        Transition("remit", "Record that the outcome was quashed and remitted", (C.LODGED,), C.ALLOWED_REMITTED,
                   ADMIN, payload=ChallengeDecision, preconditions=(_proceeding_under_challenge,),
                   apply=_challenge_remit_apply, cite="Senior Courts Act 1981 s31(5)(a)"),
        Transition("withdraw", "Record that the challenge was withdrawn", (C.LODGED,), C.WITHDRAWN, ADMIN,
                   payload=Reasons, apply=_challenge_withdraw_apply),
        Transition("appeal_onward", "Record an appeal to the Court of Appeal", (C.DISMISSED, C.ALLOWED_SUBSTITUTED),
                   C.APPEALED_ONWARD, ADMIN, preconditions=(_onward_only_from_judicial_review,),
                   cite="Senior Courts Act 1981 s16; CPR 52"),
    ),
)

MACHINES = (PROCEEDING_MACHINE, CHALLENGE_MACHINE)

