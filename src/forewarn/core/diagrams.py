"""Lifecycle documentation generated from the transition tables (docs/lifecycle.md).

The tables are the single source: a test compares the committed file with `render_lifecycle_docs()`,
so the documentation cannot drift from the code. Regenerate with `write_lifecycle_docs(path)`.
"""

from __future__ import annotations

import enum
import typing
from pathlib import Path

from django.db import models

from forewarn.core.clocks import CLOCK_RULES, ClockKind
from forewarn.core.lifecycle import ClockStart, Machine, Transition
from forewarn.core.registry import all_machines

HEADER = """# Lifecycles

Generated from the transition tables by `forewarn.core.diagrams.render_lifecycle_docs()`; do not edit
by hand. Each machine is shown as a state diagram and as a table of its transitions: who may take
each step, the data it needs, the statutory rules (guards) it checks, the clocks it starts and
stops, and the regulation it rests on. Anything not in a table is refused (deny by default).
Periods or rules marked [R] or [U] are not yet verified against the primary text.
"""


def _mermaid_text(text: str) -> str:
    # Mermaid ends a transition label at ';' and treats ':' as a separator.
    return text.replace(":", " -").replace(";", ",").replace('"', "'")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _state_id(value: str) -> str:
    return f"s_{value}"


def _choices(annotation) -> list[str] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(v) for v in typing.get_args(annotation) if v != ""]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(m.value) for m in annotation]
    return None


def _payload_text(t: Transition) -> str:
    parts = []
    for name, info in t.payload.model_fields.items():
        annotation = info.annotation
        if typing.get_origin(annotation) is list:
            inner = _choices(typing.get_args(annotation)[0])
            kind = f" (list of {', '.join(inner)})" if inner else " (list)"
        else:
            options = _choices(annotation)
            kind = f" ({' / '.join(options)})" if options else ""
        required = "" if not info.is_required() else " *required*"
        parts.append(f"`{name}`{kind}{required}")
    return "; ".join(parts) or "—"


def _guards_text(t: Transition) -> str:
    lines = []
    for rule in (*t.preconditions, *t.rules):
        doc = (rule.__doc__ or "").strip().splitlines()
        lines.append(doc[0] if doc else rule.__name__.strip("_").replace("_", " "))
    return "<br>".join(lines) or "—"


def _clock_text(kind: ClockKind) -> str:
    rule = CLOCK_RULES[ClockKind(kind)]
    flag = "" if rule.verified else " [R]"
    return f"{ClockKind(kind).label} ({rule.period_text}{flag})"


def _clocks_text(t: Transition) -> str:
    parts = []
    for start in t.starts:
        if isinstance(start, ClockStart):
            anchor = (start.anchor.__name__ or "").strip("_").replace("_", " ")
            parts.append(f"starts {_clock_text(start.kind)}, from {anchor}")
        else:
            parts.append(f"starts {_clock_text(start)}")
    parts.extend(f"stops {ClockKind(kind).label}" for kind in t.stops)
    return "<br>".join(parts) or "—"


def _state_label(states: type[models.TextChoices], value: str) -> str:
    return str(states(value).label)


def render_machine(machine: Machine) -> str:
    """One machine: heading, description, Mermaid diagram and transition table."""
    title = machine.name.replace("_", " ").capitalize()
    out = [f"## {title} (`{machine.name}`)", ""]
    out.append(f"Model `{machine.model}`, state field `{machine.state_field}`.")
    if machine.description:
        out.append(machine.description)
    out += ["", "```mermaid", "stateDiagram-v2"]
    for value in machine.states.values:
        out.append(f'    state "{_mermaid_text(_state_label(machine.states, value))}" as {_state_id(value)}')
    targets = {t.target for t in machine.transitions}
    entries = [v for v in machine.states.values if v == machine.initial or v not in targets]
    for value in entries:
        out.append(f"    [*] --> {_state_id(value)}")
    for t in machine.transitions:
        for source in t.sources:
            out.append(f"    {_state_id(source)} --> {_state_id(t.target)} : {_mermaid_text(t.label)}")
    for value in machine.states.values:
        if value in machine.terminal:
            out.append(f"    {_state_id(value)} --> [*]")
    out += ["```", ""]
    out.append("| From | To | Action | Roles | Data required | Guards | Clocks | Citation |")
    out.append("|---|---|---|---|---|---|---|---|")
    for t in machine.transitions:
        sources = ", ".join(_state_label(machine.states, s) for s in t.sources)
        row = [
            sources,
            _state_label(machine.states, t.target),
            f"{t.label} (`{t.action}`)",
            ", ".join(sorted(str(r) for r in t.roles)),
            _payload_text(t),
            _guards_text(t),
            _clocks_text(t),
            t.cite or "—",
        ]
        out.append("| " + " | ".join(_cell(c) for c in row) + " |")
    out.append("")
    return "\n".join(out)


def render_lifecycle_docs() -> str:
    """The whole of docs/lifecycle.md."""
    return "\n".join([HEADER, *(render_machine(m) for m in all_machines())])


def write_lifecycle_docs(path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_lifecycle_docs(), encoding="utf-8")
    return path
