"""The sharing rules of the national register: who sees what of a person's history (issue #4 §1).

A viewer's organisation stands in one or more *relationships* to the person, or to one entry:

- it owns the case the entry comes from (entry by entry);
- it employs the person now, or employed them before (their appointments);
- it has an open vetting or transfer application for them (`register.Application`, opened by a check);
- it is the IOPC, the national oversight body;
- another force granted it the case file behind an entry (`register.DisclosureRequest`, entry by entry).

`RULES` gives, for each relationship and role, what may be seen of an entry: nothing, the register
entry (organisation, dates, category, standards, severity, status, outcome, contact point), or the
case file. A relationship or role missing from the table gives nothing (deny by default), so "no
relationship" needs no row. What a viewer sees of an entry is the best any of their relationships and
roles allows.

"Case file" never widens case scope by itself: the entry links to the case only when the case is in
the viewer's case scope (`organisations.permissions.case_in_scope`), so the owning force's restricted
cases stay with their named participants, and the IOPC opens the files of the cases referred to it or
under its review. For everyone else the entry is all there is; a restricted case's entry is withheld
down to the owning force's contact point (`register.entries.subject_entry`).

Why these rules:

- the forces that employ or employed the person, and those considering them, need the history
  (Vetting Code of Practice 2023; Vetting APP: a transferee's complaint and misconduct history from
  every previous force; domain §9.2); a force with no such basis has no need to know (UK GDPR art
  5(1)(b)-(c)), and is told only how to get one: run a vetting or transfer check, which records its
  lawful basis and opens an application;
- the IOPC oversees every force (PRA 2002 s10) and sees every entry; its case files are the cases
  referred to it or under its review, as everywhere else in Forewarn;
- a vetting officer of the owning force reads the register, not its own force's case files (they
  are not in its case scope); casework staff and the head of professional standards open the file;
- the case file stays with the owning force unless it grants a disclosure request, and then only
  to the requesting force's vetting officers, for a limited time, without contact details.

Vetting events (applications and checks) are shown only to the organisation that made them: a
person's application to another force is their own business and that force's (art 5(1)(c)). List
entries on the barred or advisory list are shown to every register reader once listed (forces must
check both lists before appointing: Police Act 1996 s88C, s88K); before listing, or after removal,
only to the reporting force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from forewarn.organisations.models import OrganisationKind, Role
from forewarn.organisations.permissions import FORCE_CASEWORK, REGISTER_READERS


class Relationship(StrEnum):
    """How the viewer's organisation stands to the person, or to one entry."""

    OWNS_CASE = "owns_case"
    EMPLOYS = "employs"
    EMPLOYED = "employed"
    VETTING_APPLICATION = "vetting_application"
    TRANSFER_APPLICATION = "transfer_application"
    IOPC = "iopc"
    DISCLOSURE_GRANTED = "disclosure_granted"
    NONE = "none"

    @property
    def label(self) -> str:
        return RELATIONSHIP_LABELS[self]


RELATIONSHIP_LABELS = {
    Relationship.OWNS_CASE: "Your force owns the case",
    Relationship.EMPLOYS: "Your force employs the person",
    Relationship.EMPLOYED: "Your force employed the person before",
    Relationship.VETTING_APPLICATION: "Your force has an open vetting application",
    Relationship.TRANSFER_APPLICATION: "Your force has an open transfer application",
    Relationship.IOPC: "The IOPC oversees every force",
    Relationship.DISCLOSURE_GRANTED: "The owning force disclosed the case file to your force",
    Relationship.NONE: "No relationship",
}

# Relationships that hold for the person as a whole (the others hold entry by entry).
PERSON_RELATIONSHIPS = frozenset({Relationship.EMPLOYS, Relationship.EMPLOYED, Relationship.VETTING_APPLICATION,
                                  Relationship.TRANSFER_APPLICATION, Relationship.IOPC})


class Visibility(IntEnum):
    """What may be seen of one entry; ordered, so the best of several relationships is the max."""

    NOTHING = 0
    ENTRY = 1
    CASE_FILE = 2  # the entry, and a link to the case when the case is in the viewer's case scope

    @property
    def label(self) -> str:
        return {0: "Nothing", 1: "Register entry", 2: "Register entry and case file (in case scope)"}[self]


@dataclass(frozen=True)
class SharingRule:
    relationship: Relationship
    roles: frozenset[str]
    visibility: Visibility
    why: str


# A force's register readers: its casework staff, head of professional standards and vetting unit.
FORCE_READERS = FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS, Role.VETTING_OFFICER}
CASE_FILE_READERS = FORCE_CASEWORK | {Role.HEAD_OF_STANDARDS}


