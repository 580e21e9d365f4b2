"""Alembic migrations, applied whenever a database is opened (as llm does)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from quickcrm.permissions import Actor

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


@cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine | Connection) -> str | None:
    if isinstance(engine, Connection):
        if not inspect(engine).has_table("alembic_version"):
            return None
        return engine.execute(text("SELECT version_num FROM alembic_version")).scalar()
    with engine.connect() as conn:
        return current_revision(conn)


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
