"""Dossiers (seed 001: "Bij het aanmaken van een nieuw dossier", "Gerelateerde
dossiers"): a request for products (hypotheek, woonlastenverzekering...) with one or
more applicants. Applicants are references to persons, so an edit on the card shows
on the dossier and the other way round. ``import dossiers`` is the seed's automatic
path: unknown persons are created, known ones only get their empty fields filled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from quickcrm import events, permissions
from quickcrm.crm.models import (
    Dossier,
    DossierApplicant,
    DossierProduct,
    Indicator,
    Note,
    PersonIndicator,
)
from quickcrm.crm.persons import (
    EDIT,
    PersonData,
    add_person,
    clean,
    fill_person,
    get_person,
    likely_duplicates,
    name_of,
)
from quickcrm.errors import FileProblems, InvalidInput, InvalidState, NotFound, Problem
from quickcrm.permissions import Actor
from quickcrm.store.models import Person


def parse_product(text: str) -> tuple[str, str]:
    """``hypotheek:aangevraagd`` -> ("hypotheek", "aangevraagd")."""
    kind, _, status = clean(text).partition(":")
    kind, status = kind.strip().lower(), status.strip().lower()
    if not kind or len(kind) > 60 or len(status) > 60:
        raise InvalidInput(f"product {text!r}: give TYPE or TYPE:STATUS (at most 60 characters each)")
    return kind, status


def dossier_by_number(session: Session, number: str) -> Dossier:
    found = session.execute(select(Dossier).where(
        col(Dossier.number) == number.strip())).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown dossier {number!r}")
    return found


def _next_number(session: Session) -> str:
    top = session.execute(select(func.max(Dossier.id))).scalar_one() or 0
    number = f"D{top + 1:06d}"
    while session.execute(select(col(Dossier.id)).where(col(Dossier.number) == number)).first():
        top += 1
        number = f"D{top + 1:06d}"
    return number


@dataclass
class NewApplicant:
    data: PersonData
    new: bool = False
    use_existing: int | None = None


def create_dossier(*, session: Session, actor: Actor, now: datetime,
                   person_ids: list[int] = [],  # noqa: B006 - read only
                   new_persons: list[NewApplicant] = [],  # noqa: B006
                   number: str | None = None, products: list[str] = [],  # noqa: B006
                   commit: bool = True) -> Dossier:
    """A dossier for known persons and/or new ones (added to the CRM with it; a likely
    duplicate stops it unless ``new`` or ``use_existing``, as `person add`)."""
    permissions.require(actor, EDIT)
    if not person_ids and not new_persons:
        raise InvalidInput("give --person ID or --first-name/--last-name for an applicant")
    applicants = [get_person(session, pid) for pid in person_ids]
    parsed = [parse_product(p) for p in products]
    number = clean(number) if number else _next_number(session)
    if not number or len(number) > 50:
        raise InvalidInput("a dossier number has 1 to 50 characters")
    if session.execute(select(col(Dossier.id)).where(col(Dossier.number) == number)).first():
        raise InvalidState(f"dossier {number!r} already exists")
    for new in new_persons:
        applicants.append(add_person(session=session, actor=actor, now=now, data=new.data,
                                     new=new.new, use_existing=new.use_existing, commit=False))
    dossier = Dossier(number=number, created_at=now, created_by=actor.id)
    session.add(dossier)
    session.flush()
    assert dossier.id is not None
    seen: set[int] = set()
    for position, person in enumerate(applicants, start=1):
        assert person.id is not None
        if person.id in seen:
            continue
        seen.add(person.id)
        session.add(DossierApplicant(dossier_id=dossier.id, person_id=person.id,
                                     position=position))
    for kind, status in parsed:
        session.add(DossierProduct(dossier_id=dossier.id, type=kind, status=status,
                                   created_at=now))
    for person in applicants:
        if person.id in seen:
            seen.discard(person.id)
            events.record(session, kind=events.DOSSIER_CREATED, at=now, person_id=person.id,
                          relation_id=person.relation_id, user_id=actor.id,
                          dossier=number, products=[k for k, _ in parsed])
    if commit:
        session.commit()
    return dossier


def add_product(*, session: Session, actor: Actor, now: datetime, number: str,
                product: str) -> DossierProduct:
    permissions.require(actor, EDIT)
    dossier = dossier_by_number(session, number)
    assert dossier.id is not None
    kind, status = parse_product(product)
    row = DossierProduct(dossier_id=dossier.id, type=kind, status=status, created_at=now)
    session.add(row)
    session.commit()
    return row


def close_dossier(*, session: Session, actor: Actor, now: datetime, number: str) -> Dossier:
    permissions.require(actor, EDIT)
    dossier = dossier_by_number(session, number)
    if dossier.closed_at is not None:
        raise InvalidState(f"dossier {number!r} is already closed")
    dossier.closed_at = now
    for person in _applicants(session, dossier):
        events.record(session, kind=events.DOSSIER_CLOSED, at=now, person_id=person.id,
                      relation_id=person.relation_id, user_id=actor.id, dossier=dossier.number,
                      changes={"status": ["open", "closed"]})  # the audit trail (issue 29)
    session.commit()
    return dossier


def _applicants(session: Session, dossier: Dossier) -> list[Person]:
    return list(session.execute(
        select(Person).join(DossierApplicant, col(DossierApplicant.person_id) == col(Person.id))
        .where(col(DossierApplicant.dossier_id) == dossier.id)
        .order_by(col(DossierApplicant.position))).scalars())


def products_of(session: Session, dossier_id: int) -> list[dict[str, Any]]:
    return [{"type": p.type, "status": p.status} for p in session.execute(
        select(DossierProduct).where(col(DossierProduct.dossier_id) == dossier_id)
        .order_by(col(DossierProduct.id))).scalars()]


def show_dossier(*, session: Session, number: str) -> dict[str, Any]:
    """Applicants (with their show-in-dossier indicators), products, and the applicants'
    notes marked "tonen in dossier"."""
    dossier = dossier_by_number(session, number)
    applicants = []
    notes = []
    for person in _applicants(session, dossier):
        shown = list(session.execute(
            select(col(Indicator.name)).join(PersonIndicator,
                                        col(PersonIndicator.indicator_id) == col(Indicator.id))
            .where(col(PersonIndicator.person_id) == person.id, col(Indicator.show_in_dossier))
            .order_by(col(Indicator.name))).scalars())
        applicants.append({"id": person.id, "name": name_of(person), "email": person.email,
                           "date_of_birth": person.date_of_birth, "indicators": shown})
        notes += [{"person_id": person.id, "title": n.title, "text": n.text,
                   "priority": n.priority} for n in session.execute(
            select(Note).where(col(Note.person_id) == person.id, col(Note.show_in_dossier))
            .order_by(col(Note.pinned).desc(), col(Note.created_at).desc())).scalars()]
    return {"number": dossier.number, "created_at": dossier.created_at,
            "closed_at": dossier.closed_at, "applicants": applicants,
            "products": products_of(session, dossier.id or 0), "notes": notes}


def list_dossiers(*, session: Session, person_id: int | None = None) -> list[dict[str, Any]]:
    query = select(Dossier)
    if person_id is not None:
        get_person(session, person_id)
        query = query.join(DossierApplicant, col(DossierApplicant.dossier_id) == col(Dossier.id)
                           ).where(col(DossierApplicant.person_id) == person_id)
    out = []
    for d in session.execute(query.order_by(col(Dossier.created_at).desc(),
                                            col(Dossier.id).desc())).scalars():
        out.append({"number": d.number, "created_at": d.created_at, "closed": d.closed_at is not None,
                    "applicants": [name_of(p) for p in _applicants(session, d)],
                    "products": products_of(session, d.id or 0)})
    return out


# --- import dossiers -----------------------------------------------------------------------

# the dossier's own columns, by their names in the one header table (crm.headers)
DOSSIER_FIELDS = {"dossier_number": "number", "product": "product", "status": "status"}


@dataclass
class DossierImport:
    dossiers: int = 0
    persons_created: int = 0
    persons_filled: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"dossiers": self.dossiers, "persons_created": self.persons_created,
                "persons_filled": self.persons_filled}


def import_dossiers(*, session: Session, actor: Actor, now: datetime, path: Path,
                    progress: Callable[[int], None] | None = None) -> DossierImport:
    """One row per applicant: Dossiernummer, the person columns of `import persons`,
    Product (TYPE or TYPE:STATUS, ``,`` between several) and Status. All or nothing."""
    from quickcrm.crm.headers import aliases
    from quickcrm.crm.person_import import PERSON_ALIASES, row_data
    from quickcrm.documents.tabular import match_headers, open_table

    permissions.require(actor, "import dossiers")
    table = open_table(path)
    found, unknown = match_headers(table, {**PERSON_ALIASES, **aliases(DOSSIER_FIELDS)})
    if "number" not in found:
        raise FileProblems([f"{path}:1: the column Dossiernummer is missing"])
    result = DossierImport(warnings=[f"{path}: column {h!r} is not imported" for h in unknown])
    problems: list[Problem] = []
    groups: dict[str, dict[str, Any]] = {}
    for row_number, cells in table.rows():
        def cell(name: str, cells: list[str] = cells) -> str:
            i = found.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""
        number = cell("number")
        try:
            data = row_data(cells, found, props=[])
            if not number:
                raise InvalidInput("no dossier number")
            products = [p for p in cell("product").split(",") if p.strip()]
            status = cell("status")
            parsed = [parse_product(p if ":" in p or not status else f"{p}:{status}")
                      for p in products]
        except InvalidInput as exc:
            problems.append(Problem(str(path), row_number, "", str(exc)))
            continue
        group = groups.setdefault(number, {"people": [], "products": []})
        group["people"].append(data)
        group["products"] += [f"{k}:{s}" if s else k for k, s in parsed]
        if progress:
            progress(1)
    if problems:
        raise FileProblems(problems)
    for number, group in groups.items():
        existing = session.execute(select(Dossier).where(col(Dossier.number) == number)
                                   ).scalar_one_or_none()
        ids: list[int] = []
        for data in group["people"]:
            values = data.values()
            known = [d for d in likely_duplicates(session, values) if "e-mail" in d["why"]
                     or "date of birth" in d["why"]]
            if known:
                person = get_person(session, known[0]["id"])
                if fill_person(session=session, actor=actor, now=now, person=person,
                               values=values, source="import dossiers"):
                    result.persons_filled += 1
            else:
                person = add_person(session=session, actor=actor, now=now, data=data,
                                    new=True, commit=False)
                result.persons_created += 1
            assert person.id is not None
            ids.append(person.id)
        if existing is None:
            create_dossier(session=session, actor=actor, now=now, person_ids=ids, number=number,
                           products=list(dict.fromkeys(group["products"])), commit=False)
            result.dossiers += 1
        else:
            have = {a.id for a in _applicants(session, existing)}
            for pid in ids:
                if pid not in have:
                    session.add(DossierApplicant(dossier_id=existing.id, person_id=pid,
                                                 position=len(have) + 1))
                    have.add(pid)
            known_products = {(p["type"], p["status"]) for p in products_of(session, existing.id or 0)}
            for text in dict.fromkeys(group["products"]):
                kind, status = parse_product(text)
                if (kind, status) not in known_products:
                    session.add(DossierProduct(dossier_id=existing.id, type=kind, status=status,
                                               created_at=now))
    session.commit()
    return result
