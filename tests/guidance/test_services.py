"""The outcome step under the guidance: factors from the vocabulary, outliers refused without reasons,
the assessment stored and audited, the "outcome outlier" alert to the force and the IOPC, comparables."""

from __future__ import annotations

import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.core.errors import GuardFailed, ValidationFailed
from forewarn.core.lifecycle import run_transition
from forewarn.guidance import selectors
from forewarn.guidance.models import OutcomeAssessment
from forewarn.organisations.models import Organisation, Role
from forewarn.proceedings.lifecycle import PROCEEDING_MACHINE
from forewarn.proceedings.models import Proceeding
from forewarn.register import alerts
from forewarn.register.delivery import email_for
from forewarn.register.models import Alert, AlertTrigger, OutboxMessage, RecipientBasis, Unit
from tests.factories import AllegationFactory, CaseFactory, make_user, only_refused
from tests.proceedings.builders import proceeding_in

pytestmark = pytest.mark.django_db

VERY_SERIOUS = {"culpability": 4, "harm": 4, "seriousness_conclusion": "Deliberate, targeted; very high harm."}
APSP = ["abuse_of_position_sexual: He used a victim's statement to pursue a relationship.",
        "vulnerable_victim: She was a victim of crime."]


def decide(actor, proceeding, on=None, **payload):
    obj, ctx = run_transition(machine=PROCEEDING_MACHINE, obj_id=proceeding.pk, action="outcome_determine",
                              actor=actor, payload={"reasons": "Reasons.", **payload}, on=on)
    return obj, ctx


def unchanged(proceeding):
    assert only_refused(None)
    fresh = Proceeding.objects.get(pk=proceeding.pk)
    assert (fresh.version, fresh.status) == (proceeding.version, proceeding.status)
    assert not OutcomeAssessment.objects.exists() and not Alert.objects.exists()


def test_an_unknown_factor_is_refused_naming_the_entry(caseworker):
    hearing = proceeding_in("heard", finding="gross_misconduct")
    with pytest.raises(ValidationFailed) as err:
        decide(caseworker, hearing, sanction="dismissal_without_notice", **VERY_SERIOUS,
               aggravating_factors=[APSP[0], "Vulnerable victim of crime"])
    assert (err.value.field, err.value.code, err.value.http_status) == ("aggravating_factors.1",
                                                                         "guidance.unknown_factor", 422)
    with pytest.raises(ValidationFailed) as err:
        decide(caseworker, hearing, sanction="dismissal_without_notice", **VERY_SERIOUS,
               personal_mitigation=["good_record"])
    assert err.value.code == "guidance.factor_unexplained"
    unchanged(hearing)


def test_an_outlier_needs_explicit_reasons_and_alerts_the_force_and_the_iopc(caseworker, iopc):
    hearing = proceeding_in("heard", finding="gross_misconduct")
    payload = {"sanction": "final_written_warning", **VERY_SERIOUS, "aggravating_factors": APSP,
               "personal_mitigation": ["good_record: An otherwise excellent service record."]}
    with pytest.raises(GuardFailed) as err:
        decide(caseworker, hearing, **payload)
    assert (err.value.code, err.value.field) == ("outcome.outlier_reasons_required", "outlier_reasons")
    assert "below the indicative range (dismissal without notice)" in err.value.message
    assert err.value.context["grounds"] == ["below_range", "personal_mitigation_little_weight"]
    unchanged(hearing)

    p, ctx = decide(caseworker, hearing, **payload, outlier_reasons="His record and his admissions.")
    assert p.sanction == "final_written_warning"
    assert p.aggravating_factors[0] == {"factor": "abuse_of_position_sexual", "words": pytest.approx(
        p.aggravating_factors[0]["words"]), "explanation": "He used a victim's statement to pursue a relationship."}
    assessment = OutcomeAssessment.objects.get(proceeding=p)
    assert ctx.results["assessment"] == assessment
    assert (assessment.is_outlier, assessment.range_floor, assessment.range_ceiling, assessment.band) == (
        True, "dismissal_without_notice", "dismissal_without_notice", "very_high")
    assert assessment.outlier_grounds == ["below_range", "personal_mitigation_little_weight"]
    assert assessment.outlier_reasons == "His record and his admissions."
    assert p.guidance_version == "college-outcomes-2022-08"

    alert = Alert.objects.get(trigger=AlertTrigger.OUTCOME_OUTLIER)
    assert alert.person_id == p.person_id and alert.case_id == p.case_id
    assert "Reasons given for the departure: His record and his admissions." in alert.reasons
    copies = {(r.organisation.code, r.unit, r.basis) for r in alert.recipients.select_related("organisation")}
    assert copies == {("MET", Unit.PROFESSIONAL_STANDARDS, RecipientBasis.APPROPRIATE_AUTHORITY),
                      (Organisation.objects.get(kind="iopc").code, Unit.OVERSIGHT, RecipientBasis.OVERSIGHT)}
    # The IOPC caseworker is e-mailed a sign-in link (never the allegation), like any unit.
    mail = OutboxMessage.objects.get(recipient__unit=Unit.OVERSIGHT, channel="email")
    assert mail.email == iopc.email
    assert email_for(mail).subject == "Forewarn: a register alert for your oversight unit (IOPC)"
    # One audit event for the assessment, naming the alert it raised (hash-chained provenance).
    event = Event.objects.get(action="outcome_assessment.record")
    assert event.data["alerts_raised"] == [alert.pk] and event.data["outlier"] is True
    assert event.reason == "His record and his admissions."
    assert Event.objects.filter(action="proceeding.outcome_determine", object_id=p.pk, kind="change").count() == 1

    # The IOPC reads it in its inbox (the oversight unit) and acknowledges it; the force's AA too.
    inbox = alerts.inbox_list(actor=iopc)
    assert [r.alert_id for r in inbox] == [alert.pk] and inbox[0].unit == Unit.OVERSIGHT
    alerts.alert_acknowledge(actor=iopc, alert_id=inbox[0].pk)
    aa = make_user(Role.APPROPRIATE_AUTHORITY)
    assert [r.alert_id for r in alerts.inbox_list(actor=aa)] == [alert.pk]
    assert alerts.inbox_list(actor=make_user(Role.VETTING_OFFICER)) == []


