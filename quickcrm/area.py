"""What an area declares: its tables, commands, daemon jobs, mail hooks, web routes and
actions, each named by a module path (a string), never imported here.

Why strings: the list of areas (``quickcrm.areas.AREAS``) is read by ``quickcrm --help``,
which must stay as fast as a bare Typer app; an area's declaration therefore imports
nothing but this module, and each part is imported only by the entry point that needs it
(the CLI imports the command modules, the daemon the job functions, the web app the
routes, Alembic the models). See docs/architecture.md.

An area's ``area.py``::

    from quickcrm.area import Area, Job

    AREA = Area(
        name="persons",
        models=("quickcrm.persons.models",),
        groups={"person": "quickcrm.cli.person"},
        importers=("quickcrm.cli.person",),
        jobs=(Job("signals", run="quickcrm.persons.jobs:signals",
                  every="daemon.signals_every", once_per="day"),),
        actions={"delete persons": ("admin",)},
    )
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quickcrm.runtime import Runtime

PERIODS = ("day",)  # what ``Job.once_per`` accepts (local calendar days in firm.timezone)


@dataclass
class JobContext:
    """What a job function gets: the daemon's runtime, ``stop`` (set by SIGTERM: finish
    what is in flight, give the rest back, return) and this daemon run's worker id (the
    name on its claims)."""

    runtime: Runtime
    stop: threading.Event
    worker: str


@dataclass(frozen=True)
class Job:
    """A daemon job: ``run`` ("module:function") is called with the daemon's
    ``JobContext`` and returns a dict of counts (its one log line), or None.

    It runs at the daemon's start and then every ``every`` seconds (the name of an
    integer setting), in ``order`` with ``--once``. With ``once_per="day"`` it runs at most
    once per local day across every daemon and cron run on the database: a ``job_run``
    claim decides who runs it; a failed run gives its claim back (retried next tick) and
    the claim of a dead worker is taken over (``quickcrm.store.claims``).
    """

    name: str
    run: str
    every: str
    order: int = 0
    once_per: str | None = None

    def __post_init__(self) -> None:
        if self.once_per is not None and self.once_per not in PERIODS:
            raise ValueError(f"job {self.name!r}: once_per must be one of {PERIODS}, "
                             f"not {self.once_per!r}")
        if ":" not in self.run:
            raise ValueError(f"job {self.name!r}: run must be 'module:function'")


@dataclass(frozen=True)
class Area:
    """One area of QuickCRM (a folder under ``quickcrm/``), as the entry points see it.

    - ``models``: modules defining its tables (Alembic and the schema test import them);
    - ``groups``: ``quickcrm NAME ...`` command groups, name -> module whose ``app`` is
      the group's Typer;
    - ``commands``: modules whose ``register(app)`` adds top-level commands
      (``quickcrm send``);
    - ``importers``: modules whose ``importers`` Typer holds ``quickcrm import NOUN``
      commands (every area's importers share the one ``import`` group);
    - ``jobs``: daemon jobs;
    - ``mail_hooks``: modules registering ``quickcrm.mail.hooks`` callbacks, imported
      before delivery or bounce ingestion dispatches;
    - ``web``: "module:function" returning the Starlette routes it adds to the web app;
    - ``actions``: action -> the firm-wide rights any one of which allows it (the names
      ``permissions.require`` checks; see ``quickcrm.permissions.RIGHTS``).
    """

    name: str
    models: tuple[str, ...] = ()
    groups: dict[str, str] = field(default_factory=dict)
    commands: tuple[str, ...] = ()
    importers: tuple[str, ...] = ()
    jobs: tuple[Job, ...] = ()
    mail_hooks: tuple[str, ...] = ()
    web: tuple[str, ...] = ()
    actions: dict[str, tuple[str, ...]] = field(default_factory=dict)
