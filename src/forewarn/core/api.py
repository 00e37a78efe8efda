"""API: the lifecycle tables, and one generic pair of endpoints that runs any statutory transition.

The endpoints are built over `core.lifecycle.Machine` objects from `core.registry`, so they offer
whatever the tables contain; every step goes through `run_transition`, which holds all the rules.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from ninja import Field, Path, Router, Schema

from forewarn.core.errors import NotFound
from forewarn.core.lifecycle import Machine, Transition, actor_has_any_role, run_transition
from forewarn.core.schemas import MAX_ID, PROBLEMS, In, Version, actor_of
from forewarn.organisations import permissions
from forewarn.organisations.access import requires
from forewarn.organisations.permissions import case_in_scope

router = Router(tags=["lifecycle"])


# -- the registry ------------------------------------------------------------------------------
def _registry():
    # Looked up when used: the statutory tables are written alongside the API and the API must load
    # (and say 'no such lifecycle') while a table module is missing.
    try:
        return importlib.import_module("forewarn.core.registry")
    except ModuleNotFoundError as exc:
        if exc.name != "forewarn.core.registry":
            raise
        return None


def machines() -> list[Machine]:
    registry = _registry()
    return list(registry.all_machines()) if registry else []


def machine_named(name: str) -> Machine:
    registry = _registry()
    try:
        machine = registry.machine_for(name) if registry else None
    except (KeyError, LookupError, ValueError):
        machine = None
    if machine is None:
        raise NotFound(f"No lifecycle called '{name[:60]}'.", code="lifecycle.unknown", field="machine")
    return machine


def _visible(actor, machine: Machine, obj) -> bool:
    """Deny by default: the machine's own scope rule and the case scope must both admit the actor."""
    if not machine.in_scope(actor, obj):
        return False
    case = machine.case_of(obj)
    return case is None or case_in_scope(actor, case)


def visible_object(*, actor, machine: Machine, obj_id: int):
    """The machine's record if the actor may see it; otherwise NotFound (never confirms existence)."""
    obj = machine.model_class().objects.filter(pk=obj_id).first()
    if obj is None or not _visible(actor, machine, obj):
        raise NotFound(f"No {machine.name.replace('_', ' ')} with id {obj_id}.")
    return obj


def available_actions(*, actor, obj) -> list[dict]:
    """What the actor may do now to a record, across every machine over its model."""
    label = obj._meta.label
    offered = []
    for machine in machines():
        if machine.model != label or not _visible(actor, machine, obj):
            continue
        offered.extend(_action(machine, t) for t in machine.available(actor=actor, obj=obj))
    return offered


def step_rule(kwargs: dict) -> permissions.Rule:
    """The permission rule of the step a URL names: its roles come from the statutory table.

    An unknown machine is NotFound; an unknown step is the engine's own 409 (transition.unknown_action),
    raised here only after the record was found in the caller's scope.
    """
    machine = machine_named(str(kwargs.get("machine", "")))
    return permissions.transition_rule(machine.name, machine.get(str(kwargs.get("action", ""))))


# -- schemas ----------------------------------------------------------------------------------
def _payload_schema(t: Transition) -> dict[str, Any]:
    return t.payload.model_json_schema()


def _action(machine: Machine, t: Transition, *, with_schema: bool = False) -> dict:
    out = {"machine": machine.name, "action": t.action, "label": t.label, "target": t.target,
           "target_label": machine.label(t.target), "cite": t.cite}
    if with_schema:
        out["payload_schema"] = _payload_schema(t)
    return out


class StateOut(Schema):
    value: str
    label: str
    initial: bool
    terminal: bool


class TransitionOut(Schema):
    action: str
    label: str
    sources: list[str]
    target: str
    roles: list[str]
    cite: str
    payload_schema: dict[str, Any]


class MachineOut(Schema):
    name: str
    model: str
    description: str
    state_field: str
    states: list[StateOut]
    transitions: list[TransitionOut]


class ActionOut(Schema):
    machine: str
    action: str
    label: str
    target: str
    target_label: str
    cite: str
    payload_schema: dict[str, Any] | None = None


class ActionsOut(Schema):
    machine: str
    obj_id: int
    state: str
    state_label: str
    version: int
    actions: list[ActionOut]


class ActionIn(In):
    payload: dict[str, Any] = Field(default_factory=dict, description="The transition's data (see its payload_schema).")
    on: dt.date | None = Field(None, description="The date the step took effect; today if omitted.")
    expected_version: Version | None = Field(None, description="Refuse with 409 if the record has changed since.")
    reason: str = Field("", max_length=2000)


class ActionResultOut(Schema):
    machine: str
    obj_id: int
    action: str
    state: str
    state_label: str
    version: int
    results: dict[str, Any]


def _result_value(value: Any) -> Any:
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        return {"object_type": value._meta.label_lower, "id": value.pk}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# -- endpoints --------------------------------------------------------------------------------
ObjId = Path(..., ge=1, le=MAX_ID)
Name = Path(..., max_length=60)


@router.get("/lifecycle", response={200: list[MachineOut], **PROBLEMS},
            summary="Every statutory lifecycle: states, transitions, roles and payload schemas")
@requires("lifecycle.read")
def lifecycle_list(request):
    out = []
    for m in machines():
        out.append({
            "name": m.name, "model": m.model, "description": m.description, "state_field": m.state_field,
            "states": [{"value": v, "label": str(lab), "initial": v == m.initial, "terminal": v in m.terminal}
                       for v, lab in m.states.choices],
            "transitions": [{"action": t.action, "label": t.label, "sources": list(t.sources), "target": t.target,
                             "roles": sorted(t.roles), "cite": t.cite, "payload_schema": _payload_schema(t)}
                            for t in m.transitions],
        })
    return out


@router.get("/{machine}/{obj_id}/actions", response={200: ActionsOut, **PROBLEMS},
            summary="What the caller may do now to one record")
@requires("lifecycle.actions.read")
def action_list(request, machine: str = Name, obj_id: int = ObjId):
    actor = actor_of(request)
    m = machine_named(machine)
    obj = visible_object(actor=actor, machine=m, obj_id=obj_id)
    state = getattr(obj, m.state_field)
    offered = m.available(actor=actor, obj=obj) if actor_has_any_role(
        actor, {r for t in m.transitions for r in t.roles}) else []
    return {"machine": m.name, "obj_id": obj.pk, "state": state, "state_label": m.label(state),
            "version": obj.version, "actions": [_action(m, t, with_schema=True) for t in offered]}


@router.post("/{machine}/{obj_id}/actions/{action}", response={200: ActionResultOut, **PROBLEMS},
             summary="Take one statutory step (refused steps write nothing)")
@requires(step_rule)
def action_run(request, data: ActionIn, machine: str = Name, obj_id: int = ObjId, action: str = Name):
    actor = actor_of(request)
    m = machine_named(machine)
    visible_object(actor=actor, machine=m, obj_id=obj_id)  # the case scope too, whatever the table says
    obj, ctx = run_transition(machine=m, obj_id=obj_id, actor=actor, action=action,
                              payload=data.payload, on=data.on, expected_version=data.expected_version,
                              reason=data.reason)
    state = getattr(obj, m.state_field)
    return {"machine": m.name, "obj_id": obj.pk, "action": ctx.transition.action, "state": state,
            "state_label": m.label(state), "version": obj.version,
            "results": {k: _result_value(v) for k, v in ctx.results.items()}}
