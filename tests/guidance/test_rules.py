"""The outcomes guidance as data and pure rules: factors, the indicative range, outliers, and the
monotonicity the issue asks for (more culpability or harm never lowers the range; removing a
mitigating factor never lowers it), as hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.core.errors import ValidationFailed
from forewarn.guidance import data, rules
from forewarn.proceedings.models import Finding, Sanction

S = Sanction
GM, MIS = Finding.GROSS_MISCONDUCT, Finding.MISCONDUCT


def rng(finding=GM, *, form="hearing", regime="R2020", former=False, c=3, h=3, **factors):
    return rules.indicative_range(finding=finding, form=form, regime=regime, is_former_officer=former,
                                  culpability=c, harm=h, **factors)


# -- the data --------------------------------------------------------------------------------------
def test_every_factor_and_principle_cites_known_sources_with_a_confidence_tag():
    for f in data.FACTORS:
        assert f.sources and set(f.sources) <= set(data.SOURCES), f.id
        assert f.kind in data.FIELD_OF_KIND
    for p in data.PRINCIPLES:
        assert set(p.sources) <= set(data.SOURCES), p.id
    assert {s.tag for s in data.SOURCES.values()} <= {"V", "S", "R", "U"}
    # Rules resting only on the researcher's background knowledge are said to be so.
    assert data.rests_on_unverified(data.FACTORS_BY_ID["concealment"].sources)
    assert not data.rests_on_unverified(data.FACTORS_BY_ID["vulnerable_victim"].sources)


def test_personal_mitigation_weighs_less_than_any_conduct_factor():
    personal = [f.weight for f in data.factors_of("personal")]
    conduct = [f.weight for f in data.factors_of("aggravating") + data.factors_of("mitigating")]
    assert max(personal) < min(conduct) and data.PERSONAL_CAP < data.MITIGATING_CAP


# -- parsing chosen factors ------------------------------------------------------------------------
def test_factors_are_ids_from_the_vocabulary_each_with_an_explanation():
    chosen = rules.parse_factors(["vawg: Harassment driven by misogyny.",
                                  {"factor": "vulnerable_victim", "explanation": "A victim of crime."}],
                                 kind="aggravating")
    assert [(c.id, c.explanation) for c in chosen] == [("vawg", "Harassment driven by misogyny."),
                                                       ("vulnerable_victim", "A victim of crime.")]
    with pytest.raises(ValidationFailed) as err:
        rules.parse_factors(["vawg: x", "Vulnerable victim of crime"], kind="aggravating")
    assert (err.value.field, err.value.code) == ("aggravating_factors.1", "guidance.unknown_factor")
    with pytest.raises(ValidationFailed) as err:  # a personal factor is not conduct mitigation
        rules.parse_factors(["good_record: long service"], kind="mitigating")
    assert err.value.field == "mitigating_factors.0"
    with pytest.raises(ValidationFailed) as err:  # a checklist without the weighing is inadequate
        rules.parse_factors(["good_record"], kind="personal")
    assert (err.value.field, err.value.code) == ("personal_mitigation.0", "guidance.factor_unexplained")
    assert rules.parse_factors(["good_record"], kind="personal", require_explanation=False)[0].id == "good_record"
    with pytest.raises(ValidationFailed) as err:
        rules.parse_factors(["vawg: a", "vawg: b"], kind="aggravating")
    assert err.value.code == "guidance.duplicate_factor"


# -- the range ---------------------------------------------------------------------------------------
def test_gross_misconduct_range_by_band():
    assert rng(c=1, h=2).outcomes == (S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK)
    assert rng(c=3, h=3).outcomes == (S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK, S.DISMISSAL_WITHOUT_NOTICE)
    assert rng(c=4, h=4).outcomes == (S.DISMISSAL_WITHOUT_NOTICE,)
    assert rng(c=4, h=4).band == "very_high"


def test_the_2025_presumption_of_dismissal_holds_whatever_the_assessment():
    low = rng(regime="R2025", c=1, h=1)
    assert low.outcomes == (S.DISMISSAL_WITHOUT_NOTICE,) and "SI 2025/558" in low.presumption
    assert rng(regime="R2025", former=True, c=1, h=1).outcomes == (S.WOULD_HAVE_BEEN_DISMISSED,)
    assert rng(MIS, regime="R2025", form="meeting", c=1, h=1).presumption == ""  # GM only


def test_misconduct_ranges_stay_within_what_the_form_may_impose():
    meeting = rng(MIS, form="meeting", c=4, h=4)
    assert meeting.outcomes == (S.FINAL_WRITTEN_WARNING,)
    widened = rules.indicative_range(finding=MIS, form="hearing", regime="R2020", is_former_officer=False,
                                     final_written_warning_in_force=True, culpability=4, harm=4)
    assert widened.outcomes == (S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK, S.DISMISSAL_WITHOUT_NOTICE)
    assert rng(MIS, form="meeting", c=1, h=1).outcomes == (S.WRITTEN_WARNING,)
    assert rng(MIS, form="meeting", regime="R2012", c=1, h=1).outcomes == (S.MANAGEMENT_ADVICE, S.WRITTEN_WARNING)


def test_former_officers_range_between_no_further_action_and_would_have_been_dismissed():
    assert rng(former=True, c=3, h=3).outcomes == (S.FORMER_OFFICER_NO_FURTHER_ACTION, S.WOULD_HAVE_BEEN_DISMISSED)
    assert rng(former=True, c=4, h=4).outcomes == (S.WOULD_HAVE_BEEN_DISMISSED,)


def test_no_range_where_nothing_is_proven_or_an_amh_finds_misconduct_only():
    assert not rng(Finding.NOT_PROVEN).applicable
    assert not rng(Finding.PROVEN_NOT_MISCONDUCT).applicable
    assert not rng(MIS, form="accelerated_hearing").applicable
    assert not rng(None).applicable


def test_abuse_of_position_for_a_sexual_purpose_is_of_the_highest_seriousness():
    r = rng(c=2, h=2, aggravating=["abuse_of_position_sexual"], personal=["good_record"])
    assert r.culpability == 3  # the guidance ties it to at least high culpability
    assert r.band == "very_high" and r.outcomes == (S.DISMISSAL_WITHOUT_NOTICE,)
    assert r.personal_little_weight and r.personal_weight == 0
    assert any("little weight" in n for n in r.notes)


def test_personal_mitigation_has_limited_weight_elsewhere():
    without = rng(c=3, h=3)
    with_all = rng(c=3, h=3, personal=[f.id for f in data.factors_of("personal")])
    assert with_all.personal_weight == data.PERSONAL_CAP
    assert without.score - with_all.score == data.PERSONAL_CAP


def test_stated_levels_below_what_the_factors_indicate_are_raised_and_noted():
    r = rng(c=1, h=1, culpability_factors=["deliberate_targeted"], harm_factors=["harm_to_vulnerable"])
    assert (r.culpability, r.harm) == (3, 3)
    assert len([n for n in r.notes if "indicate at least high" in n]) == 2


# -- outliers --------------------------------------------------------------------------------------
def test_outlier_grounds():
    very_high = rng(c=4, h=4)
    assert rules.outlier_grounds(very_high, sanction=S.FINAL_WRITTEN_WARNING) == ["below_range"]
    assert rules.outlier_grounds(very_high, sanction=S.DISMISSAL_WITHOUT_NOTICE) == []
    presumed = rng(regime="R2025", c=2, h=2)
    assert rules.outlier_grounds(presumed, sanction=S.REDUCTION_IN_RANK) == ["below_presumption"]
    vawg = rng(c=3, h=3, aggravating=["vawg"], personal=["good_record"])
    assert vawg.outcomes[-1] == S.DISMISSAL_WITHOUT_NOTICE
    assert rules.outlier_grounds(vawg, sanction=S.REDUCTION_IN_RANK,
                                 personal=["good_record"]) == ["personal_mitigation_little_weight"]
    assert rules.outlier_grounds(vawg, sanction=S.REDUCTION_IN_RANK) == []
    words = rules.grounds_in_words(very_high, ["below_range"], sanction=S.FINAL_WRITTEN_WARNING)
    assert words == ["Final written warning is below the indicative range (dismissal without notice) for very high "
                     "seriousness (culpability very high, harm very high)."]


def test_reasoning_gaps_ask_why_each_less_severe_outcome_was_insufficient():
    r = rng(c=3, h=3)
    gaps = rules.reasoning_gaps(r, sanction=S.DISMISSAL_WITHOUT_NOTICE, purpose="",
                                outcomes_considered=[{"sanction": S.FINAL_WRITTEN_WARNING, "why_not": "Too lenient."}])
    assert gaps[0].endswith(": reduction in rank.") and "purpose" in gaps[1]
    assert rules.reasoning_gaps(r, sanction=S.FINAL_WRITTEN_WARNING, purpose="Public confidence.",
                                outcomes_considered=[]) == []


def test_the_less_severe_outcomes_are_what_the_form_allows_not_the_range():
    # A misconduct hearing with a final written warning in force may impose WW to dismissal (reg 42(5)).
    r = rng(MIS, c=4, h=4, final_written_warning_in_force=True)
    assert r.floor == S.FINAL_WRITTEN_WARNING  # the range starts above a written warning...
    # ...but the guidance starts with the least severe outcome the panel could impose.
    assert rules.lesser_outcomes(r.allowed, sanction=S.FINAL_WRITTEN_WARNING) == (S.WRITTEN_WARNING,)
    assert rules.lesser_outcomes(r.allowed, sanction=S.DISMISSAL_WITHOUT_NOTICE) == (
        S.WRITTEN_WARNING, S.FINAL_WRITTEN_WARNING, S.REDUCTION_IN_RANK)
    assert rules.lesser_outcomes(r.allowed, sanction=S.WRITTEN_WARNING) == ()
    # A former officer: "no further action" is an outcome to explain; "no disciplinary action" never is.
    former = rng(GM, former=True)
    assert rules.lesser_outcomes(former.allowed, sanction=S.WOULD_HAVE_BEEN_DISMISSED) == (
        S.FORMER_OFFICER_NO_FURTHER_ACTION,)
    assert rules.lesser_outcomes([S.NO_ACTION, S.WRITTEN_WARNING], sanction=S.WRITTEN_WARNING) == ()
    # A blank reason is no reason; an outcome more severe than the one chosen is not asked about.
    considered = [{"sanction": S.WRITTEN_WARNING, "why_not": "  "},
                  {"sanction": S.FINAL_WRITTEN_WARNING, "why_not": "Not enough."}]
    assert rules.unexplained_lesser(r.allowed, sanction=S.REDUCTION_IN_RANK, outcomes_considered=considered) == [
        S.WRITTEN_WARNING]


# -- properties ------------------------------------------------------------------------------------
LEVELS = st.integers(1, 4)
FINDINGS = st.sampled_from([GM, MIS])
CONTEXTS = st.sampled_from([("hearing", False, False), ("meeting", False, False), ("hearing", True, False),
                            ("hearing", False, True), ("accelerated_hearing", False, False)])
REGIMES = st.sampled_from(["R2012", "R2020", "R2025"])


def ids(kind):
    return st.lists(st.sampled_from([f.id for f in data.factors_of(kind)]), unique=True, max_size=6)


@st.composite
def assessments(draw):
    finding = draw(FINDINGS)
    form, fww, former = draw(CONTEXTS)
    if finding == GM and form == "meeting":
        form = "hearing"
    return {"finding": finding, "form": form, "regime": draw(REGIMES), "is_former_officer": former,
            "final_written_warning_in_force": fww, "culpability": draw(LEVELS), "harm": draw(LEVELS),
            "culpability_factors": draw(ids("culpability")), "harm_factors": draw(ids("harm")),
            "aggravating": draw(ids("aggravating")), "mitigating": draw(ids("mitigating")),
            "personal": draw(ids("personal"))}


def not_lower(after: rules.IndicativeRange, before: rules.IndicativeRange) -> bool:
    (lo_a, hi_a), (lo_b, hi_b) = after.bounds(), before.bounds()
    return lo_a >= lo_b and hi_a >= hi_b


@settings(max_examples=400, deadline=None)
@given(assessments(), st.sampled_from(["culpability", "harm"]))
def test_more_culpability_or_harm_never_lowers_the_range(a, which):
    before = rules.indicative_range(**a)
    for level in range(a[which] + 1, 5):
        after = rules.indicative_range(**{**a, which: level})
        assert not_lower(after, before), (which, level)
        before = after


@settings(max_examples=400, deadline=None)
@given(assessments(), st.data())
def test_removing_a_mitigating_factor_never_lowers_the_range(a, drawn):
    before = rules.indicative_range(**a)
    for field in ("mitigating", "personal"):
        if a[field]:
            gone = drawn.draw(st.sampled_from(a[field]))
            after = rules.indicative_range(**{**a, field: [f for f in a[field] if f != gone]})
            assert not_lower(after, before), (field, gone)


@settings(max_examples=300, deadline=None)
@given(assessments(), st.sampled_from([f.id for f in data.factors_of("aggravating")]))
def test_adding_an_aggravating_factor_never_lowers_the_range(a, extra):
    before = rules.indicative_range(**a)
    after = rules.indicative_range(**{**a, "aggravating": sorted({*a["aggravating"], extra})})
    assert not_lower(after, before)


@settings(max_examples=300, deadline=None)
@given(assessments())
def test_the_range_is_always_within_what_the_proceeding_may_impose(a):
    r = rules.indicative_range(**a)
    if r.applicable:
        assert r.outcomes and set(r.outcomes) <= set(r.allowed)
        assert rules.outlier_grounds(r, sanction=r.outcomes[-1], personal=a["personal"]) == []
