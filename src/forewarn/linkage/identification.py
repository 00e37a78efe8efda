"""Identifying subjects in the case flow: proposals, automatic links, the review queue and undo (issue #5 §1).

    subject recorded without a person ──propose──▶ auto_linked   (top ≥ upper threshold, unambiguous)
                                                ├─▶ review ──accept──▶ accepted
                                                │          ├─reject (each)──▶ none_of_these (all rejected)
                                                │          └─none of these──▶ none_of_these
                                                └─▶ no_candidates (nothing ≥ review threshold)
    auto_linked / accepted / manual link ──undo──▶ undone (the subject is unidentified again)

Every step writes an audit event in its own transaction; linking and undoing go through
`cases.services.subject_person_set`, so the register (`register.alerts`) raises the serious-allegation
alerts on a link and the correction notices on an undo, whoever or whatever made the link.

Automatic links are deliberately narrow: the best candidate must reach the organisation's upper
threshold and be far ahead of the next (`AMBIGUITY_MARGIN_BITS`: three sergeants at one station who
share a family name each score high on their own, and which one it was is a question for a person),
and a person once rejected or unlinked for this subject by a reviewer is never linked to it
automatically again.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record, read_record, read_search
from forewarn.cases.models import SubjectAllegation
from forewarn.cases.selectors import subject_allegation_get_for_actor
from forewarn.core.errors import GuardFailed, NotFound, ValidationFailed
from forewarn.core.validation import clean_text
from forewarn.core.versioning import version_check
from forewarn.linkage.models import (
    DEFAULT_AUTO_LINK_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
    Candidate,
    CandidateDecision,
    Identification,
    IdentificationStatus,
    MatchThresholds,
)
from forewarn.linkage.realtime import Proposal, SubjectDetails, propose
from forewarn.organisations import permissions
from forewarn.organisations.models import Organisation
from forewarn.workforce.models import Person

# An automatic link also needs the best candidate to be this many bits of match weight (2^10, about a
# thousand times more likely) ahead of the next: two plausible officers is a question for a person.
AMBIGUITY_MARGIN_BITS = 10.0


def matching_enabled() -> bool:
    return getattr(settings, "FOREWARN_SUBJECT_MATCHING", True)


def thresholds_for(organisation_id: int) -> tuple[float, float]:
    """(automatic link, review) for an organisation: its own, or the defaults."""
    row = MatchThresholds.objects.filter(organisation_id=organisation_id).values_list("auto_link", "review").first()
    return row if row else (DEFAULT_AUTO_LINK_THRESHOLD, DEFAULT_REVIEW_THRESHOLD)


def _probability(value, *, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{field}: must be a number between 0 and 1.", field=field,
                               code="validation.type") from None
    if not 0 < number <= 1:
        raise ValidationFailed(f"{field}: must be more than 0 and at most 1, not {value}.", field=field,
                               code="validation.range")
    return number


@audited_write("linkage.thresholds.set")
def match_thresholds_set(*, actor, organisation_id: int, auto_link: float, review: float) -> MatchThresholds:
    """Set an organisation's thresholds (its head of professional standards or administrator)."""
    permissions.require(actor, "linkage.thresholds.set")
    if organisation_id != actor.organisation_id:
        raise NotFound(f"No organisation with id {organisation_id} of yours.")
    auto_link = _probability(auto_link, field="auto_link")
    review = _probability(review, field="review")
    if review >= auto_link:
        raise ValidationFailed(f"review: must be below auto_link ({review} is not below {auto_link}).",
                               field="review", code="linkage.thresholds_order")
    with transaction.atomic():
        organisation = Organisation.objects.get(pk=organisation_id)
        row, _ = MatchThresholds.objects.select_for_update().get_or_create(organisation=organisation)
        old = [row.auto_link, row.review]
        row.auto_link, row.review, row.updated_by = auto_link, review, actor
        row.save()
        event_record(actor=actor, action="linkage.thresholds.set", obj=row,
                     changes={"thresholds": [old, [auto_link, review]]})
    return row


# -- proposing -----------------------------------------------------------------------------------
def propose_for(*, case, name: str = "", rank: str = "", number: str = "", station: str = "",
                approximate_age: int | None = None, birth_date: dt.date | None = None, sex: str = "") -> Proposal | None:
    """Candidates for a description on a case (the case gives the force and the incident date)."""
    if not matching_enabled():
        return None
    details = SubjectDetails(name=name, rank=rank, number=number, station=station, approximate_age=approximate_age,
                             birth_date=birth_date, sex=sex, organisation_code=case.organisation.code,
                             incident_date=case.incident_date)
    return propose(details)


