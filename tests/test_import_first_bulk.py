"""A first import into an empty database builds the secondary indexes of relation, person
and person_key once at the end, and on PostgreSQL checks the foreign keys among them and
from the events once (``store.db.first_load``): afterwards the schema must be
exactly what the migrations made, also when the import is refused or a dry run, and the
imported rows must be found through those indexes. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading

import pytest
from _clientfiles import client, write_csv, write_xlsx
from _schema import schema
from sqlalchemy import text

from quickcrm.crm.importer import BATCH, import_clients
from quickcrm.errors import FileProblems
from quickcrm.store import db as store_db

TABLES = ("relation", "person", "person_key")


def indexes(rt) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return schema(rt, TABLES)


def run(rt, path, **kw):  # type: ignore[no-untyped-def]
    with rt.session() as s:
        return import_clients(session=s, actor=rt.actor, now=rt.clock.now(),
                              path=os.path.relpath(path), **kw)


def rows(n: int, start: int = 1) -> list[dict[str, str]]:
    return [client(f"{i:06d}", first_name=f"Zoë{i}", last_name="van den Berg",
                   email=f"k{i}@bedrijf.example") for i in range(start, start + n)]


def test_first_import_leaves_the_migrated_indexes_and_uses_them(rt, tmp_path):
    migrated = indexes(rt)
    assert {"ix_person_email", "ix_relation_rm_id", "ix_person_key_person_id"} <= set(migrated)
    if rt.engine.dialect.name == "postgresql":
        assert {"person.person_relation_id_fkey", "person_key.person_key_person_id_fkey",
                "event.event_relation_id_fkey", "relation.relation_rm_id_fkey"} <= set(migrated)
    path = write_xlsx(tmp_path / "klanten.xlsx", rows(BATCH + 20))  # two batches
    result = run(rt, path)
    assert result.created == BATCH + 20
    assert indexes(rt) == migrated
    with rt.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = " ".join(r[-1] for r in conn.execute(text(
                "EXPLAIN QUERY PLAN SELECT id FROM person WHERE email = 'k7@bedrijf.example'")))
            assert "ix_person_email" in plan
        found = conn.execute(text("SELECT p.first_name FROM person p JOIN relation r ON "
                                  "r.id = p.relation_id WHERE p.email = :e"),
                             {"e": "k5007@bedrijf.example"}).scalar_one()
    assert found == "Zoë5007"
    # a second import (not into an empty table) goes the usual way and keeps them too
    again = run(rt, write_csv(tmp_path / "meer.csv", rows(3, start=BATCH + 100)))
    assert again.created == 3 and indexes(rt) == migrated


def test_a_refused_first_import_keeps_the_indexes_and_writes_nothing(rt, tmp_path):
    migrated = indexes(rt)
    bad = rows(BATCH + 5)
    bad[-1] = client("999999", size="reusachtig")  # in the second batch: the first was written
    with pytest.raises(FileProblems):
        run(rt, write_csv(tmp_path / "klanten.csv", bad))
    assert indexes(rt) == migrated
    with rt.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM relation")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM person_key")).scalar_one() == 0


def test_a_dry_run_first_import_keeps_the_indexes(rt, tmp_path):
    migrated = indexes(rt)
    result = run(rt, write_csv(tmp_path / "klanten.csv", rows(50)), dry_run=True)
    assert result.created == 50
    assert indexes(rt) == migrated
    with rt.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM relation")).scalar_one() == 0


def test_a_first_import_beside_a_reader_of_the_events_neither_waits_for_long_nor_fails(
        pg_url, clock, tmp_path, monkeypatch):
    """PostgreSQL: another transaction reading the events holds a lock the first import's
    constraint changes would wait for; the import then waits ``LOCK_WAIT`` at most and
    runs the ordinary way, and the reader is not blocked meanwhile."""
    from quickcrm.bootstrap import bootstrap

    monkeypatch.setattr(store_db, "LOCK_WAIT", "200ms")
    rt = bootstrap(database_url=pg_url, env={}, clock=clock)
    migrated = indexes(rt)
    with rt.engine.connect() as reader:
        reader.execute(text("SELECT count(*) FROM event")).scalar_one()  # lock held
        done: list[object] = []
        worker = threading.Thread(target=lambda: done.append(
            run(rt, write_csv(tmp_path / "klanten.csv", rows(30)))))
        worker.start()
        worker.join(timeout=30)
        assert done and done[0].created == 30  # type: ignore[attr-defined]
        # the reader's transaction is still open and can go on reading
        assert reader.execute(text("SELECT count(*) FROM relation")).scalar_one() == 30
        reader.rollback()
    assert indexes(rt) == migrated
    rt.close()
