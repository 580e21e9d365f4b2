"""Which person a privacy command means: ``PERSON`` is a person id, an e-mail address or
the relation number of a campaign contact (``id:N``, ``relation:NUMBER`` say which when a
number could be either; one with leading zeros, ``000123``, is a relation number). No match or several matches is one line and exit 1."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from quickcrm.errors import InvalidInput, NotFound
from quickcrm.store.models import Person, Relation

SHOWN = 10
HOW = "a person id, an e-mail address or the relation number of a campaign contact"


class SeveralPersons(InvalidInput):
    """``PERSON`` matches more than one person: each is listed, nothing is changed."""

    def __init__(self, ref: str, found: list[tuple[Person, str]]) -> None:
        listed = "; ".join(_label(p, number) for p, number in found[:SHOWN])
        more = len(found) - SHOWN
        super().__init__(
            f"{ref!r} matches {len(found)} persons: {listed}"
            + (f" and {more} more" if more > 0 else "")
            + "; give one as id:N")
        self.ref, self.ids = ref, [p.id for p, _ in found]

    def to_json(self) -> dict[str, object]:
        return {"error": str(self), "matches": self.ids}


def _label(person: Person, number: str) -> str:
    name = " ".join(p for p in (person.first_name, person.last_name) if p) or "(no name)"
    email = f" <{person.email}>" if person.email else ""
    where = f", relation {number}" if number else ""
    return f"id:{person.id} {name}{email}{where}"


def find_person(session: Session, ref: str) -> Person:
    """The one person ``ref`` names (see the module docstring)."""
    text = ref.strip()
    if not text:
        raise InvalidInput(f"PERSON: give {HOW}")
    kind, sep, value = text.partition(":")
    if sep and kind.lower() in ("id", "relation"):
        text = value.strip()
    else:
        kind = ""
    query = (select(Person, func.coalesce(Relation.number, ""))
             .outerjoin(Relation, col(Relation.id) == col(Person.relation_id)))
    conditions = []
    if "@" in text and not kind:
        conditions.append(func.lower(col(Person.email)) == text.lower())
    else:
        # a number written with leading zeros is a relation number ("000123"), never an id
        if kind != "relation" and text.isdigit() and (kind == "id" or str(int(text)) == text):
            conditions.append(col(Person.id) == int(text))
        if kind in ("", "relation"):
            conditions.append((col(Relation.number) == text)
                              & (col(Person.campaign_contact).is_(True)))
    if not conditions:
        raise InvalidInput(f"PERSON {ref!r}: give {HOW}")
    from sqlalchemy import or_

    found = [(p, str(n)) for p, n in session.exec(
        query.where(or_(*conditions)).order_by(col(Person.id))).all()]
    if not found:
        raise NotFound(f"no person matches {ref!r} (give {HOW})")
    if len(found) > 1:
        raise SeveralPersons(ref, found)
    return found[0][0]


def relation_of(session: Session, person: Person) -> Relation | None:
    return session.get(Relation, person.relation_id) if person.relation_id else None


def visitor_as_person(session: Session, ref: str) -> Person:
    """For an e-mail address that no person has but landing page visitors gave (a
    visitor who never confirmed it): a transient person (id 0, which no row has) with
    the newest such visitor's name, so the privacy commands can find what is theirs.
    Raises NotFound as ``find_person`` does when there is none."""
    from quickcrm.landing.models import LandingVisitor

    text = ref.strip()
    found = None
    if "@" in text:
        found = session.exec(select(LandingVisitor).where(
            func.lower(col(LandingVisitor.email)) == text.lower())
            .order_by(col(LandingVisitor.id).desc())).first()
    if found is None:
        raise NotFound(f"no person matches {ref!r} (give {HOW})")
    return Person(id=0, first_name=found.first_name, last_name=found.last_name,
                  email=found.email)
