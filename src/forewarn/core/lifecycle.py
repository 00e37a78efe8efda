"""Declarative statutory state machines and the one function that moves them.

A `Machine` is data: its states, and a table of `Transition`s. Each transition names the states
it leaves from, the state it enters, the roles that may take it, the data it requires (a pydantic
`Payload`), the statutory rules it checks (`preconditions` on the record, `rules` on the data), the
clocks it starts and stops, and the regulation it rests on.

`run_transition()` is the only way a lifecycle state changes. It follows one recipe, in one
database transaction: lock the row, check the actor may see it, check (state, target) against the
table, check the actor's role, check the version, validate the data and the date, check the rules,
mutate, save with update_fields, stop and start clocks, and write one audit event. Any refusal
raises a DomainError before anything is written (the transaction rolls back), so a refused action
leaves no trace in the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pydantic
from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from forewarn.core.clocks import CLOCK_RULES, ClockKind
from forewarn.core.errors import (
    GuardFailed,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from forewarn.core.versioning import version_check


class Payload(pydantic.BaseModel):
    """Data a transition requires. Unknown fields are refused; strings are stripped."""

    model_config = pydantic.ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class NoPayload(Payload):
    pass


class Reasons(Payload):
    """A decision that must be explained (most statutory decisions must give reasons)."""

    reasons: str = pydantic.Field(min_length=1, max_length=20_000)


@dataclass
class Context:
    """What a rule or an `apply` function sees."""

    obj: Any
    actor: Any
    on: dt.date
    payload: Payload
    transition: Transition
    machine: Machine
    # Things `apply` wants to hand to the caller (e.g. a proceeding it created).
    results: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[Context], None]  # raises GuardFailed
Apply = Callable[[Context], Iterable[str]]  # mutates ctx.obj, returns the fields it changed
Consequence = Callable[[Context], None]  # changes other records, after the step is saved and audited


@dataclass(frozen=True)
class ClockStart:
    """Start a clock from a date other than the transition's own date."""

    kind: ClockKind
    anchor: Callable[[Context], dt.date]


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    payload: type[Payload] = NoPayload
    preconditions: tuple[Rule, ...] = ()  # on the record alone: decide whether the action is offered
    rules: tuple[Rule, ...] = ()  # on the record and the submitted data
    apply: Apply | None = None
    # Run after the step's own save and audit event, in its transaction, seeing the record as saved:
    # for effects on other records that depend on this one's new state (e.g. the advisory list).
    then: tuple[Consequence, ...] = ()
    starts: tuple[ClockKind | ClockStart, ...] = ()
    stops: tuple[ClockKind, ...] = ()
    cite: str = ""


