"""The generic lifecycle endpoints, on a toy machine (exact behaviour) and on every real machine."""

import datetime as dt
import types

import pytest

from forewarn.audit.models import Event
from forewarn.cases.models import Case, CaseStatus
from forewarn.core import api as core_api
from forewarn.core.clocks import ClockKind
from forewarn.core.lifecycle import Machine, Reasons, Transition, require
from forewarn.core.models import Clock
from forewarn.core.registry import all_machines
from forewarn.organisations.models import Role
from forewarn.organisations.permissions import case_in_scope
from tests.factories import CaseFactory, change_events

pytestmark = pytest.mark.django_db


def _refuse_no(ctx):
    require(ctx.payload.reasons != "no", "toy.refused", "The reasons may not be 'no'.")


TOY = Machine(
    name="toy", model="cases.Case", state_field="status", since_field="status_since", states=CaseStatus,
    initial=CaseStatus.RECEIVED,
    transitions=(
        Transition(action="log", label="Log", sources=(CaseStatus.RECEIVED,), target=CaseStatus.LOGGED,
                   roles=frozenset({Role.CASE_HANDLER}), starts=(ClockKind.OFFICER_RESPONSE,), cite="Toy reg 1"),
        Transition(action="close", label="Close", sources=(CaseStatus.LOGGED,), target=CaseStatus.NOT_A_COMPLAINT,
                   roles=frozenset({Role.APPROPRIATE_AUTHORITY}), payload=Reasons, rules=(_refuse_no,)),
    ),
    terminal=frozenset({CaseStatus.NOT_A_COMPLAINT}), in_scope=case_in_scope,
    earliest_date=lambda c: c.came_to_attention_on,
)


def _machine_for(name):
    if name != "toy":
        raise KeyError(name)
    return TOY


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setattr(core_api, "_registry",
                        lambda: types.SimpleNamespace(all_machines=lambda: (TOY,), machine_for=_machine_for))


def _problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"https://forewarn.example/problems/{code}"
    return body


def test_lifecycle_lists_states_transitions_roles_and_payload_schemas(toy, handler, api_for):
    (machine,) = api_for(handler).get("/api/lifecycle").json()
    assert machine["name"] == "toy" and machine["model"] == "cases.Case"
    close = machine["transitions"][1]
    assert (close["action"], close["sources"], close["target"], close["roles"]) == (
        "close", ["logged"], "not_a_complaint", ["appropriate_authority"])
    assert close["payload_schema"]["required"] == ["reasons"]
    states = {s["value"]: s for s in machine["states"]}
    assert states["received"]["initial"] and states["not_a_complaint"]["terminal"]


def test_actions_are_what_the_caller_may_do_now(toy, handler, aa, api_for):
    case = CaseFactory()
    body = api_for(handler).get(f"/api/toy/{case.id}/actions").json()
    assert (body["state"], body["version"]) == ("received", 1)
    assert [a["action"] for a in body["actions"]] == ["log"]
    assert body["actions"][0]["payload_schema"]["type"] == "object"
    assert api_for(aa).get(f"/api/toy/{case.id}/actions").json()["actions"] == []
    # The case detail offers the same actions.
    detail = api_for(handler).get(f"/api/cases/{case.id}").json()
    assert [(a["machine"], a["action"]) for a in detail["actions"]] == [("toy", "log")]


def test_running_an_action_moves_the_record_and_returns_state_and_version(toy, handler, api_for):
    case = CaseFactory()
    response = api_for(handler).post(f"/api/toy/{case.id}/actions/log", {"on": "2024-02-01", "expected_version": 1,
                                                                        "reason": "logged on receipt"})
    assert response.status_code == 200, response.content
    assert response.json() == {"machine": "toy", "obj_id": case.id, "action": "log", "state": "logged",
                               "state_label": "Logged", "version": 2, "results": {}}
    case.refresh_from_db()
    assert (case.status, case.status_since) == ("logged", dt.date(2024, 2, 1))
    assert Event.objects.get(action="toy.log").reason == "logged on receipt"
    assert Clock.objects.filter(case=case, kind=ClockKind.OFFICER_RESPONSE).count() == 1


