"""A person's cross-force register history, as the sharing rules let one viewer see it (issue #4 §1).

One view of everything the register holds about a person: names, appointments in every force, every
allegation against them in every force (as register entries), its severity assessments and their
changes, findings and outcomes, suspensions, vetting events and list entries. Each entry carries
what the viewer may see of it and why (`register.sharing`); entries the viewer may not see are left
out, and a viewer whose organisation has no relationship with the person is told how to get one (a
vetting or transfer check), never how many entries other forces hold: a count would itself disclose.

Names and appointments are the national workforce register, which every register reader may read
(`person.read`); so are list entries once listed.

The number of queries does not grow with the person's history (a test holds it): the register is
read at national scale (150,000 people, 2 million allegations) with a p95 target of 50 ms on the API,
so every filter below runs on an index (subject-allegations by person, audit events by object,
applications and disclosure requests by person, checks through their matched-people rows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from forewarn.audit.models import Event, EventKind
from forewarn.audit.services import read_record
from forewarn.cases.lifecycle import (
    CASE_SUSPENSION_MACHINE,
    SUBJECT_ALLEGATION_MACHINE,
    SUBJECT_CRIMINAL_MACHINE,
)
from forewarn.cases.models import Case, Severity, SubjectAllegation
from forewarn.organisations import permissions
from forewarn.register.disclosures import disclosure_status
from forewarn.register.entries import ENTRY_FIELDS, subject_entries
from forewarn.register.models import (
    Application,
    DisclosureRequest,
    DisclosureStatus,
    LawfulBasis,
    ListEntry,
    ListEntryStatus,
    RegisterCheck,
)
from forewarn.register.sharing import (
    PERSON_RELATIONSHIPS,
    Relationship,
    Visibility,
    person_relationships,
    visibility_for,
)
from forewarn.workforce.models import Appointment, Person, PersonName, RankHeld
from forewarn.workforce.selectors import person_get_for_actor


def _action(machine, name: str) -> str:
    return f"{machine.name}.{machine.get(name).action}"  # raises at import if the table loses the step


SEVERITY_ACTIONS = {_action(SUBJECT_ALLEGATION_MACHINE, "assess_severity"): "assessed",
                    _action(SUBJECT_ALLEGATION_MACHINE, "reassess_severity"): "reassessed"}
# Suspensions: of the whole investigation (an event on the case), or of one officer's misconduct
# proceedings while criminal proceedings run (Conduct Regs 2020 reg 10; an event on the subject).
CASE_SUSPENSION_ACTIONS = {
    _action(CASE_SUSPENSION_MACHINE, "suspend"): "Investigation suspended for criminal proceedings",
    _action(CASE_SUSPENSION_MACHINE, "resume"): "Investigation resumed",
}
SUBJECT_SUSPENSION_ACTIONS = {
    _action(SUBJECT_CRIMINAL_MACHINE, "suspend_for_criminal_proceedings"):
        "Misconduct proceedings delayed for criminal proceedings",
    _action(SUBJECT_CRIMINAL_MACHINE, "resume_after_criminal_proceedings"): "Misconduct proceedings resumed",
}
SUSPENSION_ACTIONS = {**CASE_SUSPENSION_ACTIONS, **SUBJECT_SUSPENSION_ACTIONS}
SUBJECT_EVENT_ACTIONS = sorted({*SEVERITY_ACTIONS, *SUBJECT_SUSPENSION_ACTIONS})
CASE_EVENT_ACTIONS = sorted(CASE_SUSPENSION_ACTIONS)
NO_BASIS_MESSAGE = ("Your organisation has no basis to see register entries held by other forces for this "
                    "person: it does not employ them, has not employed them, and has no open vetting or transfer "
                    "application for them. Run a vetting or transfer check to open an application.")


@dataclass
class RegisterHistory:
    person: Person
    names: list[dict]
    appointments: list[dict]
    relationships: list[str]  # the viewer organisation's relationships to the person as a whole
    basis_missing: bool
    entries: list[dict]
    applications: list[dict]
    checks: list[dict]
    list_entries: list[dict]
    counts: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return NO_BASIS_MESSAGE if self.basis_missing else ""

    @property
    def relationship_labels(self) -> list[str]:
        return [Relationship(r).label for r in self.relationships]

    def as_dict(self) -> dict:
        """JSON-ready, as the API returns it (register.schemas.HistoryOut)."""
        person = self.person
        return {"person": {"id": person.pk, "full_name": person.full_name, "date_of_birth": person.date_of_birth},
                "names": self.names, "appointments": self.appointments, "relationships": self.relationships,
                "relationship_labels": self.relationship_labels, "basis_missing": self.basis_missing, "message": self.message, "entries": self.entries,
                "applications": self.applications, "checks": self.checks, "list_entries": self.list_entries,
                "counts": self.counts}


# -- shaping ------------------------------------------------------------------------------------------
def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _names(person: Person, former: list[PersonName]) -> list[dict]:
    current = {"given_name": person.given_name, "middle_names": person.middle_names,
               "family_name": person.family_name, "used_from": None, "used_until": None, "reason": "",
               "current": True}
    return [current] + [{"given_name": n.given_name, "middle_names": n.middle_names, "family_name": n.family_name,
                         "used_from": _iso(n.used_from), "used_until": _iso(n.used_until), "reason": n.reason,
                         "current": False} for n in former]


def _appointment(a: Appointment) -> dict:
    ranks = list(a.ranks.all())  # prefetched in date order
    return {"organisation": {"code": a.organisation.code, "name": a.organisation.name},
            "role_type": a.role_type, "role_type_label": a.get_role_type_display(),
            "service_number": a.service_number, "start_date": _iso(a.start_date), "end_date": _iso(a.end_date),
            "end_reason": a.end_reason, "end_reason_label": a.get_end_reason_display() if a.end_reason else "",
            "ranks": [{"rank": r.rank, "label": r.get_rank_display(), "start_date": _iso(r.start_date),
                       "acting": r.acting} for r in ranks]}


def _severity_label(code: str) -> str:
    return str(Severity(code).label) if code in Severity.values else (code or "")


def _event_items(events: list[Event]) -> tuple[dict[int, list[dict]], dict[int, list[dict]], dict[int, list[dict]]]:
    """Severity changes by subject-allegation, suspensions by subject-allegation and by case."""
    severity: dict[int, list[dict]] = {}
    subject_suspensions: dict[int, list[dict]] = {}
    case_suspensions: dict[int, list[dict]] = {}
    for event in events:
        by = {"code": event.organisation.code, "name": event.organisation.name} if event.organisation else None
        if event.action in SEVERITY_ACTIONS:
            data = event.data if isinstance(event.data, dict) else {}
            changes = event.changes if isinstance(event.changes, dict) else {}
            previous, new = changes.get("severity", [None, data.get("severity", "")])
            severity.setdefault(event.object_id, []).append({
                "on": _iso(event.occurred_on), "step": SEVERITY_ACTIONS[event.action],
                "severity": new or "", "severity_label": _severity_label(new or ""),
                "previous": previous or "", "previous_label": _severity_label(previous or ""),
                "likely_proceedings": data.get("likely_proceedings", ""), "by": by})
        else:
            item = {"on": _iso(event.occurred_on), "step": event.action.split(".", 1)[1],
                    "label": SUSPENSION_ACTIONS[event.action], "by": by}
            target = case_suspensions if event.object_type == "cases.case" else subject_suspensions
            target.setdefault(event.object_id, []).append(item)
    return severity, subject_suspensions, case_suspensions


def _disclosure_state(request: DisclosureRequest | None, now: dt.datetime) -> dict | None:
    if request is None:
        return None
    return {"id": request.pk, "status": disclosure_status(request, now), "requested_at": request.created_at.isoformat(),
            "expires_at": _iso(request.expires_at)}


def _application(a: Application) -> dict:
    return {"id": a.pk, "kind": a.kind, "kind_label": a.get_kind_display(), "reference": a.reference,
            "opened_on": _iso(a.opened_on), "closed_on": _iso(a.closed_on), "outcome": a.outcome,
            "open": a.is_open}


def _check(c: RegisterCheck, person_id: int) -> dict:
    evidence = next((m.get("evidence", []) for m in c.matches if m.get("person_id") == person_id), [])
    return {"id": c.pk, "at": c.created_at.isoformat(), "lawful_basis": c.lawful_basis,
            "lawful_basis_label": str(LawfulBasis(c.lawful_basis).label) if c.lawful_basis in LawfulBasis.values
            else c.lawful_basis,
            "application_kind": c.application_kind, "purpose": c.purpose,
            "by": (c.actor.get_full_name() or c.actor.username) if c.actor else None, "evidence": evidence}


def _list_entry(e: ListEntry) -> dict:
    return {"id": e.pk, "kind": e.kind, "kind_label": e.get_kind_display(), "basis": e.basis,
            "basis_label": e.get_basis_display(), "status": e.status, "status_label": e.get_status_display(),
            "organisation": {"code": e.organisation.code, "name": e.organisation.name},
            "decided_on": _iso(e.decided_on), "reported_on": _iso(e.reported_on), "standards": list(e.standards),
            "gross_misconduct": e.gross_misconduct, "review_not_before": _iso(e.review_not_before),
            "removed_on": _iso(e.removed_on)}


# -- the selector ----------------------------------------------------------------------------------------
def _visibility(subject: SubjectAllegation, *, org_id: int | None, person_rels: set[Relationship],
                disclosed: set[int], roles) -> tuple[Visibility, list[str]]:
    rels = set(person_rels)
    if org_id is not None and subject.case.organisation_id == org_id:
        rels.add(Relationship.OWNS_CASE)
    if subject.case_id in disclosed:
        rels.add(Relationship.DISCLOSURE_GRANTED)
    return visibility_for(rels, roles), sorted(rels)


def person_register_history(*, actor, person_id: int) -> RegisterHistory:
    """Everything the register holds about a person that the actor may see, in a fixed number of queries.

    NotFound if the actor may not read people at all; PermissionDenied without a register role. The
    read is audited once, with what was shown.
    """
    person = person_get_for_actor(actor=actor, person_id=person_id)
    permissions.require(actor, "register.history.read")
    today, now = timezone.localdate(), timezone.now()
    roles = actor.role_codes
    organisation = actor.organisation
    org_id = organisation.id if organisation is not None else None

    former_names = list(PersonName.objects.filter(person=person).order_by("used_from", "id"))
    appointments = list(Appointment.objects.filter(person=person).select_related("organisation")
                        .prefetch_related(Prefetch("ranks", queryset=RankHeld.objects.order_by("start_date", "id")))
                        .order_by("start_date", "id"))
    own_applications = list(Application.objects.filter(person=person, organisation_id=org_id)
                            .order_by("-opened_on", "-id")) if org_id else []
    person_rels = person_relationships(organisation=organisation, appointments=appointments, on=today,
                                       open_application_kinds=[a.kind for a in own_applications if a.is_open])
    subjects = list(SubjectAllegation.objects.filter(person=person)
                    .select_related("case", "case__organisation", "allegation").only(*ENTRY_FIELDS)
                    .order_by("-case__came_to_attention_on", "allegation__number", "id"))
    requests = list(DisclosureRequest.objects.filter(person=person, requesting_organisation_id=org_id)
                    .order_by("created_at", "id")) if org_id else []
    latest_request = {r.case_id: r for r in requests}  # oldest first, so the latest per case wins
    disclosed = {r.case_id for r in requests
                 if r.status == DisclosureStatus.GRANTED and r.expires_at and r.expires_at > now}

    judged = [(s, *_visibility(s, org_id=org_id, person_rels=person_rels, disclosed=disclosed, roles=roles))
              for s in subjects]
    shown = [(s, vis, rels) for s, vis, rels in judged if vis > Visibility.NOTHING]
    file_cases = {s.case_id for s, vis, _ in shown if vis == Visibility.CASE_FILE}
    in_scope = set(Case.objects.filter(permissions.case_scope_q(actor), pk__in=sorted(file_cases))
                   .values_list("pk", flat=True)) if file_cases else set()
    entries = subject_entries([s for s, _, _ in shown], reveal_restricted=in_scope)

    open_ids = [e["subject_allegation_id"] for e in entries if not e["withheld"]]
    open_cases = sorted({s.case_id for (s, _, _), e in zip(shown, entries, strict=True) if not e["withheld"]})
    events = list(Event.objects.filter(
        Q(object_type="cases.subjectallegation", object_id__in=open_ids, action__in=SUBJECT_EVENT_ACTIONS)
        | Q(object_type="cases.case", object_id__in=open_cases, action__in=CASE_EVENT_ACTIONS),
        kind=EventKind.CHANGE).select_related("organisation")
        .only("action", "object_type", "object_id", "occurred_on", "data", "changes",
              "organisation__code", "organisation__name")
        .order_by("occurred_on", "id")) if open_ids else []
    severity, subject_suspensions, case_suspensions = _event_items(events)

    may_request = permissions.has_role_for(actor, "register.disclosure.request")
    for (subject, vis, rels), entry in zip(shown, entries, strict=True):
        linked = vis == Visibility.CASE_FILE and subject.case_id in in_scope
        request = _disclosure_state(latest_request.get(subject.case_id), now)
        entry.update({
            "visibility": "case_file" if linked else "entry",
            "basis": rels,
            "basis_labels": [Relationship(r).label for r in rels],
            "case_id": subject.case_id if linked else None,
            "severity_history": [] if entry["withheld"] else severity.get(subject.pk, []),
            "suspensions": [] if entry["withheld"] else sorted(
                case_suspensions.get(subject.case_id, []) + subject_suspensions.get(subject.pk, []),
                key=lambda item: item["on"] or ""),
            "disclosure": request,
            "may_request_disclosure": bool(may_request and not linked and subject.case.organisation_id != org_id
                                           and (request is None or request["status"] in {"refused", "expired"})),
        })

    checks = list(RegisterCheck.objects.filter(matched_people=person, organisation_id=org_id)
                  .select_related("actor").order_by("-created_at", "-id")) if org_id else []
    list_entries = [e for e in ListEntry.objects.filter(person=person).select_related("organisation")
                    .order_by("-decided_on", "-id")
                    if e.status == ListEntryStatus.LISTED or e.organisation_id == org_id]

    history = RegisterHistory(
        person=person, names=_names(person, former_names), appointments=[_appointment(a) for a in appointments],
        relationships=sorted(person_rels), basis_missing=not (person_rels & PERSON_RELATIONSHIPS),
        entries=entries, applications=[_application(a) for a in own_applications],
        checks=[_check(c, person.pk) for c in checks], list_entries=[_list_entry(e) for e in list_entries])
    history.counts = {"entries": len(entries), "withheld": sum(1 for e in entries if e["withheld"]),
                      "case_files": sum(1 for e in entries if e["case_id"]), "list_entries": len(list_entries),
                      "applications": len(own_applications), "checks": len(checks)}
    # One read event: who was shown whose register history, on what basis, and how much of it.
    read_record(actor=actor, obj=person, data={"register_history": True, "relationships": history.relationships,
                                               **history.counts})
    return history