def test_an_outcome_within_the_range_is_stored_without_an_alert(caseworker):
    hearing = proceeding_in("heard", finding="gross_misconduct")
    p, _ = decide(caseworker, hearing, sanction="dismissal_without_notice", **VERY_SERIOUS, aggravating_factors=APSP,
                  culpability_factors=["deliberate_targeted: Singled her out."],
                  purpose="Public confidence in how victims are treated.",
                  outcomes_considered=[{"sanction": "final_written_warning", "why_not": "Far too lenient."},
                                       {"sanction": "reduction_in_rank", "why_not": "He could not be trusted."}])
    assessment = OutcomeAssessment.objects.get(proceeding=p)
    assert not assessment.is_outlier and assessment.reasoning_gaps == []
    assert assessment.culpability_factors == [{"factor": "deliberate_targeted", "words": "Deliberate, intended or "
                                               "targeted conduct", "explanation": "Singled her out."}]
    assert not Alert.objects.filter(trigger=AlertTrigger.OUTCOME_OUTLIER).exists()


def test_r2025_exceptional_circumstances_are_the_reasons_for_departing_from_the_presumption(caseworker):
    case = CaseFactory(came_to_attention_on=dt.date(2025, 7, 1))
    hearing = proceeding_in("heard", finding="gross_misconduct", case=case)
    p, _ = decide(caseworker, hearing, sanction="final_written_warning", culpability=2, harm=2,
                  seriousness_conclusion="Serious.", exceptional_circumstances="Coerced by a senior officer.")
    assessment = OutcomeAssessment.objects.get(proceeding=p)
    assert assessment.outlier_grounds == ["below_presumption"]
    assert assessment.outlier_reasons == "Coerced by a senior officer."
    assert Alert.objects.filter(trigger=AlertTrigger.OUTCOME_OUTLIER, case=case).count() == 1


def test_each_less_severe_outcome_needs_a_reason_or_nothing_is_written(caseworker):
    hearing = proceeding_in("heard", finding="gross_misconduct")
    payload = {"sanction": "dismissal_without_notice", **VERY_SERIOUS, "aggravating_factors": APSP}
    with pytest.raises(GuardFailed) as err:
        decide(caseworker, hearing, **payload,
               outcomes_considered=[{"sanction": "final_written_warning", "why_not": "Far too lenient."},
                                    {"sanction": "reduction_in_rank", "why_not": "   "}])
    assert (err.value.code, err.value.field, err.value.http_status) == (
        "outcome.lesser_outcomes_unexplained", "outcomes_considered", 409)
    assert err.value.context["missing"] == ["reduction_in_rank"]
    assert "no reason is given for reduction in rank " in err.value.message
    assert "final written warning" not in err.value.message
    unchanged(hearing)
    with pytest.raises(GuardFailed) as err:
        decide(caseworker, hearing, **payload)
    assert err.value.context["missing"] == ["final_written_warning", "reduction_in_rank"]
    assert "no reason is given for final written warning, reduction in rank " in err.value.message
    unchanged(hearing)

    p, _ = decide(caseworker, hearing, **payload,
                  outcomes_considered=[{"sanction": "final_written_warning", "why_not": "Far too lenient."},
                                       {"sanction": "reduction_in_rank", "why_not": "He could not be trusted."}])
    assert p.outcomes_considered[1] == {"sanction": "reduction_in_rank", "why_not": "He could not be trusted."}
    assert not any("less severe" in gap for gap in OutcomeAssessment.objects.get(proceeding=p).reasoning_gaps)


