"""The event catalogue, and the one way to append to the events table.

Every area records what happened as an event, in the same transaction as the change, so
that timelines and the attention monitor's contact moments read one log. Each kind is a
constant here with a one-line meaning; ``KINDS`` is the catalogue that code, tests and
``docs/events.md`` read. Code never spells a kind as a string of its own (a test walks
the package for that), and ``record``/``record_many`` refuse a kind the catalogue does
not name.

The columns say who and what: ``relation_id`` whenever the event is about a relation
(``person_id`` too when a person is meant), ``user_id`` the staff member on whose behalf
a contact is made (the relationship manager for an invitation or reminder) or else the
user who acted; an acting user who differs from ``user_id`` goes in ``details.actor_id``.
Details name a campaign ``campaign_id``, an invitation ``invitation_id`` and a message
``message_id`` (its Message-ID header, as in ``outbox_message.message_id``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from itertools import chain
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import Connection
from sqlmodel import Session

from quickcrm.store import driver
from quickcrm.store.models import Event

KINDS: dict[str, str] = {}


def _kind(name: str, meaning: str) -> str:
    """Add ``name`` to the catalogue with its meaning; returns ``name``."""
    assert name not in KINDS, name
    KINDS[name] = meaning
    return name


# Users and rights (user_id: the user who acted).
USER_CREATED = _kind(
    "user.created", "a staff user was added, by user_id (the first administrator adds itself)")
USER_RIGHTS_GRANTED = _kind(
    "user.rights_granted", "rights were given to the staff user in details.email, by user_id")
USER_RIGHTS_REVOKED = _kind(
    "user.rights_revoked", "rights were taken from the staff user in details.email, by user_id")

# Relations and the client file.
CLIENTS_IMPORTED = _kind(
    "clients.imported", "a client file was imported by user_id (one event per file)")
RELATION_CREATED = _kind(
    "relation.created", "a relation was added, by a client import of user_id "
    "or as a prospect from a landing page (no user)")
RELATION_UPDATED = _kind(
    "relation.updated", "a client import of user_id changed a relation; details.changes "
    "holds each changed field as [old, new]")

# QuickScans and Happy Faces.
QUICKSCANS_LOADED = _kind(
    "quickscans.loaded", "the QuickScan definitions were (re)loaded, by user_id")
FACES_SET = _kind(
    "faces.set", "user_id set a relation's Happy Faces for a QuickScan by hand")
FACES_COMPUTED = _kind(
    "faces.computed", "user_id recomputed the Happy Faces of every relation")
FACES_IMPORTED = _kind(
    "faces.imported", "user_id imported a file of Happy Faces for a QuickScan")

# A campaign, as its coordinator runs it (user_id: the user who acted).
CAMPAIGN_CREATED = _kind("campaign.created", "a campaign was created, by user_id")
CAMPAIGN_SELECTED = _kind(
    "campaign.selected", "user_id ran the selection of a campaign")
CAMPAIGN_EXCLUSIONS_CHANGED = _kind(
    "campaign.exclusions_changed", "user_id excluded clients from a campaign's selection "
    "or took exclusions back")
CAMPAIGN_FINALIZED = _kind(
    "campaign.finalized", "user_id made a campaign's selection final")
CAMPAIGN_CLOSED = _kind("campaign.closed", "user_id closed a campaign")

# A campaign's mail to one client (user_id: the client's relationship manager).
INVITATION_SENT = _kind(
    "campaign.invitation_sent", "an invitation was queued to a client (relation, person), "
    "on behalf of their relationship manager")
INVITATION_DELIVERED = _kind(
    "campaign.invitation_delivered", "the client's mail server took the invitation (250), "
    "sent on behalf of their relationship manager")
INVITATION_REJECTED = _kind(
    "campaign.invitation_rejected", "the client's mail server refused the invitation or a "
    "reminder at once (5xx); the client counts as bounced")
INVITATION_BOUNCED = _kind(
    "campaign.invitation_bounced", "a bounce came back for the client's invitation or a "
    "reminder; the client counts as bounced")
REMINDER1_SENT = _kind(
    "campaign.reminder1_sent", "the first reminder was queued to a client who had not "
    "answered, on behalf of their relationship manager")
REMINDER2_SENT = _kind(
    "campaign.reminder2_sent", "the second reminder was queued to a client who had not "
    "answered, on behalf of their relationship manager")

# The invited client answering (user_id: the client's relationship manager).
QUICKSCAN_LOGGED_IN = _kind(
    "quickscan.logged_in", "an invited client opened their QuickScan (first Ja or answer)")
QUICKSCAN_NOT_INTERESTED = _kind(
    "quickscan.not_interested", "an invited client answered Nee: not interested")
QUICKSCAN_FINISHED = _kind(
    "quickscan.finished", "an invited client finished their QuickScan and was sent the report")
# issue 25 (web): Nee is recorded at once and can be undone on the page that follows
QUICKSCAN_NOT_INTERESTED_UNDONE = _kind(
    "quickscan.not_interested_undone", "an invited client undid their Nee on the page "
    "right after it (not interested is cleared; reminders apply again)")

# Landing pages.
LANDING_CREATED = _kind("landing.created", "user_id created a landing page")
LANDING_CLOSED = _kind("landing.closed", "user_id closed a landing page")
LANDING_COMPLETED_UNCONFIRMED = _kind(
    "landing.completed_unconfirmed", "a landing page visitor finished the QuickScan and "
    "was asked to confirm their e-mail address (no relation yet)")
LANDING_COMPLETED = _kind(
    "landing.completed", "a landing page visitor (relation, person) confirmed their e-mail "
    "address and was sent the report")

# Issue 23 (freeze): editing a user; a campaign's recipients checked at finalize and
# send (user_id: the user who acted).
USER_UPDATED = _kind(
    "user.updated", "the details of the staff user in details.email were changed, by "
    "user_id; details.changes holds each changed field as [old, new]")

# mail (issue 24): what else can go wrong with a campaign's mail, and the client's own
# one-click opt-out (user_id: the client's relationship manager).
INVITATION_FAILED = _kind(
    "campaign.invitation_failed", "the client's mail server answered the invitation with "
    "temporary errors (4xx) until the retry lifetime ran out; it never arrived")
RM_COPY_REFUSED = _kind(
    "campaign.rm_copy_refused", "the relationship manager's copy of an invitation was "
    "refused (5xx); the client's invitation is not affected")
CLIENT_OPTED_OUT = _kind(
    "campaign.client_opted_out", "the client opted out of campaign mail with the "
    "unsubscribe link of a campaign e-mail (one-click or the confirm button)")


# Person CRM (issue 26, seed 001; user_id: the user who acted; details.changes
# as [old, new]).
PERSON_CREATED = _kind(
    "person.created", "a person was added (a contact of relation_id, or a lead without one), "
    "by user_id")
PERSON_UPDATED = _kind(
    "person.updated", "user_id changed a person; details.changes holds each changed field as "
    "[old, new]")
PERSON_DELETED = _kind(
    "person.deleted", "user_id deleted a person (details name who it was)")
PERSON_MERGED = _kind(
    "person.merged", "user_id merged a duplicate person into person_id")
PERSON_NOTE_ADDED = _kind(
    "person.note_added", "user_id added a note to a person's card")
PERSON_NOTE_EDITED = _kind(
    "person.note_edited", "user_id edited a note on a person's card")
PERSON_SIGNAL_ADDED = _kind(
    "person.signal_added", "user_id set a signal (a follow-up to do) on a person")
PERSON_SIGNAL_DONE = _kind(
    "person.signal_done", "user_id marked a person's signal done")
PERSON_RISK_CLASSIFIED = _kind(
    "person.risk_classified", "user_id gave a person a risk classification")
PERSON_IDENTIFIED = _kind(
    "person.identified", "user_id recorded how a person's identity was checked")
PERSON_FILE_ADDED = _kind(
    "person.file_added", "user_id stored a file on a person's card")
PERSON_EMAIL_SENT = _kind(
    "person.email_sent", "user_id sent a person an e-mail from the person card")
PERSON_EMAIL_RECEIVED = _kind(
    "person.email_received", "an e-mail from a person was filed on their card")
DOSSIER_CREATED = _kind(
    "dossier.created", "user_id opened a dossier (a request for a product) for a person")
DOSSIER_CLOSED = _kind(
    "dossier.closed", "user_id closed a dossier")

# Sales procedures (issue 27, seed 002; user_id: the member who acted).
PROCEDURE_SUSPECT_ADDED = _kind(
    "procedure.suspect_added", "a suspect (relation, person) was added to a project, by "
    "user_id")
PROCEDURE_STEP = _kind(
    "procedure.step", "user_id took a step of a project's procedure with a contact "
    "(relation, person)")

# procedures (issue 27): setting up procedures and projects, a contact's status, the
# agenda (user_id: the user who acted).
PROCEDURE_DEFINED = _kind(
    "procedure.defined", "user_id defined a procedure (its steps in order)")
PROCEDURE_MATRIX_CHANGED = _kind(
    "procedure.matrix_changed", "user_id changed a procedure's authorization matrix for a role")
PROJECT_CREATED = _kind("project.created", "user_id created a project")
PROJECT_MEMBER_ADDED = _kind(
    "project.member_added", "user_id made a user a member of a project, with a role")
PROJECT_CLOSED = _kind("project.closed", "user_id closed a project")
PROJECT_CONTACT_STATUS = _kind(
    "project.contact_status", "user_id changed the prospect status of a project's contact "
    "(relation, person): preparing, running or closed")
APPOINTMENT_MOVED = _kind(
    "appointment.moved", "user_id moved an appointment with a contact (relation, person)")
APPOINTMENT_CANCELLED = _kind(
    "appointment.cancelled", "user_id cancelled an appointment with a contact "
    "(relation, person)")

# Contact moments from other systems (issue 28, seed 003: import activities;
# user_id: the staff member who had the contact).
CONTACT_HISTORIE = _kind(
    "contact.historie", "a contact moment (call, visit) with the relation, by user_id")
CONTACT_NOTITIE = _kind(
    "contact.notitie", "a note about the relation, by user_id")
CONTACT_EMAIL_IN = _kind(
    "contact.email_in", "an e-mail from the relation to user_id")
CONTACT_EMAIL_UIT = _kind(
    "contact.email_uit", "an e-mail from user_id to the relation")
SALES_SUSPECT = _kind(
    "sales.suspect", "the relation was entered as a sales suspect, by user_id")
SALES_SUSPECT_OFFERTE = _kind(
    "sales.suspect_offerte", "a quotation was made for a suspect relation, by user_id")
SALES_OFFERTE = _kind(
    "sales.offerte", "a quotation was sent to the relation, by user_id")
SALES_OFFERTE_ORDER = _kind(
    "sales.offerte_order", "a quotation to the relation became an order, by user_id")
SALES_ORDER = _kind(
    "sales.order", "the relation placed an order, with user_id")
SALES_OFFERTE_VERVALLEN = _kind(
    "sales.offerte_vervallen", "a quotation to the relation lapsed")
SALES_FACTUUR = _kind(
    "sales.factuur", "the relation was invoiced (amount: the invoice's amount)")
HELPDESK_CALL = _kind(
    "helpdesk.call", "the relation called the helpdesk and user_id answered")
HELPDESK_SOLVED = _kind(
    "helpdesk.solved", "user_id solved the relation's helpdesk call")

# import activities' summary (issue 26; user_id: the importing user).
ACTIVITIES_IMPORTED = _kind(
    "activities.imported", "a file of contact moments was imported by user_id (one event "
    "per file)")

# attention's relation groups (issue 29's audit trail; user_id: who changed the group).
ATTENTION_GROUP_CHANGED = _kind(
    "attention.group_changed", "user_id created, filled, emptied or deleted a relation group "
    "(B-Groep) of the attention monitor; details name the group and the relation count")

# privacy (issue 29): departed users, who acts, opt-outs and retention (user_id: the
# user who acted).
USER_DEACTIVATED = _kind(
    "user.deactivated", "user_id deactivated the staff user in details.email (kept, and "
    "still named, but refused as acting user)")
USER_ACTIVATED = _kind(
    "user.activated", "user_id made the deactivated staff user in details.email active again")
USER_IMPERSONATED = _kind(
    "user.impersonated", "the administrator user_id acted as the staff user in "
    "details.email (--as) in the transaction of this event")
RELATION_REASSIGNED = _kind(
    "relation.reassigned", "user_id moved the relation to another relationship manager when "
    "its own was deactivated; details.changes holds rm_id as [old, new]")
PRIVACY_OPTED_OUT = _kind(
    "privacy.opted_out", "user_id recorded that person_id wants no more mail (opted out)")
PRIVACY_OPT_OUT_UNDONE = _kind(
    "privacy.opt_out_undone", "user_id took back person_id's opt-out")
PRIVACY_PURGED = _kind(
    "privacy.purged", "user_id (or the daemon's user) deleted what the retention settings "
    "no longer keep; details hold counts only")

# audit (issue 29, item 7): need-to-know reading (user_id: the user who read)
PRIVACY_READ = _kind(
    "privacy.read", "user_id was shown the sensitive parts (risk class, identification, notes, "
    "files, e-mails) of person_id or of the relations in details; the parts, never their content")
# privacy (issue 29): access and erasure (`privacy export`, `privacy forget`)
PRIVACY_EXPORTED = _kind(
    "privacy.exported", "user_id exported what QuickCRM holds about person_id (an access "
    "request); details hold counts only")
PRIVACY_FORGOTTEN = _kind(
    "privacy.forgotten", "user_id erased a person (an erasure request); details hold the "
    "person's id and counts per table only")


class Entry(NamedTuple):
    """One event for ``record_many``; ``details`` become the JSON ``details`` column.
    A tuple, not a dataclass: an import makes one per relation, and a frozen dataclass
    costs several times more to build."""

    kind: str
    relation_id: int | None = None
    person_id: int | None = None
    user_id: int | None = None
    details: Mapping[str, Any] = MappingProxyType({})
    channel: str | None = None  # attention (issue 28): telefoon, e-mail, bezoek, ...
    amount: float | None = None  # attention (issue 28): an order's or invoice's euros
    at: datetime | None = None  # attention (issue 28): an imported contact's own time


def details_of(text: str | None) -> dict[str, Any]:
    """An event's stored ``details`` as a dict, for the readers of the log (attention,
    audit): ``{}`` for an empty, damaged or non-object value rather than an error, so
    one odd row cannot stop a report."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def with_actor(details: dict[str, Any], actor_id: int | None,
               user_id: int | None) -> dict[str, Any]:
    """``details`` plus ``actor_id`` when the user who acted is not ``user_id``, the
    staff member on whose behalf the event happened."""
    if actor_id is not None and actor_id != user_id:
        return {**details, "actor_id": actor_id}
    return details


