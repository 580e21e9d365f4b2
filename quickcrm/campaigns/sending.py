"""`quickcrm send`: one invitation per selected client, and the relationship manager's
copy, written to the outbox in the same transaction as the invitation records.

Who is invited: every frozen recipient except those ``recipients.send_problem`` passes
over (opted out since the selection was finalized, excluded after finalizing, an address
the outbox refuses); each of those is reported with its reason (``skipped``) and stays
uninvited, so one client never stops the campaign.

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

from sqlalchemy import and_, delete, exists, func, insert, select
from sqlmodel import Session

from quickcrm import events, permissions
from quickcrm.branding import for_settings
from quickcrm.campaigns.campaign import get_campaign, mark_sent
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.mails import COPY_NOTICE, CampaignMailer, Manager, Person
from quickcrm.campaigns.models import Campaign, CampaignClient, Exclusion
from quickcrm.campaigns.recipients import Skipped, send_problem
from quickcrm.errors import InvalidInput, InvalidState, command_hint
from quickcrm.mail.outbox import Draft, queue_many
from quickcrm.permissions import Actor
from quickcrm.quickscans.definitions import definition_of
from quickcrm.quickscans.guards import new_token
from quickcrm.quickscans.models import QuickScan
from quickcrm.runtime import Delivered, Runtime
from quickcrm.settings import Settings
from quickcrm.store.models import Person as PersonRow
from quickcrm.store.models import User

BATCH = 1000
I = Invitation.__table__  # type: ignore[attr-defined]  # noqa: E741
CC = CampaignClient.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
P = PersonRow.__table__  # type: ignore[attr-defined]
EX = Exclusion.__table__  # type: ignore[attr-defined]


@dataclass
class Outcome:
    """What a run queued, and what the delivery right after it did with all due mail."""

    queued: int = 0
    delivered: int = 0
    deferred: int = 0
    failed: int = 0
    rejected: int = 0

    def add_delivery(self, result: Delivered | None) -> None:
        if result is None:
            return
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
    skipped: list[Skipped] = field(default_factory=list)  # not invited by this run, why

    @property
    def opted_out(self) -> int:
        return sum(1 for s in self.skipped if s.reason == "opted_out")

    def to_json(self) -> dict[str, Any]:
        keys = ("invitations", "copies", "first_contact", "queued", "delivered", "deferred",
                "failed", "rejected", "opted_out")
        return {**{k: getattr(self, k) for k in keys},
                "skipped": [s.to_json() for s in self.skipped]}


def mailer_for(session: Session, campaign: Campaign, settings: Settings) -> CampaignMailer:
    quickscan = session.get(QuickScan, campaign.quickscan_id)
    assert quickscan is not None
    return CampaignMailer(
        definition=definition_of(quickscan), campaign_name=campaign.name,
        firm_name=str(settings["firm.name"]), base_url=settings.base_url,
        sender=_platform(settings), brand=for_settings(settings))


def _platform(settings: Settings) -> str:
    from quickcrm.mail.compose import address

    return address(str(settings["mail.sender_name"]), str(settings["mail.sender"]))


def _pending(campaign_id: int, limit: int | None, after: int = 0) -> Any:
    """Selection rows of the campaign that have no invitation yet (above row ``after``:
    the rows a run skipped stay pending), with their RM, and what ``send_problem``
    checks: the frozen contact now (opted out since?) and an exclusion after finalizing."""
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
               U.c.active.label("rm_active"), (~known).label("first_contact"),
               P.c.id.label("contact_id"), P.c.opted_out, EX.c.reason.label("excluded"))
        .select_from(CC.outerjoin(U, U.c.id == CC.c.rm_id)
                     .outerjoin(P, P.c.id == CC.c.person_id)
                     .outerjoin(EX, and_(EX.c.campaign_id == CC.c.campaign_id,
                                         EX.c.relation_number == CC.c.relation_number)))
        .where(CC.c.campaign_id == campaign_id, CC.c.id > after,
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
            tokens: dict[int, tuple[str, str, str]], settings: Settings) -> list[Draft]:
    drafts: list[Draft] = []
    for row in rows:
        client, rm = _people(row, settings)
        ref = f"invitation:{ids[row.id]}"
        token, preview, optout = tokens[row.id]
        drafts.append(mailer.draft("invitation", ref=ref, to=client, client=client, rm=rm,
                                   link=mailer.client_link(token),
                                   optout=mailer.optout_link(optout)))
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
        rows = _sendable(list(session.execute(_pending(row.id, None))), counts)
        fake = {r.id: (new_token(), new_token(), new_token()) for r in rows}
        drafts = _drafts(mailer, rows, {r.id: 0 for r in rows}, fake, settings)
        _count(counts, rows, by_rm)
        counts.sample = _sample(drafts)
        counts.first_contact_by_rm = dict(by_rm)
        return counts
    session.rollback()
    after = 0
    while True:
        locked = get_campaign(session, row.id, for_update=True)
        _check(locked)
        pending = list(session.execute(_pending(row.id, BATCH, after)))
        if not pending:
            session.rollback()
            break
        after = pending[-1].id
        if progress:
            progress(len(pending))
        rows = _sendable(pending, counts)
        if not rows:
            session.rollback()
            continue
        tokens = {r.id: (new_token(), new_token(), new_token()) for r in rows}
        session.execute(insert(I), [
            {"campaign_id": row.id, "campaign_client_id": r.id, "relation_id": r.relation_id,
             "token": tokens[r.id][0], "preview_token": tokens[r.id][1],
             "optout_token": tokens[r.id][2],
             "first_contact": bool(r.first_contact), "invited_at": now, "bounce_reason": "",
             "first_reminder_skipped": False} for r in rows])
        ids = dict(session.execute(
            select(I.c.campaign_client_id, I.c.id)
            .where(I.c.campaign_client_id.in_([r.id for r in rows]))).all())
        rows, drafts, message_ids = _queue(session, mailer, rows, ids, tokens, settings,
                                           now, counts)
        if not rows:
            session.rollback()
            continue
        events.record_many(session, _sent_events(row.id, actor.id, rows, ids, drafts,
                                                 message_ids), at=now)
        if locked.status == "final":
            mark_sent(session, locked, now)
        session.commit()
        _count(counts, rows, by_rm)
        counts.queued += len(drafts)
    counts.first_contact_by_rm = dict(by_rm)
    return counts


def _sendable(rows: list[Any], counts: SendCounts) -> list[Any]:
    """The rows to invite now; the others go to ``counts.skipped`` with their reason
    (``recipients.send_problem``): one client never stops the campaign."""
    out = []
    for r in rows:
        problem = send_problem(relation=r.relation_number, email=r.email,
                               contact_exists=r.person_id is None or r.contact_id is not None,
                               opted_out=bool(r.opted_out), rm_email=r.rm_email,
                               rm_active=None if r.rm_active is None else bool(r.rm_active),
                               excluded=r.excluded)
        if problem is None:
            out.append(r)
        else:
            counts.skipped.append(problem)
    return out


def _queue(session: Session, mailer: CampaignMailer, rows: list[Any], ids: dict[int, int],
           tokens: dict[int, tuple[str, str, str]], settings: Settings, now: datetime,
           counts: SendCounts) -> tuple[list[Any], list[Draft], list[str]]:
    """Queue the batch's messages in a savepoint; should the outbox refuse one (an
    address it cannot use), queue client by client instead, skip the refused ones and
    take back their invitation rows. Returns the rows, drafts and Message-IDs queued."""
    drafts = _drafts(mailer, rows, ids, tokens, settings)
    try:
        with session.begin_nested():
            return rows, drafts, queue_many(session, drafts, now=now)
    except InvalidInput:
        pass
    kept: list[Any] = []
    kept_drafts: list[Draft] = []
    message_ids: list[str] = []
    refused: list[int] = []
    for r in rows:
        own = _drafts(mailer, [r], ids, tokens, settings)
        try:
            with session.begin_nested():
                message_ids += queue_many(session, own, now=now)
        except InvalidInput as exc:
            counts.skipped.append(Skipped(r.relation_number, "invalid_address", str(exc)))
            refused.append(ids[r.id])
            continue
        kept.append(r)
        kept_drafts += own
    if refused:
        session.execute(delete(I).where(I.c.id.in_(refused)))
    return kept, kept_drafts, message_ids


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


Stage = Callable[[str, int], Callable[[int], None]]  # (what, total) -> advance(n)


def pending_count(session: Session, campaign: str) -> int:
    """Selected clients of the campaign without an invitation yet (a progress total)."""
    row = get_campaign(session, campaign)
    return int(session.scalar(
        select(func.count()).select_from(CC)
        .where(CC.c.campaign_id == row.id,
               ~exists().where(I.c.campaign_client_id == CC.c.id))) or 0)


def send(*, rt: Runtime, campaign: str, dry_run: bool = False, queue_only: bool = False,
         progress: Callable[[int], None] | None = None,
         stages: Stage | None = None) -> SendCounts:
    """The `send` use case: queue the missing invitations, then deliver what is due
    (unless ``queue_only``), and warn about reminders on Sundays (seed 000).

    ``stages`` (a progress display): called as ``stages("queued", clients to invite)``
    and ``stages("delivered", messages due)``, each returning the ``advance`` to call."""
    from quickcrm.campaigns.reminders import calendar_from_settings, local_date
    from quickcrm.campaigns.reminders_rules import thursday_warning
    from quickcrm.mail.outbox import due_count

    now = rt.clock.now()
    permissions.require(rt.actor, "send campaigns")
    with rt.session(read_only=dry_run) as session:
        if stages is not None and progress is None:
            progress = stages("queued", pending_count(session, campaign))
            session.rollback()
        counts = queue_invitations(session=session, actor=rt.actor, now=now, campaign=campaign,
                                   settings=rt.settings, dry_run=dry_run, progress=progress)
    today = local_date(now, rt.settings.timezone)
    counts.warning = thursday_warning(today, calendar_from_settings(rt.settings, today.year))
    if not dry_run and not queue_only:
        delivered: Callable[[int], None] | None = None
        if stages is not None:
            with rt.session(read_only=True) as session:
                delivered = stages("delivered", due_count(session, now=rt.clock.now()))
        counts.add_delivery(rt.deliver(progress=delivered))
        from quickcrm.campaigns.bounce_digest import deliver_digests

        counts.add_delivery(deliver_digests(rt))  # SMTP-time rejections are reported at once
    return counts
