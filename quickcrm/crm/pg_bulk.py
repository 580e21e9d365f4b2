"""PostgreSQL's side of the client import (issue 30 item 7): each batch's rows of one kind
go in with COPY (psycopg) into a temporary table, then one INSERT ... SELECT or
UPDATE ... FROM moves them into place, instead of an executemany of one statement a row.

The temporary tables live for the import's one transaction (``ON COMMIT DROP``) and are
emptied after each batch; their columns are those of the real tables (``CREATE TEMP
TABLE ... AS SELECT ... WITH NO DATA``), so COPY converts each value as the real column
would. Only fixed column names go into the SQL text; the values travel in COPY's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from quickcrm.crm.client_rows import PERSON_FIELDS, RELATION_FIELDS
from quickcrm.store.driver import copy_rows

REL = [*RELATION_FIELDS, "team_id", "rm_id"]

# kind -> (temporary table, its columns in the order of the batch's tuples, the SELECT
# that makes it empty with the real columns' types, the statement that moves its rows)
_KINDS: dict[str, tuple[str, list[str], str, str]] = {}


def _q(names: Sequence[str], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{n}"' for n in names)


def _build() -> None:
    new_rel = [*REL, "number", "created_at", "updated_at", "segments_at"]
    _KINDS["insert_relation"] = (
        "qc_import_new_relation", new_rel, f"SELECT {_q(new_rel)} FROM relation",
        f"INSERT INTO relation ({_q(new_rel)}) SELECT {_q(new_rel)} "
        f"FROM qc_import_new_relation")
    upd_rel = [*REL, "updated_at", "segments_at", "id"]
    sets = ", ".join(f'"{c}" = t."{c}"' for c in [*REL, "updated_at"])
    _KINDS["update_relation"] = (
        "qc_import_relation_update", upd_rel, f"SELECT {_q(upd_rel)} FROM relation",
        f"UPDATE relation AS r SET {sets}, segments_at = coalesce(t.segments_at, "
        f"r.segments_at) FROM qc_import_relation_update AS t WHERE r.id = t.id")
    upd_person = [*PERSON_FIELDS, "updated_at", "id"]
    psets = ", ".join(f'"{c}" = t."{c}"' for c in [*PERSON_FIELDS, "updated_at"])
    _KINDS["update_person"] = (
        "qc_import_person_update", upd_person, f"SELECT {_q(upd_person)} FROM person",
        f"UPDATE person AS p SET {psets} FROM qc_import_person_update AS t "
        f"WHERE p.id = t.id")
    new_person = [*PERSON_FIELDS, "number", "campaign_contact", "created_at", "updated_at"]
    target = [*PERSON_FIELDS, "relation_id", "campaign_contact", "created_at", "updated_at"]
    _KINDS["insert_person"] = (
        "qc_import_new_person", new_person,
        f"SELECT {_q(PERSON_FIELDS, 'p.')}, r.number, p.campaign_contact, p.created_at, "
        f"p.updated_at FROM person AS p JOIN relation AS r ON r.id = p.relation_id",
        f"INSERT INTO person ({_q(target)}) SELECT {_q(PERSON_FIELDS, 't.')}, r.id, "
        f"t.campaign_contact, t.created_at, t.updated_at FROM qc_import_new_person AS t "
        f"JOIN relation AS r ON r.number = t.number")


_build()


def write(conn: Connection, kind: str, rows: list[tuple[Any, ...]], ready: set[str]) -> None:
    """COPY ``rows`` (tuples in the column order of ``kind``) and apply them in one
    statement; ``ready`` remembers which temporary tables this import has made."""
    table, columns, like, apply = _KINDS[kind]
    if kind not in ready:
        conn.exec_driver_sql(f"CREATE TEMP TABLE {table} ON COMMIT DROP AS {like} WITH NO DATA")
        ready.add(kind)
    copy_rows(conn, table, columns, rows)
    conn.exec_driver_sql(apply)
    conn.exec_driver_sql(f"TRUNCATE {table}")


def reserve_ids(conn: Connection, table: str, n: int, *, block: bool = False) -> Sequence[int]:
    """``n`` new ids of ``table`` from its own sequence (what an INSERT would take; safe
    beside other writers), so a batch of new rows names its ids before it is written:
    persons their relation's, keys their person's, with no SELECT back.

    ``block``: the table is locked for this transaction (``store.db.first_load``),
    so nobody else inserts into it and the ids can be one run, taken by moving the
    sequence once instead of ``n`` calls of nextval (a third of a second per 100,000)."""
    if n <= 0:
        return []
    seq = f"pg_get_serial_sequence('{table}', 'id')"
    if block:
        first = int(conn.exec_driver_sql(
            f"WITH f AS (SELECT nextval({seq}) AS v) SELECT v, setval({seq}, v + %s - 1) "
            "FROM f", (n,)).one()[0])
        return range(first, first + n)
    sql = f"SELECT nextval({seq}) FROM generate_series(1, %s)"
    return [int(r[0]) for r in conn.exec_driver_sql(sql, (n,))]