def _details_of(subject: SubjectAllegation) -> dict:
    return {"name": subject.name_as_given, "rank": subject.rank_as_given, "number": subject.number_as_given,
            "station": subject.station_as_given, "approximate_age": subject.approximate_age,
            "birth_date": subject.date_of_birth_as_given, "sex": subject.sex_as_given}


def _refused_people(subject: SubjectAllegation) -> set[int]:
    """People a reviewer rejected or unlinked for this subject: never linked to it automatically again."""
    return set(Candidate.objects.filter(identification__subject_allegation=subject,
                                        decision=CandidateDecision.REJECTED).values_list("person_id", flat=True))


def identification_record(*, actor, subject: SubjectAllegation, proposal: Proposal) -> Identification:
    """Record a proposal for a subject, in the caller's transaction; link at once if it is certain enough."""
    from forewarn.cases.services import subject_person_set

    auto_link, review = thresholds_for(subject.case.organisation_id)
    candidates = proposal.candidates
    refused = _refused_people(subject) if candidates else set()
    best = candidates[0] if candidates else None
    margin = best.match_weight - candidates[1].match_weight if len(candidates) > 1 else float("inf")
    if best is None or best.probability < review:
        status = IdentificationStatus.NO_CANDIDATES
    elif best.probability >= auto_link and margin >= AMBIGUITY_MARGIN_BITS and best.person_id not in refused:
        status = IdentificationStatus.AUTO_LINKED
    else:
        status = IdentificationStatus.REVIEW
    Identification.objects.filter(subject_allegation=subject, status=IdentificationStatus.REVIEW).update(
        status=IdentificationStatus.SUPERSEDED)
    identification = Identification.objects.create(
        subject_allegation=subject, case=subject.case, status=status, model_version=proposal.model_version,
        auto_link_threshold=auto_link, review_threshold=review,
        details={k: v for k, v in proposal.record.items() if k not in ("unique_id", "tf_family_name")},
        person_id=best.person_id if status == IdentificationStatus.AUTO_LINKED else None,
        decided_at=timezone.now() if status == IdentificationStatus.AUTO_LINKED else None)
    Candidate.objects.bulk_create([
        Candidate(identification=identification, person_id=c.person_id, appointment_id=c.appointment_id,
                  position=position, probability=c.probability, match_weight=c.match_weight, evidence=c.evidence,
                  decision=(CandidateDecision.ACCEPTED if status == IdentificationStatus.AUTO_LINKED and position == 1
                            else CandidateDecision.REJECTED if c.person_id in refused else CandidateDecision.PROPOSED))
        for position, c in enumerate(candidates, start=1)])
    event_record(actor=actor, action="identification.propose", obj=identification, case=subject.case,
                 to_state=status, data={
                     "subject_allegation": subject.pk, "model_version": proposal.model_version,
                     "thresholds": [auto_link, review], "records_scored": proposal.records_scored,
                     "candidates": [[c.person_id, round(c.probability, 6)] for c in candidates]})
    if status == IdentificationStatus.AUTO_LINKED:
        subject_person_set(actor=actor, sa=subject, person=Person.objects.get(pk=best.person_id),
                           action="subject.link_person",
                           data={"method": "automatic", "identification": identification.pk,
                                 "probability": round(best.probability, 6), "model_version": proposal.model_version})
    return identification


@audited_write("subject.identify")
def subject_identify(*, actor, subject_allegation_id: int) -> Identification:
    """Match an unidentified subject again now (new details, a new roster, a new model)."""
    permissions.require(actor, "subject.identification.review")
    subject = subject_allegation_get_for_actor(actor=actor, subject_allegation_id=subject_allegation_id)
    if subject.person_id:
        raise GuardFailed("This subject is identified already; undo the link first.", code="identification.linked")
    proposal = propose_for(case=subject.case, **_details_of(subject)) if matching_enabled() else None
    if proposal is None:
        raise GuardFailed("Matching is switched off here (FOREWARN_SUBJECT_MATCHING).", code="identification.off")
    with transaction.atomic():
        subject = SubjectAllegation.objects.select_for_update().select_related("case").get(pk=subject.pk)
        if subject.person_id:
            raise GuardFailed("This subject was identified meanwhile.", code="identification.linked")
        return identification_record(actor=actor, subject=subject, proposal=proposal)


# -- deciding ------------------------------------------------------------------------------------
def identification_get_for_actor(*, actor, identification_id: int) -> Identification:
    """An identification whose subject's case is in the actor's scope; NotFound otherwise."""
    found = Identification.objects.filter(pk=identification_id).values_list("subject_allegation_id", flat=True).first()
    if found is None:
        raise NotFound(f"No identification with id {identification_id}.")
    subject_allegation_get_for_actor(actor=actor, subject_allegation_id=found)
    return Identification.objects.get(pk=identification_id)


