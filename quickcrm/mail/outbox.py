"""Queueing messages and looking at the outbox: the API the rest of QuickCRM uses.

A caller (``send``, ``remind``, the web app) writes its state change and its messages in
ONE transaction and commits; delivery is a separate step (``quickcrm.mail.delivery``)::

    from quickcrm.mail.outbox import queue_message
    queue_message(session, kind="invitation", ref=f"invitation:{inv.id}",
                  to=address(person_name, person.email), from_=address(rm.name, rm.email),
                  sender=settings["mail.sender"], subject=..., text=..., html=..., now=now)
    mark_invited(session, inv.id, now)
    session.commit()
    deliver(engine=rt.engine, transport=rt.transport(), clock=rt.clock, settings=rt.settings)

For thousands of messages use ``queue_many`` (one INSERT per batch, not one ORM object per
row). ``ref`` + ``kind`` let a caller find its messages again (``find_messages``) and let
bounces be mapped back from a Message-ID to the thing that caused the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from quickcrm.errors import InvalidInput
from quickcrm.mail.compose import Attachment, compose, domain_of, new_message_id, parse_address
from quickcrm.mail.models import DEFERRED, FAILED, QUEUED, STATUSES, OutboxBody, OutboxMessage
from quickcrm.store import driver

INSERT_BATCH = 500


@dataclass(frozen=True)
class Draft:
    """One message to queue; the keyword arguments of ``queue_message`` as a value."""

    kind: str
    ref: str
    to: str  # "Name <addr>" or "addr"; the envelope recipient is its address
    from_: str  # the relationship manager (or the platform) as "Name <addr>"
    subject: str
    text: str
    sender: str  # the platform, "Name <addr>" or "addr": envelope MAIL FROM and Sender:
    html: str | None = None
    attachments: Sequence[Attachment | tuple[str, bytes, str]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)


def _rows(draft: Draft, now: datetime, signer: Any = None
          ) -> tuple[dict[str, object], dict[str, object]]:
    """The outbox row and its body row (signed by ``signer``, a ``mail.dkim.Signer``)."""
    recipient = parse_address(draft.to)[1]
    envelope = parse_address(draft.sender)[1]
    if "@" not in recipient:
        raise InvalidInput(f"not an e-mail address: {draft.to!r}")
    if "@" not in envelope:
        raise InvalidInput(f"mail.sender is not an e-mail address: {draft.sender!r}")
    message_id = new_message_id(domain_of(envelope))
    body = compose(from_=draft.from_, to=draft.to, subject=draft.subject, text=draft.text,
                   html=draft.html, attachments=draft.attachments, sender=draft.sender,
                   headers=draft.headers, message_id=message_id, date=now)
    if signer is not None:
        body = signer.sign(body, domain_of(draft.from_))
    return ({"kind": draft.kind, "ref": draft.ref, "message_id": message_id,
             "sender": envelope, "recipient": recipient, "subject": draft.subject[:500],
             "status": QUEUED, "attempts": 0, "created_at": now, "queued_at": now,
             "next_attempt_at": now, "last_error": "", "bounce_reason": ""},
            {"message_id": message_id, "body": body})


def queue_message(
    session: Session,
    *,
    kind: str,
    ref: str,
    to: str,
    from_: str,
    subject: str,
    text: str,
    sender: str,
    now: datetime,
    html: str | None = None,
    attachments: Sequence[Attachment | tuple[str, bytes, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> OutboxMessage:
    """Render one message and add it to ``session`` (flushed, not committed); the caller
    commits. For more than a handful, ``queue_many`` is much faster."""
    row, body = _rows(Draft(kind=kind, ref=ref, to=to, from_=from_, subject=subject,
                            text=text, sender=sender, html=html, attachments=attachments,
                            headers=dict(headers or {})), now, session.info.get("dkim"))
    message = OutboxMessage(**row)  # type: ignore[arg-type]
    session.add(message)
    session.flush()  # the body's foreign key needs the message row first
    session.add(OutboxBody(**body))  # type: ignore[arg-type]
    return message


@cache
def _inserts() -> tuple[Any, Any]:
    """The two INSERT statements, built once (building one costs more than a one-row
    insert takes on SQLite)."""
    return (insert(OutboxMessage.__table__),  # type: ignore[attr-defined]
            insert(OutboxBody.__table__))  # type: ignore[attr-defined]


def queue_many(db: Session | Connection, drafts: Iterable[Draft], *,
               now: datetime) -> list[str]:
    """Render and insert many messages in batches; returns their Message-IDs in order.

    Runs inside the caller's transaction (nothing is committed here), a session's or a
    Core connection's (``Runtime.writing``); either's ``info["dkim"]`` signs. A single
    message (a procedure step's, issue 27) is inserted on the DBAPI cursor
    (``store.driver``): SQLAlchemy's execution of two one-row inserts cost more than
    writing them.
    """
    ids: list[str] = []
    rows: list[dict[str, object]] = []
    bodies: list[dict[str, object]] = []

    # Core on the connection, as events.record_many
    conn = db if isinstance(db, Connection) else db.connection()
    messages, texts = _inserts()

    def flush() -> None:
        if len(rows) == 1:  # one message (a procedure step's): on the DBAPI cursor,
            statements = []  # the message and its body in one round trip on PostgreSQL
            for table, row in ((messages.table, rows[0]), (texts.table, bodies[0])):
                sql, converters = driver.insert_sql(conn.dialect, table, tuple(row))
                statements.append((sql, driver.values(converters, tuple(row.values()))))
            driver.execute_all(conn, statements)
        else:
            conn.execute(messages, rows)
            conn.execute(texts, bodies)
        rows.clear()
        bodies.clear()

    signer = db.info.get("dkim")
    for draft in drafts:
        row, body = _rows(draft, now, signer)
        ids.append(str(row["message_id"]))
        rows.append(row)
        bodies.append(body)
        if len(rows) >= INSERT_BATCH:
            flush()
    if rows:
        flush()
    return ids


def find_messages(session: Session, *, kind: str | None = None, ref: str | None = None,
                  refs: Sequence[str] | None = None) -> list[OutboxMessage]:
    """The messages of a kind and/or ref(s), oldest first."""
    query = select(OutboxMessage)
    if kind is not None:
        query = query.where(col(OutboxMessage.kind) == kind)
    if ref is not None:
        query = query.where(col(OutboxMessage.ref) == ref)
    if refs is not None:
        query = query.where(col(OutboxMessage.ref).in_(list(refs)))
    return list(session.scalars(query.order_by(col(OutboxMessage.id))))


def status_counts(session: Session) -> dict[str, int]:
    """How many messages are in each status (every status present, zero included)."""
    rows = session.execute(
        select(col(OutboxMessage.status), func.count()).group_by(col(OutboxMessage.status))
    ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({str(status): int(n) for status, n in rows})
    return counts


def due_count(session: Session, *, now: datetime) -> int:
    """How many messages a delivery run at ``now`` would try (queued or deferred and due),
    for a progress bar's total."""
    from quickcrm.mail.models import WAITING

    return int(session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(col(OutboxMessage.status).in_(WAITING),
               col(OutboxMessage.next_attempt_at) <= now)) or 0)


