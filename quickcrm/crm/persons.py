"""Persons (seed 001, "CRM Personen"): add, edit, delete, find, merge, and what the
person card holds besides notes, signals, files and e-mails (properties, indicators,
relations between persons, links to relations, risk classification, identification,
"meer op dit adres").

Every change checks the acting user's right first, records its event in the same
transaction (``changes: {field: [old, new]}`` for an edit) and rewrites the person's
search keys through the one helper (``quickcrm.crm.search_keys``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlmodel import Session, col

from quickcrm import events, permissions
from quickcrm.crm import search_keys
from quickcrm.crm.client_rows import valid_email
from quickcrm.crm.models import (
    Identification,
    Indicator,
    PersonIndicator,
    PersonKey,
    PersonLink,
    PersonPair,
    PropertyDef,
    PropertyValue,
    RiskClassification,
)
from quickcrm.errors import InvalidInput, InvalidState, NotFound
from quickcrm.permissions import Actor
from quickcrm.store.models import Person, Relation

EDIT, DELETE, DEFINE = "edit persons", "delete persons", "define persons"
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "date_of_birth", "address",
                 "postcode", "city", "label", "party_type")
MAX_LENGTH = {"first_name": 100, "last_name": 150, "email": 320, "phone": 40, "address": 300,
              "postcode": 20, "city": 120, "label": 100, "party_type": 60}
PROPERTY_TYPES = ("text", "number", "date", "choice")
RISK_CLASSES = ("laag", "hoog", "onacceptabel")
RISK_SOURCES = ("handmatig", "brondata")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
SIMILAR = 90  # rapidfuzz token_sort_ratio of the normalised full names


class LikelyDuplicates(InvalidState):
    """A person to add looks like one already known: nothing is added."""

    def __init__(self, found: list[dict[str, Any]]) -> None:
        self.found = found
        listed = "; ".join(f"{d['id']} {d['name']} ({d['why']})" for d in found[:5])
        super().__init__(f"likely duplicate of {listed}: give --new to add anyway or "
                         f"--use-existing ID to fill that person's empty fields")

    def to_json(self) -> dict[str, object]:
        return {"error": str(self), "duplicates": self.found}


# --- values --------------------------------------------------------------------------------

def clean(value: str) -> str:
    """Text as stored: control characters (NUL, which PostgreSQL refuses, included)
    dropped, surrounding space trimmed."""
    return _CONTROL.sub("", value).strip()


def parse_date(text: str, what: str = "date") -> date:
    """``2026-03-14`` or the Dutch ``14-03-2026``."""
    value = clean(text)
    try:
        found = _DUTCH_DATE.match(value)
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not a date (YYYY-MM-DD or DD-MM-YYYY)") from None


@dataclass
class PersonData:
    """What a user gives for a person; ``None``: not given (an edit leaves it)."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    date_of_birth: str | date | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    label: str | None = None
    party_type: str | None = None
    relation: str | None = None  # relation number
    properties: dict[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """The given fields, checked: field -> value to store."""
        out: dict[str, Any] = {}
        for f in PERSON_FIELDS:
            raw = getattr(self, f)
            if raw is None:
                continue
            if f == "date_of_birth":
                out[f] = raw if isinstance(raw, date) or raw == "" else parse_date(
                    raw, "date of birth")
                out[f] = out[f] or None
                continue
            value = clean(str(raw))
            if f == "email" and value:
                value = value.lower()
                if not valid_email(value):
                    raise InvalidInput(f"not a valid e-mail address: {value!r}")
            if f == "postcode":
                value = value.upper()
            if len(value) > MAX_LENGTH[f]:
                raise InvalidInput(f"{f.replace('_', ' ')} is longer than {MAX_LENGTH[f]} "
                                   "characters")
            out[f] = value
        return out


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"unknown person {person_id}")
    return person


def relation_by_number(session: Session, number: str) -> Relation:
    relation = session.execute(select(Relation).where(
        col(Relation.number) == number.strip())).scalar_one_or_none()
    if relation is None:
        raise NotFound(f"unknown relation {number!r}")
    return relation


def name_of(person: Person) -> str:
    return " ".join(p for p in (person.first_name, person.last_name) if p) or f"#{person.id}"


def _refresh(session: Session, person: Person) -> None:
    """Keys and address key after a change (the one helper)."""
    person.address_key = search_keys.address_key(person.address, person.postcode)
    session.flush()
    assert person.id is not None
    search_keys.refresh_keys(session, [person.id])


# --- duplicates ----------------------------------------------------------------------------