@dataclass(frozen=True)
class Machine:
    name: str
    model: str  # "app_label.ModelName"
    state_field: str
    states: type[models.TextChoices]
    initial: str
    transitions: tuple[Transition, ...]
    terminal: frozenset[str] = frozenset()
    since_field: str | None = None  # date the record entered its current state
    # Which organisation owns the record, and whether the actor's organisation may act on it.
    in_scope: Callable[[Any, Any], bool] = lambda actor, obj: True
    # The case a record belongs to (timeline, clocks) and the earliest date a step may bear.
    case_of: Callable[[Any], Any] = lambda obj: obj
    earliest_date: Callable[[Any], dt.date | None] = lambda obj: None
    clock_owner: Callable[[Any], dict[str, Any]] = lambda obj: {"case": obj}
    # Overlays (suspension) have a state field of their own and a precondition on the main state.
    description: str = ""

    def __post_init__(self):
        values = set(self.states.values)
        seen_pairs: set[tuple[str, str]] = set()
        seen_actions: set[str] = set()
        for t in self.transitions:
            unknown = {*t.sources, t.target} - values
            if unknown:
                raise ValueError(f"{self.name}.{t.action}: unknown states {sorted(unknown)}")
            if t.action in seen_actions:
                raise ValueError(f"{self.name}: duplicate action {t.action}")
            seen_actions.add(t.action)
            for source in t.sources:
                if (source, t.target) in seen_pairs:
                    raise ValueError(f"{self.name}: two transitions for {source} -> {t.target}")
                seen_pairs.add((source, t.target))
                if source in self.terminal:
                    raise ValueError(f"{self.name}.{t.action}: leaves terminal state {source}")
            if not t.roles:
                raise ValueError(f"{self.name}.{t.action}: no role may take it (deny by default is the table's job)")

    # -- reading the table -------------------------------------------------------------------
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def get(self, action: str) -> Transition:
        for t in self.transitions:
            if t.action == action:
                return t
        raise TransitionNotAllowed(f"There is no action '{action}' for a {self.name.replace('_', ' ')}.",
                                   code="transition.unknown_action", field="action")

    def between(self, source: str, target: str) -> Transition | None:
        for t in self.transitions:
            if source in t.sources and t.target == target:
                return t
        return None

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def allowed_pairs(self) -> set[tuple[str, str]]:
        return {(s, t.target) for t in self.transitions for s in t.sources}

    def label(self, state: str) -> str:
        return str(self.states(state).label)

    def available(self, *, actor, obj) -> list[Transition]:
        """The actions this actor may take on this record now (state, role and record preconditions)."""
        state = getattr(obj, self.state_field)
        offered = []
        for t in self.from_state(state):
            if not actor_has_any_role(actor, t.roles):
                continue
            ctx = Context(obj=obj, actor=actor, on=timezone.localdate(), payload=NoPayload(),
                          transition=t, machine=self)
            try:
                for rule in t.preconditions:
                    rule(ctx)
            except GuardFailed:
                continue
            offered.append(t)
        return offered


def actor_has_any_role(actor, roles: Iterable[str]) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and actor.has_any_role(roles)


def _validate_payload(t: Transition, payload: Payload | dict | None) -> Payload:
    if isinstance(payload, t.payload):
        return payload
    if isinstance(payload, Payload):
        payload = payload.model_dump()
    try:
        return t.payload.model_validate(payload or {})
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        raise ValidationFailed(f"{where or 'data'}: {first['msg']}", code="validation.failed", field=where,
                               errors=[f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]) from None


def _validate_date(machine: Machine, obj, on: dt.date) -> None:
    today = timezone.localdate()
    if on > today:
        raise ValidationFailed(f"on: the date {on.isoformat()} is in the future.", code="date.in_future", field="on")
    earliest = machine.earliest_date(obj)
    if earliest and on < earliest:
        raise ValidationFailed(
            f"on: {on.isoformat()} is before the matter came to attention ({earliest.isoformat()}).",
            code="date.before_matter", field="on")
    if machine.since_field:
        since = getattr(obj, machine.since_field)
        if since and on < since:
            raise ValidationFailed(
                f"on: {on.isoformat()} is before the current step began ({since.isoformat()}).",
                code="date.before_previous_step", field="on")


def _run_clocks(ctx: Context) -> None:
    clock_model = apps.get_model("core", "Clock")
    owner = ctx.machine.clock_owner(ctx.obj)
    t = ctx.transition
    if t.stops:
        clock_model.objects.filter(**owner, kind__in=list(t.stops), stopped_on__isnull=True).update(
            stopped_on=ctx.on)
    for start in t.starts:
        kind, anchor = (start.kind, start.anchor(ctx)) if isinstance(start, ClockStart) else (start, ctx.on)
        clock_model.objects.filter(**owner, kind=kind, stopped_on__isnull=True).update(stopped_on=ctx.on)
        clock_model.objects.create(**owner, kind=kind, started_on=anchor,
                                   due_on=CLOCK_RULES[kind].due_from(anchor))


