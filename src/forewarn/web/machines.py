"""The web UI's view of the lifecycle tables and of optional services.

The UI is built generically over `core.lifecycle.Machine` objects found through `core.registry`,
so it shows whatever transitions the statutory tables contain. The registry and the proceedings
services are looked up when used, not at import, so a page never fails because a table is absent.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from forewarn.core.errors import NotFound
from forewarn.core.lifecycle import Machine


def all_machines() -> list[Machine]:
    try:
        registry = importlib.import_module("forewarn.core.registry")
    except ImportError:
        return []
    return list(registry.all_machines())


def machine_for(name: str) -> Machine:
    for machine in all_machines():
        if machine.name == name:
            return machine
    raise NotFound(f"No lifecycle called '{name}'.")


def optional_service(module: str, name: str) -> Callable | None:
    """A service function if its module defines it yet, else None (the page then omits the action)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
