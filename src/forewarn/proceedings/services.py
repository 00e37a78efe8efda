"""Writes for proceedings that create records: referral to proceedings, lodging a challenge, and the
report to the barred or advisory list. Steps along an existing proceeding or challenge go through
`proceedings/lifecycle.py` with `core.lifecycle.run_transition`.

Each service runs in one database transaction: a refusal raises a DomainError and writes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record
from forewarn.cases.models import CaseToAnswer, SubjectAllegation, SubjectStatus
from forewarn.core.clocks import ClockKind
from forewarn.core.errors import GuardFailed, NotFound, TransitionNotAllowed, ValidationFailed
from forewarn.core.lifecycle import require, run_transition
from forewarn.core.models import Clock
from forewarn.core.regimes import panel_regime_for
from forewarn.core.validation import clean_text
from forewarn.organisations.models import Role
from forewarn.organisations.permissions import LIST_REFERRAL, case_scope_q, require_role
from forewarn.proceedings import rules
from forewarn.proceedings.lifecycle import (
    CHALLENGE_MACHINE,
    PROCEEDING_MACHINE,
    notice_clocks_start,
    subject_machine,
)
from forewarn.proceedings.models import (
    Challenge,
    ChallengeRoute,
    ChallengeStatus,
    ListKind,
    ListReferral,
    Proceeding,
    ProceedingAllegation,
    ProceedingForm,
    ProceedingStatus,
)

# Reg 23 / reg 30: the appropriate authority refers a case to proceedings and gives notice.
PROCEEDING_REFER = frozenset({Role.APPROPRIATE_AUTHORITY})
# Challenges are brought by others (officer, complainant, IOPC); force staff record them.
CHALLENGE_LODGE = frozenset({Role.APPROPRIATE_AUTHORITY, Role.CASE_HANDLER})
PANEL_ROLES = frozenset({"chair", "independent_member", "legally_qualified_person", "legally_qualified_chair",
                         "senior_officer", "person_conducting"})
# Subject-allegation states in which no allegation is open any more (for the advisory list).
CLOSED_SUBJECT_STATES = frozenset({
    SubjectStatus.NO_CASE_TO_ANSWER, SubjectStatus.RPRP_COMPLETED, SubjectStatus.REFERRED_TO_PERFORMANCE,
    SubjectStatus.CLOSED_NO_ACTION, SubjectStatus.PROCEEDINGS_WITHDRAWN, SubjectStatus.PROCEEDINGS_CONCLUDED,
})


def _text(value: str | None, *, field: str, max_length: int, required: bool = True) -> str:
    """Text checks as everywhere else, but required unless said otherwise (proceedings need reasons)."""
    return clean_text(value, field=field, max_length=max_length, required=required)


def _past_date(value, *, field: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationFailed(f"{field}: must be a date.", field=field, code="validation.type")
    if value > timezone.localdate():
        raise ValidationFailed(f"{field}: {value.isoformat()} is in the future.", field=field, code="date.in_future")
    return value


def _choice(value: str, choices, *, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(f"{field}: '{value}' is not one of {', '.join(choices.values)}.", field=field,
                               code="validation.choice")
    return value


def _panel(panel) -> list[dict]:
    members = []
    for i, member in enumerate(panel or []):
        if not isinstance(member, dict) or member.get("role") not in PANEL_ROLES:
            raise ValidationFailed(f"panel.{i}: give a role ({', '.join(sorted(PANEL_ROLES))}) and a name.",
                                   field="panel", code="validation.panel")
        members.append({"role": member["role"],
                        "name": _text(member.get("name"), field=f"panel.{i}.name", max_length=200)})
    return members


def _same_officer(subjects: list[SubjectAllegation]) -> bool:
    """One person, or (not yet identified) one and the same description."""
    people = {s.person_id for s in subjects}
    if people != {None}:
        return len(people) == 1
    described = {(s.name_as_given.strip().lower(), s.rank_as_given, s.number_as_given.strip(),
                  s.description_as_given.strip().lower()) for s in subjects}
    return len(described) == 1


@audited_write("proceeding.refer")
def proceeding_refer(
    *,
    actor,
    subject_allegation_ids: list[int],
    form: str,
    notice_on: dt.date,
    panel: list[dict] | None = None,
    unconnected_incidents: bool = False,
    condition_c_special_determination: bool = False,
) -> Proceeding:
    """Refer one officer's allegations on one case to a meeting, hearing or AMH, giving notice (reg 30)."""
    require_role(actor, PROCEEDING_REFER, "Referring to misconduct proceedings")
    form = _choice(form, ProceedingForm, field="form")
    notice_on = _past_date(notice_on, field="notice_on")
    panel = _panel(panel)
    ids = list(dict.fromkeys(subject_allegation_ids or []))
    if not ids:
        raise ValidationFailed("subject_allegation_ids: give at least one allegation.",
                               field="subject_allegation_ids", code="validation.required")

    with transaction.atomic():
        subjects = list(SubjectAllegation.objects.select_for_update()
                        .filter(case_scope_q(actor, "case__"), pk__in=ids).order_by("id"))
        if len(subjects) != len(ids):
            missing = sorted(set(ids) - {s.id for s in subjects})
            raise NotFound(f"No subject-allegation with id {missing[0]}.")
        case = subjects[0].case
        require(all(s.case_id == case.id for s in subjects), "proceeding.mixed_cases",
                "All the allegations in one proceeding must belong to the same case.")
        # Reg 25 (joint proceedings) links proceedings of several officers; one proceeding is one officer.
        require(_same_officer(subjects), "proceeding.mixed_officers",
                "All the allegations in one proceeding must concern the same officer.")
        not_ready = [s for s in subjects if s.status != SubjectStatus.CASE_TO_ANSWER]
        if not_ready:
            raise TransitionNotAllowed(
                f"Allegation {not_ready[0].allegation.number} is '{not_ready[0].get_status_display()}', "
                "not 'Case to answer'.", current_state=not_ready[0].status, action="refer_to_proceedings")

        gross = any(s.case_to_answer == CaseToAnswer.GROSS_MISCONDUCT for s in subjects)
        case_to_answer = CaseToAnswer.GROSS_MISCONDUCT if gross else CaseToAnswer.MISCONDUCT
        fww = any(s.final_written_warning_in_force for s in subjects)
        former = any(s.is_former_officer for s in subjects)
        allowed = rules.forms_allowed(case_to_answer=case_to_answer, final_written_warning_in_force=fww,
                                      is_former_officer=former, regime=case.regime,
                                      unconnected_incidents=unconnected_incidents)
        require(form in allowed, "proceeding.form_not_allowed",
                f"A case to answer for {case_to_answer.label.lower().removeprefix('case to answer for ')} "
                f"goes to: {', '.join(sorted(allowed)) or 'no proceedings (a former officer only for gross misconduct)'}.")

        machine = subject_machine()
        for s in subjects:
            run_transition(machine=machine, obj_id=s.id, action="refer_to_proceedings", actor=actor, on=notice_on,
                           payload={"proceeding_form": form,
                                    "condition_c_special_determination": condition_c_special_determination})

        proceeding = Proceeding.objects.create(
            case=case, person_id=subjects[0].person_id, form=form, status=ProceedingStatus.NOTICE_OF_REFERRAL,
            status_since=notice_on, regime=case.regime, panel_regime=panel_regime_for(notice_on),
            notice_on=notice_on, is_former_officer=former, final_written_warning_in_force=fww,
            unconnected_incidents=unconnected_incidents,
            condition_c_determination=condition_c_special_determination, panel=panel)
        ProceedingAllegation.objects.bulk_create(
            [ProceedingAllegation(proceeding=proceeding, subject_allegation=s) for s in subjects])
        notice_clocks_start(proceeding)
        event_record(actor=actor, action="proceeding.refer", obj=proceeding, case=case, occurred_on=notice_on,
                     to_state=proceeding.status,
                     data={"form": form, "subject_allegation_ids": [s.id for s in subjects],
                           "regime": case.regime, "panel_regime": proceeding.panel_regime,
                           "is_former_officer": former, "final_written_warning_in_force": fww,
                           "unconnected_incidents": unconnected_incidents,
                           "condition_c_special_determination": condition_c_special_determination,
                           "panel": panel})
    return proceeding


