"""API: intelligence records (issue #6 §1). Thin: every operation is one call to `intelligence.services`
or `intelligence.selectors`. Only the owning force's staff reach a record here."""

# No `from __future__ import annotations`: ninja reads the operations' annotations through the
# `requires` guard, whose module globals cannot resolve names given as strings.

import datetime as dt

from ninja import Field, Path, Query, Router, Schema, Status

from forewarn.core.schemas import MAX_ID, PROBLEMS, Id, In, Version, actor_of, choice_of
from forewarn.intelligence import selectors, services
from forewarn.intelligence.models import (
    HandlingCode,
    IntelligenceAssessment,
    IntelligenceRecord,
    SourceEvaluation,
)
from forewarn.organisations.access import requires
from forewarn.workforce.models import Rank, Sex

router = Router(tags=["intelligence"])
RecordId = Path(..., ge=1, le=MAX_ID)


def owned_record(actor, value, kwargs):
    """Access helper for `intelligence_id`: the actor's own force's records only (NotFound otherwise)."""
    return selectors.intelligence_get_for_actor(actor=actor, intelligence_id=value)


OWN = {"intelligence_id": owned_record}


class IntelligenceIn(In):
    reference: str = Field(..., min_length=1, max_length=40, description="Your force's reference")
    received_on: dt.date
    source_evaluation: choice_of(SourceEvaluation.values) = Field(..., description="3x5x2: 1, 2 or 3")
    intelligence_assessment: choice_of(IntelligenceAssessment.values) = Field(..., description="3x5x2: A to E")
    handling_code: choice_of(HandlingCode.values) = Field(..., description="3x5x2: P or C")
    handling_conditions: str = Field("", max_length=2000, description="Required for C")
    summary_may_be_disclosed: bool = Field(False, description="C only: the conditions allow the summary on a "
                                                               "disclosure schedule")
    summary: str = Field(..., min_length=1, max_length=5000)
    sensitive: bool = Field(False, description="Content never leaves your force")
    person_id: Id | None = Field(None, description="The person, if already identified")
    name_as_given: str = Field("", max_length=200)
    rank_as_given: choice_of(Rank.values, blank=True) = ""
    number_as_given: str = Field("", max_length=20)
    station_as_given: str = Field("", max_length=120)
    approximate_age: int | None = Field(None, ge=16, le=90)
    date_of_birth_as_given: dt.date | None = None
    sex_as_given: choice_of(Sex.values, blank=True) = ""


class LinkIn(In):
    person_id: Id
    reason: str = Field("", max_length=2000)
    expected_version: Version | None = None


class UnlinkIn(In):
    reason: str = Field(..., min_length=1, max_length=2000)
    expected_version: Version | None = None


class CandidateOut(Schema):
    person_id: int
    probability: float
    match_weight: float


class IntelligenceOut(Schema):
    id: int
    organisation: str
    reference: str
    received_on: dt.date
    grading: str
    source_evaluation: str
    intelligence_assessment: str
    handling_code: str
    handling_conditions: str
    summary_may_be_disclosed: bool
    summary: str
    sensitive: bool
    described_as: str
    name_as_given: str
    rank_as_given: str
    number_as_given: str
    station_as_given: str
    approximate_age: int | None
    date_of_birth_as_given: dt.date | None
    sex_as_given: str
    person_id: int | None
    link_method: str
    link_probability: float | None
    candidates: list[CandidateOut]
    version: int


class IntelligenceListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[IntelligenceOut]


class ListFilters(Schema):
    person_id: int | None = Field(None, ge=1, le=MAX_ID)
    unlinked: bool = Field(False, description="Only records not yet linked to a person")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)


def record_out(r: IntelligenceRecord) -> dict:
    return {
        "id": r.pk, "organisation": r.organisation.code, "reference": r.reference, "received_on": r.received_on,
        "grading": r.grading, "source_evaluation": r.source_evaluation,
        "intelligence_assessment": r.intelligence_assessment, "handling_code": r.handling_code,
        "handling_conditions": r.handling_conditions, "summary_may_be_disclosed": r.summary_may_be_disclosed,
        "summary": r.summary, "sensitive": r.sensitive, "described_as": r.described_as,
        "name_as_given": r.name_as_given, "rank_as_given": r.rank_as_given, "number_as_given": r.number_as_given,
        "station_as_given": r.station_as_given, "approximate_age": r.approximate_age,
        "date_of_birth_as_given": r.date_of_birth_as_given, "sex_as_given": r.sex_as_given,
        "person_id": r.person_id, "link_method": r.link_method, "link_probability": r.link_probability,
        "candidates": r.candidates, "version": r.version,
    }


@router.post("/intelligence", response={201: IntelligenceOut, **PROBLEMS},
             summary="Record an intelligence report (3x5x2 graded) for your force; a described subject gets "
                     "proposed matches")
@requires("intelligence.record")
def intelligence_record(request, data: IntelligenceIn):
    record = services.intelligence_record(actor=actor_of(request), **data.model_dump())
    return Status(201, record_out(record))


@router.get("/intelligence", response={200: IntelligenceListOut, **PROBLEMS},
            summary="Your force's intelligence records, newest first")
@requires("intelligence.read")
def intelligence_list(request, filters: Query[ListFilters]):
    count, page = selectors.intelligence_for_actor(actor=actor_of(request), person_id=filters.person_id,
                                                   unlinked=filters.unlinked, limit=filters.limit,
                                                   offset=filters.offset)
    return {"count": count, "limit": filters.limit, "offset": filters.offset, "items": [record_out(r) for r in page]}


@router.get("/intelligence/{intelligence_id}", response={200: IntelligenceOut, **PROBLEMS},
            summary="One of your force's intelligence records (an audited read)")
@requires("intelligence.read", objects=OWN)
def intelligence_get(request, intelligence_id: int = RecordId):
    return record_out(selectors.intelligence_read(actor=actor_of(request), intelligence_id=intelligence_id))


@router.post("/intelligence/{intelligence_id}/link", response={200: IntelligenceOut, **PROBLEMS},
             summary="Link the record to a person (a proposed candidate or anyone): it joins their disclosure "
                     "schedules")
@requires("intelligence.link", objects=OWN)
def intelligence_link(request, data: LinkIn, intelligence_id: int = RecordId):
    return record_out(services.intelligence_link(actor=actor_of(request), intelligence_id=intelligence_id,
                                                 **data.model_dump()))


@router.post("/intelligence/{intelligence_id}/unlink", response={200: IntelligenceOut, **PROBLEMS},
             summary="Undo the record's link to a person (with a reason)")
@requires("intelligence.link", objects=OWN)
def intelligence_unlink(request, data: UnlinkIn, intelligence_id: int = RecordId):
    return record_out(services.intelligence_unlink(actor=actor_of(request), intelligence_id=intelligence_id,
                                                   **data.model_dump()))
