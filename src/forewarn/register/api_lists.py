"""API: the barred and advisory lists for police staff (`/api/register/lists`). Thin: the rules are in
`register.lists`. The public barred list is a web page only (the API answers signed-in callers)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Path, Query, Router, Schema

from forewarn.cases.models import Case
from forewarn.core.schemas import MAX_ID, PROBLEMS, In, QueryText, Version, actor_of, choice_of
from forewarn.organisations.access import requires
from forewarn.organisations.permissions import case_scope_q
from forewarn.proceedings.models import ListKind
from forewarn.register import lists
from forewarn.register.models import ListEntryStatus, RemovalReason
from forewarn.register.views_lists import MANAGE, READ

router = Router(tags=["register"])
EntryId = Path(..., ge=1, le=MAX_ID)


class ListEntryOut(Schema):
    id: int
    kind: str
    kind_label: str
    basis: str
    basis_label: str
    status: str
    status_label: str
    status_since: dt.date
    organisation: str = Field(..., description="Code of the force whose appropriate authority reports")
    organisation_name: str
    person_id: int
    # The case, proceeding and allegation ids only when the caller may see the case (otherwise null).
    case_id: int | None
    case_reference: str
    proceeding_id: int | None
    subject_allegation_id: int | None
    name_at_listing: str
    rank: str
    service_number: str
    standards: list[str]
    gross_misconduct: bool
    decided_on: dt.date
    report_due_on: dt.date
    overdue: bool
    reported_on: dt.date | None
    review_not_before: dt.date | None
    published: bool
    publish_until: dt.date | None
    publication_withheld_reason: str
    removed_on: dt.date | None
    removal_reason: str
    removal_note: str
    version: int


class ListEntryListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[ListEntryOut]


class ListFilters(Schema):
    kind: choice_of(ListKind.values, blank=True) = Field("", description="barred or advisory")
    status: choice_of(ListEntryStatus.values, blank=True) = ""
    overdue: bool = Field(False, description="Only entries awaiting a report past its due date")
    q: QueryText = Field("", description="Name at listing")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)


class ReportIn(In):
    reported_on: dt.date
    conduct_description: str = Field(..., max_length=20_000)
    expected_version: Version | None = None


class PublicationIn(In):
    publish: bool
    reason: choice_of(lists.WithholdReason.values, blank=True) = Field("", description="Required to withhold")
    note: str = Field("", max_length=lists.NOTE_MAX)
    expected_version: Version | None = None


class RemovalIn(In):
    reason: choice_of(RemovalReason.values)
    note: str = Field(..., max_length=lists.NOTE_MAX)
    on: dt.date | None = None
    expected_version: Version | None = None


def entry_out(e, *, case_visible: bool) -> dict:
    return {
        "id": e.id, "kind": e.kind, "kind_label": e.get_kind_display(), "basis": e.basis,
        "basis_label": e.get_basis_display(), "status": e.status, "status_label": e.get_status_display(),
        "status_since": e.status_since, "organisation": e.organisation.code, "organisation_name": e.organisation.name,
        "person_id": e.person_id, "case_id": e.case_id if case_visible else None,
        "case_reference": e.case.reference if case_visible else "",
        "proceeding_id": e.proceeding_id if case_visible else None,
        "subject_allegation_id": e.subject_allegation_id if case_visible else None,
        "name_at_listing": e.name_at_listing, "rank": e.rank, "service_number": e.service_number,
        "standards": list(e.standards), "gross_misconduct": e.gross_misconduct, "decided_on": e.decided_on,
        "report_due_on": e.report_due_on, "overdue": lists.is_overdue(e), "reported_on": e.reported_on,
        "review_not_before": e.review_not_before, "published": e.published, "publish_until": e.publish_until,
        "publication_withheld_reason": e.publication_withheld_reason, "removed_on": e.removed_on,
        "removal_reason": e.removal_reason, "removal_note": e.removal_note, "version": e.version,
    }


def _visible_cases(actor, entries) -> set[int]:
    ids = {e.case_id for e in entries}
    return set(Case.objects.filter(case_scope_q(actor), pk__in=ids).values_list("pk", flat=True)) if ids else set()


def _one(actor, entry) -> dict:
    return entry_out(entry, case_visible=bool(_visible_cases(actor, [entry])))


@router.get("/register/lists", response={200: ListEntryListOut, **PROBLEMS},
            summary="Barred and advisory list entries the caller may see")
@requires("register.lists.read")
def list_entries(request, filters: Query[ListFilters]):
    actor = actor_of(request)
    qs = lists.list_entries_for_actor(actor=actor, kind=filters.kind, status=filters.status,
                                      overdue=filters.overdue, q=filters.q)
    page = list(qs.select_related("case")[filters.offset:filters.offset + filters.limit])
    lists.list_entries_shown(actor=actor, entries=page, query=filters.model_dump(mode="json"))
    visible = _visible_cases(actor, page)
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset,
            "items": [entry_out(e, case_visible=e.case_id in visible) for e in page]}


@router.get("/register/lists/{list_entry_id}", response={200: ListEntryOut, **PROBLEMS}, summary="One list entry")
@requires("register.lists.read", objects=READ)
def list_entry_get(request, list_entry_id: int = EntryId):
    actor = actor_of(request)
    entry = lists.list_entry_read(actor=actor, entry_id=list_entry_id)
    return entry_out(entry, case_visible=bool(_visible_cases(actor, [entry])))


@router.post("/register/lists/{list_entry_id}/report", response={200: ListEntryOut, **PROBLEMS},
             summary="Report a waiting entry to the College of Policing (records the list referral; lists it)")
@requires("register.lists.manage", objects=MANAGE)
def list_entry_report(request, data: ReportIn, list_entry_id: int = EntryId):
    actor = actor_of(request)
    entry = lists.list_entry_report(actor=actor, entry_id=list_entry_id, **data.model_dump())
    return _one(actor, entry)


@router.post("/register/lists/{list_entry_id}/publication", response={200: ListEntryOut, **PROBLEMS},
             summary="Publish a barred gross misconduct entry, or withhold it (College of Policing)")
@requires("register.lists.manage", objects=MANAGE)
def list_entry_publication(request, data: PublicationIn, list_entry_id: int = EntryId):
    actor = actor_of(request)
    entry = lists.list_entry_publication_set(actor=actor, entry_id=list_entry_id, **data.model_dump())
    return _one(actor, entry)


@router.post("/register/lists/{list_entry_id}/removal", response={200: ListEntryOut, **PROBLEMS},
             summary="Remove an entry from its list, for a stated reason, with a note")
@requires("register.lists.manage", objects=MANAGE)
def list_entry_removal(request, data: RemovalIn, list_entry_id: int = EntryId):
    actor = actor_of(request)
    entry = lists.list_entry_remove(actor=actor, entry_id=list_entry_id, **data.model_dump())
    return _one(actor, entry)