def likely_duplicates(session: Session, values: dict[str, Any], *,
                      exclude: int | None = None) -> list[dict[str, Any]]:
    """Known persons that look like ``values``: the same e-mail address, or a name whose
    normalised form scores at least 90 (rapidfuzz token_sort_ratio) with the same
    birth date or the same postcode + house number. Index lookups only."""
    from rapidfuzz import fuzz

    email = values.get("email") or ""
    dob = values.get("date_of_birth")
    akey = search_keys.address_key(values.get("address") or "", values.get("postcode") or "")
    name = search_keys.full_name(values.get("first_name") or "", values.get("last_name") or "")
    tests = []
    if email:
        tests.append(col(Person.email) == email)
    if dob:
        tests.append(and_(col(Person.date_of_birth).is_not(None),
                          col(Person.date_of_birth) == dob))  # the partial index
    if akey:
        tests.append(and_(col(Person.address_key) != "", col(Person.address_key) == akey))
    if not tests:
        return []
    found = []
    for p in session.execute(select(Person).where(or_(*tests)).limit(200)).scalars():
        if p.id == exclude:
            continue
        why = []
        if email and p.email == email:
            why.append("same e-mail")
        score = fuzz.token_sort_ratio(name, search_keys.full_name(p.first_name, p.last_name))
        if name and score >= SIMILAR:
            if dob and p.date_of_birth == dob:
                why.append("similar name, same date of birth")
            elif akey and p.address_key == akey:
                why.append("similar name, same address")
        if why:
            found.append({"id": p.id, "name": name_of(p), "email": p.email,
                          "why": "; ".join(why)})
    return found