def _open_for_update(*, actor, identification_id: int) -> Identification:
    """The identification (in scope, locked with its subject), which must be awaiting review."""
    found = identification_get_for_actor(actor=actor, identification_id=identification_id)
    SubjectAllegation.objects.select_for_update().get(pk=found.subject_allegation_id)
    identification = (Identification.objects.select_for_update().select_related("case", "subject_allegation")
                      .get(pk=identification_id))
    if identification.status != IdentificationStatus.REVIEW:
        raise GuardFailed(f"This identification is {identification.get_status_display().lower()}, "
                          f"not awaiting review.", code="identification.not_open")
    return identification


def _candidate(identification: Identification, candidate_id: int) -> Candidate:
    candidate = identification.candidates.filter(pk=candidate_id).first()
    if candidate is None:
        raise ValidationFailed(f"candidate_id: {candidate_id} is not a candidate of this identification.",
                               field="candidate_id", code="identification.unknown_candidate")
    return candidate


def _decide(identification: Identification, *, actor, status: str, reason: str, person_id: int | None = None) -> None:
    identification.status = status
    identification.decided_by, identification.decided_at = actor, timezone.now()
    identification.reason = reason
    identification.person_id = person_id
    identification.save(update_fields=["status", "decided_by", "decided_at", "reason", "person", "updated_at"])


@audited_write("identification.accept")
def identification_accept(*, actor, identification_id: int, candidate_id: int, reason: str = "") -> Identification:
    """A reviewer accepts a candidate: the subject is linked to that person."""
    from forewarn.cases.services import subject_person_set

    permissions.require(actor, "subject.identification.review")
    reason = clean_text(reason, field="reason", max_length=2000)
    with transaction.atomic():
        identification = _open_for_update(actor=actor, identification_id=identification_id)
        candidate = _candidate(identification, candidate_id)
        if candidate.decision == CandidateDecision.REJECTED:
            raise GuardFailed("This candidate was rejected; propose again to reconsider.",
                              code="identification.candidate_rejected")
        candidate.decision = CandidateDecision.ACCEPTED
        candidate.save(update_fields=["decision"])
        _decide(identification, actor=actor, status=IdentificationStatus.ACCEPTED, reason=reason,
                person_id=candidate.person_id)
        event_record(actor=actor, action="identification.accept", obj=identification, case=identification.case,
                     from_state=IdentificationStatus.REVIEW, to_state=IdentificationStatus.ACCEPTED, reason=reason,
                     data={"candidate": candidate.pk, "person_id": candidate.person_id,
                           "probability": round(candidate.probability, 6)})
        subject = SubjectAllegation.objects.select_related("case").get(pk=identification.subject_allegation_id)
        subject_person_set(actor=actor, sa=subject, person=Person.objects.get(pk=candidate.person_id),
                           action="subject.link_person", reason=reason,
                           data={"method": "reviewed", "identification": identification.pk,
                                 "probability": round(candidate.probability, 6),
                                 "model_version": identification.model_version})
    return identification


@audited_write("identification.reject")
def identification_reject(*, actor, identification_id: int, candidate_id: int, reason: str) -> Identification:
    """A reviewer rejects one candidate (with a reason); when none is left, the result is "none of these"."""
    permissions.require(actor, "subject.identification.review")
    reason = clean_text(reason, field="reason", max_length=2000, required=True)
    with transaction.atomic():
        identification = _open_for_update(actor=actor, identification_id=identification_id)
        candidate = _candidate(identification, candidate_id)
        candidate.decision = CandidateDecision.REJECTED
        candidate.save(update_fields=["decision"])
        left = identification.candidates.exclude(decision=CandidateDecision.REJECTED).exists()
        if not left:
            _decide(identification, actor=actor, status=IdentificationStatus.NONE_OF_THESE, reason=reason)
        event_record(actor=actor, action="identification.reject", obj=identification, case=identification.case,
                     from_state=IdentificationStatus.REVIEW, to_state=identification.status, reason=reason,
                     data={"candidate": candidate.pk, "person_id": candidate.person_id})
    return identification


