"""The importer's database side: resolve teams and relationship managers, then upsert a
batch of checked rows with one SELECT and one executemany per kind of change.

Teams and users are few (hundreds), so they are cached whole; relations are many, so
only one batch of them is ever in memory. Core SQL on the session's connection keeps it
inside the import's single transaction, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, and_, bindparam, insert, select, true, update

from quickcrm import permissions
from quickcrm.crm.client_rows import PERSON_FIELDS, RELATION_FIELDS, ClientRow
from quickcrm.store.models import Person, Relation, Team, User, UserRight

R = Relation.__table__  # type: ignore[attr-defined]
P = Person.__table__  # type: ignore[attr-defined]
T = Team.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
UR = UserRight.__table__  # type: ignore[attr-defined]

DEFAULTS: dict[str, Any] = {"company": "", "address": "", "postcode": "", "city": "",
                            "stage": "customer", "first_name": "", "last_name": "",
                            "email": "", "phone": "", "opted_out": False}
Refusal = tuple[ClientRow, str, str]  # row, column field, message


class Counts(Protocol):
    created: int
    updated: int
    unchanged: int


def _key(first: str, last: str) -> tuple[str, str]:
    return first.lower(), last.lower()


class ClientStore:
    def __init__(self, conn: Connection, *, now: datetime, columns: set[str]) -> None:
        self.conn, self.now, self.columns = conn, now, columns
        self.has_rm = bool(columns & {"rm_first_name", "rm_last_name", "rm_email"})
        self.teams = {n.lower(): i for i, n in conn.execute(select(T.c.id, T.c.name))}
        self.by_email: dict[str, int] = {}
        self.by_name: dict[tuple[int | None, str, str], set[int]] = {}
        self.by_name_any: dict[tuple[str, str], set[int]] = {}
        for uid, email, first, last, team_id in conn.execute(
            select(U.c.id, U.c.email, U.c.first_name, U.c.last_name, U.c.team_id)
        ):
            self._remember(uid, email, first, last, team_id)
        self.users_created = 0
        self.teams_created = 0

    def _remember(self, uid: int, email: str, first: str, last: str, team_id: int | None) -> None:
        self.by_email[email.lower()] = uid
        self.by_name.setdefault((team_id, *_key(first, last)), set()).add(uid)
        self.by_name_any.setdefault(_key(first, last), set()).add(uid)

    def team_id(self, name: str) -> int | None:
        """The team called ``name`` (any case), created when it is new."""
        if not name:
            return None
        tid = self.teams.get(name.lower())
        if tid is None:
            tid = self.conn.execute(insert(T).returning(T.c.id), {"name": name}).scalar_one()
            self.teams[name.lower()] = tid
            self.teams_created += 1
        return tid

    def rm_id(self, row: ClientRow, team_id: int | None) -> tuple[int | None, Refusal | None]:
        """Match by e-mail (a new relationship manager is created only then), else by
        first and last name within the row's team."""
        email = row.rm.get("rm_email", "")
        first, last = row.rm.get("rm_first_name", ""), row.rm.get("rm_last_name", "")
        if email:
            uid = self.by_email.get(email)
            return (uid if uid is not None else self._new_rm(email, first, last, team_id)), None
        if not (first or last):
            return None, None
        column = "rm_first_name" if "rm_first_name" in self.columns else "rm_last_name"
        name = " ".join(p for p in (first, last) if p)
        ids = (self.by_name.get((team_id, *_key(first, last))) if team_id is not None
               else self.by_name_any.get(_key(first, last)))
        where = f" in team {row.team!r}" if team_id is not None and row.team else ""
        if not ids:
            return None, (row, column, f"unknown relationship manager {name!r}{where}; "
                                       'give "E-mail relatiemanager" to create one')
        if len(ids) > 1:
            return None, (row, column, f"more than one relationship manager is called "
                                       f"{name!r}{where}; give \"E-mail relatiemanager\"")
        return next(iter(ids)), None

    def _new_rm(self, email: str, first: str, last: str, team_id: int | None) -> int:
        initials = "".join(p[0].upper() + "." for p in (first, last) if p)
        uid = self.conn.execute(insert(U).returning(U.c.id), {
            "email": email, "first_name": first, "last_name": last, "initials": initials,
            "signature": "", "team_id": team_id, "active": True, "created_at": self.now,
        }).scalar_one()
        self.conn.execute(insert(UR), {"user_id": uid, "right": permissions.RM})
        self._remember(uid, email, first, last, team_id)
        self.users_created += 1
        return int(uid)

    def _existing(self, numbers: list[str]) -> dict[str, Any]:
        person_cols = [P.c[f].label(f"p_{f}") for f in PERSON_FIELDS]
        query = (
            select(R.c.id, R.c.number, R.c.team_id, R.c.rm_id,
                   *[R.c[f] for f in RELATION_FIELDS], P.c.id.label("p_id"), *person_cols)
            .select_from(R.outerjoin(P, and_(P.c.relation_id == R.c.id,
                                             P.c.campaign_contact == true())))
            .where(R.c.number.in_(numbers))
        )
        return {r.number: r._mapping for r in self.conn.execute(query)}

    def upsert(self, rows: list[ClientRow], counts: Counts) -> list[Refusal]:
        """Write one batch; returns the rows refused (unknown relationship manager)."""
        if not rows:
            return []
        existing = self._existing([r.number for r in rows])
        refused: list[Refusal] = []
        new_relations: list[dict[str, Any]] = []
        new_persons: list[tuple[str | int, dict[str, Any]]] = []
        relation_updates: list[dict[str, Any]] = []
        person_updates: list[dict[str, Any]] = []
        for row in rows:
            old = existing.get(row.number)
            team_id = self.team_id(row.team) if row.team is not None else (
                old["team_id"] if old else None)
            rm_id = old["rm_id"] if old else None
            if self.has_rm:
                rm_id, refusal = self.rm_id(row, team_id)
                if refusal is not None:
                    refused.append(refusal)
                    continue
            rel = {f: row.relation.get(f, old[f] if old else DEFAULTS.get(f))
                   for f in RELATION_FIELDS}
            rel.update(team_id=team_id, rm_id=rm_id)
            wants_person = any(row.person.get(f) for f in ("first_name", "last_name", "email", "phone"))
            if old is None:
                new_relations.append({**rel, "number": row.number, "created_at": self.now,
                                      "updated_at": self.now})
                if wants_person:
                    new_persons.append((row.number, row.person))
                counts.created += 1
                continue
            changed = False
            if any(rel[k] != old[k] for k in rel):
                relation_updates.append({**rel, "rid": old["id"], "updated_at": self.now})
                changed = True
            if old["p_id"] is not None and row.person:
                person = {f: row.person.get(f, old[f"p_{f}"]) for f in PERSON_FIELDS}
                if any(person[f] != old[f"p_{f}"] for f in PERSON_FIELDS):
                    person_updates.append({**person, "pid": old["p_id"], "updated_at": self.now})
                    changed = True
            elif old["p_id"] is None and wants_person:
                new_persons.append((old["id"], row.person))
                changed = True
            if changed:
                counts.updated += 1
            else:
                counts.unchanged += 1
        self._write(new_relations, new_persons, relation_updates, person_updates)
        return refused

    def _write(self, new_relations: list[dict[str, Any]],
               new_persons: list[tuple[str | int, dict[str, Any]]],
               relation_updates: list[dict[str, Any]],
               person_updates: list[dict[str, Any]]) -> None:
        ids: dict[str | int, int] = {}
        if new_relations:
            ids.update((n, i) for i, n in self.conn.execute(
                insert(R).returning(R.c.id, R.c.number), new_relations))
        if relation_updates:
            self.conn.execute(update(R).where(R.c.id == bindparam("rid")), relation_updates)
        if person_updates:
            self.conn.execute(update(P).where(P.c.id == bindparam("pid")), person_updates)
        if new_persons:
            self.conn.execute(insert(P), [
                {**{f: person.get(f, DEFAULTS[f]) for f in PERSON_FIELDS},
                 "relation_id": ids.get(ref, ref) if isinstance(ref, str) else ref,
                 "campaign_contact": True, "created_at": self.now, "updated_at": self.now}
                for ref, person in new_persons
            ])
