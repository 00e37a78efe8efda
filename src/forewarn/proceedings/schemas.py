"""API schemas for proceedings, challenges and list referrals: explicit fields only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from forewarn.core.schemas import AvailableActionOut, Id, In, choice_of
from forewarn.proceedings.models import ChallengeRoute, Level, ListKind, ProceedingForm, Sanction
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


class OutcomeAssessmentOut(Schema):
    """What the outcomes guidance indicated when the outcome that stands was decided, by the panel or
    substituted on appeal (guidance.OutcomeAssessment)."""

    decision: str = Field(description="outcome (the panel's) or substitution (on appeal)")
    guidance_version: str
    decided_on: dt.date
    sanction: str
    band: str
    range_floor: str
    range_ceiling: str
    is_outlier: bool
    outlier_grounds: list[str]
    outlier_words: list[str]
    outlier_reasons: str
    reasoning_gaps: list[str]


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
    outcome_assessment: OutcomeAssessmentOut | None = None
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


# -- the outcomes guidance for a proceeding (issue #6 §2) -------------------------------------------
FactorEntry = str | dict[str, str]
FACTORS_DOC = "Factor ids from the guidance ('id' or 'id: how it was weighed', or {factor, explanation})."


class OutcomeConsideredIn(In):
    sanction: choice_of(Sanction.values)
    why_not: str = Field("", max_length=5_000)


class GuidanceDraftIn(In):
    """A draft structured assessment: the guidance answers for it (explanations may still be missing)."""

    culpability: int | None = Field(None, ge=Level.LOW, le=Level.VERY_HIGH)
    harm: int | None = Field(None, ge=Level.LOW, le=Level.VERY_HIGH)
    culpability_factors: list[FactorEntry] = Field(default_factory=list, max_length=30, description=FACTORS_DOC)
    harm_factors: list[FactorEntry] = Field(default_factory=list, max_length=30, description=FACTORS_DOC)
    aggravating_factors: list[FactorEntry] = Field(default_factory=list, max_length=30, description=FACTORS_DOC)
    mitigating_factors: list[FactorEntry] = Field(default_factory=list, max_length=30, description=FACTORS_DOC)
    personal_mitigation: list[FactorEntry] = Field(default_factory=list, max_length=30, description=FACTORS_DOC)
    sanction: choice_of(Sanction.values, blank=True) = ""
    outcomes_considered: list[OutcomeConsideredIn] = Field(default_factory=list, max_length=12)
    purpose: str = Field("", max_length=20_000)


class GuidanceQuery(Schema):
    """The same draft as query parameters (factor ids only; repeat a parameter for several)."""

    culpability: int | None = Field(None, ge=Level.LOW, le=Level.VERY_HIGH)
    harm: int | None = Field(None, ge=Level.LOW, le=Level.VERY_HIGH)
    culpability_factors: list[str] = Field(default_factory=list, max_length=30)
    harm_factors: list[str] = Field(default_factory=list, max_length=30)
    aggravating_factors: list[str] = Field(default_factory=list, max_length=30)
    mitigating_factors: list[str] = Field(default_factory=list, max_length=30)
    personal_mitigation: list[str] = Field(default_factory=list, max_length=30)
    sanction: choice_of(Sanction.values, blank=True) = ""


class GuidanceOut(Schema):
    proceeding_id: int
    guidance_version: str
    guidance: str
    regime: str
    form: str
    is_former_officer: bool
    range: dict[str, Any] = Field(description="The indicative range: band, score, effective culpability and harm, "
                                              "outcomes (least severe first), presumption, notes")
    range_labels: list[str]
    principles: list[dict[str, Any]] = Field(description="Case-law principles, each with its sources and tags")
    comparables: dict[str, Any] | None = Field(description="Comparable proven outcomes: count, distribution, cases")
    sanction: str
    outlier: bool
    outlier_grounds: list[str]
    outlier_words: list[str]
    reasoning_gaps: list[str]
    vocabularies: dict[str, list[dict[str, Any]]] = Field(description="The factors to choose from, by field")
