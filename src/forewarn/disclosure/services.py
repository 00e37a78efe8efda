"""Disclosure schedules (issue #6 §1): open, decide, serve (sealed), verify, complete; the continuing duty.

    open ──(every item decided)──▶ serve v1 ──▶ … new material linked: drift items + notices ──▶ serve v2
      └──────────────────────────── complete (every item decided, the latest decisions served) ◀─┘

- **Open** lists every record linked to the person (`disclosure.material`): nothing known may be
  left off, so the list is built by Forewarn, never typed in.
- **Decide**: the named disclosure officer records, for each item, relevant and disclosed; not
  relevant (with the reason); or withheld under the harm test (with the reason).
- **Serve** seals a version: the content as served (with the redactions applied), its SHA-256,
  who, when and to whom; the hash is also in the hash-chained audit event. `schedule_verify` (and
  `forewarn disclosure verify`) recomputes it.
- **Continuing duty**: when new material is linked to the person after a schedule was served — a new
  complaint, a link accepted by review, a record from another force, an outcome, a list entry, an
  intelligence record of any force —
  every open schedule for that person gets the item (awaiting a decision) and a drift notice for its
  disclosure officer (`drift_for_event`, called for every audit event in the change's transaction).
  A schedule cannot be served or completed while any item awaits a decision.
"""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record, read_record
from forewarn.cases.models import Case
from forewarn.cases.selectors import case_get_for_actor
from forewarn.core.errors import GuardFailed, NotFound, ValidationFailed
from forewarn.core.validation import clean_choice, clean_text
from forewarn.disclosure.material import INTELLIGENCE_NOTE, material_for, published_facts
from forewarn.disclosure.models import (
    Decision,
    DriftNotice,
    ProceedingKind,
    Schedule,
    ScheduleItem,
    ScheduleStatus,
    ScheduleVersion,
)
from forewarn.organisations import permissions
from forewarn.organisations.models import User
from forewarn.proceedings.models import Challenge, ChallengeRoute, Proceeding, ProceedingForm

# 2: intelligence items, and `intelligence_note` in place of the old "not held" statement.
CONTENT_VERSION = 2
# Decisions that must say why (the officer's reasons are part of what is served).
REASONED = frozenset({Decision.NOT_RELEVANT, Decision.WITHHELD})
CHALLENGE_KINDS = {ChallengeRoute.MEETING_APPEAL: ProceedingKind.APPEAL,
                   ChallengeRoute.POLICE_APPEALS_TRIBUNAL: ProceedingKind.POLICE_APPEALS_TRIBUNAL,
                   ChallengeRoute.JUDICIAL_REVIEW: ProceedingKind.JUDICIAL_REVIEW,
                   ChallengeRoute.COURT_OF_APPEAL: ProceedingKind.JUDICIAL_REVIEW}
PROCEEDING_KINDS = {ProceedingForm.MEETING: ProceedingKind.MISCONDUCT_MEETING}


# -- reading -------------------------------------------------------------------------------------
def schedule_get_for_actor(*, actor, schedule_id: int, for_update: bool = False) -> Schedule:
    """A schedule whose case is in the actor's scope, for a role that may read schedules; else NotFound."""
    found = Schedule.objects.filter(pk=schedule_id).values_list("case_id", flat=True).first()
    if found is None or not permissions.has_role_for(actor, "disclosure.schedule.read"):
        raise NotFound(f"No disclosure schedule with id {schedule_id}.")
    case_get_for_actor(actor=actor, case_id=found)
    rows = Schedule.objects.select_related("case", "person", "disclosure_officer")
    return (rows.select_for_update(of=("self",)) if for_update else rows).get(pk=schedule_id)


def schedule_read(*, actor, schedule_id: int) -> Schedule:
    """A schedule with its items, for reading (audited: it lists a person's records across forces)."""
    schedule = schedule_get_for_actor(actor=actor, schedule_id=schedule_id)
    read_record(actor=actor, obj=schedule, case=schedule.case, data={"person_id": schedule.person_id})
    return schedule


