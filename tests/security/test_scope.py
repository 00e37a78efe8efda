"""Who sees which case (organisations.permissions): each scope rule, and that out of scope is not-found."""

import datetime as dt

import pytest

from forewarn.cases.models import Case
from forewarn.cases.selectors import case_get_for_actor, case_list
from forewarn.core.errors import NotFound
from forewarn.organisations import permissions
from forewarn.organisations.models import Role
from tests.factories import CaseFactory, make_user, name_on_case, org, seat_on_panel

pytestmark = pytest.mark.django_db


def _visible(actor, case) -> bool:
    """Both forms of the rule must agree: the filter (lists) and the in-memory check (lifecycle engine,
    and the access helpers for one record, `case_get_for_actor`)."""
    in_list = case_list(actor=actor).filter(pk=case.pk).exists()
    assert permissions.case_in_scope(actor, Case.objects.get(pk=case.pk)) == in_list
    try:
        found = case_get_for_actor(actor=actor, case_id=case.pk) == case
    except NotFound:
        found = False
    assert found == in_list
    return in_list


def test_force_staff_see_their_own_forces_cases_only():
    met, kent = CaseFactory(), CaseFactory(organisation=org("KEN"))
    for role in (Role.CASE_HANDLER, Role.APPROPRIATE_AUTHORITY, Role.HEAD_OF_STANDARDS, Role.ADMINISTRATOR):
        user = make_user(role)
        assert _visible(user, met) and not _visible(user, kent), role
        with pytest.raises(NotFound):
            case_get_for_actor(actor=user, case_id=kent.pk)


def test_the_iopc_sees_referred_cases_and_iopc_reviews_only():
    iopc = make_user(Role.IOPC_CASEWORKER, organisation="IOPC")
    referred = CaseFactory(referred_on=dt.date(2024, 2, 1))
    reviewed = CaseFactory(review_body="iopc")
    local = CaseFactory()
    lpb_review = CaseFactory(review_body="lpb")
    assert _visible(iopc, referred) and _visible(iopc, reviewed)
    assert not _visible(iopc, local) and not _visible(iopc, lpb_review)


def test_a_local_policing_body_sees_the_reviews_it_handles_for_its_force():
    lpb = make_user(Role.CASE_HANDLER, organisation="MET-LPB")
    handled = CaseFactory(review_body="lpb")
    assert _visible(lpb, handled)
    assert not _visible(lpb, CaseFactory())  # no review
    assert not _visible(lpb, CaseFactory(review_body="iopc"))
    assert not _visible(lpb, CaseFactory(review_body="lpb", organisation=org("KEN")))


def test_investigators_see_only_the_cases_they_are_named_on():
    investigator = make_user(Role.INVESTIGATOR)
    appointed, other = CaseFactory(), CaseFactory()
    name_on_case(investigator, appointed, "investigator")
    assert _visible(investigator, appointed) and not _visible(investigator, other)


def test_panel_members_see_the_case_only_while_their_proceeding_is_open():
    member = make_user(Role.PANEL_MEMBER)
    case = CaseFactory()
    seat = seat_on_panel(member, case=case, status="scheduled")
    assert _visible(member, case)
    for closed in sorted(permissions.PANEL_CLOSED_STATUSES):
        seat.proceeding.status = closed
        seat.proceeding.save(update_fields=["status"])
        assert not _visible(member, case), closed
    assert not _visible(member, CaseFactory())  # a case they do not sit on


def test_a_seat_without_the_panel_member_role_gives_nothing():
    former_member = make_user(Role.VETTING_OFFICER)
    case = CaseFactory()
    seat_on_panel(former_member, case=case)
    assert not _visible(former_member, case)


def test_roles_without_case_scope_see_no_case():
    case = CaseFactory()
    for role in (Role.VETTING_OFFICER, Role.SUBJECT_OFFICER, Role.SUBJECT_REPRESENTATIVE, Role.PANEL_MEMBER,
                 Role.INVESTIGATOR):
        assert not _visible(make_user(role), case), role
    assert not _visible(make_user(), case)  # no role at all


def test_subject_officer_and_representative_see_only_their_own_case():
    officer, rep = make_user(Role.SUBJECT_OFFICER), make_user(Role.SUBJECT_REPRESENTATIVE)
    theirs, other = CaseFactory(), CaseFactory()
    name_on_case(officer, theirs, "subject_officer")
    name_on_case(rep, theirs, "subject_representative")
    for user in (officer, rep):
        assert _visible(user, theirs) and not _visible(user, other)