def anything_to_deliver(session: Session, *, now: datetime) -> bool:
    """Whether a delivery run at ``now`` could have work: a message due (queued, or
    deferred past its backoff) or one in ``sending`` (perhaps a dead worker's). Two
    indexed probes; lets a command that queued nothing skip starting delivery."""
    from quickcrm.mail.models import SENDING, WAITING

    M = OutboxMessage
    due = session.scalar(select(col(M.id)).where(col(M.status).in_(WAITING),
                                                 col(M.next_attempt_at) <= now).limit(1))
    return due is not None or session.scalar(
        select(col(M.id)).where(col(M.status) == SENDING).limit(1)) is not None


def orphaned(session: Session, *, now: datetime, lease: Any) -> int:
    """Messages in ``sending`` whose worker is gone (``store.claims``: provably dead, or
    its lease ran out and it is not provably alive on this machine): the next delivery run
    of any command takes them over."""
    from quickcrm.mail.models import SENDING
    from quickcrm.store import claims

    holders = session.scalars(select(col(OutboxMessage.claimed_by)).where(
        col(OutboxMessage.status) == SENDING).distinct()).all()
    if not holders:
        return 0
    return int(session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(col(OutboxMessage.status) == SENDING,
               claims.dead_claims(session, worker=col(OutboxMessage.claimed_by),
                                  renewed_at=col(OutboxMessage.claimed_at), holders=holders,
                                  now=now, lease=lease))) or 0)


def list_messages(session: Session, *, status: str | None = None, kind: str | None = None,
                  limit: int = 50) -> list[OutboxMessage]:
    """The newest messages, optionally of one status and/or kind (for `outbox list`)."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r} (expected one of: {', '.join(STATUSES)})")
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(col(OutboxMessage.status) == status)
    if kind is not None:
        query = query.where(col(OutboxMessage.kind) == kind)
    return list(session.scalars(  # type: ignore[call-overload]
        query.order_by(col(OutboxMessage.id).desc()).limit(limit)
    ))


def retry(session: Session, *, now: datetime, statuses: Sequence[str] = (FAILED,),
          ids: Sequence[int] | None = None) -> int:
    """Put failed (or deferred) messages back in the queue, due now, with a fresh
    retry lifetime; rejected messages (5xx) are never retried. The caller commits."""
    allowed = {FAILED, DEFERRED}
    if not set(statuses) <= allowed:
        raise InvalidInput("only failed or deferred messages can be retried")
    query = (update(OutboxMessage)
             .where(col(OutboxMessage.status).in_(list(statuses)))
             .values(status=QUEUED, queued_at=now, next_attempt_at=now))
    if ids is not None:
        query = query.where(col(OutboxMessage.id).in_(list(ids)))
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]
