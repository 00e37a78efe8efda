"""What is known about a person: every record a disclosure schedule must list (issue #6 §1).

Everything linked to the person in any force, whatever its outcome: complaints, conduct and DSI
matters (through their allegations), including those not upheld, withdrawn, handled outside
Schedule 3, restricted (listed as "ask the owning force": nothing is silently omitted), and those
linked by identity resolution (with how the link was made); prior outcomes of proceedings; barred
and advisory list entries; intelligence records of any force linked to the person (`intelligence`),
with how each was linked. Each record becomes a `Material`: a stable key and a JSON snapshot of
its facts. Contact details are never part of the facts: a schedule lists material, it does not
carry anyone's address.
"""

from __future__ import annotations

from dataclasses import dataclass

from forewarn.cases.models import Party, SubjectAllegation
from forewarn.intelligence.models import HandlingCode, IntelligenceRecord
from forewarn.linkage.models import Identification, IdentificationStatus
from forewarn.proceedings.models import Proceeding, ProceedingAllegation, Sanction
from forewarn.register.entries import outcomes_for, subject_entry
from forewarn.register.models import ListEntry

# Said on every schedule (and its exports): what an intelligence item may not show, and why.
INTELLIGENCE_NOTE = ("Intelligence records linked to the person are listed, whichever force holds them. A "
                     "sensitive record is listed only as held by its force: ask that force. A record graded "
                     "with handling code C (3x5x2) is listed with its grading and its summary withheld, unless "
                     "the owning force decided its conditions allow disclosure.")


@dataclass(frozen=True)
class Material:
    key: str
    source: str
    facts: dict
    subject_allegation_id: int | None = None
    proceeding_id: int | None = None
    list_entry_id: int | None = None
    intelligence_record_id: int | None = None


def _links(person_id: int) -> dict[int, dict]:
    """How each of the person's subjects was linked by identity resolution (automatic or reviewed)."""
    found = {}
    for ident in (Identification.objects.filter(person_id=person_id, status__in=(
            IdentificationStatus.AUTO_LINKED, IdentificationStatus.ACCEPTED)).order_by("id")
            .prefetch_related("candidates")):
        best = next((c for c in ident.candidates.all() if c.person_id == person_id), None)
        found[ident.subject_allegation_id] = {
            "method": "automatic" if ident.status == IdentificationStatus.AUTO_LINKED else "reviewed",
            "probability": round(best.probability, 4) if best else None, "model_version": ident.model_version}
    return found


def _allegations(person_id: int) -> list[Material]:
    subjects = list(SubjectAllegation.objects.filter(person_id=person_id)
                    .select_related("case", "case__organisation", "allegation")
                    .order_by("case__came_to_attention_on", "allegation__number", "id"))
    outcomes = outcomes_for(s.pk for s in subjects)
    links = _links(person_id)
    parties: dict[int, list[dict]] = {}
    for party in Party.objects.filter(case_id__in={s.case_id for s in subjects}).order_by("id"):
        parties.setdefault(party.case_id, []).append(
            {"role": party.role, "role_label": party.get_role_display(), "name": party.full_name,
             "restricted": party.restricted})
    found = []
    for subject in subjects:
        case, allegation = subject.case, subject.allegation
        entry = subject_entry(subject, outcome=outcomes.get(subject.pk))
        facts = {"entry": entry, "linked_by": links.get(subject.pk, {"method": "identified on the case"})}
        if not entry["withheld"]:
            facts.update({
                "description": allegation.description,
                "handling": case.get_handling_route_display() if case.handling_route else "Not yet decided",
                "recorded_under_schedule_3": case.recorded_on is not None,
                "case_status": case.get_status_display(),
                "parties": parties.get(case.pk, []),
            })
        found.append(Material(key=f"subject_allegation:{subject.pk}", source="allegation", facts=facts,
                              subject_allegation_id=subject.pk))
    return found


