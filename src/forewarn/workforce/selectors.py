"""Reads of people: search, and one person's history across forces.

People are the national register's key, not one force's records, so reading a person needs a role
in `PERSON_READ` rather than a case scope; the allegations shown against a person are still limited
to the cases the actor may see (deny by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q

from forewarn.audit.services import read_record, read_search
from forewarn.cases.models import SubjectAllegation
from forewarn.core.errors import NotFound
from forewarn.organisations import permissions
from forewarn.organisations.permissions import case_scope_q
from forewarn.workforce.models import Appointment, Person, PersonName, RankHeld

SEARCH_LIMIT = 50


def _may_read_people(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and actor.has_any_role(permissions.PERSON_READ)


def person_get_for_actor(*, actor, person_id: int) -> Person:
    """The person, if the actor's role may read people; otherwise NotFound (never confirms existence)."""
    person = Person.objects.filter(pk=person_id).first() if _may_read_people(actor) else None
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    return person


def _appointments() -> Prefetch:
    return Prefetch(
        "appointments",
        queryset=Appointment.objects.select_related("organisation").prefetch_related(
            Prefetch("ranks", queryset=RankHeld.objects.order_by("start_date", "id"))
        ).order_by("start_date", "id"),
    )


def person_search(*, actor, q: str) -> list[Person]:
    """People whose current or former name, or whose service number, matches `q` (at most 50)."""
    term = (q or "").strip()
    if not term or not _may_read_people(actor):
        return Person.objects.none()
    words = term.split()
    name_q = Q()
    for word in words:
        # Every word must match some part of the name, current or historic (marriage, deed poll).
        name_q &= (Q(given_name__icontains=word) | Q(middle_names__icontains=word) | Q(family_name__icontains=word)
                   | Exists(PersonName.objects.filter(person=OuterRef("pk")).filter(
                       Q(given_name__icontains=word) | Q(family_name__icontains=word))))
    number_q = Exists(Appointment.objects.filter(person=OuterRef("pk"), service_number__iexact=term))
    found = list(Person.objects.filter(name_q | number_q)
                 .prefetch_related(_appointments())
                 .order_by("family_name", "given_name", "id")[:SEARCH_LIMIT])
    # A search shows people across forces: audited as one read, with the query and who it returned.
    read_search(actor=actor, action="person.search", data={"q": term, "person_ids": [p.id for p in found]})
    return found


@dataclass(frozen=True)
class PersonHistory:
    person: Person
    names: list[PersonName]
    appointments: list[Appointment]
    subject_allegations: list[SubjectAllegation]


def person_history(*, actor, person_id: int) -> PersonHistory:
    """A person's names, appointments (with ranks) and the allegations against them that the actor may see."""
    person = person_get_for_actor(actor=actor, person_id=person_id)
    names = list(PersonName.objects.filter(person=person).order_by("used_from", "id"))
    appointments = list(Appointment.objects.filter(person=person).select_related("organisation")
                        .prefetch_related(Prefetch("ranks", queryset=RankHeld.objects.order_by("start_date", "id")))
                        .order_by("start_date", "id"))
    subject_allegations = list(
        SubjectAllegation.objects.filter(case_scope_q(actor, "case__"), person=person)
        .select_related("case", "case__organisation", "allegation")
        .order_by("-case__came_to_attention_on", "allegation__number", "id")
    )
    read_record(actor=actor, obj=person, data={"subject_allegations": len(subject_allegations)})
    return PersonHistory(person=person, names=names, appointments=appointments,
                         subject_allegations=subject_allegations)