def test_the_least_severe_outcome_the_form_allows_is_the_floor_not_the_range(caseworker):
    # Misconduct with a final written warning in force: a hearing may give a written warning up to
    # dismissal (reg 42(5)); the range for very high seriousness starts at a final written warning.
    hearing = proceeding_in("heard", finding="misconduct", final_written_warning_in_force=True)
    with pytest.raises(GuardFailed) as err:
        decide(caseworker, hearing, sanction="final_written_warning", **VERY_SERIOUS)
    assert err.value.context["missing"] == ["written_warning"]
    unchanged(hearing)
    p, _ = decide(caseworker, hearing, sanction="final_written_warning", **VERY_SERIOUS,
                  outcomes_considered=[{"sanction": "written_warning", "why_not": "Already on a final warning."}])
    assert p.sanction == "final_written_warning"
    assert OutcomeAssessment.objects.get(proceeding=p).range_floor == "final_written_warning"


def test_a_former_officer_would_have_been_dismissed_only_if_no_further_action_is_explained(caseworker):
    hearing = proceeding_in("heard", finding="gross_misconduct", is_former_officer=True)
    with pytest.raises(GuardFailed) as err:
        decide(caseworker, hearing, sanction="would_have_been_dismissed", **VERY_SERIOUS)
    assert err.value.context["missing"] == ["former_officer_nfa"]
    unchanged(hearing)
    # The least severe outcome needs no reasons of this kind.
    p, _ = decide(caseworker, hearing, sanction="former_officer_nfa", culpability=1, harm=1,
                  seriousness_conclusion="Minor.")
    assert p.sanction == "former_officer_nfa"


def test_no_assessment_where_nothing_is_proven(caseworker):
    p, _ = decide(caseworker, proceeding_in("heard", finding="not_proven"), sanction="no_action")
    assert p.sanction == "no_action" and not OutcomeAssessment.objects.exists()


def test_employers_are_told_in_force_units_only(caseworker):
    hearing = proceeding_in("heard", finding="gross_misconduct")
    targets = alerts.recipients_for(hearing.person_id, dt.date.today(),
                                    receiving_organisation_id=Organisation.objects.get(code="KEN").pk)
    assert {t.unit for t in targets} == {Unit.PROFESSIONAL_STANDARDS, Unit.VETTING}


# -- comparables -------------------------------------------------------------------------------------
def _decided(sanction, *, category="sexual_conduct", standards=("SPB-DC",), finding="gross_misconduct",
             organisation="MET", status="final"):
    case = CaseFactory(organisation=Organisation.objects.get(code=organisation))
    p = proceeding_in(status, finding=finding, sanction=sanction, case=case, subjects=1)
    allegation = p.items.get().subject_allegation.allegation
    allegation.category, allegation.standards = category, list(standards)
    allegation.save(update_fields=["category", "standards"])
    return p


def test_comparables_same_finding_category_and_standard_with_their_distribution(caseworker):
    target = _decided("", status="heard")
    _decided("dismissal_without_notice")
    _decided("dismissal_without_notice", organisation="KEN")
    _decided("final_written_warning", standards=("SPB-DC", "SPB-ARC"))
    _decided("final_written_warning", status="remitted")  # quashed: not a comparable
    _decided("dismissal_without_notice", category="information")  # another category
    _decided("dismissal_without_notice", standards=("SPB-HI",))  # no shared standard
    _decided("written_warning", finding="misconduct")  # another finding
    profile = selectors.proceeding_profile(target)
    assert profile == selectors.Profile("gross_misconduct", frozenset({"sexual_conduct"}), frozenset({"SPB-DC"}))
    found = selectors.comparables(proceeding=target, profile=profile, actor=caseworker)
    assert found["count"] == 3
    assert [(d["sanction"], d["count"]) for d in found["distribution"]] == [("final_written_warning", 1),
                                                                          ("dismissal_without_notice", 2)]
    # Exact matches first; another force's case is shown without its reference.
    assert [c["similarity"] for c in found["cases"]] == [2.0, 2.0, 1.5]
    assert sorted(bool(c["reference"]) for c in found["cases"]) == [False, True, True]
    assert found["cases"][-1]["sanction"] == "final_written_warning"


def test_comparables_are_one_query_and_one_for_references(caseworker, django_assert_max_num_queries):
    target = _decided("", status="heard")
    for sanction in ("dismissal_without_notice", "reduction_in_rank", "final_written_warning"):
        _decided(sanction)
    profile = selectors.proceeding_profile(target)
    with django_assert_max_num_queries(1):  # as stored with the outcome: the rows only
        found = selectors.comparables(proceeding=target, profile=profile)
    assert found["count"] == 3
    # Shown to a reader: one more for the references in their scope (plus the scope's own lookups of
    # the reader's roles and named cases, organisations.permissions).
    with django_assert_max_num_queries(4):
        found = selectors.comparables(proceeding=target, profile=profile, actor=caseworker)
    assert found["count"] == 3


def test_allegation_factory_default_is_not_comparable_to_sexual_conduct(caseworker):
    target = _decided("", status="heard")
    AllegationFactory(category="individual_behaviours")
    assert selectors.comparables(proceeding=target, profile=selectors.proceeding_profile(target))["count"] == 0
