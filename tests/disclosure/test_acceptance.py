"""Issue #6 acceptance (§1) on the demo's detective-sergeant scenario: the colleague's 2022 complaint is on
the judicial-review schedule, and it reached it as a drift item after the first version was served."""

from __future__ import annotations

import pytest

from forewarn.demo import demo_actors, demo_users_create
from forewarn.demo.scenarios import load_scenarios
from forewarn.disclosure import services
from forewarn.disclosure.models import Decision, DriftNotice

pytestmark = pytest.mark.django_db


def test_the_colleagues_complaint_is_on_the_judicial_review_schedule():
    demo_users_create()
    a = load_scenarios(demo_actors())["a"]
    schedule = a["jr_schedule"]
    assert schedule.kind == "judicial_review" and schedule.person_id == a["person"].pk
    colleague = a["second_case"].subjects.get()
    item = schedule.items.get(subject_allegation=colleague)
    # Not on the first version (it did not exist yet): it arrived as drift, with a notice to the officer.
    assert item.added_after_version == 1
    assert DriftNotice.objects.filter(schedule=schedule, item=item).exists()
    assert item.decision == Decision.DISCLOSED and item.reason
    first, second = schedule.versions.order_by("number")
    assert colleague.pk not in {i["facts"]["entry"]["subject_allegation_id"] for i in first.content["items"]
                                if i["source"] == "allegation"}
    assert item.key in {i["key"] for i in second.content["items"]}
    # The eight allegations of the hearing and the earlier outcome were on it from the start.
    assert sum(1 for i in first.content["items"] if i["source"] == "allegation") == 8
    assert any(i["source"] == "outcome" for i in first.content["items"])
    assert [ok for _, ok, _ in services.schedule_verify(schedule_id=schedule.pk)] == [True, True]
