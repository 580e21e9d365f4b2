"""Alembic migrations, applied whenever a database is opened (as llm does)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

if TYPE_CHECKING:
    from quickcrm.permissions import Actor

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


_REVISION = re.compile(r"""^(down_)?revision(?:\s*:[^=]+)?=\s*(?:['"]([^'"]+)['"]|None)""",
                       re.MULTILINE)


@cache
def head_revision() -> str:
    """The newest revision this QuickCRM knows, read from the migration files' own
    ``revision`` / ``down_revision`` lines without importing Alembic (which costs a
    command ~0.1 s at start-up; it is imported only when a migration is due). When the
    files do not name exactly one head, Alembic decides (and says what is wrong)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = {bool(m.group(1)): m.group(2) for m in _REVISION.finditer(path.read_text())}
        if found.get(False):
            revisions.add(found[False])
            if found.get(True):
                parents.add(found[True])
    heads = revisions - parents
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory  # pragma: no cover - a broken chain

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine | Connection) -> str | None:
    """The database's revision (None: no QuickCRM schema yet), in one query. On a
    connection, a database without the table leaves it rolled back (PostgreSQL aborts
    the transaction of a failed statement), ready for the next statement."""
    if isinstance(engine, Connection):
        return _revision(engine)
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        return _revision(conn)


def _revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):  # no such table: an empty database
        conn.rollback()
        return None


def ensure_current(engine: Engine) -> bool:
    """Create or upgrade the schema when it is behind; cheap when it is current.

    True when the database had no QuickCRM schema yet (it was created just now)."""
    before = current_revision(engine)
    if before != head_revision():
        upgrade(engine)
    return before is None


def upgrade_database(
    *, actor: Actor, url: str, note: Callable[[str], None] | None = None
) -> tuple[str | None, str | None]:
    """``quickcrm db upgrade``: the right first, then migrate; (revision before, after).

    A database that is not there yet is created (and ``note`` told so)."""
    from quickcrm import permissions
    from quickcrm.store.db import created_note, make_engine

    permissions.require(actor, "upgrade the database")
    engine = make_engine(url, migrate=False)
    try:
        before = current_revision(engine)
        upgrade(engine)
        if before is None and note is not None:
            note(created_note(url))
        return before, current_revision(engine)
    finally:
        engine.dispose()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Back to ``revision`` (by hand, or a test of a migration's way back)."""
    from alembic import command

    command.downgrade(_config(engine), revision)
