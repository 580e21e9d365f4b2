"""What a bulk load may change and must put back: the secondary indexes of some tables
and, on PostgreSQL, the foreign keys of those tables and of the events (SQLite keeps its
keys in the table's own text, which an import never changes). Shared by the tests of
``store.db.first_load``'s users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text


def schema(rt: Any, tables: tuple[str, ...]) -> dict[str, str]:
    """name -> definition, as the database has them."""
    names = ", ".join(f"'{t}'" for t in tables)
    with rt.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            return dict(conn.execute(text(
                "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' "
                f"AND tbl_name IN ({names})")).all())
        found = dict(conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = "
            f"current_schema() AND tablename IN ({names})")).all())
        found.update(conn.execute(text(
            "SELECT t.relname || '.' || c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = "
            f"current_schema() AND c.contype = 'f' AND t.relname IN ({names}, 'event')")).all())
        return found
