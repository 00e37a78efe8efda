"""API schemas for the register's history, checks, applications and disclosure requests: explicit fields only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from forewarn.core.schemas import Id, In, choice_of
from forewarn.register.models import ApplicationKind, ApplicationOutcome, LawfulBasis


# -- history -------------------------------------------------------------------------------------------
class OrganisationRefOut(Schema):
    code: str
    name: str


class NameOut(Schema):
    given_name: str
    middle_names: str
    family_name: str
    used_from: dt.date | None
    used_until: dt.date | None
    reason: str
    current: bool


class RankOut(Schema):
    rank: str
    label: str
    start_date: dt.date
    acting: bool


class AppointmentOut(Schema):
    organisation: OrganisationRefOut
    role_type: str
    role_type_label: str
    service_number: str
    start_date: dt.date
    end_date: dt.date | None
    end_reason: str
    end_reason_label: str
    ranks: list[RankOut]


class SeverityChangeOut(Schema):
    on: dt.date
    step: str = Field(..., description="assessed or reassessed")
    severity: str
    severity_label: str
    previous: str
    previous_label: str
    likely_proceedings: str
    by: OrganisationRefOut | None


class SuspensionOut(Schema):
    on: dt.date
    step: str
    label: str
    by: OrganisationRefOut | None


class OutcomeOut(Schema):
    form: str
    finding: str
    sanction: str
    sanction_label: str
    sanction_effective_on: dt.date | None
    status: str


class DisclosureStateOut(Schema):
    id: int
    status: str = Field(..., description="requested, granted, refused or expired")
    requested_at: dt.datetime
    expires_at: dt.datetime | None


class EntryOut(Schema):
    """One allegation against the person (register.entries), with what the caller may see of it and why."""

    subject_allegation_id: int
    case_reference: str
    organisation: OrganisationRefOut
    contact: str
    came_to_attention_on: dt.date
    withheld: bool = Field(..., description="A restricted case: ask the owning force (contact point)")
    case_type: str | None = None
    recorded_on: dt.date | None = None
    category: str | None = None
    category_label: str | None = None
    subcategory: str | None = None
    standards: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    severity: str | None = None
    status: str | None = None
    status_label: str | None = None
    open: bool | None = None
    finding: str | None = None
    suspended: bool | None = None
    outcome: OutcomeOut | None = None
    visibility: str = Field(..., description="entry, or case_file (the caller may open the case: case_id)")
    basis: list[str] = Field(..., description="The relationships that give the caller sight (register.sharing)")
    basis_labels: list[str]
    case_id: int | None
    severity_history: list[SeverityChangeOut]
    suspensions: list[SuspensionOut]
    disclosure: DisclosureStateOut | None
    may_request_disclosure: bool


class HistoryApplicationOut(Schema):
    id: int
    kind: str
    kind_label: str
    reference: str
    opened_on: dt.date
    closed_on: dt.date | None
    outcome: str
    open: bool


class HistoryCheckOut(Schema):
    id: int
    at: dt.datetime
    lawful_basis: str
    lawful_basis_label: str
    application_kind: str
    purpose: str
    by: str | None
    evidence: list[str]


class ListEntryOut(Schema):
    id: int
    kind: str
    kind_label: str
    basis: str
    basis_label: str
    status: str
    status_label: str
    organisation: OrganisationRefOut
    decided_on: dt.date
    reported_on: dt.date | None
    standards: list[str]
    gross_misconduct: bool
    review_not_before: dt.date | None
    removed_on: dt.date | None


class PersonRefOut(Schema):
    id: int
    full_name: str
    date_of_birth: dt.date | None = None


class HistoryOut(Schema):
    person: PersonRefOut
    names: list[NameOut]
    appointments: list[AppointmentOut]
    relationships: list[str] = Field(..., description="The caller's organisation's relationships to the person")
    relationship_labels: list[str]
    basis_missing: bool = Field(..., description="No relationship: entries of other forces are not shown")
    message: str
    entries: list[EntryOut]
    applications: list[HistoryApplicationOut] = Field(..., description="The caller's own force's applications")
    checks: list[HistoryCheckOut] = Field(..., description="The caller's own force's checks that matched")
    list_entries: list[ListEntryOut]
    counts: dict[str, int]


# -- checks and applications ------------------------------------------------------------------------------
class CheckIn(In):
    lawful_basis: choice_of(LawfulBasis.values, blank=True) = Field("", description="Required")
    purpose: str = Field("", max_length=2000, description="Required: what the check is for (10 characters or more)")
    application_kind: choice_of(ApplicationKind.values) = Field(..., description="vetting or transfer")
    reference: str = Field("", max_length=60, description="The force's own reference")
    person_id: Id | None = Field(None, description="A person already identified; or give the three below")
    given_name: str = Field("", max_length=100)
    family_name: str = Field("", max_length=100)
    date_of_birth: dt.date | None = None
    previous_forces: list[str] = Field(default_factory=list, max_length=20,
                                       description="Codes of forces the person served in (at least one must match)")


class ApplicationOut(Schema):
    id: int
    person: PersonRefOut
    kind: str
    kind_label: str
    reference: str
    opened_on: dt.date
    opened_by: str | None
    closed_on: dt.date | None
    outcome: str
    open: bool


class MatchOut(Schema):
    person_id: int
    full_name: str
    evidence: list[str]
    application: ApplicationOut | None
    application_opened: bool = Field(..., description="This check opened the application (else it was open)")
    history: HistoryOut


class CheckOut(Schema):
    id: int
    created_at: dt.datetime
    lawful_basis: str
    lawful_basis_label: str
    purpose: str
    application_kind: str
    query: dict[str, Any]
    matches: list[MatchOut]


class ApplicationIn(In):
    person_id: Id
    kind: choice_of(ApplicationKind.values)
    reason: str = Field("", max_length=2000, description="Required: why the force is considering the person")
    reference: str = Field("", max_length=60)


class ApplicationCloseIn(In):
    outcome: choice_of(ApplicationOutcome.values)
    reason: str = Field("", max_length=2000)


# -- disclosure requests ------------------------------------------------------------------------------
class DisclosureIn(In):
    subject_allegation_id: Id = Field(..., description="The register entry whose case file is asked for")
    reason: str = Field("", max_length=2000, description="Required")


class DisclosureDecideIn(In):
    grant: bool
    reason: str = Field("", max_length=2000, description="Required")
    days: int = Field(30, ge=1, le=365, description="How long a grant lasts (at most 90 days)")


class DisclosureOut(Schema):
    id: int
    status: str = Field(..., description="requested, granted, refused or expired")
    person: PersonRefOut
    subject_allegation_id: int
    owning_organisation: OrganisationRefOut
    requesting_organisation: OrganisationRefOut
    case_reference: str = Field(..., description="Empty for another force's restricted case")
    case_id: int | None = Field(..., description="Set when the case is in the caller's case scope")
    reason: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str
    expires_at: dt.datetime | None


class DisclosureListOut(Schema):
    outgoing: list[DisclosureOut]
    incoming: list[DisclosureOut]
