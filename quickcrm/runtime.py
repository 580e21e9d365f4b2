"""What a use case that spans several transactions needs of the runtime, typed.

Most services take ``*, session, actor, now`` (and ``settings`` when they need it). A few
use cases open their own transactions and deliver mail after committing (``send``,
``remind``, ``bounces ingest``, the outbox commands, the daemon's jobs, the web app); they
take ``*, rt: Runtime``, this protocol, which ``quickcrm.bootstrap.Runtime`` implements,
so mypy checks what they use of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from quickcrm.clock import Clock
    from quickcrm.permissions import Actor
    from quickcrm.settings import Settings


class Delivered(Protocol):
    """The counts of one delivery run (``quickcrm.mail.delivery.DeliveryCounts``)."""

    queued: int
    delivered: int
    deferred: int
    failed: int
    rejected: int
    error: str

    def as_dict(self) -> dict[str, int]: ...


class Runtime(Protocol):
    settings: Settings
    clock: Clock

    @property
    def engine(self) -> Engine: ...

    @property
    def actor(self) -> Actor:
        """The acting user (``--as``, QUICKCRM_USER or the configured administrator)."""
        ...

    def session(self, *, read_only: bool = False) -> AbstractContextManager[Session]:
        """A session that rolls back what was not committed when the block ends."""
        ...

    def deliver(self, *, progress: Callable[[int], None] | None = None,
                limit: int | None = None, stop: threading.Event | None = None) -> Delivered:
        """Deliver what is due over one transport connection, then close it."""
        ...

    def close(self) -> None: ...
