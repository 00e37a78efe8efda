"""API schemas for people: explicit fields only."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class RankOut(Schema):
    rank: str
    start_date: dt.date
    acting: bool


class AppointmentOut(Schema):
    id: int
    organisation_id: int
    organisation_code: str
    organisation_name: str
    role_type: str
    service_number: str
    start_date: dt.date
    end_date: dt.date | None
    end_reason: str
    current_rank: str | None
    ranks: list[RankOut]


class PersonOut(Schema):
    id: int
    full_name: str
    given_name: str
    family_name: str
    appointments: list[AppointmentOut]


class NameOut(Schema):
    given_name: str
    middle_names: str
    family_name: str
    used_from: dt.date | None
    used_until: dt.date | None


class PersonAllegationOut(Schema):
    subject_allegation_id: int
    case_id: int
    case_reference: str
    organisation_code: str
    allegation_number: int
    category: str
    status: str
    status_label: str
    severity: str
    finding: str


class PersonDetailOut(PersonOut):
    names: list[NameOut]
    allegations: list[PersonAllegationOut]
