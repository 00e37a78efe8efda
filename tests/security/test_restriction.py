"""Restricted cases: named participants only, reasons for every read, and breaking the glass."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from forewarn.audit.models import Event, EventKind
from forewarn.cases import restriction
from forewarn.cases.models import BreakGlassGrant, Case, CaseParticipant
from forewarn.cases.selectors import break_glass_alerts, case_detail, case_get_for_actor, case_list
from forewarn.cases.services import case_record
from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from forewarn.organisations.models import Role
from forewarn.organisations.permissions import BREAK_GLASS_MINUTES, ReasonRequired
from tests.api.conftest import client_for
from tests.factories import CaseFactory, PartyFactory, make_user, name_on_case, org, sign_in

pytestmark = pytest.mark.django_db
WHY = "Anti-corruption unit intelligence about this officer."


@pytest.fixture
def head(db):
    return make_user(Role.HEAD_OF_STANDARDS, email="hops@example.police.uk")


@pytest.fixture
def restricted(head):
    """A Met case restricted by the head of professional standards (who is therefore named on it)."""
    case = CaseFactory()
    return restriction.case_restrict(actor=head, case_id=case.pk, kind="anti_corruption", reason=WHY)


def _sees(actor, case) -> bool:
    return case_list(actor=actor).filter(pk=case.pk).exists()


# -- restricting -----------------------------------------------------------------------------------------
def test_restricting_hides_the_case_from_everyone_not_named(restricted, head, handler, aa, iopc):
    assert restricted.restricted and restricted.restriction_kind == "anti_corruption"
    assert CaseParticipant.objects.get(case=restricted).user == head
    assert _sees(head, restricted)
    restricted.referred_on = dt.date(2024, 2, 1)  # even referred to the IOPC
    restricted.save(update_fields=["referred_on"])
    for outsider in (handler, aa, iopc, make_user(Role.ADMINISTRATOR)):
        assert not _sees(outsider, restricted)
        with pytest.raises(NotFound):
            case_get_for_actor(actor=outsider, case_id=restricted.pk)
    event = Event.objects.get(action="case.restrict")
    assert (event.reason, event.actor, event.changes["restricted"]) == (WHY, head, [False, True])


def test_naming_a_participant_gives_sight_and_removing_takes_it_away(restricted, head, handler):
    restriction.case_participant_add(actor=head, case_id=restricted.pk, user_id=handler.pk, role="case_handler")
    assert _sees(handler, restricted)
    restriction.case_participant_remove(actor=head, case_id=restricted.pk, user_id=handler.pk)
    assert not _sees(handler, restricted)
    assert [e.action for e in Event.objects.filter(action__startswith="case.participant")] == [
        "case.participant.add", "case.participant.add", "case.participant.remove"]


def test_participants_must_hold_the_role_they_are_named_in(restricted, head, handler):
    with pytest.raises(ValidationFailed) as err:
        restriction.case_participant_add(actor=head, case_id=restricted.pk, user_id=handler.pk, role="investigator")
    assert (err.value.code, err.value.field) == ("participant.role_not_held", "role")
    assert not CaseParticipant.objects.filter(user=handler).exists()


def test_a_restricted_case_keeps_one_manager(restricted, head):
    with pytest.raises(GuardFailed) as err:
        restriction.case_participant_remove(actor=head, case_id=restricted.pk, user_id=head.pk)
    assert err.value.code == "restriction.last_manager"
    assert _sees(head, restricted)


def test_only_the_owning_forces_aa_or_head_of_standards_restricts(handler, other_force_handler):
    case = CaseFactory()
    with pytest.raises(PermissionDenied):  # in scope, wrong role
        restriction.case_restrict(actor=handler, case_id=case.pk, kind="covert", reason=WHY)
    with pytest.raises(NotFound):  # another force: the case does not exist for them
        restriction.case_restrict(actor=other_force_handler, case_id=case.pk, kind="covert", reason=WHY)
    with pytest.raises(ValidationFailed):
        restriction.case_restrict(actor=make_user(Role.APPROPRIATE_AUTHORITY), case_id=case.pk, kind="gossip",
                                  reason=WHY)
    assert not Case.objects.get(pk=case.pk).restricted


def test_lifting_a_restriction_needs_a_reason_and_reopens_the_case(restricted, head, handler):
    with pytest.raises(ValidationFailed):
        restriction.case_unrestrict(actor=head, case_id=restricted.pk, reason=" ")
    restriction.case_unrestrict(actor=head, case_id=restricted.pk, reason="Investigation concluded.")
    assert _sees(handler, restricted)


def test_recording_a_restricted_case_names_the_recorder_and_needs_a_kind(handler, aa):
    base = {"case_type": "conduct_matter", "came_to_attention_on": dt.date(2024, 3, 1), "summary": "Covert."}
    with pytest.raises(ValidationFailed) as err:
        case_record(actor=handler, restricted=True, **base)
    assert err.value.field == "restriction_kind"
    case = case_record(actor=handler, restriction_kind="covert", **base)
    assert case.restricted and CaseParticipant.objects.get(case=case).user == handler
    assert _sees(handler, case) and not _sees(aa, case)


# -- reasons for reads ----------------------------------------------------------------------------------
def test_reading_a_restricted_case_needs_a_reason_which_is_audited(restricted, head):
    with pytest.raises(ReasonRequired) as err:
        case_detail(actor=head, case_id=restricted.pk)
    assert (err.value.code, err.value.field, err.value.http_status) == ("access.reason_required", "reason", 422)
    case_detail(actor=head, case_id=restricted.pk, reason="Reviewing the handling plan.")
    read = Event.objects.get(kind=EventKind.READ, action="case.read")
    assert (read.reason, read.actor) == ("Reviewing the handling plan.", head)
    # A plain look-up by a service (no reason given) is not a read for display.
    assert case_get_for_actor(actor=head, case_id=restricted.pk).pk == restricted.pk


def test_the_api_asks_for_a_reason_and_the_web_page_for_a_purpose(client, restricted, head):
    api = client_for(head)
    problem = api.get(f"/api/cases/{restricted.pk}").json()
    assert (problem["status"], problem["code"], problem["field"]) == (422, "access.reason_required", "reason")
    assert api.get(f"/api/cases/{restricted.pk}", {"reason": "Weekly review"}).json()["id"] == restricted.pk

    sign_in(client, head)
    url = reverse("web:case-detail", args=[restricted.pk])
    asked = client.get(url).content.decode()
    assert 'id="purpose-form"' in asked and restricted.summary not in asked
    empty = client.post(url, {"reason": "  "}).content.decode()
    assert 'id="purpose-form"' in empty and "Say why you are opening" in empty
    shown = client.post(url, {"reason": "Preparing the misconduct meeting"}).content.decode()
    assert restricted.reference in shown and 'id="restricted"' in shown
    # The purpose covers the session's next visits for a while, each audited with it.
    assert 'id="purpose-form"' not in client.get(url).content.decode()
    reasons = list(Event.objects.filter(kind=EventKind.READ, action="case.read").values_list("reason", flat=True))
    assert reasons == ["Weekly review", "Preparing the misconduct meeting", "Preparing the misconduct meeting"]


def test_a_case_list_never_shows_a_restricted_cases_text(restricted, head):
    (item,) = [i for i in client_for(head).get("/api/cases").json()["items"] if i["id"] == restricted.pk]
    assert item["restricted"] and item["summary"] == "" and item["reference"] == restricted.reference


# -- breaking the glass ----------------------------------------------------------------------------------
def test_an_administrator_breaks_the_glass_with_a_reason_for_one_hour(restricted, head, django_capture_on_commit_callbacks):
    admin = make_user(Role.ADMINISTRATOR)
    assert not _sees(admin, restricted)
    with pytest.raises(ValidationFailed):
        restriction.break_glass_open(actor=admin, case_id=restricted.pk, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        grant = restriction.break_glass_open(actor=admin, case_id=restricted.pk, reason="Court order disclosure")
    assert _sees(admin, restricted)
    assert grant.expires_at - grant.opened_at == dt.timedelta(minutes=BREAK_GLASS_MINUTES)
    event = Event.objects.get(kind=EventKind.CHANGE, action="case.break_glass")
    assert (event.reason, event.actor, event.case_id) == ("Court order disclosure", admin, restricted.pk)
    # The head of professional standards is told by e-mail and on their My work page.
    (message,) = mail.outbox
    assert message.to == [head.email] and restricted.reference in message.subject
    assert "Court order disclosure" in message.body
    assert list(break_glass_alerts(actor=head)) == [grant]
    assert list(break_glass_alerts(actor=admin)) == []  # the alert list is the head of standards' only
    # When the hour is up the case is gone again.
    BreakGlassGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert not _sees(admin, restricted)


def test_break_glass_is_refused_outside_its_rule(restricted, handler):
    with pytest.raises(PermissionDenied):  # the owning force, but not an administrator
        restriction.break_glass_open(actor=handler, case_id=restricted.pk, reason="Curious")
    with pytest.raises(NotFound):  # another force's administrator: the case does not exist for them
        restriction.break_glass_open(actor=make_user(Role.ADMINISTRATOR, organisation="KEN"),
                                     case_id=restricted.pk, reason="Curious")
    with pytest.raises(GuardFailed) as err:  # nothing to break on an unrestricted case
        restriction.break_glass_open(actor=make_user(Role.ADMINISTRATOR), case_id=CaseFactory().pk, reason="x")
    assert err.value.code == "break_glass.not_restricted"
    assert not BreakGlassGrant.objects.exists() and not mail.outbox


def test_break_glass_through_the_web_and_the_api(client, restricted, head, django_capture_on_commit_callbacks):
    admin = make_user(Role.ADMINISTRATOR)
    sign_in(client, admin)
    assert client.get(reverse("web:case-detail", args=[restricted.pk])).status_code == 404
    missing = client.post(reverse("web:break-glass"), {"reference": "MET-1999-00001", "reason": "x"})
    assert "Your force has no case with that reference" in missing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        opened = client.post(reverse("web:break-glass"), {"reference": restricted.reference.lower(),
                                                          "reason": "Subject access request"})
    assert opened.status_code == 302 and opened["Location"] == reverse("web:case-detail", args=[restricted.pk])
    page = client.get(opened["Location"]).content.decode()  # the break-glass reason is the read's purpose
    assert restricted.reference in page and 'id="purpose-form"' not in page

    sign_in(client, head)
    my_work = client.get(reverse("web:my-work")).content.decode()
    assert 'id="break-glass-alerts"' in my_work and "Subject access request" in my_work

    other_admin = client_for(make_user(Role.ADMINISTRATOR, organisation="KEN"))
    assert other_admin.post(f"/api/cases/{restricted.pk}/break-glass", {"reason": "x"}).status_code == 404
    second = client_for(make_user(Role.ADMINISTRATOR)).post(f"/api/cases/{restricted.pk}/break-glass",
                                                            {"reason": "Audit sample"})
    assert second.status_code == 201 and second.json()["active"]
    alerts = client_for(head).get("/api/break-glass").json()
    assert [a["reason"] for a in alerts] == ["Audit sample", "Subject access request"]


def test_named_cases_of_other_forces_remain_visible_to_their_participants(restricted, head):
    """Naming crosses organisations: an IOPC caseworker named on a restricted Met case sees it."""
    iopc = make_user(Role.IOPC_CASEWORKER, organisation="IOPC")
    restriction.case_participant_add(actor=head, case_id=restricted.pk, user_id=iopc.pk, role="iopc_caseworker")
    assert _sees(iopc, restricted)
    kent_case = CaseFactory(organisation=org("KEN"), restricted=True, restriction_kind="covert")
    name_on_case(iopc, kent_case, "iopc_caseworker")
    PartyFactory(case=kent_case)
    assert _sees(iopc, kent_case)