_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)
_TABLE = Event.__table__  # type: ignore[attr-defined]
_COLUMNS = ("at", "kind", "relation_id", "person_id", "user_id", "details")
_WIDE = (*_COLUMNS, "channel", "amount")  # a batch with a channel or amount (attention)
ROWS_PER_INSERT = 500  # at most 3,000 bound values: below SQLite's and PostgreSQL's limits


def _mark(paramstyle: str) -> str:
    return "?" if paramstyle == "qmark" else "%s"


@lru_cache(maxsize=64)
def _rows_sql(paramstyle: str, rows: int, columns: tuple[str, ...] = _COLUMNS) -> str:
    """INSERT of ``rows`` events, each with all its values."""
    row = f"({', '.join([_mark(paramstyle)] * len(columns))})"
    return f"INSERT INTO event ({', '.join(columns)}) VALUES {', '.join([row] * rows)}"


def _wide_sql(paramstyle: str, rows: int) -> str:
    return _rows_sql(paramstyle, rows, _WIDE)


@lru_cache(maxsize=64)
def _alike_sql(paramstyle: str, rows: int) -> str:
    """INSERT of ``rows`` events that differ only in their relation: the shared values
    are bound once, the relation ids as a VALUES list (``column1`` in both databases)."""
    m = _mark(paramstyle)
    ids = ", ".join([f"({m})"] * rows)
    return (f"INSERT INTO event ({', '.join(_COLUMNS)}) SELECT {m}, {m}, "
            f"CAST(ids.column1 AS INTEGER), CAST({m} AS INTEGER), CAST({m} AS INTEGER), {m} "
            f"FROM (VALUES {ids}) AS ids")


