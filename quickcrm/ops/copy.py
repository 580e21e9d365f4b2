"""``quickcrm db copy``: the configured database into an empty one of either kind.

Every table of every declared area (``quickcrm.areas.metadata()``) is copied, parents
before children (``metadata.sorted_tables``), in batches, inside ONE transaction on the
target: a failure leaves the target migrated and empty, never half-filled. The target is
checked before anything is written (known scheme, reachable, holding no rows), then
migrated to head. Afterwards PostgreSQL's sequences are set past the copied ids (so the
next ``INSERT`` does not collide) and the row counts of both sides are compared.

Times: SQLite keeps them as UTC wall-clock text, PostgreSQL as ``timestamptz`` that
psycopg hands back in the session's time zone; every aware time is written as UTC and a
naive one read from SQLite is taken as UTC (what the rest of QuickCRM does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Table, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from quickcrm import permissions
from quickcrm.errors import ConfigError, InvalidState
from quickcrm.store.db import database_name, make_engine, parse_url

if TYPE_CHECKING:
    from quickcrm.permissions import Actor

BACKENDS = ("sqlite", "postgresql")
Advance = Callable[[int], None]
Progress = Callable[[str, int | None], AbstractContextManager[Advance]]


def _no_progress(description: str, total: int | None = None) -> AbstractContextManager[Advance]:
    return nullcontext(lambda n: None)


@dataclass
class CopyResult:
    source: str
    target: str
    counts: dict[str, tuple[int, int]]  # table -> (rows in source, rows in target)

    @property
    def rows(self) -> int:
        return sum(s for s, _t in self.counts.values())

    def to_json(self) -> dict[str, list[int]]:
        return {table: [s, t] for table, (s, t) in self.counts.items()}


def tables() -> list[Table]:
    """Every table of every declared area, parents first."""
    from quickcrm.areas import metadata

    return list(metadata().sorted_tables)


def checked_engine(url: str, *, role: str) -> Engine:
    """An unmigrated engine on ``url`` after checking the scheme and that it answers;
    one line naming the URL (secrets masked) otherwise."""
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise ConfigError(f"{role} {database_name(url)}: unknown database URL scheme "
                          f"{parsed.drivername!r} (use sqlite:///FILE or "
                          f"postgresql+psycopg://USER@HOST/DB)")
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ConfigError(f"{role}: an in-memory SQLite database cannot be copied to or from")
    engine = make_engine(url, migrate=False)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - the driver's own words, on one line
        engine.dispose()
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()
        raise ConfigError(f"{role} {database_name(url)} is not reachable: "
                          f"{reason[0] if reason else type(exc).__name__}") from None
    return engine


def rows_held(conn: Connection) -> dict[str, int]:
    """Tables of ``conn`` (any schema version) that hold rows, with their counts."""
    from quickcrm.store.secrets import SEEDED_TABLES

    names = [n for n in inspect(conn).get_table_names()
             if n != "alembic_version" and n not in SEEDED_TABLES]
    found = {}
    for name in names:
        table = Table(name, _blank_metadata())
        n = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if n:
            found[name] = int(n)
    return found


def _blank_metadata() -> Any:
    from sqlalchemy import MetaData

    return MetaData()


def _utc_times(table: Table, backend: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    zoned = [c.name for c in table.columns
             if isinstance(c.type, DateTime) and c.type.timezone]

    def fix(row: dict[str, Any]) -> dict[str, Any]:
        for name in zoned:
            value = row.get(name)
            if isinstance(value, datetime):
                value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
                row[name] = value.replace(tzinfo=None) if backend == "sqlite" else value
        return row

    return fix


def _batches(conn: Connection, table: Table, size: int) -> Iterator[list[dict[str, Any]]]:
    """The table's rows in primary-key order, ``size`` at a time (keyset paging, so a
    large table is never held in memory and each batch is one indexed query)."""
    pk = list(table.primary_key.columns)
    query = select(table).order_by(*pk).limit(size)
    last: tuple[Any, ...] | None = None
    from sqlalchemy import tuple_

    while True:
        q = query
        if last is not None:
            q = q.where(tuple_(*pk) > tuple_(*last)) if len(pk) > 1 else q.where(pk[0] > last[0])
        rows = [dict(r) for r in conn.execute(q).mappings()]
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = tuple(rows[-1][c.name] for c in pk)


def reset_sequences(conn: Connection, tables_: list[Table]) -> None:
    """PostgreSQL: every serial/identity column's sequence continues after its largest id."""
    for table in tables_:
        for column in table.primary_key.columns:
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": column.name}).scalar()
            if seq is None:
                continue
            top = conn.execute(select(func.max(column))).scalar()
            conn.execute(text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
                         {"s": seq, "v": top if top is not None else 1,
                          "called": top is not None})


