"""Statements run on the transaction's DBAPI cursor: SQL text cached per paramstyle,
every value bound, values converted by their columns' own SQLAlchemy types.

Why: SQLAlchemy's ``Connection.execute`` of a statement it has compiled and cached
still costs some 60-100 µs of Python per call (an execution context, a result with its
metadata), ``exec_driver_sql`` about as much, where sqlite3 runs a one-row INSERT in a
few microseconds. A procedure step (issue 27, ``benchmarks/bench_procedures.py`` (c))
is one read and six one-row writes in its own transaction, so that overhead was most of
its database time. The statements run on the same DBAPI connection, inside the
transaction SQLAlchemy began (a session's ``session.connection()``, or the Core
connection of ``store.db.writing``), so nothing about the transaction changes; a driver error is raised as SQLAlchemy's own exception (what
``quickcrm.cli.common`` turns into one line), and a lost connection is invalidated as
SQLAlchemy would.

Used for the few single-row statements of hot paths, and for the bulk writers' new
rows (``copy_rows``, ``write_rows``); everything else goes through SQLAlchemy. The
writers stay where they are: ``events.record`` writes the event, ``mail.outbox`` the
outbox rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.engine import Connection, Dialect


def mark(dialect: Dialect) -> str:
    """The dialect's placeholder: ``?`` (qmark, sqlite3) or ``%s`` (psycopg)."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


@lru_cache(maxsize=256)
def to_db(dialect: Dialect, column: Column[Any]) -> Callable[[Any], Any] | None:
    """The column type's bind processor on ``dialect`` (a datetime becomes SQLite's
    text, for instance); None when values go to the driver as they are. Every SQLite
    time column of the default format shares one converter that remembers its last
    value (``_sqlite_time``)."""
    from sqlalchemy.dialects.sqlite import DATETIME

    impl = column.type.dialect_impl(dialect)
    if type(impl) is DATETIME and impl._storage_format == DATETIME._storage_format:
        return _sqlite_time(dialect)
    return impl.bind_processor(dialect)  # type: ignore[no-any-return]


@lru_cache(maxsize=8)
def _sqlite_time(dialect: Dialect) -> Callable[[Any], Any]:
    """SQLAlchemy's SQLite DATETIME converter, remembering the last value it converted:
    a use case writes its one ``now`` to several columns (a procedure step: five, in
    four tables), an import to every row's. The pair is swapped in one assignment, so
    threads sharing it never see one value's text for another."""
    from sqlalchemy.dialects.sqlite import DATETIME

    convert = DATETIME().bind_processor(dialect)
    assert convert is not None
    last: tuple[Any, Any] = (None, None)

    def remembered(value: Any) -> Any:
        nonlocal last
        seen, text = last
        if seen is value:
            return text
        text = convert(value)
        last = (value, text)
        return text

    return remembered


@lru_cache(maxsize=256)
def insert_sql(dialect: Dialect, table: Table, columns: tuple[str, ...],
               returning: str | None = None) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    """``INSERT INTO table (columns) VALUES (...)`` [``RETURNING returning``] in the
    dialect's paramstyle, and the columns' converters (``values``)."""
    m = mark(dialect)
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join([m] * len(columns))})")
    if returning is not None:
        sql += f" RETURNING {returning}"
    return sql, tuple(to_db(dialect, table.c[name]) for name in columns)


def values(converters: Sequence[Callable[[Any], Any] | None], row: Sequence[Any]) -> list[Any]:
    """``row`` with each value converted by its column's converter."""
    return [value if convert is None or value is None else convert(value)
            for convert, value in zip(converters, row, strict=True)]


def execute(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """Run ``sql`` on a new DBAPI cursor of ``conn``'s connection (inside its current
    transaction) and return the cursor (``fetchall``, ``fetchone``, ``rowcount``).
    Driver errors come out as SQLAlchemy's (``sqlalchemy.exc.OperationalError`` ...)."""
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql, params)
    except conn.dialect.loaded_dbapi.Error as exc:
        _raise(conn, sql, params, exc, cursor)
    return cursor


def execute_all(conn: Connection, statements: Sequence[tuple[str, Sequence[Any]]]) -> Any:
    """Run independent ``statements`` (SQL, values) and return the last one's cursor: on
    PostgreSQL as one statement (all but the last as data-modifying WITH clauses: one
    round trip to the server instead of one each; the rows are visible to each other's
    foreign keys when it ends), elsewhere one after another."""
    if conn.dialect.name != "postgresql":
        for sql, params in statements[:-1]:
            execute(conn, sql, params)
        return execute(conn, *statements[-1])
    *first, (last_sql, last_params) = statements
    heads = ", ".join(f"w{i} AS ({sql})" for i, (sql, _) in enumerate(first))
    params = [value for _, values in first for value in values]
    return execute(conn, f"WITH {heads} {last_sql}" if first else last_sql,
                   (*params, *last_params))


def _raise(conn: Connection, sql: str, params: Sequence[Any], exc: Any,
           cursor: Any) -> None:
    from sqlalchemy.exc import DBAPIError

    dialect = conn.dialect
    lost = dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
    if lost:
        conn.invalidate(exc)
    raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error,
                              connection_invalidated=lost, dialect=dialect) from exc


def copy_rows(conn: Connection, table: str, columns: Sequence[str],
              rows: Iterable[Sequence[Any]]) -> int:
    """PostgreSQL: COPY ``rows`` into ``table`` (fixed names only; the values travel in
    COPY's data, converted as the columns would). Every bulk writer's one COPY loop."""
    raw: Any = conn.connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with raw.cursor() as cur:
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


ROW_VALUES = 30_000  # bound values per multi-row INSERT: below SQLite's and PostgreSQL's limits


@lru_cache(maxsize=64)
def _rows_sql(mark: str, table: str, columns: tuple[str, ...], rows: int) -> str:
    row = f"({', '.join([mark] * len(columns))})"
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * rows)}"


def write_rows(conn: Connection, table: str, columns: Sequence[str],
               rows: Sequence[Sequence[Any]]) -> int:
    """New rows of ``table`` (fixed names only; values as the driver takes them): COPY
    on PostgreSQL (``copy_rows``), elsewhere ``INSERT ... VALUES`` of up to 500 rows per
    statement, one executemany of whole statements, then one for the rest. Executing
    one row at a time costs sqlite3 about as much again as the writing. Every bulk
    writer of new rows (the importers) goes through here; returns how many."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        return copy_rows(conn, table, columns, rows)
    names, m = tuple(columns), mark(conn.dialect)
    width = len(names)
    per = max(1, min(500, ROW_VALUES // width))
    full = len(rows) - len(rows) % per
    flat: list[Any] = list(chain.from_iterable(rows))
    if full:
        values = iter(flat[:full * width])
        conn.exec_driver_sql(_rows_sql(m, table, names, per),
                             list(zip(*[values] * (per * width), strict=True)))
    if full < len(rows):
        conn.exec_driver_sql(_rows_sql(m, table, names, len(rows) - full),
                             tuple(flat[full * width:]))
    return len(rows)
