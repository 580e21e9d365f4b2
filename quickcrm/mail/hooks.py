"""Callbacks through which other areas learn what happened to their messages.

Why callbacks in the same transaction: "the invitation was delivered" and "the outbox row
is sent" must never disagree, so delivery (and bounce ingestion) call the hooks of the
message's ``kind`` with the session in which they record the result, and commit both
together. A hook must be quick and must not commit.

Events:
- ``"sent"``: the server answered 250 (``event.at`` is the delivery time);
- ``"bounced"``: permanent failure: a 5xx reply at SMTP time (the row's status is then
  ``rejected`` and ``event.rejected`` is True) or a bounce message ingested later (the row
  stays ``sent`` and gets ``bounced_at``); ``event.reason`` says why;
- ``"failed"``: 4xx replies until ``mail.retry_max_age_hours`` ran out.

Registering (the campaigns area, in ``quickcrm/campaigns/mail_hooks.py``)::

    from quickcrm.mail.hooks import on

    @on("bounced", "invitation")
    def _bounced(session, event):
        mark_bounced(session, int(event.ref.split(":")[1]), event.at, event.reason)

Modules named in ``HOOK_MODULES`` are imported by ``load_hooks()``, which delivery and
ingestion call first, so a hook is registered whichever entry point runs.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

EVENTS = ("sent", "bounced", "failed")
HOOK_MODULES: tuple[str, ...] = ("quickcrm.campaigns.mail_hooks",)


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
    rejected: bool = False  # "bounced" by a 5xx at SMTP time, not by a later bounce message


Hook = Callable[[Session, MessageEvent], None]
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


def load_hooks() -> None:
    """Import the modules that register hooks (those that exist)."""
    for name in HOOK_MODULES:
        if name not in _loaded and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
        _loaded.add(name)


_loaded: set[str] = set()
