"""The query manager (seed 001, "Een selectie personen vinden"): persons matching every
condition ``FIELD OP VALUE`` over whitelisted built-in fields, the admin's properties
(except free text ones, as the seed says), indicators and products; saved per user
("Jouw collega's zien deze zoekopdracht niet") and exported to Excel.

One row per person, with products judged on their latest dossier; with
``include_old`` one row per dossier (the seed's "oude dossiers": Sabina Lachtmans with
two dossiers shows twice). Field names come from the whitelist, never from the user's
text into SQL; every value is bound.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, exists, func, not_, select
from sqlmodel import Session, col

from quickcrm import permissions
from quickcrm.codes import SEGMENTS, parse_stage
from quickcrm.crm.models import (
    Dossier,
    DossierApplicant,
    DossierProduct,
    Indicator,
    PersonIndicator,
    PropertyDef,
    PropertyValue,
    SavedQuery,
)
from quickcrm.crm.persons import clean, parse_date
from quickcrm.errors import InvalidInput, InvalidState, NotFound
from quickcrm.permissions import Actor
from quickcrm.store.models import Person, Relation

OPS = ("=", "!=", "<", ">", "<=", ">=", "startswith", "has", "hasnot")
_SYMBOL = re.compile(r"^\s*(.+?)\s*(!=|<=|>=|=|<|>)\s*(.*?)\s*$")
_WORD = re.compile(r"^\s*(.+?)\s+(startswith|hasnot|has)\s+(.*?)\s*$", re.IGNORECASE)
P = Person.__table__.c  # type: ignore[attr-defined]
R = Relation.__table__.c  # type: ignore[attr-defined]
# built-in field -> column (person or relation); segments compare codes
BUILT_IN: dict[str, Any] = {
    "first_name": P.first_name, "last_name": P.last_name, "email": P.email, "phone": P.phone,
    "address": P.address, "postcode": P.postcode, "city": P.city, "label": P.label,
    "party_type": P.party_type, "date_of_birth": P.date_of_birth, "created_at": P.created_at,
    "relation_number": R.number, "company": R.company, "stage": R.stage,
    **{name: getattr(R, name) for name in SEGMENTS},
}
HEADERS = ("Id", "Voornaam", "Achternaam", "E-mail", "Telefoon", "Adres", "Postcode",
           "Plaats", "Relatienummer", "Bedrijf", "Dossier")


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value}"


def parse_condition(text: str) -> Condition:
    found = _WORD.match(text) or _SYMBOL.match(text)
    if not found:
        raise InvalidInput(f"condition {text!r}: expected FIELD OP VALUE with OP one of "
                           f"{' '.join(OPS)}")
    field, op, value = found.group(1).strip(), found.group(2).lower(), clean(found.group(3))
    return Condition(field, op, value)


def _compare(column: Any, op: str, value: Any) -> Any:
    if op == "=":
        return column == value
    if op == "!=":
        return column != value
    if op == "<":
        return column < value
    if op == ">":
        return column > value
    if op == "<=":
        return column <= value
    if op == ">=":
        return column >= value
    raise AssertionError(op)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(session: Session, cond: Condition, dossier_id: Any) -> Any:
    """The SQL condition for one ``cond`` (``dossier_id``: the dossier a product is
    judged on)."""
    name, op, value = cond.field.lower().replace(" ", "_"), cond.op, cond.value
    if name in ("indicator", "indicators"):
        if op not in ("has", "hasnot", "=", "!="):
            raise InvalidInput(f"condition {cond}: indicator takes has or hasnot")
        found = session.execute(select(col(Indicator.id)).where(
            func.lower(col(Indicator.name)) == value.lower())).scalar_one_or_none()
        if found is None:
            raise NotFound(f"unknown indicator {value!r}")
        test = exists().where(PersonIndicator.person_id == P.id,  # type: ignore[arg-type]
                              PersonIndicator.indicator_id == found)  # type: ignore[arg-type]
        return test if op in ("has", "=") else not_(test)
    if name in ("product", "products"):
        if op not in ("has", "hasnot", "=", "!="):
            raise InvalidInput(f"condition {cond}: product takes has or hasnot")
        test = exists().where(DossierProduct.dossier_id == dossier_id,  # type: ignore[arg-type]
                              DossierProduct.type == value.lower())  # type: ignore[arg-type]
        return test if op in ("has", "=") else not_(test)
    if op in ("has", "hasnot"):
        raise InvalidInput(f"condition {cond}: has and hasnot are for indicator and product")
    if name in BUILT_IN:
        column = BUILT_IN[name]
        typed: Any = value
        if name in SEGMENTS:
            typed = SEGMENTS[name].parse(value) if value else None
        elif name == "stage":
            typed = parse_stage(value)
        elif name == "date_of_birth":
            typed = parse_date(value) if value else None
        elif name == "created_at":
            typed = datetime.fromisoformat(value)
        elif name == "email":
            typed = value.lower()
        if op == "startswith":  # any case, alike on both databases
            return func.lower(column).like(_escape_like(str(typed).lower()) + "%", escape="\\")
        if typed is None and op in ("=", "!="):
            return column.is_(None) if op == "=" else column.is_not(None)
        return _compare(column, op, typed)
    prop = session.execute(select(PropertyDef).where(
        func.lower(col(PropertyDef.name)) == cond.field.strip().lower())).scalar_one_or_none()
    if prop is None:
        raise NotFound(f"unknown field or property {cond.field!r} (fields: "
                       f"{', '.join(sorted(BUILT_IN))}, indicator, product, or a property)")
    if prop.type == "text":
        raise InvalidInput(f"property {prop.name!r} is a free text field: the query manager "
                           "does not search it")
    V = PropertyValue
    if prop.type == "number":
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            raise InvalidInput(f"condition {cond}: {prop.name!r} takes a number") from None
        if op == "startswith":
            raise InvalidInput(f"condition {cond}: startswith is for text")
        inner = _compare(V.number, op, number)
    elif prop.type == "date":
        if op == "startswith":
            raise InvalidInput(f"condition {cond}: startswith is for text")
        inner = _compare(V.day, op, parse_date(value, f"condition {cond}:"))
    else:
        inner = (func.lower(V.value).like(_escape_like(value.lower()) + "%", escape="\\")
                 if op == "startswith" else _compare(func.lower(V.value), op, value.lower()))
    return exists().where(V.person_id == P.id, V.property_id == prop.id, inner)  # type: ignore[arg-type]


def build_query(session: Session, conditions: list[Condition], include_old: bool) -> Any:
    person_rel = Person.__table__.outerjoin(Relation.__table__, R.id == P.relation_id)  # type: ignore[attr-defined]
    A = DossierApplicant.__table__.c  # type: ignore[attr-defined]
    D = Dossier.__table__.c  # type: ignore[attr-defined]
    if include_old:
        frm = person_rel.outerjoin(DossierApplicant.__table__, A.person_id == P.id  # type: ignore[attr-defined]
                                   ).outerjoin(Dossier.__table__, D.id == A.dossier_id)  # type: ignore[attr-defined]
        dossier_id = D.id
        number = D.number
    else:
        frm = person_rel
        latest = (select(A.dossier_id).select_from(DossierApplicant.__table__.join(  # type: ignore[attr-defined]
            Dossier.__table__, D.id == A.dossier_id))  # type: ignore[attr-defined]
            .where(A.person_id == P.id).order_by(D.created_at.desc(), D.id.desc()).limit(1)
            .correlate(Person.__table__).scalar_subquery())  # type: ignore[attr-defined]
        dossier_id = latest
        number = (select(D.number).where(D.id == latest).correlate(Person.__table__)  # type: ignore[attr-defined]
                  .scalar_subquery())
    where = [_where(session, c, dossier_id) for c in conditions]
    return (select(P.id, P.first_name, P.last_name, P.email, P.phone, P.address, P.postcode,
                   P.city, R.number, R.company, number.label("dossier"))
            .select_from(frm).where(and_(True, *where))
            .order_by(P.last_name, P.first_name, P.id))


def run_query(*, session: Session, actor: Actor, conditions: list[str],
              include_old: bool = False, limit: int | None = None) -> dict[str, Any]:
    """The matching rows (``limit``: the first ones) and how many match in all."""
    _ = actor
    parsed = [parse_condition(c) for c in conditions]
    found = session.execute(build_query(session, parsed, include_old)).all()  # one statement
    total, rows = len(found), found[:limit] if limit else found
    keys = ("id", "first_name", "last_name", "email", "phone", "address", "postcode", "city",
            "relation_number", "company", "dossier")
    return {"conditions": [str(c) for c in parsed], "include_old_dossiers": include_old,
            "rows": [dict(zip(keys, r, strict=True)) for r in rows], "total": total}


def save_query(*, session: Session, actor: Actor, now: datetime, name: str,
               conditions: list[str], include_old: bool) -> SavedQuery:
    """Save for the acting user only (a colleague's list never shows it)."""
    name = clean(name)
    if not name or len(name) > 100:
        raise InvalidInput("a saved query's name has 1 to 100 characters")
    checked = [str(parse_condition(c)) for c in conditions]
    build_query(session, [parse_condition(c) for c in checked], include_old)  # refuse bad ones
    row = session.execute(select(SavedQuery).where(
        col(SavedQuery.user_id) == actor.id, col(SavedQuery.name) == name)).scalar_one_or_none()
    if row is None:
        row = SavedQuery(user_id=actor.id, name=name, created_at=now)
        session.add(row)
    row.conditions = json.dumps(checked, ensure_ascii=False)
    row.include_old = include_old
    session.commit()
    return row


def saved_query(session: Session, actor: Actor, name: str) -> SavedQuery:
    row = session.execute(select(SavedQuery).where(
        col(SavedQuery.user_id) == actor.id, col(SavedQuery.name) == clean(name))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"unknown saved query {name!r}")
    return row


def list_saved(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    return [{"name": q.name, "conditions": json.loads(q.conditions),
             "include_old_dossiers": q.include_old} for q in session.execute(
        select(SavedQuery).where(col(SavedQuery.user_id) == actor.id)
        .order_by(col(SavedQuery.name))).scalars()]


def export_persons(*, session: Session, actor: Actor, path: Path, conditions: list[str],
                   include_old: bool = False) -> int:
    """Write the matching persons (all, without conditions) to .xlsx (Dutch headers;
    text cells typed as text, so a name like ``=HYPERLINK(…)`` is never a formula)."""
    from quickcrm.documents.tabular import XlsxWriter

    permissions.require(actor, "export persons")
    if path.suffix.lower() != ".xlsx":
        raise InvalidInput(f"{path}: the export is an .xlsx file")
    if not path.parent.is_dir():
        raise InvalidState(f"{path.parent}: no such folder")
    query = build_query(session, [parse_condition(c) for c in conditions], include_old)
    n = 0
    with XlsxWriter(path, HEADERS, title="Personen") as sheet:
        for row in session.execute(query):
            sheet.append([row[0], *[v or "" for v in row[1:]]])
            n += 1
    return n
