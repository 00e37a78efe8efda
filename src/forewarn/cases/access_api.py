"""API: who may see a case — its restriction, its named participants, break-glass openings."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Field, Path, Router, Schema, Status

from forewarn.cases import restriction
from forewarn.cases.api import case_summary
from forewarn.cases.models import ParticipantRole, RestrictionKind
from forewarn.cases.schemas import CaseSummaryOut
from forewarn.cases.selectors import break_glass_alerts
from forewarn.core.schemas import MAX_ID, PROBLEMS, Id, In, Version, actor_of, choice_of
from forewarn.organisations.access import owning_force_case, requires

router = Router(tags=["access"])
ObjId = Path(..., ge=1, le=MAX_ID)


class RestrictionIn(In):
    restricted: bool = Field(..., description="true to restrict the case to its named participants, false to lift it")
    kind: choice_of(RestrictionKind.values, blank=True) = Field("", description="The kind of restriction (when restricting)")
    reason: str = Field(..., max_length=2000)
    expected_version: Version | None = Field(None, description="Refuse with 409 if the case has changed since.")


class ParticipantIn(In):
    user_id: Id
    role: choice_of(ParticipantRole.values) = Field(..., description="A role the user holds on this case")


class ParticipantOut(Schema):
    user_id: int
    username: str
    full_name: str
    organisation: str | None
    role: str
    added_at: dt.datetime


class BreakGlassIn(In):
    reason: str = Field(..., max_length=2000, description="Why the case must be opened; audited and sent to the "
                                                          "head of professional standards")


class BreakGlassOut(Schema):
    id: int
    case_id: int
    case_reference: str
    user: str
    reason: str
    opened_at: dt.datetime
    expires_at: dt.datetime
    active: bool


def participant_out(p) -> dict:
    return {"user_id": p.user_id, "username": p.user.username, "full_name": p.user.get_full_name(),
            "organisation": p.user.organisation.code if p.user.organisation else None, "role": p.role,
            "added_at": p.added_at}


def grant_out(g) -> dict:
    return {"id": g.id, "case_id": g.case_id, "case_reference": g.case.reference,
            "user": g.user.get_full_name() or g.user.username, "reason": g.reason, "opened_at": g.opened_at,
            "expires_at": g.expires_at, "active": g.expires_at > timezone.now()}


@router.post("/cases/{case_id}/restriction", response={200: CaseSummaryOut, **PROBLEMS},
             summary="Restrict a case to its named participants, or lift the restriction")
@requires("case.restrict")
def restriction_set(request, data: RestrictionIn, case_id: int = ObjId):
    actor = actor_of(request)
    if data.restricted:
        case = restriction.case_restrict(actor=actor, case_id=case_id, kind=data.kind, reason=data.reason,
                                         expected_version=data.expected_version)
    else:
        case = restriction.case_unrestrict(actor=actor, case_id=case_id, reason=data.reason,
                                           expected_version=data.expected_version)
    return case_summary(case)


@router.get("/cases/{case_id}/participants", response={200: list[ParticipantOut], **PROBLEMS},
            summary="The people named on a case")
@requires("case.participants.read")
def participant_list(request, case_id: int = ObjId):
    return [participant_out(p) for p in restriction.participants_for_case(actor=actor_of(request), case_id=case_id)]


@router.post("/cases/{case_id}/participants", response={201: ParticipantOut, **PROBLEMS},
             summary="Name a user on a case (it gives them sight of it, restricted or not)")
@requires("case.participants.manage")
def participant_add(request, data: ParticipantIn, case_id: int = ObjId):
    p = restriction.case_participant_add(actor=actor_of(request), case_id=case_id, user_id=data.user_id,
                                         role=data.role)
    return Status(201, participant_out(p))


@router.delete("/cases/{case_id}/participants/{user_id}", response={204: None, **PROBLEMS},
               summary="Remove a user from a case's participants")
@requires("case.participants.manage")
def participant_remove(request, case_id: int = ObjId, user_id: int = ObjId):
    restriction.case_participant_remove(actor=actor_of(request), case_id=case_id, user_id=user_id)
    return Status(204, None)


@router.post("/cases/{case_id}/break-glass", response={201: BreakGlassOut, **PROBLEMS},
             summary="Administrators: open a restricted case of your force for a stated reason (time-limited)")
@requires("case.break_glass", objects={"case_id": owning_force_case})
def break_glass(request, data: BreakGlassIn, case_id: int = ObjId):
    grant = restriction.break_glass_open(actor=actor_of(request), case_id=case_id, reason=data.reason)
    return Status(201, grant_out(grant))


@router.get("/break-glass", response={200: list[BreakGlassOut], **PROBLEMS},
            summary="Heads of professional standards: break-glass openings of your force's cases")
@requires("break_glass.alerts.read")
def break_glass_list(request):
    return [grant_out(g) for g in break_glass_alerts(actor=actor_of(request))]
