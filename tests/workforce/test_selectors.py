import datetime as dt

import pytest

from forewarn.core.errors import NotFound
from forewarn.organisations.models import Role
from forewarn.workforce.models import PersonName
from forewarn.workforce.selectors import person_get_for_actor, person_history, person_search
from tests.factories import (
    READ_AUDIT_QUERIES,
    AllegationFactory,
    AppointmentFactory,
    CaseFactory,
    PersonFactory,
    RankHeldFactory,
    SubjectAllegationFactory,
    make_user,
    org,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(db):
    person = PersonFactory(given_name="Grace", family_name="Ashworth")
    PersonName.objects.create(person=person, given_name="Grace", family_name="Pemberton",
                              used_until=dt.date(2015, 6, 1), reason="Marriage")
    met = AppointmentFactory(person=person, service_number="100777", start_date=dt.date(2010, 9, 1),
                             end_date=dt.date(2018, 3, 31), end_reason="transferred")
    RankHeldFactory(appointment=met, rank="PC", start_date=dt.date(2010, 9, 1))
    RankHeldFactory(appointment=met, rank="PS", start_date=dt.date(2015, 1, 1))
    kent = AppointmentFactory(person=person, organisation=org("KEN"), service_number="K55", start_date=dt.date(2018, 4, 1))
    RankHeldFactory(appointment=kent, rank="PS", start_date=dt.date(2018, 4, 1))
    return person


def test_person_get_needs_a_role_that_reads_people(officer):
    assert person_get_for_actor(actor=make_user(Role.VETTING_OFFICER), person_id=officer.id) == officer
    with pytest.raises(NotFound):
        person_get_for_actor(actor=make_user(Role.PANEL_MEMBER), person_id=officer.id)
    with pytest.raises(NotFound):
        person_get_for_actor(actor=make_user(Role.CASE_HANDLER), person_id=officer.id + 999)


def test_person_search_by_current_or_former_name_or_number(officer, handler):
    PersonFactory(given_name="Other", family_name="Someone")
    assert list(person_search(actor=handler, q="ashworth")) == [officer]
    assert list(person_search(actor=handler, q="Grace Pemberton")) == [officer]
    assert list(person_search(actor=handler, q="k55")) == [officer]
    assert list(person_search(actor=handler, q="")) == []
    assert list(person_search(actor=make_user(Role.PANEL_MEMBER), q="Ashworth")) == []


def test_person_history_lists_appointments_and_only_allegations_in_scope(officer, handler):
    met_case = CaseFactory()
    SubjectAllegationFactory(allegation=AllegationFactory(case=met_case), person=officer)
    kent_case = CaseFactory(organisation=org("KEN"))
    SubjectAllegationFactory(allegation=AllegationFactory(case=kent_case), person=officer)
    history = person_history(actor=handler, person_id=officer.id)
    assert [a.organisation.code for a in history.appointments] == ["MET", "KEN"]
    assert [r.rank for r in history.appointments[0].ranks.all()] == ["PC", "PS"]
    assert [n.family_name for n in history.names] == ["Pemberton"]
    assert [s.case for s in history.subject_allegations] == [met_case]
    kent_handler = make_user(Role.CASE_HANDLER, organisation="KEN")
    assert [s.case for s in person_history(actor=kent_handler, person_id=officer.id).subject_allegations] == [kent_case]


def test_person_history_has_no_n_plus_one(officer, handler, django_assert_max_num_queries):
    for _ in range(5):
        case = CaseFactory()
        SubjectAllegationFactory(allegation=AllegationFactory(case=case), person=officer)
    for n in range(5):
        RankHeldFactory(appointment=AppointmentFactory(person=officer, start_date=dt.date(2019, 1, 1 + n)),
                        start_date=dt.date(2019, 1, 1 + n))
    handler.role_codes  # noqa: B018 — load the actor's roles outside the count, as a request would
    with django_assert_max_num_queries(6 + READ_AUDIT_QUERIES):
        history = person_history(actor=handler, person_id=officer.id)
        rows = [(a.organisation.name, [r.rank for r in a.ranks.all()]) for a in history.appointments]
        cases = [(s.case.reference, s.case.organisation.code, s.allegation.category) for s in history.subject_allegations]
    assert len(rows) == 7 and len(cases) == 5
