"""Vetting and transfer checks of the register, and the applications they open (issue #4 §3).

A vetting officer enters a person's id, or their given name, family name and date of birth (and,
if known, forces they served in), with the lawful basis and purpose of the check. Matching is on
exact identifiers only, until identity resolution arrives (linkage, a later issue):

- a person id matches that person;
- otherwise the date of birth must match AND the given and family names must match one name the
  person has used, current or former (`PersonName`: marriage, deed poll), ignoring case;
- previous forces, when given, must include at least one force the person served in.

Every identifier given must match. Each match comes with its evidence in words ("date of birth
14 March 1984 matched", "served in KEN 2006-2009"), and opens (or reuses) an open `Application` of
the checking force, which gives that force sight of the person's register entries
(`register.sharing`) and makes its vetting unit a recipient of alerts until the application is
closed. The check is recorded (`RegisterCheck`: query, lawful basis, purpose, matches with
evidence) and audited in the same transaction; showing each matched person's history is audited as
a read of that person.

Why a lawful basis and purpose on every check: vetting is processing for a statutory function
(UK GDPR art 6(1)(e); DPA 2018 s8, Sch 1 para 6), and art 5(1)(b) limits the data to the stated
purpose; the record of both is what an audit of the check is judged against.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record, read_search
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from forewarn.core.validation import clean_choice, clean_text
from forewarn.organisations import permissions
from forewarn.organisations.models import Organisation
from forewarn.register.history import RegisterHistory, person_register_history
from forewarn.register.models import (
    Application,
    ApplicationKind,
    ApplicationOutcome,
    LawfulBasis,
    RegisterCheck,
)
from forewarn.workforce.models import Appointment, Person, PersonName

# Long enough to say what the check is for ("Recruitment vetting, PC applicant 2025/118"); a word or
# two is not a purpose a later audit could judge the check against.
MIN_PURPOSE_LENGTH = 10
MAX_PURPOSE_LENGTH = 2000
MAX_NAME_LENGTH = 100
MAX_REFERENCE_LENGTH = 60
MAX_PREVIOUS_FORCES = 20
# Exact identifiers rarely match more than one or two people; past this the query is too loose to show.
MAX_MATCHES = 20
EARLIEST_BIRTH = dt.date(1900, 1, 1)


# -- input ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckQuery:
    person_id: int | None
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    previous_forces: tuple[Organisation, ...]

    def as_json(self) -> dict:
        return {"person_id": self.person_id, "given_name": self.given_name, "family_name": self.family_name,
                "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
                "previous_forces": [o.code for o in self.previous_forces]}


class _Errors:
    """Every field error of one request, raised together (the first names the field; all are listed)."""

    def __init__(self):
        self.items: list[dict] = []

    def add(self, field: str, message: str, code: str) -> None:
        self.items.append({"field": field, "message": f"{field}: {message}", "code": code})

    def guard(self, field: str, call):
        try:
            return call()
        except ValidationFailed as err:
            self.items.append({"field": field, "message": err.message, "code": err.code})
            return None

    def raise_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise ValidationFailed(first["message"], code=first["code"], field=first["field"],
                                   errors=[{"field": e["field"], "message": e["message"]} for e in self.items])


def _clean_date_of_birth(value, errors: _Errors) -> dt.date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        errors.add("date_of_birth", "must be a date.", "validation.type")
        return None
    if value > timezone.localdate():
        errors.add("date_of_birth", f"{value.isoformat()} is in the future.", "date.in_future")
        return None
    if value < EARLIEST_BIRTH:
        errors.add("date_of_birth", f"{value.isoformat()} is before {EARLIEST_BIRTH.year}.", "date.too_early")
        return None
    return value


def _clean_forces(codes: Iterable[str] | None, errors: _Errors) -> tuple[Organisation, ...]:
    wanted = sorted({(c or "").strip().upper() for c in (codes or []) if (c or "").strip()})
    if len(wanted) > MAX_PREVIOUS_FORCES:
        errors.add("previous_forces", f"at most {MAX_PREVIOUS_FORCES} forces.", "validation.too_long")
        return ()
    found = {o.code: o for o in Organisation.objects.filter(code__in=wanted)} if wanted else {}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        errors.add("previous_forces", f"no organisation with the code {', '.join(unknown)}.",
                   "validation.unknown_organisation")
    return tuple(found[c] for c in wanted if c in found)


def check_query_clean(*, person_id=None, given_name="", family_name="", date_of_birth=None,
                      previous_forces=(), errors: _Errors | None = None) -> CheckQuery:
    """The identifiers of a check, or ValidationFailed naming each field that is wrong or missing."""
    own = errors is None
    errors = errors or _Errors()
    given = errors.guard("given_name", lambda: clean_text(given_name, field="given_name",
                                                          max_length=MAX_NAME_LENGTH)) or ""
    family = errors.guard("family_name", lambda: clean_text(family_name, field="family_name",
                                                            max_length=MAX_NAME_LENGTH)) or ""
    born = _clean_date_of_birth(date_of_birth, errors)
    forces = _clean_forces(previous_forces, errors)
    if person_id is None:
        # Exact matching needs all three: a name alone, or a date of birth alone, finds strangers.
        for name, value in (("given_name", given), ("family_name", family), ("date_of_birth", born)):
            if not value and not any(e["field"] == name for e in errors.items):
                errors.add(name, "a check needs a person id, or a given name, family name and date of birth.",
                           "check.too_few_identifiers")
    elif not Person.objects.filter(pk=person_id).exists():
        errors.add("person_id", f"no person with id {person_id}.", "validation.unknown_person")
    if own:
        errors.raise_any()
    return CheckQuery(person_id=person_id, given_name=given, family_name=family, date_of_birth=born,
                      previous_forces=forces)


# -- matching -------------------------------------------------------------------------------------------
def _years(start: dt.date | None, end: dt.date | None, *, open_end: str = "now") -> str:
    return f"{start.year if start else '?'}–{end.year if end else open_end}"


def _name_evidence(person: Person, query: CheckQuery) -> list[str]:
    g, f = query.given_name.casefold(), query.family_name.casefold()
    found = []
    if person.given_name.casefold() == g and person.family_name.casefold() == f:
        found.append(f"given name '{person.given_name}' and family name '{person.family_name}' matched the "
                     "current name")
    for name in person.names.all():  # prefetched
        if name.given_name.casefold() == g and name.family_name.casefold() == f:
            used = _years(name.used_from, name.used_until, open_end="?")
            why = f" ({name.reason})" if name.reason else ""
            found.append(f"given name '{name.given_name}' and family name '{name.family_name}' matched a name "
                         f"used {used}{why}")
    return found


def match_evidence(person: Person, query: CheckQuery) -> list[str]:
    """What matched, in words, for one person found by `query` (names and appointments prefetched)."""
    evidence = []
    if query.person_id is not None:
        evidence.append(f"person id {person.pk} matched")
    if query.date_of_birth:
        born = query.date_of_birth
        evidence.append(f"date of birth {born.day} {born:%B %Y} matched")
    if query.given_name and query.family_name:
        evidence.extend(_name_evidence(person, query))
    wanted = {o.pk for o in query.previous_forces}
    for appointment in person.appointments.all():  # prefetched, in date order
        if appointment.organisation_id in wanted:
            evidence.append(f"served in {appointment.organisation.code} "
                            f"{_years(appointment.start_date, appointment.end_date)}")
    return evidence


def people_matching(query: CheckQuery) -> list[Person]:
    """Everyone every given identifier matches, on exact values (at most MAX_MATCHES, by id)."""
    people = Person.objects.all()
    if query.person_id is not None:
        people = people.filter(pk=query.person_id)
    if query.date_of_birth:
        people = people.filter(date_of_birth=query.date_of_birth)
    if query.given_name and query.family_name:
        g, f = query.given_name, query.family_name
        people = people.filter(Q(given_name__iexact=g, family_name__iexact=f) | Exists(
            PersonName.objects.filter(person=OuterRef("pk"), given_name__iexact=g, family_name__iexact=f)))
    if query.previous_forces:
        people = people.filter(Exists(Appointment.objects.filter(
            person=OuterRef("pk"), organisation__in=[o.pk for o in query.previous_forces])))
    return list(people.prefetch_related(
        Prefetch("names", queryset=PersonName.objects.order_by("used_from", "id")),
        Prefetch("appointments", queryset=Appointment.objects.select_related("organisation")
                 .order_by("start_date", "id"))).order_by("id")[:MAX_MATCHES])


# -- the check --------------------------------------------------------------------------------------------
def _organisation_of(actor, action: str) -> Organisation:
    permissions.require(actor, action)
    if actor.organisation is None or not actor.organisation.is_force:
        raise PermissionDenied("Checks and applications are made by a police force's vetting unit.", action=action)
    return actor.organisation


def _open_application(*, actor, organisation: Organisation, person_id: int, kind: str, reference: str,
                      on: dt.date, check: RegisterCheck | None, reason: str) -> tuple[Application, bool]:
    """The force's open application of this kind for the person, or a new one (audited). Lock the person first."""
    existing = (Application.objects.filter(organisation=organisation, person_id=person_id, kind=kind,
                                           closed_on__isnull=True).order_by("opened_on", "id").first())
    if existing is not None:
        return existing, False
    application = Application.objects.create(organisation=organisation, person_id=person_id, kind=kind,
                                             reference=reference, opened_on=on, opened_by=actor)
    event_record(actor=actor, action="register.application.open", obj=application, to_state="open", reason=reason,
                 data={"person_id": person_id, "kind": kind, "reference": reference,
                       "check_id": check.pk if check else None})
    return application, True


