"""Intelligence records: record, link to a person, undo the link (issue #6 §1).

Each service is keyword-only, checks the actor's role and scope (the owning organisation's records
only: deny by default), and writes its audit event in the same transaction. The audit event is what
carries the continuing duty of disclosure: `disclosure.services.drift_for_event` sees
`intelligence.record` (a record identified when recorded), `intelligence.link` and
`intelligence.unlink`, and brings every open disclosure schedule for the person up to date, raising a
drift notice on one already served.

Identity resolution is reused, not copied: a record whose subject is described is scored against the
workforce by the same real-time model that proposes matches for a case subject
(`linkage.realtime.propose`, as `linkage.identification.propose_for` does for a case; the owning force
and the date received stand in for the case's force and incident date). The candidates are kept on
the record; the link itself is always a person's decision (`intelligence_link`): an intelligence
report is graded material, and an automatic link would put it on another officer's disclosure
schedule on the strength of a score alone.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record
from forewarn.core.errors import GuardFailed, ValidationFailed
from forewarn.core.validation import clean_choice, clean_past_date, clean_text
from forewarn.core.versioning import version_check
from forewarn.intelligence.models import (
    HandlingCode,
    IntelligenceAssessment,
    IntelligenceRecord,
    LinkMethod,
    SourceEvaluation,
)
from forewarn.intelligence.selectors import intelligence_get_for_actor
from forewarn.organisations import permissions
from forewarn.workforce.models import Person, Rank, Sex

DESCRIBED = ("name_as_given", "rank_as_given", "number_as_given", "station_as_given")


def _person(person_id: int) -> Person:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ValidationFailed(f"person_id: no person with id {person_id}.", field="person_id",
                               code="validation.unknown_person")
    return person


def _propose(*, organisation, received_on: dt.date, fields: dict):
    """Candidates for the described subject, by the case flow's real-time model; None if matching is off."""
    from forewarn.linkage import identification  # identity resolution sits above this app
    from forewarn.linkage.realtime import SubjectDetails, propose

    if not identification.matching_enabled():
        return None
    return propose(SubjectDetails(
        name=fields["name_as_given"], rank=fields["rank_as_given"], number=fields["number_as_given"],
        station=fields["station_as_given"], approximate_age=fields["approximate_age"],
        birth_date=fields["date_of_birth_as_given"], sex=fields["sex_as_given"],
        organisation_code=organisation.code, incident_date=received_on))


def _audit_data(record: IntelligenceRecord) -> dict:
    # The grading and the description go into the hash-chained trail; the summary does not (the
    # record itself holds it, and the audit trail is read more widely than intelligence is).
    return {"reference": record.reference, "received_on": record.received_on.isoformat(),
            "grading": record.grading, "sensitive": record.sensitive, "person_id": record.person_id,
            "described_as": record.described_as,
            "candidates": [[c["person_id"], c["probability"]] for c in record.candidates]}


