"""A fictional officer with a history in several forces, and a viewer for every relationship to them,
for the register's sharing, history and disclosure tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from forewarn.register.models import Application
from forewarn.register.sharing import Relationship
from tests.factories import (
    AllegationFactory,
    AppointmentFactory,
    CaseFactory,
    PersonFactory,
    SubjectAllegationFactory,
    make_user,
    org,
)

# The viewer organisation standing in each relationship to the officer (see `officer_world`).
VIEWER_ORGANISATIONS = {
    Relationship.OWNS_CASE: "KEN",
    Relationship.EMPLOYS: "MET",
    Relationship.EMPLOYED: "SUR",
    Relationship.VETTING_APPLICATION: "TVP",
    Relationship.TRANSFER_APPLICATION: "ESS",
    Relationship.IOPC: "IOPC",
    Relationship.NONE: "NBR",
}
# An organisation whose application was closed: no relationship any more.
CLOSED_APPLICATION = "WAR"


@dataclass
class OfficerWorld:
    person: object
    case: object  # Kent's case against the officer
    subject: object  # the register entry: the officer x the allegation on Kent's case


def officer_world(*, restricted: bool = False, referred: bool = False) -> OfficerWorld:
    """A serving Met officer who served in Surrey before, with an allegation on a Kent case (Kent's
    complaint about an incident on a cross-border operation); Thames Valley has an open vetting
    application, Essex an open transfer application, Warwickshire a closed one."""
    person = PersonFactory(given_name="Tamsin", family_name="Quarrender", date_of_birth=dt.date(1984, 5, 9))
    AppointmentFactory(person=person, organisation=org("SUR"), start_date=dt.date(2005, 9, 1),
                       end_date=dt.date(2009, 8, 31), end_reason="transferred")
    AppointmentFactory(person=person, organisation=org("MET"), start_date=dt.date(2009, 9, 1))
    today = dt.date.today()
    Application.objects.create(organisation=org("TVP"), person=person, kind="vetting", opened_on=today)
    Application.objects.create(organisation=org("ESS"), person=person, kind="transfer", opened_on=today)
    Application.objects.create(organisation=org("WAR"), person=person, kind="vetting", opened_on=today,
                               closed_on=today, outcome="withdrawn")
    case = CaseFactory(organisation=org("KEN"), restricted=restricted, restriction_kind="covert" if restricted else "",
                       referred_on=dt.date(2024, 2, 1) if referred else None)
    allegation = AllegationFactory(case=case, number=1, category="sexual_conduct", subcategory="Sexual harassment",
                                   standards=["SPB-DC"])
    subject = SubjectAllegationFactory(allegation=allegation, person=person, severity="gross_misconduct",
                                       status="severity_assessed")
    return OfficerWorld(person=person, case=case, subject=subject)


def viewer(role: str, relationship: Relationship | str):
    """A user with `role` in the organisation that stands in `relationship` to the officer."""
    code = VIEWER_ORGANISATIONS.get(relationship, relationship)
    return make_user(role, organisation=code)
