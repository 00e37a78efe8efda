"""Which form of proceedings a case to answer goes to, and which outcomes each form may impose.

Pure functions over data (domain brief §3F, §3H, §1.3), looked up by regime so that an old case
keeps the rules it started under (architecture rule 9). No database access here: the lifecycle
tables and services call these and turn a refusal into a GuardFailed with a stable code.

Facts tagged [R] in the domain brief are researcher background, not re-verified against the
primary text; each rule resting on one says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from forewarn.cases.models import CaseToAnswer
from forewarn.core import calendar
from forewarn.core.clocks import CLOCK_RULES, ClockKind
from forewarn.core.regimes import Regime
from forewarn.proceedings.models import ChallengeRoute, ChallengeStatus, Finding, ProceedingForm, Sanction

FORM = ProceedingForm
S = Sanction

# Most serious first: a proceeding imposes one outcome, for the most serious finding it made.
FINDING_ORDER = (Finding.GROSS_MISCONDUCT, Finding.MISCONDUCT, Finding.PROVEN_NOT_MISCONDUCT, Finding.NOT_PROVEN)

DISMISSALS = frozenset({S.DISMISSAL_WITHOUT_NOTICE, S.DISMISSAL_WITH_NOTICE, S.WOULD_HAVE_BEEN_DISMISSED})
# Outcomes that put the person on the barred list (Police Act 1996 s88A; 2017 Regs reg 3).
BARRING_OUTCOMES = DISMISSALS
WARNINGS = frozenset({S.WRITTEN_WARNING, S.FINAL_WRITTEN_WARNING})
# Forms heard by a panel in public; only their outcomes are published (Conduct Regs 2020 reg 39, 63).
HEARING_FORMS = frozenset({FORM.HEARING, FORM.ACCELERATED_HEARING})

# Warning periods [R — verify Conduct Regs 2020 reg 42(7)-(12)]: written warning 18 months, final
# written warning 2 years. These are defaults only: the decision-maker's stated period is stored
# (the Mason panel in 2021 imposed an FWW "for three years", [2023] EWHC 2892 (Admin)).
WARNING_MONTHS_DEFAULT: dict[str, int] = {S.WRITTEN_WARNING: 18, S.FINAL_WRITTEN_WARNING: 24}


def most_serious(findings: Iterable[str]) -> str:
    """The most serious of several findings (one outcome per proceeding, reg 42 / reg 62)."""
    present = set(findings)
    for finding in FINDING_ORDER:
        if finding in present:
            return finding
    raise ValueError("no findings")


def forms_allowed(
    *,
    case_to_answer: str,
    final_written_warning_in_force: bool,
    is_former_officer: bool,
    regime: str,
    unconnected_incidents: bool = False,
) -> frozenset[str]:
    """The forms of proceedings a case to answer may be referred to."""
    if case_to_answer == CaseToAnswer.GROSS_MISCONDUCT:
        # GM goes to a hearing, or to an AMH if the special conditions are certified (reg 49).
        # A meeting is never available for GM (reg 23; reg 42(2) gives a meeting only WW / FWW).
        return frozenset({FORM.HEARING, FORM.ACCELERATED_HEARING})
    if case_to_answer != CaseToAnswer.MISCONDUCT:
        return frozenset()
    if is_former_officer:
        # Conduct Regs 2020 reg 4 and Sch 1: the regulations reach a former officer only for gross
        # misconduct, so a case to answer for misconduct cannot be referred at all.
        return frozenset()
    if final_written_warning_in_force or unconnected_incidents:
        # Reg 42(5)/(6): an FWW in force, or misconduct from several unconnected incidents, goes to
        # a hearing (and widens the outcomes available, see sanctions_allowed).
        return frozenset({FORM.HEARING})
    # R2012 had the same split between meeting and hearing (Conduct Regs 2012 reg 19) [R].
    return frozenset({FORM.MEETING})


def default_form(*, case_to_answer: str, is_former_officer: bool, regime: str, **kwargs) -> str | None:
    """The form to propose first; the AA may choose another form in forms_allowed."""
    allowed = forms_allowed(case_to_answer=case_to_answer, is_former_officer=is_former_officer, regime=regime,
                            **kwargs)
    if is_former_officer and regime == Regime.R2025 and FORM.ACCELERATED_HEARING in allowed:
        # SI 2025/558: former officers presumed to go to an AMH unless they opt for a hearing or
        # the AA decides a hearing is needed.
        return FORM.ACCELERATED_HEARING
    for form in (FORM.MEETING, FORM.HEARING, FORM.ACCELERATED_HEARING):
        if form in allowed:
            return form
    return None


def sanctions_allowed(
    *,
    form: str,
    finding: str,
    regime: str,
    final_written_warning_in_force: bool,
    is_former_officer: bool,
    unconnected_incidents: bool = False,
) -> frozenset[str]:
    """Exactly the outcomes this form may impose for this (most serious) finding under this regime."""
    if finding == Finding.NOT_PROVEN:
        return frozenset({S.NO_ACTION})
    if finding == Finding.PROVEN_NOT_MISCONDUCT:
        # Neither misconduct nor GM: no disciplinary action; the officer may be referred to RPRP
        # (Conduct Regs 2020 reg 41 / reg 70). RPRP is for serving officers only.
        if is_former_officer or regime == Regime.R2012:
            # RPRP came with the 2020 regime; R2012 had no equivalent referral [R].
            return frozenset({S.NO_ACTION})
        return frozenset({S.NO_ACTION, S.REFLECTIVE_PRACTICE})

    if form == FORM.MEETING and (is_former_officer or finding != Finding.MISCONDUCT):
        # A meeting decides misconduct only, and never for a former officer (reg 4, Sch 1: GM only).
        return frozenset()
    if is_former_officer:
        # Sch 1 modifications of reg 42 / reg 62: no sanction can bite on someone who has left; the
        # outcome is a finding that they would have been dismissed, or misconduct with no further action.
        if finding == Finding.GROSS_MISCONDUCT:
            return frozenset({S.WOULD_HAVE_BEEN_DISMISSED, S.FORMER_OFFICER_NO_FURTHER_ACTION})
        return frozenset({S.FORMER_OFFICER_NO_FURTHER_ACTION})

    widened = final_written_warning_in_force or unconnected_incidents
    r2012 = regime == Regime.R2012
    if form == FORM.MEETING:
        # Reg 42(2): a meeting may give a written warning or a final written warning, never
        # reduction in rank or dismissal. Conduct Regs 2012 reg 35 added management advice [R].
        allowed = {S.WRITTEN_WARNING, S.FINAL_WRITTEN_WARNING}
        if r2012:
            allowed.add(S.MANAGEMENT_ADVICE)
        return frozenset(allowed)

    if form == FORM.HEARING:
        if finding == Finding.MISCONDUCT:
            # Reg 42(3): WW or FWW; reduction in rank and dismissal only where reg 42(5)/(6) applies.
            allowed = {S.WRITTEN_WARNING, S.FINAL_WRITTEN_WARNING}
            if widened:
                allowed |= {S.REDUCTION_IN_RANK, S.DISMISSAL_WITHOUT_NOTICE}
                if r2012:
                    allowed.add(S.DISMISSAL_WITH_NOTICE)  # Conduct Regs 2012 reg 35 [R]
            if r2012:
                allowed.add(S.MANAGEMENT_ADVICE)  # Conduct Regs 2012 reg 35 [R]
            return frozenset(allowed)
        # Reg 42(3): for GM, FWW, reduction in rank or dismissal without notice.
        allowed = {S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK, S.DISMISSAL_WITHOUT_NOTICE}
        if r2012:
            allowed.add(S.DISMISSAL_WITH_NOTICE)  # Conduct Regs 2012 reg 35 [R]
        return frozenset(allowed)

    if form == FORM.ACCELERATED_HEARING:
        if finding == Finding.GROSS_MISCONDUCT:
            # Reg 62: FWW, reduction in rank or dismissal without notice.
            return frozenset({S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK, S.DISMISSAL_WITHOUT_NOTICE})
        # An AMH that finds misconduct but not GM imposes nothing: the case is referred back to be
        # dealt with at misconduct proceedings [R].
        return frozenset({S.NO_ACTION})
    return frozenset()


def dismissal_presumed(*, finding: str, regime: str) -> bool:
    """SI 2025/558 amending reg 42 / reg 63: for GM, dismissal is presumed (regime by the case's date)."""
    return finding == Finding.GROSS_MISCONDUCT and regime == Regime.R2025


def exceptional_circumstances_required(*, finding: str, regime: str, sanction: str) -> bool:
    """A GM finding under R2025 with any outcome other than dismissal must give exceptional circumstances."""
    return dismissal_presumed(finding=finding, regime=regime) and sanction not in DISMISSALS


def warning_expires_on(*, sanction: str, effective_on: dt.date, months: int | None = None) -> dt.date | None:
    """When a warning lapses: the stated period if given, else the default [R]; None if not a warning."""
    if sanction not in WARNINGS:
        return None
    return calendar.add_months(effective_on, months or WARNING_MONTHS_DEFAULT[sanction])


def appeal_clock_for(form: str) -> ClockKind:
    """The officer's window to challenge: meeting appeal (reg 45, 7 WD) or PAT (after a hearing/AMH)."""
    return ClockKind.MEETING_APPEAL if form == FORM.MEETING else ClockKind.PAT_APPEAL


# -- post-decision routes (domain brief §3G) -----------------------------------------------------

# The proceeding forms each route lies against. A meeting appeal lies only against a meeting
# (reg 45); the PAT hears appeals only after a hearing or AMH (PAT Rules 2020 rule 4) [R for the
# wording]; judicial review lies against any of them.
ROUTE_FORMS: dict[str, frozenset[str]] = {
    ChallengeRoute.MEETING_APPEAL: frozenset({FORM.MEETING}),
    ChallengeRoute.POLICE_APPEALS_TRIBUNAL: HEARING_FORMS,
    ChallengeRoute.JUDICIAL_REVIEW: frozenset(FORM.values),
    ChallengeRoute.COURT_OF_APPEAL: frozenset(FORM.values),
}
# A Court of Appeal challenge appeals a decided judicial review (Senior Courts Act 1981 s16).
ROUTE_PARENT: dict[str, str | None] = {
    ChallengeRoute.MEETING_APPEAL: None,
    ChallengeRoute.POLICE_APPEALS_TRIBUNAL: None,
    ChallengeRoute.JUDICIAL_REVIEW: None,
    ChallengeRoute.COURT_OF_APPEAL: ChallengeRoute.JUDICIAL_REVIEW,
}
DECIDED_CHALLENGE = frozenset({ChallengeStatus.DISMISSED, ChallengeStatus.ALLOWED_SUBSTITUTED})
# Appellant's notice to the Court of Appeal: 21 days after the decision (CPR 52.12(2)(b)) [R].
COURT_OF_APPEAL_DAYS = 21


def challenge_deadline(*, route: str, decided_on: dt.date) -> dt.date:
    """The last day to lodge a challenge, counted from the decision it challenges."""
    if route == ChallengeRoute.MEETING_APPEAL:
        return CLOCK_RULES[ClockKind.MEETING_APPEAL].due_from(decided_on)  # reg 45: 7 WD
    if route == ChallengeRoute.POLICE_APPEALS_TRIBUNAL:
        return CLOCK_RULES[ClockKind.PAT_APPEAL].due_from(decided_on)  # PAT Rules: 10 WD [R]
    if route == ChallengeRoute.JUDICIAL_REVIEW:
        return CLOCK_RULES[ClockKind.JUDICIAL_REVIEW].due_from(decided_on)  # CPR 54.5: 3 months [R]
    return calendar.add_calendar_days(decided_on, COURT_OF_APPEAL_DAYS)


def substitution_allowed(*, sanction: str, form: str, finding: str, regime: str,
                         final_written_warning_in_force: bool, is_former_officer: bool,
                         unconnected_incidents: bool = False) -> bool:
    """An appeal body may substitute only an outcome the original body could have imposed [R]."""
    return sanction in sanctions_allowed(form=form, finding=finding, regime=regime,
                                         final_written_warning_in_force=final_written_warning_in_force,
                                         is_former_officer=is_former_officer,
                                         unconnected_incidents=unconnected_incidents)
