"""`import suspects FILE --project P`: companies and their contact persons into a project.

The file has the client file's headers (``crm/columns.py``) and is checked by the same
row parser as ``import clients``; "Relatienummer klant" is optional here. A row's
relation is an existing one when its number exists, or (without a number) when its
contact's e-mail address is a known person's; it is linked and keeps its stage (a
customer stays a customer). Otherwise a new relation with stage ``suspect`` is created,
numbered ``procedures.number_prefix`` + six digits when the file gives no number. Each
row's contact person (matched in a linked relation by e-mail, else by name; else added)
joins the project as ``preparing``, with the event ``procedure.suspect_added``.

Like ``import clients`` it streams in batches, with one query per batch for each lookup
and one executemany per table, in ONE transaction: a problem rolls everything back
(unless ``skip_invalid``) and every problem is reported as ``file:row:column: message``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from quickcrm import permissions
from quickcrm.crm import search_keys
from quickcrm.crm.client_rows import ABSENT, IX, NUMBER, POS, RowParser, Values, header_aliases
from quickcrm.documents.tabular import match_headers, open_table
from quickcrm.errors import FileProblems, InvalidState, Problem
from quickcrm.events import PROCEDURE_SUSPECT_ADDED, Entry, record_many
from quickcrm.permissions import Actor
from quickcrm.procedures.models import PREPARING
from quickcrm.procedures.projects import get_project

BATCH = 5000
PROBLEM_LIMIT = 50
IN_CHUNK = 900  # values per IN (...) list
SEGMENT_FIELDS = ("industry", "size", "ownership", "client_group", "life_cycle",
                  "entrepreneur_type")
REL_FIELDS = ("company", "address", "postcode", "city", *SEGMENT_FIELDS)
IGNORED = ("team", "rm_first_name", "rm_last_name", "rm_email", "stage")
_REL_IX = tuple(IX[f] for f in REL_FIELDS)
_FIRST, _LAST, _EMAIL, _PHONE, _OPTED = (IX[f] for f in (
    "first_name", "last_name", "email", "phone", "opted_out"))


@dataclass
class SuspectsResult:
    created: int = 0  # new suspect relations
    linked: int = 0  # rows linked to an existing relation
    rejected: int = 0
    added: int = 0  # contacts added to the project
    already: int = 0  # contacts that were in the project already
    errors: list[Problem] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "linked": self.linked, "rejected": self.rejected,
                "contacts_added": self.added, "already_in_project": self.already,
                "errors": [p.to_json() for p in self.errors], "error_count": self.error_count,
                "dry_run": self.dry_run}


class _SuspectParser(RowParser):
    """The client file's row checks, with an empty relation number allowed."""

    def _column(self, name: str, col: list[str]) -> tuple[list[object], list[int]]:
        if name != "relation_number":
            return super()._column(name, col)
        values: list[object] = list(map(str.strip, col))
        if max(map(len, values), default=0) <= 50:  # type: ignore[arg-type]
            return values, []
        bad = [i for i, v in enumerate(values) if len(v) > 50]  # type: ignore[arg-type]
        for i in bad:
            values[i] = _Bad("longer than 50 characters")
        return values, bad


class _Bad(str):
    pass


