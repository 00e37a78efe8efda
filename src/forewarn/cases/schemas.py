"""API schemas for cases: explicit fields only, never a model dumped wholesale."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from forewarn.cases.models import CaseStatus, CaseType, EligibilityBasis, PartyRole
from forewarn.cases.vocabulary import AllegationFlag, Category, Standard
from forewarn.core.schemas import AvailableActionOut, Id, In, Version, choice_of
from forewarn.workforce.models import Rank

CaseTypeCode = choice_of(CaseType.values)
CaseTypeFilter = choice_of(CaseType.values, blank=True)
CaseStatusFilter = choice_of(CaseStatus.values, blank=True)
CategoryCode = choice_of(Category.values)
CategoryFilter = choice_of(Category.values, blank=True)


# -- input ------------------------------------------------------------------------------------
class CaseIn(In):
    case_type: CaseTypeCode = Field(..., description="What is being recorded")
    came_to_attention_on: dt.date
    summary: str = Field(..., max_length=20_000)
    organisation_id: Id | None = Field(None, description="The force concerned (the IOPC must give it).")
    incident_date: dt.date | None = None
    incident_location: str = Field("", max_length=200)
    restricted: bool = False
    restriction_kind: str = Field("", max_length=40, description="anti_corruption, covert, psd_subject "
                                  "(required when restricted; the recorder is named on the case)")


class PartyIn(In):
    role: choice_of(PartyRole.values)
    full_name: str = Field(..., max_length=200)
    eligibility_basis: choice_of(EligibilityBasis.values, blank=True) = Field(
        "", description="Why a complainant may complain (PRA 2002 s12); required for a complainant")
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    address: str = Field("", max_length=1000)
    postcode: str = Field("", max_length=10)
    is_vulnerable: bool = False
    vulnerability_notes: str = Field("", max_length=2000)


class AllegationIn(In):
    category: CategoryCode
    description: str = Field(..., max_length=20_000)
    subcategory: str = Field("", max_length=120, description="One of the category's subcategories, if it has any")
    standards: list[choice_of(Standard.values)] = Field(default_factory=list, max_length=20)
    flags: list[choice_of(AllegationFlag.values)] = Field(default_factory=list, max_length=5,
                                                          description="vawg, domestic_abuse, criminal_suspect")


class SubjectIn(In):
    person_id: Id | None = None
    name_as_given: str = Field("", max_length=200)
    rank_as_given: choice_of(Rank.values, blank=True) = ""
    number_as_given: str = Field("", max_length=20)
    station_as_given: str = Field("", max_length=120)
    approximate_age: int | None = Field(None, ge=16, le=90)
    date_of_birth_as_given: dt.date | None = None
    sex_as_given: choice_of(["M", "F"], blank=True) = ""
    description_as_given: str = Field("", max_length=2000)


class SubjectLinkIn(In):
    person_id: Id
    reason: str = Field("", max_length=2000)
    expected_version: Version | None = Field(None, description="Refuse with 409 if the subject has changed since.")


# -- output -----------------------------------------------------------------------------------
class OrganisationRef(Schema):
    id: int
    code: str
    name: str


class CaseSummaryOut(Schema):
    id: int
    reference: str
    case_type: str
    status: str
    status_label: str
    status_since: dt.date
    regime: str
    organisation: OrganisationRef
    came_to_attention_on: dt.date
    incident_date: dt.date | None
    summary: str
    restricted: bool
    suspension_status: str
    allegation_count: int
    version: int


class CaseListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseSummaryOut]


class PartyOut(Schema):
    id: int
    role: str
    eligibility_basis: str
    full_name: str
    is_vulnerable: bool
    restricted: bool = False
    # Contact details only for force casework in scope (None otherwise: withheld, not empty).
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    vulnerability_notes: str | None = None
    contact_details_withheld: bool


class SubjectOut(Schema):
    id: int
    case_id: int
    allegation_id: int
    allegation_number: int
    person_id: int | None
    subject_label: str
    name_as_given: str
    rank_as_given: str
    number_as_given: str
    station_as_given: str
    approximate_age: int | None = None
    sex_as_given: str = ""
    date_of_birth_as_given: dt.date | None = None
    status: str
    status_label: str
    severity: str
    criminal_status: str
    is_former_officer: bool
    version: int
    actions: list[AvailableActionOut] = []


class AllegationOut(Schema):
    id: int
    case_id: int
    number: int
    category: str
    subcategory: str
    standards: list[str]
    flags: list[str]
    description: str
    subject_ids: list[int]
    version: int


class ClockOut(Schema):
    id: int
    kind: str
    label: str
    started_on: dt.date
    due_on: dt.date
    paused_on: dt.date | None
    overdue: bool
    case_id: int
    case_reference: str
    subject_allegation_id: int | None
    proceeding_id: int | None


class CaseDetailOut(CaseSummaryOut):
    incident_location: str
    handling_route: str
    investigation_mode: str
    recorded_on: dt.date | None
    referred_on: dt.date | None
    review_body: str
    parties: list[PartyOut]
    allegations: list[AllegationOut]
    subjects: list[SubjectOut]
    clocks: list[ClockOut]
    actions: list[AvailableActionOut]


class EventOut(Schema):
    id: int
    occurred_on: dt.date
    occurred_at: dt.datetime
    action: str
    object_type: str
    object_id: int
    from_state: str
    to_state: str
    actor: str | None
    organisation: str | None
    reason: str
    data: dict[str, Any]
