"""Every lifecycle machine in the project, in one place (docs, admin views, exhaustive tests)."""

from __future__ import annotations

import importlib

from forewarn.core.lifecycle import Machine

# Modules that declare `MACHINES`, in the order the documentation presents them.
MACHINE_MODULES = ("forewarn.cases.lifecycle", "forewarn.proceedings.lifecycle")


def all_machines() -> tuple[Machine, ...]:
    """Every Machine declared by the apps, in documentation order; names are unique."""
    machines: list[Machine] = []
    for module_name in MACHINE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # forewarn.proceedings.lifecycle is being written alongside this module; until it lands
            # only its own absence is tolerated (a missing import *inside* it must still fail loudly).
            if exc.name != module_name:
                raise
            continue
        machines.extend(module.MACHINES)
    names = [m.name for m in machines]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two machines share a name: {', '.join(duplicates)}")
    return tuple(machines)


def machine_for(name: str) -> Machine:
    """The machine called `name`; KeyError names the known ones."""
    for machine in all_machines():
        if machine.name == name:
            return machine
    raise KeyError(f"no lifecycle machine '{name}' (known: {', '.join(m.name for m in all_machines())})")
