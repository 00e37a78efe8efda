"""Writes for cases outside the lifecycle tables: recording a matter, adding parties, allegations
and subjects, linking a subject to a person. Lifecycle steps go through `cases/lifecycle.py`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record
from forewarn.cases.lifecycle import CASE_MACHINE, SUBJECT_ALLEGATION_MACHINE
from forewarn.cases.models import (
    Allegation,
    Case,
    CaseParticipant,
    CaseStatus,
    CaseType,
    EligibilityBasis,
    ParticipantRole,
    Party,
    PartyRole,
    RestrictionKind,
    SubjectAllegation,
    SubjectStatus,
)
from forewarn.cases.selectors import (
    allegation_get_for_actor,
    case_get_for_actor,
    subject_allegation_get_for_actor,
)
from forewarn.cases.vocabulary import SUBCATEGORIES, AllegationFlag, Category, Standard
from forewarn.core import calendar
from forewarn.core.clocks import PROGRESS_REPORT_REPEAT_MONTHS, ClockKind
from forewarn.core.errors import GuardFailed, ValidationFailed
from forewarn.core.lifecycle import run_transition
from forewarn.core.models import Clock
from forewarn.core.regimes import regime_for
from forewarn.core.validation import clean_choice as _choice
from forewarn.core.validation import clean_past_date as _past_date
from forewarn.core.validation import clean_text as _text
from forewarn.core.versioning import version_check
from forewarn.organisations import permissions
from forewarn.organisations.models import Organisation, OrganisationKind, ReferenceCounter
from forewarn.workforce.models import Appointment, Person, Rank, Sex


def _next_reference(organisation: Organisation, year: int) -> str:
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(organisation=organisation, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{organisation.code}-{year}-{counter.last_number:05d}"


@audited_write("case.open")
def case_record(
    *,
    actor,
    case_type: str,
    came_to_attention_on: dt.date,
    summary: str,
    organisation_id: int | None = None,
    incident_date: dt.date | None = None,
    incident_location: str = "",
    restricted: bool = False,
    restriction_kind: str = "",
) -> Case:
    """Record a complaint, conduct matter or DSI matter against a force.

    A force records against itself; the IOPC records on behalf of the force concerned and notifies
    its appropriate authority (PRA 2002 Sch 3 para 2(1)). A case recorded as restricted says why,
    and names its recorder on it (cases.restriction), who would otherwise lose sight of it at once.
    """
    permissions.require_role(actor, permissions.CASE_RECORD, "Recording a case")
    case_type = _choice(case_type, CaseType, field="case_type")
    came_to_attention_on = _past_date(came_to_attention_on, field="came_to_attention_on", required=True)
    incident_date = _past_date(incident_date, field="incident_date")
    if incident_date and incident_date > came_to_attention_on:
        raise ValidationFailed("incident_date: the incident cannot be after the matter came to attention.",
                               field="incident_date", code="date.incident_after_attention")
    summary = _text(summary, field="summary", max_length=20_000, required=True)
    incident_location = _text(incident_location, field="incident_location", max_length=200)
    restriction_kind = _choice(restriction_kind, RestrictionKind, field="restriction_kind", required=False)
    restricted = bool(restricted or restriction_kind)
    if restricted and not restriction_kind:
        raise ValidationFailed("restriction_kind: say why the case is restricted.", field="restriction_kind",
                               code="validation.required")

    org = actor.organisation
    if org is None:
        raise ValidationFailed("Your account has no organisation.", code="actor.no_organisation")
    if org.kind == OrganisationKind.IOPC:
        if not organisation_id:
            raise ValidationFailed("organisation_id: the IOPC must say which force the matter concerns.",
                                   field="organisation_id", code="validation.required")
        org = Organisation.objects.filter(pk=organisation_id, kind__in=[
            OrganisationKind.TERRITORIAL_FORCE, OrganisationKind.NATIONAL_FORCE]).first()
        if org is None:
            raise ValidationFailed(f"organisation_id: no force with id {organisation_id}.", field="organisation_id",
                                   code="validation.unknown_organisation")
    elif not org.is_force:
        raise ValidationFailed("Only a force or the IOPC can record a case.", code="actor.not_a_force")
    elif organisation_id and organisation_id != org.id:
        raise ValidationFailed("organisation_id: a force records cases against itself only.",
                               field="organisation_id", code="validation.other_force")

    initial = CaseStatus.RECEIVED if case_type == CaseType.COMPLAINT else CaseStatus.IDENTIFIED
    with transaction.atomic():
        case = Case.objects.create(
            organisation=org,
            reference=_next_reference(org, came_to_attention_on.year),
            case_type=case_type,
            status=initial,
            status_since=came_to_attention_on,
            regime=regime_for(came_to_attention_on),
            came_to_attention_on=came_to_attention_on,
            incident_date=incident_date,
            incident_location=incident_location,
            summary=summary,
            restricted=restricted,
            restriction_kind=restriction_kind,
            created_by=actor,
        )
        if restricted:
            CaseParticipant.objects.create(case=case, user=actor, role=recorder_participant_role(actor),
                                           added_by=actor)
        event_record(actor=actor, action="case.open", obj=case, case=case, occurred_on=came_to_attention_on,
                     to_state=initial, data={"case_type": case_type, "reference": case.reference,
                                             "regime": case.regime,
                                             **({"restriction_kind": restriction_kind} if restricted else {})})
    return case


def recorder_participant_role(actor) -> str:
    """How the recorder of a restricted case is named on it: their first role that names a participant."""
    for role in ParticipantRole.values:
        if actor.has_any_role({role}):
            return role
    return ParticipantRole.CASE_HANDLER


@audited_write("party.add")
def party_add(
    *,
    actor,
    case_id: int,
    role: str,
    full_name: str,
    eligibility_basis: str = "",
    email: str = "",
    phone: str = "",
    address: str = "",
    postcode: str = "",
    is_vulnerable: bool = False,
    vulnerability_notes: str = "",
) -> Party:
    permissions.require_role(actor, permissions.CASE_EDIT_DETAILS, "Adding a party")
    role = _choice(role, PartyRole, field="role")
    eligibility_basis = _choice(eligibility_basis, EligibilityBasis, field="eligibility_basis", required=False)
    with transaction.atomic():
        case = case_get_for_actor(actor=actor, case_id=case_id)
        if role == PartyRole.COMPLAINANT:
            if case.case_type != CaseType.COMPLAINT:
                raise ValidationFailed("role: only a complaint has a complainant.", field="role",
                                       code="party.complainant_on_non_complaint")
            if not eligibility_basis:
                # PRA 2002 s12(1)-(1B): a complaint about conduct must come from an eligible person.
                raise ValidationFailed("eligibility_basis: say why the complainant may complain (PRA 2002 s12).",
                                       field="eligibility_basis", code="validation.required")
        email = _text(email, field="email", max_length=254)
        if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
            raise ValidationFailed("email: not a valid e-mail address.", field="email", code="validation.email")
        party = Party.objects.create(
            case=case, role=role, eligibility_basis=eligibility_basis,
            full_name=_text(full_name, field="full_name", max_length=200, required=True),
            email=email, phone=_text(phone, field="phone", max_length=40),
            address=_text(address, field="address", max_length=1000),
            postcode=_text(postcode, field="postcode", max_length=10).upper(),
            is_vulnerable=bool(is_vulnerable),
            vulnerability_notes=_text(vulnerability_notes, field="vulnerability_notes", max_length=2000),
        )
        # Contact details are not copied into the audit data: the audit trail must not widen exposure.
        event_record(actor=actor, action="party.add", obj=party, case=case,
                     data={"role": role, "is_vulnerable": party.is_vulnerable})
    return party


@audited_write("allegation.add")
def allegation_add(
    *,
    actor,
    case_id: int,
    category: str,
    description: str,
    subcategory: str = "",
    standards: list[str] | None = None,
    flags: list[str] | None = None,
) -> Allegation:
    permissions.require_role(actor, permissions.CASE_EDIT_DETAILS, "Adding an allegation")
    category = _choice(category, Category, field="category")
    subcategory = (subcategory or "").strip()
    allowed = SUBCATEGORIES[category]
    if subcategory and subcategory not in allowed:
        raise ValidationFailed(f"subcategory: '{subcategory}' is not a subcategory of {Category(category).label}.",
                               field="subcategory", code="validation.choice")
    if allowed and not subcategory:
        raise ValidationFailed(f"subcategory: choose a subcategory of {Category(category).label}.",
                               field="subcategory", code="validation.required")
    standards = list(dict.fromkeys(standards or []))
    for code in standards:
        _choice(code, Standard, field="standards")
    flags = list(dict.fromkeys(flags or []))
    for code in flags:
        _choice(code, AllegationFlag, field="flags")
    description = _text(description, field="description", max_length=20_000, required=True)
    with transaction.atomic():
        case = case_get_for_actor(actor=actor, case_id=case_id)
        # Serialise numbering: lock the case row (only once it is known to be in scope) before reading
        # the highest number. The id alone: the row was just read, and the lock needs no columns.
        list(Case.objects.select_for_update().filter(pk=case.pk).order_by().values_list("pk", flat=True))
        number = (Allegation.objects.filter(case=case).aggregate(n=Max("number"))["n"] or 0) + 1
        allegation = Allegation.objects.create(case=case, number=number, category=category, subcategory=subcategory,
                                               standards=standards, flags=flags, description=description)
        event_record(actor=actor, action="allegation.add", obj=allegation, case=case,
                     data={"number": number, "category": category, "subcategory": subcategory,
                           "standards": standards, "flags": flags})
    return allegation


def _person_with_appointments(person_id: int) -> Person | None:
    """The person, with every appointment and its organisation as `person.appointments_read`.

    Whether they have left the service (`_former_officer_facts`) and, in the same transaction, which
    forces employ them (the register's recipients: `register.alerts.loaded_appointments`) then come
    from these rows, read once: the register's own query for them was one of about twenty per serious
    allegation recorded (benchmarks/notification_latency.py).
    """
    appointments = list(Appointment.objects.filter(person_id=person_id).select_related("person", "organisation")
                        .order_by())
    # The person comes with their appointments; one without any (a record not yet on a roster) alone.
    person = appointments[0].person if appointments else Person.objects.filter(pk=person_id).order_by().first()
    if person is not None:
        person.appointments_read = appointments
    return person


def _former_officer_facts(person: Person, on: dt.date) -> tuple[bool, dt.date | None]:
    """Whether the person has left police service by `on`, and when they last left."""
    appointments = getattr(person, "appointments_read", None)
    if appointments is None:
        appointments = list(person.appointments.all())
    if not appointments:
        return False, None
    if any(a.is_current_on(on) for a in appointments):
        return False, None
    ends = [a.end_date for a in appointments if a.end_date and a.end_date <= on]
    return bool(ends), max(ends) if ends else None


@audited_write("subject.add")
def subject_add(
    *,
    actor,
    allegation_id: int,
    person_id: int | None = None,
    name_as_given: str = "",
    rank_as_given: str = "",
    number_as_given: str = "",
    station_as_given: str = "",
    approximate_age: int | None = None,
    date_of_birth_as_given: dt.date | None = None,
    sex_as_given: str = "",
    description_as_given: str = "",
) -> SubjectAllegation:
    """Add an officer (identified or not) as a subject of an allegation: one row per officer × allegation.

    A subject added without a person is matched against the workforce at once (issue #5 §1,
    `linkage.identification`): linked automatically above the force's upper threshold, or put in the
    review queue with its candidates.
    """
    permissions.require_role(actor, permissions.CASE_EDIT_DETAILS, "Adding a subject")
    rank_as_given = _choice(rank_as_given, Rank, field="rank_as_given", required=False)
    sex_as_given = _choice(sex_as_given, Sex, field="sex_as_given", required=False)
    if sex_as_given == Sex.UNKNOWN:
        sex_as_given = ""
    if approximate_age is not None and not (16 <= int(approximate_age) <= 90):
        raise ValidationFailed("approximate_age: between 16 and 90.", field="approximate_age",
                               code="validation.range")
    if date_of_birth_as_given is not None:
        date_of_birth_as_given = _past_date(date_of_birth_as_given, field="date_of_birth_as_given")
    fields = {
        "name_as_given": _text(name_as_given, field="name_as_given", max_length=200),
        "number_as_given": _text(number_as_given, field="number_as_given", max_length=20),
        "station_as_given": _text(station_as_given, field="station_as_given", max_length=120),
        "description_as_given": _text(description_as_given, field="description_as_given", max_length=2000),
    }
    if not person_id and not any(fields.values()) and not rank_as_given:
        raise ValidationFailed("Give the person, or describe the officer (name, rank, number, station…).",
                               field="name_as_given", code="subject.undescribed")
    proposal = None
    if not person_id:
        from forewarn.linkage import identification  # identity resolution sits above cases

        # Scope before matching reads anything.
        allegation = allegation_get_for_actor(actor=actor, allegation_id=allegation_id)
        # Matched before the transaction: scoring reads only, and the audit chain's lock (taken by
        # the first event) is not held while Splink runs.
        proposal = identification.propose_for(
            case=allegation.case, name=fields["name_as_given"], rank=rank_as_given,
            number=fields["number_as_given"], station=fields["station_as_given"], approximate_age=approximate_age,
            birth_date=date_of_birth_as_given, sex=sex_as_given)
    with transaction.atomic():
        # The allegation, its case and the case's organisation in one scoped read (again after
        # matching: the scope that counts is the one at the write).
        allegation = allegation_get_for_actor(actor=actor, allegation_id=allegation_id)
        case = allegation.case
        person = None
        former, left_on = False, None
        if person_id:
            person = _person_with_appointments(person_id)
            if person is None:
                raise ValidationFailed(f"person_id: no person with id {person_id}.", field="person_id",
                                       code="validation.unknown_person")
            former, left_on = _former_officer_facts(person, timezone.localdate())
        sa = SubjectAllegation.objects.create(
            case=case, allegation=allegation, person=person, rank_as_given=rank_as_given,
            approximate_age=approximate_age, date_of_birth_as_given=date_of_birth_as_given,
            sex_as_given=sex_as_given, status=SubjectStatus.RAISED, status_since=case.came_to_attention_on,
            is_former_officer=former, left_service_on=left_on, **fields,
        )
        event_record(actor=actor, action="subject.add", obj=sa, case=case, to_state=SubjectStatus.RAISED,
                     data={"allegation": allegation.number, "person_id": person_id, **fields,
                           "rank_as_given": rank_as_given, "sex_as_given": sex_as_given,
                           "date_of_birth_as_given": date_of_birth_as_given.isoformat()
                           if date_of_birth_as_given else None})
        if proposal is not None:
            identification.identification_record(actor=actor, subject=sa, proposal=proposal)
    return sa


def subject_person_set(*, actor, sa: SubjectAllegation, person: Person | None, action: str, reason: str = "",
                       data: dict | None = None) -> SubjectAllegation:
    """Set (or clear) the person a subject is, in the caller's transaction, with its audit event.

    The one place a subject's person changes: a manual link, a link by identity resolution (automatic
    or reviewed) and an undo all come here, so the register's handlers (`register.alerts`) see every
    one of them under `subject.link_person` or `subject.unlink_person`.
    """
    old = sa.person_id
    sa.person = person
    if person is None:
        sa.is_former_officer, sa.left_service_on = False, None
    else:
        sa.is_former_officer, sa.left_service_on = _former_officer_facts(person, timezone.localdate())
    sa.version += 1
    sa.save(update_fields=["person", "is_former_officer", "left_service_on", "version", "updated_at"])
    event_record(actor=actor, action=action, obj=sa, case=sa.case, reason=reason,
                 data={"person_id": [old, person.pk if person else None], **(data or {})})
    return sa


@audited_write("subject.link_person")
def subject_link_person(*, actor, subject_allegation_id: int, person_id: int, reason: str = "",
                        expected_version: int | None = None) -> SubjectAllegation:
    """Link a subject to a person the handler identified (a search, not a proposal: see
    `linkage.identification` for accepting a proposed match)."""
    permissions.require_role(actor, permissions.CASE_EDIT_DETAILS, "Linking a subject to a person")
    reason = _text(reason, field="reason", max_length=2000)
    with transaction.atomic():
        sa = subject_allegation_get_for_actor(actor=actor, subject_allegation_id=subject_allegation_id)
        sa = SubjectAllegation.objects.select_for_update().get(pk=sa.pk)
        version_check(sa, expected_version, what="subject")
        person = _person_with_appointments(person_id)
        if person is None:
            raise ValidationFailed(f"person_id: no person with id {person_id}.", field="person_id",
                                   code="validation.unknown_person")
        subject_person_set(actor=actor, sa=sa, person=person, action="subject.link_person", reason=reason,
                           data={"method": "manual"})
        from forewarn.linkage import identification

        identification.identifications_settle(actor=actor, subject=sa, person=person)
    return sa


# -- lifecycle steps -------------------------------------------------------------------------------
# Thin named wrappers over the statutory tables in `cases/lifecycle.py`: every guard, clock and audit
# event comes from the table via `run_transition`, so these add names, not rules.


def _case_step(action: str, *, actor, case_id: int, on: dt.date | None, expected_version: int | None,
               **payload) -> Case:
    case, _ = run_transition(machine=CASE_MACHINE, obj_id=case_id, actor=actor, action=action, payload=payload,
                             on=on, expected_version=expected_version)
    return case


def _subject_step(action: str, *, actor, subject_allegation_id: int, on: dt.date | None,
                  expected_version: int | None, **payload) -> SubjectAllegation:
    sa, _ = run_transition(machine=SUBJECT_ALLEGATION_MACHINE, obj_id=subject_allegation_id, actor=actor,
                           action=action, payload=payload, on=on, expected_version=expected_version)
    return sa


def case_log(*, actor, case_id: int, on: dt.date | None = None, expected_version: int | None = None) -> Case:
    return _case_step("log", actor=actor, case_id=case_id, on=on, expected_version=expected_version)


def case_record_under_sch3(*, actor, case_id: int, referral_categories: list[str] | None = None,
                           on: dt.date | None = None, expected_version: int | None = None) -> Case:
    """Record a logged complaint, or an identified conduct or DSI matter, under PRA 2002 Sch 3."""
    return _case_step("record", actor=actor, case_id=case_id, on=on, expected_version=expected_version,
                      referral_categories=referral_categories or [])


def case_refer_to_iopc(*, actor, case_id: int, referral_basis: str, referral_categories: list[str] | None = None,
                       on: dt.date | None = None, expected_version: int | None = None) -> Case:
    return _case_step("refer_to_iopc", actor=actor, case_id=case_id, on=on, expected_version=expected_version,
                      referral_basis=referral_basis, referral_categories=referral_categories or [])


def case_decide_not_to_refer(*, actor, case_id: int, reasons: str, referral_categories: list[str] | None = None,
                             on: dt.date | None = None, expected_version: int | None = None) -> Case:
    return _case_step("decide_not_to_refer", actor=actor, case_id=case_id, on=on,
                      expected_version=expected_version, reasons=reasons,
                      referral_categories=referral_categories or [])


def case_determine_mode(*, actor, case_id: int, investigation_mode: str, reasons: str,
                        special_procedures: bool = False, on: dt.date | None = None,
                        expected_version: int | None = None) -> Case:
    """The IOPC's decision on the mode of investigation (PRA 2002 Sch 3 para 15)."""
    return _case_step("determine_mode", actor=actor, case_id=case_id, on=on, expected_version=expected_version,
                      investigation_mode=investigation_mode, reasons=reasons, special_procedures=special_procedures)


