"""Writes for the workforce: people, their names, appointments, ranks and transfers, and roster import.

Deny by default: only an administrator may change the workforce, and a force's administrator only
for appointments in their own force (the force that employs an officer keeps the record of service;
Police Regulations 2003 reg 15 personal record). Every change writes one audit event in the same
transaction; bad input raises ValidationFailed naming the field, and nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from forewarn.audit.services import audited_write, event_record
from forewarn.core.errors import NotFound, PermissionDenied, ValidationFailed

# The same field rules as case intake (shared so both refuse input alike).
from forewarn.core.validation import clean_choice as _choice
from forewarn.core.validation import clean_past_date as _date
from forewarn.core.validation import clean_text as _text
from forewarn.core.versioning import version_check
from forewarn.organisations import permissions
from forewarn.organisations.models import Organisation, OrganisationKind, Role
from forewarn.workforce.models import (
    Appointment,
    EndReason,
    Person,
    PersonName,
    Rank,
    RankHeld,
    RoleType,
    Sex,
)

# Changes to the workforce outside an import: the same administrators who may import rosters.
WORKFORCE_EDIT = frozenset({Role.ADMINISTRATOR})
# Reasons an appointment can be ended by `appointment_end` (a transfer goes through person_transfer).
LEAVING_REASONS = (EndReason.RESIGNED, EndReason.RETIRED, EndReason.DISMISSED, EndReason.TRANSFERRED,
                   EndReason.DIED, EndReason.OTHER)
FORCE_KINDS = (OrganisationKind.TERRITORIAL_FORCE, OrganisationKind.NATIONAL_FORCE)


# -- validation helpers --------------------------------------------------------------------------
def _force(organisation_id: int, *, field: str) -> Organisation:
    org = Organisation.objects.filter(pk=organisation_id, kind__in=FORCE_KINDS).first()
    if org is None:
        raise ValidationFailed(f"{field}: no police force with id {organisation_id}.", field=field,
                               code="validation.unknown_organisation")
    return org


def _require_force_admin(actor, organisation: Organisation, action: str) -> None:
    """An administrator acts only for their own force (deny by default)."""
    permissions.require_role(actor, WORKFORCE_EDIT, action)
    if actor.organisation_id != organisation.id:
        raise PermissionDenied(f"{action}: you can change the workforce of your own force only.", action=action)


def _person_for_update(person_id: int) -> Person:
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    return person


def _number_in_use(organisation: Organisation, service_number: str, *, exclude_id: int | None = None) -> bool:
    """A warrant or staff number identifies one serving person in a force at a time."""
    qs = Appointment.objects.filter(organisation=organisation, service_number=service_number, end_date__isnull=True)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return bool(service_number) and qs.exists()


def _rank_for(role_type: str, rank: str) -> str:
    if role_type == RoleType.STAFF:
        return _choice(rank or Rank.STAFF_GRADE, Rank, field="rank", allowed=[Rank.STAFF_GRADE])
    return _choice(rank or Rank.CONSTABLE, Rank, field="rank",
                   allowed=[r for r in Rank.values if r != Rank.STAFF_GRADE])


def _name_fields(given_name: str, middle_names: str, family_name: str) -> dict[str, str]:
    return {
        "given_name": _text(given_name, field="given_name", max_length=100, required=True),
        "middle_names": _text(middle_names, field="middle_names", max_length=200),
        "family_name": _text(family_name, field="family_name", max_length=100, required=True),
    }


# -- people --------------------------------------------------------------------------------------
@audited_write("person.create")
def person_create(
    *,
    actor,
    given_name: str,
    family_name: str,
    middle_names: str = "",
    date_of_birth: dt.date | None = None,
    sex: str = Sex.UNKNOWN,
) -> Person:
    """Create a person (no appointment yet: start one with appointment_start)."""
    permissions.require_role(actor, WORKFORCE_EDIT, "Creating a person")
    fields = {
        **_name_fields(given_name, middle_names, family_name),
        "date_of_birth": _date(date_of_birth, field="date_of_birth"),
        "sex": _choice(sex or Sex.UNKNOWN, Sex, field="sex"),
    }
    with transaction.atomic():
        person = Person.objects.create(**fields)
        event_record(actor=actor, action="person.create", obj=person,
                     data={k: str(v) if v else "" for k, v in fields.items()})
    return person


@audited_write("person.rename")
def person_rename(
    *,
    actor,
    person_id: int,
    given_name: str,
    family_name: str,
    middle_names: str = "",
    on: dt.date | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Person:
    """Change a person's name, keeping the old one as a PersonName row (the register matches on both)."""
    permissions.require_role(actor, WORKFORCE_EDIT, "Renaming a person")
    new = _name_fields(given_name, middle_names, family_name)
    on = _date(on, field="on") or timezone.localdate()
    reason = _text(reason, field="reason", max_length=100)
    with transaction.atomic():
        person = _person_for_update(person_id)
        version_check(person, expected_version, what="person")
        old = {k: getattr(person, k) for k in new}
        if old == new:
            raise ValidationFailed("family_name: the new name is the same as the current one.",
                                   field="family_name", code="person.same_name")
        PersonName.objects.create(person=person, used_until=on - dt.timedelta(days=1), reason=reason, **old)
        for key, value in new.items():
            setattr(person, key, value)
        person.version += 1
        person.save(update_fields=[*new, "version", "updated_at"])
        event_record(actor=actor, action="person.rename", obj=person, occurred_on=on, reason=reason,
                     data={k: [old[k], new[k]] for k in new if old[k] != new[k]})
    return person


