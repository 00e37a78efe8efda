"""API: cases, their parties, allegations and subjects; the timeline; overdue clocks."""

from __future__ import annotations

from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status

from forewarn.cases import selectors, services
from forewarn.cases.models import Case, SubjectAllegation
from forewarn.cases.redaction import PartyView, redact_parties
from forewarn.cases.schemas import (
    AllegationIn,
    AllegationOut,
    CaseDetailOut,
    CaseIn,
    CaseListOut,
    CaseStatusFilter,
    CaseSummaryOut,
    CaseTypeFilter,
    CategoryFilter,
    ClockOut,
    EventOut,
    PartyIn,
    PartyOut,
    SubjectIn,
    SubjectLinkIn,
    SubjectOut,
)
from forewarn.core.api import available_actions
from forewarn.core.clocks import CLOCK_RULES, ClockKind
from forewarn.core.schemas import MAX_ID, PROBLEMS, Id, QueryText, actor_of
from forewarn.organisations.access import requires

router = Router(tags=["cases"])
ObjId = Path(..., ge=1, le=MAX_ID)
# Reads of a restricted case must say why (issue #3); the reason goes to the read audit.
ReadReason = Query("", max_length=2000, description="Why you are reading the case (required when it is restricted)")


# -- shaping ----------------------------------------------------------------------------------
def case_summary(case: Case, allegation_count: int | None = None) -> dict:
    org = case.organisation
    return {
        "id": case.id, "reference": case.reference, "case_type": case.case_type, "status": case.status,
        "status_label": case.get_status_display(), "status_since": case.status_since, "regime": case.regime,
        "organisation": {"id": org.id, "code": org.code, "name": org.name},
        "came_to_attention_on": case.came_to_attention_on, "incident_date": case.incident_date,
        "summary": case.summary, "restricted": case.restricted, "suspension_status": case.suspension_status,
        "allegation_count": allegation_count if allegation_count is not None
        else getattr(case, "allegation_count", None) or case.allegations.count(),
        "version": case.version,
    }


def party_out(party: PartyView) -> dict:
    """A party as this reader may see it: only ever built from `cases.redaction` (never a model)."""
    return party.as_dict()


def allegation_out(allegation, subject_ids: list[int]) -> dict:
    return {"id": allegation.id, "case_id": allegation.case_id, "number": allegation.number,
            "category": allegation.category, "subcategory": allegation.subcategory,
            "standards": list(allegation.standards), "flags": list(allegation.flags),
            "description": allegation.description,
            "subject_ids": subject_ids, "version": allegation.version}


def subject_out(sa: SubjectAllegation, *, actor=None) -> dict:
    return {
        "id": sa.id, "case_id": sa.case_id, "allegation_id": sa.allegation_id,
        "allegation_number": sa.allegation.number, "person_id": sa.person_id, "subject_label": sa.subject_label,
        "name_as_given": sa.name_as_given, "rank_as_given": sa.rank_as_given,
        "number_as_given": sa.number_as_given, "station_as_given": sa.station_as_given,
        "approximate_age": sa.approximate_age, "sex_as_given": sa.sex_as_given,
        "date_of_birth_as_given": sa.date_of_birth_as_given, "status": sa.status, "status_label": sa.get_status_display(), "severity": sa.severity,
        "criminal_status": sa.criminal_status, "is_former_officer": sa.is_former_officer, "version": sa.version,
        "actions": available_actions(actor=actor, obj=sa) if actor is not None else [],
    }


def clock_out(clock, today) -> dict:
    try:
        kind = ClockKind(clock.kind)
        label, is_task = str(kind.label), CLOCK_RULES[kind].is_task
    except (ValueError, KeyError):
        label, is_task = clock.kind, True
    return {"id": clock.id, "kind": clock.kind, "label": label, "started_on": clock.started_on,
            "due_on": clock.due_on, "paused_on": clock.paused_on,
            "overdue": is_task and clock.stopped_on is None and clock.paused_on is None and clock.due_on < today,
            "case_id": clock.case_id, "case_reference": clock.case.reference,
            "subject_allegation_id": clock.subject_allegation_id, "proceeding_id": clock.proceeding_id}


def event_out(event) -> dict:
    return {"id": event.id, "occurred_on": event.occurred_on, "occurred_at": event.occurred_at,
            "action": event.action, "object_type": event.object_type, "object_id": event.object_id,
            "from_state": event.from_state, "to_state": event.to_state,
            "actor": event.actor.get_full_name() or event.actor.username if event.actor else None,
            "organisation": event.organisation.code if event.organisation else None,
            "reason": event.reason, "data": event.data if isinstance(event.data, dict) else {"value": event.data}}


# -- endpoints --------------------------------------------------------------------------------
class CaseFilters(Schema):
    type: CaseTypeFilter = Field("", description="Case type")
    status: CaseStatusFilter = ""
    category: CategoryFilter = Field("", description="Has an allegation in this category")
    organisation: Id | None = None
    overdue: bool = False
    q: QueryText = Field("", description="Reference, summary or subject name")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)


