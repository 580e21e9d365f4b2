"""The audit trail (issue 29, item 1): ``quickcrm audit``, a reader of the event log.

The trail *is* the ``event`` table: every area records what it changed there, in the
transaction of the change, with ``details.changes`` = ``{"field": [old, new]}`` where a
value changed. This module only reads it (nothing in QuickCRM updates or deletes an
event; the one exception is the erasure's redaction in ``privacy/forget.py``, itself
recorded): filtered by person, relation, user, time and kind, one entry per event with
its changes, who (kept for deactivated users) and when.

Two limits hold in what it shows: amounts (the ``amount`` column and every amount-like
key in the details: amount, revenue, fee, value, price, bedrag, omzet) only for a
reader with ``see revenue``; a person's sensitive parts (notes, risk class,
identification, files, e-mails) by the need-to-know rule of ``privacy.reading``, and
showing them is recorded as one ``privacy.read``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlmodel import Session

from quickcrm import events, permissions
from quickcrm.clock import as_utc
from quickcrm.errors import InvalidInput, NotFound, unknown_value
from quickcrm.permissions import Actor
from quickcrm.privacy import reading
from quickcrm.store.models import Event, Relation, User

ACTION = "read the audit trail"
REVENUE = "see revenue"
MASK = "***"
AMOUNT_KEY = re.compile(r"amount|revenue|fee|value|price|bedrag|omzet", re.IGNORECASE)
# kinds whose details show a person's sensitive part (need to know)
SENSITIVE: dict[str, str] = {
    events.PERSON_NOTE_ADDED: "notes", events.PERSON_NOTE_EDITED: "notes",
    events.CONTACT_NOTITIE: "notes",
    events.PERSON_RISK_CLASSIFIED: "risk", events.PERSON_IDENTIFIED: "identification",
    events.PERSON_FILE_ADDED: "files",
    events.PERSON_EMAIL_SENT: "emails", events.PERSON_EMAIL_RECEIVED: "emails",
    events.CONTACT_EMAIL_IN: "emails", events.CONTACT_EMAIL_UIT: "emails",
}
E = Event.metadata.tables["event"]  # read only: written by quickcrm.events
R = Relation.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]


@dataclass
class Trail:
    """What ``audit`` shows: the events, oldest first, as plain values."""

    filters: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    amounts_hidden: bool = False
    hidden: int = 0  # events whose sensitive details the reader may not read
    hidden_why: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"filters": self.filters, "events": self.events,
                "amounts_hidden": self.amounts_hidden, "hidden": self.hidden,
                **({"hidden_why": self.hidden_why} if self.hidden_why else {})}

    def lines(self) -> list[dict[str, Any]]:
        """One row per change (an event without changes is one row)."""
        out = []
        for e in self.events:
            for change in e["changes"] or [{"field": "", "old": None, "new": None}]:
                out.append({**e, **change})
        return out


# --- pure rules -------------------------------------------------------------------------

def mask_amounts(value: Any) -> Any:
    """``value`` with every amount-like key's value replaced by ``***`` (at any depth:
    ``changes: {"amount": [1, 2]}`` too)."""
    if isinstance(value, dict):
        return {k: (MASK if AMOUNT_KEY.search(str(k)) and v is not None else mask_amounts(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_amounts(v) for v in value]
    return value


def split_changes(details: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(each change as {field, old, new}, the other details)."""
    changes = details.get("changes")
    rest = {k: v for k, v in details.items() if k != "changes"}
    out = []
    if isinstance(changes, dict):
        for name, pair in changes.items():
            if isinstance(pair, list) and len(pair) == 2:
                out.append({"field": str(name), "old": pair[0], "new": pair[1]})
            else:
                out.append({"field": str(name), "old": None, "new": pair})
    return out, rest


