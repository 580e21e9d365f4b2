"""Erasure (issue 29 item 4): ``privacy forget PERSON [--dry-run]``.

In one transaction: the person and their rows go (the person CRM's tables, their
procedure contacts with steps and appointments, as ``registry.DELETED_BY_PERSON`` and the
contacts' steps); rows that carry counts stay but lose what is theirs (the campaign's
snapshot, open-text answers, landing visits, the outbox rows of every message that
refers to them, whose texts go); the events about them are redacted; and their name
parts and e-mail address are blanked in every free-text column of everyone else's rows
(``registry.FREE_TEXT``), case-insensitively, by bound parameters, on both databases.
One ``privacy.forgotten`` event holds the person's id and counts only.

After the commit the bytes go too: stored files no row names any more, their messages
in a ``maildir:`` outbox, and on SQLite the WAL (``wal_checkpoint(TRUNCATE)``; freed
pages are zeroed by ``secure_delete``, on in ``store/db.py``); on PostgreSQL ``VACUUM``
of the tables touched (dead tuples stay in pages until reused, and in backups and WAL
archives until rotated: docs/privacy.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy import text as sql
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, col

import quickcrm.attention.models  # noqa: F401 - its tables join the metadata (_table)
from quickcrm import permissions
from quickcrm.campaigns.campaign import FINAL, SENT
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import Campaign, CampaignClient
from quickcrm.crm.models import PersonEmail, PersonLink, StoredFile
from quickcrm.errors import NotFound
from quickcrm.events import PRIVACY_FORGOTTEN, record
from quickcrm.landing.models import LandingPage, LandingVisitor
from quickcrm.mail.models import OutboxBody, OutboxMessage
from quickcrm.privacy import registry
from quickcrm.privacy.people import find_person, visitor_as_person
from quickcrm.procedures.models import Appointment, ProjectContact, StepTaken
from quickcrm.quickscans.models import Answer, QuickScan
from quickcrm.runtime import Runtime
from quickcrm.store.models import Event, Person

ACTION = "handle privacy requests"
REDACTED = '{"redacted": true}'
MIN_TERM = 2  # a one-letter name part (an initial) is not searched for
BATCH = 500  # ids per IN (...) list


@dataclass
class Forgotten:
    """What ``forget`` did (or, with ``dry_run``, would do): per table, how many rows
    were deleted, blanked, redacted or had their free text scrubbed."""

    person_id: int | None  # None: landing page visits of an address no person has
    dry_run: bool = False
    deleted: dict[str, int] = field(default_factory=dict)
    blanked: dict[str, int] = field(default_factory=dict)
    redacted: dict[str, int] = field(default_factory=dict)
    scrubbed: dict[str, int] = field(default_factory=dict)
    files: int = 0  # stored files' bytes removed from files.path
    maildir: int = 0  # messages removed from a maildir: outbox
    running_campaigns: list[str] = field(default_factory=list)  # lost a recipient
    vacuumed: list[str] = field(default_factory=list)  # PostgreSQL: tables vacuumed
    wal_busy: bool = False  # SQLite: a reader kept the checkpoint from emptying the WAL

    def counts(self) -> dict[str, dict[str, int]]:
        return {"deleted": self.deleted, "blanked": self.blanked,
                "redacted": self.redacted, "scrubbed": self.scrubbed}

    def to_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "dry_run": self.dry_run, **self.counts(),
                "files": self.files, "maildir": self.maildir,
                "running_campaigns": self.running_campaigns, "vacuumed": self.vacuumed,
                "wal_busy": self.wal_busy}


# --- pure rules --------------------------------------------------------------------------

_NUMBER = re.compile(r"\s*-?\d+([.,]\d+)?\s*")
_CHOICE = re.compile(r"\s*ke\d+(\s*[,;]\s*ke\d+)*\s*", re.IGNORECASE)


def is_open_text(question_type: str | None, value: str) -> bool:
    """Whether an answer is an open text to blank: a ``text`` question's, or, for a
    question the definition no longer has, anything but a number or choice codes
    (numbers and choices stay, so a report's counts stay)."""
    if not value:
        return False
    if question_type is not None:
        return question_type == "text"
    return not (_NUMBER.fullmatch(value) or _CHOICE.fullmatch(value))


def search_terms(first_name: str, last_name: str, email: str) -> list[str]:
    """What is blanked in free texts, longest first: the e-mail address, the whole name,
    the last name, the first name (one-letter parts are not)."""
    first, last = " ".join(first_name.split()), " ".join(last_name.split())
    terms = [email.strip(), f"{first} {last}".strip() if first and last else "", last, first]
    out: list[str] = []
    for term in terms:
        if len(term) >= MIN_TERM and term.lower() not in {t.lower() for t in out}:
            out.append(term)
    return out


def _pattern(terms: list[str]) -> re.Pattern[str]:
    """Each term case-insensitively; a name part only as a whole word (not "Jan" in
    "januari"), the e-mail address anywhere."""
    parts = [re.escape(t) if "@" in t else rf"(?<!\w){re.escape(t)}(?!\w)" for t in terms]
    return re.compile("|".join(parts), re.IGNORECASE)


def scrub_text(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub("", text)


def scrub_json(text: str, pattern: re.Pattern[str]) -> str:
    """The same in every string (and key) of a JSON document, which stays valid JSON;
    text that is not JSON is scrubbed as text."""
    try:
        data = json.loads(text)
    except ValueError:
        return scrub_text(text, pattern)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub("", value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {pattern.sub("", k): walk(v) for k, v in value.items()}
        return value

    cleaned = walk(data)
    return text if cleaned == data else json.dumps(cleaned, ensure_ascii=False, default=str)


# --- what is theirs ------------------------------------------------------------------------

def _chunks(ids: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(ids), BATCH):
        yield ids[i:i + BATCH]


def _ids(session: Session, query: Any) -> list[Any]:
    return list(session.execute(query).scalars())


def _table(name: str) -> Table:
    """A declared table; every area's models are imported by then (below)."""
    return SQLModel.metadata.tables[name]


@dataclass
class Theirs:
    """The ids of every row that is the person's (found before anything changes)."""

    person_id: int
    relation_id: int | None
    sole_relation: bool
    email: str
    terms: list[str]
    contacts: list[int]
    steps: list[int]
    appointments: list[int]
    clients: list[int]
    invitations: list[int]
    visitors: list[int]
    answers: list[tuple[int, str, str, int | None]]  # id, question_id, value, quickscan_id
    messages: list[str]  # Message-IDs
    events: list[int]
    shas: set[str]
    running: list[str]


def find_theirs(session: Session, person: Person) -> Theirs:
    assert person.id is not None
    pid, rid = person.id, person.relation_id
    email = person.email.strip().lower()
    sole = False
    if rid is not None:
        others = session.execute(select(func.count()).select_from(Person).where(
            col(Person.relation_id) == rid, col(Person.id) != pid)).scalar_one()
        linked = session.execute(select(func.count()).select_from(PersonLink).where(
            col(PersonLink.relation_id) == rid, col(PersonLink.person_id) != pid)).scalar_one()
        sole = not others and not linked
    contacts = _ids(session, select(col(ProjectContact.id)).where(
        col(ProjectContact.person_id) == pid))
    steps = _ids(session, select(col(StepTaken.id)).where(
        col(StepTaken.contact_id).in_(contacts))) if contacts else []
    appointments = _ids(session, select(col(Appointment.id)).where(or_(
        col(Appointment.person_id) == pid, col(Appointment.contact_id).in_(contacts))))
    mine = col(CampaignClient.person_id) == pid
    if email:
        mine = or_(mine, func.lower(col(CampaignClient.email)) == email)
    clients = _ids(session, select(col(CampaignClient.id)).where(mine))
    invitations = _ids(session, select(col(Invitation.id)).where(
        col(Invitation.campaign_client_id).in_(clients))) if clients else []
    visit = col(LandingVisitor.person_id) == pid
    if email:
        visit = or_(visit, func.lower(col(LandingVisitor.email)) == email)
    visitors = _ids(session, select(col(LandingVisitor.id)).where(visit))
    answers: list[tuple[int, str, str, int | None]] = []
    if invitations:
        answers += [(int(a), str(q), str(v), qs) for a, q, v, qs in session.execute(
            select(col(Answer.id), col(Answer.question_id), col(Answer.value),
                   col(Campaign.quickscan_id))
            .join(Invitation, col(Invitation.id) == col(Answer.invitation_id))
            .join(Campaign, col(Campaign.id) == col(Invitation.campaign_id))
            .where(col(Answer.invitation_id).in_(invitations))).all()]
    if visitors:
        answers += [(int(a), str(q), str(v), qs) for a, q, v, qs in session.execute(
            select(col(Answer.id), col(Answer.question_id), col(Answer.value),
                   col(LandingPage.quickscan_id))
            .join(LandingVisitor, col(LandingVisitor.id) == col(Answer.landing_visitor_id))
            .join(LandingPage, col(LandingPage.id) == col(LandingVisitor.page_id))
            .where(col(Answer.landing_visitor_id).in_(visitors))).all()]
    refs = ([f"invitation:{i}" for i in invitations] + [f"landing:{v}" for v in visitors]
            + [f"person:{pid}"] + [f"appointment:{a}" for a in appointments]
            + [f"step:{s}" for s in steps])
    # the coordinator's bounce digest names the clients whose mail bounced or failed
    bounced = _ids(session, select(col(Invitation.campaign_id)).distinct().where(
        col(Invitation.id).in_(invitations), or_(
            col(Invitation.bounced_at).is_not(None), col(Invitation.failed_at).is_not(None),
            col(Invitation.copy_refused_at).is_not(None)))) if invitations else []
    refs += [f"campaign:{c}" for c in bounced]
    about: list[ColumnElement[bool]] = [col(OutboxMessage.ref).in_(chunk)
                                        for chunk in _chunks(refs)]
    if email:
        about.append(func.lower(col(OutboxMessage.recipient)) == email)
    about.append(col(OutboxMessage.message_id).in_(
        select(col(PersonEmail.message_id)).where(col(PersonEmail.person_id) == pid)))
    messages = [str(m) for m in _ids(session, select(col(OutboxMessage.message_id)).where(
        or_(*about)))]
    # bounce digests are sent to the coordinator: only those of their campaigns count
    digest_kind = and_(col(OutboxMessage.kind) == "bounce_digest",
                       col(OutboxMessage.ref).in_([f"campaign:{c}" for c in bounced]))
    if bounced:
        messages += [str(m) for m in _ids(session, select(col(OutboxMessage.message_id))
                                          .where(digest_kind)) if str(m) not in messages]
    about_them = col(Event.person_id) == pid
    if sole and rid is not None:
        about_them = or_(about_them, col(Event.relation_id) == rid)
    events = _ids(session, select(col(Event.id)).where(about_them))
    shas = set(_ids(session, select(col(StoredFile.sha256)).where(
        col(StoredFile.person_id) == pid)))
    running = [str(n) for n in _ids(session, select(col(Campaign.name)).distinct()
               .join(CampaignClient, col(CampaignClient.campaign_id) == col(Campaign.id))
               .where(col(CampaignClient.id).in_(clients),
                      col(Campaign.status).in_((FINAL, SENT))))] if clients else []
    return Theirs(person_id=pid, relation_id=rid, sole_relation=sole, email=email,
                  terms=search_terms(person.first_name, person.last_name, person.email),
                  contacts=contacts, steps=steps, appointments=appointments, clients=clients,
                  invitations=invitations, visitors=visitors, answers=answers,
                  messages=messages, events=events, shas=shas, running=sorted(running))


def _question_types(session: Session, quickscan_ids: set[int]) -> dict[tuple[int, str], str]:
    """(quickscan id, question id) -> the question's type, read from the stored
    definition's JSON (its sections' questions) without building the whole definition."""
    out: dict[tuple[int, str], str] = {}
    if not quickscan_ids:
        return out
    for qid, text in session.execute(select(col(QuickScan.id), col(QuickScan.definition))
                                     .where(col(QuickScan.id).in_(quickscan_ids))).all():
        try:
            sections = json.loads(text).get("sections", [])
        except (ValueError, AttributeError):
            continue
        for section in sections:
            for q in section.get("questions", []) if isinstance(section, dict) else []:
                if isinstance(q, dict) and "id" in q:
                    out[(int(qid), str(q["id"]))] = str(q.get("type", "text"))
    return out


# --- the change ----------------------------------------------------------------------------

def _core(model: Any, column: Any) -> tuple[Table, Any]:
    """The Core table and column of a model's attribute: Core statements skip the ORM's
    per-statement work (synchronising the session, its compile context)."""
    table = model.__table__
    return table, table.c[column.key]


def _delete_in(session: Session, table: Any, column: Any, ids: list[Any]) -> int:
    table, column = _core(table, column)
    n = 0
    for chunk in _chunks(ids):
        n += int(session.execute(delete(table).where(column.in_(chunk))).rowcount or 0)  # type: ignore[attr-defined]
    return n


def _update_in(session: Session, table: Any, column: Any, ids: list[Any],
               values: dict[str, Any]) -> int:
    table, column = _core(table, column)
    n = 0
    for chunk in _chunks(ids):
        n += int(session.execute(update(table).where(column.in_(chunk)).values(values))
                 .rowcount or 0)  # type: ignore[attr-defined]
    return n


def like_pattern(term: str) -> str:
    """``%term%`` for ``LIKE ... ESCAPE '/'``, the term's own % and _ taken literally."""
    return "%" + term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _holds(dialect: str, column: str, name: str, term: str) -> str:
    """SQL for ``column`` holds the term bound as ``:name``, case-insensitively: SQLite's
    LIKE ignores ASCII case already (a term with other letters compares a registered
    lower-casing function's result), PostgreSQL's ILIKE every case."""
    if dialect == "sqlite":
        if term.isascii():
            return f"{column} LIKE :{name} ESCAPE '/'"
        return f"quickcrm_fold({column}) LIKE :{name} ESCAPE '/'"
    return f"{column} ILIKE :{name} ESCAPE '/'"


def _fold_function(session: Session) -> None:
    raw = session.connection().connection.driver_connection
    raw.create_function("quickcrm_fold", 1,  # type: ignore[union-attr]
                        lambda v: v.lower() if isinstance(v, str) else v, deterministic=True)


def _scrub(session: Session, theirs: Theirs) -> dict[str, int]:
    """Blank the terms in every declared free-text column; counts rows changed per
    table. Candidates come from one SELECT per table (a LIKE per column and term, every
    term a bound parameter; names are the registry's own); the exact, word-wise,
    case-insensitive replacement is done here and written back by primary key."""
    out: dict[str, int] = {}
    if not theirs.terms:
        return out
    pattern = _pattern(theirs.terms)
    dialect = session.get_bind().dialect.name
    quote = session.get_bind().dialect.identifier_preparer.quote
    if dialect == "sqlite" and not all(t.isascii() for t in theirs.terms):
        _fold_function(session)
    # what each term is searched as: on PostgreSQL a database whose ctype is C folds no
    # accented letter in ILIKE, so such a term is also searched in its usual casings
    searched: list[str] = []
    for t in theirs.terms:
        if t.isascii():
            searched.append(t)
        elif dialect == "sqlite":
            searched.append(t.lower())
        else:
            searched += list(dict.fromkeys((t, t.lower(), t.upper(), t.title())))
    # a row holding a term that contains another term holds that one too ("Jan Jansen",
    # jan.jansen@... both hold "Jansen"): finding candidates needs only the shortest
    low = [t.lower() for t in searched]
    searched = [t for t, lt in zip(searched, low, strict=True)
                if not any(o != lt and o in lt for o in low)]
    params = {f"t{i}": like_pattern(t) for i, t in enumerate(searched)}
    for declared in registry.FREE_TEXT:
        table = _table(declared.name)
        keys = [c.name for c in table.primary_key.columns]
        found = " OR ".join(_holds(dialect, quote(c), f"t{i}", t)
                            for c in declared.free_text for i, t in enumerate(searched))
        where = f"({found})"
        if declared.name == "event":
            where += " AND details <> :redacted"
        query = sql(f"SELECT {', '.join(quote(c) for c in (*keys, *declared.free_text))} "
                    f"FROM {quote(declared.name)} WHERE {where}")
        changed = 0
        for row in session.execute(query, {**params, "redacted": REDACTED}).all():
            key = row[:len(keys)]
            values = {}
            for c, old in zip(declared.free_text, row[len(keys):], strict=True):
                if not isinstance(old, str):
                    continue
                new = scrub_json(old, pattern) if declared.json else scrub_text(old, pattern)
                if new != old:
                    values[c] = new
            if values:
                changed += 1
                session.execute(update(table).where(
                    *(table.c[k] == v for k, v in zip(keys, key, strict=True))).values(values))
        if changed:
            out[declared.name] = changed
    return out


def _apply(session: Session, theirs: Theirs, done: Forgotten) -> None:
    """Every change, in the caller's transaction (a dry run rolls it back, so its counts
    are the real ones)."""
    pid = theirs.person_id
    deleted, blanked = done.deleted, done.blanked

    def put(counts: dict[str, int], name: str, n: int) -> None:
        if n:
            counts[name] = counts.get(name, 0) + n

    # their messages: the texts go, the rows (counts) stay without address or subject
    put(deleted, "outbox_body", _delete_in(session, OutboxBody, col(OutboxBody.message_id),
                                           theirs.messages))
    put(blanked, "outbox_message", _update_in(
        session, OutboxMessage, col(OutboxMessage.message_id), theirs.messages,
        dict.fromkeys(registry.declared("outbox_message").blank, "")))
    # open-text answers blanked; numbers and choices stay
    types = _question_types(session, {qs for *_x, qs in theirs.answers if qs is not None})
    open_ids = [a for a, q, v, qs in theirs.answers
                if is_open_text(types.get((qs, q)) if qs is not None else None, v)]
    put(blanked, "answer", _update_in(session, Answer, col(Answer.id), open_ids,
                                      {"value": ""}))
    # the procedures: steps through their contacts, then appointments and contacts
    put(deleted, "step_taken", _delete_in(session, StepTaken, col(StepTaken.id),
                                          theirs.steps))
    put(deleted, "appointment", _delete_in(session, Appointment, col(Appointment.id),
                                           theirs.appointments))
    # the person CRM's rows (and project_contact), by every column naming the person
    quote = session.get_bind().dialect.identifier_preparer.quote
    for declared in registry.DELETED_BY_PERSON:  # fixed names from the registry only
        cond = " OR ".join(f"{quote(c)} = :pid" for c in declared.columns)
        put(deleted, declared.name, int(session.execute(
            sql(f"DELETE FROM {quote(declared.name)} WHERE {cond}"), {"pid": pid})
            .rowcount or 0))  # type: ignore[attr-defined]
    # the snapshots and visits that carry counts stay, without them
    put(blanked, "campaign_client", _update_in(
        session, CampaignClient, col(CampaignClient.id), theirs.clients,
        {"first_name": "", "last_name": "", "email": "", "person_id": None}))
    put(blanked, "invitation", _update_in(
        session, Invitation, col(Invitation.id), theirs.invitations,
        dict.fromkeys(registry.declared("invitation").blank, "")))
    put(blanked, "landing_visitor", _update_in(
        session, LandingVisitor, col(LandingVisitor.id), theirs.visitors,
        {"first_name": "", "last_name": "", "company": "", "email": "", "address_hash": "",
         "person_id": None}))
    # the audit trail keeps who, when and what kind; the details about them go
    put(done.redacted, "event", _update_in(session, Event, col(Event.id), theirs.events,
                                           {"details": REDACTED}))
    put(deleted, "person", _delete_in(session, Person, col(Person.id), [pid]))
    done.scrubbed.update(_scrub(session, theirs))
    _scrub_own_relation(session, theirs, done)


def _scrub_own_relation(session: Session, theirs: Theirs, done: Forgotten) -> None:
    """A relation that is theirs alone (a one-person business, the prospect a landing
    visit made) stays, as every relation does, but its company name and address lose
    their name parts, and so do the campaign snapshots' copy of that name. Another
    relation's company is never touched ("Bakkerij Jansen" keeps its name when a
    Jansen is forgotten elsewhere)."""
    if not (theirs.sole_relation and theirs.relation_id and theirs.terms):
        return
    from quickcrm.store.models import Relation

    pattern = _pattern(theirs.terms)
    relation = session.get(Relation, theirs.relation_id)
    if relation is not None:
        values = {c: scrub_text(getattr(relation, c), pattern) for c in ("company", "address")}
        changed = {c: v for c, v in values.items() if v != getattr(relation, c)}
        if changed:
            session.execute(update(Relation.__table__).where(  # type: ignore[attr-defined]
                Relation.__table__.c.id == relation.id).values(changed))  # type: ignore[attr-defined]
            done.scrubbed["relation"] = done.scrubbed.get("relation", 0) + 1
    snapshots = session.execute(select(col(CampaignClient.id), col(CampaignClient.company))
                                .where(col(CampaignClient.id).in_(theirs.clients))
                                ).all() if theirs.clients else []
    for cid, company in snapshots:
        new = scrub_text(str(company), pattern)
        if new != company:
            session.execute(update(CampaignClient.__table__).where(  # type: ignore[attr-defined]
                CampaignClient.__table__.c.id == cid).values(company=new))  # type: ignore[attr-defined]
            done.scrubbed["campaign_client"] = done.scrubbed.get("campaign_client", 0) + 1


def forget(*, rt: Runtime, person: str, dry_run: bool = False) -> Forgotten:
    """Erase ``person`` (see the module docstring); ``dry_run`` counts and changes
    nothing. Admins (``handle privacy requests``)."""
    actor = rt.actor
    permissions.require(actor, ACTION)
    now = rt.clock.now()
    with rt.session() as s:
        try:
            found = find_person(s, person)
        except NotFound:
            found = visitor_as_person(s, person)  # a visitor who never confirmed
        if found.id:  # PostgreSQL: no edit of the person slips in meanwhile (SQLite's
            # transaction holds the write lock from its first statement already)
            s.execute(select(col(Person.id)).where(col(Person.id) == found.id)
                      .with_for_update())
        theirs = find_theirs(s, found)
        done = Forgotten(person_id=theirs.person_id or None, dry_run=dry_run,
                         running_campaigns=theirs.running)
        _apply(s, theirs, done)
        if dry_run:
            s.rollback()
            done.files = len(theirs.shas)
            done.maildir = len(_maildir_files(rt, theirs))
            return done
        record(s, kind=PRIVACY_FORGOTTEN, at=now, user_id=actor.id or None,
               forgotten_person_id=theirs.person_id or None, counts=done.counts())
        s.commit()
        done.files = _forget_files(rt, s, theirs.shas)
    done.maildir = _forget_maildir(rt, theirs)
    _physically(rt, done)
    return done


# --- after the commit: the bytes -------------------------------------------------------------

def _forget_files(rt: Runtime, session: Session, shas: set[str]) -> int:
    if not shas:
        return 0
    from quickcrm.crm import filestore

    return filestore.forget_unused(session, Path(str(rt.settings["files.path"])), shas)


def _maildir(rt: Runtime) -> Path | None:
    url = str(rt.settings["mail.url"]).strip()
    if not url.startswith("maildir:"):
        return None
    path = url[len("maildir:"):]
    return Path(path[2:] if path.startswith("//") else path).expanduser()


def _maildir_files(rt: Runtime, theirs: Theirs) -> list[Path]:
    """The files of a maildir outbox that are their messages: by Message-ID, or
    addressed to them, or naming their address anywhere."""
    root = _maildir(rt)
    if root is None or not root.is_dir():
        return []
    ids = {m.strip("<>").lower() for m in theirs.messages}
    email = theirs.email.encode().lower()
    parser = BytesHeaderParser()
    found = []
    for sub in ("new", "cur", "tmp"):
        folder = root / sub
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            try:
                data = path.read_bytes()
            except OSError:
                continue
            headers = parser.parsebytes(data)
            mid = str(headers.get("Message-ID", "")).strip().strip("<>").lower()
            if mid in ids or (email and email in data.lower()):
                found.append(path)
    return found


def _forget_maildir(rt: Runtime, theirs: Theirs) -> int:
    gone = 0
    for path in _maildir_files(rt, theirs):
        path.unlink(missing_ok=True)
        gone += 1
    return gone


def _physically(rt: Runtime, done: Forgotten) -> None:
    """Make the bytes go from the database files: SQLite empties its WAL into the
    (secure_delete) main file; PostgreSQL vacuums the tables touched, outside any
    transaction."""
    engine = rt.engine
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # autocommit (store/db.py): no transaction open
        try:
            busy, _log, _done = raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            raw.close()
        done.wal_busy = bool(busy)
        return
    touched = sorted({*done.deleted, *done.blanked, *done.redacted, *done.scrubbed, "event"})
    preparer = engine.dialect.identifier_preparer
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in touched:
            conn.exec_driver_sql(f"VACUUM {preparer.quote(name)}")  # fixed names only
    done.vacuumed = touched