def run_transition(
    *,
    machine: Machine,
    obj_id: int,
    actor,
    action: str | None = None,
    target: str | None = None,
    payload: Payload | dict | None = None,
    on: dt.date | None = None,
    expected_version: int | None = None,
    reason: str = "",
):
    """Move one record along its statutory lifecycle, or refuse and write nothing.

    Name the step by `action` (services, UI, API) or by `target` state (the exhaustive table tests).
    Returns (record, context) so callers can read anything `apply` produced.
    """
    if (action is None) == (target is None):
        raise ValueError("give exactly one of action or target")
    on = on or timezone.localdate()
    from forewarn.audit.services import refusals_audited  # audit sits above core in the import graph

    # A refusal rolls the transaction back and then leaves one "refused" audit event.
    with refusals_audited(actor=actor, action=f"{machine.name}.{action or 'to_' + str(target)}",
                          object_type=machine.model, object_id=obj_id):
        return _run_transition(machine=machine, obj_id=obj_id, actor=actor, action=action, target=target,
                               payload=payload, on=on, expected_version=expected_version, reason=reason)


def _run_transition(*, machine, obj_id, actor, action, target, payload, on, expected_version, reason):
    model = machine.model_class()
    with transaction.atomic():
        try:
            obj = model.objects.select_for_update().get(pk=obj_id)
        except model.DoesNotExist:
            raise NotFound(f"No {machine.name.replace('_', ' ')} with id {obj_id}.") from None
        # Deny by default: out of scope looks exactly like absent (never confirm existence).
        if not getattr(actor, "is_authenticated", False) or not machine.in_scope(actor, obj):
            raise NotFound(f"No {machine.name.replace('_', ' ')} with id {obj_id}.")
        # A stale view is refused before anything else is judged against it: the user is told that the
        # record changed (and its version), not that a step is "not allowed" in a state they never saw.
        version_check(obj, expected_version, what=machine.name.replace("_", " "))

        current = getattr(obj, machine.state_field)
        if action is not None:
            t = machine.get(action)
            if current not in t.sources:
                raise TransitionNotAllowed(
                    f"'{t.label}' is not allowed while the {machine.name.replace('_', ' ')} is "
                    f"'{machine.label(current)}'.", current_state=current, action=action)
        else:
            t = machine.between(current, target)
            if t is None:
                raise TransitionNotAllowed(
                    f"A {machine.name.replace('_', ' ')} cannot move from '{machine.label(current)}' "
                    f"to '{machine.label(target)}'.", current_state=current, target=target)

        if not actor_has_any_role(actor, t.roles):
            raise PermissionDenied(
                f"'{t.label}' needs one of these roles: {', '.join(sorted(t.roles))}.", action=t.action)

        data = _validate_payload(t, payload)
        _validate_date(machine, obj, on)
        ctx = Context(obj=obj, actor=actor, on=on, payload=data, transition=t, machine=machine)
        for rule in (*t.preconditions, *t.rules):
            rule(ctx)

        before = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
        changed = {machine.state_field, "version", "updated_at"}
        setattr(obj, machine.state_field, t.target)
        if machine.since_field:
            setattr(obj, machine.since_field, on)
            changed.add(machine.since_field)
        if t.apply:
            changed.update(t.apply(ctx) or ())
        obj.version += 1
        obj.save(update_fields=sorted(changed))
        _run_clocks(ctx)

        from forewarn.audit.services import event_record

        event_record(
            actor=actor,
            action=f"{machine.name}.{t.action}",
            obj=obj,
            case=machine.case_of(obj),
            occurred_on=on,
            from_state=current,
            to_state=t.target,
            data=data.model_dump(mode="json"),
            changes=_changes(obj, before, changed - {"version", "updated_at"}),
            reason=reason,
        )
        for consequence in t.then:
            consequence(ctx)
    return obj, ctx


def _changes(obj, before: dict, fields: Iterable[str]) -> dict[str, list]:
    """{field: [old, new]} for the fields a step changed, by attribute name (foreign keys as ids)."""
    changes = {}
    for name in sorted(fields):
        attname = obj._meta.get_field(name).attname
        old, new = before.get(attname), getattr(obj, attname)
        if old != new:
            changes[attname] = [old, new]
    return changes


def require(condition: bool, code: str, message: str) -> None:
    """Raise GuardFailed unless `condition` holds. Rules read as: require(x, code, why)."""
    if not condition:
        raise GuardFailed(message, code=code)