@audited_write("register.check")
def register_check_run(*, actor, lawful_basis: str, purpose: str, application_kind: str, reference: str = "",
                       person_id: int | None = None, given_name: str = "", family_name: str = "",
                       date_of_birth: dt.date | None = None, previous_forces: Iterable[str] = ()) -> RegisterCheck:
    """Run a vetting or transfer check: record it, and open an application for every person matched."""
    organisation = _organisation_of(actor, "register.check")
    errors = _Errors()
    basis = errors.guard("lawful_basis", lambda: clean_choice(
        clean_text(lawful_basis, field="lawful_basis", max_length=32, required=True), LawfulBasis,
        field="lawful_basis"))
    purpose = errors.guard("purpose", lambda: clean_text(purpose, field="purpose", max_length=MAX_PURPOSE_LENGTH,
                                                         required=True))
    if purpose is not None and len(purpose) < MIN_PURPOSE_LENGTH:
        errors.add("purpose", f"say what the check is for in at least {MIN_PURPOSE_LENGTH} characters.",
                   "validation.too_short")
    kind = errors.guard("application_kind", lambda: clean_choice(application_kind, ApplicationKind,
                                                                 field="application_kind"))
    reference = errors.guard("reference", lambda: clean_text(reference, field="reference",
                                                             max_length=MAX_REFERENCE_LENGTH)) or ""
    query = check_query_clean(person_id=person_id, given_name=given_name, family_name=family_name,
                              date_of_birth=date_of_birth, previous_forces=previous_forces, errors=errors)
    errors.raise_any()

    found = people_matching(query)
    today = timezone.localdate()
    with transaction.atomic():
        # One open application per force, person and kind: lock the people so two checks at once reuse one.
        list(Person.objects.select_for_update().filter(pk__in=[p.pk for p in found]).order_by("pk")
             .values_list("pk", flat=True))
        check = RegisterCheck.objects.create(organisation=organisation, actor=actor, lawful_basis=basis,
                                             purpose=purpose, application_kind=kind,
                                             query={**query.as_json(), "reference": reference})
        matches = []
        for person in found:
            application, opened = _open_application(actor=actor, organisation=organisation, person_id=person.pk,
                                                    kind=kind, reference=reference, on=today, check=check,
                                                    reason=purpose)
            matches.append({"person_id": person.pk, "evidence": match_evidence(person, query),
                            "application_id": application.pk, "application_opened": opened})
        check.matches = matches
        check.save(update_fields=["matches", "updated_at"])
        check.matched_people.set([p.pk for p in found])
        event_record(actor=actor, action="register.check", obj=check, reason=purpose,
                     data={"lawful_basis": basis, "application_kind": kind, "query": check.query,
                           "matches": [{"person_id": m["person_id"], "application_id": m["application_id"]}
                                       for m in matches]})
    return check


