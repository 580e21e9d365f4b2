"""``quickcrm db backup FILE`` and ``db restore FILE`` for SQLite.

The backup uses SQLite's online backup API (``sqlite3.Connection.backup``): a consistent
copy of the database as of one moment even while the daemon writes (WAL included), into
a temporary file beside FILE that is renamed into place when complete, so FILE is never
half-written. A restore checks that FILE is an SQLite database holding a QuickCRM schema,
refuses to overwrite a database holding rows without ``force``, and copies FILE into the
configured database with the same API (the restored database is migrated to head when
it is next opened, as every database is).

PostgreSQL is backed up with its own tools; both commands print the line to use
(``pg_dump`` / ``pg_restore``) and refuse (``PostgresTools``), as documented in
docs/operations.md.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quickcrm import permissions
from quickcrm.errors import InvalidInput, InvalidState, QuickCRMError
from quickcrm.settings import mask_url
from quickcrm.store.db import parse_url, private_file, sqlite_path

if TYPE_CHECKING:
    from quickcrm.permissions import Actor

HEADER = b"SQLite format 3\x00"


class PostgresTools(QuickCRMError):
    """The configured database is PostgreSQL: use pg_dump / pg_restore (message: the line)."""


@dataclass
class BackupResult:
    database: str
    file: str
    bytes: int
    revision: str | None
    rows: int

    def to_json(self) -> dict[str, object]:
        return {"database": self.database, "file": self.file, "bytes": self.bytes,
                "revision": self.revision, "rows": self.rows}


def pg_url(url: str) -> str:
    """The URL as libpq's tools take it: no SQLAlchemy driver name, password masked."""
    parsed = parse_url(url).set(drivername="postgresql")
    return mask_url(parsed.render_as_string(hide_password=False))


def pg_dump_line(url: str, file: Path) -> str:
    return f"pg_dump --format=custom --no-owner --file={file} '{pg_url(url)}'"


def pg_restore_line(url: str, file: Path) -> str:
    return f"pg_restore --clean --if-exists --no-owner --dbname='{pg_url(url)}' {file}"


def _sqlite_file(url: str, *, must_exist: bool) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise InvalidInput(f"{mask_url(url)}: only an SQLite file can be backed up this way")
    if must_exist and not path.is_file():
        raise InvalidState(f"{path}: no database there yet (nothing to back up)")
    return path


def _summary(conn: sqlite3.Connection) -> tuple[str | None, int]:
    """(schema revision, rows in all QuickCRM tables) of an SQLite connection."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    revision = None
    if "alembic_version" in names:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    rows = sum(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]  # names from the file
               for n in names if n != "alembic_version")
    return revision, rows


def backup(*, actor: Actor, url: str, file: Path, force: bool = False) -> BackupResult:
    permissions.require(actor, "upgrade the database")
    if parse_url(url).get_backend_name() == "postgresql":
        raise PostgresTools(f"PostgreSQL is backed up with its own tool: {pg_dump_line(url, file)}")
    source = _sqlite_file(url, must_exist=True)
    file = Path(file)
    if file.exists() and not force:
        raise InvalidState(f"{file} already exists (add --force to replace it)")
    if file.resolve() == source.resolve():
        raise InvalidInput(f"{file} is the database itself")
    if not file.parent.is_dir():
        raise InvalidInput(f"{file.parent}: no such directory")
    partial = file.with_name(f".{file.name}.partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"{source.absolute().as_uri()}?mode=ro", uri=True, timeout=15)
    try:
        private_file(partial)  # a backup holds everything: the owner's alone (issue 29)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # one consistent snapshot, while others keep writing
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            revision, rows = _summary(dst)
        finally:
            dst.close()
        os.replace(partial, file)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    return BackupResult(database=str(source), file=str(file), bytes=file.stat().st_size,
                        revision=revision, rows=rows)


def check_backup(file: Path) -> tuple[str | None, int]:
    """(revision, rows) of a backup file; one line when it is not a QuickCRM SQLite file."""
    file = Path(file)
    if not file.is_file():
        raise InvalidInput(f"{file}: no such file")
    with file.open("rb") as fh:
        if fh.read(len(HEADER)) != HEADER:
            raise InvalidInput(f"{file}: not an SQLite database (a backup made by "
                               f"`quickcrm db backup`)")
    try:
        conn = sqlite3.connect(f"{file.absolute().as_uri()}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise InvalidInput(f"{file}: the SQLite database is damaged (quick_check failed)")
            revision, rows = _summary(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{file}: not a readable SQLite database ({exc})") from None
    if revision is None:
        raise InvalidInput(f"{file}: an SQLite database, but not a QuickCRM one (no schema "
                           f"revision)")
    return revision, rows


def restore(*, actor: Actor, url: str, file: Path, force: bool = False) -> BackupResult:
    permissions.require(actor, "upgrade the database")
    if parse_url(url).get_backend_name() == "postgresql":
        raise PostgresTools("PostgreSQL is restored with its own tool: "
                            f"{pg_restore_line(url, file)}")
    target = _sqlite_file(url, must_exist=False)
    revision, rows = check_backup(file)
    if target.is_file():
        conn = sqlite3.connect(f"{target.absolute().as_uri()}?mode=ro", uri=True)
        try:
            _rev, held = _summary(conn)
        finally:
            conn.close()
        if held and not force:
            raise InvalidState(f"{target} holds {held} rows; add --force to replace them "
                               f"with {file}")
    private_file(target)  # a new database file 0600 in a new directory 0700 (issue 29)
    src = sqlite3.connect(f"{Path(file).absolute().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=15)
        try:
            src.backup(dst)  # page by page under the target's write lock
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()
    return BackupResult(database=str(target), file=str(file), bytes=target.stat().st_size,
                        revision=revision, rows=rows)
