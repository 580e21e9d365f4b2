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
from typing import TYPE_CHECKING, Any

from quickcrm.clock import Clock, FixedClock, SystemClock
from quickcrm.settings import Settings, load_settings

if TYPE_CHECKING:
    import threading

    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

    from quickcrm.crm.staff import Found
    from quickcrm.mail.delivery import DeliveryCounts
    from quickcrm.mail.transports import Transport
    from quickcrm.permissions import Actor


def running_account() -> str:
    """The operating-system account running this process, from the effective uid
    (``pwd``; not ``$USER``, which anyone may set); the uid itself when it has no name."""
    import os
    import pwd

    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    acting_as: str | None = None
    # the operating-system account: once users are mapped to accounts, it decides who
    # acts (``crm.staff.choose_acting``); None: not known, users are not bound
    os_account: str | None = None
    note: Callable[[str], None] | None = field(default=None, repr=False)
    created_database: bool = False
    _engine: Engine | None = field(default=None, repr=False)
    _unmigrated: Engine | None = field(default=None, repr=False)
    # the check before the command found the schema at head: opening it needs no
    # second look at the revision
    _at_head: bool = field(default=False, repr=False)
    _actor: Actor | None = field(default=None, repr=False)
    _dkim: Any = field(default=False, repr=False)  # False: not built yet; None: no DKIM
    # an administrator acting as another user: recorded once, in the first transaction
    # the command commits (``user.impersonated``)
    _impersonator: Actor | None = field(default=None, repr=False)
    _impersonation_recorded: bool = field(default=False, repr=False)

    def _bare_engine(self) -> Engine:
        if self._unmigrated is None:
            from quickcrm.store.db import make_engine

            self._unmigrated = make_engine(self.settings.database_url, migrate=False)
        return self._unmigrated

    @property
    def engine(self) -> Engine:
        """The store, migrated; a database created on first use is told to ``note``."""
        if self._engine is None:
            engine = self._bare_engine()
            if not self._at_head:
                from quickcrm.store.db import created_note
                from quickcrm.store.migrate import ensure_current

                self.created_database = ensure_current(engine)
                if self.created_database and self.note is not None:
                    self.note(created_note(self.settings.database_url))
            self._engine = engine
        return self._engine

    def check_actor(self, *, fresh: bool = False) -> Actor:
        """The acting user, refusing an unknown or deactivated one; checked before
        anything runs, on a connection that neither creates nor migrates the database
        (``fresh``: the command builds a new one, which knows only the admin).

        The light read path (docs/architecture.md): the revision in one query and, on
        a database at head, the acting user in one more (``crm.staff.find_acting``),
        kept as ``actor``; the command's engine then skips the migration check."""
        from quickcrm.crm.staff import admin_to_be

        if fresh:
            return self._find(None).actor or admin_to_be(self.settings)
        from quickcrm.store.db import connect_existing, sqlite_path
        from quickcrm.store.migrate import current_revision, head_revision

        url = self.settings.database_url
        bare = None if sqlite_path(url) is not None else self._bare_engine()
        with connect_existing(url, bare) as conn:
            at_head = conn is not None and current_revision(conn) == head_revision()
            found = self._find(conn, migrated=at_head)
        if at_head:
            self._at_head = True
            if found.actor is not None:
                self._actor, self._impersonator = found.actor, found.by
        return found.actor or admin_to_be(self.settings)

    def _find(self, conn: Connection | None, *, migrated: bool = True) -> Found:
        from quickcrm.crm.staff import find_acting

        return find_acting(conn=conn, email=self.acting_as, settings=self.settings,
                           account=self.os_account, migrated=migrated)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core connection in a read-only transaction, for a command that only reads
        and needs no ORM (the light read path: ``clients count``)."""
        from quickcrm.store.db import reading

        with reading(self.engine) as conn:
            yield conn

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        from quickcrm.store.db import session_scope

        with session_scope(self.engine, read_only=read_only) as session:
            if not read_only:  # what is queued in it is signed (quickcrm.mail.dkim)
                session.info["dkim"] = self.dkim_signer()
            # nothing to record once the actor is known to act as themselves: no
            # listeners then (two per session were a tenth of a procedure step, issue 27)
            if not read_only and not self._impersonation_recorded and (
                    self._actor is None or self._impersonator is not None):
                self._record_impersonation(session)
            yield session

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A Core connection in a write transaction (``store.db.writing``), for a use
        case that writes on the DBAPI cursor and commits once, without the ORM (the
        light write path: ``procedure step``). As in ``session``: what is queued in it
        is signed (``conn.info["dkim"]``), and an impersonation is recorded in it (at
        its start, so a refused action, rolled back, records nothing)."""
        from quickcrm.store.db import writing

        actor = self.actor  # known before the transaction (its own read)
        with writing(self.engine) as conn:
            conn.info["dkim"] = self.dkim_signer()
            pending = self._impersonator is not None and not self._impersonation_recorded
            if pending:
                self._record_impersonated(conn, actor)
            try:
                yield conn
            finally:
                conn.info.pop("dkim", None)  # the DBAPI connection goes back to the pool
                if pending and not conn.in_transaction():  # committed
                    self._impersonation_recorded = True

    def dkim_signer(self) -> Any:
        """The DKIM signer of ``mail.dkim_*`` (None when not configured), built once."""
        if self._dkim is False:
            from quickcrm.mail.dkim import signer_from

            self._dkim = signer_from(self.settings)
        return self._dkim

    def _record_impersonation(self, session: Session) -> None:
        """Record ``user.impersonated`` in the first transaction this command commits:
        a refused action commits nothing, so it records nothing either."""
        from sqlalchemy import event

        def before_commit(s: Session) -> None:
            if not self._impersonation_recorded and self._impersonator is not None:
                self._record_impersonated(s, self.actor)

        def after_commit(_s: Session) -> None:
            if self._impersonator is not None:
                self._impersonation_recorded = True

        event.listen(session, "before_commit", before_commit)
        event.listen(session, "after_commit", after_commit)

    def _record_impersonated(self, db: Session | Connection, actor: Actor) -> None:
        from quickcrm.events import USER_IMPERSONATED, record

        assert self._impersonator is not None
        record(db, kind=USER_IMPERSONATED, at=self.clock.now(),
               user_id=self._impersonator.id or None, email=actor.email,
               os_user=self.os_account)

    @property
    def actor(self) -> Actor:
        """The acting user (``--as`` / QUICKCRM_USER / the configured administrator).

        Read in a read-only transaction (``crm.staff.find_acting``): a read command run
        beside a writing daemon does not wait for SQLite's write lock just to learn who
        is acting; only the configured administrator's first use writes."""
        if self._actor is None:
            with self.connection() as conn:
                found = self._find(conn)
            if found.actor is None:
                from quickcrm.crm.users import create_admin

                with self.session() as session:
                    self._actor = create_admin(session=session, settings=self.settings,
                                               now=self.clock.now())
            else:
                self._actor = found.actor
            self._impersonator = found.by
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
        if self._unmigrated is not None:
            self._unmigrated.dispose()


def bootstrap(
    *,
    database_url: str | None = None,
    config: str | None = None,
    acting_as: str | None = None,
    now: datetime | str | None = None,
    env: dict[str, str] | None = None,
    clock: Clock | None = None,
    os_account: str | None = None,
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
    return Runtime(settings=settings, clock=clock, acting_as=acting,
                   os_account=os_account or running_account())