@router.get("/cases", response={200: CaseListOut, **PROBLEMS}, summary="Cases the caller may see")
@requires("case.list")
def case_list(request, filters: Query[CaseFilters]):
    qs = selectors.case_list(actor=actor_of(request), case_type=filters.type, status=filters.status,
                             category=filters.category, organisation_id=filters.organisation,
                             overdue=filters.overdue, search=filters.q)
    page = list(qs[filters.offset:filters.offset + filters.limit])
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset,
            # A restricted case's text is read only with a stated reason (GET /cases/{id}?reason=…), never in a list.
            "items": [{**case_summary(c), "summary": ""} if c.restricted else case_summary(c) for c in page]}


@router.post("/cases", response={201: CaseSummaryOut, **PROBLEMS}, summary="Record a complaint, conduct or DSI matter")
@requires("case.record")
def case_create(request, data: CaseIn):
    case = services.case_record(actor=actor_of(request), **data.model_dump())
    return Status(201, case_summary(case, allegation_count=0))


@router.get("/cases/{case_id}", response={200: CaseDetailOut, **PROBLEMS},
            summary="One case: parties, allegations, subjects, clocks and the caller's available actions")
@requires("case.read")
def case_get(request, case_id: int = ObjId, reason: str = ReadReason):
    actor = actor_of(request)
    detail = selectors.case_detail(actor=actor, case_id=case_id, reason=reason)
    case = detail["case"]
    today = timezone.localdate()
    subjects_by_allegation: dict[int, list[int]] = {}
    for sa in detail["subjects"]:
        subjects_by_allegation.setdefault(sa.allegation_id, []).append(sa.id)
    return {
        **case_summary(case, allegation_count=len(detail["allegations"])),
        "incident_location": case.incident_location, "handling_route": case.handling_route,
        "investigation_mode": case.investigation_mode, "recorded_on": case.recorded_on,
        "referred_on": case.referred_on, "review_body": case.review_body,
        "parties": [party_out(p) for p in detail["parties"]],
        "allegations": [allegation_out(a, subjects_by_allegation.get(a.id, [])) for a in detail["allegations"]],
        "subjects": [subject_out(sa, actor=actor) for sa in detail["subjects"]],
        "clocks": [clock_out(c, today) for c in detail["clocks"]],
        "actions": available_actions(actor=actor, obj=case),
    }


@router.get("/cases/{case_id}/timeline", response={200: list[EventOut], **PROBLEMS},
            summary="Every recorded step on the case, oldest first")
@requires("case.read")
def case_timeline(request, case_id: int = ObjId, reason: str = ReadReason):
    detail = selectors.case_detail(actor=actor_of(request), case_id=case_id, reason=reason)
    return [event_out(e) for e in detail["timeline"]]


@router.post("/cases/{case_id}/parties", response={201: PartyOut, **PROBLEMS}, summary="Add a party")
@requires("party.add")
def party_create(request, data: PartyIn, case_id: int = ObjId):
    actor = actor_of(request)
    party = services.party_add(actor=actor, case_id=case_id, **data.model_dump())
    (shown,) = redact_parties(actor=actor, case=party.case, parties=[party])
    return Status(201, party_out(shown))


@router.post("/cases/{case_id}/allegations", response={201: AllegationOut, **PROBLEMS},
             summary="Add an allegation")
@requires("allegation.add")
def allegation_create(request, data: AllegationIn, case_id: int = ObjId):
    allegation = services.allegation_add(actor=actor_of(request), case_id=case_id, **data.model_dump())
    return Status(201, allegation_out(allegation, []))


@router.post("/allegations/{allegation_id}/subjects", response={201: SubjectOut, **PROBLEMS},
             summary="Add an officer (identified or described) as a subject of an allegation")
@requires("subject.add")
def subject_create(request, data: SubjectIn, allegation_id: int = ObjId):
    actor = actor_of(request)
    sa = services.subject_add(actor=actor, allegation_id=allegation_id, **data.model_dump())
    return Status(201, subject_out(sa, actor=actor))


@router.post("/subjects/{subject_id}/link", response={200: SubjectOut, **PROBLEMS},
             summary="Link a subject to the person they are")
@requires("subject.link")
def subject_link(request, data: SubjectLinkIn, subject_id: int = ObjId):
    actor = actor_of(request)
    sa = services.subject_link_person(actor=actor, subject_allegation_id=subject_id, **data.model_dump())
    return subject_out(sa, actor=actor)


class OverdueFilters(Schema):
    organisation: Id | None = None


@router.get("/clocks/overdue", response={200: list[ClockOut], **PROBLEMS},
            summary="Open statutory steps past their due date, in the caller's scope")
@requires("clock.list")
def clock_overdue(request, filters: Query[OverdueFilters]):
    today = timezone.localdate()
    return [clock_out(c, today) for c in selectors.overdue_clocks(actor=actor_of(request),
                                                                  organisation_id=filters.organisation)]
