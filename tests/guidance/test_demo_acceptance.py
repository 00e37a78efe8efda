"""Acceptance (issue #6 §2) on the demo's detective-sergeant scenario (scenario A): the 2021 final
written warning is flagged as an outlier, with its reasons, and the force and the IOPC were alerted;
the 2025 re-hearing's "would have been dismissed" falls within the indicative range."""

from __future__ import annotations

import pytest

from forewarn.demo import demo_actors, demo_users_create
from forewarn.demo.scenarios import load_scenarios
from forewarn.guidance import selectors
from forewarn.guidance.models import OutcomeAssessment
from forewarn.organisations.models import Organisation
from forewarn.register import alerts
from forewarn.register.models import Alert, AlertTrigger, Unit


@pytest.fixture
def scenario_a(db):
    demo_users_create()
    actors = demo_actors()
    return load_scenarios(actors)["a"], actors


def test_the_2021_final_written_warning_is_an_outlier_with_reasons(scenario_a):
    a, actors = scenario_a
    first = OutcomeAssessment.objects.get(proceeding=a["hearing"])
    assert first.sanction == "final_written_warning" and first.is_outlier
    assert (first.range_floor, first.range_ceiling, first.band) == ("dismissal_without_notice",
                                                                    "dismissal_without_notice", "very_high")
    assert first.outlier_grounds == ["below_range", "personal_mitigation_little_weight"]
    assert first.outlier_words[0].startswith("Final written warning is below the indicative range")
    assert "little weight where the conduct involves abuse of position for a sexual purpose" in first.outlier_words[1]
    assert "excellent service record" in first.outlier_reasons
    # Stated culpability (high) is raised to what the factors indicate, and the panel is told so.
    assert first.indicated["culpability"] == 3 and first.indicated["personal_little_weight"] is True

    alert = Alert.objects.get(trigger=AlertTrigger.OUTCOME_OUTLIER, case=a["case"])
    units = {(r.organisation.code, r.unit) for r in alert.recipients.select_related("organisation")}
    iopc = Organisation.objects.get(kind="iopc")
    assert units == {("MET", Unit.PROFESSIONAL_STANDARDS), (iopc.code, Unit.OVERSIGHT)}
    assert alert.pk in {r.alert_id for r in alerts.inbox_list(actor=actors["IOPC"], open_only=False)}


def test_the_2025_rehearing_outcome_is_within_the_range(scenario_a):
    a, actors = scenario_a
    second = OutcomeAssessment.objects.get(proceeding=a["rehearing"])
    assert second.sanction == "would_have_been_dismissed" and not second.is_outlier
    assert second.range_floor == second.range_ceiling == "would_have_been_dismissed"
    assert second.reasoning_gaps == []
    assert not Alert.objects.filter(trigger=AlertTrigger.OUTCOME_OUTLIER, case=a["case"]).exclude(
        pk=Alert.objects.get(trigger=AlertTrigger.OUTCOME_OUTLIER, case=a["case"]).pk).exists()
    # Shown afresh now, the rehearing's outcome sits in the range; the quashed 2021 outcome is not a comparable.
    view = selectors.guidance_for_proceeding(actor=actors["MET"], proceeding_id=a["rehearing"].pk, values={
        "culpability": 4, "harm": 4, "aggravating_factors": ["abuse_of_position_sexual", "vulnerable_victim"],
        "sanction": "would_have_been_dismissed"})
    assert view["range"]["outcomes"] == ["would_have_been_dismissed"] and not view["outlier"]
    assert view["comparables"]["count"] == 0
