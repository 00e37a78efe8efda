"""The access guard itself (organisations.access): its order, its audit, and that it fails closed."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from forewarn.audit.models import Event, EventKind
from forewarn.organisations import access, permissions
from forewarn.organisations.models import Role
from tests.api.conftest import client_for
from tests.factories import CaseFactory, make_user

pytestmark = pytest.mark.django_db


def _refused():
    return list(Event.objects.filter(kind=EventKind.REFUSED).values_list("action", "data"))


def test_a_refused_write_leaves_one_refused_event_and_a_refused_read_none(handler, other_force_handler):
    case = CaseFactory()
    vetting = client_for(make_user(Role.VETTING_OFFICER))
    assert vetting.post(f"/api/cases/{case.pk}/parties", {"role": "witness", "full_name": "Bo"}).status_code == 404
    assert client_for(make_user(Role.INVESTIGATOR)).post("/api/cases", {
        "case_type": "complaint", "came_to_attention_on": "2024-03-01", "summary": "x"}).status_code == 403
    assert client_for(other_force_handler).get(f"/api/cases/{case.pk}").status_code == 404
    refused = _refused()
    assert [(action, data["code"]) for action, data in refused] == [("party.add", "not_found"),
                                                                     ("case.record", "permission.denied")]
    assert not Event.objects.exclude(kind=EventKind.REFUSED).filter(action__in=["party.add", "case.open"]).exists()


def test_out_of_scope_is_404_before_the_role_is_looked_at():
    """A role that may not add parties still gets 404, not 403, for a case it cannot see."""
    kent_case = CaseFactory()
    kent_vetting = client_for(make_user(Role.VETTING_OFFICER, organisation="KEN"))
    response = kent_vetting.post(f"/api/cases/{kent_case.pk}/parties", {"role": "witness", "full_name": "Bo"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_an_unknown_url_parameter_fails_closed(handler):
    @access.requires("case.read")
    def view(request, widget_id):  # a new route whose records nobody said how to scope
        return "reached"

    request = RequestFactory().get("/")
    request.user = handler
    with pytest.raises(ImproperlyConfigured):
        view(request, widget_id=1)


def test_an_undeclared_action_fails_at_import():
    with pytest.raises(KeyError):
        access.requires("case.teleport")


def test_every_rule_names_known_roles_and_lifecycle_steps_come_from_their_tables():
    assert all(rule.roles <= permissions.ALL_ROLES for rule in permissions.ACTIONS.values())
    from forewarn.cases.lifecycle import CASE_MACHINE

    rule = permissions.rule_for("case.refer_to_iopc")
    assert rule.roles == CASE_MACHINE.get("refer_to_iopc").roles and rule.scope == permissions.Scope.CASE
    with pytest.raises(KeyError):
        permissions.rule_for("case.fly")


def test_the_openapi_document_names_each_operations_permission(db):
    doc = Client().get("/api/openapi.json").json()
    assert doc["paths"]["/api/cases/{case_id}/parties"]["post"]["x-permission"] == "party.add"
    assert doc["paths"]["/api/cases/{case_id}/break-glass"]["post"]["x-permission"] == "case.break_glass"
