"""Reading intelligence records: the owning organisation's only (deny by default).

Another force never reads a record here, even one about an officer it now employs: it learns that
the record exists from a disclosure schedule about the person (`disclosure.material`), which lists
a sensitive record without its content.
"""

from __future__ import annotations

from django.db.models import QuerySet

from forewarn.audit.services import read_record, read_search
from forewarn.core.errors import NotFound
from forewarn.intelligence.models import IntelligenceRecord
from forewarn.organisations import permissions


def _own_records(actor) -> QuerySet[IntelligenceRecord]:
    if not permissions.has_role_for(actor, "intelligence.read") or not getattr(actor, "organisation_id", None):
        return IntelligenceRecord.objects.none()
    return IntelligenceRecord.objects.filter(organisation_id=actor.organisation_id)


def intelligence_get_for_actor(*, actor, intelligence_id: int) -> IntelligenceRecord:
    """A record of the actor's own organisation, for a role that may hold intelligence; else NotFound."""
    found = _own_records(actor).select_related("organisation", "person").filter(pk=intelligence_id).first()
    if found is None:
        raise NotFound(f"No intelligence record with id {intelligence_id}.")
    return found


def intelligence_read(*, actor, intelligence_id: int) -> IntelligenceRecord:
    """One record, shown (an audited read)."""
    record = intelligence_get_for_actor(actor=actor, intelligence_id=intelligence_id)
    read_record(actor=actor, obj=record, data={"person_id": record.person_id})
    return record


def intelligence_for_actor(*, actor, person_id: int | None = None, unlinked: bool = False,
                           limit: int = 50, offset: int = 0) -> tuple[int, list[IntelligenceRecord]]:
    """(count, one page) of the actor's organisation's records, newest first; the ids shown are audited."""
    rows = _own_records(actor)
    if person_id:
        rows = rows.filter(person_id=person_id)
    if unlinked:
        rows = rows.filter(person__isnull=True)
    page = list(rows.select_related("organisation", "person")[offset:offset + limit])
    if page:
        read_search(actor=actor, action="intelligence.list",
                    data={"person_id": person_id, "unlinked": unlinked, "ids": [r.pk for r in page]})
    return rows.count(), page