@audited_write("intelligence.record")
def intelligence_record(
    *,
    actor,
    reference: str,
    received_on: dt.date,
    source_evaluation: str,
    intelligence_assessment: str,
    handling_code: str,
    summary: str,
    handling_conditions: str = "",
    summary_may_be_disclosed: bool = False,
    sensitive: bool = False,
    person_id: int | None = None,
    name_as_given: str = "",
    rank_as_given: str = "",
    number_as_given: str = "",
    station_as_given: str = "",
    approximate_age: int | None = None,
    date_of_birth_as_given: dt.date | None = None,
    sex_as_given: str = "",
) -> IntelligenceRecord:
    """Record an intelligence report for the actor's own force; propose matches for a described subject."""
    permissions.require(actor, "intelligence.record")
    organisation = getattr(actor, "organisation", None)
    if organisation is None:
        raise ValidationFailed("Your account has no organisation.", code="actor.no_organisation")
    fields = {
        "reference": clean_text(reference, field="reference", max_length=40, required=True),
        "received_on": clean_past_date(received_on, field="received_on", required=True),
        "source_evaluation": clean_choice(source_evaluation, SourceEvaluation, field="source_evaluation"),
        "intelligence_assessment": clean_choice(intelligence_assessment, IntelligenceAssessment,
                                                field="intelligence_assessment"),
        "handling_code": clean_choice(handling_code, HandlingCode, field="handling_code"),
        "summary": clean_text(summary, field="summary", max_length=5000, required=True),
        "handling_conditions": clean_text(handling_conditions, field="handling_conditions", max_length=2000),
        "name_as_given": clean_text(name_as_given, field="name_as_given", max_length=200),
        "rank_as_given": clean_choice(rank_as_given, Rank, field="rank_as_given", required=False),
        "number_as_given": clean_text(number_as_given, field="number_as_given", max_length=20),
        "station_as_given": clean_text(station_as_given, field="station_as_given", max_length=120),
        "approximate_age": approximate_age,
        "date_of_birth_as_given": clean_past_date(date_of_birth_as_given, field="date_of_birth_as_given"),
        "sex_as_given": clean_choice(sex_as_given, Sex, field="sex_as_given", required=False),
        "sensitive": bool(sensitive),
    }
    if fields["sex_as_given"] == Sex.UNKNOWN:
        fields["sex_as_given"] = ""
    if approximate_age is not None and not (16 <= int(approximate_age) <= 90):
        raise ValidationFailed("approximate_age: between 16 and 90.", field="approximate_age",
                               code="validation.range")
    if fields["handling_code"] == HandlingCode.CONDITIONS:
        if not fields["handling_conditions"]:
            raise ValidationFailed("handling_conditions: a C handling code must say what the conditions are.",
                                   field="handling_conditions", code="validation.required")
        fields["summary_may_be_disclosed"] = bool(summary_may_be_disclosed)
    elif summary_may_be_disclosed or fields["handling_conditions"]:
        raise ValidationFailed("handling_conditions: only a C handling code carries conditions (and a "
                               "decision on disclosing the summary).", field="handling_conditions",
                               code="intelligence.conditions_without_c")
    if not person_id and not any(fields[k] for k in DESCRIBED):
        raise ValidationFailed("Give the person, or describe the subject (name, rank, number, station…).",
                               field="name_as_given", code="intelligence.undescribed")
    person = _person(person_id) if person_id else None
    if IntelligenceRecord.objects.filter(organisation=organisation, reference=fields["reference"]).exists():
        raise ValidationFailed(f"reference: your force already holds a record {fields['reference']}.",
                               field="reference", code="intelligence.duplicate_reference")
    # Scored before the transaction, as cases.services.subject_add does: scoring only reads, and the
    # audit chain's lock is not held while the model runs.
    proposal = None if person else _propose(organisation=organisation, received_on=fields["received_on"],
                                            fields=fields)
    candidates = [{"person_id": c.person_id, "probability": round(c.probability, 6),
                   "match_weight": round(c.match_weight, 3)} for c in (proposal.candidates if proposal else [])]
    now = timezone.now()
    try:
        with transaction.atomic():
            record = IntelligenceRecord.objects.create(
                organisation=organisation, recorded_by=actor, person=person, candidates=candidates,
                model_version=proposal.model_version if proposal else 0,
                link_method=LinkMethod.RECORDED if person else "", linked_by=actor if person else None,
                linked_at=now if person else None, **fields)
            event_record(actor=actor, action="intelligence.record", obj=record, to_state="linked" if person else "",
                         data=_audit_data(record))
    except IntegrityError:  # the same reference recorded meanwhile (intelligence_reference_per_organisation)
        raise ValidationFailed(f"reference: your force already holds a record {fields['reference']}.",
                               field="reference", code="intelligence.duplicate_reference") from None
    return record


def _locked(*, actor, intelligence_id: int, expected_version: int | None) -> IntelligenceRecord:
    intelligence_get_for_actor(actor=actor, intelligence_id=intelligence_id)
    record = IntelligenceRecord.objects.select_for_update().get(pk=intelligence_id)
    version_check(record, expected_version, what="intelligence record")
    return record


@audited_write("intelligence.link", target="intelligence.intelligencerecord")
def intelligence_link(*, actor, intelligence_id: int, person_id: int, reason: str = "",
                      expected_version: int | None = None) -> IntelligenceRecord:
    """Link a record to a person (a proposed candidate or anyone, by hand): it joins their disclosure history."""
    permissions.require(actor, "intelligence.link")
    reason = clean_text(reason, field="reason", max_length=2000)
    with transaction.atomic():
        record = _locked(actor=actor, intelligence_id=intelligence_id, expected_version=expected_version)
        if record.person_id:
            raise GuardFailed("This record is linked already; undo the link first.", code="intelligence.linked")
        person = _person(person_id)
        chosen = next((c for c in record.candidates if c["person_id"] == person.pk), None)
        record.person = person
        record.link_method = LinkMethod.CANDIDATE if chosen else LinkMethod.MANUAL
        record.link_probability = chosen["probability"] if chosen else None
        record.linked_by, record.linked_at = actor, timezone.now()
        record.version += 1
        record.save(update_fields=["person", "link_method", "link_probability", "linked_by", "linked_at",
                                   "version", "updated_at"])
        event_record(actor=actor, action="intelligence.link", obj=record, reason=reason, to_state="linked",
                     data={"person_id": person.pk, "method": record.link_method,
                           "probability": record.link_probability},
                     changes={"person_id": [None, person.pk]})
    return record


@audited_write("intelligence.unlink", target="intelligence.intelligencerecord")
def intelligence_unlink(*, actor, intelligence_id: int, reason: str,
                        expected_version: int | None = None) -> IntelligenceRecord:
    """Undo a record's link (with a reason): schedules that listed it mark it no longer linked."""
    permissions.require(actor, "intelligence.link")
    reason = clean_text(reason, field="reason", max_length=2000, required=True)
    with transaction.atomic():
        record = _locked(actor=actor, intelligence_id=intelligence_id, expected_version=expected_version)
        if not record.person_id:
            raise GuardFailed("This record is not linked to anyone.", code="intelligence.not_linked")
        person_id = record.person_id
        record.person, record.link_method, record.link_probability = None, "", None
        record.linked_by, record.linked_at = None, None
        record.version += 1
        record.save(update_fields=["person", "link_method", "link_probability", "linked_by", "linked_at",
                                   "version", "updated_at"])
        event_record(actor=actor, action="intelligence.unlink", obj=record, reason=reason, from_state="linked",
                     data={"person_id": person_id}, changes={"person_id": [person_id, None]})
    return record