# -- appointments and ranks ----------------------------------------------------------------------
@audited_write("appointment.start")
def appointment_start(
    *,
    actor,
    person_id: int,
    organisation_id: int,
    start_date: dt.date,
    role_type: str = RoleType.OFFICER,
    service_number: str = "",
    rank: str = "",
    station: str = "",
) -> Appointment:
    """Start a period of service in a force, with its first rank."""
    role_type = _choice(role_type, RoleType, field="role_type")
    start_date = _date(start_date, field="start_date", required=True)
    service_number = _text(service_number, field="service_number", max_length=20)
    station = _text(station, field="station", max_length=120)
    rank = _rank_for(role_type, rank)
    org = _force(organisation_id, field="organisation_id")
    _require_force_admin(actor, org, "Starting an appointment")
    with transaction.atomic():
        person = _person_for_update(person_id)
        return _appointment_open(actor=actor, person=person, org=org, start_date=start_date, role_type=role_type,
                                 service_number=service_number, rank=rank, station=station)


def _appointment_open(*, actor, person, org, start_date, role_type, service_number, rank, station="",
                      action="appointment.start") -> Appointment:
    if person.date_of_birth and start_date < person.date_of_birth:
        # The roster import refuses the same row ("before the date of birth"); so does every other path.
        raise ValidationFailed(f"start_date: {start_date.isoformat()} is before the person was born "
                               f"({person.date_of_birth.isoformat()}).", field="start_date",
                               code="date.before_birth")
    overlapping = person.appointments.filter(end_date__isnull=True).first() or person.appointments.filter(
        end_date__gte=start_date).first()
    if overlapping is not None:
        # One period of service at a time: a transfer ends the old appointment first.
        raise ValidationFailed(
            f"start_date: the person is still serving with {overlapping.organisation.code} on "
            f"{start_date.isoformat()}; end that appointment first.", field="start_date",
            code="appointment.overlaps")
    if _number_in_use(org, service_number):
        raise ValidationFailed(f"service_number: {service_number} is already held by a serving member of {org.code}.",
                               field="service_number", code="appointment.number_in_use")
    appointment = Appointment.objects.create(person=person, organisation=org, role_type=role_type,
                                             service_number=service_number, start_date=start_date, station=station)
    RankHeld.objects.create(appointment=appointment, rank=rank, start_date=start_date)
    event_record(actor=actor, action=action, obj=appointment, occurred_on=start_date,
                 data={"person_id": person.pk, "organisation": org.code, "role_type": role_type,
                       "service_number": service_number, "rank": rank})
    return appointment


