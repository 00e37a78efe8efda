import datetime as dt

import pytest

from forewarn.audit.models import Event
from forewarn.cases import services
from forewarn.cases.models import Case, CaseStatus
from forewarn.core.errors import NotFound, PermissionDenied, ValidationFailed
from forewarn.organisations.models import Role
from tests.factories import change_events, make_user, only_refused

pytestmark = pytest.mark.django_db


def test_case_record_gives_a_reference_per_organisation_and_year_and_the_regime(handler):
    first = services.case_record(actor=handler, case_type="complaint", came_to_attention_on=dt.date(2020, 10, 26),
                                 summary="Complaint about an officer's conduct after a robbery report.")
    second = services.case_record(actor=handler, case_type="conduct_matter",
                                  came_to_attention_on=dt.date(2020, 3, 1), summary="Conduct matter")
    older = services.case_record(actor=handler, case_type="complaint", came_to_attention_on=dt.date(2019, 5, 1),
                                 summary="Older complaint")
    assert first.reference == "MET-2020-00001"
    assert second.reference == "MET-2020-00002"
    assert older.reference == "MET-2019-00001"
    assert (first.regime, older.regime) == ("R2020", "R2012")
    assert first.status == CaseStatus.RECEIVED and second.status == CaseStatus.IDENTIFIED
    assert Event.objects.filter(case=first, action="case.open").count() == 1


def test_case_record_refuses_a_future_date_and_writes_nothing(handler):
    with pytest.raises(ValidationFailed) as err:
        services.case_record(actor=handler, case_type="complaint",
                             came_to_attention_on=dt.date.today() + dt.timedelta(days=1), summary="x")
    assert err.value.field == "came_to_attention_on" and err.value.code == "date.in_future"
    assert Case.objects.count() == 0 and only_refused()


def test_case_record_needs_a_casework_role(db):
    vetting = make_user(Role.VETTING_OFFICER)
    with pytest.raises(PermissionDenied):
        services.case_record(actor=vetting, case_type="complaint", came_to_attention_on=dt.date(2024, 1, 1),
                             summary="x")


def test_complainant_needs_an_eligibility_basis(handler):
    case = services.case_record(actor=handler, case_type="complaint", came_to_attention_on=dt.date(2024, 1, 1),
                                summary="x")
    with pytest.raises(ValidationFailed) as err:
        services.party_add(actor=handler, case_id=case.id, role="complainant", full_name="Ada Fictional")
    assert err.value.field == "eligibility_basis"
    party = services.party_add(actor=handler, case_id=case.id, role="complainant", full_name="Ada Fictional",
                               eligibility_basis="directed_at", email="ada@example.org", is_vulnerable=True)
    assert party.is_vulnerable
    assert "email" not in change_events().get(action="party.add").data


def test_allegation_numbers_and_vocabulary_are_checked(handler):
    case = services.case_record(actor=handler, case_type="complaint", came_to_attention_on=dt.date(2024, 1, 1),
                                summary="x")
    a1 = services.allegation_add(actor=handler, case_id=case.id, category="sexual_conduct",
                                 subcategory="Sexual harassment", standards=["SPB-DC", "SPB-ARC"], description="d")
    a2 = services.allegation_add(actor=handler, case_id=case.id, category="property", description="d")
    assert (a1.number, a2.number) == (1, 2)
    with pytest.raises(ValidationFailed) as err:
        services.allegation_add(actor=handler, case_id=case.id, category="sexual_conduct", subcategory="Race",
                                description="d")
    assert err.value.field == "subcategory"
    with pytest.raises(ValidationFailed) as err:
        services.allegation_add(actor=handler, case_id=case.id, category="property", standards=["SPB-XX"],
                                description="d")
    assert err.value.field == "standards"


def test_another_force_cannot_see_or_add_to_the_case(handler, other_force_handler):
    case = services.case_record(actor=handler, case_type="complaint", came_to_attention_on=dt.date(2024, 1, 1),
                                summary="x")
    with pytest.raises(NotFound):
        services.allegation_add(actor=other_force_handler, case_id=case.id, category="property", description="d")


def test_unidentified_subject_keeps_its_description(handler):
    case = services.case_record(actor=handler, case_type="complaint", came_to_attention_on=dt.date(2024, 1, 1),
                                summary="x")
    allegation = services.allegation_add(actor=handler, case_id=case.id, category="property", description="d")
    sa = services.subject_add(actor=handler, allegation_id=allegation.id, rank_as_given="PS",
                              station_as_given="Kentish Town", approximate_age=40)
    assert sa.person is None and sa.subject_label == "Sergeant"
    with pytest.raises(ValidationFailed) as err:
        services.subject_add(actor=handler, allegation_id=allegation.id)
    assert err.value.code == "subject.undescribed"
