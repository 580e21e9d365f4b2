"""A first ``import suspects`` into a database without relations builds the secondary
indexes of relation, person, person_key and project_contact once at the end
(``store.db.first_load``) and looks up only the rows it wrote itself: afterwards
the schema (on PostgreSQL with the foreign keys) must be exactly what the migrations made, also when the import is refused or
a dry run, and a row of a later batch must link to what an earlier batch created, as
when the database already had relations. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from _clientfiles import client, write_csv, write_xlsx
from _schema import schema
from sqlalchemy import text

from quickcrm.errors import FileProblems
from quickcrm.procedures.suspects import BATCH, import_suspects

TABLES = ("relation", "person", "person_key", "project_contact")
PROJECT = "Acquisitie"


def indexes(rt: Any) -> dict[str, str]:
    """The bulk tables' indexes (and on PostgreSQL the foreign keys, which a first
    import drops and adds again too)."""
    return schema(rt, TABLES)


def counts(rt: Any) -> dict[str, int]:
    with rt.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in (*TABLES, "event")}


def project(rt: Any) -> None:
    from quickcrm.procedures import projects, setup

    now = rt.clock.now()
    with rt.session() as s:
        setup.load_matrix(session=s, actor=rt.actor, now=now, procedure="standaard",
                          path="procedure_standaard.toml")
    with rt.session() as s:
        projects.create_project(session=s, actor=rt.actor, now=now, name=PROJECT,
                                procedure="standaard")


def run(rt: Any, path: Any, **kw: Any) -> Any:
    with rt.session() as s:
        return import_suspects(session=s, actor=rt.actor, now=rt.clock.now(), project=PROJECT,
                               path=os.path.relpath(path), **kw)


def rows(n: int, start: int = 1) -> list[dict[str, str]]:
    return [client(f"{i:06d}", first_name=f"Zoë{i}", last_name="van den Berg",
                   email=f"k{i}@bedrijf.example") for i in range(start, start + n)]


def two_batches() -> list[dict[str, str]]:
    """Two batches; in the second, a row naming a relation of the first with another
    contact, and a row without number with the e-mail of a contact of the first."""
    return [*rows(BATCH + 18),
            client("000001", first_name="Kees", last_name="Kort", email="kees@bedrijf.example"),
            client("", company="", first_name="Zoë2", last_name="van den Berg",
                   email="k2@bedrijf.example")]


def outcome(result: Any) -> tuple[int, int, int, int, int]:
    return result.created, result.linked, result.added, result.already, result.rejected


def test_first_import_leaves_the_migrated_indexes_and_links_across_batches(rt, tmp_path):
    project(rt)
    migrated, before = indexes(rt), counts(rt)
    assert {"ix_person_email", "ix_project_contact_person_id"} <= set(migrated)
    if rt.engine.dialect.name == "postgresql":
        assert {"project_contact.project_contact_relation_id_fkey",
                "event.event_person_id_fkey"} <= set(migrated)
    result = run(rt, write_xlsx(tmp_path / "suspects.xlsx", two_batches()))
    assert outcome(result) == (BATCH + 18, 2, BATCH + 19, 1, 0)
    assert indexes(rt) == migrated
    after = counts(rt)
    assert (after["relation"], after["person"], after["project_contact"]) == (
        BATCH + 18, BATCH + 19, BATCH + 19)
    assert after["event"] - before["event"] == BATCH + 19  # procedure.suspect_added each
    with rt.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = " ".join(r[-1] for r in conn.execute(text(
                "EXPLAIN QUERY PLAN SELECT id FROM person WHERE email = 'k7@bedrijf.example'")))
            assert "ix_person_email" in plan
        kees = conn.execute(text(
            "SELECT r.number FROM person p JOIN relation r ON r.id = p.relation_id "
            "JOIN person_key k ON k.person_id = p.id WHERE k.key = 'kort'")).all()
        assert kees == [("000001",)]  # joined the relation the first batch made
    # a second import (not into an empty table) goes the usual way and keeps them too
    again = run(rt, write_csv(tmp_path / "meer.csv", rows(3, start=BATCH + 100)))
    assert again.created == 3 and indexes(rt) == migrated


def test_a_first_import_answers_as_one_into_a_database_with_relations(rt, tmp_path):
    from quickcrm.crm.importer import import_clients

    project(rt)
    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(),
                       path=write_csv(tmp_path / "klanten.csv", [client("900001")]))
    result = run(rt, write_csv(tmp_path / "suspects.csv", two_batches()))
    assert outcome(result) == (BATCH + 18, 2, BATCH + 19, 1, 0)


def test_a_refused_first_import_keeps_the_indexes_and_writes_nothing(rt, tmp_path):
    project(rt)
    migrated, before = indexes(rt), counts(rt)
    bad = rows(BATCH + 5)
    bad[-1] = client("999999", size="reusachtig")  # in the second batch: the first was written
    with pytest.raises(FileProblems):
        run(rt, write_csv(tmp_path / "suspects.csv", bad))
    assert indexes(rt) == migrated
    assert counts(rt) == before


def test_a_dry_run_first_import_keeps_the_indexes(rt, tmp_path):
    project(rt)
    migrated, before = indexes(rt), counts(rt)
    result = run(rt, write_csv(tmp_path / "suspects.csv", rows(50)), dry_run=True)
    assert result.created == 50
    assert indexes(rt) == migrated
    assert counts(rt) == before


@pytest.mark.parametrize("batch", [BATCH, 1])
def test_rows_repeating_a_number_or_an_email_link_alike_in_one_batch_or_across(
        rt, tmp_path, monkeypatch, batch):
    """The batch size must not change what an import does: a row naming the number of,
    or (without number) the e-mail of, a relation an earlier row made is linked to it,
    whether that row is in the same batch or an earlier one."""
    import quickcrm.procedures.suspects as suspects

    monkeypatch.setattr(suspects, "BATCH", batch)
    project(rt)
    path = write_csv(tmp_path / "suspects.csv", [
        client("", company="Bakkerij Brood", first_name="Anna", last_name="Aa",
               email="anna@brood.example"),
        client("", company="", first_name="Anna", last_name="Aa", email="anna@brood.example"),
        client("SU900001", company="Garage Gas", first_name="Cor", last_name="Cee",
               email="cor@gas.example"),
        client("SU900001", company="Garage Gas", first_name="Dirk", last_name="Dee",
               email="dirk@gas.example"),
    ])
    result = run(rt, path)
    assert outcome(result) == (2, 2, 3, 1, 0)  # created, linked, added, already, rejected
    after = counts(rt)
    assert (after["relation"], after["person"], after["project_contact"]) == (2, 3, 3)


def test_a_first_import_beside_a_reader_of_the_events_goes_the_ordinary_way(
        pg_url, clock, tmp_path, monkeypatch):
    """PostgreSQL: another transaction reading the events holds a lock the first import
    would wait for; it waits ``LOCK_WAIT`` at most, then runs with the indexes in place
    and looks up in the database (not only its own rows), with the same answers."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.store import db as store_db

    monkeypatch.setattr(store_db, "LOCK_WAIT", "200ms")
    rt = bootstrap(database_url=pg_url, env={}, clock=clock)
    project(rt)
    migrated = indexes(rt)
    path = write_csv(tmp_path / "suspects.csv", two_batches())
    with rt.engine.connect() as reader:
        reader.execute(text("SELECT count(*) FROM event")).scalar_one()  # lock held
        done: list[Any] = []
        worker = threading.Thread(target=lambda: done.append(run(rt, path)))
        worker.start()
        worker.join(timeout=60)
        assert done and outcome(done[0]) == (BATCH + 18, 2, BATCH + 19, 1, 0)
        reader.rollback()
    assert indexes(rt) == migrated
    rt.close()
