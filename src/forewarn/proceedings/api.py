"""API: misconduct proceedings, challenges to their outcomes, and barred/advisory list referrals."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Path, Query, Router, Schema, Status

from forewarn.core.api import available_actions
from forewarn.core.schemas import MAX_ID, PROBLEMS, Id, In, actor_of
from forewarn.organisations.access import requires
from forewarn.proceedings import panel, selectors, services
from forewarn.proceedings.schemas import (
    ChallengeIn,
    ChallengeOut,
    GuidanceDraftIn,
    GuidanceOut,
    GuidanceQuery,
    ListReferralIn,
    ListReferralOut,
    ProceedingOut,
    ProceedingReferIn,
)

router = Router(tags=["proceedings"])
ObjId = Path(..., ge=1, le=MAX_ID)


def challenge_out(c) -> dict:
    return {"id": c.id, "proceeding_id": c.proceeding_id, "parent_id": c.parent_id, "route": c.route,
            "status": c.status, "status_label": c.get_status_display(), "status_since": c.status_since,
            "applicant": c.applicant, "lodged_on": c.lodged_on, "late_reason": c.late_reason,
            "substituted_sanction": c.substituted_sanction, "version": c.version}


def _assessment_out(p) -> dict | None:
    from forewarn.guidance.models import OutcomeAssessment  # guidance sits above proceedings

    # The assessment of the outcome that stands: an outcome substituted on appeal is assessed after the panel's.
    a = OutcomeAssessment.objects.filter(proceeding_id=p.pk).order_by("-id").first() if p.sanction else None
    if a is None:
        return None
    return {"decision": a.decision, "guidance_version": a.guidance_version, "decided_on": a.decided_on, "sanction": a.sanction,
            "band": a.band, "range_floor": a.range_floor, "range_ceiling": a.range_ceiling, "is_outlier": a.is_outlier,
            "outlier_grounds": list(a.outlier_grounds), "outlier_words": list(a.outlier_words),
            "outlier_reasons": a.outlier_reasons, "reasoning_gaps": list(a.reasoning_gaps)}


def proceeding_out(p, *, actor) -> dict:
    items = p.items.select_related("subject_allegation__allegation").order_by("id")
    return {
        "id": p.id, "case_id": p.case_id, "case_reference": p.case.reference, "person_id": p.person_id,
        "form": p.form, "status": p.status, "status_label": p.get_status_display(), "status_since": p.status_since,
        "regime": p.regime, "panel_regime": p.panel_regime, "notice_on": p.notice_on,
        "scheduled_for": p.scheduled_for, "is_former_officer": p.is_former_officer,
        "final_written_warning_in_force": p.final_written_warning_in_force,
        "panel": [{"role": str(m.get("role", "")), "name": str(m.get("name", ""))} for m in p.panel or []
                  if isinstance(m, dict)],
        "sanction": p.sanction, "sanction_effective_on": p.sanction_effective_on,
        "sanction_expires_on": p.sanction_expires_on, "published_on": p.published_on,
        "remitted_from_id": p.remitted_from_id,
        "outcome_assessment": _assessment_out(p),
        "items": [{"subject_allegation_id": i.subject_allegation_id,
                   "allegation_number": i.subject_allegation.allegation.number, "finding": i.finding,
                   "admitted": i.admitted} for i in items],
        "challenges": [challenge_out(c) for c in p.challenges.order_by("lodged_on", "id")],
        "actions": available_actions(actor=actor, obj=p),
        "version": p.version,
    }


@router.post("/proceedings", response={201: ProceedingOut, **PROBLEMS},
             summary="Refer an officer's allegations to a meeting, hearing or accelerated hearing")
@requires("proceeding.refer")
def proceeding_create(request, data: ProceedingReferIn):
    actor = actor_of(request)
    proceeding = services.proceeding_refer(actor=actor, **data.model_dump())
    return Status(201, proceeding_out(proceeding, actor=actor))


@router.get("/proceedings/{proceeding_id}", response={200: ProceedingOut, **PROBLEMS}, summary="One proceeding")
@requires("proceeding.read")
def proceeding_get(request, proceeding_id: int = ObjId):
    actor = actor_of(request)
    return proceeding_out(selectors.proceeding_get_for_actor(actor=actor, proceeding_id=proceeding_id), actor=actor)


@router.post("/proceedings/{proceeding_id}/challenges", response={201: ChallengeOut, **PROBLEMS},
             summary="Record an appeal, PAT appeal, judicial review or Court of Appeal challenge")
@requires("challenge.lodge")
def challenge_create(request, data: ChallengeIn, proceeding_id: int = ObjId):
    challenge = services.challenge_lodge(actor=actor_of(request), proceeding_id=proceeding_id, **data.model_dump())
    return Status(201, challenge_out(challenge))


@router.post("/list-referrals", response={201: ListReferralOut, **PROBLEMS},
             summary="Record a report to the police barred or advisory list")
@requires("list_referral.record")
def list_referral_create(request, data: ListReferralIn):
    r = services.list_referral_record(actor=actor_of(request), **data.model_dump())
    return Status(201, {"id": r.id, "case_id": r.case_id, "proceeding_id": r.proceeding_id,
                        "subject_allegation_id": r.subject_allegation_id, "person_id": r.person_id, "kind": r.kind,
                        "reported_on": r.reported_on, "standards": list(r.standards),
                        "conduct_description": r.conduct_description})


# -- the panel ----------------------------------------------------------------------------------
class PanelSeatIn(In):
    user_id: Id
    role: str = Field(..., max_length=10, description="chair or member")


class PanelSeatOut(Schema):
    user_id: int
    username: str
    full_name: str
    role: str
    added_at: dt.datetime


def panel_seat_out(seat) -> dict:
    return {"user_id": seat.user_id, "username": seat.user.username, "full_name": seat.user.get_full_name(),
            "role": seat.role, "added_at": seat.added_at}


@router.get("/proceedings/{proceeding_id}/panel", response={200: list[PanelSeatOut], **PROBLEMS},
            summary="Who sits on a proceeding's panel")
@requires("proceeding.panel.read")
def panel_list(request, proceeding_id: int = ObjId):
    return [panel_seat_out(s) for s in panel.panel_for_proceeding(actor=actor_of(request),
                                                                    proceeding_id=proceeding_id)]


@router.post("/proceedings/{proceeding_id}/panel", response={201: PanelSeatOut, **PROBLEMS},
             summary="Seat a panel member (they see the case's papers until the proceeding closes)")
@requires("proceeding.panel.manage")
def panel_add(request, data: PanelSeatIn, proceeding_id: int = ObjId):
    seat = panel.panel_member_add(actor=actor_of(request), proceeding_id=proceeding_id, user_id=data.user_id,
                                  role=data.role)
    return Status(201, panel_seat_out(seat))


@router.delete("/proceedings/{proceeding_id}/panel/{user_id}", response={204: None, **PROBLEMS},
               summary="Stand a panel member down")
@requires("proceeding.panel.manage")
def panel_remove(request, proceeding_id: int = ObjId, user_id: int = ObjId):
    panel.panel_member_remove(actor=actor_of(request), proceeding_id=proceeding_id, user_id=user_id)
    return Status(204, None)


# -- the outcomes guidance (issue #6 §2) ------------------------------------------------------------
def _guidance(request, proceeding_id: int, values: dict) -> dict:
    from forewarn.guidance.selectors import guidance_for_proceeding  # guidance sits above proceedings

    return guidance_for_proceeding(actor=actor_of(request), proceeding_id=proceeding_id, values=values)


@router.get("/proceedings/{proceeding_id}/guidance", response={200: GuidanceOut, **PROBLEMS},
            summary="The outcomes guidance for a proceeding: indicative range, principles, comparable outcomes")
@requires("proceeding.guidance.read")
def guidance_get(request, filters: Query[GuidanceQuery], proceeding_id: int = ObjId):
    return _guidance(request, proceeding_id, filters.model_dump())


@router.post("/proceedings/{proceeding_id}/guidance", response={200: GuidanceOut, **PROBLEMS},
             summary="The outcomes guidance for a proceeding, given a draft structured assessment (nothing is saved)")
@requires("proceeding.guidance.read")
def guidance_post(request, data: GuidanceDraftIn, proceeding_id: int = ObjId):
    return _guidance(request, proceeding_id, data.model_dump())
