"""API: people across forces (search, appointments, allegations in the caller's scope)."""

from __future__ import annotations

from ninja import Field, Path, Query, Router, Schema

from forewarn.core.schemas import MAX_ID, PROBLEMS, QueryText, actor_of
from forewarn.organisations.access import requires
from forewarn.workforce import selectors
from forewarn.workforce.schemas import PersonDetailOut, PersonOut

router = Router(tags=["people"])


def _appointment(a) -> dict:
    ranks = list(a.ranks.all())  # prefetched, ordered by start date
    return {"id": a.id, "organisation_id": a.organisation_id, "organisation_code": a.organisation.code,
            "organisation_name": a.organisation.name, "role_type": a.role_type, "service_number": a.service_number,
            "start_date": a.start_date, "end_date": a.end_date, "end_reason": a.end_reason,
            "current_rank": ranks[-1].rank if ranks else None,
            "ranks": [{"rank": r.rank, "start_date": r.start_date, "acting": r.acting} for r in ranks]}


def _person(person, appointments) -> dict:
    return {"id": person.id, "full_name": person.full_name, "given_name": person.given_name,
            "family_name": person.family_name, "appointments": [_appointment(a) for a in appointments]}


class PeopleFilters(Schema):
    q: QueryText = Field(..., min_length=1, description="Name (current or former) or service number")


@router.get("/people", response={200: list[PersonOut], **PROBLEMS}, summary="Find people (at most 50)")
@requires("person.read")
def person_list(request, filters: Query[PeopleFilters]):
    people = selectors.person_search(actor=actor_of(request), q=filters.q)
    return [_person(p, p.appointments.all()) for p in people]


@router.get("/people/{person_id}", response={200: PersonDetailOut, **PROBLEMS},
            summary="One person: appointments across forces, and allegations in the caller's scope")
@requires("person.read")
def person_get(request, person_id: int = Path(..., ge=1, le=MAX_ID)):
    history = selectors.person_history(actor=actor_of(request), person_id=person_id)
    return {
        **_person(history.person, history.appointments),
        "names": [{"given_name": n.given_name, "middle_names": n.middle_names, "family_name": n.family_name,
                   "used_from": n.used_from, "used_until": n.used_until} for n in history.names],
        "allegations": [{"subject_allegation_id": sa.id, "case_id": sa.case_id, "case_reference": sa.case.reference,
                         "organisation_code": sa.case.organisation.code, "allegation_number": sa.allegation.number,
                         "category": sa.allegation.category, "status": sa.status,
                         "status_label": sa.get_status_display(), "severity": sa.severity, "finding": sa.finding}
                        for sa in history.subject_allegations],
    }