def schedules_for_case(*, actor, case: Case) -> list[Schedule]:
    """The schedules of a case the caller has already read in the actor's scope (one query)."""
    if not permissions.has_role_for(actor, "disclosure.schedule.read"):
        return []
    return list(Schedule.objects.filter(case=case).select_related("person"))


def items_for(schedule: Schedule, *, actor=None) -> list[dict]:
    """The items as the actor may see them (restricted parties hidden from the subject side)."""
    hide = actor is None or permissions.subject_side_of(actor, schedule.case)
    return [{"item": item, "facts": published_facts(item.facts, hide_restricted_parties=hide)}
            for item in schedule.items.select_related("decided_by").order_by("id")]


# -- opening -------------------------------------------------------------------------------------
def _target(*, case: Case, proceeding_id: int | None, challenge_id: int | None, kind: str):
    """The proceeding or challenge the schedule is for (it must belong to the case), and its kind."""
    proceeding = challenge = None
    if challenge_id:
        challenge = Challenge.objects.select_related("proceeding").filter(
            pk=challenge_id, proceeding__case=case).first()
        if challenge is None:
            raise ValidationFailed(f"challenge_id: no challenge {challenge_id} on this case.", field="challenge_id",
                                   code="disclosure.unknown_challenge")
        proceeding = challenge.proceeding
        kind = kind or CHALLENGE_KINDS[challenge.route]
    elif proceeding_id:
        proceeding = Proceeding.objects.filter(pk=proceeding_id, case=case).first()
        if proceeding is None:
            raise ValidationFailed(f"proceeding_id: no proceeding {proceeding_id} on this case.",
                                   field="proceeding_id", code="disclosure.unknown_proceeding")
        kind = kind or PROCEEDING_KINDS.get(proceeding.form, ProceedingKind.MISCONDUCT_HEARING)
    if not kind:
        raise ValidationFailed("kind: say what the proceeding is (or name the proceeding or challenge).",
                               field="kind", code="validation.required")
    return proceeding, challenge, clean_choice(kind, ProceedingKind, field="kind")


@audited_write("disclosure.schedule.open")
def schedule_open(*, actor, case_id: int, person_id: int | None = None, kind: str = "",
                  proceeding_id: int | None = None, challenge_id: int | None = None, title: str = "",
                  disclosure_officer_id: int | None = None) -> Schedule:
    """Open a schedule for a proceeding about a person, listing every record linked to them."""
    permissions.require(actor, "disclosure.schedule.open")
    case = case_get_for_actor(actor=actor, case_id=case_id)
    proceeding, challenge, kind = _target(case=case, proceeding_id=proceeding_id, challenge_id=challenge_id,
                                          kind=kind)
    person_id = person_id or (proceeding.person_id if proceeding else None)
    if not person_id:
        raise ValidationFailed("person_id: whose records? Name the person (the proceeding names none).",
                               field="person_id", code="validation.required")
    if not case.subjects.filter(person_id=person_id).exists() and not (proceeding and proceeding.person_id == person_id):
        raise ValidationFailed(f"person_id: person {person_id} is not a subject of this case.", field="person_id",
                               code="disclosure.not_a_subject")
    officer = actor
    if disclosure_officer_id and disclosure_officer_id != actor.pk:
        officer = User.objects.filter(pk=disclosure_officer_id, organisation_id=actor.organisation_id,
                                      is_active=True).first()
        if officer is None or not permissions.has_role_for(officer, "disclosure.schedule.decide"):
            raise ValidationFailed("disclosure_officer_id: must be an active user of your organisation who may "
                                   "decide on disclosure.", field="disclosure_officer_id",
                                   code="disclosure.officer_invalid")
    title = clean_text(title, field="title", max_length=300) or (
        f"{ProceedingKind(kind).label}: {case.reference}" + (f" ({challenge.citation})" if challenge and challenge.citation else ""))
    with transaction.atomic():
        schedule = Schedule.objects.create(case=case, person_id=person_id, kind=kind, proceeding=proceeding,
                                           challenge=challenge, title=title, disclosure_officer=officer,
                                           created_by=actor)
        added = _add_material(schedule)
        event_record(actor=actor, action="disclosure.schedule.open", obj=schedule, case=case,
                     to_state=ScheduleStatus.OPEN,
                     data={"person_id": person_id, "kind": kind, "items": [i.key for i in added],
                           "disclosure_officer_id": officer.pk})
    return schedule