@pytest.mark.parametrize(("path", "body", "status", "code", "field"), [
    # The access guard checks the role before the engine checks the state (organisations.access).
    ("/api/toy/{id}/actions/close", {"payload": {"reasons": "x"}}, 403, "permission.denied", None),
    ("/api/toy/{id}/actions/fly", {}, 409, "transition.unknown_action", "action"),
    ("/api/toy/{id}/actions/log", {"expected_version": 7}, 409, "version.stale", None),
    ("/api/toy/{id}/actions/log", {"on": "2999-01-01"}, 422, "date.in_future", "on"),
    ("/api/toy/{id}/actions/log", {"on": "2000-01-01"}, 422, "date.before_matter", "on"),
    ("/api/toy/{id}/actions/log", {"payload": {"surprise": 1}}, 422, "validation.failed", "surprise"),
    ("/api/toy/{id}/actions/log", {"on": "not-a-date"}, 422, "validation.failed", "on"),
    ("/api/toy/{id}/actions/log", {"unknown": 1}, 422, "validation.failed", "unknown"),
    ("/api/nope/{id}/actions/log", {}, 404, "lifecycle.unknown", "machine"),
    ("/api/toy/99999999/actions/log", {}, 404, "not_found", None),
])
def test_a_refused_action_is_a_problem_and_writes_nothing(toy, handler, api_for, path, body, status, code, field):
    case = CaseFactory()
    client = api_for(handler)
    before = change_events().count()
    problem = _problem(client.post(path.format(id=case.id), body), status, code)
    assert problem.get("field") == field
    if code == "version.stale":
        assert problem["context"]["current_version"] == 1
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.version) == ("received", 1)
    assert change_events().count() == before and Clock.objects.count() == 0


def test_the_wrong_role_is_403_and_another_force_is_404(toy, aa, other_force_handler, api_for):
    case = CaseFactory()
    _problem(api_for(aa).post(f"/api/toy/{case.id}/actions/log", {}), 403, "permission.denied")
    _problem(api_for(other_force_handler).post(f"/api/toy/{case.id}/actions/log", {}), 404, "not_found")
    _problem(api_for(other_force_handler).get(f"/api/toy/{case.id}/actions"), 404, "not_found")
    assert Case.objects.get(pk=case.pk).status == "received" and not Event.objects.filter(case=case).exists()


def test_a_guard_refusal_is_409_naming_the_rule(toy, handler, aa, api_for):
    case = CaseFactory(status=CaseStatus.LOGGED)
    _problem(api_for(aa).post(f"/api/toy/{case.id}/actions/close", {"payload": {"reasons": "no"}}), 409,
             "toy.refused")
    assert not Event.objects.filter(case=case).exists()
    ok = api_for(aa).post(f"/api/toy/{case.id}/actions/close", {"payload": {"reasons": "Not about conduct"}})
    assert ok.json()["state"] == "not_a_complaint"


def _record_for(model_label: str):
    """One in-scope (Met) record of the machine's model."""
    from forewarn.proceedings.models import Challenge, Proceeding
    from tests.factories import SubjectAllegationFactory

    if model_label == "cases.Case":
        return CaseFactory()
    if model_label == "cases.SubjectAllegation":
        return SubjectAllegationFactory()
    sa = SubjectAllegationFactory()
    proceeding = Proceeding.objects.create(case=sa.case, form="hearing", status="notice_of_referral",
                                           status_since=dt.date(2024, 3, 1), regime="R2020",
                                           notice_on=dt.date(2024, 3, 1))
    if model_label == "proceedings.Proceeding":
        return proceeding
    assert model_label == "proceedings.Challenge", f"no test record for {model_label}"
    return Challenge.objects.create(proceeding=proceeding, route="pat", status_since=dt.date(2024, 6, 1),
                                    applicant="The officer", grounds="Unfair", lodged_on=dt.date(2024, 6, 1))


def test_every_real_machine_is_reachable_through_the_generic_endpoint(caseworker, api_for, monkeypatch):
    """Walk the registry: every machine's every action reaches run_transition, and none answers 500."""
    machines = all_machines()
    assert machines, "the registry declares no machines"
    calls = []
    real_run = core_api.run_transition

    def spy(**kwargs):
        calls.append((kwargs["machine"].name, kwargs["action"]))
        return real_run(**kwargs)

    monkeypatch.setattr(core_api, "run_transition", spy)
    client = api_for(caseworker)
    assert {m["name"] for m in client.get("/api/lifecycle").json()} == {m.name for m in machines}
    for machine in machines:
        record = _record_for(machine.model)
        listed = client.get(f"/api/{machine.name}/{record.pk}/actions")
        assert listed.status_code == 200, (machine.name, listed.content)
        for t in machine.transitions:
            response = client.post(f"/api/{machine.name}/{record.pk}/actions/{t.action}", {"payload": {}})
            assert response.status_code in {200, 403, 409, 422}, (machine.name, t.action, response.content)
            if response.status_code != 200:
                assert response["Content-Type"] == "application/problem+json"
            if not t.roles & caseworker.role_codes:  # the access guard refuses before the engine runs
                assert response.status_code == 403, (machine.name, t.action)
        # Every step the caller's roles allow reaches the engine.
        assert {a for name, a in calls if name == machine.name} == {
            t.action for t in machine.transitions if t.roles & caseworker.role_codes}