def _outcomes(person_id: int) -> list[Material]:
    proceedings = list(Proceeding.objects.filter(person_id=person_id).exclude(sanction="")
                       .select_related("case", "case__organisation").order_by("notice_on", "id"))
    findings: dict[int, list[str]] = {}
    for item in ProceedingAllegation.objects.filter(proceeding__in=proceedings).order_by("id"):
        findings.setdefault(item.proceeding_id, []).append(item.finding)
    found = []
    for p in proceedings:
        restricted = p.case.restricted
        facts = {"case_reference": "" if restricted else p.case.reference, "withheld": restricted,
                 "organisation": {"code": p.case.organisation.code, "name": p.case.organisation.name},
                 "contact": p.case.organisation.standards_contact}
        if not restricted:
            facts.update({"form": p.get_form_display(), "status": p.get_status_display(),
                          "findings": findings.get(p.pk, []), "sanction": p.sanction,
                          "sanction_label": str(Sanction(p.sanction).label),
                          "effective_on": p.sanction_effective_on.isoformat() if p.sanction_effective_on else None,
                          "reasons": p.outcome_reasons})
        found.append(Material(key=f"proceeding:{p.pk}", source="outcome", facts=facts, proceeding_id=p.pk))
    return found


def _list_entries(person_id: int) -> list[Material]:
    return [Material(key=f"list_entry:{e.pk}", source="list_entry", list_entry_id=e.pk, facts={
        "kind": e.get_kind_display(), "basis": e.get_basis_display(), "status": e.get_status_display(),
        "decided_on": e.decided_on.isoformat(), "organisation": {"code": e.organisation.code,
                                                                 "name": e.organisation.name}})
        for e in ListEntry.objects.filter(person_id=person_id).select_related("organisation").order_by("id")]


def intelligence_facts(record: IntelligenceRecord) -> dict:
    """An intelligence record as a schedule lists it, whoever reads the schedule.

    A sensitive record never leaves its owning force: only that the force holds something, when it
    received it, how it was linked and whom to ask (as a restricted case is listed). Otherwise the
    3x5x2 grading and the subject as described are listed; the summary too, except under handling
    code C, whose conditions the owning force sets: withheld unless it recorded that the conditions
    allow disclosure (College of Policing APP Intelligence management, handling codes).
    """
    org = record.organisation
    facts = {"organisation": {"code": org.code, "name": org.name}, "contact": org.standards_contact,
             "received_on": record.received_on.isoformat(),
             "linked_by": {"method": record.link_method, "method_label": record.get_link_method_display(),
                           "probability": record.link_probability},
             "sensitive": record.sensitive, "withheld": record.sensitive}
    if record.sensitive:
        return {**facts, "reference": ""}
    withhold_summary = record.handling_code == HandlingCode.CONDITIONS and not record.summary_may_be_disclosed
    return {**facts, "reference": record.reference, "grading": record.grading,
            "source_evaluation": record.get_source_evaluation_display(),
            "intelligence_assessment": record.get_intelligence_assessment_display(),
            "handling_code": record.get_handling_code_display(),
            "described_as": record.described_as, "summary_withheld": withhold_summary,
            "summary": "" if withhold_summary else record.summary}


def _intelligence(person_id: int) -> list[Material]:
    return [Material(key=f"intelligence:{r.pk}", source="intelligence", intelligence_record_id=r.pk,
                     facts=intelligence_facts(r))
            for r in IntelligenceRecord.objects.filter(person_id=person_id).select_related("organisation")
            .order_by("received_on", "id")]


def material_for(person_id: int) -> list[Material]:
    """Every record linked to the person, oldest first within each kind."""
    return [*_allegations(person_id), *_outcomes(person_id), *_list_entries(person_id), *_intelligence(person_id)]


def published_facts(facts: dict, *, hide_restricted_parties: bool) -> dict:
    """The facts as a reader may see them: restricted parties (and so their existence) are left out
    for the subject side and in everything served or exported (cases.redaction's rule)."""
    if not hide_restricted_parties or "parties" not in facts:
        return facts
    return {**facts, "parties": [p for p in facts["parties"] if not p.get("restricted")]}