def _appointment_for_update(actor, appointment_id: int, action: str) -> Appointment:
    appointment = (Appointment.objects.select_for_update().select_related("organisation")
                   .filter(pk=appointment_id).first())
    if appointment is None:
        raise NotFound(f"No appointment with id {appointment_id}.")
    _require_force_admin(actor, appointment.organisation, action)
    return appointment


def _current_appointment(person: Person) -> Appointment:
    appointment = (Appointment.objects.select_for_update().select_related("organisation")
                   .filter(person=person, end_date__isnull=True).order_by("-start_date").first())
    if appointment is None:
        raise ValidationFailed("person_id: the person has no current appointment.", field="person_id",
                               code="appointment.none_current")
    return appointment


def _appointment_close(*, actor, appointment: Appointment, on: dt.date, reason: str) -> None:
    if on < appointment.start_date:
        raise ValidationFailed(f"on: {on.isoformat()} is before the appointment started "
                               f"({appointment.start_date.isoformat()}).", field="on", code="date.before_start")
    appointment.end_date, appointment.end_reason = on, reason
    appointment.version += 1
    appointment.save(update_fields=["end_date", "end_reason", "version", "updated_at"])
    event_record(actor=actor, action="appointment.end", obj=appointment, occurred_on=on,
                 data={"person_id": appointment.person_id, "organisation": appointment.organisation.code,
                       "end_reason": reason})


@audited_write("appointment.end")
def appointment_end(*, actor, appointment_id: int, on: dt.date, reason: str,
                    expected_version: int | None = None) -> Appointment:
    """End a period of service (resigned, retired, dismissed, transferred, died…)."""
    reason = _choice(reason, EndReason, field="reason", allowed=LEAVING_REASONS)
    on = _date(on, field="on", required=True)
    with transaction.atomic():
        appointment = _appointment_for_update(actor, appointment_id, "Ending an appointment")
        version_check(appointment, expected_version, what="appointment")
        if appointment.end_date is not None:
            raise ValidationFailed(f"on: the appointment already ended on {appointment.end_date.isoformat()}.",
                                   field="on", code="appointment.already_ended")
        _appointment_close(actor=actor, appointment=appointment, on=on, reason=reason)
        # Police Act 1996 s88I: leaving while an allegation is open puts the person on the advisory list.
        from forewarn.register.lists import advisory_entries_open  # the register sits above the workforce

        advisory_entries_open(actor=actor, appointment=appointment, on=on)
    return appointment


@audited_write("person.transfer")
def person_transfer(
    *,
    actor,
    person_id: int,
    to_organisation_id: int,
    on: dt.date,
    service_number: str,
    rank: str = "",
    expected_version: int | None = None,
) -> Appointment:
    """Move a serving person to another force: end the current appointment on `on` (reason
    transferred) and start one in the new force the next day, in one transaction.

    Either force's administrator may record it (the receiving force usually does; Police
    Regulations 2003 reg 15 records follow the officer).
    """
    on = _date(on, field="on", required=True)
    service_number = _text(service_number, field="service_number", max_length=20, required=True)
    to_org = _force(to_organisation_id, field="to_organisation_id")
    permissions.require_role(actor, WORKFORCE_EDIT, "Recording a transfer")
    with transaction.atomic():
        person = _person_for_update(person_id)
        version_check(person, expected_version, what="person")
        current = _current_appointment(person)
        if actor.organisation_id not in (current.organisation_id, to_org.id):
            raise PermissionDenied("Recording a transfer: only the losing or the receiving force can record it.",
                                   action="person_transfer")
        if current.organisation_id == to_org.id:
            raise ValidationFailed(f"to_organisation_id: the person already serves with {to_org.code}.",
                                   field="to_organisation_id", code="transfer.same_force")
        rank = _rank_for(current.role_type, rank or current.current_rank or "")
        _appointment_close(actor=actor, appointment=current, on=on, reason=EndReason.TRANSFERRED)
        # Where the person serves is part of the person's record: a new version, so a second transfer
        # recorded against the same view of the person is refused.
        person.version += 1
        person.save(update_fields=["version", "updated_at"])
        return _appointment_open(actor=actor, person=person, org=to_org, start_date=on + dt.timedelta(days=1),
                                 role_type=current.role_type, service_number=service_number, rank=rank,
                                 action="appointment.transfer_in")


