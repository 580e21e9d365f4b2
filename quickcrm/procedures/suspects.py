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
and the new rows written with their ids given (no SELECT back; multi-row INSERTs, COPY
on PostgreSQL), in ONE transaction: a problem rolls everything back (unless
``skip_invalid``) and every problem is reported as ``file:row:column: message``. A
first import, into a database without relations, looks up only what it wrote itself
(kept in memory) and builds the secondary indexes of what it writes once, at the end.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from quickcrm import permissions
from quickcrm.crm import search_keys
from quickcrm.crm.client_rows import ABSENT, IX, NUMBER, POS, RowParser, Values, header_aliases
from quickcrm.crm.client_store import BULK_TABLES, ClientStore
from quickcrm.documents.tabular import match_headers, open_table
from quickcrm.errors import FileProblems, InvalidState, Problem
from quickcrm.events import PROCEDURE_SUSPECT_ADDED, record_alike
from quickcrm.permissions import Actor
from quickcrm.procedures.models import PREPARING, ProjectContact
from quickcrm.procedures.projects import get_project
from quickcrm.store.db import bulk_page_cache, first_load
from quickcrm.store.driver import write_rows

BATCH = 5000
# a first import also writes every project contact (each names a relation): empty too
CONTACTS = ProjectContact.__table__  # type: ignore[attr-defined]
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


# The columns each new row is written with (its id given first: no SELECT back)
RELATION_COLUMNS = ("id", *REL_FIELDS, "number", "stage", "created_at", "updated_at",
                    "segments_at")
PERSON_COLUMNS = ("id", "relation_id", "first_name", "last_name", "email", "phone",
                  "opted_out", "campaign_contact", "created_at", "updated_at")
CONTACT_COLUMNS = ("project_id", "relation_id", "person_id", "status", "created_at")
PersonRow = tuple[Any, ...]  # a new person as written, in PERSON_COLUMNS order


def _person_keys(rid: int, email: str, first: str, last: str) -> tuple[tuple[int, str], ...]:
    """How a stored person of relation ``rid`` is matched: by e-mail (any case), then by
    name."""
    name = (rid, f"n:{first.lower()}|{last.lower()}")
    return ((rid, "e:" + email.lower()), name) if email else (name,)


class _Store:
    """One import's SQL on the session's connection (driver-level, bound parameters
    only; fixed column names in the text). New rows get their ids before they are
    written and go in through ``store.driver.write_rows``, the client importer's way
    (``ClientStore.new_ids``)."""

    def __init__(self, conn: Connection, rows: ClientStore, *, now: datetime,
                 project_id: int, user_id: int, prefix: str) -> None:
        self.conn, self.now, self.project_id, self.user_id = conn, now, project_id, user_id
        self.rows = rows
        self.m = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        self.stamp = rows.stamp  # converted once, not per row
        self.prefix = prefix
        self.next_no = self._highest(prefix) + 1

    def _highest(self, prefix: str) -> int:
        rows = self.conn.exec_driver_sql(
            f"SELECT number FROM relation WHERE substr(number, 1, {self.m}) = {self.m}",
            (len(prefix), prefix))
        tail = len(prefix)
        return max((int(n[tail:]) for (n,) in rows if n[tail:].isdigit()), default=0)

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

    def add_relations(self, values: list[tuple[Any, ...]]) -> Sequence[int]:
        """New relations (RELATION_COLUMNS less the id); their ids, in order."""
        ids = self.rows.new_ids("relation", len(values))
        write_rows(self.conn, "relation", RELATION_COLUMNS,
                   [(rid, *v) for rid, v in zip(ids, values, strict=True)])
        return ids

    def add_persons(self, values: list[tuple[Any, ...]]) -> list[PersonRow]:
        """New persons (PERSON_COLUMNS less the id), findable by ``person search``
        (issue 26's one helper); the rows as written, ids first."""
        ids = self.rows.new_ids("person", len(values))
        rows = [(pid, *v) for pid, v in zip(ids, values, strict=True)]
        write_rows(self.conn, "person", PERSON_COLUMNS, rows)
        search_keys.insert_pairs(self.conn, search_keys.key_pairs(
            (p[0], p[2], p[3], p[4]) for p in rows), new=True)
        return rows

    def add_contacts(self, adds: list[tuple[Any, ...]]) -> None:
        """Contacts joining the project (CONTACT_COLUMNS), each with its event."""
        write_rows(self.conn, "project_contact", CONTACT_COLUMNS, adds)
        record_alike(self.conn, kind=PROCEDURE_SUSPECT_ADDED, at=self.now,
                     relation_ids=[c[1] for c in adds], person_ids=[c[2] for c in adds],
                     user_id=self.user_id, project_id=self.project_id)


