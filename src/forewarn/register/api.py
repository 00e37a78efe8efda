"""API: a person's cross-force register history, vetting and transfer checks, applications, and
disclosure requests (issue #4 §1, §3). Thin: every rule is in the register's services and selectors."""

from __future__ import annotations

from ninja import Field, Path, Query, Router, Schema, Status

from forewarn.core.schemas import MAX_ID, PROBLEMS, actor_of
from forewarn.organisations.access import owning_force_disclosure, requires
from forewarn.register import checks, disclosures
from forewarn.register.history import person_register_history
from forewarn.register.models import Application, LawfulBasis, RegisterCheck
from forewarn.register.schemas import (
    ApplicationCloseIn,
    ApplicationIn,
    ApplicationOut,
    CheckIn,
    CheckOut,
    DisclosureDecideIn,
    DisclosureIn,
    DisclosureListOut,
    DisclosureOut,
    HistoryOut,
)

router = Router(tags=["register"])
ObjId = Path(..., ge=1, le=MAX_ID)


def application_out(application: Application) -> dict:
    opened_by = application.opened_by
    return {"id": application.pk, "person": {"id": application.person_id, "full_name": application.person.full_name},
            "kind": application.kind, "kind_label": application.get_kind_display(), "reference": application.reference,
            "opened_on": application.opened_on, "closed_on": application.closed_on, "outcome": application.outcome,
            "opened_by": (opened_by.get_full_name() or opened_by.username) if opened_by else None,
            "open": application.is_open}


def check_out(check: RegisterCheck, shown: list[checks.MatchShown]) -> dict:
    return {
        "id": check.pk, "created_at": check.created_at, "lawful_basis": check.lawful_basis,
        "lawful_basis_label": str(LawfulBasis(check.lawful_basis).label), "purpose": check.purpose,
        "application_kind": check.application_kind, "query": check.query,
        "matches": [{"person_id": m.person_id, "full_name": m.history.person.full_name, "evidence": m.evidence,
                     "application": application_out(m.application) if m.application else None,
                     "application_opened": m.application_opened, "history": m.history.as_dict()} for m in shown],
    }


@router.get("/register/people/{person_id}", response={200: HistoryOut, **PROBLEMS},
            summary="A person's cross-force register history, as the sharing rules let the caller see it")
@requires("register.history.read")
def history_get(request, person_id: int = ObjId):
    return person_register_history(actor=actor_of(request), person_id=person_id).as_dict()


@router.post("/register/checks", response={201: CheckOut, **PROBLEMS},
             summary="Run a vetting or transfer check: exact identifiers, lawful basis and purpose recorded")
@requires("register.check")
def check_create(request, data: CheckIn):
    actor = actor_of(request)
    check = checks.register_check_run(actor=actor, **data.model_dump())
    return Status(201, check_out(*checks.check_result(actor=actor, check_id=check.pk)))


@router.get("/register/checks/{check_id}", response={200: CheckOut, **PROBLEMS},
            summary="One of your force's checks, with each match's evidence and history as now shared")
@requires("register.check")
def check_get(request, check_id: int = ObjId):
    return check_out(*checks.check_result(actor=actor_of(request), check_id=check_id))


class ApplicationFilters(Schema):
    include_closed: bool = Field(False, description="Also list closed applications")


@router.get("/register/applications", response={200: list[ApplicationOut], **PROBLEMS},
            summary="Your force's open vetting and transfer applications")
@requires("register.application.manage")
def application_list(request, filters: Query[ApplicationFilters]):
    found = checks.applications_list(actor=actor_of(request), include_closed=filters.include_closed)
    return [application_out(a) for a in found]


@router.post("/register/applications", response={201: ApplicationOut, **PROBLEMS},
             summary="Open your force's vetting or transfer application for a person (gives sight, and alerts)")
@requires("register.application.manage")
def application_create(request, data: ApplicationIn):
    application = checks.application_open(actor=actor_of(request), **data.model_dump())
    return Status(201, application_out(application))


@router.post("/register/applications/{application_id}/close", response={200: ApplicationOut, **PROBLEMS},
             summary="Close an application (granted, refused, withdrawn): sight and alerts end")
@requires("register.application.manage")
def application_close(request, data: ApplicationCloseIn, application_id: int = ObjId):
    application = checks.application_close(actor=actor_of(request), application_id=application_id,
                                           **data.model_dump())
    return application_out(application)


@router.get("/register/disclosures", response={200: DisclosureListOut, **PROBLEMS},
            summary="Requests for case files your force made, and those made to it")
@requires("register.history.read")
def disclosure_list(request):
    found = disclosures.disclosures_list(actor=actor_of(request))
    return {side: [disclosures.disclosure_as_dict(r) for r in items] for side, items in found.items()}


@router.post("/register/disclosures", response={201: DisclosureOut, **PROBLEMS},
             summary="Ask the owning force for the case file behind a register entry your force sees")
@requires("register.disclosure.request")
def disclosure_create(request, data: DisclosureIn):
    created = disclosures.disclosure_request(actor=actor_of(request), **data.model_dump())
    return Status(201, disclosures.disclosure_as_dict(created))


@router.post("/register/disclosures/{disclosure_id}/decide", response={200: DisclosureOut, **PROBLEMS},
             summary="Grant (for a limited time) or refuse a request for your force's case file")
@requires("register.disclosure.decide", objects={"disclosure_id": owning_force_disclosure})
def disclosure_decide(request, data: DisclosureDecideIn, disclosure_id: int = ObjId):
    decided = disclosures.disclosure_decide(actor=actor_of(request), disclosure_id=disclosure_id,
                                            **data.model_dump())
    return disclosures.disclosure_as_dict(decided)
