"""Intelligence on disclosure schedules (issue #6 §1): every intelligence record linked to the person is
listed, whichever force holds it, with how it was linked; a sensitive one only as held by its force;
under handling code C the summary is withheld; linking one after serving raises disclosure drift."""

from __future__ import annotations

import datetime as dt

import pytest

from forewarn.disclosure import exports, services
from forewarn.disclosure.models import DriftNotice
from forewarn.intelligence import services as intelligence
from forewarn.organisations.models import Role
from tests.disclosure.test_schedules import _decide_all, _open, world  # noqa: F401 - the shared fixture
from tests.factories import make_user

pytestmark = pytest.mark.django_db

REPORT = {"received_on": dt.date(2023, 11, 6), "source_evaluation": "1", "intelligence_assessment": "A",
          "handling_code": "P", "name_as_given": "DS Pennywhistle"}


def _intelligence(force: str, reference: str, person=None, **overrides):
    actor = make_user(Role.HEAD_OF_STANDARDS, organisation=force)
    return intelligence.intelligence_record(actor=actor, reference=reference, person_id=person.pk if person else None,
                                            **{**REPORT, "summary": f"Fictional report {reference}.", **overrides})


def test_the_schedule_lists_linked_intelligence_of_every_force_with_the_redactions(world):  # noqa: F811
    person = world["person"]
    own = _intelligence("MET", "MET/INT/1", person)
    kent = _intelligence("KEN", "KEN/INT/7", person, source_evaluation="2", intelligence_assessment="C")
    sensitive = _intelligence("KEN", "KEN/ACU/3", person, sensitive=True, summary="Fictional covert operation X.")
    conditions = _intelligence("SUR", "SUR/INT/2", person, handling_code="C",
                               handling_conditions="Not to be shared with the subject.",
                               summary="Fictional: conditioned content.")
    shareable = _intelligence("SUR", "SUR/INT/3", person, handling_code="C", handling_conditions="Counsel only.",
                              summary_may_be_disclosed=True, summary="Fictional: cleared for disclosure.")
    _intelligence("MET", "MET/INT/2")  # not identified: on no schedule
    schedule = _open(world)
    items = {i.key: i for i in schedule.items.filter(source="intelligence")}
    assert set(items) == {f"intelligence:{r.pk}" for r in (own, kent, sensitive, conditions, shareable)}
    facts = items[f"intelligence:{kent.pk}"].facts
    assert (facts["reference"], facts["grading"], facts["summary"]) == ("KEN/INT/7", "2C P", "Fictional report KEN/INT/7.")
    assert facts["organisation"]["code"] == "KEN" and facts["linked_by"]["method"] == "recorded"
    hidden = items[f"intelligence:{sensitive.pk}"].facts
    assert hidden["sensitive"] is True and hidden["reference"] == "" and "summary" not in hidden
    assert "grading" not in hidden and hidden["organisation"]["name"] == "Kent Police"
    withheld = items[f"intelligence:{conditions.pk}"].facts
    assert withheld["summary_withheld"] is True and withheld["summary"] == "" and withheld["grading"] == "1A C"
    assert items[f"intelligence:{shareable.pk}"].facts["summary"] == "Fictional: cleared for disclosure."
    # Neither served content nor the exports carry what is withheld.
    _decide_all(schedule, world["officer"])
    version = services.schedule_serve(actor=world["officer"], schedule_id=schedule.pk, served_to="The court")
    served = str(version.content)
    assert "covert operation X" not in served and "KEN/ACU/3" not in served and "conditioned content" not in served
    assert "intelligence_note" in version.content and "not_held" not in version.content
    rows = {i["key"]: exports.item_row(i) for i in version.content["items"]}
    assert rows[f"intelligence:{sensitive.pk}"]["what"] == "Sensitive intelligence held by Kent Police: ask the owning force"
    assert "summary withheld (handling code C)" in rows[f"intelligence:{conditions.pk}"]["what"]
    csv = exports.schedule_csv(schedule, version=1)
    assert "covert operation X" not in csv and "KEN/INT/7" in csv


def test_linking_intelligence_after_serving_raises_drift_and_unlinking_marks_it(world):  # noqa: F811
    schedule = _open(world)
    _decide_all(schedule, world["officer"])
    services.schedule_serve(actor=world["officer"], schedule_id=schedule.pk, served_to="The court")
    record = _intelligence("KEN", "KEN/INT/9")  # Kent's report, identified later
    assert not DriftNotice.objects.filter(schedule=schedule).exists()
    kent = make_user(Role.APPROPRIATE_AUTHORITY, organisation="KEN")
    intelligence.intelligence_link(actor=kent, intelligence_id=record.pk, person_id=world["person"].pk)
    item = schedule.items.get(key=f"intelligence:{record.pk}")
    assert (item.decision, item.added_after_version, item.intelligence_record_id) == ("", 1, record.pk)
    assert DriftNotice.objects.get(schedule=schedule).item == item
    assert services.drift_notices_for(actor=world["officer"])[0].item == item
    intelligence.intelligence_unlink(actor=kent, intelligence_id=record.pk, reason="Wrong officer.")
    item.refresh_from_db()
    assert item.no_longer_linked is True