@lru_cache(maxsize=64)
def _pairs_sql(paramstyle: str, rows: int) -> str:
    """``_alike_sql`` for events that differ in their relation and person: the pairs
    as a VALUES list (``column1``, ``column2``)."""
    m = _mark(paramstyle)
    pairs = ", ".join([f"({m}, {m})"] * rows)
    return (f"INSERT INTO event ({', '.join(_COLUMNS)}) SELECT {m}, {m}, "
            "CAST(ids.column1 AS INTEGER), CAST(ids.column2 AS INTEGER), "
            f"CAST({m} AS INTEGER), {m} FROM (VALUES {pairs}) AS ids")


def _execute(conn: Connection, sql: Callable[[str, int], str], shared: tuple[Any, ...],
             values: list[Any], width: int) -> None:
    """Run ``sql`` over ``values`` (``width`` per event, after the ``shared`` ones),
    ROWS_PER_INSERT events per statement: one executemany of whole statements, then one
    statement for the rest. Many rows per statement, because executing one at a time
    costs sqlite3 about as much again as the writing itself. The last statement runs on
    the DBAPI cursor (``store.driver``): for one event, SQLAlchemy's execution machinery
    cost several times the insert."""
    style, size = conn.dialect.paramstyle, ROWS_PER_INSERT
    count = len(values) // width
    full = count - count % size  # the events that fill whole statements
    if full:
        conn.exec_driver_sql(sql(style, size), [
            (*shared, *values[row * width:(row + size) * width]) for row in range(0, full, size)])
    if full < count:  # on the DBAPI cursor: one event (a procedure step's) is the usual
        driver.execute(conn, sql(style, count - full), (*shared, *values[full * width:]))


