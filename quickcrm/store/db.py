"""Engines and sessions for SQLite and PostgreSQL, migrated on open.

SQLite (see shared pitfalls): WAL so readers and one writer run together, foreign keys on,
busy_timeout so a waiting writer waits instead of failing, synchronous=FULL because the
outbox must not lose a commit on power loss. The sqlite3 driver's own transaction handling
is turned off and every transaction begins with BEGIN IMMEDIATE, so a writer takes the
write lock at its start and never fails half-way with "database is locked". Sessions that
only read ask for a deferred BEGIN through ``read_only=True``.

SQLAlchemy Core only at import: the ORM (SQLModel's ``Session``) is imported by
``session_scope``, so that a command on the light read path (``reading``) never loads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Index, Table, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL, make_url

from quickcrm.errors import ConfigError
from quickcrm.settings import mask_url

if TYPE_CHECKING:
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 15000


def parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except Exception:
        raise ConfigError(f"not a database URL: {mask_url(url)!r}") from None


def make_engine(url: str, *, migrate: bool = True) -> Engine:
    """An engine for ``url``; a new database is created and migrated on first use."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database).expanduser()

            @event.listens_for(engine, "do_connect")
            def _private(*_args):  # type: ignore[no-untyped-def]
                private_file(path)  # made when first opened, as SQLite would, but 0600
    elif parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed)
        _ping_when_idle(engine)
    else:
        engine = create_engine(parsed)
    if migrate:
        from quickcrm.store.migrate import ensure_current

        ensure_current(engine)
    return engine


IDLE_PING_S = 5.0  # PostgreSQL: a pooled connection idle this long is pinged first


def _ping_when_idle(engine: Engine) -> None:
    """PostgreSQL: a connection taken from the pool after ``IDLE_PING_S`` or more of
    rest is pinged first, and replaced when the server has gone away meanwhile (a
    restart, an idle timeout): the daemon and the web app hold connections for days.
    SQLAlchemy's ``pool_pre_ping`` pings on every checkout, which is one more round
    trip for each transaction of a busy loop (a delivery run, a procedure step: about
    a tenth of a step, issue 27); a connection in steady use has just answered."""
    import time

    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _rested(_dbapi: object, record: object) -> None:
        record.info["idle_since"] = time.monotonic()  # type: ignore[attr-defined]

    @event.listens_for(engine, "checkout")
    def _awake(dbapi: object, record: object, _proxy: object) -> None:
        since = record.info.pop("idle_since", None)  # type: ignore[attr-defined]
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi)  # type: ignore[arg-type]
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the server closed the connection") from exc


def private_file(path: Path) -> None:
    """Create the SQLite file (and a missing directory) readable by its owner only,
    0600 in a 0700 directory (issue 29): SQLite gives its -wal and -shm files the mode
    of the database file. An existing file keeps the mode its owner gave it."""
    import os

    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (``None`` for in-memory or another backend)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def database_name(url: str) -> str:
    """How a person recognises the database: the SQLite file, else the URL, secrets masked."""
    path = sqlite_path(url)
    return str(path) if path is not None else mask_url(url)


def created_note(url: str) -> str:
    """The one note (stderr) a command prints when it created the database it opened."""
    return f"note: created a new database: {database_name(url)}"


