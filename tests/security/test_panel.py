"""Panel seats: who appoints them, and that a seat gives sight of the papers only until the proceeding closes."""

import pytest
from django.urls import reverse

from forewarn.core.errors import GuardFailed, NotFound, PermissionDenied, ValidationFailed
from forewarn.core.lifecycle import run_transition
from forewarn.organisations.models import Role
from forewarn.proceedings import panel
from forewarn.proceedings.lifecycle import PROCEEDING_MACHINE
from forewarn.proceedings.models import PanelMember
from tests.api.conftest import client_for
from tests.factories import change_events, make_user, sign_in
from tests.proceedings.builders import proceeding_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hearing(db):
    return proceeding_in("scheduled")


@pytest.fixture
def member(db):
    return make_user(Role.PANEL_MEMBER)


def test_the_aa_seats_a_member_who_then_sees_the_papers_until_the_proceeding_closes(hearing, member, aa):
    member_api = client_for(member)
    assert member_api.get(f"/api/cases/{hearing.case_id}").status_code == 404
    seat = panel.panel_member_add(actor=aa, proceeding_id=hearing.pk, user_id=member.pk, role="chair")
    assert (seat.role, seat.added_by) == ("chair", aa)
    assert change_events().filter(action="proceeding.panel.add").get().data["user_id"] == member.pk
    assert member_api.get(f"/api/cases/{hearing.case_id}").status_code == 200
    assert member_api.get(f"/api/proceedings/{hearing.pk}").status_code == 200
    # The panel records its findings (a panel step in the table) …
    findings = {i: "misconduct" for i in hearing.items.values_list("subject_allegation_id", flat=True)}
    run_transition(machine=PROCEEDING_MACHINE, obj_id=hearing.pk, action="findings_record", actor=member,
                   payload={"findings": findings})
    # … and once the proceeding closes, the case is gone from the member's view.
    hearing.refresh_from_db()
    hearing.status = "final"
    hearing.save(update_fields=["status"])
    for path in (f"/api/cases/{hearing.case_id}", f"/api/proceedings/{hearing.pk}"):
        assert member_api.get(path).status_code == 404, path
    with pytest.raises(GuardFailed):  # nor can the closed panel be changed
        panel.panel_member_remove(actor=aa, proceeding_id=hearing.pk, user_id=member.pk)


def test_seats_are_for_panel_members_one_chair_and_once_each(hearing, member, aa):
    panel.panel_member_add(actor=aa, proceeding_id=hearing.pk, user_id=member.pk, role="chair")
    with pytest.raises(ValidationFailed) as err:
        panel.panel_member_add(actor=aa, proceeding_id=hearing.pk, user_id=member.pk, role="member")
    assert err.value.code == "panel.already_seated"
    with pytest.raises(ValidationFailed) as err:
        panel.panel_member_add(actor=aa, proceeding_id=hearing.pk, user_id=make_user(Role.PANEL_MEMBER).pk,
                               role="chair")
    assert err.value.code == "panel.chair_taken"
    with pytest.raises(ValidationFailed) as err:
        panel.panel_member_add(actor=aa, proceeding_id=hearing.pk, user_id=make_user(Role.CASE_HANDLER).pk,
                               role="member")
    assert err.value.code == "panel.not_a_panel_member"
    assert PanelMember.objects.count() == 1


def test_only_the_owning_forces_aa_manages_the_panel(hearing, member, handler, other_force_handler):
    with pytest.raises(PermissionDenied):
        panel.panel_member_add(actor=handler, proceeding_id=hearing.pk, user_id=member.pk, role="member")
    with pytest.raises(NotFound):
        panel.panel_member_add(actor=other_force_handler, proceeding_id=hearing.pk, user_id=member.pk,
                               role="member")
    assert not PanelMember.objects.exists()


def test_standing_down_ends_sight_at_once(hearing, member, aa):
    panel.panel_member_add(actor=aa, proceeding_id=hearing.pk, user_id=member.pk, role="member")
    panel.panel_member_remove(actor=aa, proceeding_id=hearing.pk, user_id=member.pk)
    assert client_for(member).get(f"/api/cases/{hearing.case_id}").status_code == 404
    with pytest.raises(NotFound):
        panel.panel_member_remove(actor=aa, proceeding_id=hearing.pk, user_id=member.pk)


def test_panel_through_the_api_and_the_web(client, hearing, member, aa):
    api = client_for(aa)
    added = api.post(f"/api/proceedings/{hearing.pk}/panel", {"user_id": member.pk, "role": "member"})
    assert added.status_code == 201 and added.json()["username"] == member.username
    assert [s["user_id"] for s in api.get(f"/api/proceedings/{hearing.pk}/panel").json()] == [member.pk]
    assert api.client.delete(f"/api/proceedings/{hearing.pk}/panel/{member.pk}", **api.headers).status_code == 204
    assert not PanelMember.objects.exists()
    sign_in(client, aa)
    url = reverse("web:proceeding-panel", args=[hearing.pk])
    PanelMember.objects.all().delete()
    added = client.post(url, {"username": member.username, "role": "chair"})
    assert added.status_code == 302 and PanelMember.objects.get().role == "chair"
    unknown = client.post(url, {"username": "nobody-here", "role": "member"}).content.decode()
    assert "no active user with that user name" in unknown
    client.post(reverse("web:proceeding-panel-remove", args=[hearing.pk, member.pk]))
    assert not PanelMember.objects.exists()
    assert change_events().filter(action="proceeding.panel.remove").count() == 2