def parse_since(text: str, tz: str) -> datetime:
    """``--since``: a local day (YYYY-MM-DD: from its start in ``tz``) or an ISO date-time
    (naive: local time)."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return as_utc(datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)))
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"--since: not a date (YYYY-MM-DD) or ISO date-time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return as_utc(moment)


def kinds_named(text: str) -> list[str]:
    """``--kind``: one kind of the catalogue (``person.updated``) or all of one area's
    (``person``)."""
    wanted = text.strip().lower().rstrip(".")
    if wanted in events.KINDS:
        return [wanted]
    group = [k for k in events.KINDS if k.split(".")[0] == wanted]
    if group:
        return group
    areas = sorted({k.split(".")[0] for k in events.KINDS})
    raise unknown_value("event kind", text, areas + sorted(events.KINDS), plural="kinds")


# --- the service ------------------------------------------------------------------------

def audit_trail(*, session: Session, actor: Actor, now: datetime, settings: Any,
                person: str | None = None, relation: str | None = None,
                user: str | None = None, since: str | None = None,
                kind: str | None = None) -> Trail:
    """The events that match every filter given, oldest first (``read the audit trail``:
    admins and coordinators)."""
    permissions.require(actor, ACTION)
    tz = str(settings.timezone)
    filters: dict[str, Any] = {"person": person, "relation": relation, "user": user,
                               "since": since, "kind": kind}
    conds: list[Any] = []  # every filter but the relation's
    wanted_relation: int | None = None
    person_id: int | None = None
    if person is not None:
        from quickcrm.privacy.people import find_person

        person_id = find_person(session, person).id
        conds.append(E.c.person_id == person_id)
    if relation is not None:
        wanted_relation = session.execute(
            select(R.c.id).where(R.c.number == relation.strip())).scalar()
        if wanted_relation is None:
            raise NotFound(f"unknown relation number {relation.strip()!r}")
    user_id: int | None = None
    if user is not None:
        from quickcrm.crm.users import get_user

        user_id = get_user(session=session, email=user).id
    if since is not None:
        conds.append(E.c.at >= parse_since(since, tz))
    named = kinds_named(kind) if kind is not None else None
    if named is not None:
        conds.append(E.c.kind == named[0] if len(named) == 1 else E.c.kind.in_(named))
    own = [*conds, E.c.relation_id == wanted_relation] if wanted_relation is not None else conds
    who = [E.c.user_id == user_id] if user_id is not None else []
    rows = list(session.execute(_COLUMNS.where(*own, *who)
                                .order_by(E.c.at, E.c.id)).all())  # one fetchall
    extra: list[Any] = []
    if user_id is not None:  # and where they acted on someone's behalf (details.actor_id)
        extra += [r for r in session.execute(_COLUMNS.where(
            *own, E.c.user_id.is_distinct_from(user_id),
            E.c.details.like(f'%"actor_id": {int(user_id)}%')))
            if events.details_of(r.details).get("actor_id") == user_id]
    if wanted_relation is not None and (named is None or events.PRIVACY_READ in named):
        extra += _wide_reads(session, [*conds, *who], wanted_relation)
    if extra:
        rows = sorted([*rows, *extra], key=lambda r: (as_utc(r.at), r.id))
    trail = Trail(filters=filters)
    _shape(session, actor, now, settings, trail, rows, person_id)
    return trail


# one statement: the events with their user's e-mail and name and the relation's number
_COLUMNS: Select[Any] = (
    select(E.c.id, E.c.at, E.c.kind, E.c.relation_id, E.c.person_id, E.c.user_id, E.c.details,
           E.c.amount, U.c.email, U.c.first_name, U.c.last_name, R.c.number)
    .select_from(E).outerjoin(U, U.c.id == E.c.user_id).outerjoin(R, R.c.id == E.c.relation_id))


def _wide_reads(session: Session, conds: list[Any], relation_id: int) -> list[Any]:
    """``--relation``: also the reads of several relations at once (a timeline over a
    group) that name this one in ``details.relation_ids``."""
    return [row for row in session.execute(_COLUMNS.where(
        *conds, E.c.kind == events.PRIVACY_READ, E.c.relation_id.is_(None)))
        if relation_id in _listed(events.details_of(row.details).get("relation_ids"))]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []



def _shape(session: Session, actor: Actor, now: datetime, settings: Any, trail: Trail,
           rows: list[Any], person_id: int | None) -> None:
    revenue_ok = permissions.allowed(actor, REVENUE)
    trail.amounts_hidden = not revenue_ok
    users: dict[int, str] | None = None  # read only when some event names an actor_id
    verdicts = _verdicts(session, actor, settings, rows)
    parts: set[str] = set()
    read_relations: set[int] = set()
    decode = json.loads
    names: dict[int | None, tuple[str, str]] = {}  # user id -> (e-mail, name), per call
    append = trail.events.append
    for (eid, at, kind, relation_id, pid, user_id, text, amount, email, first, last,
         number) in rows:
        details = decode(text) if text and text != "{}" else {}
        if not isinstance(details, dict):
            details = {}
        part = SENSITIVE.get(kind)
        if part is not None:
            verdict = verdicts.get((pid, relation_id))
            if verdict is not None and not verdict.allowed:
                details = {"hidden": True}
                trail.hidden += 1
                trail.hidden_why = verdict.why
            else:
                parts.add(part)
                if relation_id is not None:
                    read_relations.add(relation_id)
        if not revenue_ok and details:
            details = mask_amounts(details)
        if "changes" in details:
            changes, details = split_changes(details)
        else:
            changes = []
        who = names.get(user_id)
        if who is None:
            mail = email or ""
            who = names[user_id] = (
                mail, " ".join(x for x in (first, last) if x) or mail)
        entry = {
            "id": eid, "at": at, "kind": kind, "user": who[0], "user_name": who[1],
            "relation": number, "person_id": pid, "changes": changes, "details": details,
        }
        actor_id = details.get("actor_id")
        if isinstance(actor_id, int):
            if users is None:
                users = dict(session.execute(select(U.c.id, U.c.email)).all())
            if actor_id in users:
                entry["acted_by"] = users[actor_id]
        if amount is not None:
            entry["amount"] = amount if revenue_ok else MASK
        append(entry)
    if parts:
        if person_id is not None or len(read_relations) <= 1:
            reading.record_read(session, actor=actor, now=now, parts=parts, via="audit",
                                person_id=person_id,
                                relation_id=next(iter(read_relations), None))
        else:
            reading.record_read(session, actor=actor, now=now, parts=parts, via="audit",
                                relation_ids=sorted(read_relations))
        session.commit()


def _verdicts(session: Session, actor: Actor, settings: Any, rows: list[Any]
              ) -> dict[tuple[int | None, int | None], reading.Verdict]:
    """The need-to-know rule for each (person, relation) of a sensitive row. Admins and
    coordinators (who alone hold ``read the audit trail`` today) read everything."""
    if actor.rights & {permissions.ADMIN, permissions.COORDINATOR}:
        return {}
    keys = {(r.person_id, r.relation_id) for r in rows if r.kind in SENSITIVE}
    if not keys:
        return {}
    who = reading.reader(session, actor, settings)
    persons = reading.subjects_of_persons(session, [p for p, _ in keys if p is not None])
    relations = reading.subjects_of_relations(session, [r for p, r in keys
                                                        if p is None and r is not None])
    out = {}
    for p, r in keys:
        if p is not None and p in persons:
            out[(p, r)] = who.verdict(persons[p], p)
        elif r is not None and r in relations:
            out[(p, r)] = who.verdict(relations[r])
    return out
