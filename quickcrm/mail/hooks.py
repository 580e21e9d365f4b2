"""Callbacks through which other areas learn what happened to their messages.

Why callbacks in the same transaction: "the invitation was delivered" and "the outbox row
is sent" must never disagree, so delivery (and bounce ingestion) call the hooks of the
message's ``kind`` with the session in which they record the result, and commit both
together. A hook must be quick and must not commit.

Events:
- ``"sent"``: the server answered 250 (``event.at`` is the delivery time);
- ``"bounced"``: permanent failure: a 5xx reply at SMTP time (the row's status is then
  ``rejected``) or a bounce message ingested later (the row stays ``sent`` and gets
  ``bounced_at``); ``event.reason`` says why;
- ``"failed"``: 4xx replies until ``mail.retry_max_age_hours`` ran out.

Registering (the campaigns area, in ``quickcrm/campaigns/mail_hooks.py``, named in its
declaration's ``mail_hooks``)::

    from quickcrm.mail.hooks import on

    @on("bounced", "invitation")
    def _bounced(session, event):
        mark_bounced(session, int(event.ref.split(":")[1]), event.at, event.reason)

Every area's hook modules (``quickcrm.areas``) are handed over by ``bootstrap`` through
``use_modules``, and imported by ``load_hooks()``, which delivery and ingestion call
first, so a hook is registered whichever entry point runs (and only then: a command that
delivers nothing imports no hook module).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

EVENTS = ("sent", "bounced", "failed")


@dataclass(frozen=True)
class MessageEvent:
    event: str
    id: int
    kind: str
    ref: str
    message_id: str
    recipient: str
    at: datetime
    reason: str = ""


Hook = Callable[["Session", MessageEvent], None]
_hooks: dict[tuple[str, str], list[Hook]] = {}


def register(event: str, kind: str, fn: Hook) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown mail event {event!r}")
    bucket = _hooks.setdefault((event, kind), [])
    if fn not in bucket:
        bucket.append(fn)


def on(event: str, kind: str) -> Callable[[Hook], Hook]:
    """Decorator form of ``register``."""

    def decorate(fn: Hook) -> Hook:
        register(event, kind, fn)
        return fn

    return decorate


def has_hooks(event: str, kind: str) -> bool:
    return bool(_hooks.get((event, kind)))


def dispatch(session: Session, event: MessageEvent) -> None:
    for fn in _hooks.get((event.event, event.kind), ()):
        fn(session, event)


def use_modules(names: Iterable[str]) -> None:
    """Name the modules that register hooks (the areas' ``mail_hooks``)."""
    for name in names:
        if name not in _modules:
            _modules.append(name)


def load_hooks() -> None:
    """Import the hook modules named so far (each once)."""
    for name in _modules:
        if name not in _loaded:
            importlib.import_module(name)
            _loaded.add(name)


_modules: list[str] = []
_loaded: set[str] = set()
