"""The areas of QuickCRM, in one list, and what the entry points read from it.

Adding an area is one folder with an ``area.py`` (``AREA = Area(...)``, see
``quickcrm.area``) plus one line in ``AREAS``, placed after the areas it builds on: an
area imports only the areas listed before it (``tests/test_architecture.py``). The entry points (the composition root)
read this list: the CLI (``cli/main.py``) its command groups, commands and importers,
the daemon its jobs, the web app its routes, Alembic its models; ``bootstrap`` hands the
actions to ``permissions`` and the hook modules to ``mail.hooks`` (``wire``). Core modules
(errors, clock, settings, permissions, events, store) never import this module.

Reading the list imports only the small declaration modules, so ``--help`` stays fast.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

from quickcrm.area import Area, Job

if TYPE_CHECKING:
    from sqlalchemy import MetaData

AREAS: tuple[str, ...] = (
    "quickcrm.crm.area",
    "quickcrm.quickscans.area",
    "quickcrm.mail.area",
    "quickcrm.campaigns.area",
    "quickcrm.landing.area",
    "quickcrm.procedures.area",
    "quickcrm.attention.area",
    "quickcrm.web.area",
    "quickcrm.privacy.area",
)


def _unique(kind: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{kind} {name!r} is declared by two areas")
        seen.add(name)


@cache
def declared() -> tuple[Area, ...]:
    """Every area's declaration, in the order of ``AREAS``; a name declared twice (area,
    command group, job, action) is a programming error found here, not at run time."""
    found = tuple(importlib.import_module(module).AREA for module in AREAS)
    _unique("area", [a.name for a in found])
    _unique("command group", [g for a in found for g in a.groups])
    _unique("job", [j.name for a in found for j in a.jobs])
    _unique("action", [name for a in found for name in a.actions])
    return found


def resolve(ref: str) -> Any:
    """The object a "module:attribute" string names (imported now)."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def model_modules() -> tuple[str, ...]:
    """The foundation's tables first, then each area's."""
    return ("quickcrm.store.models", *(m for a in declared() for m in a.models))


def metadata() -> MetaData:
    """``SQLModel.metadata`` with every table of every area (for Alembic and the schema
    test)."""
    from sqlmodel import SQLModel

    for module in model_modules():
        importlib.import_module(module)
    return SQLModel.metadata


def jobs() -> list[Job]:
    """Every declared daemon job, in run order (``order``, then name)."""
    return sorted((j for a in declared() for j in a.jobs), key=lambda j: (j.order, j.name))


def hook_modules() -> tuple[str, ...]:
    return tuple(m for a in declared() for m in a.mail_hooks)


def actions() -> dict[str, frozenset[str]]:
    """Every declared action -> the firm-wide rights any one of which allows it."""
    return {name: frozenset(rights) for a in declared() for name, rights in a.actions.items()}


def web_routes() -> list[Any]:
    """The Starlette routes every area adds to the web app, in area order."""
    return [route for a in declared() for ref in a.web for route in resolve(ref)()]


def wire() -> None:
    """Hand the areas' actions to ``permissions`` and their mail hook modules to
    ``mail.hooks``: called by ``bootstrap``, so every entry point checks and dispatches
    with the whole list. Cheap and idempotent."""
    from quickcrm import permissions
    from quickcrm.mail import hooks

    permissions.declare(actions())
    hooks.use_modules(hook_modules())
