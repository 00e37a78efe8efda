"""Identifying subjects on the web and the API: the candidates with their evidence, the review queue,
decisions, undo and thresholds; other forces get 404s; bad input gets a 4xx naming the field."""

from __future__ import annotations

import pytest
from django.test import Client

from forewarn.audit.models import Event
from forewarn.linkage.models import Identification, IdentificationStatus, MatchThresholds
from forewarn.organisations.models import Role
from tests.api.conftest import client_for
from tests.factories import make_user, org, sign_in
from tests.linkage.test_identification import _subject, handler, workforce  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _web(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def test_web_review_accept_and_undo(workforce, handler):  # noqa: F811
    subject = _subject(handler, name_as_given="Quillfeather", rank_as_given="PS", station_as_given="Kentish Town")
    found = Identification.objects.get(subject_allegation=subject)
    web = _web(handler)
    queue = web.get("/identification/review/").content.decode()
    assert subject.case.reference in queue and "Matches to review" in queue
    page = web.get(f"/identification/subjects/{subject.pk}/").content.decode()
    assert "Dorian Quillfeather" in page and "same" in page and "This is the officer" in page
    assert Event.objects.filter(kind="read", action="identification.read", object_id=found.pk).exists()
    dorian = found.candidates.get(person=workforce["dorian"])
    done = web.post(f"/identification/subjects/{subject.pk}/identifications/{found.pk}/decide/",
                    {"decision": "accept", "candidate": dorian.pk, "reason": "Duty roster."})
    assert done.status_code == 302
    subject.refresh_from_db()
    assert subject.person == workforce["dorian"]
    case_page = web.get(f"/cases/{subject.case_id}/").content.decode()
    assert "Undo link" in case_page
    assert web.post(f"/identification/subjects/{subject.pk}/unlink/", {"reason": ""}).status_code == 200
    subject.refresh_from_db()
    assert subject.person is not None  # a reason is required: nothing changed
    undone = web.post(f"/identification/subjects/{subject.pk}/unlink/",
                      {"reason": "Roster was wrong.", "expected_version": subject.version})
    assert undone.status_code == 302
    subject.refresh_from_db()
    assert subject.person is None


def test_other_forces_get_404_on_pages_and_api(workforce, handler):  # noqa: F811
    subject = _subject(handler, name_as_given="Quillfeather", rank_as_given="PS", station_as_given="Kentish Town")
    found = Identification.objects.get(subject_allegation=subject)
    kent = make_user(Role.CASE_HANDLER, organisation="KEN")
    web = _web(kent)
    assert web.get(f"/identification/subjects/{subject.pk}/").status_code == 404
    assert web.post(f"/identification/subjects/{subject.pk}/identifications/{found.pk}/decide/",
                    {"decision": "none", "reason": "x"}).status_code == 404
    assert subject.case.reference not in web.get("/identification/review/").content.decode()
    api = client_for(kent)
    assert api.get(f"/api/subjects/{subject.pk}/identification").status_code == 404
    assert api.post(f"/api/identifications/{found.pk}/none", {"reason": "x"}).status_code == 404
    assert api.get("/api/identifications/review").json() == []
    found.refresh_from_db()
    assert found.status == IdentificationStatus.REVIEW


def test_api_candidates_decisions_and_errors(workforce, handler):  # noqa: F811
    api = client_for(handler)
    subject = _subject(handler, name_as_given="Quillfeather", rank_as_given="PS", station_as_given="Kentish Town")
    body = api.get(f"/api/subjects/{subject.pk}/identification").json()
    assert body["status"] == "review" and len(body["candidates"]) >= 3
    first = body["candidates"][0]
    assert first["probability"] > 0.3 and first["evidence"][0]["words"] and "weight" in first["evidence"][0]
    assert [i["id"] for i in api.get("/api/identifications/review").json()] == [body["id"]]
    # Bad input: a 4xx naming the field, and nothing changes.
    missing = api.post(f"/api/identifications/{body['id']}/reject", {"candidate_id": first["id"], "reason": ""})
    assert missing.status_code == 422 and "reason" in missing.text
    unknown = api.post(f"/api/identifications/{body['id']}/accept", {"candidate_id": 999999})
    assert unknown.status_code == 422 and "candidate_id" in unknown.text
    assert api.get(f"/api/subjects/{subject.pk}/identification").json()["status"] == "review"
    accepted = api.post(f"/api/identifications/{body['id']}/accept", {"candidate_id": first["id"], "reason": "Roster."})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = api.post(f"/api/identifications/{body['id']}/accept", {"candidate_id": first["id"]})
    assert again.status_code == 409
    relinked = api.post(f"/api/subjects/{subject.pk}/identify")
    assert relinked.status_code == 409  # identified already: undo first
    undone = api.post(f"/api/subjects/{subject.pk}/unlink", {"reason": "Wrong sergeant."})
    assert undone.status_code == 200 and undone.json()["person_id"] is None
    rerun = api.post(f"/api/subjects/{subject.pk}/identify")
    assert rerun.status_code == 201 and rerun.json()["status"] == "review"


def test_api_thresholds(handler):  # noqa: F811
    head = make_user(Role.HEAD_OF_STANDARDS, organisation="MET")
    api = client_for(head)
    met = org("MET").pk
    bad = api.put(f"/api/organisations/{met}/match-thresholds", {"auto_link": 0.4, "review": 0.6})
    assert bad.status_code == 422 and "review" in bad.text
    good = api.put(f"/api/organisations/{met}/match-thresholds", {"auto_link": 0.995, "review": 0.4})
    assert good.status_code == 200 and good.json() == {"organisation_id": met, "auto_link": 0.995, "review": 0.4}
    assert api.put(f"/api/organisations/{org('KEN').pk}/match-thresholds",
                   {"auto_link": 0.9, "review": 0.2}).status_code == 404
    assert client_for(handler).put(f"/api/organisations/{met}/match-thresholds",
                                   {"auto_link": 0.9, "review": 0.2}).status_code == 403
    assert MatchThresholds.objects.get().auto_link == 0.995
