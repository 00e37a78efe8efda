"""The guidance over the API (GET with a query, POST with a draft; nothing saved) and on the outcome page."""

from __future__ import annotations

import pytest

from forewarn.audit.models import Event
from forewarn.guidance.models import OutcomeAssessment
from forewarn.organisations.models import Role
from tests.api.conftest import client_for
from tests.factories import make_user, name_on_case, seat_on_panel, sign_in
from tests.proceedings.builders import proceeding_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for():
    return client_for


@pytest.fixture
def hearing():
    return proceeding_in("heard", finding="gross_misconduct")


def test_get_with_a_query_shows_the_range_principles_comparables_and_vocabularies(api_for, aa, hearing):
    api = api_for(aa)
    r = api.get(f"/api/proceedings/{hearing.pk}/guidance",
                {"culpability": 3, "harm": 3, "aggravating_factors": ["vawg"], "personal_mitigation": ["good_record"],
                 "sanction": "reduction_in_rank"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["range"]["outcomes"] == ["final_written_warning", "reduction_in_rank", "dismissal_without_notice"]
    assert body["range"]["personal_little_weight"] is True
    assert body["outlier"] and body["outlier_grounds"] == ["personal_mitigation_little_weight"]
    assert {p["id"] for p in body["principles"]} >= {"reasons_not_checklist", "personal_mitigation_limited",
                                                     "highest_seriousness"}
    assert body["comparables"]["count"] == 0
    assert {f["id"] for f in body["vocabularies"]["personal_mitigation"]} >= {"good_record"}
    assert any("Explain how" in gap for gap in body["reasoning_gaps"])
    assert not OutcomeAssessment.objects.exists()


def test_post_a_draft_and_refusals_name_the_field(api_for, aa, hearing):
    api = api_for(aa)
    r = api.post(f"/api/proceedings/{hearing.pk}/guidance",
                 {"culpability": 4, "harm": 4, "sanction": "final_written_warning",
                  "aggravating_factors": [{"factor": "vulnerable_victim", "explanation": "A victim of crime."}]})
    assert r.status_code == 200, r.content
    assert r.json()["outlier_grounds"] == ["below_range"] and r.json()["range"]["band"] == "very_high"
    bad = api.post(f"/api/proceedings/{hearing.pk}/guidance", {"aggravating_factors": ["excellent record"]})
    assert bad.status_code == 422 and bad.json()["field"] == "aggravating_factors.0"
    assert api.post(f"/api/proceedings/{hearing.pk}/guidance", {"culpability": 5}).status_code == 422


def test_out_of_scope_is_not_found_and_the_subject_side_may_not_read_it(api_for, other_force_handler, hearing):
    assert api_for(other_force_handler).get(f"/api/proceedings/{hearing.pk}/guidance").status_code == 404
    subject = make_user(Role.SUBJECT_OFFICER)
    name_on_case(subject, hearing.case, role="subject_officer")
    assert api_for(subject).get(f"/api/proceedings/{hearing.pk}/guidance").status_code == 403


def test_the_outcome_step_over_the_api_refuses_an_outlier_without_reasons(api_for, hearing):
    panel = make_user(Role.PANEL_MEMBER)
    seat_on_panel(panel, proceeding=hearing)
    api = api_for(panel)
    payload = {"sanction": "final_written_warning", "reasons": "r", "culpability": 4, "harm": 4,
               "seriousness_conclusion": "Very serious."}
    r = api.post(f"/api/proceeding/{hearing.pk}/actions/outcome_determine", {"payload": payload})
    assert r.status_code == 409 and r.json()["code"] == "outcome.outlier_reasons_required"
    assert r.json()["field"] == "outlier_reasons"
    r = api.post(f"/api/proceeding/{hearing.pk}/actions/outcome_determine",
                 {"payload": {**payload, "aggravating_factors": ["no_such_factor: x"]}})
    assert r.status_code == 422 and r.json()["field"] == "aggravating_factors.0"
    r = api.post(f"/api/proceeding/{hearing.pk}/actions/outcome_determine",
                 {"payload": {**payload, "outlier_reasons": "Exceptional personal circumstances at the time."}})
    assert r.status_code == 200, r.content
    assert OutcomeAssessment.objects.get(proceeding=hearing).is_outlier
    shown = api.get(f"/api/proceedings/{hearing.pk}").json()["outcome_assessment"]
    assert (shown["is_outlier"], shown["range_floor"], shown["outlier_grounds"]) == (
        True, "dismissal_without_notice", ["below_range"])
    assert shown["outlier_reasons"] == "Exceptional personal circumstances at the time."


def test_the_outcome_page_shows_the_guidance_before_the_decision_is_saved(client, hearing):
    panel = make_user(Role.PANEL_MEMBER)
    seat_on_panel(panel, proceeding=hearing)
    sign_in(client, panel)
    url = f"/actions/proceeding/{hearing.pk}/outcome_determine/"
    page = client.get(url, {"culpability": 4, "harm": 4, "aggravating_factors": "abuse_of_position_sexual"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Indicative range: Dismissal without notice" in text
    assert "treated with the highest seriousness" in text
    assert "No comparable proven case" in text and "Try an assessment" in text
    on = hearing.status_since
    form = {"on_day": on.day, "on_month": on.month, "on_year": on.year,
            "expected_version": hearing.version, "sanction": "final_written_warning", "reasons": "His record.",
            "culpability": "4", "harm": "4", "seriousness_conclusion": "Very serious.",
            "personal_mitigation": "good_record: An excellent record.",
            "aggravating_factors": "abuse_of_position_sexual: He pursued a victim of crime."}
    refused = client.post(url, form)
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Outcome outlier." in text and "explicit reasons" in text
    assert not OutcomeAssessment.objects.exists()
    saved = client.post(url, {**form, "outlier_reasons": "Exceptional personal circumstances."})
    assert saved.status_code == 302
    assert OutcomeAssessment.objects.get(proceeding=hearing).outlier_reasons == "Exceptional personal circumstances."


DISMISSAL = {"sanction": "dismissal_without_notice", "reasons": "Dismissal.", "culpability": 4, "harm": 4,
             "seriousness_conclusion": "Very serious."}


def test_the_api_refuses_an_outcome_without_reasons_for_each_less_severe_one(api_for, hearing):
    panel = make_user(Role.PANEL_MEMBER)
    seat_on_panel(panel, proceeding=hearing)
    api = api_for(panel)
    url = f"/api/proceeding/{hearing.pk}/actions/outcome_determine"
    r = api.post(url, {"payload": {**DISMISSAL, "outcomes_considered": [
        {"sanction": "final_written_warning", "why_not": "Too lenient."}]}})
    assert r.status_code == 409 and r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert (body["code"], body["field"]) == ("outcome.lesser_outcomes_unexplained", "outcomes_considered")
    assert body["context"]["missing"] == ["reduction_in_rank"] and "reduction in rank" in body["detail"]
    hearing.refresh_from_db()
    assert (hearing.status, hearing.sanction) == ("heard", "")
    assert not OutcomeAssessment.objects.exists()
    assert not Event.objects.filter(kind="change", object_type__startswith="proceedings.").exists()
    assert Event.objects.filter(kind="refused", action="proceeding.outcome_determine").count() == 1
    r = api.post(url, {"payload": {**DISMISSAL, "outcomes_considered": [
        {"sanction": "final_written_warning", "why_not": "Too lenient."},
        {"sanction": "reduction_in_rank", "why_not": "No rank he could be trusted in."}]}})
    assert r.status_code == 200, r.content
    assert OutcomeAssessment.objects.get(proceeding=hearing).sanction == "dismissal_without_notice"


def test_the_outcome_page_asks_why_each_less_severe_outcome_was_insufficient(client, hearing):
    panel = make_user(Role.PANEL_MEMBER)
    seat_on_panel(panel, proceeding=hearing)
    sign_in(client, panel)
    url = f"/actions/proceeding/{hearing.pk}/outcome_determine/"
    text = client.get(url).content.decode()
    # One labelled box per outcome a hearing may impose for gross misconduct, but the most severe.
    assert '<label class="govuk-label govuk-label--s" for="id_why_not_final_written_warning">Why was final written ' \
           'warning insufficient?</label>' in text
    assert 'name="why_not_reduction_in_rank"' in text and 'class="govuk-textarea' in text
    assert "why_not_dismissal_without_notice" not in text and 'name="outcomes_considered"' not in text
    on = hearing.status_since
    form = {"on_day": on.day, "on_month": on.month, "on_year": on.year, "expected_version": hearing.version,
            **DISMISSAL, "why_not_final_written_warning": "Far too lenient for what he did."}
    refused = client.post(url, form)
    assert refused.status_code == 200
    text = refused.content.decode()
    # The error is shown against the box left empty (and in the error summary), not the one filled in.
    assert '<p id="why_not_reduction_in_rank-error" class="govuk-error-message"><span class="govuk-visually-hidden">' \
           'Error:</span> Say why reduction in rank was insufficient.</p>' in text
    assert "why_not_final_written_warning-error" not in text
    assert 'href="#id_why_not_reduction_in_rank"' in text
    assert "Far too lenient for what he did." in text  # what was typed is kept
    hearing.refresh_from_db()
    assert (hearing.status, hearing.version) == ("heard", form["expected_version"])
    assert not OutcomeAssessment.objects.exists()
    assert not Event.objects.filter(kind="change", object_type__startswith="proceedings.").exists()

    saved = client.post(url, {**form, "why_not_reduction_in_rank": "No rank he could be trusted in."})
    assert saved.status_code == 302
    hearing.refresh_from_db()
    assert hearing.outcomes_considered == [
        {"sanction": "final_written_warning", "why_not": "Far too lenient for what he did."},
        {"sanction": "reduction_in_rank", "why_not": "No rank he could be trusted in."}]