def _driver_time(conn: Connection, at: datetime) -> Any:
    to_db = driver.to_db(conn.dialect, _TABLE.c.at)
    return to_db(at) if to_db else at


def record_many(session: Session | Connection, entries: Iterable[Entry], *,
                at: datetime) -> int:
    """Append ``entries`` (at ``at``, unless an entry has its own) inside the caller's transaction (committed with
    the change that caused them), in statements of many events each; returns how many.

    Driver-level SQL, so a bulk write skips SQLAlchemy's per-row processing: an import
    records one event per relation. When the events differ only in their relation (one
    kind, person, user and details object: an import's new relations), the shared
    values are bound once per statement, which halves the cost again. On PostgreSQL
    many events go in with one COPY (``import suspects``' one per contact). Fixed names
    only; every value is bound."""
    conn = session.connection() if isinstance(session, Session) else session
    stamp = _driver_time(conn, at)
    batch = list(entries)
    wide = False  # some entry has a channel or an amount (attention's contact moments)
    for entry in batch:
        if entry.kind not in KINDS:
            raise ValueError(f"event kind {entry.kind!r} is not in quickcrm.events.KINDS")
        if entry[5] is not None or entry[6] is not None or entry[7] is not None:
            wide = True
    if wide:
        return _record_wide(conn, batch, stamp)
    if len(batch) > 1 and _alike(batch):
        kind, _, person_id, user_id, details = batch[0][:5]
        shared = (stamp, kind, person_id, user_id, _ENCODER.encode(dict(details)))
        _execute(conn, _alike_sql, shared, [e.relation_id for e in batch], 1)
        return len(batch)
    rows: list[tuple[Any, ...]] = []
    last: Mapping[str, Any] | None = None
    text = "{}"
    for kind, relation_id, person_id, user_id, details, _, _, _ in batch:
        if details is not last:  # a batch often shares one details mapping
            last, text = details, _ENCODER.encode(dict(details))
        rows.append((stamp, kind, relation_id, person_id, user_id, text))
    if conn.dialect.name == "postgresql" and len(rows) > ROWS_PER_INSERT:
        driver.copy_rows(conn, "event", _COLUMNS, rows)  # as _copy_alike
    else:  # the events' values one after another, as the statements bind them
        _execute(conn, _rows_sql, (), list(chain.from_iterable(rows)), len(_COLUMNS))
    return len(batch)


