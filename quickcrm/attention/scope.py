"""Which relations and which users a computation looks at: all relations, a relation
group, a file of relation numbers or the client filters; all users, named users (by
e-mail or initials) or a team's. Lookups fail with the known values, never an empty
result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from quickcrm.attention.models import RelationGroup, RelationGroupMember
from quickcrm.crm.clients import ClientFilters, iter_clients
from quickcrm.crm.headers import aliases
from quickcrm.crm.staff import normalize_email, team_ids
from quickcrm.documents.tabular import match_headers, open_table, unescape_cell
from quickcrm.errors import FileProblems, InvalidInput, NotFound, Problem, unknown_value
from quickcrm.store.models import Relation, User

R = Relation.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
G = RelationGroup.__table__  # type: ignore[attr-defined]
GM = RelationGroupMember.__table__  # type: ignore[attr-defined]

# A file of relations: the relation number's headers in the one table every importer
# reads (quickcrm.crm.headers), and "code" (a list exported from another system).
NUMBER_HEADERS = (*aliases(["relation_number"]), "code")


@dataclass(frozen=True)
class Relations:
    """How to pick relations: one of ``group``, ``file``, ``numbers``, ``filters``
    (none: every relation)."""

    group: str | None = None
    file: str | None = None
    numbers: Sequence[str] = ()
    filters: ClientFilters | None = None

    def describe(self) -> dict[str, Any]:
        if self.group:
            return {"group": self.group}
        if self.file:
            return {"file": self.file}
        if self.numbers:
            return {"relations": list(self.numbers)}
        if self.filters is not None and self.filters.active():
            return {"filters": self.filters.active()}
        return {"all": True}


def initials_key(text: str) -> str:
    """``"j.v."``, ``"JV"`` and ``"J. V."`` are the same initials."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def resolve_users(session: Session, users: Sequence[str] = (),
                  team: str | None = None) -> list[tuple[int, str]] | None:
    """(id, e-mail) of the users named by e-mail or initials, and of a team's members;
    None: every user. Initials that fit more than one user are an error."""
    if not users and not team:
        return None
    rows = list(session.connection().execute(select(U.c.id, U.c.email, U.c.initials,
                                                    U.c.team_id)))
    found: dict[int, str] = {}
    for given in users:
        given = given.strip()
        if not given:
            continue
        if "@" in given:
            email = normalize_email(given)
            hits = [(i, e) for i, e, _, _ in rows if e == email]
        else:
            key = initials_key(given)
            hits = [(i, e) for i, e, ini, _ in rows if ini and initials_key(ini) == key]
            if len(hits) > 1:
                raise InvalidInput(f"initials {given!r} fit more than one user "
                                   f"({', '.join(sorted(e for _, e in hits))}); give an e-mail")
        if not hits:
            known = sorted(f"{ini} ({e})" if ini else e for _, e, ini, _ in rows)
            raise unknown_value("user", given, known)
        found.update(hits)
    if team:
        (tid,) = team_ids(session.connection(), [team])
        found.update((i, e) for i, e, _, t in rows if t == tid)
    return sorted(found.items())


def group_by_name(session: Session, name: str) -> Any:
    row = session.connection().execute(select(G).where(G.c.name == name.strip())).first()
    if row is None:
        known = sorted(session.connection().execute(select(G.c.name)).scalars())
        raise NotFound(str(unknown_value("relation group", name.strip(), known)))
    return row


def numbers_from_file(path: str | Path) -> list[tuple[int, str]]:
    """(row, relation number) of a file's "Relatienummer" column (or its first)."""
    table = open_table(path)
    columns, _ = match_headers(table, {h: "number" for h in NUMBER_HEADERS})
    index = columns.get("number", 0)
    found = []
    for row, cells in table.rows():
        value = unescape_cell(cells[index].strip()) if index < len(cells) else ""
        if value:
            found.append((row, value))
    return found


def ids_of_numbers(session: Session, numbers: Sequence[str], *, file: str | None = None,
                   rows: Sequence[int] = ()) -> list[int]:
    """The relation ids of ``numbers``; unknown ones are one error (``file:row`` each,
    when they came from a file)."""
    known: dict[str, int] = {}
    wanted = list(dict.fromkeys(n.strip() for n in numbers))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        known.update((n, i) for i, n in session.connection().execute(
            select(R.c.id, R.c.number).where(R.c.number.in_(chunk))))
    missing = [(pos, n) for pos, n in enumerate(numbers) if n.strip() not in known]
    if missing:
        if file is not None:
            raise FileProblems([Problem(file, rows[pos] if rows else None, None,
                                        f"unknown relation number {n!r}") for pos, n in missing])
        raise NotFound(f"unknown relation number{'s' if len(missing) > 1 else ''} "
                       + ", ".join(repr(n) for _, n in missing))
    return list(dict.fromkeys(known[n.strip()] for n in numbers))


def relation_ids(session: Session, pick: Relations) -> list[int] | None:
    """The ids ``pick`` names; None: every relation."""
    if pick.group:
        group = group_by_name(session, pick.group)
        return list(session.connection().execute(
            select(GM.c.relation_id).where(GM.c.group_id == group.id)).scalars())
    if pick.file:
        found = numbers_from_file(pick.file)
        return ids_of_numbers(session, [n for _, n in found], file=pick.file,
                              rows=[r for r, _ in found])
    if pick.numbers:
        return ids_of_numbers(session, pick.numbers)
    if pick.filters is not None and pick.filters.active():
        numbers = [c["relation_number"] for c in iter_clients(conn=session.connection(),
                                                              filters=pick.filters)]
        return ids_of_numbers(session, numbers) if numbers else []
    return None
