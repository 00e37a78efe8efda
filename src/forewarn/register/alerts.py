"""Register alerts: who must be told when something serious happens to a person (issue #4 §2).

Every change in Forewarn writes an audit event (`audit.services.event_record`), in the change's own
transaction; that function hands the event to `alerts_for_event` here. So an alert is raised
whoever made the change (the person's own force, another force, the IOPC), from the web, the API,
the CLI or a batch job, and it commits or rolls back with the change: the transactional outbox.

What raises an alert:

- a *serious allegation* against an identified person: an allegation matching an enabled
  `AlertRule` (by default: any mandatory referral category, sexual conduct, abuse of position for
  a sexual purpose or an emotional relationship, VAWG and domestic abuse flags, discriminatory
  behaviour, dishonesty, a severity of gross misconduct). It is raised once per allegation and
  person, when the last fact needed is known: the subject is identified, the allegation is
  referred, or the severity is assessed;
- for an allegation already alerted: a change of severity, a suspension or resumption, and the
  outcome of proceedings (follow-ups of what recipients were told, not every step of every case);
- a transfer in (or a new appointment of someone who served elsewhere): the receiving force gets
  the person's whole register history;
- a barred or advisory list entry being opened, listed or removed.

Who is told: every force that employs the person on the day (its professional standards
department and its vetting unit), and every force with an open vetting or transfer application
for them (its vetting unit); on a transfer, the receiving force. Each recipient unit gets an inbox
item (`AlertRecipient`) to acknowledge within 2 working days, or it escalates to the force's head
of professional standards; and `OutboxMessage` rows that the worker delivers by e-mail (a sign-in
link only: e-mail is not a secure channel) and by signed webhook.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from forewarn.core import calendar
from forewarn.core.errors import GuardFailed, NotFound
from forewarn.organisations import permissions
from forewarn.organisations.models import Role, User
from forewarn.register.entries import subject_entries, subject_entry
from forewarn.register.models import (
    Alert,
    AlertRecipient,
    AlertRule,
    AlertRuleField,
    AlertTrigger,
    Application,
    ApplicationKind,
    Channel,
    OutboxMessage,
    RecipientBasis,
    Unit,
    WebhookEndpoint,
)

ACKNOWLEDGE_WITHIN_WORKING_DAYS = 2
# The alerts raised while one event is handled (alerts_for_event collects them to link the event).
_raised: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("forewarn_alerts_raised", default=None)
# The roles that read and acknowledge each unit's alerts (permissions.ALERT_READERS split by unit).
UNIT_ROLES: dict[str, frozenset[str]] = {
    Unit.PROFESSIONAL_STANDARDS: permissions.FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS},
    Unit.VETTING: frozenset({Role.VETTING_OFFICER}),
    Unit.OVERSIGHT: frozenset({Role.IOPC_CASEWORKER}),
}
# Who is e-mailed for each unit, and on escalation.
UNIT_MAIL_ROLE = {Unit.PROFESSIONAL_STANDARDS: Role.HEAD_OF_STANDARDS, Unit.VETTING: Role.VETTING_OFFICER,
                  Unit.OVERSIGHT: Role.IOPC_CASEWORKER}
# Who an unacknowledged copy is escalated to, by the unit that missed it: a force's head of professional
# standards for either force unit. The IOPC has no head of professional standards; its oversight unit's
# copies (outcome outliers, which the IOPC may challenge by judicial review within CPR 54.5's time) go
# to the IOPC's administrators, the accounts answerable for the IOPC's use of Forewarn (they set the
# national alert rules and its webhooks). The appropriate authority is a force's statutory role (PRA 2002
# s29), never the IOPC's, so it cannot be the IOPC's escalation point.
ESCALATION_ROLE: dict[str, str] = {Unit.PROFESSIONAL_STANDARDS: Role.HEAD_OF_STANDARDS,
                                   Unit.VETTING: Role.HEAD_OF_STANDARDS, Unit.OVERSIGHT: Role.ADMINISTRATOR}
# Whose webhooks carry an escalation: the force's standards unit, or the IOPC's oversight unit.
ESCALATION_ENDPOINT_UNIT: dict[str, str] = {Unit.PROFESSIONAL_STANDARDS: Unit.PROFESSIONAL_STANDARDS,
                                            Unit.VETTING: Unit.PROFESSIONAL_STANDARDS,
                                            Unit.OVERSIGHT: Unit.OVERSIGHT}
# A force's units: employers and receiving forces are told in both (the IOPC's oversight unit only
# reads outcome outliers, addressed to it by guidance.services).
FORCE_UNITS = (Unit.PROFESSIONAL_STANDARDS, Unit.VETTING)


# -- which allegations are serious ----------------------------------------------------------------
def _matches(rule: AlertRule, subject) -> bool:
    allegation, case = subject.allegation, subject.case
    if rule.field == AlertRuleField.CATEGORY:
        return allegation.category == rule.value
    if rule.field == AlertRuleField.SUBCATEGORY:
        return allegation.subcategory == rule.value
    if rule.field == AlertRuleField.STANDARD:
        return rule.value in (allegation.standards or [])
    if rule.field == AlertRuleField.FLAG:
        return rule.value in (allegation.flags or [])
    if rule.field == AlertRuleField.SEVERITY:
        return subject.severity == rule.value
    if rule.field == AlertRuleField.MANDATORY_REFERRAL:
        categories = case.referral_categories or []
        return bool(categories) if rule.value == "*" else rule.value in categories
    return False


# The enabled rules, kept for a few seconds: they are read on every identified subject, severity and
# referral, and change a few times a year. A change made here applies at once in this process
# (alert_rule_set clears it) and within FOREWARN_ALERT_RULES_CACHE_SECONDS (default 5) in every other.
_rules_cache: tuple[float, list[AlertRule]] | None = None


def enabled_rules() -> list[AlertRule]:
    global _rules_cache
    now = time.monotonic()
    ttl = getattr(settings, "FOREWARN_ALERT_RULES_CACHE_SECONDS", 5.0)
    if _rules_cache is None or now - _rules_cache[0] > ttl:
        _rules_cache = (now, list(AlertRule.objects.filter(enabled=True)))
    return _rules_cache[1]


def rules_cache_clear() -> None:
    global _rules_cache
    _rules_cache = None


def serious_reasons(subject, rules: Iterable[AlertRule] | None = None) -> list[str]:
    """Why this allegation is serious, in words (empty if it is not)."""
    rules = enabled_rules() if rules is None else rules
    return [rule.description for rule in rules if _matches(rule, subject)]


def alert_rule_set(*, actor, field: str, value: str, enabled: bool = True, description: str = "") -> AlertRule:
    """Add a serious-allegation rule, or switch one on or off (administrators of the IOPC or the
    College: the rule set is national, so no one force changes what others are told)."""
    from forewarn.audit.services import event_record
    from forewarn.core.errors import PermissionDenied, ValidationFailed

    permissions.require(actor, "register.rules.manage")
    if getattr(actor.organisation, "kind", "") not in ("iopc", "college"):
        raise PermissionDenied("Changing the serious-allegation rules is for administrators of the IOPC or the "
                               "College of Policing.", action="register.rules.manage")
    if field not in AlertRuleField.values:
        raise ValidationFailed(f"field: '{field}' is not one of {', '.join(AlertRuleField.values)}.", field="field",
                               code="validation.choice")
    value = (value or "").strip()
    if not value or len(value) > 200:
        raise ValidationFailed("value: give the value the rule matches (at most 200 characters).", field="value",
                               code="validation.required")
    description = (description or "").strip()[:200]
    with transaction.atomic():
        rule = AlertRule.objects.select_for_update().filter(field=field, value=value).first()
        before = (rule.enabled, rule.description) if rule else None
        if rule is None:
            if not description:
                raise ValidationFailed("description: say in words what the new rule catches.",
                                       field="description", code="validation.required")
            rule = AlertRule.objects.create(field=field, value=value, description=description, enabled=enabled)
        else:
            rule.enabled = enabled
            rule.description = description or rule.description
            rule.save(update_fields=["enabled", "description", "updated_at"])
        transaction.on_commit(rules_cache_clear)
        event_record(actor=actor, action="register.rule.set", obj=rule,
                     data={"field": field, "value": value, "enabled": enabled, "description": rule.description},
                     changes={} if before is None else {"enabled": [before[0], enabled]})
    return rule


# -- recipients ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    organisation_id: int
    unit: str
    basis: str


def recipients_for(person_id: int, on: dt.date, *, receiving_organisation_id: int | None = None,
                   appointments: list | None = None) -> list[Recipient]:
    """The units to tell about a person on a day: employers (both units), open applications
    (vetting unit), and a receiving force (both units). One per organisation and unit.

    `appointments`: all the person's appointments with their organisations, when the caller has just
    read them in this transaction (`loaded_appointments`); the employers are then taken from those
    rows by the same rule as the query below, instead of reading them again.
    """
    appointment = apps.get_model("workforce", "Appointment")
    found: dict[tuple[int, str], Recipient] = {}

    def add(org_id: int, unit: str, basis: str) -> None:
        found.setdefault((org_id, unit), Recipient(org_id, unit, basis))

    if receiving_organisation_id:
        for unit in FORCE_UNITS:
            add(receiving_organisation_id, unit, RecipientBasis.RECEIVING_FORCE)
    if appointments is not None:
        employers = [a.organisation_id for a in appointments if a.is_current_on(on) and a.organisation.is_force]
    else:
        employers = (appointment.objects.filter(person_id=person_id, start_date__lte=on)
                     .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
                     .filter(organisation__kind__in=("territorial_force", "national_force"))
                     .values_list("organisation_id", flat=True))
    for org_id in sorted(set(employers)):
        for unit in FORCE_UNITS:
            add(org_id, unit, RecipientBasis.EMPLOYS)
    for org_id, kind in (Application.objects.filter(person_id=person_id, closed_on__isnull=True)
                         .order_by("opened_on", "id").values_list("organisation_id", "kind")):
        basis = (RecipientBasis.TRANSFER_APPLICATION if kind == ApplicationKind.TRANSFER
                 else RecipientBasis.VETTING_APPLICATION)
        add(org_id, Unit.VETTING, basis)
    return list(found.values())


def _queue(recipients: list[AlertRecipient], *, mail_role_of: Callable[[AlertRecipient], str], purpose: str,
           now: dt.datetime, endpoint_unit_of: Callable[[AlertRecipient], str]) -> int:
    """Outbox rows for some recipients: each active webhook of the unit, and each person to e-mail.

    Three queries however many recipients (endpoints, addresses, one insert): this runs inside the
    transaction of the change that raised the alert, so it must stay short.
    """
    if not recipients:
        return 0
    org_ids = {r.organisation_id for r in recipients}
    endpoints: dict[tuple[int, str], list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(organisation_id__in=org_ids, active=True).order_by("id"):
        endpoints.setdefault((endpoint.organisation_id, endpoint.unit), []).append(endpoint)
    roles = {mail_role_of(r) for r in recipients}
    addresses: dict[tuple[int, str], set[str]] = {}
    for org_id, role, email in (User.objects.filter(organisation_id__in=org_ids, is_active=True, roles__role__in=roles)
                                .exclude(email="").values_list("organisation_id", "roles__role", "email")):
        addresses.setdefault((org_id, role), set()).add(email)
    rows = []
    for r in recipients:
        rows += [OutboxMessage(recipient=r, purpose=purpose, channel=Channel.WEBHOOK, endpoint=endpoint,
                               idempotency_key=uuid.uuid4().hex, next_attempt_at=now)
                 for endpoint in endpoints.get((r.organisation_id, endpoint_unit_of(r)), [])]
        rows += [OutboxMessage(recipient=r, purpose=purpose, channel=Channel.EMAIL, email=address,
                               idempotency_key=uuid.uuid4().hex, next_attempt_at=now)
                 for address in sorted(addresses.get((r.organisation_id, mail_role_of(r)), ()))]
    OutboxMessage.objects.bulk_create(rows)
    return len(rows)


# -- raising -------------------------------------------------------------------------------------
def alert_raise(
    *,
    person_id: int,
    trigger: str,
    dedupe_key: str,
    occurred_on: dt.date,
    summary: dict,
    reasons: list[str] | None = None,
    case=None,
    subject_allegation=None,
    receiving_organisation_id: int | None = None,
    key_checked: bool = False,
    targets: list[Recipient] | None = None,
    appointments: list | None = None,
) -> Alert | None:
    """Record an alert, its recipients and their outbox rows, in the caller's transaction.

    Returns None if an alert with this key exists already (raised once, whatever retries the
    caller makes) or if nobody is to be told. `appointments`: see `recipients_for`.
    """
    if not key_checked and Alert.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    today = timezone.localdate()
    if targets is None:
        targets = recipients_for(person_id, today, receiving_organisation_id=receiving_organisation_id,
                                 appointments=appointments)
    alert = Alert.objects.create(
        person_id=person_id, trigger=trigger, dedupe_key=dedupe_key, occurred_on=occurred_on, summary=summary,
        reasons=reasons or [], case=case, subject_allegation=subject_allegation)
    collected = _raised.get()
    if collected is not None:
        collected.append(alert.pk)
    if not targets:
        # Kept: the person's history shows it, and a force that opens an application later sees it.
        return alert
    due = calendar.add_working_days(today, ACKNOWLEDGE_WITHIN_WORKING_DAYS)
    recipients = AlertRecipient.objects.bulk_create([
        AlertRecipient(alert=alert, organisation_id=t.organisation_id, unit=t.unit, basis=t.basis, acknowledge_by=due)
        for t in targets])
    _queue(recipients, mail_role_of=lambda r: UNIT_MAIL_ROLE[r.unit], endpoint_unit_of=lambda r: r.unit,
           purpose="alert", now=timezone.now())
    return alert


def _once() -> str:
    """A key part for an alert raised once per event (the event has no id yet)."""
    return uuid.uuid4().hex


def _subjects(**filters) -> list:
    subject_model = apps.get_model("cases", "SubjectAllegation")
    return list(subject_model.objects.filter(person__isnull=False, **filters)
                .select_related("case", "case__organisation", "allegation"))


def loaded_appointments(subject) -> list | None:
    """The subject's person's appointments with their organisations, when the service that saved the
    subject read them in this transaction (`cases.services`, to tell whether the person has left the
    service: `person.appointments_read`); None otherwise."""
    if not type(subject).person.is_cached(subject) or subject.person is None:
        return None
    return getattr(subject.person, "appointments_read", None)


def _alerted(subjects: list) -> set[tuple[int, int]]:
    """(subject-allegation, person) pairs already alerted as serious (a subject re-linked to someone
    else is a new allegation against that person)."""
    return set(Alert.objects.filter(trigger=AlertTrigger.SERIOUS_ALLEGATION, withdrawn_at__isnull=True,
                                    subject_allegation_id__in=[s.pk for s in subjects])
               .values_list("subject_allegation_id", "person_id"))


def _raise_serious(subjects: list, event, *, new: bool = False) -> None:
    """A serious-allegation alert for each identified subject now serious and not yet alerted
    (`new`: the subjects were created by this change, so none can have been alerted)."""
    if not subjects:
        return
    rules = enabled_rules()
    already = set() if new else _alerted(subjects)
    for subject in subjects:
        if (subject.pk, subject.person_id) in already:
            continue
        reasons = serious_reasons(subject, rules)
        if reasons:
            alert_raise(person_id=subject.person_id, trigger=AlertTrigger.SERIOUS_ALLEGATION,
                        dedupe_key=f"serious:{subject.pk}:{subject.person_id}", occurred_on=event.occurred_on,
                        summary={"entry": subject_entry(subject)}, reasons=reasons, case=subject.case,
                        subject_allegation=subject, key_checked=True,  # _alerted just looked
                        appointments=loaded_appointments(subject))


def _follow_up(subjects: list, event, trigger: str, note: str) -> None:
    """A follow-up alert (severity, suspension, outcome) about allegations already alerted as serious:
    one per person, however many of their allegations the change touched (a hearing decides eight
    allegations in one outcome)."""
    alerted = _alerted(subjects)
    chosen = [s for s in subjects if (s.pk, s.person_id) in alerted]
    by_person: dict[int, list[tuple]] = {}
    for subject, entry in zip(chosen, subject_entries(chosen), strict=True):
        by_person.setdefault(subject.person_id, []).append((subject, entry))
    for person_id, items in by_person.items():
        first = items[0][0]
        summary = ({"entry": items[0][1], "change": note} if len(items) == 1
                   else {"entries": [entry for _, entry in items], "change": note})
        alert_raise(person_id=person_id, trigger=trigger, dedupe_key=f"{trigger}:{person_id}:{_once()}",
                    occurred_on=event.occurred_on, summary=summary, reasons=[note], case=first.case,
                    subject_allegation=first if len(items) == 1 else None, key_checked=True)  # a fresh key


# -- handlers by audit action ------------------------------------------------------------------
def _on_subject_identified(event, obj) -> None:
    # The subject as the service just saved it (its case and allegation already loaded), not a re-read.
    if obj.person_id:
        _raise_serious([obj], event, new=event.action == "subject.add")


def _on_subject_unlinked(event, obj) -> None:
    """Identity resolution undid a link: withdraw what was said about that person, and tell everyone
    who was told (the units of those alerts, not today's employers) that it was the wrong person."""
    old_person_id = (event.data.get("person_id") or [None])[0]
    if not old_person_id:
        return
    told = list(Alert.objects.filter(subject_allegation_id=obj.pk, person_id=old_person_id, withdrawn_at__isnull=True)
                .order_by("id"))
    if not told:
        return
    targets: dict[tuple[int, str], Recipient] = {}
    for organisation_id, unit in (AlertRecipient.objects.filter(alert__in=told).order_by("id")
                                  .values_list("organisation_id", "unit")):
        targets.setdefault((organisation_id, unit), Recipient(organisation_id, unit, RecipientBasis.PREVIOUSLY_TOLD))
    case = obj.case
    correction = alert_raise(
        person_id=old_person_id, trigger=AlertTrigger.CORRECTION, dedupe_key=f"correction:{obj.pk}:{_once()}",
        occurred_on=event.occurred_on, case=case, subject_allegation=obj, key_checked=True,  # a fresh key
        targets=list(targets.values()),
        summary={"correction": "This allegation is not against this person: the link was undone.",
                 "case": case.reference, "allegation": obj.allegation.number,
                 "withdrawn_alerts": [a.pk for a in told], "contact": case.organisation.standards_contact},
        reasons=[f"Link undone: {event.reason}" if event.reason else "Link undone"])
    now = timezone.now()
    for alert in told:
        # The key is freed, so a later link of this subject to the same person alerts afresh.
        alert.withdrawn_at, alert.withdrawn_by = now, correction
        alert.dedupe_key = f"{alert.dedupe_key}:withdrawn:{alert.pk}"[:120]
    Alert.objects.bulk_update(told, ["withdrawn_at", "withdrawn_by", "dedupe_key"])


def _on_case_referral(event, obj) -> None:
    # The referral categories are now known: every identified subject of the case may be serious.
    _raise_serious(_subjects(case_id=obj.pk), event)


def _on_severity(event, obj) -> None:
    subjects = _subjects(pk=obj.pk)
    old, new = (event.changes or {}).get("severity", [None, None])
    if old and old != new:
        _follow_up(subjects, event, AlertTrigger.SEVERITY_CHANGE, f"Severity changed from {old} to {new}")
    _raise_serious(subjects, event)


def _on_subject_suspension(event, obj) -> None:
    note = ("Suspended for criminal proceedings" if event.action.endswith(".suspend_for_criminal_proceedings")
            else "Resumed after criminal proceedings")
    _follow_up(_subjects(pk=obj.pk), event, AlertTrigger.SUSPENSION, note)


def _on_case_suspension(event, obj) -> None:
    note = "Investigation suspended" if event.action.endswith(".suspend") else "Investigation resumed"
    _follow_up(_subjects(case_id=obj.pk), event, AlertTrigger.SUSPENSION, note)


def _on_outcome(event, obj) -> None:
    proceeding = obj if event.object_type == "proceedings.proceeding" else obj.proceeding
    item_model = apps.get_model("proceedings", "ProceedingAllegation")
    ids = list(item_model.objects.filter(proceeding_id=proceeding.pk).values_list("subject_allegation_id", flat=True))
    label = proceeding.get_sanction_display() if proceeding.sanction else "no sanction"
    _follow_up(_subjects(pk__in=ids), event, AlertTrigger.OUTCOME, f"Outcome: {label}")


def _on_appointment(event, obj) -> None:
    """A transfer in, or a new appointment of someone who served in another force: the whole history."""
    appointment_model = apps.get_model("workforce", "Appointment")
    elsewhere = (appointment_model.objects.filter(person_id=obj.person_id)
                 .exclude(organisation_id=obj.organisation_id).exists())
    if event.action != "appointment.transfer_in" and not elsewhere:
        return
    subjects = _subjects(person_id=obj.person_id)
    subjects.sort(key=lambda s: (s.case.came_to_attention_on, s.allegation.number), reverse=True)
    list_entry = apps.get_model("register", "ListEntry")
    lists = [{"kind": e.kind, "basis": e.basis, "status": e.status, "decided_on": e.decided_on.isoformat()}
             for e in list_entry.objects.filter(person_id=obj.person_id)]
    alert_raise(person_id=obj.person_id, trigger=AlertTrigger.TRANSFER, dedupe_key=f"transfer:{obj.pk}",
                occurred_on=obj.start_date, summary={"history": subject_entries(subjects), "list_entries": lists},
                reasons=[f"Joined {obj.organisation.code} on {obj.start_date.isoformat()}"],
                receiving_organisation_id=obj.organisation_id)


def _on_list_entry(event, obj) -> None:
    words = {"list_entry.open": "awaiting report", "list_entry.list": "listed", "list_entry.remove": "removed"}
    note = f"{obj.get_kind_display()}: {words[event.action]}"
    summary = {"list_entry": {"kind": obj.kind, "basis": obj.basis, "status": obj.status,
                              "decided_on": obj.decided_on.isoformat(), "organisation": obj.organisation.code,
                              "standards": list(obj.standards), "contact": obj.organisation.standards_contact}}
    alert_raise(person_id=obj.person_id, trigger=AlertTrigger.LIST_ENTRY, dedupe_key=f"list:{obj.pk}:{_once()}",
                occurred_on=event.occurred_on, summary=summary, reasons=[note], case=obj.case,
                key_checked=True)  # a fresh key


def _on_outcome_assessment(event, obj) -> None:
    """An outcome outside the outcomes guidance (issue #6 §2): the appropriate authority and the IOPC."""
    from forewarn.guidance.services import outlier_alert_raise  # guidance sits above the register

    outlier_alert_raise(event=event, assessment=obj)


HANDLERS: dict[str, Callable] = {
    "subject.add": _on_subject_identified,
    "subject.link_person": _on_subject_identified,
    "subject.unlink_person": _on_subject_unlinked,
    "case.record": _on_case_referral,
    "case.record_at_complainant_request": _on_case_referral,
    "case.refer_to_iopc": _on_case_referral,
    "case.decide_not_to_refer": _on_case_referral,
    "subject_allegation.assess_severity": _on_severity,
    "subject_allegation.reassess_severity": _on_severity,
    "subject_criminal.suspend_for_criminal_proceedings": _on_subject_suspension,
    "subject_criminal.resume_after_criminal_proceedings": _on_subject_suspension,
    "case_suspension.suspend": _on_case_suspension,
    "case_suspension.resume": _on_case_suspension,
    "proceeding.outcome_notify": _on_outcome,
    "challenge.substitute": _on_outcome,
    "appointment.transfer_in": _on_appointment,
    "appointment.start": _on_appointment,
    "list_entry.open": _on_list_entry,
    "list_entry.list": _on_list_entry,
    "list_entry.remove": _on_list_entry,
    "outcome_assessment.record": _on_outcome_assessment,
}


def alerts_for_event(*, event, obj) -> list[int]:
    """Raise whatever alerts a change event calls for; the ids of the alerts raised.

    Called by audit.services.event_record with the event about to be appended (no id yet), which
    then names these alerts in its data: see there why the register goes before the chain's lock.
    """
    handler = HANDLERS.get(event.action)
    if handler is None:
        return []
    raised: list[int] = []
    _raised.set(raised)
    try:
        handler(event, obj)
    finally:
        _raised.set(None)
    return raised


# -- inbox, acknowledgement, escalation -----------------------------------------------------------
def units_for(actor) -> list[str]:
    """The units whose alerts this actor reads, by role."""
    if not permissions.is_signed_in(actor):
        return []
    return [unit for unit, roles in UNIT_ROLES.items() if actor.has_any_role(roles)]


def escalated_units_for(actor) -> list[str]:
    """The units whose escalated copies this actor reads, as the one escalated to (ESCALATION_ROLE)."""
    if not permissions.is_signed_in(actor):
        return []
    return [unit for unit, role in ESCALATION_ROLE.items() if actor.has_any_role({role})]


def inbox_q(actor) -> Q:
    """The alert copies an actor may read: their organisation's, for their units; and every escalated
    copy of their organisation's units escalated to them (a head of professional standards: either force
    unit; an IOPC administrator: the oversight unit)."""
    units, escalated = units_for(actor), escalated_units_for(actor)
    if not (units or escalated) or getattr(actor, "organisation_id", None) is None:
        return Q(pk__in=[])
    return (Q(organisation_id=actor.organisation_id, unit__in=units)
            | Q(organisation_id=actor.organisation_id, unit__in=escalated, escalated_at__isnull=False))


def may_acknowledge(actor, recipient: AlertRecipient) -> bool:
    """Whether the actor may acknowledge this copy: its unit's readers, or the one it was escalated to
    (the same copies inbox_q lets them read; alert_acknowledge needs the copy in their inbox)."""
    if recipient.acknowledged_at is not None or recipient.organisation_id != getattr(actor, "organisation_id", None):
        return False
    if actor.has_any_role(UNIT_ROLES[recipient.unit]):
        return True
    return recipient.escalated_at is not None and recipient.unit in escalated_units_for(actor)


def alert_get_for_actor(*, actor, alert_id: int, for_update: bool = False) -> AlertRecipient:
    """One inbox item in the actor's sight, or NotFound (never confirms another force's alert)."""
    qs = AlertRecipient.objects.filter(inbox_q(actor), pk=alert_id)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    found = qs.select_related("alert", "alert__person", "organisation", "acknowledged_by").first()
    if found is None:
        raise NotFound(f"No alert with id {alert_id}.")
    return found


def alert_read(*, actor, alert_id: int) -> AlertRecipient:
    """An inbox item, opened: the read is audited (it names a person and an allegation)."""
    from forewarn.audit.services import read_record

    permissions.require(actor, "register.inbox.read")
    recipient = alert_get_for_actor(actor=actor, alert_id=alert_id)
    read_record(actor=actor, obj=recipient, case=recipient.alert.case,
                data={"alert_id": recipient.alert_id, "person_id": recipient.alert.person_id})
    return recipient


def alert_acknowledge(*, actor, alert_id: int, note: str = "") -> AlertRecipient:
    """Acknowledge one's unit's copy of an alert, or one escalated to oneself (stops the escalation clock)."""
    from forewarn.audit.services import event_record

    permissions.require(actor, "register.alert.acknowledge")
    note = (note or "").strip()[:2000]
    with transaction.atomic():
        recipient = alert_get_for_actor(actor=actor, alert_id=alert_id, for_update=True)
        if recipient.acknowledged_at is not None:
            raise GuardFailed(
                f"This alert was acknowledged on {timezone.localtime(recipient.acknowledged_at):%d %B %Y at %H:%M}.",
                code="alert.already_acknowledged")
        recipient.acknowledged_at = timezone.now()
        recipient.acknowledged_by = actor
        recipient.save(update_fields=["acknowledged_at", "acknowledged_by"])
        event_record(actor=actor, action="register.alert.acknowledge", obj=recipient, case=recipient.alert.case,
                     data={"alert_id": recipient.alert_id, "unit": recipient.unit}, reason=note)
    return recipient


def alerts_escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Escalate every copy not acknowledged by the end of its second working day: a force's copies to
    its head of professional standards (e-mail, standards webhooks, and their inbox), the IOPC's to its
    administrators (e-mail, oversight webhooks, and their inbox). Idempotent."""
    from forewarn.audit.services import event_record

    now = now or timezone.now()
    today = timezone.localdate(now)
    escalated = 0
    with transaction.atomic():
        overdue = list(AlertRecipient.objects.select_for_update()
                       .filter(acknowledged_at__isnull=True, escalated_at__isnull=True, acknowledge_by__lt=today)
                       .order_by("id"))
        _queue(overdue, mail_role_of=lambda r: ESCALATION_ROLE[r.unit],
               endpoint_unit_of=lambda r: ESCALATION_ENDPOINT_UNIT[r.unit], purpose="escalation", now=now)
        for recipient in overdue:
            recipient.escalated_at = now
            recipient.save(update_fields=["escalated_at"])
            event_record(actor=None, action="register.alert.escalate", obj=recipient, case=None,
                         data={"alert_id": recipient.alert_id, "organisation_id": recipient.organisation_id,
                               "unit": recipient.unit, "acknowledge_by": recipient.acknowledge_by.isoformat()})
            escalated += 1
    return escalated


def inbox_list(*, actor, open_only: bool = True, limit: int = 100) -> list[AlertRecipient]:
    """The actor's inbox, newest first (unacknowledged only unless open_only=False)."""
    permissions.require(actor, "register.inbox.read")
    qs = AlertRecipient.objects.filter(inbox_q(actor))
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return list(qs.select_related("alert", "alert__person", "acknowledged_by").order_by("-alert_id", "id")[:limit])


def inbox_waiting_count(*, actor) -> int:
    """How many of the actor's alerts wait for acknowledgement (0 for roles without an inbox)."""
    if not permissions.has_role_for(actor, "register.inbox.read"):
        return 0
    return AlertRecipient.objects.filter(inbox_q(actor), acknowledged_at__isnull=True).count()
