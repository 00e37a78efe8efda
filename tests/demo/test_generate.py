import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.cases.lifecycle import CASE_MACHINE, SUBJECT_ALLEGATION_MACHINE
from forewarn.cases.models import Allegation, Case, CaseStatus, SubjectAllegation
from forewarn.core.models import Clock
from forewarn.demo import generate
from forewarn.demo.caseload import PATHS, Path, check_paths_against_tables
from forewarn.organisations.models import ReferenceCounter
from forewarn.workforce.models import Appointment, Person, RankHeld

TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def generated(db):
    return generate(people=600, years=2, seed=7, today=TODAY)


def test_generate_counts_and_shape(generated):
    assert generated.people == Person.objects.count() == 600
    assert Appointment.objects.count() == generated.appointments >= 600
    assert RankHeld.objects.count() >= Appointment.objects.count()
    # ~85,000 cases a year for ~300,000 workforce: 600 people x 2 years -> 340 cases.
    assert generated.cases == Case.objects.count() == 340
    assert 1.6 < Allegation.objects.count() / generated.cases < 2.0
    assert SubjectAllegation.objects.count() == Allegation.objects.count()
    met = Appointment.objects.filter(organisation__code="MET").count() / Appointment.objects.count()
    assert 0.15 < met < 0.35
    transferred = Appointment.objects.filter(end_reason="transferred").count()
    assert 0 < transferred < 60
    outside = Case.objects.filter(handling_route="outside_sch3").count() / generated.cases
    assert 0.5 < outside < 0.8


def test_generated_states_are_lifecycle_states(generated):
    assert set(Case.objects.values_list("status", flat=True)) <= set(CASE_MACHINE.states.values)
    assert set(SubjectAllegation.objects.values_list("status", flat=True)) <= set(
        SUBJECT_ALLEGATION_MACHINE.states.values)
    assert not Case.objects.filter(status_since__gt=TODAY).exists()
    assert Case.objects.exclude(status__in=[CaseStatus.FINALISED, CaseStatus.FINALISED_OUTSIDE_SCH3]).exists()


def test_every_case_has_its_record_event_and_counters_continue(generated):
    assert Event.objects.filter(action="case.open").count() == generated.cases
    assert not Case.objects.filter(events__isnull=True).exists()
    case = Case.objects.order_by("-id").first()
    counter = ReferenceCounter.objects.get(organisation=case.organisation, year=case.came_to_attention_on.year)
    assert counter.last_number >= int(case.reference.rsplit("-", 1)[1])


def test_open_clocks_come_from_the_tables(generated):
    kinds = {k for t in CASE_MACHINE.transitions for k in t.starts}
    assert set(Clock.objects.values_list("kind", flat=True)) <= {getattr(k, "kind", k) for k in kinds}
    assert not Clock.objects.filter(stopped_on__isnull=False).exists()


def test_generate_is_repeatable(db):
    first = generate(people=200, years=1, seed=3, today=TODAY)
    shape = list(Case.objects.order_by("id").values_list("case_type", "status", "came_to_attention_on"))
    names = list(Person.objects.order_by("id").values_list("given_name", "family_name"))
    second = generate(people=200, years=1, seed=3, today=TODAY)
    assert (first.cases, first.allegations) == (second.cases, second.allegations)
    assert list(Case.objects.order_by("id").values_list("case_type", "status", "came_to_attention_on"))[
        len(shape):] == shape
    assert list(Person.objects.order_by("id").values_list("given_name", "family_name"))[len(names):] == names
    assert Case.objects.values("reference").distinct().count() == Case.objects.count()


def test_a_path_the_tables_do_not_allow_is_refused():
    bad = {"bad": (1, Path("bad", "complaint", (CaseStatus.RECEIVED, CaseStatus.FINALISED), 10))}
    with pytest.raises(AssertionError, match="no transition received -> finalised"):
        check_paths_against_tables(bad)
    check_paths_against_tables(PATHS)
