"""`import persons FILE` (seed 001, "Middels een import (admin)"): a .csv/.xlsx of persons,
with `import clients`' conventions (Dutch headers or snake_case aliases, all or nothing,
``file:row:column: message``).

A row whose e-mail address is known fills that person's empty fields; a likely
duplicate (a similar name with the same birth date or postcode + house number) is
created but listed in ``FILE.duplicates.csv`` for a person to merge. Batches of
``BATCH`` rows: one lookup of the batch's e-mail addresses, one of its birth dates and
addresses, one multi-row insert of the new persons (ids returned) and one of their keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlmodel import Session, col

from quickcrm import events, permissions
from quickcrm.crm import search_keys
from quickcrm.crm.headers import aliases
from quickcrm.crm.models import PropertyDef, PropertyValue
from quickcrm.crm.persons import SIMILAR, PersonData, set_properties, typed_value
from quickcrm.documents.tabular import (
    csv_row,
    csv_writer,
    match_headers,
    open_table,
    unescape_cell,
)
from quickcrm.errors import FileProblems, InvalidInput, Problem
from quickcrm.permissions import Actor
from quickcrm.store.models import Person, Relation

BATCH = 2000
PROBLEM_LIMIT = 50
# The person file's columns: header as exported -> field. What else a file may call them
# ("Relatienummer klant", "Voornaam klant", "relatie nr") is in the one table every
# importer reads, quickcrm.crm.headers.
PERSON_COLUMNS = (("Voornaam", "first_name"), ("Achternaam", "last_name"),
                  ("E-mail", "email"), ("Telefoon", "phone"),
                  ("Geboortedatum", "date_of_birth"), ("Adres", "address"),
                  ("Postcode", "postcode"), ("Plaats", "city"), ("Label", "label"),
                  ("Soort partij", "party_type"), ("Relatienummer", "relation"))


# Normalised header -> field, from the one table every importer reads (crm.headers).
PERSON_ALIASES = aliases({"relation_number" if name == "relation" else name: name
                          for _header, name in PERSON_COLUMNS})
P = Person.__table__  # type: ignore[attr-defined]


def row_data(cells: list[str], found: dict[str, int], props: list[tuple[int, str]]) -> PersonData:
    def cell(name: str) -> str | None:
        i = found.get(name)
        return unescape_cell(cells[i]) if i is not None and i < len(cells) else None

    data = PersonData(**{name: cell(name) for _h, name in PERSON_COLUMNS})  # type: ignore[arg-type]
    data.properties = {name: unescape_cell(cells[i]) for i, name in props
                       if i < len(cells) and cells[i].strip()}
    return data


@dataclass
class PersonImport:
    created: int = 0
    filled: int = 0
    unchanged: int = 0
    duplicates: int = 0
    duplicates_path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "filled": self.filled, "unchanged": self.unchanged,
                "duplicates": self.duplicates,
                "duplicates_file": str(self.duplicates_path) if self.duplicates_path else None}


class _Batch:
    """The checked rows of one batch."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, dict[str, Any], dict[str, Any], int | None]] = []


def import_persons(*, session: Session, actor: Actor, now: datetime, path: Path,
                   duplicate_check: bool = True, dry_run: bool = False,
                   duplicates_path: Path | None = None,
                   progress: Callable[[int], None] | None = None) -> PersonImport:
    from rapidfuzz import fuzz

    permissions.require(actor, "import persons")
    name = str(path)
    table = open_table(path)
    found, unknown = match_headers(table, PERSON_ALIASES)
    defs = {p.name.lower(): p for p in session.execute(select(PropertyDef)).scalars()}
    props: list[tuple[int, str]] = []
    ignored = []
    for header in unknown:
        index = [h.strip() for h in table.headers].index(header)
        if header.lower() in defs:
            props.append((index, defs[header.lower()].name))
        else:
            ignored.append(header)
    if not ({"first_name", "last_name"} & found.keys()):
        raise FileProblems([Problem(name, 1, None, 'missing column "Voornaam" or "Achternaam"')])
    result = PersonImport(dry_run=dry_run,
                          warnings=[f"{name}:1: unknown column {h!r} ignored" for h in ignored])
    header_of = {f: table.headers[i].strip() for f, i in found.items()}
    problems: list[Problem] = []
    total_problems = 0
    relations: dict[str, int | None] = {}
    dup_rows: list[list[str]] = []
    conn = session.connection()
    rows = table.rows()
    while chunk := list(islice(rows, BATCH)):
        checked = []
        for row, cells in chunk:
            data = row_data(cells, found, props)
            try:
                values = _checked(data, header_of)
                for pname, text in data.properties.items():
                    try:
                        typed_value(defs[pname.lower()], text)
                    except InvalidInput as exc:
                        raise _CellProblem(pname, str(exc)) from None
            except _CellProblem as exc:
                total_problems += 1
                if len(problems) < PROBLEM_LIMIT:
                    problems.append(Problem(name, row, exc.column, exc.message))
                continue
            checked.append((row, data, values))
        _resolve_relations(session, relations, [d.relation for _r, d, _v in checked if d.relation])
        for row, data, _values in checked:
            if data.relation and relations.get(data.relation.strip()) is None:
                total_problems += 1
                if len(problems) < PROBLEM_LIMIT:
                    problems.append(Problem(name, row, header_of.get("relation"),
                                            f"unknown relation {data.relation.strip()!r}"))
        if total_problems:
            if progress:
                progress(len(chunk))
            continue
        _write(session, conn, actor, now, checked, relations, defs, result, dup_rows,
               duplicate_check, fuzz)
        if progress:
            progress(len(chunk))
    if total_problems:
        session.rollback()
        raise FileProblems(problems, total_problems)
    if dry_run:
        session.rollback()
        return result
    if dup_rows:
        result.duplicates_path = duplicates_path or path.with_name(f"{path.stem}.duplicates.csv")
        with result.duplicates_path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv_writer(f)
            writer.writerow(csv_row(["Rij", "Nieuw id", "Naam", "Lijkt op id", "Naam bekend",
                                     "Reden"]))
            for line in dup_rows:
                writer.writerow(csv_row(line))
    session.commit()
    return result