def _add_material(schedule: Schedule) -> list[ScheduleItem]:
    """Add records not yet on the schedule; refresh the facts of undecided ones; mark unlinked ones."""
    material = {m.key: m for m in material_for(schedule.person_id)}
    existing = {i.key: i for i in schedule.items.all()}
    new = [ScheduleItem(schedule=schedule, key=m.key, source=m.source, facts=m.facts,
                        subject_allegation_id=m.subject_allegation_id, proceeding_id=m.proceeding_id,
                        list_entry_id=m.list_entry_id, intelligence_record_id=m.intelligence_record_id,
                        added_after_version=schedule.served_version)
           for key, m in material.items() if key not in existing]
    ScheduleItem.objects.bulk_create(new)
    changed = []
    for key, item in existing.items():
        gone = key not in material
        facts = material[key].facts if not gone else item.facts
        if gone != item.no_longer_linked or (not item.decision and facts != item.facts):
            item.no_longer_linked, item.facts = gone, facts
            changed.append(item)
    ScheduleItem.objects.bulk_update(changed, ["no_longer_linked", "facts"])
    return new


# -- deciding ------------------------------------------------------------------------------------
def _open_schedule(*, actor, schedule_id: int) -> Schedule:
    schedule = schedule_get_for_actor(actor=actor, schedule_id=schedule_id, for_update=True)
    if schedule.disclosure_officer_id != actor.pk:
        raise GuardFailed("Only the schedule's disclosure officer records decisions and serves it.",
                          code="disclosure.not_the_officer")
    if schedule.status != ScheduleStatus.OPEN:
        raise GuardFailed("This schedule is completed.", code="disclosure.completed")
    return schedule


@audited_write("disclosure.item.decide")
def item_decide(*, actor, schedule_id: int, item_id: int, decision: str, reason: str = "") -> ScheduleItem:
    """Record the disclosure officer's decision on one item (a reason for not relevant or withheld)."""
    permissions.require(actor, "disclosure.schedule.decide")
    decision = clean_choice(decision, Decision, field="decision")
    if decision == Decision.PENDING:
        raise ValidationFailed("decision: choose disclosed, not_relevant or withheld.", field="decision",
                               code="validation.choice")
    reason = clean_text(reason, field="reason", max_length=5000, required=decision in REASONED)
    with transaction.atomic():
        schedule = _open_schedule(actor=actor, schedule_id=schedule_id)
        item = schedule.items.select_for_update().filter(pk=item_id).first()
        if item is None:
            raise ValidationFailed(f"item_id: {item_id} is not an item of this schedule.", field="item_id",
                                   code="disclosure.unknown_item")
        old = item.decision
        item.decision, item.reason, item.decided_by, item.decided_at = decision, reason, actor, timezone.now()
        item.save(update_fields=["decision", "reason", "decided_by", "decided_at", "updated_at"])
        DriftNotice.objects.filter(item=item, acknowledged_at__isnull=True).update(acknowledged_at=timezone.now())
        event_record(actor=actor, action="disclosure.item.decide", obj=schedule, case=schedule.case, reason=reason,
                     data={"item": item.key}, changes={"decision": [old, decision]})
    return item