@audited_write("rank.change")
def rank_change(*, actor, appointment_id: int, rank: str, on: dt.date, acting: bool = False,
                expected_version: int | None = None) -> RankHeld:
    """Record a promotion, reduction in rank or acting rank from `on`."""
    on = _date(on, field="on", required=True)
    with transaction.atomic():
        appointment = _appointment_for_update(actor, appointment_id, "Changing a rank")
        version_check(appointment, expected_version, what="appointment")
        rank = _rank_for(appointment.role_type, rank)
        if not appointment.is_current_on(on):
            raise ValidationFailed(f"on: the appointment is not current on {on.isoformat()}.", field="on",
                                   code="rank.outside_appointment")
        old = appointment.current_rank
        if old == rank and not acting:
            raise ValidationFailed(f"rank: the person already holds the rank {rank}.", field="rank",
                                   code="rank.unchanged")
        held = RankHeld.objects.create(appointment=appointment, rank=rank, start_date=on, acting=bool(acting))
        # The rank history belongs to the appointment: a change is a new version of it.
        appointment.version += 1
        appointment.save(update_fields=["version", "updated_at"])
        event_record(actor=actor, action="rank.change", obj=appointment, occurred_on=on,
                     data={"rank": [old, rank], "acting": bool(acting)})
    return held


# -- CSV roster import ---------------------------------------------------------------------------
IMPORT_FIELDS = ("given_name", "middle_names", "family_name", "date_of_birth", "sex", "organisation",
                 "role_type", "service_number", "rank", "start_date", "end_date", "end_reason")
IMPORT_REQUIRED = ("given_name", "family_name", "start_date")
IMPORT_BATCH = 2_000
MAX_REPORTED_ERRORS = 20
SEX_WORDS = {"f": Sex.FEMALE, "female": Sex.FEMALE, "m": Sex.MALE, "male": Sex.MALE, "u": Sex.UNKNOWN,
             "": Sex.UNKNOWN, "unknown": Sex.UNKNOWN, "not known": Sex.UNKNOWN}


@dataclass(frozen=True)
class ImportResult:
    rows: int
    people: int
    appointments: int
    dry_run: bool


class _RowError(Exception):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


@dataclass(frozen=True)
class _Row:
    line: int
    person: dict
    organisation_id: int
    role_type: str
    service_number: str
    rank: str
    start_date: dt.date
    end_date: dt.date | None
    end_reason: str


