"""An outcome substituted on appeal (`challenge.substitute`, or the proceeding's `challenge_decided`) is
judged against the outcomes guidance as the panel's was: range, outlier reasons, less severe outcomes,
the stored assessment and the outcome outlier alert."""

from __future__ import annotations

import pytest

from forewarn.audit.models import Event
from forewarn.core.errors import GuardFailed
from forewarn.core.lifecycle import run_transition
from forewarn.guidance.models import AssessedDecision, OutcomeAssessment
from forewarn.organisations.models import Role
from forewarn.proceedings.lifecycle import CHALLENGE_MACHINE, PROCEEDING_MACHINE
from forewarn.proceedings.models import Challenge, Proceeding
from forewarn.register.models import Alert, AlertTrigger, RecipientBasis, Unit
from tests.api.conftest import client_for
from tests.factories import make_user, only_refused, sign_in
from tests.proceedings.builders import challenge_in, proceeding_in

pytestmark = pytest.mark.django_db

APSP = [{"factor": "abuse_of_position_sexual", "words": "Abuse of position for a sexual purpose",
         "explanation": "He pursued a victim of crime."}]


def dismissed_then_challenged(**fields):
    """A gross misconduct hearing that dismissed, as the panel assessed it (very high), under a PAT appeal."""
    challenge = challenge_in("lodged", route="pat")
    Proceeding.objects.filter(pk=challenge.proceeding_id).update(
        sanction="dismissal_without_notice", culpability=4, harm=4, aggravating_factors=APSP, **fields)
    return challenge


def substitute(actor, challenge, **payload):
    return run_transition(machine=CHALLENGE_MACHINE, obj_id=challenge.pk, action="substitute", actor=actor,
                          payload={"reasons": "The PAT found dismissal unreasonable.", **payload})


def nothing_written(challenge):
    assert only_refused(None)
    assert Challenge.objects.get(pk=challenge.pk).status == "lodged"
    p = Proceeding.objects.get(pk=challenge.proceeding_id)
    assert (p.status, p.sanction) == ("appealed", "dismissal_without_notice")
    assert not OutcomeAssessment.objects.exists() and not Alert.objects.exists()


def test_a_substitution_below_the_range_needs_reasons_and_alerts_the_force_and_the_iopc(caseworker, iopc):
    challenge = dismissed_then_challenged()
    with pytest.raises(GuardFailed) as err:
        substitute(caseworker, challenge, substituted_sanction="final_written_warning")
    assert (err.value.code, err.value.field) == ("outcome.outlier_reasons_required", "outlier_reasons")
    # Judged on the panel's assessment (very high: dismissal), as recorded.
    assert "below the indicative range (dismissal without notice)" in err.value.message
    nothing_written(challenge)

    _, ctx = substitute(caseworker, challenge, substituted_sanction="final_written_warning",
                        outlier_reasons="Fresh evidence of coercion by a supervisor.")
    p = Proceeding.objects.get(pk=challenge.proceeding_id)
    assert (p.status, p.sanction) == ("final", "final_written_warning")
    assessment = OutcomeAssessment.objects.get(proceeding=p)
    assert (assessment.decision, assessment.sanction, assessment.is_outlier, assessment.range_floor) == (
        AssessedDecision.SUBSTITUTION, "final_written_warning", True, "dismissal_without_notice")
    assert assessment.outlier_grounds == ["below_range"]
    assert assessment.outlier_reasons == "Fresh evidence of coercion by a supervisor."
    event = Event.objects.get(action="outcome_assessment.record")
    assert event.data["decision"] == "substitution" and event.data["alerts_raised"]

    alert = Alert.objects.get(trigger=AlertTrigger.OUTCOME_OUTLIER)
    assert alert.reasons[0].startswith("Outcome outlier: Final written warning substituted on appeal (")
    assert alert.summary["outcome_outlier"]["decision"] == "substitution"
    assert {(r.unit, r.basis) for r in alert.recipients.all()} == {
        (Unit.PROFESSIONAL_STANDARDS, RecipientBasis.APPROPRIATE_AUTHORITY), (Unit.OVERSIGHT, RecipientBasis.OVERSIGHT)}
    # The API shows the assessment of the outcome that now stands.
    shown = client_for(caseworker).get(f"/api/proceedings/{p.pk}").json()["outcome_assessment"]
    assert (shown["decision"], shown["sanction"], shown["is_outlier"]) == ("substitution", "final_written_warning", True)


def test_the_appeal_bodys_own_assessment_replaces_the_panels(caseworker):
    challenge = dismissed_then_challenged()
    substitute(caseworker, challenge, substituted_sanction="final_written_warning", culpability=2, harm=2,
               aggravating_factors=[], purpose="Deters similar conduct; he remains under supervision.")
    assessment = OutcomeAssessment.objects.get()
    assert not assessment.is_outlier and assessment.indicated["culpability"] == 2
    assert assessment.purpose.startswith("Deters")
    assert not Alert.objects.exists()