def _pending(schedule: Schedule) -> list[str]:
    return list(schedule.items.filter(decision="").order_by("id").values_list("key", flat=True))


# -- serving and verifying -----------------------------------------------------------------------
def canonical(content: dict) -> bytes:
    """The bytes hashed: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(content: dict) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def schedule_content(schedule: Schedule, *, number: int | None, served_by: User | None = None, served_at=None,
                     served_to: str = "") -> dict:
    """What is served or exported: the schedule's particulars and every item with its decision, with
    the redactions for a reader outside the force applied (restricted parties left out; no contact
    details are ever part of the facts). `number` None: a draft, not served."""
    return {
        "format": CONTENT_VERSION,
        "schedule": {"id": schedule.pk, "title": schedule.title, "kind": schedule.kind,
                     "kind_label": str(ProceedingKind(schedule.kind).label),
                     "case_reference": schedule.case.reference, "person": schedule.person.full_name,
                     "person_id": schedule.person_id, "version": number},
        "served": ({"by": served_by.get_full_name() or served_by.username, "by_user_id": served_by.pk,
                    "at": served_at.isoformat(timespec="seconds"), "to": served_to} if served_by else None),
        "disclosure_officer": schedule.disclosure_officer.get_full_name() or schedule.disclosure_officer.username,
        "intelligence_note": INTELLIGENCE_NOTE,
        "items": [{"key": i.key, "source": i.source, "added_after_version": i.added_after_version,
                   "no_longer_linked": i.no_longer_linked, "decision": i.decision, "reason": i.reason,
                   "facts": published_facts(i.facts, hide_restricted_parties=True)}
                  for i in schedule.items.order_by("id")],
    }


@audited_write("disclosure.schedule.serve")
def schedule_serve(*, actor, schedule_id: int, served_to: str) -> ScheduleVersion:
    """Seal and serve the next version. Every item must have a decision."""
    permissions.require(actor, "disclosure.schedule.decide")
    served_to = clean_text(served_to, field="served_to", max_length=300, required=True)
    with transaction.atomic():
        schedule = _open_schedule(actor=actor, schedule_id=schedule_id)
        pending = _pending(schedule)
        if pending:
            raise GuardFailed(f"{len(pending)} item(s) await a decision ({', '.join(pending[:5])}"
                              f"{'…' if len(pending) > 5 else ''}): decide each before serving.",
                              code="disclosure.items_pending")
        number = schedule.served_version + 1
        now = timezone.now()
        content = schedule_content(schedule, number=number, served_by=actor, served_at=now, served_to=served_to)
        version = ScheduleVersion.objects.create(schedule=schedule, number=number, content=content,
                                                 content_hash=content_hash(content), served_by=actor, served_at=now,
                                                 served_to=served_to)
        schedule.served_version = number
        schedule.version += 1
        schedule.save(update_fields=["served_version", "version", "updated_at"])
        event_record(actor=actor, action="disclosure.schedule.serve", obj=schedule, case=schedule.case,
                     data={"version": number, "content_hash": version.content_hash, "served_to": served_to,
                           "items": len(content["items"])})
    return version


def schedule_verify(*, schedule_id: int, number: int | None = None) -> list[tuple[int, bool, str]]:
    """Check sealed versions: the stored content hashes to the sealed hash, and the hash is the one
    the audit trail recorded when it was served. [(version, ok, message)]. No actor: run by operators."""
    from forewarn.audit.models import Event

    versions = ScheduleVersion.objects.filter(schedule_id=schedule_id).order_by("number")
    if number is not None:
        versions = versions.filter(number=number)
    versions = list(versions)
    if not versions:
        raise NotFound(f"No served version of schedule {schedule_id}" + (f" numbered {number}." if number else "."))
    served = {e.data.get("version"): e.data.get("content_hash") for e in Event.objects.filter(
        action="disclosure.schedule.serve", object_type="disclosure.schedule", object_id=schedule_id)}
    results = []
    for v in versions:
        actual = content_hash(v.content)
        if actual != v.content_hash:
            results.append((v.number, False, f"content does not match its seal ({actual[:12]}… ≠ {v.content_hash[:12]}…)"))
        elif served.get(v.number) != v.content_hash:
            results.append((v.number, False, "seal does not match the hash recorded in the audit trail"))
        else:
            results.append((v.number, True, f"sealed {v.served_at:%Y-%m-%d %H:%M} to {v.served_to}: {v.content_hash}"))
    return results


@audited_write("disclosure.schedule.complete")
def schedule_complete(*, actor, schedule_id: int) -> Schedule:
    """Complete a schedule: every item decided, and no decision made since the last version was served."""
    permissions.require(actor, "disclosure.schedule.decide")
    with transaction.atomic():
        schedule = _open_schedule(actor=actor, schedule_id=schedule_id)
        pending = _pending(schedule)
        if pending:
            raise GuardFailed(f"{len(pending)} item(s) await a decision ({', '.join(pending[:5])}): the "
                              f"continuing duty requires a decision on each before the schedule is completed.",
                              code="disclosure.items_pending")
        latest = schedule.versions.order_by("-number").first()
        changed = latest is None or schedule.items.filter(decided_at__gt=latest.served_at).exists()
        if changed:
            raise GuardFailed("Serve the schedule with its latest decisions before completing it.",
                              code="disclosure.unserved_decisions")
        schedule.status, schedule.completed_at = ScheduleStatus.COMPLETED, timezone.now()
        schedule.version += 1
        schedule.save(update_fields=["status", "completed_at", "version", "updated_at"])
        event_record(actor=actor, action="disclosure.schedule.complete", obj=schedule, case=schedule.case,
                     from_state=ScheduleStatus.OPEN, to_state=ScheduleStatus.COMPLETED)
    return schedule


# -- the continuing duty -------------------------------------------------------------------------
# Events that link material to a person, and where the person is: (action -> person id of the object).
DRIFT_ACTIONS = {
    "subject.add": lambda obj, event: obj.person_id,
    "subject.link_person": lambda obj, event: obj.person_id,
    "subject.unlink_person": lambda obj, event: (event.data.get("person_id") or [None])[0],
    "proceeding.outcome_notify": lambda obj, event: obj.person_id,
    "challenge.substitute": lambda obj, event: obj.proceeding.person_id,
    "list_entry.open": lambda obj, event: obj.person_id,
    "list_entry.list": lambda obj, event: obj.person_id,
    "list_entry.remove": lambda obj, event: obj.person_id,
    # Intelligence (any force's) linked to the person, or unlinked from them (intelligence.services).
    "intelligence.record": lambda obj, event: obj.person_id,
    "intelligence.link": lambda obj, event: obj.person_id,
    "intelligence.unlink": lambda obj, event: event.data.get("person_id"),
}


def drift_for_event(*, event, obj) -> None:
    """Called for every change event, in its transaction: bring each open schedule for the person up
    to date; new items on a served schedule raise a drift notice to its disclosure officer."""
    person_of = DRIFT_ACTIONS.get(event.action)
    if person_of is None:
        return
    person_id = person_of(obj, event)
    if not person_id:
        return
    for schedule in Schedule.objects.filter(person_id=person_id, status=ScheduleStatus.OPEN):
        added = _add_material(schedule)
        if added and schedule.served_version:
            DriftNotice.objects.bulk_create([DriftNotice(schedule=schedule, item=item) for item in added])


def drift_notices_for(*, actor, open_only: bool = True) -> list[DriftNotice]:
    """The actor's drift notices (they are the disclosure officer), newest first."""
    rows = DriftNotice.objects.filter(schedule__disclosure_officer=actor)
    if open_only:
        rows = rows.filter(acknowledged_at__isnull=True)
    return list(rows.select_related("schedule", "item", "schedule__case")[:200])
