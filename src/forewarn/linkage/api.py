"""API: identifying subjects (issue #5 §1) — proposals with evidence, the review queue, decisions, undo,
and an organisation's thresholds. Thin: every operation is one call to `linkage.identification`."""

# No `from __future__ import annotations`: ninja reads the operations' annotations through the
# `requires` guard, whose module globals cannot resolve names given as strings.

import datetime as dt

from ninja import Field, Path, Router, Schema, Status

from forewarn.core.schemas import MAX_ID, PROBLEMS, Id, In, Version, actor_of
from forewarn.linkage import identification
from forewarn.linkage.models import Identification, MatchThresholds
from forewarn.organisations.access import requires

router = Router(tags=["identity resolution"])
ObjId = Path(..., ge=1, le=MAX_ID)


class EvidenceOut(Schema):
    field: str
    what: str = Field(description="The field in words")
    words: str = Field(description="How the description and the record compared")
    weight: float = Field(description="Splink's match weight for this field (bits; negative counts against)")


class CandidateOut(Schema):
    id: int
    position: int
    person_id: int
    person_name: str
    organisation: str | None = Field(None, description="The force of the appointment that matched best")
    service_number: str | None = None
    probability: float
    match_weight: float
    decision: str
    evidence: list[EvidenceOut]


class IdentificationOut(Schema):
    id: int
    subject_id: int
    case_id: int
    case_reference: str
    status: str
    status_label: str
    model_version: int
    auto_link_threshold: float
    review_threshold: float
    details: dict = Field(description="The description as compared (normalised)")
    person_id: int | None
    decided_by: str | None
    decided_at: dt.datetime | None
    reason: str
    created_at: dt.datetime
    candidates: list[CandidateOut]


class DecisionIn(In):
    candidate_id: Id
    reason: str = Field("", max_length=2000)


class ReasonIn(In):
    reason: str = Field(..., max_length=2000)


class UndoIn(In):
    reason: str = Field(..., max_length=2000)
    expected_version: Version | None = Field(None, description="Refuse with 409 if the subject has changed since.")


class ThresholdsIn(In):
    auto_link: float = Field(..., description="Link automatically at or above this probability")
    review: float = Field(..., description="Put before a reviewer at or above this probability")


class ThresholdsOut(Schema):
    organisation_id: int
    auto_link: float
    review: float


def identification_out(found: Identification) -> dict:
    candidates = []
    for c in found.candidates.all():
        appointment = c.appointment
        candidates.append({
            "id": c.pk, "position": c.position, "person_id": c.person_id, "person_name": c.person.full_name,
            "organisation": appointment.organisation.code if appointment else None,
            "service_number": appointment.service_number if appointment else None,
            "probability": c.probability, "match_weight": c.match_weight, "decision": c.decision or "proposed",
            "evidence": c.evidence})
    return {
        "id": found.pk, "subject_id": found.subject_allegation_id, "case_id": found.case_id,
        "case_reference": found.case.reference, "status": found.status, "status_label": found.get_status_display(),
        "model_version": found.model_version, "auto_link_threshold": found.auto_link_threshold,
        "review_threshold": found.review_threshold, "details": found.details, "person_id": found.person_id,
        "decided_by": found.decided_by.username if found.decided_by else None, "decided_at": found.decided_at,
        "reason": found.reason, "created_at": found.created_at, "candidates": candidates}


def _reloaded(found: Identification) -> dict:
    found = (Identification.objects.select_related("case", "decided_by")
             .prefetch_related("candidates__person", "candidates__appointment__organisation").get(pk=found.pk))
    return identification_out(found)


@router.get("/identifications/review", response={200: list[IdentificationOut], **PROBLEMS},
            summary="The review queue: proposed matches awaiting a decision on the cases in scope, oldest first")
@requires("identification.queue")
def review_queue(request):
    found = identification.review_queue(actor=actor_of(request))
    return [_reloaded(i) for i in found]


@router.get("/subjects/{subject_id}/identification", response={200: IdentificationOut | None, **PROBLEMS},
            summary="A subject's latest identification: its candidates, probabilities and evidence")
@requires("subject.identification.review")
def subject_identification(request, subject_id: int = ObjId):
    found = identification.subject_identification(actor=actor_of(request), subject_allegation_id=subject_id)
    return _reloaded(found) if found else None


@router.post("/subjects/{subject_id}/identify", response={201: IdentificationOut, **PROBLEMS},
             summary="Match an unidentified subject against the workforce again now")
@requires("subject.identification.review")
def subject_identify(request, subject_id: int = ObjId):
    found = identification.subject_identify(actor=actor_of(request), subject_allegation_id=subject_id)
    return Status(201, _reloaded(found))


@router.post("/identifications/{identification_id}/accept", response={200: IdentificationOut, **PROBLEMS},
             summary="Accept a candidate: the subject is linked to that person")
@requires("subject.identification.review")
def accept(request, data: DecisionIn, identification_id: int = ObjId):
    found = identification.identification_accept(actor=actor_of(request), identification_id=identification_id,
                                                 **data.model_dump())
    return _reloaded(found)


@router.post("/identifications/{identification_id}/reject", response={200: IdentificationOut, **PROBLEMS},
             summary="Reject one candidate (a reason is required)")
@requires("subject.identification.review")
def reject(request, data: DecisionIn, identification_id: int = ObjId):
    found = identification.identification_reject(actor=actor_of(request), identification_id=identification_id,
                                                 **data.model_dump())
    return _reloaded(found)


@router.post("/identifications/{identification_id}/none", response={200: IdentificationOut, **PROBLEMS},
             summary="None of these candidates is the officer (a reason is required)")
@requires("subject.identification.review")
def none_of_these(request, data: ReasonIn, identification_id: int = ObjId):
    found = identification.identification_none(actor=actor_of(request), identification_id=identification_id,
                                               **data.model_dump())
    return _reloaded(found)


@router.post("/subjects/{subject_id}/unlink", response={200: dict, **PROBLEMS},
             summary="Undo a subject's link (automatic, reviewed or manual): the forces told get a correction")
@requires("subject.identification.review")
def unlink(request, data: UndoIn, subject_id: int = ObjId):
    subject = identification.link_undo(actor=actor_of(request), subject_allegation_id=subject_id, **data.model_dump())
    return {"id": subject.pk, "person_id": subject.person_id, "version": subject.version}


@router.put("/organisations/{organisation_id}/match-thresholds", response={200: ThresholdsOut, **PROBLEMS},
            summary="Set one's organisation's thresholds for automatic links and for review")
@requires("linkage.thresholds.set")
def thresholds_set(request, data: ThresholdsIn, organisation_id: int = ObjId):
    row: MatchThresholds = identification.match_thresholds_set(actor=actor_of(request),
                                                              organisation_id=organisation_id, **data.model_dump())
    return {"organisation_id": row.organisation_id, "auto_link": row.auto_link, "review": row.review}