def record_alike(session: Session | Connection, *, kind: str, at: datetime,
                 relation_ids: Sequence[int], person_id: int | None = None,
                 person_ids: Sequence[int] | None = None, user_id: int | None = None,
                 **details: Any) -> int:
    """One event of ``kind`` for each of ``relation_ids``, alike but for their relation
    (an import's new relations: issue 26) and, given ``person_ids`` (one for each
    relation), their person (the contacts ``import suspects`` adds): ``record_many``'s
    shared-values statements, with the details encoded once and no ``Entry`` per
    event. Returns how many."""
    if kind not in KINDS:
        raise ValueError(f"event kind {kind!r} is not in quickcrm.events.KINDS")
    if not relation_ids:
        return 0
    conn = session.connection() if isinstance(session, Session) else session
    stamp, text = _driver_time(conn, at), _ENCODER.encode(details)
    if conn.dialect.name == "postgresql" and len(relation_ids) > ROWS_PER_INSERT:
        persons = person_ids if person_ids is not None else [person_id] * len(relation_ids)
        _copy_alike(conn, (stamp, kind, user_id, text), relation_ids, persons)
    elif person_ids is not None:
        pairs = list(chain.from_iterable(zip(relation_ids, person_ids, strict=True)))
        _execute(conn, _pairs_sql, (stamp, kind, user_id, text), pairs, 2)
    else:
        _execute(conn, _alike_sql, (stamp, kind, person_id, user_id, text),
                 list(relation_ids), 1)
    return len(relation_ids)


