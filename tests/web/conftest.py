import datetime as dt

import pytest

from forewarn.audit.services import event_record
from forewarn.cases.models import CaseStatus
from forewarn.core.models import Clock
from tests.factories import (
    AllegationFactory,
    AppointmentFactory,
    CaseFactory,
    PartyFactory,
    PersonFactory,
    RankHeldFactory,
    SubjectAllegationFactory,
)


@pytest.fixture
def met_case(db):
    """A Met complaint just received, with a party, an allegation, one named and one linked subject, a clock."""
    case = CaseFactory(status=CaseStatus.RECEIVED, summary="Officer was rude at the front counter.")
    PartyFactory(case=case, is_vulnerable=True)
    allegation = AllegationFactory(case=case, number=1)
    SubjectAllegationFactory(allegation=allegation, name_as_given="Smythe")
    person = PersonFactory(given_name="Ada", family_name="Fictionalson")
    RankHeldFactory(appointment=AppointmentFactory(person=person, service_number="424242"))
    SubjectAllegationFactory(allegation=allegation, person=person, name_as_given="")
    Clock.objects.create(case=case, kind="iopc_referral", started_on=dt.date(2024, 1, 15),
                         due_on=dt.date(2024, 1, 16))
    event_record(actor=None, action="case.open", obj=case, case=case, occurred_on=case.came_to_attention_on)
    return case
