"""The register entry: what another force is told about one allegation against a person.

Issue #4 §1: organisation, dates, allegation category, standards alleged, severity, status,
outcome and contact point. Never the case file (parties, descriptions, documents): that stays with
the owning force unless a disclosure request is granted. Alerts, the cross-force history and the
vetting check all build entries here, so what is shared cannot differ between them.
"""

from __future__ import annotations

from collections.abc import Iterable

from forewarn.cases.models import SubjectAllegation, SubjectStatus
from forewarn.cases.vocabulary import Category
from forewarn.proceedings.models import ProceedingAllegation, ProceedingStatus, Sanction
from forewarn.proceedings.services import CLOSED_SUBJECT_STATES

# A proceeding replaced by a re-hearing, or abandoned, says nothing about the outcome.
_SUPERSEDED = frozenset({ProceedingStatus.REMITTED, ProceedingStatus.WITHDRAWN})


# The columns an entry reads, for `.only()`: a history loads a person's every allegation, and
# compiling and fetching the ~90 columns of three joined tables was a third of its time at national scale.
ENTRY_FIELDS = (
    "id", "case_id", "allegation_id", "person_id", "severity", "status", "finding", "criminal_status",
    "case__id", "case__reference", "case__organisation_id", "case__came_to_attention_on", "case__restricted",
    "case__case_type", "case__recorded_on", "case__suspension_status",
    "case__organisation__id", "case__organisation__code", "case__organisation__name",
    "case__organisation__standards_contact",
    "allegation__id", "allegation__number", "allegation__category", "allegation__subcategory",
    "allegation__standards", "allegation__flags",
)


def outcomes_for(subject_ids: Iterable[int]) -> dict[int, dict]:
    """The latest live proceeding outcome per subject-allegation id (one query)."""
    outcomes: dict[int, dict] = {}
    items = (ProceedingAllegation.objects.filter(subject_allegation_id__in=list(subject_ids))
             .exclude(proceeding__status__in=_SUPERSEDED)
             .select_related("proceeding")
             .only("subject_allegation_id", "finding", "proceeding__form", "proceeding__sanction",
                   "proceeding__sanction_effective_on", "proceeding__status")
             .order_by("proceeding__notice_on", "proceeding_id"))
    for item in items:
        p = item.proceeding
        outcomes[item.subject_allegation_id] = {
            "form": p.form, "finding": item.finding, "sanction": p.sanction,
            "sanction_label": str(Sanction(p.sanction).label) if p.sanction else "",
            "sanction_effective_on": p.sanction_effective_on.isoformat() if p.sanction_effective_on else None,
            "status": p.status,
        }
    return outcomes


def subject_entry(subject: SubjectAllegation, *, outcome: dict | None = None, reveal_restricted: bool = False) -> dict:
    """One allegation against one person, as the register shares it (JSON-ready).

    `reveal_restricted`: the reader has the restricted case in their case scope (its named
    participants), so its entry is not withheld from them (register.history)."""
    case = subject.case
    org = case.organisation
    entry = {
        "subject_allegation_id": subject.pk,
        "case_reference": case.reference,
        "organisation": {"code": org.code, "name": org.name},
        "contact": org.standards_contact,
        "came_to_attention_on": case.came_to_attention_on.isoformat(),
    }
    if case.restricted and not reveal_restricted:
        # A restricted case (anti-corruption, covert) is shared only as "ask the owning force": its
        # existence is flagged so nothing is silently omitted, its content is not, so a covert
        # investigation is not tipped off through another force.
        return {**entry, "case_reference": "", "withheld": True}
    allegation = subject.allegation
    return {
        **entry,
        "withheld": False,
        "case_type": case.case_type,
        "recorded_on": case.recorded_on.isoformat() if case.recorded_on else None,
        "category": allegation.category,
        "category_label": str(Category(allegation.category).label) if allegation.category in Category.values else allegation.category,
        "subcategory": allegation.subcategory,
        "standards": list(allegation.standards),
        "flags": list(allegation.flags),
        "severity": subject.severity,
        "status": subject.status,
        "status_label": str(SubjectStatus(subject.status).label),
        "open": subject.status not in CLOSED_SUBJECT_STATES,
        "finding": subject.finding,
        "suspended": subject.criminal_status != "none" or case.suspension_status != "active",
        "outcome": outcome,
    }


def subject_entries(subjects: list[SubjectAllegation], *, reveal_restricted: Iterable[int] = ()) -> list[dict]:
    """Entries for many subject-allegations (select_related case, case__organisation, allegation);
    `reveal_restricted`: the case ids whose restricted entries the reader may see in full."""
    outcomes = outcomes_for(s.pk for s in subjects)
    revealed = set(reveal_restricted)
    return [subject_entry(s, outcome=outcomes.get(s.pk), reveal_restricted=s.case_id in revealed) for s in subjects]


def entries_for_person(person_id: int) -> list[dict]:
    """Every allegation against the person in every force, newest first, as register entries."""
    subjects = list(SubjectAllegation.objects.filter(person_id=person_id)
                    .select_related("case", "case__organisation", "allegation")
                    .order_by("-case__came_to_attention_on", "allegation__number", "id"))
    return subject_entries(subjects)
