"""Identity resolution in the case flow (issue #5 §1): proposals with evidence, automatic links,
the review queue, decisions, per-organisation thresholds, and undo with the register's corrections."""

from __future__ import annotations

import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.cases import services as case_services
from forewarn.linkage import identification
from forewarn.linkage.models import CandidateDecision, Identification, IdentificationStatus
from forewarn.organisations.models import Role
from tests.factories import AppointmentFactory, CaseFactory, PersonFactory, RankHeldFactory, make_user, org

pytestmark = pytest.mark.django_db


def _officer(given, family, *, force="MET", number, station, rank="PC", born=1984, sex="M",
             start=dt.date(2008, 9, 1), end=None):
    person = PersonFactory(given_name=given, family_name=family, date_of_birth=dt.date(born, 5, 17), sex=sex)
    appointment = AppointmentFactory(person=person, organisation=org(force), service_number=number, station=station,
                                     start_date=start, end_date=end, end_reason="transferred" if end else "")
    RankHeldFactory(appointment=appointment, rank=rank, start_date=start)
    return person


@pytest.fixture
def workforce():
    """A fictional workforce: the officer, a namesake in Kent, three sergeants at one station, filler."""
    people = {
        "aldous": _officer("Aldous", "Pennywhistle", number="4821", station="Kentish Town", rank="PS", born=1984),
        "namesake": _officer("Beatrix", "Pennywhistle", force="KEN", number="4821", station="Maidstone", born=1990,
                             sex="F"),
    }
    for i, given in enumerate(("Colm", "Dorian", "Ewan")):
        people[given.lower()] = _officer(given, "Quillfeather", number=f"73{i}0", station="Kentish Town", rank="PS",
                                         born=1980 + i * 3)
    for i in range(30):
        person = PersonFactory()
        RankHeldFactory(appointment=AppointmentFactory(person=person, station="Holborn"))
    return people


@pytest.fixture
def handler():
    return make_user(Role.CASE_HANDLER, organisation="MET")


def _subject(actor, **details):
    case = CaseFactory(organisation=actor.organisation, incident_date=dt.date(2024, 3, 9))
    allegation = case_services.allegation_add(actor=actor, case_id=case.id, category="sexual_conduct",
                                              subcategory="Sexual harassment", standards=["SPB-DC"],
                                              description="Fictional.")
    return case_services.subject_add(actor=actor, allegation_id=allegation.id, **details)


def test_a_full_description_links_automatically_with_evidence(workforce, handler):
    subject = _subject(handler, name_as_given="DS Pennywhistle", rank_as_given="PS", number_as_given="04821",
                       station_as_given="Kentish Town", approximate_age=40)
    subject.refresh_from_db()
    found = Identification.objects.get(subject_allegation=subject)
    assert found.status == IdentificationStatus.AUTO_LINKED
    assert subject.person == workforce["aldous"]
    best = found.candidates.first()
    assert best.person == workforce["aldous"] and best.probability >= 0.99
    words = {e["field"]: e for e in best.evidence}
    assert words["family_name"]["words"] == "exact" and words["family_name"]["weight"] > 0
    assert words["badge_number"]["words"] == "same number, same force"
    assert words["serving"]["weight"] > 0
    link = Event.objects.get(action="subject.link_person", object_id=subject.pk)
    assert link.data["method"] == "automatic" and link.data["identification"] == found.pk
    # The namesake in Kent with the same collar number is a candidate far below.
    namesake = found.candidates.filter(person=workforce["namesake"]).first()
    assert namesake is None or namesake.probability < 0.3