def _rules(*rules: SharingRule) -> tuple[SharingRule, ...]:
    seen: set[tuple[str, str]] = set()
    for rule in rules:
        outside = set(rule.roles) - REGISTER_READERS
        if outside:  # the roles table (register.history.read) decides who reads the register at all
            raise ValueError(f"{rule.relationship}: {sorted(outside)} do not read the register")
        for role in rule.roles:
            if (rule.relationship, role) in seen:
                raise ValueError(f"two sharing rules for {rule.relationship} × {role}")
            seen.add((rule.relationship, role))
    return rules


RULES: tuple[SharingRule, ...] = _rules(
    SharingRule(Relationship.OWNS_CASE, CASE_FILE_READERS, Visibility.CASE_FILE,
                "The case is theirs; restricted cases still only for those named on them."),
    SharingRule(Relationship.OWNS_CASE, frozenset({Role.VETTING_OFFICER}), Visibility.ENTRY,
                "The vetting unit reads the register, not its own force's case files."),
    SharingRule(Relationship.EMPLOYS, FORCE_READERS, Visibility.ENTRY,
                "The employer must know of allegations against its staff (issue #4 §1)."),
    SharingRule(Relationship.EMPLOYED, FORCE_READERS, Visibility.ENTRY,
                "A former employer keeps sight: patterns across forces (Angiolini Part 1)."),
    SharingRule(Relationship.VETTING_APPLICATION, FORCE_READERS, Visibility.ENTRY,
                "Vetting Code of Practice 2023: history checked before clearance."),
    SharingRule(Relationship.TRANSFER_APPLICATION, FORCE_READERS, Visibility.ENTRY,
                "Vetting APP: a transferee's history from every previous force."),
    SharingRule(Relationship.IOPC, frozenset({Role.IOPC_CASEWORKER}), Visibility.CASE_FILE,
                "National oversight (PRA 2002 s10); case files within the IOPC's case scope."),
    SharingRule(Relationship.DISCLOSURE_GRANTED, frozenset({Role.VETTING_OFFICER}), Visibility.CASE_FILE,
                "The owning force granted the file, for a limited time."),
    SharingRule(Relationship.DISCLOSURE_GRANTED, frozenset({Role.HEAD_OF_STANDARDS}), Visibility.ENTRY,
                "Asked for the file; reads it through the vetting unit (a disclosure never lets another "
                "force change the case)."),
)

_TABLE: dict[tuple[str, str], Visibility] = {
    (rule.relationship, role): rule.visibility for rule in RULES for role in rule.roles}


def visibility_for(relationships: Iterable[str], roles: Iterable[str]) -> Visibility:
    """The best any relationship × role pair allows; NOTHING when none is in the table."""
    roles = list(roles)
    return max((_TABLE.get((rel, role), Visibility.NOTHING) for rel in relationships for role in roles),
               default=Visibility.NOTHING)


def person_relationships(*, organisation, appointments: Iterable, open_application_kinds: Iterable[str],
                         on: dt.date) -> set[Relationship]:
    """The viewer organisation's relationships to the person as a whole (not entry by entry).

    `appointments` are the person's (any organisation); employment is judged on `on`, as the alerts
    judge it (register.alerts.recipients_for): serving that day, or served and left before.
    """
    found: set[Relationship] = set()
    if organisation is None:
        return found
    if organisation.kind == OrganisationKind.IOPC:
        found.add(Relationship.IOPC)
    for appointment in appointments:
        if appointment.organisation_id != organisation.id:
            continue
        if appointment.start_date <= on and (appointment.end_date is None or appointment.end_date >= on):
            found.add(Relationship.EMPLOYS)
        elif appointment.end_date is not None and appointment.end_date < on:
            found.add(Relationship.EMPLOYED)
    for kind in open_application_kinds:
        found.add(Relationship.TRANSFER_APPLICATION if kind == "transfer" else Relationship.VETTING_APPLICATION)
    return found


def table_rows() -> list[tuple[str, str, str]]:
    """Every relationship × register-reading role with its visibility, for docs and tests."""
    rows = []
    for relationship in Relationship:
        for role in sorted(REGISTER_READERS):
            rows.append((relationship.value, role, visibility_for([relationship], [role]).label))
    return rows


def table_markdown() -> str:
    """The rules as a Markdown table, one row per relationship, one column per role (docs/register.md)."""
    roles = sorted(REGISTER_READERS)
    head = "| relationship | " + " | ".join(str(Role(r).label) for r in roles) + " |"
    rule = "|---|" + "---|" * len(roles)
    lines = [head, rule]
    for relationship in Relationship:
        cells = [visibility_for([relationship], [r]).label for r in roles]
        lines.append(f"| {relationship.label} (`{relationship.value}`) | " + " | ".join(cells) + " |")
    return "\n".join(lines)
