"""The importer's database side: resolve teams and relationship managers, then upsert a
batch of checked rows with one SELECT and one executemany per kind of change.

Teams and users are few (hundreds), so they are cached whole; relations are many, so
only one batch of them is ever in memory. Core SQL on the session's connection keeps it
inside the import's single transaction, on SQLite and PostgreSQL alike. Each batch also
records its events with one ``record_many``: ``relation.created`` per new relation and
``relation.updated`` (with what changed, from the batch's one SELECT) per changed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, insert, select

from quickcrm import permissions
from quickcrm.crm import search_keys
from quickcrm.crm.client_rows import (
    ABSENT,
    COORDINATE_FIELDS,
    IX,
    NUMBER,
    PERSON_FIELDS,
    POS,
    RELATION_FIELDS,
    Values,
    text,
)
from quickcrm.crm.models import PersonKey
from quickcrm.events import RELATION_CREATED, RELATION_UPDATED, Entry, record_alike, record_many
from quickcrm.store.driver import write_rows
from quickcrm.store.models import Person, Relation, Team, User, UserRight

R = Relation.__table__  # type: ignore[attr-defined]
T = Team.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
UR = UserRight.__table__  # type: ignore[attr-defined]
# What a first import writes in bulk (their secondary indexes are built at the end)
BULK_TABLES = (R, Person.__table__, PersonKey.__table__)  # type: ignore[attr-defined]

DEFAULTS: dict[str, Any] = {"company": "", "address": "", "postcode": "", "city": "",
                            "stage": "customer", "first_name": "", "last_name": "",
                            "email": "", "phone": "", "opted_out": False}
# Positions in a checked row (client_rows.FIELDS); a new relation's values for absent columns.
V_PERSON, V_TEAM, V_RM, V_STAGE = IX["first_name"], IX["team"], IX["rm_first_name"], IX["stage"]
V_OPTED_OUT = IX["opted_out"]  # an empty "Afgemeld" cell keeps the opt-out (issue 24)
V_COORDINATES = tuple(IX[f] for f in COORDINATE_FIELDS)
NEW = tuple(DEFAULTS.get(f) for f in (*RELATION_FIELDS, *PERSON_FIELDS))
# Positions in a row of ClientStore.select_sql.
ID, N, REL0 = 0, 1, 2
TEAM = REL0 + len(RELATION_FIELDS)
RM = TEAM + 1
PID = RM + 1
# Names of a stored relation's values old[REL0:PID] (and rel in upsert), for the changes.
REL_KEYS = (*RELATION_FIELDS, "team_id", "rm_id")
NEW_NUMBER = V_PERSON + 2  # position of the number in a new relation's parameters
# Positions in a relation's values of the profile rule's inputs: a change of one of
# these (not of the city or the team) moves relation.segments_at (campaigns' faces).
SEGMENT_POS = tuple(RELATION_FIELDS.index(f)
                    for f in ("industry", "ownership", "size", "client_group"))
Refusal = tuple[int, str, str]  # position in the batch, column field, message
Changed = tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...] | None]  # old, rel, person


class Counts(Protocol):
    created: int
    updated: int
    unchanged: int


def _key(first: str, last: str) -> tuple[str, str]:
    return first.lower(), last.lower()


def _diff(keys: tuple[str, ...], old: tuple[Any, ...], new: tuple[Any, ...],
          into: dict[str, list[Any]]) -> None:
    """Add ``{key: [old, new]}`` for each value that differs (a yes/no read back from
    SQLite as 0/1 is shown as the boolean it is)."""
    for key, was, now in zip(keys, old, new, strict=True):
        if was != now:
            into[key] = [bool(was) if isinstance(now, bool) else was, now]


class ClientStore:
    """One import's view of the database: caches of teams and users, prepared SQL, and
    ``upsert`` for each batch. Lives for one import, inside its one transaction."""

    def __init__(self, conn: Connection, *, now: datetime, columns: set[str],
                 user_id: int | None = None, file: str = "") -> None:
        self.conn, self.now, self.columns = conn, now, columns
        self.user_id = user_id
        self.source: dict[str, Any] = {"source": "import", "file": file}
        to_db = R.c.updated_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        self.stamp = to_db(now) if to_db else now  # converted once, not per row
        self._build_sql()
        self.has_rm = bool(columns & {"rm_first_name", "rm_last_name", "rm_email"})
        self.has_person = bool(columns & set(PERSON_FIELDS))
        self.complete = set(RELATION_FIELDS) - set(COORDINATE_FIELDS) | set(PERSON_FIELDS) <= columns
        # a complete file without coordinates: new relations get none, others keep theirs
        self.no_coordinates = not set(COORDINATE_FIELDS) <= columns
        # A first import into an empty table needs no lookups: numbers repeat nowhere.
        self.empty = conn.execute(select(R.c.id).limit(1)).first() is None
        self.teams = {n.lower(): i for i, n in conn.execute(select(T.c.id, T.c.name))}
        self.by_email: dict[str, int] = {}
        self.by_name: dict[tuple[int | None, str, str], set[int]] = {}
        self.by_name_any: dict[tuple[str, str], set[int]] = {}
        for uid, email, first, last, team_id in conn.execute(
            select(U.c.id, U.c.email, U.c.first_name, U.c.last_name, U.c.team_id)
        ):
            self._remember(uid, email, first, last, team_id)
        self._rm_cache: dict[tuple[Any, ...], tuple[int | None, tuple[str, str] | None]] = {}
        self._team_ids: dict[str, int | None] = {}
        self.users_created = 0
        self.teams_created = 0
        self._bulk_ready: set[str] = set()  # PostgreSQL: temporary tables made so far
        self.alone = False  # the tables are locked for this import (a first import)

    def _build_sql(self) -> None:
        """Driver-level SQL, made once: executemany with plain tuples skips SQLAlchemy's
        per-row parameter processing, which costs more than the insert itself. Only
        fixed column names go into the text; every value is a bound parameter."""
        dialect = self.conn.dialect
        q = dialect.identifier_preparer.quote
        m = self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        rel = [*RELATION_FIELDS, "team_id", "rm_id"]
        self.select_sql = (
            f"SELECT r.id, r.number, {', '.join('r.' + q(f) for f in rel)}, p.id, "
            f"{', '.join('p.' + q(f) for f in PERSON_FIELDS)} FROM relation r "
            f"LEFT JOIN person p ON p.relation_id = r.id AND p.campaign_contact = {m} "
            "WHERE r.number IN ({numbers})")
        cols = [*rel, "number", "created_at", "updated_at", "segments_at"]
        self.insert_relation = (f"INSERT INTO relation ({', '.join(q(c) for c in cols)}) "
                                f"VALUES ({', '.join([m] * len(cols))})")
        # segments_at moves only when a profile rule input changed (None: keep it)
        self.update_relation = (f"UPDATE relation SET {', '.join(f'{q(c)} = {m}' for c in rel)}, "
                                f"updated_at = {m}, segments_at = coalesce({m}, segments_at) "
                                f"WHERE id = {m}")
        pcols = [*PERSON_FIELDS, "relation_id", "campaign_contact", "created_at", "updated_at"]
        values = [m] * len(PERSON_FIELDS) + [f"(SELECT id FROM relation WHERE number = {m})",
                                             m, m, m]
        self.insert_person = (f"INSERT INTO person ({', '.join(q(c) for c in pcols)}) "
                              f"VALUES ({', '.join(values)})")
        # a batch of only new rows, ids given (see _insert_new): the columns written
        self.new_columns = {"relation": ["id", *cols], "person": ["id", *pcols]}
        self.update_person = (
            f"UPDATE person SET {', '.join(f'{q(c)} = {m}' for c in PERSON_FIELDS)}, "
            f"updated_at = {m} WHERE id = {m}")

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

    def rm_id(self, v: Values, team_id: int | None) -> tuple[int | None, tuple[str, str] | None]:
        """The row's relationship manager (or why not); a million rows name a few dozen,
        so each distinct (team, name, e-mail) is resolved once and cached."""
        hit = self._rm_cache[(team_id, v[V_TEAM:NUMBER])] = self._match_rm(
            team_id, text(v, "team"), text(v, "rm_first_name"), text(v, "rm_last_name"),
            text(v, "rm_email"))
        return hit

    def _match_rm(self, team_id: int | None, team: str, first: str, last: str,
                  email: str) -> tuple[int | None, tuple[str, str] | None]:
        """Match by e-mail (a new relationship manager is created only then), else by
        first and last name within the row's team."""
        if email:
            uid = self.by_email.get(email)
            return (uid if uid is not None else self._new_rm(email, first, last, team_id)), None
        if not (first or last):
            return None, None
        column = "rm_first_name" if "rm_first_name" in self.columns else "rm_last_name"
        name = " ".join(p for p in (first, last) if p)
        ids = (self.by_name.get((team_id, *_key(first, last))) if team_id is not None
               else self.by_name_any.get(_key(first, last)))
        where = f" in team {team!r}" if team_id is not None and team else ""
        if not ids:
            return None, (column, f"unknown relationship manager {name!r}{where}; "
                                  'give "E-mail relatiemanager" to create one')
        if len(ids) > 1:
            return None, (column, f"more than one relationship manager is called "
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
        self._rm_cache.clear()  # a name that was unknown may match now
        self.users_created += 1
        return int(uid)

    def _insert_all(self, rows: list[Values], counts: Counts) -> bool:
        """A batch of only new relations (every first import), column by column: teams
        and managers are resolved per distinct value, the parameters zipped in C. Returns
        False, having written nothing, when a row's manager is refused."""
        cols = list(zip(*rows, strict=True))
        teams, n = cols[V_TEAM], len(rows)
        team_ids = self._team_ids
        for team in set(teams).difference(team_ids):
            team_ids[team] = None if team is ABSENT else self.team_id(team)
        row_teams = list(map(team_ids.__getitem__, teams))
        rm_ids: list[int | None] | tuple[None, ...] = (None,) * n
        if self.has_rm:
            keys = list(zip(row_teams, zip(*cols[V_TEAM:NUMBER], strict=True), strict=True))
            cache = self._rm_cache
            missing = set(keys).difference(cache)
            while missing:  # a new manager empties the cache; the next pass creates none
                for key in missing:
                    self.rm_id((*NEW, *key[1], None, None), key[0])  # fills the cache
                missing = set(keys).difference(cache)
            hits = list(map(cache.__getitem__, keys))
            if any(problem is not None for _, problem in set(hits)):
                return False
            rm_ids = [uid for uid, _ in hits]
        stage = cols[V_STAGE]
        if ABSENT in stage:
            cols[V_STAGE] = tuple("customer" if v is ABSENT else v for v in stage)
        if ABSENT in cols[V_OPTED_OUT]:
            cols[V_OPTED_OUT] = tuple(False if v is ABSENT else v for v in cols[V_OPTED_OUT])
        for pos in V_COORDINATES:
            if ABSENT in cols[pos]:
                cols[pos] = tuple(None if v is ABSENT else v for v in cols[pos])
        self._insert_new(cols, row_teams, rm_ids)
        counts.created += n
        return True

    def _insert_new(self, cols: list[tuple[Any, ...]], row_teams: list[int | None],
                    rm_ids: list[int | None] | tuple[None, ...]) -> None:
        """``_insert_all``'s writing, in one pass with the new rows' ids given here: on
        SQLite the import holds the write lock (BEGIN IMMEDIATE), so they are the ids
        SQLite would give (one above the highest); on PostgreSQL they are reserved from
        the tables' sequences and the rows COPYed straight in. Persons then name their
        relation's id (no lookup by number), the events their relations' ids, and the
        search keys their persons' ids, straight from the batch (no SELECT back)."""
        n = len(row_teams)
        ids = self.new_ids("relation", n)
        stamps = (self.stamp,) * n
        self._write_new("relation", list(zip(
            ids, *cols[:V_PERSON], row_teams, rm_ids, cols[NUMBER], stamps, stamps, stamps,
            strict=True)))
        record_alike(self.conn, kind=RELATION_CREATED, at=self.now, relation_ids=ids,
                     user_id=self.user_id, **self.source)
        persons = [p for p in zip(*cols[V_PERSON:V_TEAM], ids, strict=True)
                   if p[0] or p[1] or p[2] or p[3]]
        if not persons:
            return
        pids = self.new_ids("person", len(persons))
        tail = (True, self.stamp, self.stamp)
        self._write_new("person", [(pid, *p, *tail) for pid, p in zip(pids, persons, strict=True)])
        search_keys.insert_pairs(self.conn, search_keys.key_pairs(
            (pid, p[0], p[1], p[2]) for pid, p in zip(pids, persons, strict=True)), new=True)

    def new_ids(self, table: str, n: int) -> Sequence[int]:
        """The ids of ``n`` new rows of relation or person, given before they are written
        (also for ``import suspects``, which writes client-file rows too): on SQLite one
        above the highest (the import holds the write lock), on PostgreSQL from the
        sequence, one run of it while the tables are locked (``alone``)."""
        if self.conn.dialect.name == "postgresql":
            from quickcrm.crm import pg_bulk

            return pg_bulk.reserve_ids(self.conn, table, n, block=self.alone)
        top = self._top_id() if table == "relation" else search_keys.top_person_id(self.conn)
        return range(top + 1, top + n + 1)

    def _write_new(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """New rows of ``table`` with their ids: multi-row INSERTs, or COPY on PostgreSQL."""
        write_rows(self.conn, table, self.new_columns[table], rows)

    def _many(self, kind: str, params: list[tuple[Any, ...]]) -> None:
        """One batch of one kind of change: an executemany of the prepared SQL, or on
        PostgreSQL a COPY into a temporary table and one INSERT or UPDATE from it
        (``quickcrm.crm.pg_bulk``; issue 30 item 7)."""
        if self.conn.dialect.name == "postgresql":
            from quickcrm.crm import pg_bulk

            pg_bulk.write(self.conn, kind, params, self._bulk_ready)
        else:
            self.conn.exec_driver_sql(getattr(self, kind), params)

    def _top_id(self) -> int:
        return int(self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM relation")
                   .scalar_one())

    def _created(self, before: int, numbers: Iterable[str]) -> list[Entry]:
        """A RELATION_CREATED for each relation just inserted. They are the rows above
        ``before`` (the highest id before the insert): when exactly as many rows as were
        inserted lie above it, without gaps, they are ours (the usual case, one aggregate
        over the primary key); otherwise (on PostgreSQL another transaction may commit
        relations meanwhile) those whose number is this batch's."""
        ours = set(numbers)
        m = self.mark
        count, low, high = self.conn.exec_driver_sql(
            f"SELECT count(*), min(id), max(id) FROM relation WHERE id > {m}", (before,)).one()
        if count == len(ours) and count and high - low + 1 == count:
            ids: Iterable[int] = range(low, high + 1)
        else:
            ids = [rid for rid, number in self.conn.exec_driver_sql(
                f"SELECT id, number FROM relation WHERE id > {m}", (before,)) if number in ours]
        user, source = self.user_id, self.source
        return [Entry(RELATION_CREATED, rid, None, user, source) for rid in ids]

    def _updated(self, changed: list[Changed]) -> list[Entry]:
        """A RELATION_UPDATED per changed relation with ``changes: {field: [old, new]}``
        (a campaign contact that is new shows its filled-in fields as changed from "")."""
        entries = []
        for old, rel, person in changed:
            changes: dict[str, list[Any]] = {}
            _diff(REL_KEYS, old[REL0:PID], rel, changes)
            if person is not None:
                was = old[PID + 1:] if old[PID] is not None else NEW[V_PERSON:]
                _diff(PERSON_FIELDS, was, person, changes)
            entries.append(Entry(RELATION_UPDATED, relation_id=old[ID], person_id=old[PID],
                                 user_id=self.user_id, details={**self.source,
                                                                "changes": changes}))
        return entries

    def _existing(self, numbers: list[str]) -> dict[str, tuple[Any, ...]]:
        """The batch's relations that exist, with their campaign contact: one query."""
        marks = ", ".join([self.mark] * len(numbers))
        sql = self.select_sql.replace("{numbers}", marks)
        return {r[N]: tuple(r) for r in self.conn.exec_driver_sql(sql, (True, *numbers))}

    def upsert(self, rows: list[Values], counts: Counts) -> list[Refusal]:
        """Write one batch; returns the rows refused (unknown relationship manager)."""
        if not rows:
            return []
        existing = {} if self.empty else self._existing([r[NUMBER] for r in rows])
        if not existing and self.complete and self._insert_all(rows, counts):
            return []
        refused: list[Refusal] = []
        new_relations: list[tuple[Any, ...]] = []
        new_persons: list[tuple[Any, ...]] = []
        relation_updates: list[tuple[Any, ...]] = []
        person_updates: list[tuple[Any, ...]] = []
        changed_rows: list[Changed] = []
        rekeyed: list[tuple[int, str, str, str]] = []  # persons whose search keys change
        stamp, complete, has_rm, has_person = self.stamp, self.complete, self.has_rm, self.has_person
        complete = complete and not self.no_coordinates  # else merge with what is stored
        team_ids, rm_ids = self._team_ids, self._rm_cache
        created = updated = unchanged = 0
        for values in rows:  # the per-row loop of a million-row import: locals only
            number = values[NUMBER]
            old = existing.get(number)
            team = values[V_TEAM]
            if team is ABSENT:
                team_id = old[TEAM] if old else None
            else:
                team_id = team_ids.get(team)
                if team_id is None:
                    team_id = team_ids[team] = self.team_id(team)
            rm_id = old[RM] if old else None
            if has_rm:
                hit = rm_ids.get((team_id, values[V_TEAM:NUMBER]))
                rm_id, refusal = hit if hit is not None else self.rm_id(values, team_id)
                if refusal is not None:
                    refused.append((values[POS], *refusal))
                    continue
            given = values[:V_TEAM]
            wants_person = bool(given[V_PERSON] or given[V_PERSON + 1] or given[V_PERSON + 2]
                                or given[V_PERSON + 3])
            partial = (not complete or given[V_STAGE] is ABSENT
                       or given[V_OPTED_OUT] is ABSENT)
            if old is None:
                if partial:
                    given = tuple(d if v is ABSENT else v for v, d in zip(given, NEW, strict=True))
                new_relations.append((*given[:V_PERSON], team_id, rm_id, number, stamp, stamp,
                                      stamp))
                if wants_person:
                    new_persons.append((*given[V_PERSON:], number, True, stamp, stamp))
                created += 1
                continue
            if partial:
                base = old[REL0:TEAM] + (old[PID + 1:] if old[PID] is not None else NEW[V_PERSON:])
                given = tuple(o if v is ABSENT else v for v, o in zip(given, base, strict=True))
            changed = False
            person = None
            rel = (*given[:V_PERSON], team_id, rm_id)
            if rel != old[REL0:PID]:
                segments = any(rel[i] != old[REL0 + i] for i in SEGMENT_POS)
                relation_updates.append((*rel, stamp, stamp if segments else None, old[ID]))
                changed = True
            if old[PID] is not None and has_person:
                if given[V_PERSON:] != old[PID + 1:]:
                    person = given[V_PERSON:]
                    person_updates.append((*person, stamp, old[PID]))
                    if person[:3] != old[PID + 1:PID + 4]:  # a name or the e-mail: new keys
                        rekeyed.append((old[PID], *person[:3]))
                    changed = True
            elif old[PID] is None and wants_person:
                person = given[V_PERSON:]
                new_persons.append((*person, number, True, stamp, stamp))
                changed = True
            if changed:
                updated += 1
                changed_rows.append((old, rel, person))
            else:
                unchanged += 1
        counts.created += created
        counts.updated += updated
        counts.unchanged += unchanged
        before = self._top_id() if new_relations else 0
        top = search_keys.top_person_id(self.conn) if new_persons else 0
        for kind, params in (("insert_relation", new_relations),
                             ("update_relation", relation_updates),
                             ("update_person", person_updates),
                             ("insert_person", new_persons)):
            if params:
                self._many(kind, params)
        if new_persons:  # search keys through the one helper (issue 26)
            search_keys.keys_since(self.conn, top)
        if rekeyed:  # from the values just written: no SELECT back
            search_keys.write_keys(self.conn, rekeyed)
        if new_relations:
            record_many(self.conn, self._created(before, (r[NEW_NUMBER] for r in new_relations)),
                        at=self.now)
        record_many(self.conn, self._updated(changed_rows), at=self.now)
        return refused