def _copy_alike(conn: Connection, shared: tuple[Any, ...], relation_ids: Sequence[int],
                person_ids: Sequence[int | None]) -> None:
    """PostgreSQL, many alike events (a first import's ``relation.created``): one COPY,
    about half the server's time of multi-row INSERTs."""
    at, kind, user_id, details = shared
    driver.copy_rows(conn, "event", _COLUMNS, (
        (at, kind, relation_id, person_id, user_id, details)
        for relation_id, person_id in zip(relation_ids, person_ids, strict=True)))


def _record_wide(conn: Connection, batch: list[Entry], stamp: Any) -> int:
    """``record_many`` for a batch with channels, amounts or times of their own (the
    contact moments of ``import activities``): every column bound."""
    values: list[Any] = []
    to_db = driver.to_db(conn.dialect, _TABLE.c.at)
    texts: dict[int, str] = {}  # id of a details mapping (alive in batch) -> its JSON
    times: dict[datetime, Any] = {}  # an imported file's times repeat
    for kind, relation_id, person_id, user_id, details, channel, amount, own in batch:
        if own is None:
            when = stamp
        else:
            when = times.get(own)
            if when is None:
                when = times[own] = to_db(own) if to_db else own
        text = texts.get(id(details))
        if text is None:
            text = texts[id(details)] = _ENCODER.encode(dict(details))
        values += (when, kind, relation_id, person_id, user_id, text, channel,
                   None if amount is None else float(amount))
    _execute(conn, _wide_sql, (), values, len(_WIDE))
    return len(batch)


def _alike(batch: list[Entry]) -> bool:
    """Whether the entries differ in their relation only (the same details object)."""
    kind, _, person_id, user_id, details = batch[0][:5]
    return all(e.details is details and e.kind == kind and e.user_id == user_id
               and e.person_id == person_id for e in batch)


def record(
    session: Session | Connection,
    *,
    kind: str,
    at: datetime,
    relation_id: int | None = None,
    person_id: int | None = None,
    user_id: int | None = None,
    **details: Any,
) -> None:
    """Append one event (committed with the change that caused it). A text ``channel``
    also fills the column of that name (and stays in the details, where a procedure
    step's readers find it); a numeric ``amount`` (an order's or invoice's euros) goes
    to its column instead of the details."""
    if kind not in KINDS:
        raise ValueError(f"event kind {kind!r} is not in quickcrm.events.KINDS")
    channel = details.get("channel")
    amount = details.get("amount")
    if isinstance(amount, int | float) and not isinstance(amount, bool):
        del details["amount"]
        amount = float(amount)
    else:
        amount = None
    # one row on the DBAPI cursor, as record_many's last statement (a procedure step
    # records one event per transaction: issue 27)
    conn = session.connection() if isinstance(session, Session) else session
    driver.execute(conn, _wide_sql(conn.dialect.paramstyle, 1), (
        _driver_time(conn, at), kind, relation_id, person_id, user_id,
        _ENCODER.encode(details), channel if isinstance(channel, str) else None, amount))
