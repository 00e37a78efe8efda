"""Hostile and malformed input never reaches a 500: every refusal is a 4xx problem response."""

import json

import pytest
from django.utils import timezone

from forewarn.cases.models import Case
from tests.factories import PersonFactory, SubjectAllegationFactory
from tests.proceedings.builders import decided_proceeding, officer_allegations

pytestmark = pytest.mark.django_db

HOSTILE = [
    "\x00", "a\x00b", "' OR 1=1 --", "<script>alert(1)</script>", "x" * 30_000, "🤖\u202e", "", " ",
    "2024-02-30", "9999-99-99", "-1", 10**30, -(10**30), 2**63, -1, 0, 1.5, True, None, [], {}, ["\x00"],
    {"$gt": ""}, [10**40],
]
MALFORMED = ["not json", "[]", "null", '{"a":', "", "1", '"string"', json.dumps({"x": "\x00"}), "\x00"]


def _bodies(base: dict):
    yield from MALFORMED
    yield json.dumps({**base, "unexpected": 1})
    for field in base:
        for value in HOSTILE:
            yield json.dumps({**base, field: value})
        yield json.dumps({k: v for k, v in base.items() if k != field})


@pytest.fixture
def world(db):
    today = timezone.localdate().isoformat()
    sa = SubjectAllegationFactory()
    ready = officer_allegations(count=1, case=sa.case)[0]
    proceeding = decided_proceeding("final", sanction="dismissal_without_notice", case=sa.case)
    person = PersonFactory()
    case = sa.case
    return {
        "/api/cases": {"case_type": "complaint", "came_to_attention_on": "2024-01-02", "summary": "s",
                       "organisation_id": case.organisation_id, "incident_date": "2024-01-01",
                       "incident_location": "x", "restricted": False},
        f"/api/cases/{case.id}/parties": {"role": "complainant", "full_name": "Ada Fictional",
                                          "eligibility_basis": "directed_at", "email": "a@example.org",
                                          "phone": "0", "address": "x", "postcode": "AB1 2CD",
                                          "is_vulnerable": False, "vulnerability_notes": ""},
        f"/api/cases/{case.id}/allegations": {"category": "property", "description": "d", "subcategory": "",
                                              "standards": ["SPB-HI"]},
        f"/api/allegations/{sa.allegation_id}/subjects": {"person_id": person.id, "name_as_given": "Smith",
                                                          "rank_as_given": "PC", "number_as_given": "1",
                                                          "station_as_given": "x", "approximate_age": 30,
                                                          "description_as_given": "x"},
        f"/api/subjects/{sa.id}/link": {"person_id": person.id, "reason": "r"},
        f"/api/case/{case.id}/actions/log": {"payload": {"reasons": "r"}, "on": today, "expected_version": 1,
                                             "reason": "r"},
        "/api/proceedings": {"subject_allegation_ids": [ready.id], "form": "hearing", "notice_on": today,
                             "panel": [{"role": "chair", "name": "x"}], "unconnected_incidents": False,
                             "condition_c_special_determination": False},
        f"/api/proceedings/{proceeding.id}/challenges": {"route": "pat", "applicant": "a", "grounds": "g",
                                                         "lodged_on": today, "late_reason": "", "parent_id": None},
        "/api/list-referrals": {"kind": "barred", "reported_on": today, "conduct_description": "d",
                                "proceeding_id": proceeding.id, "subject_allegation_id": None},
    }


def _assert_no_500(response, what):
    assert response.status_code < 500, (what, response.content[:500])
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json", what
        body = response.json()
        assert body["status"] == response.status_code and body["code"] and body["detail"], what


@pytest.mark.parametrize("index", range(9), ids=["cases", "parties", "allegations", "subjects", "link",
                                                  "action", "proceedings", "challenges", "list-referrals"])
def test_hostile_bodies_never_reach_a_500(world, caseworker, api_for, index):
    assert len(world) == 9
    path = list(world)[index]
    client = api_for(caseworker)
    statuses = set()
    for body in _bodies(world[path]):
        response = client.post(path, raw=body)
        _assert_no_500(response, (path, body[:80]))
        statuses.add(response.status_code)
    assert 422 in statuses  # the fuzzing did reach validation


def test_hostile_ids_and_query_strings_never_reach_a_500(world, caseworker, api_for):
    client = api_for(caseworker)
    for bad_id in ["0", "-1", str(2**63), "9" * 40, "1.5", "abc", "%00", "1%20OR%201=1"]:
        for path in (f"/api/cases/{bad_id}", f"/api/cases/{bad_id}/timeline", f"/api/people/{bad_id}",
                     f"/api/proceedings/{bad_id}", f"/api/case/{bad_id}/actions"):
            response = client.get(path)
            assert response.status_code in {404, 422}, (path, response.status_code)
        response = client.post(f"/api/case/{bad_id}/actions/log", {})
        assert response.status_code in {404, 422}
    for params in ({"q": "\x00"}, {"q": "x" * 5000}, {"limit": 10**30}, {"offset": -1}, {"limit": "abc"},
                   {"organisation": 2**64}, {"overdue": "maybe"}, {"status": "' OR 1=1 --"}, {"type": "\x00"}):
        _assert_no_500(client.get("/api/cases", params), params)
    for params in ({"q": "\x00"}, {"q": "%"}, {"q": "x" * 5000}, {"q": "_"}):
        _assert_no_500(client.get("/api/people", params), params)
    _assert_no_500(client.get("/api/clocks/overdue", {"organisation": "-5"}), "overdue")
    _assert_no_500(client.get("/api/%00/1/actions"), "machine NUL")
    _assert_no_500(client.post("/api/case/1/actions/" + "x" * 500, {}), "long action")
    assert Case.objects.count() == 1
