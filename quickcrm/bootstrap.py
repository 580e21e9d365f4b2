"""The one place that wires settings, database, clock, acting user and mail transport.

The CLI, the daemon and the web app all call ``bootstrap``; nothing else builds an
engine or reads the environment. It also hands the declared areas' actions and mail hooks
to the core (``quickcrm.areas.wire``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from quickcrm.clock import Clock, FixedClock, SystemClock
from quickcrm.settings import Settings, load_settings

if TYPE_CHECKING:
    import threading

    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from quickcrm.mail.delivery import DeliveryCounts
    from quickcrm.mail.transports import Transport
    from quickcrm.permissions import Actor


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    acting_as: str | None = None
    _engine: Engine | None = field(default=None, repr=False)
    _actor: Actor | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from quickcrm.store.db import make_engine

            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        from quickcrm.store.db import session_scope

        with session_scope(self.engine, read_only=read_only) as session:
            yield session

    @property
    def actor(self) -> Actor:
        """The acting user (``--as`` / QUICKCRM_USER / the configured administrator)."""
        if self._actor is None:
            from quickcrm.crm.users import resolve_actor

            with self.session() as session:
                self._actor = resolve_actor(
                    session=session, email=self.acting_as, settings=self.settings,
                    now=self.clock.now(),
                )
        return self._actor

    def transport(self) -> Transport:
        """The mail transport named by ``mail.url`` (smtp://, smtps://, maildir:)."""
        from quickcrm.mail.transports import make_transport

        return make_transport(self.settings.mail_url, settings=self.settings)

    def deliver(self, *, progress: Callable[[int], None] | None = None,
                limit: int | None = None, stop: threading.Event | None = None
                ) -> DeliveryCounts:
        """Deliver what is due in the outbox over one transport connection, then close it.

        ``send``, ``remind`` and the web app call this right after they commit."""
        from quickcrm.mail.delivery import deliver

        transport = self.transport()
        try:
            return deliver(engine=self.engine, transport=transport, clock=self.clock,
                           settings=self.settings, progress=progress, limit=limit, stop=stop)
        finally:
            transport.close()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def bootstrap(
    *,
    database_url: str | None = None,
    config: str | None = None,
    acting_as: str | None = None,
    now: datetime | str | None = None,
    env: dict[str, str] | None = None,
    clock: Clock | None = None,
) -> Runtime:
    import os

    from quickcrm.areas import wire

    wire()
    environ = os.environ if env is None else env
    settings = load_settings(config, env=dict(environ),
                             overrides={"database.url": database_url})
    if clock is None:
        if isinstance(now, str):
            from quickcrm.clock import parse_now

            now = parse_now(now, settings.timezone)
        clock = FixedClock(now) if now is not None else SystemClock()
    acting = acting_as or environ.get("QUICKCRM_USER") or None
    return Runtime(settings=settings, clock=clock, acting_as=acting)
