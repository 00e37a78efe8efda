"""API: disclosure schedules (issue #6 §1). Thin: every operation is one call to `disclosure.services`."""

# No `from __future__ import annotations`: ninja reads the operations' annotations through the
# `requires` guard, whose module globals cannot resolve names given as strings.

import datetime as dt

from django.http import HttpResponse
from ninja import Field, Path, Router, Schema, Status

from forewarn.core.schemas import MAX_ID, PROBLEMS, Id, In, actor_of
from forewarn.disclosure import exports, services
from forewarn.disclosure.models import Schedule, ScheduleVersion
from forewarn.organisations.access import requires

router = Router(tags=["disclosure schedules"])
ObjId = Path(..., ge=1, le=MAX_ID)


class ScheduleIn(In):
    person_id: Id | None = Field(None, description="The subject person (default: the proceeding's)")
    kind: str = Field("", max_length=24, description="misconduct_meeting, misconduct_hearing, appeal, pat, "
                                                     "complainant_review, judicial_review, criminal or civil")
    proceeding_id: Id | None = None
    challenge_id: Id | None = None
    title: str = Field("", max_length=300)
    disclosure_officer_id: Id | None = Field(None, description="Default: you")


class ItemOut(Schema):
    id: int
    key: str
    source: str
    facts: dict
    added_after_version: int
    no_longer_linked: bool
    decision: str
    reason: str
    decided_at: dt.datetime | None


class VersionOut(Schema):
    number: int
    content_hash: str
    served_at: dt.datetime
    served_to: str


class ScheduleOut(Schema):
    id: int
    case_id: int
    case_reference: str
    person_id: int
    person_name: str
    kind: str
    title: str
    status: str
    disclosure_officer: str
    served_version: int
    items: list[ItemOut]
    versions: list[VersionOut]
    open_drift_notices: int


class DecisionIn(In):
    decision: str = Field(..., max_length=16, description="disclosed, not_relevant or withheld")
    reason: str = Field("", max_length=5000, description="Required for not_relevant and withheld")


class ServeIn(In):
    served_to: str = Field(..., max_length=300)


def item_out(item, facts: dict) -> dict:
    return {"id": item.pk, "key": item.key, "source": item.source, "facts": facts,
            "added_after_version": item.added_after_version, "no_longer_linked": item.no_longer_linked,
            "decision": item.decision, "reason": item.reason, "decided_at": item.decided_at}


def version_out(version: ScheduleVersion) -> dict:
    return {"number": version.number, "content_hash": version.content_hash, "served_at": version.served_at,
            "served_to": version.served_to}


def schedule_out(schedule: Schedule, *, actor) -> dict:
    items = [item_out(row["item"], row["facts"]) for row in services.items_for(schedule, actor=actor)]
    return {
        "id": schedule.pk, "case_id": schedule.case_id, "case_reference": schedule.case.reference,
        "person_id": schedule.person_id, "person_name": schedule.person.full_name, "kind": schedule.kind,
        "title": schedule.title, "status": schedule.status, "served_version": schedule.served_version,
        "disclosure_officer": schedule.disclosure_officer.username, "items": items,
        "versions": [version_out(v) for v in schedule.versions.order_by("number")],
        "open_drift_notices": schedule.drift_notices.filter(acknowledged_at__isnull=True).count(),
    }


@router.post("/cases/{case_id}/disclosure-schedules", response={201: ScheduleOut, **PROBLEMS},
             summary="Open a disclosure schedule for a proceeding: every record linked to the subject person")
@requires("disclosure.schedule.open")
def schedule_open(request, data: ScheduleIn, case_id: int = ObjId):
    actor = actor_of(request)
    schedule = services.schedule_open(actor=actor, case_id=case_id, **data.model_dump())
    return Status(201, schedule_out(schedule, actor=actor))


@router.get("/disclosure-schedules/{schedule_id}", response={200: ScheduleOut, **PROBLEMS},
            summary="A disclosure schedule: its items, decisions and served versions (an audited read)")
@requires("disclosure.schedule.read")
def schedule_read(request, schedule_id: int = ObjId):
    actor = actor_of(request)
    return schedule_out(services.schedule_read(actor=actor, schedule_id=schedule_id), actor=actor)


@router.post("/disclosure-schedules/{schedule_id}/items/{item_id}/decision", response={200: ItemOut, **PROBLEMS},
             summary="Record the disclosure officer's decision on one item")
@requires("disclosure.schedule.decide")
def item_decide(request, data: DecisionIn, schedule_id: int = ObjId, item_id: int = ObjId):
    item = services.item_decide(actor=actor_of(request), schedule_id=schedule_id, item_id=item_id,
                                **data.model_dump())
    return item_out(item, item.facts)


@router.post("/disclosure-schedules/{schedule_id}/serve", response={201: VersionOut, **PROBLEMS},
             summary="Serve the schedule: seal the next version (every item must have a decision)")
@requires("disclosure.schedule.decide")
def schedule_serve(request, data: ServeIn, schedule_id: int = ObjId):
    version: ScheduleVersion = services.schedule_serve(actor=actor_of(request), schedule_id=schedule_id,
                                                       **data.model_dump())
    return Status(201, version_out(version))


@router.post("/disclosure-schedules/{schedule_id}/complete", response={200: ScheduleOut, **PROBLEMS},
             summary="Complete the schedule (every item decided and served)")
@requires("disclosure.schedule.decide")
def schedule_complete(request, schedule_id: int = ObjId):
    actor = actor_of(request)
    return schedule_out(services.schedule_complete(actor=actor, schedule_id=schedule_id), actor=actor)


@router.get("/disclosure-schedules/{schedule_id}/export.csv", response={200: None, **PROBLEMS},
            summary="The schedule as CSV, with the redactions applied (an audited read)")
@requires("disclosure.schedule.read")
def schedule_csv(request, schedule_id: int = ObjId):
    actor = actor_of(request)
    schedule = services.schedule_read(actor=actor, schedule_id=schedule_id)
    return HttpResponse(exports.schedule_csv(schedule), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="schedule-{schedule.pk}.csv"'})


@router.get("/disclosure-schedules/{schedule_id}/export.pdf", response={200: None, **PROBLEMS},
            summary="The schedule as PDF, with the redactions applied (an audited read)")
@requires("disclosure.schedule.read")
def schedule_pdf(request, schedule_id: int = ObjId):
    actor = actor_of(request)
    schedule = services.schedule_read(actor=actor, schedule_id=schedule_id)
    return HttpResponse(exports.schedule_pdf(schedule), content_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="schedule-{schedule.pk}.pdf"'})
