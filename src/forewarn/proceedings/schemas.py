"""API schemas for proceedings, challenges and list referrals: explicit fields only."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from forewarn.core.schemas import AvailableActionOut, Id, In, choice_of
from forewarn.proceedings.models import ChallengeRoute, ListKind, ProceedingForm
from forewarn.proceedings.services import PANEL_ROLES


class PanelMemberIn(In):
    role: choice_of(sorted(PANEL_ROLES))
    name: str = Field(..., max_length=200)


class ProceedingReferIn(In):
    subject_allegation_ids: list[Id] = Field(..., min_length=1, max_length=100)
    form: choice_of(ProceedingForm.values)
    notice_on: dt.date
    panel: list[PanelMemberIn] = Field(default_factory=list, max_length=10)
    unconnected_incidents: bool = False
    condition_c_special_determination: bool = False


class ChallengeIn(In):
    route: choice_of(ChallengeRoute.values)
    applicant: str = Field(..., max_length=200)
    grounds: str = Field(..., max_length=20_000)
    lodged_on: dt.date
    late_reason: str = Field("", max_length=20_000)
    parent_id: Id | None = None


class ListReferralIn(In):
    kind: choice_of(ListKind.values) = Field(..., description="The barred list or the advisory list")
    reported_on: dt.date
    conduct_description: str = Field(..., max_length=20_000)
    proceeding_id: Id | None = None
    subject_allegation_id: Id | None = None


class PanelMemberOut(Schema):
    role: str
    name: str


class ProceedingItemOut(Schema):
    subject_allegation_id: int
    allegation_number: int
    finding: str
    admitted: bool


class ChallengeOut(Schema):
    id: int
    proceeding_id: int
    parent_id: int | None
    route: str
    status: str
    status_label: str
    status_since: dt.date
    applicant: str
    lodged_on: dt.date
    late_reason: str
    substituted_sanction: str
    version: int


class ProceedingOut(Schema):
    id: int
    case_id: int
    case_reference: str
    person_id: int | None
    form: str
    status: str
    status_label: str
    status_since: dt.date
    regime: str
    panel_regime: str
    notice_on: dt.date
    scheduled_for: dt.date | None
    is_former_officer: bool
    final_written_warning_in_force: bool
    panel: list[PanelMemberOut]
    sanction: str
    sanction_effective_on: dt.date | None
    sanction_expires_on: dt.date | None
    published_on: dt.date | None
    remitted_from_id: int | None
    items: list[ProceedingItemOut]
    challenges: list[ChallengeOut]
    actions: list[AvailableActionOut]
    version: int


class ListReferralOut(Schema):
    id: int
    case_id: int
    proceeding_id: int | None
    subject_allegation_id: int | None
    person_id: int | None
    kind: str
    reported_on: dt.date
    standards: list[str]
    conduct_description: str