@contextmanager
def connect_existing(url: str, engine: Engine | None = None) -> Iterator[Connection | None]:
    """A connection that neither creates nor migrates the database at ``url``.

    Yields ``None`` when there is nothing to connect to yet (an SQLite file that does not
    exist, or an in-memory one). An SQLite file is opened read-only, so looking does not
    create it; a server is connected to as it is, through ``engine`` (an unmigrated
    engine on ``url``) when given, so the command that follows reuses the connection.
    For checks that must run before anything else (who is acting, which revision).
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is None or not path.is_file():
            yield None
            return
        import sqlite3

        uri = f"{path.absolute().as_uri()}?mode=ro"
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    elif engine is not None:
        with engine.connect() as conn:
            yield conn
        return
    else:
        engine = make_engine(url, migrate=False)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=FULL")
        # a deleted or overwritten value is zeroed on disk, not left in free pages for
        # anyone who reads the file (privacy, issue 29)
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        from quickcrm.store import driver

        # on the DBAPI cursor (``store.driver``): every write transaction starts here,
        # and a procedure step is one (issue 27)
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        driver.execute(conn, f"BEGIN {mode}").close()


BULK_CACHE_KIB = 65536  # SQLite page cache while a bulk write runs


@contextmanager
def bulk_page_cache(db: Session | Connection, kib: int = BULK_CACHE_KIB) -> Iterator[None]:
    """On SQLite, a page cache of ``kib`` KiB while a bulk write (an import) runs: its
    rows land all over the indexes, and the default 2 MB cache would spill dirty pages
    and read them back again and again (half an import's system time). Restored after;
    elsewhere nothing."""
    conn = db if isinstance(db, Connection) else db.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size={-int(kib)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")


LOCK_WAIT = "2s"  # PostgreSQL: how long a first import waits to have its tables alone


@contextmanager
def first_load(db: Session | Connection, tables: Iterable[Table], *,
               linked: Iterable[str] = (), when: bool = True) -> Iterator[bool]:
    """Bulk loading into empty tables (a first import): their secondary indexes are
    dropped at the start and built again, from the same definitions (the models'), at
    the end of the block, inside the same transaction. Building an index once from
    sorted rows costs a fraction of updating it row by row (about a third of a first
    import's writing). Unique indexes stay: they are constraints the writes rely on.

    On PostgreSQL the foreign keys between ``tables`` and from the ``linked`` tables
    (written alongside: the events) into them go the same way: a row-by-row check is a
    trigger per row (~45 % of a 100,000-row import's time), re-adding the constraint
    checks every row in one join. Keys into other tables (users, teams) stay, as
    dropping one would lock the table it points to. Everything is dropped only when all
    these tables can be locked within ``LOCK_WAIT`` (``LOCK TABLE``; until the commit
    their readers and writers wait, as every writer waits for an SQLite import); if
    another transaction holds them, the block runs with nothing dropped.

    On PostgreSQL the tables are analysed at the end, as its manual advises after a bulk
    load. Yields whether it applies, i.e. the tables are this transaction's alone (SQLite:
    the import holds the write lock). Only for code that reads these tables by primary
    key while it writes (the client importer's empty-table path); on an exception
    nothing is rebuilt and the caller's transaction must roll back (session_scope
    does)."""
    if not when:
        yield False
        return
    conn = db if isinstance(db, Connection) else db.connection()
    tables = list(tables)
    q = conn.dialect.identifier_preparer.quote
    keys: list[tuple[str, str, str]] = []
    if conn.dialect.name == "postgresql":
        names = [str(t.name) for t in tables]
        if not _lock(conn, [*names, *linked], LOCK_WAIT):
            yield False
            return
        keys = _foreign_keys(conn, [*names, *linked], names)
        for table, name, _definition in keys:
            conn.exec_driver_sql(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
    deferred = [ix for table in tables for ix in sorted(table.indexes, key=_index_name)
                if not ix.unique]
    for ix in deferred:
        ix.drop(conn)
    yield True
    for ix in deferred:
        ix.create(conn)
    for table, name, definition in keys:  # each checks all its rows in one join
        conn.exec_driver_sql(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
    if conn.dialect.name == "postgresql":
        # the planner's figures still say "empty": the next import's lookups would scan
        # whole tables (7x slower) until autovacuum gets round to them
        conn.exec_driver_sql(f"ANALYZE {', '.join(q(str(t.name)) for t in tables)}")


def _lock(conn: Connection, tables: list[str], wait: str) -> bool:
    """PostgreSQL: lock ``tables`` for this transaction alone, waiting at most ``wait``
    (in a savepoint: a lock not had leaves the transaction as it was)."""
    from sqlalchemy.exc import OperationalError

    savepoint = conn.begin_nested()
    try:
        conn.exec_driver_sql("SELECT set_config('lock_timeout', %s, true)", (wait,))
        q = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"LOCK TABLE {', '.join(map(q, tables))} IN ACCESS EXCLUSIVE MODE")
        conn.exec_driver_sql("SELECT set_config('lock_timeout', '0', true)")
    except OperationalError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _foreign_keys(conn: Connection, tables: list[str],
                  targets: list[str]) -> list[tuple[str, str, str]]:
    """PostgreSQL: (table, name, definition) of the foreign keys of ``tables`` that
    point into ``targets``, as the catalogue has them (re-added word for word)."""
    rows = conn.exec_driver_sql(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'f' "
        "AND c.conrelid = ANY(%s::regclass[]) AND c.confrelid = ANY(%s::regclass[]) "
        "ORDER BY 1, 2", (tables, targets)).all()
    return [(str(t), str(n), str(d)) for t, n, d in rows]


def _index_name(ix: Index) -> str:
    return str(ix.name)


def is_sqlite(engine_or_conn: Engine | Connection | Session) -> bool:
    if isinstance(engine_or_conn, (Engine, Connection)):
        return engine_or_conn.dialect.name == "sqlite"
    return engine_or_conn.get_bind().dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session that rolls back whatever was not committed when the block ends.

    Use cases commit explicitly (``session.commit()``) at the point where their state
    change and the outbox rows it causes are complete; an exception rolls back.
    """
    from sqlmodel import Session

    bind = engine.execution_options(sqlite_begin="DEFERRED") if read_only else engine
    session = Session(bind=bind, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A Core connection in a write transaction, begun at once (SQLite: BEGIN
    IMMEDIATE), rolled back when the block ends without the caller's
    ``conn.commit()``: ``session_scope`` without the ORM, for a use case that writes on
    the DBAPI cursor (``store.driver``) and commits once. A procedure step is one
    (issue 27): a Session's own bookkeeping cost a sixth of a step."""
    with engine.connect() as conn:
        conn.begin()
        yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A Core connection in a read-only transaction (SQLite: a deferred BEGIN, so it
    never waits for a writer), rolled back when the block ends: the light read path's
    ``session_scope(read_only=True)``, for reads written in SQLAlchemy Core."""
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        yield conn
