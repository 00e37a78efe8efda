"""Proceedings endpoints: refer, read, challenge, list referral; a refusal each; scope."""

import pytest
from django.utils import timezone

from forewarn.audit.models import Event
from forewarn.proceedings.models import Challenge, ListReferral, Proceeding
from tests.proceedings.builders import decided_proceeding, officer_allegations

pytestmark = pytest.mark.django_db


def test_refer_then_read_a_proceeding(aa, api_for):
    subjects = officer_allegations(count=2)
    client = api_for(aa)
    today = timezone.localdate().isoformat()
    response = client.post("/api/proceedings", {
        "subject_allegation_ids": [s.id for s in subjects], "form": "hearing", "notice_on": today,
        "panel": [{"role": "chair", "name": "A. Fictional"}]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["form"], body["status"], body["case_id"]) == ("hearing", "notice_of_referral", subjects[0].case_id)
    assert [i["subject_allegation_id"] for i in body["items"]] == [s.id for s in subjects]
    assert body["panel"] == [{"role": "chair", "name": "A. Fictional"}]
    got = client.get(f"/api/proceedings/{body['id']}").json()
    assert got["id"] == body["id"] and got["status_label"] == "Notice of referral given"
    assert {a["machine"] for a in got["actions"]} <= {"proceeding"}


def test_refer_refusals_write_nothing(aa, handler, other_force_handler, api_for):
    (subject,) = officer_allegations(count=1, status="raised")
    today = timezone.localdate().isoformat()
    body = {"subject_allegation_ids": [subject.id], "form": "hearing", "notice_on": today}
    refused = api_for(aa).post("/api/proceedings", body).json()
    assert (refused["status"], refused["code"]) == (409, "transition.not_allowed")
    assert api_for(handler).post("/api/proceedings", body).json()["status"] == 403
    assert api_for(other_force_handler).post("/api/proceedings", body).json()["status"] == 404
    empty = api_for(aa).post("/api/proceedings", {**body, "subject_allegation_ids": []}).json()
    assert (empty["status"], empty["field"]) == (422, "subject_allegation_ids")
    assert Proceeding.objects.count() == 0 and not Event.objects.filter(case=subject.case).exists()


def test_challenge_a_notified_outcome(aa, other_force_handler, api_for):
    proceeding = decided_proceeding("outcome_notified")
    today = timezone.localdate().isoformat()
    body = {"route": "pat", "applicant": "The officer", "grounds": "The outcome was unreasonable.", "lodged_on": today}
    assert api_for(other_force_handler).post(f"/api/proceedings/{proceeding.id}/challenges", body).status_code == 404
    refused = api_for(aa).post(f"/api/proceedings/{proceeding.id}/challenges", {**body, "route": "meeting_appeal"})
    assert refused.status_code == 409 and refused.json()["code"] == "challenge.route_not_available"
    assert Challenge.objects.count() == 0
    response = api_for(aa).post(f"/api/proceedings/{proceeding.id}/challenges", body)
    assert response.status_code == 201, response.content
    assert (response.json()["route"], response.json()["status"]) == ("pat", "lodged")
    got = api_for(aa).get(f"/api/proceedings/{proceeding.id}").json()
    assert got["status"] == "appealed" and [c["route"] for c in got["challenges"]] == ["pat"]
    assert api_for(other_force_handler).get(f"/api/proceedings/{proceeding.id}").status_code == 404


def test_report_a_dismissal_to_the_barred_list(aa, handler, api_for):
    proceeding = decided_proceeding("final", sanction="dismissal_without_notice")
    today = timezone.localdate().isoformat()
    body = {"kind": "barred", "reported_on": today, "conduct_description": "Dishonesty.",
            "proceeding_id": proceeding.id}
    assert api_for(handler).post("/api/list-referrals", body).json()["code"] == "permission.denied"
    missing = api_for(aa).post("/api/list-referrals", {**body, "proceeding_id": None}).json()
    assert (missing["status"], missing["field"]) == (422, "proceeding_id")
    assert ListReferral.objects.count() == 0
    response = api_for(aa).post("/api/list-referrals", body)
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["proceeding_id"]) == ("barred", proceeding.id)
    assert ListReferral.objects.count() == 1
