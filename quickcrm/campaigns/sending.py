"""`quickcrm send`: one invitation per selected client, and the relationship manager's
copy, written to the outbox in the same transaction as the invitation records.

Why it cannot send twice: an invitation row is unique per selection row, and a batch of
invitation rows commits together with its outbox rows; a resumed or overlapping `send`
only picks selection rows that have no invitation yet (the campaign row is locked per
batch on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers). Delivery is a separate
step that claims outbox rows, so re-running `send` never re-sends a message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, insert, select
from sqlmodel import Session

from quickcrm import events, permissions
from quickcrm.campaigns.campaign import get_campaign, mark_sent
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.mails import COPY_NOTICE, CampaignMailer, Manager, Person
from quickcrm.campaigns.models import Campaign, CampaignClient
from quickcrm.errors import InvalidState, command_hint
from quickcrm.mail.outbox import Draft, queue_many
from quickcrm.permissions import Actor
from quickcrm.quickscans.definitions import definition_of
from quickcrm.quickscans.guards import new_token
from quickcrm.quickscans.models import QuickScan
from quickcrm.runtime import Delivered, Runtime
from quickcrm.settings import Settings
from quickcrm.store.models import User

BATCH = 1000
I = Invitation.__table__  # type: ignore[attr-defined]  # noqa: E741
CC = CampaignClient.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]


@dataclass
class Outcome:
    """What a run queued, and what the delivery right after it did with all due mail."""

    queued: int = 0
    delivered: int = 0
    deferred: int = 0
    failed: int = 0
    rejected: int = 0

    def add_delivery(self, result: Delivered) -> None:
        self.delivered += result.delivered
        self.deferred += result.deferred
        self.failed += result.failed
        self.rejected += result.rejected


@dataclass
class SendCounts(Outcome):
    campaign: str = ""
    invitations: int = 0
    copies: int = 0
    first_contact: int = 0
    dry_run: bool = False
    first_contact_by_rm: dict[str, int] = field(default_factory=dict)
    warning: str | None = None
    sample: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        keys = ("invitations", "copies", "first_contact", "queued", "delivered", "deferred",
                "failed", "rejected")
        return {k: getattr(self, k) for k in keys}


def mailer_for(session: Session, campaign: Campaign, settings: Settings) -> CampaignMailer:
    quickscan = session.get(QuickScan, campaign.quickscan_id)
    assert quickscan is not None
    return CampaignMailer(
        definition=definition_of(quickscan), campaign_name=campaign.name,
        firm_name=str(settings["firm.name"]), base_url=settings.base_url,
        sender=_platform(settings))


def _platform(settings: Settings) -> str:
    from quickcrm.mail.compose import address

    return address(str(settings["mail.sender_name"]), str(settings["mail.sender"]))


def _pending(campaign_id: int, limit: int | None) -> Any:
    """Selection rows of the campaign that have no invitation yet, with their RM."""
    earlier_cc, earlier_i = CC.alias("ecc"), I.alias("ei")
    known = exists().where(
        earlier_i.c.campaign_client_id == earlier_cc.c.id, earlier_cc.c.rm_id == CC.c.rm_id,
        func.lower(earlier_cc.c.email) == func.lower(CC.c.email),
        earlier_i.c.invited_at.is_not(None), earlier_i.c.bounced_at.is_(None),
        earlier_cc.c.id != CC.c.id)
    query = (
        select(CC.c.id, CC.c.relation_id, CC.c.person_id, CC.c.relation_number, CC.c.first_name,
               CC.c.last_name, CC.c.email, CC.c.company, CC.c.rm_id,
               U.c.first_name.label("rm_first"), U.c.last_name.label("rm_last"),
               U.c.email.label("rm_email"), U.c.signature.label("rm_signature"),
               U.c.function.label("rm_function"), U.c.phone.label("rm_phone"),
               (~known).label("first_contact"))
        .select_from(CC.outerjoin(U, U.c.id == CC.c.rm_id))
        .where(CC.c.campaign_id == campaign_id,
               ~exists().where(I.c.campaign_client_id == CC.c.id))
        .order_by(CC.c.id))
    return query.limit(limit) if limit else query


def _check(campaign: Campaign) -> None:
    if campaign.status == "draft":
        raise InvalidState(f"campaign {campaign.name!r} is a draft; run "
                           f"`{command_hint('campaign', 'finalize', campaign.name)}` first")
    if campaign.status == "closed":
        raise InvalidState(f"campaign {campaign.name!r} is closed; it sends no more invitations")


def _people(row: Any, settings: Settings) -> tuple[Person, Manager]:
    client = Person(first_name=row.first_name, last_name=row.last_name, email=row.email,
                    company=row.company, relation_number=row.relation_number)
    if row.rm_email:
        rm = Manager(first_name=row.rm_first, last_name=row.rm_last, email=row.rm_email,
                     signature=row.rm_signature, function=row.rm_function, phone=row.rm_phone)
    else:  # a client without relationship manager is written to by the firm itself
        rm = Manager(first_name=str(settings["firm.name"]), last_name="",
                     email=str(settings["mail.sender"]))
    return client, rm


def _drafts(mailer: CampaignMailer, rows: list[Any], ids: dict[int, int],
            tokens: dict[int, tuple[str, str]], settings: Settings) -> list[Draft]:
    drafts: list[Draft] = []
    for row in rows:
        client, rm = _people(row, settings)
        ref = f"invitation:{ids[row.id]}"
        token, preview = tokens[row.id]
        drafts.append(mailer.draft("invitation", ref=ref, to=client, client=client, rm=rm,
                                   link=mailer.client_link(token)))
        if row.rm_email:
            drafts.append(mailer.draft(
                "rm_copy", ref=ref, to=rm, client=client, rm=rm,
                link=mailer.preview_link(preview), mail_kind="invitation",
                notice=COPY_NOTICE.format(client=client.name or client.email),
                subject_prefix="[Kopie] "))
    return drafts


def queue_invitations(
    *, session: Session, actor: Actor, now: datetime, campaign: str, settings: Settings,
    dry_run: bool = False, progress: Callable[[int], None] | None = None,
) -> SendCounts:
    """Create the missing invitations of a final (or already sent) campaign and queue
    their messages, batch by batch; each batch commits as a whole."""
    permissions.require(actor, "send campaigns")
    row = get_campaign(session, campaign)
    _check(row)
    assert row.id is not None
    mailer = mailer_for(session, row, settings)
    counts = SendCounts(campaign=row.name, dry_run=dry_run)
    by_rm: Counter[str] = Counter()
    if dry_run:
        rows = list(session.execute(_pending(row.id, None)))
        fake = {r.id: (new_token(), new_token()) for r in rows}
        drafts = _drafts(mailer, rows, {r.id: 0 for r in rows}, fake, settings)
        _count(counts, rows, by_rm)
        counts.sample = _sample(drafts)
        counts.first_contact_by_rm = dict(by_rm)
        return counts
    session.rollback()
    while True:
        locked = get_campaign(session, row.id, for_update=True)
        _check(locked)
        rows = list(session.execute(_pending(row.id, BATCH)))
        if not rows:
            session.rollback()
            break
        tokens = {r.id: (new_token(), new_token()) for r in rows}
        session.execute(insert(I), [
            {"campaign_id": row.id, "campaign_client_id": r.id, "relation_id": r.relation_id,
             "token": tokens[r.id][0], "preview_token": tokens[r.id][1],
             "first_contact": bool(r.first_contact), "invited_at": now, "bounce_reason": "",
             "first_reminder_skipped": False} for r in rows])
        ids = dict(session.execute(
            select(I.c.campaign_client_id, I.c.id)
            .where(I.c.campaign_client_id.in_([r.id for r in rows]))).all())
        drafts = _drafts(mailer, rows, ids, tokens, settings)
        message_ids = queue_many(session, drafts, now=now)
        events.record_many(session, _sent_events(row.id, actor.id, rows, ids, drafts,
                                                 message_ids), at=now)
        if locked.status == "final":
            mark_sent(session, locked, now)
        session.commit()
        _count(counts, rows, by_rm)
        counts.queued += len(drafts)
        if progress:
            progress(len(rows))
    counts.first_contact_by_rm = dict(by_rm)
    return counts


def _sent_events(campaign_id: int, actor_id: int, rows: list[Any], ids: dict[int, int],
                 drafts: list[Draft], message_ids: list[str]) -> list[events.Entry]:
    """One INVITATION_SENT per row, on behalf of the row's RM, with its Message-ID (and
    the user who ran `send`, when that is someone else)."""
    invitation_mids = [m for d, m in zip(drafts, message_ids, strict=True)
                       if d.kind == "invitation"]
    return [events.Entry(events.INVITATION_SENT, relation_id=r.relation_id,
                         person_id=r.person_id, user_id=r.rm_id,
                         details=events.with_actor(
                             {"campaign_id": campaign_id, "invitation_id": ids[r.id],
                              "message_id": mid}, actor_id, r.rm_id))
            for r, mid in zip(rows, invitation_mids, strict=True)]


def _count(counts: SendCounts, rows: list[Any], by_rm: Counter[str]) -> None:
    for r in rows:
        counts.invitations += 1
        counts.copies += 1 if r.rm_email else 0
        if r.first_contact:
            counts.first_contact += 1
            by_rm[r.rm_email or "(no relationship manager)"] += 1


def _sample(drafts: list[Draft]) -> dict[str, str] | None:
    if not drafts:
        return None
    d = drafts[0]
    return {"to": d.to, "from": d.from_, "subject": d.subject, "text": d.text}


def send(*, rt: Runtime, campaign: str, dry_run: bool = False, queue_only: bool = False,
         progress: Callable[[int], None] | None = None) -> SendCounts:
    """The `send` use case: queue the missing invitations, then deliver what is due
    (unless ``queue_only``), and warn about reminders on Sundays (seed 000)."""
    from quickcrm.campaigns.reminders import calendar_from_settings, local_date
    from quickcrm.campaigns.reminders_rules import thursday_warning

    now = rt.clock.now()
    with rt.session(read_only=dry_run) as session:
        counts = queue_invitations(session=session, actor=rt.actor, now=now, campaign=campaign,
                                   settings=rt.settings, dry_run=dry_run, progress=progress)
    today = local_date(now, rt.settings.timezone)
    counts.warning = thursday_warning(today, calendar_from_settings(rt.settings, today.year))
    if not dry_run and not queue_only:
        counts.add_delivery(rt.deliver())
        with rt.session() as session:  # SMTP-time rejections are reported at once
            from quickcrm.campaigns.bounce_digest import queue_bounce_digests

            if queue_bounce_digests(session=session, now=rt.clock.now(), settings=rt.settings):
                session.commit()
                counts.add_delivery(rt.deliver())
    return counts