def case_investigate(*, actor, case_id: int, special_procedures: bool, on: dt.date | None = None,
                     expected_version: int | None = None) -> Case:
    return _case_step("investigate", actor=actor, case_id=case_id, on=on, expected_version=expected_version,
                      special_procedures=special_procedures)


def case_notify_outcome(*, actor, case_id: int, outcome_summary: str, on: dt.date | None = None,
                        expected_version: int | None = None) -> Case:
    return _case_step("notify_outcome", actor=actor, case_id=case_id, on=on, expected_version=expected_version,
                      outcome_summary=outcome_summary)


def case_finalise(*, actor, case_id: int, note: str = "", on: dt.date | None = None,
                  expected_version: int | None = None) -> Case:
    return _case_step("finalise", actor=actor, case_id=case_id, on=on, expected_version=expected_version, note=note)


def case_withdraw(*, actor, case_id: int, reasons: str, on: dt.date | None = None,
                  expected_version: int | None = None) -> Case:
    return _case_step("withdraw", actor=actor, case_id=case_id, on=on, expected_version=expected_version,
                      reasons=reasons)


def subject_assess_severity(*, actor, subject_allegation_id: int, severity: str, reasons: str,
                            likely_proceedings: str = "", on: dt.date | None = None,
                            expected_version: int | None = None) -> SubjectAllegation:
    """Severity assessment (Conduct Regs 2020 reg 14; C&M Regs 2020 reg 16); a revision once assessed."""
    sa = subject_allegation_get_for_actor(actor=actor, subject_allegation_id=subject_allegation_id)
    action = "assess_severity" if sa.status == SubjectStatus.RAISED else "reassess_severity"
    return _subject_step(action, actor=actor, subject_allegation_id=subject_allegation_id, on=on,
                         expected_version=expected_version, severity=severity, reasons=reasons,
                         likely_proceedings=likely_proceedings)


