"""Retention (issue 29): what the settings ``privacy.answers_days``,
``privacy.outbox_days`` and ``privacy.unconfirmed_visitor_days`` no longer keep, and the
purge that deletes it (``privacy purge``, the daemon's daily ``purge``).

- the answers of a campaign closed more than ``answers_days`` ago (its invitations and
  their times stay, so the campaign's counts stay);
- the text (``outbox_body``) of every e-mail sent more than ``outbox_days`` ago (the row
  stays for the counts);
- a landing visitor who never confirmed their address and visited more than
  ``unconfirmed_visitor_days`` ago: the visitor and their answers go, and their
  confirmation e-mail loses its text and its address.

0 keeps. Idempotent: a second run finds nothing; one transaction per run, and one
``privacy.purged`` event with counts only when something went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from quickcrm import permissions
from quickcrm.campaigns.campaign import CLOSED
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import Campaign
from quickcrm.errors import ConfigError
from quickcrm.events import PRIVACY_PURGED, record
from quickcrm.landing.models import LandingVisitor
from quickcrm.mail.models import SENT, OutboxBody, OutboxMessage
from quickcrm.permissions import Actor
from quickcrm.quickscans.models import Answer
from quickcrm.settings import Settings

PERIODS = ("privacy.answers_days", "privacy.outbox_days", "privacy.unconfirmed_visitor_days")
CONFIRM_KIND = "landing_confirm"  # the confirmation e-mail of a landing visitor (landing)


def periods(settings: Settings) -> dict[str, int]:
    """The three retention periods in days (0: keep); a negative one is a config error
    naming where it was set."""
    out = {}
    for name in PERIODS:
        days = int(settings[name])
        if days < 0:
            where = settings.sources.get(name, "default")
            raise ConfigError(f"{where}: {name} must be 0 (keep) or a number of days, "
                              f"got {days}")
        out[name] = days
    return out


def cutoff(now: datetime, days: int) -> datetime | None:
    """What is older than this goes (None: kept)."""
    return now - timedelta(days=days) if days else None


@dataclass
class Purged:
    """What a purge deleted (or, with ``dry_run``, would delete)."""

    answers: int = 0
    outbox_bodies: int = 0
    visitors: int = 0
    visitor_answers: int = 0
    visitor_messages: int = 0
    dry_run: bool = False
    days: dict[str, int] = field(default_factory=dict)
    cutoffs: dict[str, datetime | None] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return (self.answers + self.outbox_bodies + self.visitors + self.visitor_answers
                + self.visitor_messages)

    def to_json(self) -> dict[str, Any]:
        return {"answers": self.answers, "outbox_bodies": self.outbox_bodies,
                "visitors": self.visitors, "visitor_answers": self.visitor_answers,
                "visitor_messages": self.visitor_messages, "dry_run": self.dry_run,
                "days": self.days, "cutoffs": self.cutoffs}


def _closed_campaign_invitations(before: datetime) -> Any:
    closed = select(col(Campaign.id)).where(col(Campaign.status) == CLOSED,
                                            col(Campaign.closed_at) < before)
    return select(col(Invitation.id)).where(col(Invitation.campaign_id).in_(closed))


def _sent_before(before: datetime) -> Any:
    return select(col(OutboxMessage.message_id)).where(
        col(OutboxMessage.status) == SENT, col(OutboxMessage.sent_at) < before)


def _unconfirmed_before(before: datetime) -> Any:
    return select(col(LandingVisitor.id)).where(
        col(LandingVisitor.confirmed_at).is_(None), col(LandingVisitor.started_at) < before)


def _count(session: Session, query: Any) -> int:
    return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())


def purge(*, session: Session, actor: Actor, now: datetime, settings: Settings,
          dry_run: bool = False) -> Purged:
    """Delete what the retention periods no longer keep, in one transaction."""
    permissions.require(actor, "purge personal data")
    days = periods(settings)
    answers_cut = cutoff(now, days["privacy.answers_days"])
    outbox_cut = cutoff(now, days["privacy.outbox_days"])
    visitor_cut = cutoff(now, days["privacy.unconfirmed_visitor_days"])
    done = Purged(dry_run=dry_run, days=days, cutoffs={
        "answers": answers_cut, "outbox": outbox_cut, "visitors": visitor_cut})
    if answers_cut is not None:
        doomed = select(col(Answer.id)).where(
            col(Answer.invitation_id).in_(_closed_campaign_invitations(answers_cut)))
        done.answers = _count(session, doomed)
        if done.answers and not dry_run:
            session.execute(delete(Answer).where(col(Answer.id).in_(doomed)))
    if visitor_cut is not None:
        visitors = [int(v) for v in session.execute(_unconfirmed_before(visitor_cut)).scalars()]
        refs = [f"landing:{v}" for v in visitors]
        mails = [str(m) for m in session.execute(select(col(OutboxMessage.message_id)).where(
            col(OutboxMessage.kind) == CONFIRM_KIND, col(OutboxMessage.ref).in_(refs))).scalars()]
        done.visitors, done.visitor_messages = len(visitors), len(mails)
        done.visitor_answers = _count(session, select(col(Answer.id)).where(
            col(Answer.landing_visitor_id).in_(visitors)))
        if visitors and not dry_run:
            if mails:
                session.execute(delete(OutboxBody).where(col(OutboxBody.message_id).in_(mails)))
                session.execute(update(OutboxMessage).where(
                    col(OutboxMessage.message_id).in_(mails)).values(recipient="", subject=""))
            session.execute(delete(Answer).where(col(Answer.landing_visitor_id).in_(visitors)))
            session.execute(delete(LandingVisitor).where(col(LandingVisitor.id).in_(visitors)))
    if outbox_cut is not None:
        bodies = select(col(OutboxBody.message_id)).where(
            col(OutboxBody.message_id).in_(_sent_before(outbox_cut)))
        done.outbox_bodies = _count(session, bodies)
        if done.outbox_bodies and not dry_run:
            session.execute(delete(OutboxBody).where(
                col(OutboxBody.message_id).in_(_sent_before(outbox_cut))))
    if done.total and not dry_run:
        record(session, kind=PRIVACY_PURGED, at=now, user_id=actor.id or None,
               **{k: v for k, v in done.to_json().items() if k != "dry_run"})
    if not dry_run:
        session.commit()
    return done