class _Stored:
    """What the database holds: each batch's lookups, one query per chunk of values."""

    def __init__(self, store: _Store) -> None:
        self.store = store

    def by_number(self, numbers: list[str]) -> dict[str, int]:
        """The relations with these numbers."""
        return dict(self.store.select_in(  # type: ignore[arg-type]
            "SELECT number, id FROM relation WHERE number IN ({in})", numbers))

    def by_email(self, emails: list[str]) -> dict[str, int]:
        """The relation of the first person (by id) with each of these e-mail addresses."""
        found: dict[str, int] = {}
        for email, rid in self.store.select_in(
                "SELECT email, relation_id FROM person WHERE relation_id IS NOT NULL AND "
                "email IN ({in}) ORDER BY id", emails):
            found.setdefault(email, rid)
        return found

    def persons(self, relation_ids: list[int]) -> dict[tuple[int, str], int]:
        """The persons of these relations by ``_person_keys`` (the first by id)."""
        known: dict[tuple[int, str], int] = {}
        for pid, rid, email, first, last in self.store.select_in(
                "SELECT id, relation_id, email, first_name, last_name FROM person "
                "WHERE relation_id IN ({in}) ORDER BY id", relation_ids):
            for key in _person_keys(rid, email, first, last):
                known.setdefault(key, pid)
        return known

    def in_project(self, person_ids: list[int]) -> set[int]:
        """Those of these persons who are in the project already."""
        return {pid for (pid,) in self.store.select_in(
            f"SELECT person_id FROM project_contact WHERE project_id = {self.store.m} "
            "AND person_id IN ({in})", person_ids, lead=(self.store.project_id,))}

    def written(self, relations: dict[str, int], persons: list[PersonRow],
                contacts: list[tuple[Any, ...]]) -> None:
        """A batch's new rows: the next batch's queries find them."""


class _OwnRows(_Stored):
    """A first import, into a database without relations (so without persons of a
    relation or project contacts): what it holds is what this import wrote, kept here
    as it is written. Each lookup gives the database's answer without asking it, as
    the secondary indexes it would need are built at the end (``first_load``).
    Persons are indexed when first looked up: most files link no row to another."""

    def __init__(self, store: _Store) -> None:
        super().__init__(store)
        self.numbers: dict[str, int] = {}
        self.emails: dict[str, int] = {}
        self.keys: dict[tuple[int, str], int] = {}
        self.contacts: set[int] = set()
        self.unindexed: list[list[PersonRow]] = []  # batches of persons, in id order

    def by_number(self, numbers: list[str]) -> dict[str, int]:
        get = self.numbers.get
        return {n: rid for n in numbers if (rid := get(n)) is not None}

    def by_email(self, emails: list[str]) -> dict[str, int]:
        self._index()
        get = self.emails.get
        return {e: rid for e in emails if (rid := get(e)) is not None}

    def persons(self, relation_ids: list[int]) -> dict[tuple[int, str], int]:
        self._index()
        return self.keys  # of every relation written so far: read, not changed

    def in_project(self, person_ids: list[int]) -> set[int]:
        return self.contacts.intersection(person_ids)

    def written(self, relations: dict[str, int], persons: list[PersonRow],
                contacts: list[tuple[Any, ...]]) -> None:
        self.numbers.update(relations)
        self.unindexed.append(persons)
        self.contacts.update(c[2] for c in contacts)

    def _index(self) -> None:
        emails, keys = self.emails, self.keys
        for batch in self.unindexed:
            for pid, rid, first, last, email, *_rest in batch:  # in id order: first wins
                if email:
                    emails.setdefault(email, rid)
                for key in _person_keys(rid, email, first, last):
                    keys.setdefault(key, pid)
        self.unindexed.clear()


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
    conn = session.connection()
    rows = ClientStore(conn, now=now, columns=set(columns), user_id=actor.id, file=name)
    store = _Store(conn, rows, now=now, project_id=p.id, user_id=actor.id, prefix=prefix)
    shown: list[Problem] = []
    # a first import into an empty database builds the tables' indexes once, at the end
    with no_cyclic_gc(), bulk_page_cache(session), first_load(
            session, (*BULK_TABLES, CONTACTS), linked=("event",), when=rows.empty) as alone:
        # with the tables this import's alone it answers lookups from what it wrote; on
        # PostgreSQL without the lock another transaction may be adding relations
        rows.alone = alone
        lookups = _OwnRows(store) if alone else _Stored(store)
        total = _run(table.batches(BATCH), parser, store, lookups, result, name, headers,
                     shown, progress)
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