@audited_write("challenge.lodge")
def challenge_lodge(
    *,
    actor,
    proceeding_id: int,
    route: str,
    applicant: str,
    grounds: str,
    lodged_on: dt.date,
    late_reason: str = "",
    parent_id: int | None = None,
) -> Challenge:
    """Record an appeal, PAT appeal, judicial review or Court of Appeal challenge against an outcome."""
    require_role(actor, CHALLENGE_LODGE, "Recording a challenge")
    route = _choice(route, ChallengeRoute, field="route")
    applicant = _text(applicant, field="applicant", max_length=200)
    grounds = _text(grounds, field="grounds", max_length=20_000)
    late_reason = _text(late_reason, field="late_reason", max_length=20_000, required=False)
    lodged_on = _past_date(lodged_on, field="lodged_on")

    with transaction.atomic():
        proceeding = (Proceeding.objects.select_for_update().filter(case_scope_q(actor, "case__"), pk=proceeding_id)
                      .select_related("case").first())
        if proceeding is None:
            raise NotFound(f"No proceeding with id {proceeding_id}.")
        require(proceeding.form in rules.ROUTE_FORMS[route], "challenge.route_not_available",
                f"A {ChallengeRoute(route).label.lower()} does not lie against a "
                f"{proceeding.get_form_display().lower()}.")
        require(proceeding.sanction_effective_on is not None, "challenge.no_outcome",
                "The officer has not been notified of an outcome to challenge.")

        parent = None
        decided_on = proceeding.sanction_effective_on
        if rules.ROUTE_PARENT[route]:
            require(parent_id is not None, "challenge.parent_required",
                    f"A {ChallengeRoute(route).label} challenge appeals a decided judicial review: name it.")
            parent = Challenge.objects.select_for_update().filter(proceeding=proceeding, pk=parent_id).first()
            if parent is None:
                raise NotFound(f"No challenge with id {parent_id} on this proceeding.")
            require(parent.route == rules.ROUTE_PARENT[route] and parent.status in rules.DECIDED_CHALLENGE,
                    "challenge.parent_not_decided", "The Court of Appeal hears appeals from a decided judicial review.")
            decided_on = parent.status_since
        else:
            require(parent_id is None, "challenge.parent_not_allowed",
                    f"A {ChallengeRoute(route).label.lower()} is brought against the outcome itself.")
        if lodged_on < decided_on:
            raise ValidationFailed(f"lodged_on: {lodged_on.isoformat()} is before the decision it challenges "
                                   f"({decided_on.isoformat()}).", field="lodged_on", code="date.before_decision")
        deadline = rules.challenge_deadline(route=route, decided_on=decided_on)
        if lodged_on > deadline and not late_reason:
            raise GuardFailed(f"The time to lodge ended on {deadline.isoformat()}: give the reason it is late "
                              "(and any extension granted).", code="challenge.late", field="late_reason")

        challenge = Challenge.objects.create(
            proceeding=proceeding, parent=parent, route=route, status=ChallengeStatus.LODGED, status_since=lodged_on,
            applicant=applicant, grounds=grounds, lodged_on=lodged_on, late_reason=late_reason)
        if parent is not None:
            run_transition(machine=CHALLENGE_MACHINE, obj_id=parent.id, action="appeal_onward", actor=actor,
                           on=lodged_on, reason=f"Appealed by challenge {challenge.id}")
        if proceeding.status != ProceedingStatus.APPEALED:
            run_transition(machine=PROCEEDING_MACHINE, obj_id=proceeding.id, action="challenge_lodged", actor=actor,
                           payload={"route": route}, on=lodged_on)
        event_record(actor=actor, action="challenge.lodge", obj=challenge, case=proceeding.case, occurred_on=lodged_on,
                     to_state=challenge.status,
                     data={"proceeding_id": proceeding.id, "route": route, "parent_id": parent_id,
                           "deadline": deadline.isoformat(), "late": lodged_on > deadline},
                     reason=late_reason)
    return challenge