def test_a_substitution_must_say_why_each_less_severe_outcome_was_insufficient(caseworker):
    # The panel gave a final written warning; the appeal body substitutes dismissal.
    challenge = challenge_in("lodged", route="pat")
    with pytest.raises(GuardFailed) as err:
        run_transition(machine=CHALLENGE_MACHINE, obj_id=challenge.pk, action="substitute", actor=caseworker,
                       payload={"reasons": "Irrational.", "substituted_sanction": "dismissal_without_notice",
                                "outcomes_considered": [{"sanction": "reduction_in_rank", "why_not": "Not enough."}]})
    assert (err.value.code, err.value.context["missing"]) == ("outcome.lesser_outcomes_unexplained",
                                                              ["final_written_warning"])
    assert only_refused(None) and Challenge.objects.get(pk=challenge.pk).status == "lodged"
    assert Proceeding.objects.get(pk=challenge.proceeding_id).sanction == "final_written_warning"


def test_a_substitution_recorded_on_the_proceeding_is_judged_the_same_way(caseworker):
    challenge = dismissed_then_challenged()
    step = {"machine": PROCEEDING_MACHINE, "obj_id": challenge.proceeding_id, "action": "challenge_decided",
            "actor": caseworker}
    with pytest.raises(GuardFailed) as err:
        run_transition(**step, payload={"substituted_sanction": "final_written_warning"})
    assert err.value.code == "outcome.outlier_reasons_required"
    assert not OutcomeAssessment.objects.exists()
    run_transition(**step, payload={"substituted_sanction": "final_written_warning", "outlier_reasons": "Coerced."})
    assert OutcomeAssessment.objects.get().decision == AssessedDecision.SUBSTITUTION
    # The outcome standing (no substitution) is not assessed again.
    assert Alert.objects.filter(trigger=AlertTrigger.OUTCOME_OUTLIER).count() == 1


def test_the_substitution_page_asks_why_each_less_severe_outcome_was_insufficient(client):
    challenge = challenge_in("lodged", route="pat")
    handler = make_user(Role.CASE_HANDLER)
    sign_in(client, handler)
    url = f"/actions/challenge/{challenge.pk}/substitute/"
    on = challenge.status_since
    form = {"on_day": on.day, "on_month": on.month, "on_year": on.year, "expected_version": challenge.version,
            "reasons": "Irrational.", "substituted_sanction": "dismissal_without_notice",
            "why_not_reduction_in_rank": "Not enough."}
    refused = client.post(url, form)
    assert refused.status_code == 200
    text = refused.content.decode()
    assert 'id="why_not_final_written_warning-error"' in text and "why_not_reduction_in_rank-error" not in text
    assert Challenge.objects.get(pk=challenge.pk).status == "lodged"
    saved = client.post(url, {**form, "why_not_final_written_warning": "He lied to the panel."})
    assert saved.status_code == 302
    assert Proceeding.objects.get(pk=challenge.proceeding_id).sanction == "dismissal_without_notice"
    assert OutcomeAssessment.objects.get().decision == AssessedDecision.SUBSTITUTION


def test_the_panels_recorded_assessment_is_carried_into_the_substitution(caseworker):
    hearing = proceeding_in("heard", finding="gross_misconduct")
    run_transition(machine=PROCEEDING_MACHINE, obj_id=hearing.pk, action="outcome_determine", actor=caseworker,
                   payload={"sanction": "final_written_warning", "reasons": "r", "culpability": 2, "harm": 2,
                            "seriousness_conclusion": "Serious.",
                            "culpability_factors": ["deliberate_targeted: He singled her out."],
                            "harm_factors": ["harm_to_vulnerable: A victim of crime."]})
    Proceeding.objects.filter(pk=hearing.pk).update(status="appealed")
    challenge = Challenge.objects.create(proceeding=hearing, route="pat", status="lodged", status_since=hearing.notice_on,
                                         applicant="The appropriate authority", grounds="Unduly lenient.",
                                         lodged_on=hearing.notice_on)
    # The panel's factors raise culpability and harm to high: the range reaches dismissal, so a reduction
    # in rank is within it and a final written warning's insufficiency must be explained.
    with pytest.raises(GuardFailed) as err:
        substitute(caseworker, challenge, substituted_sanction="reduction_in_rank")
    assert (err.value.code, err.value.context["missing"]) == ("outcome.lesser_outcomes_unexplained",
                                                              ["final_written_warning"])
    substitute(caseworker, challenge, substituted_sanction="reduction_in_rank",
               outcomes_considered=[{"sanction": "final_written_warning", "why_not": "Unduly lenient."}])
    panel, appeal = OutcomeAssessment.objects.filter(proceeding=hearing).order_by("id")
    assert (panel.decision, appeal.decision) == (AssessedDecision.OUTCOME, AssessedDecision.SUBSTITUTION)
    assert appeal.culpability_factors == panel.culpability_factors
    assert (appeal.indicated["culpability"], appeal.indicated["harm"]) == (3, 3)
    assert not appeal.is_outlier and appeal.range_ceiling == "dismissal_without_notice"