class _CellProblem(Exception):
    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message


def _checked(data: PersonData, header_of: dict[str, str]) -> dict[str, Any]:
    """The row's values, or the first problem with its column."""
    for fname in ("first_name", "last_name", "email", "phone", "date_of_birth", "address",
                  "postcode", "city", "label", "party_type"):
        try:
            PersonData(**{fname: getattr(data, fname)}).values()
        except InvalidInput as exc:
            raise _CellProblem(header_of.get(fname), str(exc)) from None
    values = data.values()
    if not (values.get("first_name") or values.get("last_name")):
        raise _CellProblem(header_of.get("last_name") or header_of.get("first_name"),
                           "no first or last name")
    return values


def _resolve_relations(session: Session, cache: dict[str, int | None], numbers: list[str]) -> None:
    wanted = sorted({n.strip() for n in numbers} - cache.keys())
    for start in range(0, len(wanted), 500):
        part = wanted[start:start + 500]
        got = dict(session.execute(select(col(Relation.number), col(Relation.id)).where(
            col(Relation.number).in_(part))).all())
        for number in part:
            cache[number] = got.get(number)


def _write(session: Session, conn: Any, actor: Actor, now: datetime,
           checked: list[tuple[int, PersonData, dict[str, Any]]], relations: dict[str, int | None],
           defs: dict[str, PropertyDef], result: PersonImport, dup_rows: list[list[str]],
           duplicate_check: bool, fuzz: Any) -> None:
    """One batch: fill known e-mail addresses, insert the rest, list likely duplicates."""
    emails = sorted({v["email"] for _r, _d, v in checked if v.get("email")})
    known: dict[str, Person] = {}
    for start in range(0, len(emails), 500):
        for person in session.execute(select(Person).where(
                col(Person.email).in_(emails[start:start + 500]))).scalars():
            known.setdefault(person.email, person)
    blocks: dict[Any, list[tuple[int, str, str]]] = {}  # (dob|address) -> (id, name, shown)
    if duplicate_check:
        dobs = sorted({v["date_of_birth"] for _r, _d, v in checked if v.get("date_of_birth")})
        akeys = sorted({search_keys.address_key(v.get("address", ""), v.get("postcode", ""))
                        for _r, _d, v in checked} - {""})
        for start in range(0, max(len(dobs), len(akeys)), 500):
            tests = []
            if dobs[start:start + 500]:
                tests.append(and_(col(Person.date_of_birth).is_not(None),  # partial index
                                  col(Person.date_of_birth).in_(dobs[start:start + 500])))
            if akeys[start:start + 500]:
                tests.append(and_(col(Person.address_key) != "",
                                  col(Person.address_key).in_(akeys[start:start + 500])))
            for pid, first, last, dob, akey in session.execute(select(
                    col(Person.id), col(Person.first_name), col(Person.last_name), col(Person.date_of_birth),
                    col(Person.address_key)).where(or_(*tests))):
                entry = (pid, search_keys.full_name(first, last), f"{first} {last}".strip())
                if dob:
                    blocks.setdefault(dob, []).append(entry)
                if akey:
                    blocks.setdefault(akey, []).append(entry)
    new_rows: list[dict[str, Any]] = []
    new_meta: list[tuple[int, PersonData, str, list[Any]]] = []
    updates: list[events.Entry] = []
    in_batch: dict[str, dict[str, Any]] = {}  # e-mail -> a new row of this batch
    for row, data, values in checked:
        email = values.get("email", "")
        person = known.get(email) if email else None
        if email and email in in_batch:  # the same address earlier in this batch
            earlier = in_batch[email]
            for fname, value in values.items():
                if earlier.get(fname) in ("", None) and value not in ("", None):
                    earlier[fname] = value
            result.unchanged += 1
            continue
        if person is not None:
            changes = _fill(person, values, data, relations)
            changes.update(set_properties(session, person, data.properties, only_empty=True))
            if changes:
                person.updated_at = now
                person.address_key = search_keys.address_key(person.address, person.postcode)
                updates.append(events.Entry(events.PERSON_UPDATED, person.relation_id, person.id,
                                            actor.id, {"source": "import persons",
                                                       "changes": changes}))
                result.filled += 1
            else:
                result.unchanged += 1
            continue
        akey = search_keys.address_key(values.get("address", ""), values.get("postcode", ""))
        full = search_keys.full_name(values.get("first_name", ""), values.get("last_name", ""))
        similar: list[Any] = []
        if duplicate_check:
            for block in (values.get("date_of_birth"), akey):
                for entry in blocks.get(block, []) if block else []:
                    if fuzz.token_sort_ratio(full, entry[1]) >= SIMILAR:
                        similar = [row, entry, "zelfde geboortedatum" if block == values.get(
                            "date_of_birth") else "zelfde adres"]
                        break
                if similar:
                    break
        relation = data.relation.strip() if data.relation else ""
        new_rows.append({**{f: values.get(f, "" if f != "date_of_birth" else None) for f in (
            "first_name", "last_name", "email", "phone", "date_of_birth", "address", "postcode",
            "city", "label", "party_type")}, "relation_id": relations.get(relation) if relation
            else None, "address_key": akey, "opted_out": False, "campaign_contact": False,
            "created_at": now, "updated_at": now})
        new_meta.append((row, data, full, similar))
        if email:
            in_batch[email] = new_rows[-1]
        if duplicate_check:  # later rows are compared with this one too (its id comes later)
            entry = (-len(new_rows), full, f"{values.get('first_name', '')} "
                                           f"{values.get('last_name', '')}".strip())
            for block in (values.get("date_of_birth"), akey):
                if block:
                    blocks.setdefault(block, []).append(entry)
    if new_rows:
        ids = list(session.execute(insert(P).returning(P.c.id, sort_by_parameter_order=True),
                                   new_rows).scalars())
        search_keys.write_keys(conn, [(pid, r["first_name"], r["last_name"], r["email"])
                                      for pid, r in zip(ids, new_rows, strict=True)],
                               replace=False)
        values_rows = []
        for pid, (row, data, _full, similar), r in zip(ids, new_meta, new_rows, strict=True):
            for pname, text in data.properties.items():
                prop = defs[pname.lower()]
                value, number, day = typed_value(prop, text)
                values_rows.append({"person_id": pid, "property_id": prop.id, "value": value,
                                    "number": number, "day": day})
            if similar:
                entry = similar[1]
                known_id = ids[-entry[0] - 1] if entry[0] < 0 else entry[0]
                dup_rows.append([str(row), str(pid), f"{r['first_name']} {r['last_name']}".strip(),
                                 str(known_id), entry[2], similar[2]])
                result.duplicates += 1
        if values_rows:
            session.execute(insert(PropertyValue.__table__), values_rows)  # type: ignore[attr-defined]
        events.record_many(conn, [events.Entry(events.PERSON_CREATED, r["relation_id"], pid,
                                               actor.id, {"source": "import persons"})
                                  for pid, r in zip(ids, new_rows, strict=True)], at=now)
        result.created += len(ids)
    session.flush()
    filled = [e.person_id for e in updates if e.person_id is not None]
    search_keys.refresh_keys(session, filled)
    events.record_many(conn, updates, at=now)


def _fill(person: Person, values: dict[str, Any], data: PersonData,
          relations: dict[str, int | None]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        old = getattr(person, name)
        if old in ("", None) and value not in ("", None):
            changes[name] = [old, value.isoformat() if isinstance(value, date) else value]
            setattr(person, name, value)
    if data.relation and person.relation_id is None:
        person.relation_id = relations.get(data.relation.strip())
        changes["relation_id"] = [None, person.relation_id]
    return changes
