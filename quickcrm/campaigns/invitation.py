"""The invitation record: what seed 000's Excel reports per client, and the functions
that set it.

One row per selected client of a sent campaign. Every ``mark_*`` function is a single
conditional UPDATE (``... WHERE x_at IS NULL``) so that it is idempotent and safe under
concurrency: it returns True only for the call that actually changed the row, which is
how a double click on "Rapportage" sends one report, and how two overlapping runs
record one reminder.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, update
from sqlmodel import Field, Session, SQLModel

from quickcrm.store.models import utc_column


class Invitation(SQLModel, table=True):
    __tablename__ = "invitation"
    __table_args__ = (Index("ix_invitation_campaign_open", "campaign_id", "finished_at"),
                      Index("ux_invitation_optout_token", "optout_token", unique=True))

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    campaign_client_id: int = Field(foreign_key="campaign_client.id", unique=True,
                                    ondelete="CASCADE")
    relation_id: int = Field(foreign_key="relation.id", index=True)
    token: str = Field(max_length=64, unique=True)  # the client's own page /q/{token}
    preview_token: str = Field(max_length=64, unique=True)  # the RM's preview /p/{token}
    first_contact: bool = False  # no earlier known e-mail between client and RM
    invited_at: datetime | None = Field(default=None, sa_column=utc_column())  # R, T
    delivered_at: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    bounced_at: datetime | None = Field(default=None, sa_column=utc_column())
    bounce_reason: str = Field(default="", max_length=500)
    bounce_reported_at: datetime | None = Field(default=None, sa_column=utc_column())  # digest
    logged_in_at: datetime | None = Field(default=None, sa_column=utc_column())  # U
    not_interested_at: datetime | None = Field(default=None, sa_column=utc_column())  # W
    finished_at: datetime | None = Field(default=None, sa_column=utc_column())  # S
    report_sent_at: datetime | None = Field(default=None, sa_column=utc_column())  # V
    first_reminder_at: datetime | None = Field(default=None, sa_column=utc_column())  # X, AA
    first_reminder_skipped: bool = False
    second_reminder_at: datetime | None = Field(default=None, sa_column=utc_column())  # Y, AB
    no_response_at: datetime | None = Field(default=None, sa_column=utc_column())  # Z, AC
    # mail (issue 24): what the coordinator's digest reports besides bounces, and the
    # client's own one-click opt-out token (List-Unsubscribe)
    failed_at: datetime | None = Field(default=None, sa_column=utc_column())  # 4xx for 72 h
    failed_reason: str = Field(default="", max_length=500)
    failed_reported_at: datetime | None = Field(default=None, sa_column=utc_column())
    copy_refused_at: datetime | None = Field(default=None, sa_column=utc_column())  # RM copy 5xx
    copy_refused_reason: str = Field(default="", max_length=500)
    copy_reported_at: datetime | None = Field(default=None, sa_column=utc_column())
    optout_token: str | None = Field(default=None, max_length=64)


def _mark(session: Session, invitation_id: int, column: str, now: datetime,
          **extra: object) -> bool:
    col = getattr(Invitation, column)
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, col.is_(None))  # type: ignore[arg-type]
        .values({column: now, **extra})
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_delivered(session: Session, invitation_id: int, now: datetime) -> bool:
    return _mark(session, invitation_id, "delivered_at", now)


def mark_bounced(session: Session, invitation_id: int, now: datetime, reason: str = "",
                 *, open_only: bool = False) -> bool:
    """``open_only``: not when the client finished (a bounce matched by address only
    cannot be about the mail they answered)."""
    if open_only:
        changed = session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id,  # type: ignore[arg-type]
                   Invitation.bounced_at.is_(None),  # type: ignore[union-attr]
                   Invitation.finished_at.is_(None))  # type: ignore[union-attr]
            .values(bounced_at=now, bounce_reason=reason[:500]))
        return bool(changed.rowcount)  # type: ignore[attr-defined]
    return _mark(session, invitation_id, "bounced_at", now, bounce_reason=reason[:500])


def mark_failed(session: Session, invitation_id: int, now: datetime, reason: str = "") -> bool:
    """The invitation got 4xx replies until the retry lifetime ran out (never arrived)."""
    return _mark(session, invitation_id, "failed_at", now, failed_reason=reason[:500])


def mark_copy_refused(session: Session, invitation_id: int, now: datetime,
                      reason: str = "") -> bool:
    """The relationship manager's copy was refused (5xx); the client's mail is unaffected."""
    return _mark(session, invitation_id, "copy_refused_at", now, copy_refused_reason=reason[:500])


def mark_logged_in(session: Session, invitation_id: int, now: datetime) -> bool:
    """Called from the client's first POST (never a GET: mail scanners fetch links)."""
    return _mark(session, invitation_id, "logged_in_at", now)


def mark_not_interested(session: Session, invitation_id: int, now: datetime) -> bool:
    return _mark(session, invitation_id, "not_interested_at", now)


def mark_finished(session: Session, invitation_id: int, now: datetime) -> bool:
    """True only for the one call that finished it; that caller queues the report."""
    return _mark(session, invitation_id, "finished_at", now)


def mark_report_sent(session: Session, invitation_id: int, now: datetime) -> bool:
    return _mark(session, invitation_id, "report_sent_at", now)


def mark_first_reminder(session: Session, invitation_id: int, now: datetime,
                        *, skipped: bool = False) -> bool:
    return _mark(session, invitation_id, "first_reminder_at", now,
                 first_reminder_skipped=skipped)


def mark_second_reminder(session: Session, invitation_id: int, now: datetime) -> bool:
    return _mark(session, invitation_id, "second_reminder_at", now)


def mark_no_response(session: Session, invitation_id: int, now: datetime) -> bool:
    return _mark(session, invitation_id, "no_response_at", now)