def _run(batches: Iterator[list[tuple[int, list[str]]]], parser: RowParser, store: _Store,
         lookups: _Stored, result: SuspectsResult, name: str, headers: dict[str, str],
         shown: list[Problem], progress: Callable[[int], None] | None) -> int:
    total = 0
    for chunk in batches:
        good, bad = parser.parse_batch(chunk)
        problems = [pr for _row, _cells, found in bad for pr in found]
        rejected_rows = {row for row, _c, _f in bad}
        problems += _write(store, lookups, good, chunk, result, name, headers, rejected_rows)
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


def _write(store: _Store, lookups: _Stored, good: list[Values],
           chunk: list[tuple[int, list[str]]], result: SuspectsResult, file: str,
           headers: dict[str, str], rejected_rows: set[int]) -> list[Problem]:
    """Link or create the batch's relations and persons and add them to the project."""
    problems: list[Problem] = []
    stamp = store.stamp
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
    by_number = lookups.by_number(numbers) if numbers else {}
    emails = sorted({v[_EMAIL] for v in ok if not v[NUMBER] and v[_EMAIL]})
    by_email = lookups.by_email(emails) if emails else {}
    # each row's relation: ("old", id) or ("new", number)
    targets: list[tuple[Values, str, Any]] = []
    new_relations: dict[str, tuple[Any, ...]] = {}
    # a contact's e-mail -> the relation an earlier row of this batch gave it
    seen: dict[str, tuple[str, Any]] = {}
    company_ix = IX["company"]
    for v in ok:
        number = v[NUMBER]
        email = v[_EMAIL]
        rid = by_number.get(number) if number else by_email.get(email) if email else None
        # a relation an earlier row of this batch named or made is linked, as it would
        # be from an earlier batch: the batch size must not change the outcome
        target = ("old", rid) if rid is not None else ("new", number) if (
            number in new_relations) else None if number else seen.get(email) if email \
            else None
        if target is not None:
            targets.append((v, *target))
            result.linked += 1
            if email:
                seen.setdefault(email, target)
            continue
        if not v[company_ix]:
            row = chunk[v[POS]][0]
            problems.append(Problem(file, row, headers.get("company", "Bedrijf klant"),
                                    "a new suspect needs a company name"))
            rejected_rows.add(row)
            continue
        number = number or store.generate()
        new_relations[number] = (*_rel_values(v), number, "suspect", stamp, stamp, stamp)
        if email:
            seen.setdefault(email, ("new", number))
        targets.append((v, "new", number))
        result.created += 1
    new_ids: dict[str, int] = {}
    if new_relations:
        new_ids = dict(zip(new_relations, store.add_relations(list(new_relations.values())),
                           strict=True))
    # persons: those of linked relations are matched first
    old_ids = sorted({rid for _v_, kind, rid in targets if kind == "old"})
    known = lookups.persons(old_ids) if old_ids else {}
    wanted: list[tuple[int, str]] = []  # (relation id, key) of each row, in file order
    new_persons: dict[tuple[int, str], tuple[Any, ...]] = {}
    for v, kind, ref in targets:
        rid = ref if kind == "old" else new_ids[ref]
        first, last, email = v[_FIRST], v[_LAST], v[_EMAIL]
        key = "e:" + email if email else f"n:{first.lower()}|{last.lower()}"
        if (rid, key) not in known and (rid, key) not in new_persons:
            new_persons[(rid, key)] = (rid, first, last, email, v[_PHONE], bool(v[_OPTED]),
                                       False, stamp, stamp)
        wanted.append((rid, key))
    persons = store.add_persons(list(new_persons.values())) if new_persons else []
    added = dict(zip(new_persons, (p[0] for p in persons), strict=True))
    old_set = set(old_ids)
    pairs: dict[int, int] = {}  # person -> relation, in file order
    for rid, key in wanted:
        pid = added.get((rid, key))
        pairs.setdefault(known[(rid, key)] if pid is None else pid, rid)
    linked = [pid for pid, rid in pairs.items() if rid in old_set]
    in_project = lookups.in_project(linked) if linked else set()
    adds = [(store.project_id, rid, pid, PREPARING, stamp) for pid, rid in pairs.items()
            if pid not in in_project]
    result.already += len(wanted) - len(adds)  # rows whose contact was in it before
    result.added += len(adds)
    if adds:
        store.add_contacts(adds)
    lookups.written(new_ids, persons, adds)
    return problems