def _chunks(items: list[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class _Store:
    """One import's SQL on the session's connection (driver-level executemany with
    bound parameters only; fixed column names in the text)."""

    def __init__(self, conn: Connection, *, now: datetime, project_id: int, user_id: int,
                 prefix: str) -> None:
        self.conn, self.now, self.project_id, self.user_id = conn, now, project_id, user_id
        d = conn.dialect
        q = d.identifier_preparer.quote
        self.m = m = "?" if d.paramstyle == "qmark" else "%s"
        from quickcrm.store.models import Relation

        column = Relation.__table__.c.updated_at  # type: ignore[attr-defined]
        to_db = column.type.dialect_impl(d).bind_processor(d)
        self.stamp = to_db(now) if to_db else now  # converted once, not per row
        rel = [*REL_FIELDS, "number", "stage", "created_at", "updated_at", "segments_at"]
        self.insert_relation = (f"INSERT INTO relation ({', '.join(q(c) for c in rel)}) "
                                f"VALUES ({', '.join([m] * len(rel))})")
        pcols = ["relation_id", "first_name", "last_name", "email", "phone", "opted_out",
                 "campaign_contact", "created_at", "updated_at"]
        self.insert_person = (f"INSERT INTO person ({', '.join(pcols)}) "
                              f"VALUES ({', '.join([m] * len(pcols))})")
        ccols = ["project_id", "relation_id", "person_id", "status", "created_at"]
        self.insert_contact = (f"INSERT INTO project_contact ({', '.join(ccols)}) "
                               f"VALUES ({', '.join([m] * len(ccols))})")
        self.prefix = prefix
        self.next_no = self._highest(prefix) + 1
        self.q = q

    def _highest(self, prefix: str) -> int:
        rows = self.conn.exec_driver_sql(
            f"SELECT number FROM relation WHERE substr(number, 1, {self.m}) = {self.m}",
            (len(prefix), prefix))
        tail = len(prefix)
        return max((int(n[tail:]) for (n,) in rows if n[tail:].isdigit()), default=0)

    def top_id(self, table: str) -> int:
        """The highest id in ``table`` (relation or person: fixed names, not input)."""
        return int(self.conn.exec_driver_sql(
            f"SELECT coalesce(max(id), 0) FROM {table}").scalar_one())

    def inserted_ids(self, table: str, before: int, count: int) -> range | None:
        """The ids of the ``count`` rows just inserted in order, when exactly they lie
        above ``before`` without gaps (the usual case: one aggregate over the primary
        key); None when another transaction inserted meanwhile (then the caller looks
        them up)."""
        n, low, high = self.conn.exec_driver_sql(
            f"SELECT count(*), min(id), max(id) FROM {table} WHERE id > {self.m}",
            (before,)).one()
        if n == count and n and high - low + 1 == n:
            return range(low, high + 1)
        return None

    def generate(self) -> str:
        number = f"{self.prefix}{self.next_no:06d}"
        self.next_no += 1
        return number

    def select_in(self, sql: str, values: Iterable[Any],
                  lead: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """``sql`` with ``{in}`` replaced by marks for each chunk of ``values``
        (``lead``: the values of the marks before it)."""
        out: list[tuple[Any, ...]] = []
        for part in _chunks(list(values)):
            marks = ", ".join([self.m] * len(part))
            out.extend(self.conn.exec_driver_sql(
                sql.replace("{in}", marks), (*lead, *part)).fetchall())
        return out


def import_suspects(*, session: Session, actor: Actor, now: datetime, project: str,
                    path: str | Path, prefix: str = "SU", dry_run: bool = False,
                    skip_invalid: bool = False,
                    progress: Callable[[int], None] | None = None) -> SuspectsResult:
    """Import the suspects of ``path`` into ``project``; see the module docstring."""
    permissions.require(actor, "import suspects")
    p = get_project(session, actor, project)
    assert p.id is not None
    if p.closed_at is not None:
        raise InvalidState(f"project {p.name!r} is closed")
    name = str(path)
    table = open_table(Path(path))
    columns, unknown = match_headers(table, header_aliases())
    result = SuspectsResult(dry_run=dry_run)
    result.warnings = [f"{name}:1: unknown column {h!r} ignored" for h in unknown]
    result.warnings += [f"{name}:1: column {table.headers[columns[f]].strip()!r} is not "
                        "used for suspects (ignored)" for f in IGNORED if f in columns]
    for f in IGNORED:
        columns.pop(f, None)
    if not columns.keys() & {"first_name", "last_name", "email"}:
        raise FileProblems([Problem(name, 1, None, 'no contact person columns: give '
                                    '"Voornaam klant", "Achternaam klant" or "E-mail klant"')])
    headers = {f: table.headers[i].strip() for f, i in columns.items()}
    parser = _SuspectParser(name, columns, table.headers)
    store = _Store(session.connection(), now=now, project_id=p.id, user_id=actor.id,
                   prefix=prefix)
    shown: list[Problem] = []
    with no_cyclic_gc():
        total = _run(table.rows(), parser, store, result, name, headers, shown, progress)
    if total and not skip_invalid:
        session.rollback()
        raise FileProblems(shown, total)
    result.errors, result.error_count = shown, total
    if dry_run:
        session.rollback()
        return result
    session.commit()
    return result


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """As ``import clients``: the cyclic collector would rescan the growing heap again
    and again while the batches' tuples are made, though none form cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _run(rows: Iterator[tuple[int, list[str]]], parser: RowParser, store: _Store,
         result: SuspectsResult, name: str, headers: dict[str, str], shown: list[Problem],
         progress: Callable[[int], None] | None) -> int:
    total = 0
    while chunk := list(islice(rows, BATCH)):
        good, bad = parser.parse_batch(chunk)
        problems = [pr for _row, _cells, found in bad for pr in found]
        rejected_rows = {row for row, _c, _f in bad}
        problems += _write(store, good, chunk, result, name, headers, rejected_rows)
        result.rejected += len(rejected_rows)
        total += len(problems)
        problems.sort(key=lambda pr: pr.row or 0)
        shown.extend(problems[:max(0, PROBLEM_LIMIT - len(shown))])
        if progress is not None:
            progress(len(chunk))
    return total


_NEEDED = (*_REL_IX, _FIRST, _LAST, _EMAIL, _PHONE, _OPTED, NUMBER)
_DEFAULT = {**{IX[f]: None for f in SEGMENT_FIELDS}, _OPTED: False}
_rel_values = itemgetter(*_REL_IX)


def _filled(good: list[Values]) -> list[Values]:
    """The rows with a default for each needed column the file does not have (a column
    is absent for every row or for none)."""
    if not good:
        return good
    first = good[0]
    absent = [i for i in _NEEDED if first[i] is ABSENT]
    if not absent:
        return good
    out = []
    for v in good:
        row = list(v)
        for i in absent:
            row[i] = _DEFAULT.get(i, "")
        out.append(tuple(row))
    return out


def _write(store: _Store, good: list[Values], chunk: list[tuple[int, list[str]]],
           result: SuspectsResult, file: str, headers: dict[str, str],
           rejected_rows: set[int]) -> list[Problem]:
    """Link or create the batch's relations and persons and add them to the project."""
    problems: list[Problem] = []
    conn, m, stamp = store.conn, store.m, store.stamp
    ok: list[Values] = []
    for v in _filled(good):
        if not (v[_FIRST] or v[_LAST] or v[_EMAIL]):
            row = chunk[v[POS]][0]
            col = headers.get("last_name") or headers.get("first_name") or headers.get("email")
            problems.append(Problem(file, row, col, "no contact person (give a name or an "
                                                    "e-mail address)"))
            rejected_rows.add(row)
            continue
        ok.append(v)
    numbers = sorted({v[NUMBER] for v in ok if v[NUMBER]})
    by_number = dict(store.select_in(
        "SELECT number, id FROM relation WHERE number IN ({in})", numbers)) if numbers else {}
    emails = sorted({v[_EMAIL] for v in ok if not v[NUMBER] and v[_EMAIL]})
    by_email: dict[str, int] = {}
    for email, rid in store.select_in(
            "SELECT email, relation_id FROM person WHERE relation_id IS NOT NULL AND "
            "email IN ({in}) ORDER BY id", emails):
        by_email.setdefault(email, rid)
    # each row's relation: ("old", id) or ("new", number)
    targets: list[tuple[Values, str, Any]] = []
    new_relations: dict[str, tuple[Any, ...]] = {}
    company_ix = IX["company"]
    for v in ok:
        number = v[NUMBER]
        email = v[_EMAIL]
        rid = by_number.get(number) if number else by_email.get(email) if email else None
        if rid is not None:
            targets.append((v, "old", rid))
            result.linked += 1
            continue
        if number and number in new_relations:
            targets.append((v, "new", number))
            continue
        if not v[company_ix]:
            row = chunk[v[POS]][0]
            problems.append(Problem(file, row, headers.get("company", "Bedrijf klant"),
                                    "a new suspect needs a company name"))
            rejected_rows.add(row)
            continue
        number = number or store.generate()
        new_relations[number] = (*_rel_values(v), number, "suspect", stamp, stamp, stamp)
        targets.append((v, "new", number))
        result.created += 1
    new_ids: dict[str, int] = {}
    if new_relations:
        before = store.top_id("relation")
        conn.exec_driver_sql(store.insert_relation, list(new_relations.values()))
        ids = store.inserted_ids("relation", before, len(new_relations))
        if ids is not None:
            new_ids = dict(zip(new_relations, ids, strict=True))
        else:
            new_ids = dict(store.select_in(
                "SELECT number, id FROM relation WHERE number IN ({in})", list(new_relations)))
    # persons: those of linked relations are matched first
    old_ids = sorted({rid for _v_, kind, rid in targets if kind == "old"})
    known: dict[tuple[int, str], int] = {}
    for pid, rid, email, first, last in store.select_in(
            "SELECT id, relation_id, email, first_name, last_name FROM person "
            "WHERE relation_id IN ({in}) ORDER BY id", old_ids):
        if email:
            known.setdefault((rid, "e:" + email.lower()), pid)
        known.setdefault((rid, f"n:{first.lower()}|{last.lower()}"), pid)
    wanted: list[tuple[int, str, Values]] = []  # (relation id, key, values)
    new_persons: dict[tuple[int, str], tuple[Any, ...]] = {}
    for v, kind, ref in targets:
        rid = ref if kind == "old" else new_ids[ref]
        first, last, email = v[_FIRST], v[_LAST], v[_EMAIL]
        key = "e:" + email if email else f"n:{first.lower()}|{last.lower()}"
        if (rid, key) not in known and (rid, key) not in new_persons:
            new_persons[(rid, key)] = (rid, first, last, email, v[_PHONE], bool(v[_OPTED]),
                                       False, stamp, stamp)
        wanted.append((rid, key, v))
    if new_persons:
        before = store.top_id("person")
        conn.exec_driver_sql(store.insert_person, list(new_persons.values()))
        pids = store.inserted_ids("person", before, len(new_persons))
        if pids is not None:
            known.update(zip(new_persons, pids, strict=True))
            # findable by `person search` (issue 26's one helper)
            search_keys.write_keys(conn, ((pid, p[1], p[2], p[3]) for pid, p in zip(
                pids, new_persons.values(), strict=True)), replace=False)
        else:
            fresh = {rid for rid, _k in new_persons}
            for pid, rid, email, first, last in _fresh_persons(store, sorted(fresh)):
                key = "e:" + email if email else f"n:{first.lower()}|{last.lower()}"
                if (rid, key) in new_persons:
                    known.setdefault((rid, key), pid)
            search_keys.keys_since(conn, before)
    old_set = set(old_ids)
    pairs: dict[int, int] = {}  # person -> relation, in file order
    for rid, key, _values in wanted:
        pid = known[(rid, key)]
        pairs.setdefault(pid, rid)
    in_project = {pid for (pid,) in store.select_in(
        "SELECT person_id FROM project_contact WHERE project_id = " + m
        + " AND person_id IN ({in})", [pid for pid, rid in pairs.items() if rid in old_set],
        lead=(store.project_id,))}
    adds = [(store.project_id, rid, pid, PREPARING, stamp) for pid, rid in pairs.items()
            if pid not in in_project]
    result.already += len(pairs) - len(adds)
    result.added += len(adds)
    if adds:
        conn.exec_driver_sql(store.insert_contact, adds)
        details = {"project_id": store.project_id}
        record_many(conn, [Entry(PROCEDURE_SUSPECT_ADDED, rid, pid, store.user_id, details)
                           for _p, rid, pid, _s, _t in adds], at=store.now)
    return problems


def _fresh_persons(store: _Store, relation_ids: list[int]) -> list[tuple[Any, ...]]:
    return store.select_in(
        "SELECT id, relation_id, email, first_name, last_name FROM person "
        "WHERE relation_id IN ({in}) ORDER BY id", relation_ids)