class _RosterReader:
    """Parses one roster file row by row against a column mapping; raises _RowError per bad cell."""

    def __init__(self, *, path: Path, mapping: dict[str, str], organisation: Organisation | None, date_format: str,
                 forces: dict[str, Organisation]):
        self.path, self.mapping, self.organisation = path, mapping, organisation
        self.date_format, self.forces = date_format, forces
        self.today = timezone.localdate()

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in self.mapping.values() if column not in (reader.fieldnames or [])]
            if missing:
                raise ValidationFailed(
                    f"{self.path.name}:1:{missing[0]}: column not in the header (the header has: "
                    f"{', '.join(reader.fieldnames or [])}).", field="mapping", code="import.missing_column")
            for record in reader:
                yield reader.line_num, record

    def cell(self, record: dict[str, str], field: str) -> str:
        column = self.mapping.get(field)
        return (record.get(column) or "").strip() if column else ""

    def column(self, field: str) -> str:
        return self.mapping.get(field, field)

    def date(self, record, field: str, *, required: bool) -> dt.date | None:
        raw = self.cell(record, field)
        if not raw:
            if required:
                raise _RowError(self.column(field), "required")
            return None
        try:
            value = dt.datetime.strptime(raw, self.date_format).date()
        except ValueError:
            raise _RowError(self.column(field), f"'{raw}' is not a date in the format {self.date_format}") from None
        if value > self.today:
            raise _RowError(self.column(field), f"{value.isoformat()} is in the future")
        return value

    def parse(self, line: int, record: dict[str, str]) -> _Row:
        person = {}
        for field, max_length in (("given_name", 100), ("middle_names", 200), ("family_name", 100)):
            value = self.cell(record, field)
            if field in IMPORT_REQUIRED and not value:
                raise _RowError(self.column(field), "required")
            if len(value) > max_length:
                raise _RowError(self.column(field), f"at most {max_length} characters")
            person[field] = value
        person["date_of_birth"] = self.date(record, "date_of_birth", required=False)
        sex = self.cell(record, "sex").lower()
        if sex not in SEX_WORDS:
            raise _RowError(self.column("sex"), f"'{sex}' is not F, M or U")
        person["sex"] = SEX_WORDS[sex]

        code = self.cell(record, "organisation").upper()
        if code:
            org = self.forces.get(code)
            if org is None:
                raise _RowError(self.column("organisation"), f"'{code}' is not a police force code")
            if self.organisation and org.id != self.organisation.id:
                raise _RowError(self.column("organisation"), f"'{code}' is not {self.organisation.code}, the "
                                                             "force being imported")
        elif self.organisation:
            org = self.organisation
        else:
            raise _RowError(self.column("organisation"), "required (or give --organisation)")

        role_type = self.cell(record, "role_type").lower() or RoleType.OFFICER
        if role_type not in RoleType.values:
            raise _RowError(self.column("role_type"), f"'{role_type}' is not one of {', '.join(RoleType.values)}")
        service_number = self.cell(record, "service_number")
        if len(service_number) > 20:
            raise _RowError(self.column("service_number"), "at most 20 characters")
        try:
            rank = _rank_for(role_type, self.cell(record, "rank").upper())
        except ValidationFailed:
            raise _RowError(self.column("rank"), f"'{self.cell(record, 'rank')}' is not a rank for {role_type}") from None
        start = self.date(record, "start_date", required=True)
        end = self.date(record, "end_date", required=False)
        if person["date_of_birth"] and start < person["date_of_birth"]:
            raise _RowError(self.column("start_date"), "before the date of birth")
        end_reason = self.cell(record, "end_reason").lower()
        if end is not None:
            if end < start:
                raise _RowError(self.column("end_date"), "before the start date")
            if end_reason not in EndReason.values:
                raise _RowError(self.column("end_reason"), f"'{end_reason}' is not one of {', '.join(EndReason.values)}")
        elif end_reason:
            raise _RowError(self.column("end_reason"), "given without an end date")
        return _Row(line=line, person=person, organisation_id=org.id, role_type=role_type,
                    service_number=service_number, rank=rank, start_date=start, end_date=end, end_reason=end_reason)


def _import_check_mapping(mapping: dict[str, str], organisation_code: str | None) -> None:
    unknown = sorted(set(mapping) - set(IMPORT_FIELDS))
    if unknown:
        raise ValidationFailed(f"mapping: unknown field '{unknown[0]}' (fields: {', '.join(IMPORT_FIELDS)}).",
                               field="mapping", code="import.unknown_field")
    needed = [*IMPORT_REQUIRED, *([] if organisation_code else ["organisation"])]
    missing = [f for f in needed if f not in mapping]
    if missing:
        raise ValidationFailed(f"mapping: map a column to '{missing[0]}' (required).", field="mapping",
                               code="import.unmapped_field")