def subject_appoint_investigator(*, actor, subject_allegation_id: int, investigator_name: str,
                                 on: dt.date | None = None, expected_version: int | None = None) -> SubjectAllegation:
    return _subject_step("appoint_investigator", actor=actor, subject_allegation_id=subject_allegation_id, on=on,
                         expected_version=expected_version, investigator_name=investigator_name)


def subject_serve_notice(*, actor, subject_allegation_id: int, notice_served_on: dt.date,
                         on: dt.date | None = None, expected_version: int | None = None) -> SubjectAllegation:
    return _subject_step("serve_notice", actor=actor, subject_allegation_id=subject_allegation_id, on=on,
                         expected_version=expected_version, notice_served_on=notice_served_on)


def subject_decide_case_to_answer(*, actor, subject_allegation_id: int, case_to_answer: str, reasons: str,
                                  on: dt.date | None = None,
                                  expected_version: int | None = None) -> SubjectAllegation:
    return _subject_step("decide_case_to_answer", actor=actor, subject_allegation_id=subject_allegation_id, on=on,
                         expected_version=expected_version, case_to_answer=case_to_answer, reasons=reasons)


@audited_write("case.investigation_progress_report")
def investigation_progress_report_record(*, actor, case_id: int, on: dt.date, summary: str,
                                         expected_version: int | None = None):
    """Record a 12-month (then 6-monthly) investigation progress report and start the next period.

    Conduct Regs 2020 reg 19; C&M Regs 2020 reg 13: the first report falls 12 months after the matter
    came to attention, then at intervals of 6 months. [R] The next period runs from the date of this
    report, so a late report does not shorten the following interval.
    """
    permissions.require_role(actor, permissions.REPORT_PROGRESS, "Recording an investigation progress report")
    summary = _text(summary, field="summary", max_length=20_000, required=True)
    on = _past_date(on, field="on", required=True)
    with transaction.atomic():
        case = case_get_for_actor(actor=actor, case_id=case_id)
        case = Case.objects.select_for_update().get(pk=case.pk)
        version_check(case, expected_version, what="case")
        if case.status != CaseStatus.UNDER_INVESTIGATION:
            raise GuardFailed("Progress reports are made only while the case is under investigation.",
                              code="progress_report.not_investigating")
        if on < case.came_to_attention_on:
            raise ValidationFailed("on: before the matter came to attention.", field="on", code="date.before_matter")
        owner = {"case": case, "subject_allegation": None, "proceeding": None}
        clock = (Clock.objects.select_for_update()
                 .filter(**owner, kind=ClockKind.INVESTIGATION_PROGRESS_REPORT, stopped_on__isnull=True).first())
        if clock is not None and on < clock.started_on:
            raise ValidationFailed("on: before the current reporting period began.", field="on",
                                   code="date.before_previous_step")
        if clock is not None:
            clock.stopped_on = on
            clock.save(update_fields=["stopped_on"])
        # The report changes the case's clocks: a new version, so a second report made against the
        # same view of the case (a double submit, two people at once) is refused, not recorded twice.
        case.version += 1
        case.save(update_fields=["version", "updated_at"])
        following = Clock.objects.create(
            **owner, kind=ClockKind.INVESTIGATION_PROGRESS_REPORT, started_on=on,
            due_on=calendar.add_months(on, PROGRESS_REPORT_REPEAT_MONTHS),
            # A suspended investigation keeps its clocks paused until it resumes.
            paused_on=on if case.suspension_status == "suspended" else None,
        )
        event_record(actor=actor, action="case.investigation_progress_report", obj=case, case=case, occurred_on=on,
                     data={"summary": summary, "was_due_on": clock.due_on.isoformat() if clock else None,
                           "next_due_on": following.due_on.isoformat()})
    return following