def _left_service_on(subject: SubjectAllegation) -> dt.date | None:
    if subject.left_service_on:
        return subject.left_service_on
    if subject.person_id:
        officer = subject.person.appointments.filter(role_type="officer").order_by("-start_date").first()
        if officer and officer.end_date:
            return officer.end_date
    return None


@audited_write("list_referral.record")
def list_referral_record(
    *,
    actor,
    kind: str,
    reported_on: dt.date,
    conduct_description: str,
    proceeding_id: int | None = None,
    subject_allegation_id: int | None = None,
) -> ListReferral:
    """Record the AA's report to the College for the barred list (2017 Regs reg 3) or advisory list (reg 12)."""
    require_role(actor, LIST_REFERRAL, "Reporting to the barred or advisory list")
    kind = _choice(kind, ListKind, field="kind")
    reported_on = _past_date(reported_on, field="reported_on")
    conduct_description = _text(conduct_description, field="conduct_description", max_length=20_000)

    with transaction.atomic():
        proceeding = subject = None
        if proceeding_id is not None:
            proceeding = (Proceeding.objects.select_for_update().filter(case_scope_q(actor, "case__"), pk=proceeding_id)
                          .select_related("case").first())
            if proceeding is None:
                raise NotFound(f"No proceeding with id {proceeding_id}.")
        if subject_allegation_id is not None:
            subject = (SubjectAllegation.objects.filter(case_scope_q(actor, "case__"), pk=subject_allegation_id)
                       .select_related("case", "allegation", "person").first())
            if subject is None:
                raise NotFound(f"No subject-allegation with id {subject_allegation_id}.")

        if kind == ListKind.BARRED:
            if proceeding is None:
                raise ValidationFailed("proceeding_id: a barred-list report rests on a proceeding's outcome.",
                                       field="proceeding_id", code="validation.required")
            # Police Act 1996 s88A: dismissed, or found a former officer who would have been dismissed.
            require(proceeding.sanction in rules.BARRING_OUTCOMES and proceeding.sanction_effective_on is not None,
                    "list_referral.no_dismissal",
                    "Only a dismissal, or a finding that a former officer would have been dismissed, once "
                    "notified, is reported to the barred list.")
            if reported_on < proceeding.sanction_effective_on:
                raise ValidationFailed("reported_on: before the outcome was notified.", field="reported_on",
                                       code="date.before_decision")
            case = proceeding.case
            items = list(proceeding.items.select_related("subject_allegation__allegation"))
            standards = sorted({st for i in items for st in i.subject_allegation.allegation.standards})
            person_id = proceeding.person_id
            Clock.objects.filter(proceeding=proceeding, kind=ClockKind.BARRED_LIST_REPORT,
                                 stopped_on__isnull=True).update(stopped_on=reported_on)
        else:
            if subject is None:
                raise ValidationFailed("subject_allegation_id: an advisory-list report names the allegation.",
                                       field="subject_allegation_id", code="validation.required")
            # Police Act 1996 s88I(1)(a): the person left (resigned or retired) after the allegation came
            # to attention and before it was concluded; s88I(1)(b): it came to attention after they left.
            left = _left_service_on(subject)
            came = subject.case.came_to_attention_on
            closed_before_leaving = (subject.status in CLOSED_SUBJECT_STATES and left is not None
                                     and subject.status_since <= left)
            require(left is not None and (left < came or not closed_before_leaving),
                    "list_referral.not_left_while_open",
                    "The advisory list is for a person who left service while an allegation was open, or "
                    "about whom an allegation came to attention after they left (Police Act 1996 s88I).")
            if reported_on < left:
                # The report is made because they left (s88I(2)): it cannot precede their leaving.
                raise ValidationFailed(f"reported_on: {reported_on.isoformat()} is before the person left the "
                                       f"service ({left.isoformat()}).", field="reported_on",
                                       code="date.before_leaving")
            if proceeding is not None:
                require(proceeding.case_id == subject.case_id, "list_referral.mixed_cases",
                        "The proceeding and the allegation belong to different cases.")
            case = subject.case
            standards = list(subject.allegation.standards)
            person_id = subject.person_id

        referral = ListReferral.objects.create(
            case=case, proceeding=proceeding, subject_allegation=subject, person_id=person_id, kind=kind,
            reported_on=reported_on, standards=standards, conduct_description=conduct_description,
            reported_by=actor if getattr(actor, "pk", None) else None)
        event_record(actor=actor, action="list_referral.record", obj=referral, case=case, occurred_on=reported_on,
                     data={"kind": kind, "proceeding_id": proceeding_id, "subject_allegation_id": subject_allegation_id,
                           "standards": standards})
        # The report lists the waiting entry on the register's list (or a new one), in this transaction.
        from forewarn.register.lists import entry_list_from_referral  # the register sits above proceedings

        entry_list_from_referral(actor=actor, referral=referral)
    return referral