@audited_write("identification.none")
def identification_none(*, actor, identification_id: int, reason: str) -> Identification:
    """A reviewer says none of the candidates is the officer (every candidate is rejected)."""
    permissions.require(actor, "subject.identification.review")
    reason = clean_text(reason, field="reason", max_length=2000, required=True)
    with transaction.atomic():
        identification = _open_for_update(actor=actor, identification_id=identification_id)
        identification.candidates.update(decision=CandidateDecision.REJECTED)
        _decide(identification, actor=actor, status=IdentificationStatus.NONE_OF_THESE, reason=reason)
        event_record(actor=actor, action="identification.none", obj=identification, case=identification.case,
                     from_state=IdentificationStatus.REVIEW, to_state=IdentificationStatus.NONE_OF_THESE,
                     reason=reason)
    return identification


def identifications_settle(*, actor, subject: SubjectAllegation, person: Person) -> None:
    """A manual link ends any review of the subject (in the caller's transaction)."""
    Identification.objects.filter(subject_allegation=subject, status=IdentificationStatus.REVIEW).update(
        status=IdentificationStatus.SUPERSEDED, decided_by=actor, decided_at=timezone.now(),
        reason=f"Linked by hand to person {person.pk}.")


@audited_write("subject.unlink_person")
def link_undo(*, actor, subject_allegation_id: int, reason: str, expected_version: int | None = None) -> SubjectAllegation:
    """Undo a subject's link, however it was made: the subject is unidentified again.

    The register follows (`register.alerts`, on `subject.unlink_person`): the person stops showing
    the allegation in their history, the alerts raised about it are withdrawn, and every unit told is
    sent a correction. The person is never linked to this subject automatically again.
    """
    from forewarn.cases.services import subject_person_set

    permissions.require(actor, "subject.identification.review")
    reason = clean_text(reason, field="reason", max_length=2000, required=True)
    with transaction.atomic():
        subject = subject_allegation_get_for_actor(actor=actor, subject_allegation_id=subject_allegation_id)
        subject = SubjectAllegation.objects.select_for_update().select_related("case").get(pk=subject.pk)
        version_check(subject, expected_version, what="subject")
        if not subject.person_id:
            raise GuardFailed("This subject is not linked to anyone.", code="identification.not_linked")
        person_id = subject.person_id
        linked = (Identification.objects.select_for_update()
                  .filter(subject_allegation=subject, person_id=person_id,
                          status__in=(IdentificationStatus.AUTO_LINKED, IdentificationStatus.ACCEPTED))
                  .order_by("-id").first())
        if linked is not None:
            linked.candidates.filter(person_id=person_id).update(decision=CandidateDecision.REJECTED)
            _decide(linked, actor=actor, status=IdentificationStatus.UNDONE, reason=reason, person_id=person_id)
        else:
            # A manual link: record the refusal so that matching never re-links this person by itself.
            undone = Identification.objects.create(
                subject_allegation=subject, case=subject.case, status=IdentificationStatus.UNDONE, model_version=0,
                auto_link_threshold=0, review_threshold=0, details={}, person_id=person_id, decided_by=actor,
                decided_at=timezone.now(), reason=reason)
            Candidate.objects.create(identification=undone, person_id=person_id, position=1, probability=0,
                                     match_weight=0, evidence=[], decision=CandidateDecision.REJECTED)
        subject_person_set(actor=actor, sa=subject, person=None, action="subject.unlink_person", reason=reason,
                           data={"identification": linked.pk if linked else None})
    return subject


# -- reading -------------------------------------------------------------------------------------
def review_queue(*, actor, limit: int = 100) -> list[Identification]:
    """Identifications awaiting review on the cases in the actor's scope, oldest first (audited)."""
    if not permissions.has_role_for(actor, "identification.queue"):
        return []
    found = list(Identification.objects.filter(permissions.case_scope_q(actor, "case__"),
                                               status=IdentificationStatus.REVIEW)
                 .select_related("case", "subject_allegation", "subject_allegation__allegation")
                 .prefetch_related("candidates").order_by("created_at", "id")[:limit])
    read_search(actor=actor, action="identification.queue", data={"identification_ids": [i.pk for i in found]})
    return found


def subject_identification(*, actor, subject_allegation_id: int) -> Identification | None:
    """The latest identification of a subject, with its candidates and their people (an audited read:
    it shows people of any force)."""
    permissions.require(actor, "subject.identification.review")
    subject = subject_allegation_get_for_actor(actor=actor, subject_allegation_id=subject_allegation_id)
    identification = (Identification.objects.filter(subject_allegation=subject)
                      .prefetch_related("candidates__person", "candidates__appointment__organisation")
                      .order_by("-id").first())
    if identification is not None:
        read_record(actor=actor, obj=identification, case=subject.case,
                    data={"person_ids": [c.person_id for c in identification.candidates.all()]})
    return identification