def check_get_for_actor(*, actor, check_id: int) -> RegisterCheck:
    """One of the actor's own organisation's checks; NotFound otherwise (another force's checks never show)."""
    org_id = getattr(actor, "organisation_id", None) if permissions.is_signed_in(actor) else None
    check = (RegisterCheck.objects.filter(pk=check_id, organisation_id=org_id).select_related("actor").first()
             if org_id else None)
    if check is None:
        raise NotFound(f"No check with id {check_id}.")
    return check


@dataclass
class MatchShown:
    person_id: int
    evidence: list[str]
    application: Application | None
    application_opened: bool
    history: RegisterHistory


def check_result(*, actor, check_id: int) -> tuple[RegisterCheck, list[MatchShown]]:
    """A check and, for every person it matched, their history as the sharing rules now allow (each audited)."""
    check = check_get_for_actor(actor=actor, check_id=check_id)
    permissions.require(actor, "register.check")
    applications = Application.objects.in_bulk([m.get("application_id") for m in check.matches
                                                if m.get("application_id")])
    shown = []
    for match in check.matches:
        shown.append(MatchShown(
            person_id=match["person_id"], evidence=list(match.get("evidence", [])),
            application=applications.get(match.get("application_id")),
            application_opened=bool(match.get("application_opened")),
            history=person_register_history(actor=actor, person_id=match["person_id"])))
    return check, shown