def copy_database(*, actor: Actor, source_url: str, target_url: str, batch: int = 5000,
                  progress: Progress | None = None) -> CopyResult:
    """Copy every table of ``source_url`` into the empty database at ``target_url``.

    ``progress(description, total_rows)`` is entered once the rows are counted; the
    ``advance(n)`` it yields is called after each batch."""
    permissions.require(actor, "upgrade the database")
    if batch < 1:
        raise ConfigError("--batch must be at least 1")
    from quickcrm.store.migrate import current_revision, head_revision, upgrade

    if parse_url(source_url) == parse_url(target_url):
        raise ConfigError(f"target {database_name(target_url)} is the database being copied")
    target = checked_engine(target_url, role="target")
    try:
        with target.connect() as conn:
            held = rows_held(conn)
        if held:
            first = ", ".join(f"{t} ({n} rows)" for t, n in sorted(held.items())[:3])
            raise InvalidState(f"target {database_name(target_url)} is not empty: {first}; "
                               f"copy into a new, empty database")
        source = make_engine(source_url)  # the configured database, migrated on open
        try:
            return _copy(source, target, source_url, target_url, batch,
                         progress or _no_progress, upgrade, current_revision, head_revision)
        finally:
            source.dispose()
    finally:
        target.dispose()


def _copy(source: Engine, target: Engine, source_url: str, target_url: str, batch: int,
          progress: Progress, upgrade: Any, current_revision: Any, head_revision: Any) -> CopyResult:
    if current_revision(target) != head_revision():
        upgrade(target)
    all_tables = tables()
    backend = target.dialect.name
    snapshot = ({"isolation_level": "REPEATABLE READ"} if source.dialect.name == "postgresql"
                else {"sqlite_begin": "DEFERRED"})
    with source.connect().execution_options(**snapshot) as src:
        with src.begin():  # one snapshot of the source (a daemon may be writing)
            counts = {t.name: int(src.execute(select(func.count()).select_from(t)).scalar_one())
                      for t in all_tables}
            with progress("copying rows", sum(counts.values())) as advance, \
                    target.begin() as dst:
                # the target held no rows before it was migrated: what is there now a
                # migration wrote (an installation secret) and the source has its own
                for table in reversed(all_tables):
                    dst.execute(table.delete())
                for table in all_tables:
                    fix = _utc_times(table, backend)
                    for rows in _batches(src, table, batch):
                        dst.execute(table.insert(), [fix(r) for r in rows])
                        advance(len(rows))
                if backend == "postgresql":
                    reset_sequences(dst, all_tables)
    with target.connect() as conn:
        copied = {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                  for t in all_tables}
    result = CopyResult(source=database_name(source_url), target=database_name(target_url),
                        counts={n: (counts[n], copied[n]) for n in counts})
    wrong = [n for n, (s, t) in result.counts.items() if s != t]
    if wrong:
        raise InvalidState(f"copy incomplete: row counts differ in {', '.join(wrong)}")
    return result
