"""The register's sharing rules (issue #4 §1): the table itself, and the live history, role by role and
relationship by relationship. Expectations come from the table AND from hand-written cases, so a wrong
table fails here even though the generated half agrees with it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from forewarn.cases.models import CaseParticipant
from forewarn.core.errors import NotFound, PermissionDenied
from forewarn.organisations import permissions
from forewarn.organisations.models import Role
from forewarn.register import checks
from forewarn.register.history import person_register_history
from forewarn.register.models import Application
from forewarn.register.sharing import (
    RULES,
    Relationship,
    SharingRule,
    Visibility,
    _rules,
    person_relationships,
    table_markdown,
    visibility_for,
)
from tests.factories import make_user, org
from tests.register.history_world import CLOSED_APPLICATION, VIEWER_ORGANISATIONS, officer_world, viewer

E, F, N = Visibility.ENTRY, Visibility.CASE_FILE, Visibility.NOTHING


# -- the table ---------------------------------------------------------------------------------------------
def test_every_rule_gives_what_it_says_and_nothing_else_is_shared():
    listed = {(rule.relationship, role): rule.visibility for rule in RULES for role in rule.roles}
    for relationship in Relationship:
        for role in Role.values:
            assert visibility_for([relationship], [role]) == listed.get((relationship, role), N), (relationship, role)


# Written out by hand from issue #4 §1 and docs/register.md, not from the table.
HAND_WRITTEN = [
    (Relationship.EMPLOYS, Role.CASE_HANDLER, E),
    (Relationship.EMPLOYS, Role.VETTING_OFFICER, E),
    (Relationship.EMPLOYED, Role.HEAD_OF_STANDARDS, E),
    (Relationship.EMPLOYED, Role.APPROPRIATE_AUTHORITY, E),
    (Relationship.VETTING_APPLICATION, Role.VETTING_OFFICER, E),
    (Relationship.TRANSFER_APPLICATION, Role.VETTING_OFFICER, E),
    (Relationship.OWNS_CASE, Role.CASE_HANDLER, F),
    (Relationship.OWNS_CASE, Role.HEAD_OF_STANDARDS, F),
    (Relationship.OWNS_CASE, Role.VETTING_OFFICER, E),
    (Relationship.IOPC, Role.IOPC_CASEWORKER, F),
    (Relationship.IOPC, Role.CASE_HANDLER, N),
    (Relationship.DISCLOSURE_GRANTED, Role.VETTING_OFFICER, F),
    (Relationship.DISCLOSURE_GRANTED, Role.CASE_HANDLER, N),
    (Relationship.NONE, Role.HEAD_OF_STANDARDS, N),
    (Relationship.NONE, Role.VETTING_OFFICER, N),
    # Roles that do not read the register see nothing whatever the relationship.
    (Relationship.EMPLOYS, Role.INVESTIGATOR, N),
    (Relationship.EMPLOYS, Role.ADMINISTRATOR, N),
    (Relationship.OWNS_CASE, Role.PANEL_MEMBER, N),
    (Relationship.EMPLOYS, Role.SUBJECT_OFFICER, N),
    (Relationship.IOPC, Role.ADMINISTRATOR, N),
]


@pytest.mark.parametrize(("relationship", "role", "visibility"), HAND_WRITTEN)
def test_hand_written_expectations(relationship, role, visibility):
    assert visibility_for([relationship], [role]) == visibility


def test_the_best_relationship_and_role_win():
    assert visibility_for([Relationship.EMPLOYS, Relationship.OWNS_CASE], [Role.VETTING_OFFICER]) == E
    assert visibility_for([Relationship.EMPLOYS, Relationship.OWNS_CASE],
                          [Role.VETTING_OFFICER, Role.HEAD_OF_STANDARDS]) == F
    assert visibility_for([], [Role.HEAD_OF_STANDARDS]) == N
    assert visibility_for([Relationship.EMPLOYS], []) == N


def test_the_table_refuses_roles_that_do_not_read_the_register_and_duplicate_cells():
    with pytest.raises(ValueError, match="do not read the register"):
        _rules(SharingRule(Relationship.EMPLOYS, frozenset({Role.ADMINISTRATOR}), E, "no"))
    with pytest.raises(ValueError, match="two sharing rules"):
        _rules(SharingRule(Relationship.EMPLOYS, frozenset({Role.CASE_HANDLER}), E, "a"),
               SharingRule(Relationship.EMPLOYS, frozenset({Role.CASE_HANDLER}), F, "b"))


def test_the_table_in_the_docs_is_the_table_in_the_code():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "register.md").read_text()
    assert table_markdown() in docs


# -- relationships from appointments and applications -------------------------------------------------------
def _appointment(org_id, start, end=None):
    return SimpleNamespace(organisation_id=org_id, start_date=start, end_date=end)


def test_person_relationships():
    day = dt.date(2025, 6, 1)
    force = SimpleNamespace(id=7, kind="territorial_force")
    assert person_relationships(organisation=force, appointments=[_appointment(7, dt.date(2020, 1, 1))],
                                open_application_kinds=[], on=day) == {Relationship.EMPLOYS}
    # Serving until and including the last day.
    assert person_relationships(organisation=force, appointments=[_appointment(7, dt.date(2020, 1, 1), day)],
                                open_application_kinds=[], on=day) == {Relationship.EMPLOYS}
    assert person_relationships(organisation=force, appointments=[
        _appointment(7, dt.date(2001, 1, 1), dt.date(2005, 1, 1))], open_application_kinds=[], on=day) == {
        Relationship.EMPLOYED}
    # Another force's appointment, or one that has not started, is no basis.
    assert person_relationships(organisation=force, appointments=[_appointment(8, dt.date(2020, 1, 1)),
                                                                  _appointment(7, dt.date(2026, 1, 1))],
                                open_application_kinds=[], on=day) == set()
    assert person_relationships(organisation=force, appointments=[], open_application_kinds=["vetting", "transfer"],
                                on=day) == {Relationship.VETTING_APPLICATION, Relationship.TRANSFER_APPLICATION}
    iopc = SimpleNamespace(id=1, kind="iopc")
    assert person_relationships(organisation=iopc, appointments=[], open_application_kinds=[], on=day) == {
        Relationship.IOPC}
    assert person_relationships(organisation=None, appointments=[], open_application_kinds=["vetting"],
                                on=day) == set()


# -- the live history, role by role and relationship by relationship -----------------------------------------
def _shown(user, person):
    history = person_register_history(actor=user, person_id=person.pk)
    assert len(history.entries) <= 1
    return history.entries[0] if history.entries else None


@pytest.mark.django_db
@pytest.mark.parametrize("relationship", list(VIEWER_ORGANISATIONS))
def test_each_relationship_and_role_sees_what_the_table_says(relationship):
    world = officer_world()
    for role in sorted(permissions.REGISTER_READERS):
        user = viewer(role, relationship)
        rels = {relationship} if relationship != Relationship.NONE else set()
        expected = visibility_for(rels, [role])
        entry = _shown(user, world.person)
        where = f"{relationship} {role}"
        if expected == N:
            assert entry is None, where
            continue
        assert entry is not None and entry["subject_allegation_id"] == world.subject.pk, where
        assert relationship in entry["basis"], where
        # Case file: the link appears only when the case is also in the viewer's case scope.
        linked = expected == F and permissions.case_in_scope(user, world.case)
        assert (entry["case_id"] == world.case.pk) if linked else entry["case_id"] is None, where
        assert entry["visibility"] == ("case_file" if linked else "entry"), where


@pytest.mark.django_db
def test_hand_written_live_cases():
    """The same questions with the answers written out."""
    world = officer_world()
    kent_handler = viewer(Role.CASE_HANDLER, Relationship.OWNS_CASE)
    kent_vetting = viewer(Role.VETTING_OFFICER, Relationship.OWNS_CASE)
    met_vetting = viewer(Role.VETTING_OFFICER, Relationship.EMPLOYS)
    surrey_head = viewer(Role.HEAD_OF_STANDARDS, Relationship.EMPLOYED)
    thames_vetting = viewer(Role.VETTING_OFFICER, Relationship.VETTING_APPLICATION)
    essex_handler = viewer(Role.CASE_HANDLER, Relationship.TRANSFER_APPLICATION)
    northumbria_head = viewer(Role.HEAD_OF_STANDARDS, Relationship.NONE)
    warwick_vetting = make_user(Role.VETTING_OFFICER, organisation=CLOSED_APPLICATION)
    iopc = viewer(Role.IOPC_CASEWORKER, Relationship.IOPC)

    assert _shown(kent_handler, world.person)["case_id"] == world.case.pk  # owning force: the file
    assert _shown(kent_vetting, world.person)["case_id"] is None  # the vetting unit: the entry only
    for user in (met_vetting, surrey_head, thames_vetting, essex_handler, iopc):
        entry = _shown(user, world.person)
        assert entry["category"] == "sexual_conduct" and entry["severity"] == "gross_misconduct", user
        assert entry["standards"] == ["SPB-DC"] and entry["organisation"]["code"] == "KEN", user
        assert entry["contact"] == org("KEN").standards_contact and entry["case_id"] is None, user
    for user in (northumbria_head, warwick_vetting):
        history = person_register_history(actor=user, person_id=world.person.pk)
        assert history.entries == [] and history.basis_missing and "Run a vetting or transfer check" in history.message
        # Nothing in the answer says whether, or how many, entries other forces hold.
        assert history.counts["entries"] == 0 and not any(ch.isdigit() for ch in history.message)
    # Employed before and employs now are told apart.
    assert person_register_history(actor=surrey_head, person_id=world.person.pk).relationships == ["employed"]
    assert person_register_history(actor=met_vetting, person_id=world.person.pk).relationships == ["employs"]


@pytest.mark.django_db
def test_roles_outside_the_register_are_refused():
    world = officer_world()
    with pytest.raises(PermissionDenied):  # reads people, not the register
        person_register_history(actor=make_user(Role.INVESTIGATOR, organisation="MET"), person_id=world.person.pk)
    with pytest.raises(NotFound):  # reads neither: the person does not exist for them
        person_register_history(actor=make_user(Role.PANEL_MEMBER, organisation="MET"), person_id=world.person.pk)


@pytest.mark.django_db
def test_an_application_gives_sight_while_open_and_closing_it_ends_it():
    world = officer_world()
    user = make_user(Role.VETTING_OFFICER, organisation="NBR")
    assert person_register_history(actor=user, person_id=world.person.pk).entries == []
    application = checks.application_open(actor=user, person_id=world.person.pk, kind="transfer",
                                           reason="Transfer application from a serving officer.")
    history = person_register_history(actor=user, person_id=world.person.pk)
    assert [e["subject_allegation_id"] for e in history.entries] == [world.subject.pk]
    assert history.relationships == ["transfer_application"]
    checks.application_close(actor=user, application_id=application.pk, outcome="refused")
    history = person_register_history(actor=user, person_id=world.person.pk)
    assert history.entries == [] and history.basis_missing
    # The force still sees its own (closed) application among its vetting events.
    assert [a["id"] for a in history.applications] == [application.pk] and not history.applications[0]["open"]


@pytest.mark.django_db
def test_the_iopc_sees_every_entry_and_opens_the_file_of_a_referred_case():
    iopc = make_user(Role.IOPC_CASEWORKER, organisation="IOPC")
    not_referred = officer_world()
    assert _shown(iopc, not_referred.person)["case_id"] is None
    referred = officer_world(referred=True)
    entry = _shown(iopc, referred.person)
    assert entry["case_id"] == referred.case.pk and entry["visibility"] == "case_file"


@pytest.mark.django_db
def test_a_restricted_case_is_withheld_except_from_those_named_on_it():
    world = officer_world(restricted=True)
    met_handler = viewer(Role.CASE_HANDLER, Relationship.EMPLOYS)
    entry = _shown(met_handler, world.person)
    assert entry["withheld"] and entry["case_reference"] == "" and "category" not in entry
    assert entry["contact"] == org("KEN").standards_contact and entry["severity_history"] == []
    # The owning force's handler who is not named on it sees it withheld too (no case scope).
    kent_handler = viewer(Role.CASE_HANDLER, Relationship.OWNS_CASE)
    assert _shown(kent_handler, world.person)["withheld"]
    # Named on it: the entry as normal, with the file.
    kent_head = viewer(Role.HEAD_OF_STANDARDS, Relationship.OWNS_CASE)
    CaseParticipant.objects.create(case=world.case, user=kent_head, role="head_of_standards")
    entry = _shown(kent_head, world.person)
    assert not entry["withheld"] and entry["category"] == "sexual_conduct" and entry["case_id"] == world.case.pk


@pytest.mark.django_db
def test_a_closed_application_of_another_force_gives_no_sight_to_this_one():
    world = officer_world()
    Application.objects.filter(organisation=org("TVP")).update(closed_on=dt.date.today(), outcome="granted")
    assert _shown(viewer(Role.VETTING_OFFICER, Relationship.VETTING_APPLICATION), world.person) is None