# -- applications -----------------------------------------------------------------------------------------
@audited_write("register.application.open")
def application_open(*, actor, person_id: int, kind: str, reason: str, reference: str = "") -> Application:
    """Open the force's vetting or transfer application for a person it has already identified."""
    organisation = _organisation_of(actor, "register.application.manage")
    kind = clean_choice(kind, ApplicationKind, field="kind")
    reason = clean_text(reason, field="reason", max_length=MAX_PURPOSE_LENGTH, required=True)
    reference = clean_text(reference, field="reference", max_length=MAX_REFERENCE_LENGTH)
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(pk=person_id).first()
        if person is None:
            raise ValidationFailed(f"person_id: no person with id {person_id}.", field="person_id",
                                   code="validation.unknown_person")
        application, opened = _open_application(actor=actor, organisation=organisation, person_id=person.pk,
                                                kind=kind, reference=reference, on=timezone.localdate(),
                                                check=None, reason=reason)
        if not opened:
            raise GuardFailed(f"Your force already has an open {application.get_kind_display().lower()} for this "
                              "person.", code="application.already_open", application_id=application.pk)
    return application


def application_get_for_actor(*, actor, application_id: int, for_update: bool = False) -> Application:
    """One of the actor's own organisation's applications; NotFound otherwise."""
    org_id = getattr(actor, "organisation_id", None) if permissions.is_signed_in(actor) else None
    qs = Application.objects.filter(pk=application_id, organisation_id=org_id).select_related("person")
    application = (qs.select_for_update() if for_update else qs).first() if org_id else None
    if application is None:
        raise NotFound(f"No application with id {application_id}.")
    return application


@audited_write("register.application.close")
def application_close(*, actor, application_id: int, outcome: str, reason: str = "") -> Application:
    """Close an application (granted, refused, withdrawn): the force's sight of the person and its alerts end."""
    outcome = clean_choice(outcome, ApplicationOutcome, field="outcome")
    reason = clean_text(reason, field="reason", max_length=MAX_PURPOSE_LENGTH)
    with transaction.atomic():
        application = application_get_for_actor(actor=actor, application_id=application_id, for_update=True)
        _organisation_of(actor, "register.application.manage")
        if not application.is_open:
            raise GuardFailed(f"The application was already closed on {application.closed_on.isoformat()}.",
                              code="application.closed")
        application.closed_on, application.closed_by, application.outcome = timezone.localdate(), actor, outcome
        application.save(update_fields=["closed_on", "closed_by", "outcome", "updated_at"])
        event_record(actor=actor, action="register.application.close", obj=application, from_state="open",
                     to_state=outcome, reason=reason,
                     data={"person_id": application.person_id, "kind": application.kind})
    return application


def applications_list(*, actor, include_closed: bool = False, limit: int = 200) -> list[Application]:
    """The actor's organisation's applications, open ones (or all), newest first; audited as a search."""
    permissions.require(actor, "register.application.manage")
    org_id = getattr(actor, "organisation_id", None)
    qs = Application.objects.filter(organisation_id=org_id).select_related("person", "opened_by")
    if not include_closed:
        qs = qs.filter(closed_on__isnull=True)
    found = list(qs.order_by("-opened_on", "-id")[:limit]) if org_id else []
    read_search(actor=actor, action="register.application.list",
                data={"include_closed": include_closed, "application_ids": [a.pk for a in found]})
    return found