@audited_write("workforce.import")
def people_import_csv(
    *,
    actor,
    path: str | Path,
    mapping: dict[str, str],
    organisation_code: str | None = None,
    date_format: str = "%Y-%m-%d",
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a roster: one person and one appointment (with its first rank) per row.

    The file is read twice, streaming: the first pass validates every row and collects errors as
    `file:row:column: reason`; if any row is bad nothing is written. The second pass inserts in
    batches inside one transaction. `mapping` maps canonical field -> column in the file.
    """
    permissions.require_role(actor, permissions.WORKFORCE_IMPORT, "Importing a workforce roster")
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"path: no file {path}.", field="path", code="import.no_file")
    _import_check_mapping(mapping, organisation_code)
    forces = {o.code: o for o in Organisation.objects.filter(kind__in=FORCE_KINDS)}
    organisation = None
    if organisation_code:
        organisation = forces.get(organisation_code.upper())
        if organisation is None:
            raise ValidationFailed(f"organisation: '{organisation_code}' is not a police force code.",
                                   field="organisation", code="validation.unknown_organisation")
    allowed_orgs = {actor.organisation_id}
    reader = _RosterReader(path=path, mapping=mapping, organisation=organisation, date_format=date_format,
                           forces=forces)

    errors: list[str] = []
    first_column = ""
    error_count = rows = 0
    seen: dict[tuple[int, str], int] = {}
    for line, record in reader.rows():
        rows += 1
        try:
            row = reader.parse(line, record)
            if row.organisation_id not in allowed_orgs:
                # Deny by default: an administrator loads their own force's roster only.
                raise _RowError(reader.column("organisation"), "you can import your own force's workforce only")
            key = (row.organisation_id, row.service_number)
            if row.service_number and key in seen:
                raise _RowError(reader.column("service_number"),
                                f"{row.service_number} is already used on row {seen[key]} of this file")
            if row.service_number:
                seen[key] = line
        except _RowError as exc:
            error_count += 1
            first_column = first_column or exc.column
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append(f"{path.name}:{line}:{exc.column}: {exc.reason}")
    # Numbers already held by serving people in the database.
    by_org: dict[int, set[str]] = {}
    for org_id, number in seen:
        by_org.setdefault(org_id, set()).add(number)
    for org_id, numbers in by_org.items():
        taken = set(Appointment.objects.filter(organisation_id=org_id, end_date__isnull=True,
                                               service_number__in=numbers).values_list("service_number", flat=True))
        for number in sorted(taken):
            error_count += 1
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append(f"{path.name}:{seen[(org_id, number)]}:{reader.column('service_number')}: "
                              f"{number} is already held by a serving member of the force")
    if errors:
        raise ValidationFailed(f"{error_count} error(s) in {path.name}, nothing imported: " + "; ".join(errors),
                               field=first_column or reader.column("service_number"), code="import.invalid_rows", errors=errors)
    if dry_run:
        return ImportResult(rows=rows, people=0, appointments=0, dry_run=True)

    done = 0
    with transaction.atomic():
        batch: list[_Row] = []
        for line, record in reader.rows():
            batch.append(reader.parse(line, record))
            if len(batch) >= IMPORT_BATCH:
                done += _import_batch(batch)
                batch = []
                if progress:
                    progress(done)
        if batch:
            done += _import_batch(batch)
            if progress:
                progress(done)
        event_record(actor=actor, action="workforce.import", obj=actor.organisation,
                     data={"file": path.name, "rows": rows, "people": done, "mapping": mapping})
    return ImportResult(rows=rows, people=done, appointments=done, dry_run=False)


def _import_batch(batch: list[_Row]) -> int:
    people = Person.objects.bulk_create([Person(**row.person) for row in batch])
    appointments = Appointment.objects.bulk_create([
        Appointment(person=person, organisation_id=row.organisation_id, role_type=row.role_type,
                    service_number=row.service_number, start_date=row.start_date, end_date=row.end_date,
                    end_reason=row.end_reason)
        for person, row in zip(people, batch, strict=True)
    ])
    RankHeld.objects.bulk_create([
        RankHeld(appointment=appointment, rank=row.rank, start_date=row.start_date)
        for appointment, row in zip(appointments, batch, strict=True)
    ])
    return len(people)