def scan_duplicates(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every likely duplicate pair in the database, blocked so that only persons with the
    same e-mail, birth date or postcode + house number are compared (no n² scan)."""
    from rapidfuzz import fuzz

    _ = actor
    blocks: dict[tuple[str, Any], list[tuple[int, str]]] = {}
    rows = session.execute(select(col(Person.id), col(Person.first_name), col(Person.last_name),
                                  col(Person.email), col(Person.date_of_birth), col(Person.address_key)))
    for pid, first, last, email, dob, akey in rows:
        name = search_keys.full_name(first, last)
        if email:
            blocks.setdefault(("email", email), []).append((pid, name))
        if dob:
            blocks.setdefault(("dob", dob), []).append((pid, name))
        if akey:
            blocks.setdefault(("address", akey), []).append((pid, name))
    pairs: dict[tuple[int, int], str] = {}
    for (kind, _value), members in blocks.items():
        if len(members) < 2:
            continue
        for i, (a, name_a) in enumerate(members):
            for b, name_b in members[i + 1:]:
                pair = (min(a, b), max(a, b))
                if pair in pairs:
                    continue
                if kind == "email":
                    pairs[pair] = "same e-mail"
                elif name_a and fuzz.token_sort_ratio(name_a, name_b) >= SIMILAR:
                    pairs[pair] = ("similar name, same date of birth" if kind == "dob"
                                   else "similar name, same address")
    return [{"keep": a, "other": b, "why": why} for (a, b), why in sorted(pairs.items())]


# --- add, edit, delete ---------------------------------------------------------------------

def _apply(person: Person, values: dict[str, Any], *, only_empty: bool = False) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        old = getattr(person, name)
        if only_empty and old not in ("", None):
            continue
        if old != value:
            changes[name] = [old.isoformat() if isinstance(old, date) else old,
                             value.isoformat() if isinstance(value, date) else value]
            setattr(person, name, value)
    return changes


def add_person(*, session: Session, actor: Actor, now: datetime, data: PersonData,
               new: bool = False, use_existing: int | None = None,
               commit: bool = True) -> Person:
    """Add a person (a lead without a relation, or a contact of one). A likely duplicate
    stops it (``LikelyDuplicates``) unless ``new``; ``use_existing`` fills that
    person's empty fields instead of adding."""
    permissions.require(actor, EDIT)
    values = data.values()
    if use_existing is not None:
        person = get_person(session, use_existing)
        fill_person(session=session, actor=actor, now=now, person=person, values=values,
                    properties=data.properties)
        if commit:
            session.commit()
        return person
    if not (values.get("first_name") or values.get("last_name")):
        raise InvalidInput("give --first-name or --last-name")
    relation = relation_by_number(session, data.relation) if data.relation else None
    if not new:
        found = likely_duplicates(session, values)
        if found:
            raise LikelyDuplicates(found)
    person = Person(relation_id=relation.id if relation else None, created_at=now,
                    updated_at=now, **values)
    session.add(person)
    _refresh(session, person)
    set_properties(session, person, data.properties)
    events.record(session, kind=events.PERSON_CREATED, at=now, person_id=person.id,
                  relation_id=person.relation_id, user_id=actor.id, source="manual")
    if commit:
        session.commit()
    return person


def fill_person(*, session: Session, actor: Actor, now: datetime, person: Person,
                values: dict[str, Any], properties: dict[str, str] | None = None,
                source: str = "manual") -> dict[str, list[Any]]:
    """Fill only the person's empty fields (a known person from an import or a dossier)."""
    permissions.require(actor, EDIT)
    changes = _apply(person, values, only_empty=True)
    changes.update(set_properties(session, person, properties or {}, only_empty=True))
    if changes:
        person.updated_at = now
        _refresh(session, person)
        events.record(session, kind=events.PERSON_UPDATED, at=now, person_id=person.id,
                      relation_id=person.relation_id, user_id=actor.id, changes=changes,
                      source=source)
    return changes


def edit_person(*, session: Session, actor: Actor, now: datetime, person_id: int,
                data: PersonData) -> dict[str, list[Any]]:
    """Change the given fields (and properties); returns the changes recorded."""
    permissions.require(actor, EDIT)
    person = get_person(session, person_id)
    changes = _apply(person, data.values())
    if data.relation is not None:
        relation = relation_by_number(session, data.relation) if data.relation else None
        rid = relation.id if relation else None
        if rid != person.relation_id:
            if person.campaign_contact:
                raise InvalidState(f"person {person_id} is the campaign contact of their "
                                   "relation: change the client file instead")
            changes["relation_id"] = [person.relation_id, rid]
            person.relation_id = rid
    changes.update(set_properties(session, person, data.properties))
    if changes:
        person.updated_at = now
        _refresh(session, person)
        events.record(session, kind=events.PERSON_UPDATED, at=now, person_id=person.id,
                      relation_id=person.relation_id, user_id=actor.id, changes=changes)
    session.commit()
    return changes


def label_person(*, session: Session, actor: Actor, now: datetime, person_id: int,
                 label: str) -> dict[str, list[Any]]:
    return edit_person(session=session, actor=actor, now=now, person_id=person_id,
                       data=PersonData(label=label))


def delete_person(*, session: Session, actor: Actor, now: datetime, person_id: int,
                  files_root: Path | None = None) -> str:
    """Delete a person for good (admin): their card goes (notes, signals, files: the
    bytes too when no other row names them), dossiers stay without them, events keep
    with ``person_id`` NULL, a campaign's snapshot keeps its copy of the name."""
    permissions.require(actor, DELETE)
    from quickcrm.crm import filestore

    person = get_person(session, person_id)
    name = name_of(person)
    shas = filestore.shas_of_person(session, person_id)
    events.record(session, kind=events.PERSON_DELETED, at=now, person_id=person.id,
                  relation_id=person.relation_id, user_id=actor.id, name=name,
                  deleted_person_id=person.id)
    session.delete(person)
    session.commit()
    if files_root is not None and shas:
        filestore.forget_unused(session, files_root, shas)
    return name


# --- merge ---------------------------------------------------------------------------------

# Child tables whose rows simply move; (table, column) of tables keyed by person that
# may hold the same key for both (moved where the kept person lacks it).
_MOVE = (("note", "person_id"), ("signal", "person_id"), ("stored_file", "person_id"),
         ("person_email", "person_id"), ("identification", "person_id"),
         ("risk_classification", "person_id"), ("event", "person_id"),
         ("campaign_client", "person_id"), ("landing_visitor", "person_id"))
_MOVE_KEYED = (("person_indicator", "indicator_id"), ("property_value", "property_id"),
               ("dossier_applicant", "dossier_id"), ("person_link", "relation_id"),
               ("person_pair", "other_id"))


def merge_persons(*, session: Session, actor: Actor, now: datetime, keep_id: int,
                  other_id: int) -> dict[str, int]:
    """Merge ``other`` into ``keep``: its notes, signals, files, e-mails, risk and
    identification records, events and campaign links move, empty fields of ``keep``
    are filled from it, and it is deleted. Refused when both are campaign contacts of
    two different relations (each relation keeps one campaign contact)."""
    permissions.require(actor, EDIT)
    if keep_id == other_id:
        raise InvalidInput("give two different persons")
    keep, other = get_person(session, keep_id), get_person(session, other_id)
    if other.campaign_contact and keep.relation_id not in (None, other.relation_id):
        raise InvalidState(f"persons {keep_id} and {other_id} belong to two relations and "
                           f"{other_id} is a campaign contact: not merged")
    if keep.campaign_contact and other.campaign_contact and keep.relation_id != other.relation_id:
        raise InvalidState(f"persons {keep_id} and {other_id} are campaign contacts of two "
                           "relations: not merged")
    conn = session.connection()
    m = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    moved: dict[str, int] = {}
    for table, column in _MOVE_KEYED:
        moved[table] = conn.exec_driver_sql(
            f"UPDATE {table} SET person_id = {m} WHERE person_id = {m} AND {column} NOT IN "
            f"(SELECT {column} FROM {table} WHERE person_id = {m})",
            (keep_id, other_id, keep_id)).rowcount
    conn.exec_driver_sql(f"DELETE FROM person_pair WHERE person_id = {m} AND other_id = {m}",
                         (keep_id, keep_id))
    conn.exec_driver_sql(f"UPDATE person_pair SET other_id = {m} WHERE other_id = {m} AND "
                         f"person_id NOT IN (SELECT person_id FROM person_pair WHERE "
                         f"other_id = {m}) AND person_id <> {m}",
                         (keep_id, other_id, keep_id, keep_id))
    for table, column in _MOVE:
        moved[table] = conn.exec_driver_sql(
            f"UPDATE {table} SET {column} = {m} WHERE {column} = {m}",
            (keep_id, other_id)).rowcount
    values = {f: getattr(other, f) for f in PERSON_FIELDS}
    changes = _apply(keep, {k: v for k, v in values.items() if v not in ("", None)},
                     only_empty=True)
    contact = other.campaign_contact
    relation_id = other.relation_id
    name = name_of(other)
    session.delete(other)
    session.flush()
    if keep.relation_id is None and relation_id is not None:
        changes["relation_id"] = [None, relation_id]
        keep.relation_id = relation_id
    if contact and not keep.campaign_contact:
        keep.campaign_contact = True
        changes["campaign_contact"] = [False, True]
    keep.updated_at = now
    _refresh(session, keep)
    events.record(session, kind=events.PERSON_MERGED, at=now, person_id=keep.id,
                  relation_id=keep.relation_id, user_id=actor.id, merged_person_id=other_id,
                  merged_name=name, changes=changes,
                  moved={k: v for k, v in moved.items() if v})
    session.commit()
    return moved


# --- search and overview -------------------------------------------------------------------

def search_persons(*, session: Session, text: str, limit: int = 50) -> dict[str, Any]:
    """Persons whose first name, last name or e-mail address has a word starting with
    each word of ``text`` (any case, accents ignored), or whose whole last name starts
    with it. Range scans on the indexed keys, walked in key order: the first ``limit``
    come alphabetically by the name word they matched, and counting them all reads the
    index only, so a search costs about what the bare range lookups cost."""
    query = search_keys.normalise(text)
    if not query:
        raise InvalidInput("give a text to search for")
    terms = ([query] if "@" in query else search_keys.words(query)) or [query]
    k = PersonKey.__table__.c  # type: ignore[attr-defined]

    def in_range(prefix: str, column: Any = k.key) -> Any:
        low, high = search_keys.prefix_range(prefix)
        return and_(column >= low, column < high)

    def ids(prefix: str) -> Any:
        return select(k.person_id).where(in_range(prefix))

    match: Any = and_(in_range(terms[0]), *(k.person_id.in_(ids(t)) for t in terms[1:]))
    if len(terms) > 1 or terms[0] != query:
        match = or_(match, in_range(query))  # "van den b": the whole last name
    total = session.execute(select(func.count(func.distinct(k.person_id))).where(match)
                            ).scalar_one()
    order: list[int] = []
    for (pid,) in session.execute(select(k.person_id).where(match)
                                  .order_by(k.key, k.person_id).limit(limit * 6 + 8)):
        if pid not in order:
            order.append(pid)
            if len(order) == limit:
                break
    p = Person.__table__.c  # type: ignore[attr-defined]
    r = Relation.__table__.c  # type: ignore[attr-defined]
    rows = {row[0]: row for row in session.execute(
        select(p.id, p.first_name, p.last_name, p.email, r.number, r.company)
        .select_from(Person.__table__.outerjoin(Relation.__table__, r.id == p.relation_id))  # type: ignore[attr-defined]
        .where(p.id.in_(order)))} if order else {}
    return {"persons": [{"id": i, "first_name": f, "last_name": ln, "email": e,
                         "relation_number": n, "company": c or ""}
                        for i, f, ln, e, n, c in (rows[pid] for pid in order)], "total": total}


def overview(*, session: Session) -> dict[str, Any]:
    """The CRM overview: persons per component and the ten last created or changed."""
    p = Person.__table__.c  # type: ignore[attr-defined]
    r = Relation.__table__.c  # type: ignore[attr-defined]
    joined = Person.__table__.outerjoin(Relation.__table__, r.id == p.relation_id)  # type: ignore[attr-defined]

    def count(*where: Any) -> int:
        return int(session.execute(select(func.count()).select_from(joined).where(*where))
                   .scalar_one())

    lead = or_(p.relation_id.is_(None), r.stage.in_(("suspect", "prospect")))
    counts = {
        "leads": count(p.party_type == "", lead),
        "clients": count(p.party_type == "", p.relation_id.is_not(None),
                         r.stage.not_in(("suspect", "prospect"))),
        "other_parties": count(p.party_type != ""),
        "relations": int(session.execute(select(func.count()).select_from(Relation)).scalar_one()),
    }
    changed = func.coalesce(p.updated_at, p.created_at)
    latest = [{"id": i, "name": " ".join(x for x in (f, ln) if x), "email": e,
               "relation_number": n, "changed_at": at, "created": at == created}
              for i, f, ln, e, n, at, created in session.execute(
                  select(p.id, p.first_name, p.last_name, p.email, r.number, changed,
                         p.created_at).select_from(joined)
                  .order_by(changed.desc(), p.id.desc()).limit(10))]
    return {"counts": counts, "latest": latest}


def add_relation(*, session: Session, actor: Actor, now: datetime, number: str,
                 company: str, city: str = "", stage: str = "customer") -> Relation:
    """Add one relation by hand ("een relatie toevoegen"; otherwise imports do)."""
    from quickcrm.codes import parse_stage

    permissions.require(actor, "add clients")
    number = clean(number)
    if not number or len(number) > 50:
        raise InvalidInput("a relation number has 1 to 50 characters")
    if session.execute(select(col(Relation.id)).where(col(Relation.number) == number)).first():
        raise InvalidState(f"relation {number!r} already exists")
    relation = Relation(number=number, company=clean(company)[:300], city=clean(city)[:120],
                        stage=parse_stage(stage) or "customer", created_at=now,
                        updated_at=now, segments_at=now)
    session.add(relation)
    session.flush()
    events.record(session, kind=events.RELATION_CREATED, at=now, relation_id=relation.id,
                  user_id=actor.id, source="manual")
    session.commit()
    return relation


# --- properties and indicators -------------------------------------------------------------

def define_property(*, session: Session, actor: Actor, now: datetime, name: str, type: str,
                    choices: list[str] | None = None) -> PropertyDef:
    permissions.require(actor, DEFINE)
    name = clean(name)
    if type not in PROPERTY_TYPES:
        raise InvalidInput(f"unknown property type {type!r} (expected {', '.join(PROPERTY_TYPES)})")
    if not name or len(name) > 100:
        raise InvalidInput("a property name has 1 to 100 characters")
    if type == "choice" and not choices:
        raise InvalidInput("a choice property needs --choices")
    if session.execute(select(PropertyDef).where(
            func.lower(col(PropertyDef.name)) == name.lower())).first():
        raise InvalidState(f"property {name!r} already exists")
    prop = PropertyDef(name=name, type=type, choices=json.dumps(
        [clean(c) for c in choices or []], ensure_ascii=False), created_at=now)
    session.add(prop)
    session.commit()
    return prop


def property_by_name(session: Session, name: str) -> PropertyDef:
    prop = session.execute(select(PropertyDef).where(
        func.lower(col(PropertyDef.name)) == clean(name).lower())).scalar_one_or_none()
    if prop is None:
        raise NotFound(f"unknown property {name!r}")
    return prop


def typed_value(prop: PropertyDef, text: str) -> tuple[str, float | None, date | None]:
    """(text, number, date) to store for ``text`` as a value of ``prop``."""
    value = clean(text)
    if prop.type == "number":
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            raise InvalidInput(f"property {prop.name!r} takes a number, not {text!r}") from None
        return value, number, None
    if prop.type == "date":
        day = parse_date(value, f"property {prop.name!r}:")
        return day.isoformat(), None, day
    if prop.type == "choice":
        options = json.loads(prop.choices)
        hit = next((o for o in options if o.lower() == value.lower()), None)
        if hit is None:
            raise InvalidInput(f"property {prop.name!r} takes one of {', '.join(options)}, "
                               f"not {text!r}")
        return hit, None, None
    if len(value) > 500:
        raise InvalidInput(f"property {prop.name!r}: longer than 500 characters")
    return value, None, None


def set_properties(session: Session, person: Person, values: dict[str, str], *,
                   only_empty: bool = False) -> dict[str, list[Any]]:
    """Set property values (an empty text clears one); returns the changes."""
    changes: dict[str, list[Any]] = {}
    if not values:
        return changes
    session.flush()
    for name, text in values.items():
        prop = property_by_name(session, name)
        assert prop.id is not None and person.id is not None
        row = session.get(PropertyValue, (person.id, prop.id))
        old = row.value if row else ""
        if only_empty and old:
            continue
        if not clean(text):
            if row is not None:
                session.delete(row)
                changes[f"property:{prop.name}"] = [old, ""]
            continue
        value, number, day = typed_value(prop, text)
        if value == old:
            continue
        if row is None:
            row = PropertyValue(person_id=person.id, property_id=prop.id)
            session.add(row)
        row.value, row.number, row.day = value, number, day
        changes[f"property:{prop.name}"] = [old, value]
    return changes


def define_indicator(*, session: Session, actor: Actor, name: str,
                     show_in_dossier: bool = False) -> Indicator:
    permissions.require(actor, DEFINE)
    name = clean(name)
    if not name or len(name) > 100:
        raise InvalidInput("an indicator name has 1 to 100 characters")
    if session.execute(select(Indicator).where(
            func.lower(col(Indicator.name)) == name.lower())).first():
        raise InvalidState(f"indicator {name!r} already exists")
    indicator = Indicator(name=name, show_in_dossier=show_in_dossier)
    session.add(indicator)
    session.commit()
    return indicator


def indicator_by_name(session: Session, name: str) -> Indicator:
    found = session.execute(select(Indicator).where(
        func.lower(col(Indicator.name)) == clean(name).lower())).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown indicator {name!r}")
    return found


def list_indicators(*, session: Session) -> list[Indicator]:
    return list(session.execute(select(Indicator).order_by(col(Indicator.name))).scalars())


def set_indicator(*, session: Session, actor: Actor, now: datetime, person_id: int,
                  name: str, on: bool) -> bool:
    """Attach (``on``) or detach an indicator; False when nothing changed."""
    permissions.require(actor, EDIT)
    person = get_person(session, person_id)
    indicator = indicator_by_name(session, name)
    row = session.get(PersonIndicator, (person_id, indicator.id))
    if (row is not None) == on:
        return False
    if on:
        assert indicator.id is not None
        session.add(PersonIndicator(person_id=person_id, indicator_id=indicator.id))
    else:
        session.delete(row)
    person.updated_at = now
    events.record(session, kind=events.PERSON_UPDATED, at=now, person_id=person_id,
                  relation_id=person.relation_id, user_id=actor.id,
                  changes={f"indicator:{indicator.name}": [not on, on]})
    session.commit()
    return True


# --- relations between persons, links to relations -----------------------------------------

INVERSE = {"ouder": "kind", "kind": "ouder", "moeder": "kind", "vader": "kind",
           "partner": "partner", "collega": "collega", "broer": "broer/zus",
           "zus": "broer/zus", "werkgever": "werknemer", "werknemer": "werkgever"}


def relate_persons(*, session: Session, actor: Actor, now: datetime, person_id: int,
                   other_id: int, type: str, inverse: str | None = None,
                   undo: bool = False) -> None:
    """Put two persons in relation (each card shows the other with its type), or undo."""
    permissions.require(actor, EDIT)
    person, other = get_person(session, person_id), get_person(session, other_id)
    if person_id == other_id:
        raise InvalidInput("a person cannot be related to themselves")
    kind = clean(type).lower()
    back = clean(inverse).lower() if inverse else INVERSE.get(kind, kind)
    if not kind or len(kind) > 60 or len(back) > 60:
        raise InvalidInput("a relation type has 1 to 60 characters")
    session.execute(delete(PersonPair).where(
        or_((col(PersonPair.person_id) == person_id) & (col(PersonPair.other_id) == other_id),
            (col(PersonPair.person_id) == other_id) & (col(PersonPair.other_id) == person_id))))
    if not undo:
        session.add(PersonPair(person_id=person_id, other_id=other_id, type=kind))
        session.add(PersonPair(person_id=other_id, other_id=person_id, type=back))
    for who, them, what in ((person, other_id, kind), (other, person_id, back)):
        events.record(session, kind=events.PERSON_UPDATED, at=now, person_id=who.id,
                      relation_id=who.relation_id, user_id=actor.id,
                      changes={f"person:{them}": [what, None] if undo else [None, what]})
    session.commit()


def link_relation(*, session: Session, actor: Actor, now: datetime, person_id: int,
                  number: str, role: str, undo: bool = False) -> None:
    """A role of the person at another relation (DGA of a holding, bestuurder...)."""
    permissions.require(actor, EDIT)
    get_person(session, person_id)
    relation = relation_by_number(session, number)
    role = clean(role).lower()
    if not undo and (not role or len(role) > 60):
        raise InvalidInput("a role has 1 to 60 characters")
    row = session.get(PersonLink, (person_id, relation.id))
    old = row.role if row else None
    if undo:
        if row is not None:
            session.delete(row)
    elif row is None:
        assert relation.id is not None
        session.add(PersonLink(person_id=person_id, relation_id=relation.id, role=role))
    else:
        row.role = role
    events.record(session, kind=events.PERSON_UPDATED, at=now, person_id=person_id,
                  relation_id=relation.id, user_id=actor.id,
                  changes={f"link:{relation.number}": [old, None if undo else role]})
    session.commit()


def more_at_address(session: Session, person: Person) -> dict[str, list[dict[str, Any]]]:
    """Persons and relations at the same postcode + house number ("meer op dit adres")."""
    if not person.address_key:
        return {"persons": [], "relations": []}
    persons = [{"id": p.id, "name": name_of(p)} for p in session.execute(
        select(Person).where(col(Person.address_key) != "",
                             col(Person.address_key) == person.address_key,
                             col(Person.id) != person.id).limit(50)).scalars()]
    code = person.address_key.split(" ")[0]
    relations = []
    for r in session.execute(select(Relation).where(
            func.lower(func.replace(col(Relation.postcode), " ", "")) == code).limit(200)).scalars():
        if search_keys.address_key(r.address, r.postcode) == person.address_key:
            relations.append({"number": r.number, "company": r.company})
    return {"persons": persons, "relations": relations}


# --- risk classification and identification ------------------------------------------------

def classify_risk(*, session: Session, actor: Actor, now: datetime, tz: str, person_id: int,
                  risk_class: str, motivation: str, source: str = "handmatig",
                  review_days: dict[str, int] | None = None) -> RiskClassification:
    """Append a risk classification; beyond the seed, a review signal for the RM at the
    class's review date (settings ``risk.review_hoog_days`` / ``risk.review_laag_days``)."""
    from quickcrm.crm import signals

    permissions.require(actor, EDIT)
    person = get_person(session, person_id)
    risk_class = risk_class.strip().lower()
    if risk_class not in RISK_CLASSES:
        raise InvalidInput(f"unknown risk class {risk_class!r} (expected {', '.join(RISK_CLASSES)})")
    if source not in RISK_SOURCES:
        raise InvalidInput(f"unknown source {source!r} (expected {', '.join(RISK_SOURCES)})")
    motivation = clean(motivation)
    if not motivation:
        raise InvalidInput("give a --motivation")
    previous = session.execute(select(col(RiskClassification.risk_class)).where(
        col(RiskClassification.person_id) == person_id)
        .order_by(col(RiskClassification.at).desc(), col(RiskClassification.id).desc())
        .limit(1)).scalar()  # the audit trail's old value (issue 29)
    row = RiskClassification(person_id=person_id, risk_class=risk_class, motivation=motivation,
                             source=source, user_id=actor.id, at=now)
    session.add(row)
    session.flush()
    days = (review_days or {}).get(risk_class)
    if days:
        from quickcrm.clock import local_date

        signals.add_signal(session=session, actor=actor, now=now, tz=tz, person_id=person_id,
                           title=f"risicoclassificatie herzien ({risk_class})",
                           due=local_date(now, tz) + timedelta(days=days),
                           for_user_id=rm_of(session, person) or actor.id,
                           ref=f"risk:{row.id}", commit=False)
    events.record(session, kind=events.PERSON_RISK_CLASSIFIED, at=now, person_id=person_id,
                  relation_id=person.relation_id, user_id=actor.id, risk_class=risk_class,
                  source=source, risk_id=row.id,
                  changes={"risk_class": [previous, risk_class]})
    session.commit()
    return row


def risk_history(session: Session, person_id: int) -> list[RiskClassification]:
    get_person(session, person_id)
    return list(session.execute(select(RiskClassification).where(
        col(RiskClassification.person_id) == person_id)
        .order_by(col(RiskClassification.at).desc(), col(RiskClassification.id).desc())).scalars())


def identify(*, session: Session, actor: Actor, now: datetime, tz: str, person_id: int,
             method: str, document: str, number: str, expires: str,
             by_user_id: int | None = None) -> Identification:
    """Record how the identity was checked; beyond the seed, a signal for the RM 30 days
    before the document expires."""
    from quickcrm.crm import signals

    permissions.require(actor, EDIT)
    person = get_person(session, person_id)
    values = {"method": clean(method), "document": clean(document), "number": clean(number)}
    for key, value in values.items():
        if not value or len(value) > 60:
            raise InvalidInput(f"--{key} has 1 to 60 characters")
    until = parse_date(expires, "--expires")
    last = session.execute(select(Identification).where(
        col(Identification.person_id) == person_id)
        .order_by(col(Identification.at).desc(), col(Identification.id).desc())
        .limit(1)).scalar_one_or_none()  # the audit trail's old values (issue 29)
    row = Identification(person_id=person_id, method=values["method"],
                         document=values["document"], number=values["number"], expires=until,
                         by_id=by_user_id or actor.id, at=now)
    session.add(row)
    session.flush()
    signals.add_signal(session=session, actor=actor, now=now, tz=tz, person_id=person_id,
                       title=f"identiteitsbewijs verloopt op {until.strftime('%d-%m-%Y')}",
                       due=max(until - timedelta(days=30), now.date()),
                       for_user_id=rm_of(session, person) or actor.id,
                       ref=f"identification:{row.id}", commit=False)
    events.record(session, kind=events.PERSON_IDENTIFIED, at=now, person_id=person_id,
                  relation_id=person.relation_id, user_id=actor.id, method=row.method,
                  document=row.document, identification_id=row.id, by_id=row.by_id,
                  changes={"method": [last.method if last else None, row.method],
                           "document": [last.document if last else None, row.document],
                           "expires": [last.expires.isoformat() if last else None,
                                       until.isoformat()]})
    session.commit()
    return row


def rm_of(session: Session, person: Person) -> int | None:
    """The relationship manager of the person's relation, if any."""
    if person.relation_id is None:
        return None
    relation = session.get(Relation, person.relation_id)
    return relation.rm_id if relation else None


def update_person_values(person: Person) -> dict[str, Any]:
    """The person's own fields as a plain dict (for JSON and the card)."""
    out = {f.name: getattr(person, f.name) for f in fields(PersonData)
           if f.name in PERSON_FIELDS}
    out["id"] = person.id
    return out


def require_edit(actor: Actor) -> None:
    permissions.require(actor, EDIT)



# --- the card ------------------------------------------------------------------------------

def person_card(*, session: Session, person_id: int) -> dict[str, Any]:
    """Everything the card shows: indicators (above the name), data and properties,
    dossiers, products, relations and links, card e-mails, notes (pinned first,
    priority marked), the open signal count, "meer op dit adres" and the risk class."""
    from quickcrm.crm import dossiers, notes
    from quickcrm.crm.models import PersonEmail, Signal

    person = get_person(session, person_id)
    relation = session.get(Relation, person.relation_id) if person.relation_id else None
    indicators = list(session.execute(
        select(col(Indicator.name)).join(PersonIndicator,
                                    col(PersonIndicator.indicator_id) == col(Indicator.id))
        .where(col(PersonIndicator.person_id) == person_id).order_by(col(Indicator.name))).scalars())
    properties = {name: value for name, value in session.execute(
        select(col(PropertyDef.name), col(PropertyValue.value))
        .join(PropertyValue, col(PropertyValue.property_id) == col(PropertyDef.id))
        .where(col(PropertyValue.person_id) == person_id).order_by(col(PropertyDef.name)))}
    pairs = [{"id": pid, "name": " ".join(x for x in (f, ln) if x), "type": t}
             for pid, f, ln, t in session.execute(
                 select(col(Person.id), col(Person.first_name), col(Person.last_name), col(PersonPair.type))
                 .join(PersonPair, col(PersonPair.other_id) == col(Person.id))
                 .where(col(PersonPair.person_id) == person_id))]
    links = [{"number": n, "company": c, "role": r} for n, c, r in session.execute(
        select(col(Relation.number), col(Relation.company), col(PersonLink.role))
        .join(PersonLink, col(PersonLink.relation_id) == col(Relation.id))
        .where(col(PersonLink.person_id) == person_id).order_by(col(Relation.number)))]
    own_dossiers = dossiers.list_dossiers(session=session, person_id=person_id)
    products = [{**p, "dossier": d["number"]} for d in own_dossiers for p in d["products"]]
    emails = [{"direction": e.direction, "at": e.at, "subject": e.subject, "from": e.sender,
               "to": e.recipient} for e in session.execute(
        select(PersonEmail).where(col(PersonEmail.person_id) == person_id)
        .order_by(col(PersonEmail.at).desc())).scalars()]
    open_signals = session.execute(select(func.count()).select_from(Signal).where(
        col(Signal.person_id) == person_id, col(Signal.done_at).is_(None))).scalar_one()
    risk = session.execute(select(RiskClassification).where(
        col(RiskClassification.person_id) == person_id)
        .order_by(col(RiskClassification.at).desc(), col(RiskClassification.id).desc())
        .limit(1)).scalar_one_or_none()
    return {
        "id": person.id, "indicators": indicators, "name": name_of(person),
        **{f: getattr(person, f) for f in PERSON_FIELDS},
        "relation_number": relation.number if relation else None,
        "company": relation.company if relation else "",
        "campaign_contact": person.campaign_contact, "opted_out": person.opted_out,
        "properties": properties, "dossiers": own_dossiers, "products": products,
        "relations": pairs, "links": links, "emails": emails,
        "notes": notes.list_notes(session=session, person_id=person_id),
        "open_signals": open_signals,
        "risk": {"class": risk.risk_class, "at": risk.at, "source": risk.source} if risk else None,
        "same_address": more_at_address(session, person),
    }
