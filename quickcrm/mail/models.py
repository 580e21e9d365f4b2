"""The outbox: one row per message QuickCRM sends, written in the transaction that causes it.

Why a table and not "send now": the state change (an invitation sent, a reminder recorded)
and the message it causes must commit together or not at all, and delivery must survive
crashes, retries and several workers. So a message is rendered completely at queue time
(``OutboxBody`` holds the RFC 5322 bytes, ``message_id`` is fixed then), and delivery only
claims, sends and records (``quickcrm.mail.delivery``).

Statuses: ``queued`` (waiting for its first attempt), ``sending`` (claimed by a worker),
``deferred`` (a 4xx reply; retried at ``next_attempt_at``), ``sent`` (the server said 250),
``failed`` (4xx until ``mail.retry_max_age_hours`` ran out), ``rejected`` (5xx for the
recipient: permanent, never retried). A bounce that comes back later leaves ``sent`` and
sets ``bounced_at``/``bounce_reason``.

The bytes live in a table of their own because every status change rewrites the whole
row: with a 10-20 kB body inside it, each per-message commit of delivery would write
that much again (4x slower on SQLite).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from quickcrm.store.models import utc_column

QUEUED = "queued"
SENDING = "sending"
DEFERRED = "deferred"
SENT = "sent"
FAILED = "failed"
REJECTED = "rejected"
STATUSES: tuple[str, ...] = (QUEUED, SENDING, DEFERRED, SENT, FAILED, REJECTED)
WAITING: tuple[str, ...] = (QUEUED, DEFERRED)  # claimable once next_attempt_at has come


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_kind_ref", "kind", "ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # "invitation", "rm_copy", "reminder", ...
    ref: str = Field(default="", max_length=120)  # the caller's key, e.g. "invitation:42"
    message_id: str = Field(max_length=255, unique=True)  # "<random@domain>", set at queue time
    sender: str = Field(max_length=320)  # envelope MAIL FROM (the platform's mail.sender)
    recipient: str = Field(max_length=320, index=True)  # envelope RCPT TO (one per row)
    subject: str = Field(default="", max_length=500)
    status: str = Field(default=QUEUED, max_length=12)
    attempts: int = 0  # SMTP transactions tried (a refused connection is not an attempt)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    queued_at: datetime = Field(sa_column=utc_column(nullable=False))  # reset by retry
    next_attempt_at: datetime = Field(sa_column=utc_column(nullable=False))
    claimed_by: str | None = Field(default=None, max_length=120)
    claimed_at: datetime | None = Field(default=None, sa_column=utc_column())
    last_error: str = Field(default="", max_length=1000)
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    bounced_at: datetime | None = Field(default=None, sa_column=utc_column())
    bounce_reason: str = Field(default="", max_length=500)


class ImapSeen(SQLModel, table=True):
    """A message of a bounce mailbox (``mail.imap_url``) that was ingested, by its
    mailbox, UIDVALIDITY and UID: what was read is tracked here, never by the shared,
    user-visible ``\\Seen`` flag. ``bounce``: it was a bounce, so its flag is set (or it is
    moved) after the commit; ``done``: that happened (else the next poll does it)."""

    __tablename__ = "imap_seen"

    mailbox: str = Field(primary_key=True, max_length=300)  # imap://user@host:port/FOLDER
    uidvalidity: int = Field(primary_key=True, sa_type=BigInteger)
    uid: int = Field(primary_key=True, sa_type=BigInteger)
    bounce: bool = False
    done: bool = False
    seen_at: datetime = Field(sa_column=utc_column(nullable=False))


class OutboxBody(SQLModel, table=True):
    """The rendered message of an outbox row, written once and only read by delivery."""

    __tablename__ = "outbox_body"

    message_id: str = Field(primary_key=True, max_length=255,
                            foreign_key="outbox_message.message_id", ondelete="CASCADE")
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
