"""Which forms and outcomes are available, table-driven over form x finding x regime x former x FWW."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from forewarn.core.regimes import Regime
from forewarn.proceedings import rules
from forewarn.proceedings.models import ChallengeRoute, Finding, ProceedingForm, Sanction

S = Sanction
FORMS = ProceedingForm.values
FINDINGS = Finding.values
REGIMES = Regime.values
ALL = list(itertools.product(FORMS, FINDINGS, REGIMES, (False, True), (False, True)))


def allowed(form, finding, regime="R2020", former=False, fww=False, unconnected=False):
    return rules.sanctions_allowed(form=form, finding=finding, regime=regime, final_written_warning_in_force=fww,
                                   is_former_officer=former, unconnected_incidents=unconnected)


@pytest.mark.parametrize(("form", "finding", "regime", "former", "fww"), ALL)
def test_invariants_hold_for_every_combination(form, finding, regime, former, fww):
    outcomes = allowed(form, finding, regime, former, fww)
    assert outcomes <= set(S.values)
    if form == ProceedingForm.MEETING:
        # Reg 42(2): a meeting can never dismiss or reduce rank.
        assert not outcomes & {S.DISMISSAL_WITHOUT_NOTICE, S.DISMISSAL_WITH_NOTICE, S.REDUCTION_IN_RANK,
                               S.WOULD_HAVE_BEEN_DISMISSED}
    if finding in (Finding.NOT_PROVEN, Finding.PROVEN_NOT_MISCONDUCT):
        assert outcomes <= {S.NO_ACTION, S.REFLECTIVE_PRACTICE} and S.NO_ACTION in outcomes
        assert (S.REFLECTIVE_PRACTICE in outcomes) == (finding == Finding.PROVEN_NOT_MISCONDUCT and not former
                                                       and regime != Regime.R2012)
    if former:
        # Nothing can bite on someone who has left: only the former-officer findings (Sch 1).
        assert outcomes <= {S.NO_ACTION, S.REFLECTIVE_PRACTICE, S.WOULD_HAVE_BEEN_DISMISSED,
                            S.FORMER_OFFICER_NO_FURTHER_ACTION}
        assert (S.WOULD_HAVE_BEEN_DISMISSED in outcomes) == (finding == Finding.GROSS_MISCONDUCT
                                                            and form != ProceedingForm.MEETING)
    else:
        assert not outcomes & {S.WOULD_HAVE_BEEN_DISMISSED, S.FORMER_OFFICER_NO_FURTHER_ACTION}
    # 2012-only outcomes appear only under the 2012 regime.
    if regime != Regime.R2012:
        assert not outcomes & {S.MANAGEMENT_ADVICE, S.DISMISSAL_WITH_NOTICE}
    if S.MANAGEMENT_ADVICE in outcomes:
        assert form != ProceedingForm.ACCELERATED_HEARING and finding == Finding.MISCONDUCT
    if S.DISMISSAL_WITH_NOTICE in outcomes:
        assert form == ProceedingForm.HEARING


@pytest.mark.parametrize(("form", "finding", "regime", "former", "fww", "expected"), [
    ("meeting", "misconduct", "R2020", False, False, {S.WRITTEN_WARNING, S.FINAL_WRITTEN_WARNING}),
    ("meeting", "misconduct", "R2025", False, False, {S.WRITTEN_WARNING, S.FINAL_WRITTEN_WARNING}),
    ("meeting", "misconduct", "R2012", False, False, {S.WRITTEN_WARNING, S.FINAL_WRITTEN_WARNING, S.MANAGEMENT_ADVICE}),
    ("meeting", "gross_misconduct", "R2020", False, False, set()),
    ("hearing", "misconduct", "R2020", False, False, {S.WRITTEN_WARNING, S.FINAL_WRITTEN_WARNING}),
    ("hearing", "misconduct", "R2020", False, True, {S.WRITTEN_WARNING, S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK,
                                                      S.DISMISSAL_WITHOUT_NOTICE}),
    ("hearing", "misconduct", "R2012", False, True, {S.WRITTEN_WARNING, S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK,
                                                      S.DISMISSAL_WITHOUT_NOTICE, S.DISMISSAL_WITH_NOTICE,
                                                      S.MANAGEMENT_ADVICE}),
    ("hearing", "gross_misconduct", "R2020", False, False, {S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK,
                                                             S.DISMISSAL_WITHOUT_NOTICE}),
    ("hearing", "gross_misconduct", "R2025", False, True, {S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK,
                                                            S.DISMISSAL_WITHOUT_NOTICE}),
    ("hearing", "gross_misconduct", "R2012", False, False, {S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK,
                                                             S.DISMISSAL_WITHOUT_NOTICE, S.DISMISSAL_WITH_NOTICE}),
    ("accelerated_hearing", "gross_misconduct", "R2025", False, False, {S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK,
                                                                         S.DISMISSAL_WITHOUT_NOTICE}),
    ("accelerated_hearing", "misconduct", "R2020", False, False, {S.NO_ACTION}),
    ("hearing", "gross_misconduct", "R2020", True, False, {S.WOULD_HAVE_BEEN_DISMISSED,
                                                            S.FORMER_OFFICER_NO_FURTHER_ACTION}),
    ("accelerated_hearing", "gross_misconduct", "R2025", True, False, {S.WOULD_HAVE_BEEN_DISMISSED,
                                                                        S.FORMER_OFFICER_NO_FURTHER_ACTION}),
    ("hearing", "misconduct", "R2025", True, False, {S.FORMER_OFFICER_NO_FURTHER_ACTION}),
    ("hearing", "proven_not_misconduct", "R2020", False, False, {S.NO_ACTION, S.REFLECTIVE_PRACTICE}),
    ("meeting", "not_proven", "R2025", False, False, {S.NO_ACTION}),
])
def test_exact_outcome_sets(form, finding, regime, former, fww, expected):
    assert allowed(form, finding, regime, former, fww) == expected


def test_unconnected_incidents_widen_a_misconduct_hearing_like_a_warning_in_force():
    # Reg 42(6).
    assert allowed("hearing", "misconduct", unconnected=True) == allowed("hearing", "misconduct", fww=True)
    assert S.DISMISSAL_WITHOUT_NOTICE not in allowed("hearing", "misconduct")


@pytest.mark.parametrize(("case_to_answer", "fww", "former", "unconnected", "expected"), [
    ("misconduct", False, False, False, {"meeting"}),
    ("misconduct", True, False, False, {"hearing"}),
    ("misconduct", False, False, True, {"hearing"}),
    ("gross_misconduct", False, False, False, {"hearing", "accelerated_hearing"}),
    ("gross_misconduct", True, False, False, {"hearing", "accelerated_hearing"}),
    ("gross_misconduct", False, True, False, {"hearing", "accelerated_hearing"}),
    ("misconduct", False, True, False, set()),
    ("", False, False, False, set()),
])
@pytest.mark.parametrize("regime", REGIMES)
def test_forms_allowed(case_to_answer, fww, former, unconnected, expected, regime):
    got = rules.forms_allowed(case_to_answer=case_to_answer, final_written_warning_in_force=fww,
                              is_former_officer=former, regime=regime, unconnected_incidents=unconnected)
    assert got == expected
    assert "meeting" not in rules.forms_allowed(case_to_answer="gross_misconduct", final_written_warning_in_force=fww,
                                                is_former_officer=former, regime=regime)


def test_former_officers_are_presumed_to_go_to_an_amh_only_from_2025():
    assert rules.default_form(case_to_answer="gross_misconduct", is_former_officer=True, regime="R2025",
                              final_written_warning_in_force=False) == "accelerated_hearing"
    assert rules.default_form(case_to_answer="gross_misconduct", is_former_officer=True, regime="R2020",
                              final_written_warning_in_force=False) == "hearing"
    assert rules.default_form(case_to_answer="misconduct", is_former_officer=False, regime="R2025",
                              final_written_warning_in_force=False) == "meeting"
    assert rules.default_form(case_to_answer="misconduct", is_former_officer=True, regime="R2025",
                              final_written_warning_in_force=False) is None


@pytest.mark.parametrize(("finding", "regime", "sanction", "required"), [
    ("gross_misconduct", "R2025", S.FINAL_WRITTEN_WARNING, True),
    ("gross_misconduct", "R2025", S.REDUCTION_IN_RANK, True),
    ("gross_misconduct", "R2025", S.FORMER_OFFICER_NO_FURTHER_ACTION, True),
    ("gross_misconduct", "R2025", S.DISMISSAL_WITHOUT_NOTICE, False),
    ("gross_misconduct", "R2025", S.WOULD_HAVE_BEEN_DISMISSED, False),
    ("gross_misconduct", "R2020", S.FINAL_WRITTEN_WARNING, False),
    ("gross_misconduct", "R2012", S.FINAL_WRITTEN_WARNING, False),
    ("misconduct", "R2025", S.FINAL_WRITTEN_WARNING, False),
])
def test_r2025_presumption_of_dismissal_needs_exceptional_circumstances(finding, regime, sanction, required):
    assert rules.exceptional_circumstances_required(finding=finding, regime=regime, sanction=sanction) is required


def test_warning_expiry_defaults_and_a_stated_period_overrides():
    notified = dt.date(2021, 10, 12)
    assert rules.warning_expires_on(sanction=S.WRITTEN_WARNING, effective_on=notified) == dt.date(2023, 4, 12)
    assert rules.warning_expires_on(sanction=S.FINAL_WRITTEN_WARNING, effective_on=notified) == dt.date(2023, 10, 12)
    # The Mason panel imposed an FWW for three years.
    assert rules.warning_expires_on(sanction=S.FINAL_WRITTEN_WARNING, effective_on=notified,
                                    months=36) == dt.date(2024, 10, 12)
    assert rules.warning_expires_on(sanction=S.REDUCTION_IN_RANK, effective_on=notified) is None


def test_most_serious_finding_decides_the_outcome():
    assert rules.most_serious(["not_proven", "gross_misconduct", "misconduct"]) == "gross_misconduct"
    assert rules.most_serious(["proven_not_misconduct", "not_proven"]) == "proven_not_misconduct"
    with pytest.raises(ValueError):
        rules.most_serious([])


def test_challenge_routes_and_deadlines():
    assert rules.ROUTE_FORMS[ChallengeRoute.MEETING_APPEAL] == {"meeting"}
    assert "meeting" not in rules.ROUTE_FORMS[ChallengeRoute.POLICE_APPEALS_TRIBUNAL]
    decided = dt.date(2026, 11, 2)  # a Monday
    assert rules.challenge_deadline(route="meeting_appeal", decided_on=decided) == dt.date(2026, 11, 11)
    assert rules.challenge_deadline(route="pat", decided_on=decided) == dt.date(2026, 11, 16)
    assert rules.challenge_deadline(route="judicial_review", decided_on=decided) == dt.date(2027, 2, 2)
    assert rules.challenge_deadline(route="court_of_appeal", decided_on=decided) == dt.date(2026, 11, 23)
