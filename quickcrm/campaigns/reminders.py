"""`quickcrm remind`: first and second reminders to clients, and the no-response notice
to the relationship manager, each recorded and queued in one transaction.

The rules are pure (``reminders_rules``); this module finds the few invitations that can
possibly be due with one indexed query, asks the rules, passes over every client who
opted out since they were invited (counted as ``opted_out``: no reminder, and no notice
asking their RM to chase them), and records each action with a
conditional UPDATE that only one of two overlapping runs can win, so that a reminder is
queued exactly once even when cron's `remind` and the daemon run together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from quickcrm import events, permissions
from quickcrm.campaigns import invitation as inv
from quickcrm.campaigns.campaign import get_campaign
from quickcrm.campaigns.mails import CampaignMailer, Manager, Person, manager_of
from quickcrm.campaigns.models import Campaign, CampaignClient
from quickcrm.campaigns.reminders_rules import (
    FIRST_AFTER_DAYS,
    NOTICE_AFTER_DAYS,
    SECOND_AFTER_DAYS,
    Calendar,
    InvitationState,
    due_actions,
    holidays_for,
    parse_weekdays,
    parse_window,
)
from quickcrm.campaigns.sending import Outcome
from quickcrm.clock import local_date, local_time
from quickcrm.mail.outbox import Draft, queue_many
from quickcrm.permissions import Actor
from quickcrm.runtime import Runtime
from quickcrm.settings import Settings
from quickcrm.store.models import Person as PersonRow
from quickcrm.store.models import User

I = inv.Invitation.__table__  # type: ignore[attr-defined]  # noqa: E741
CC = CampaignClient.__table__  # type: ignore[attr-defined]
C = Campaign.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
P = PersonRow.__table__  # type: ignore[attr-defined]
BATCH = 500


def calendar_from_settings(settings: Settings, *years: int) -> Calendar:
    holidays = holidays_for(set(years) | {y + 1 for y in years}) \
        if settings["reminders.skip_holidays"] else frozenset()
    return Calendar(skip_weekdays=parse_weekdays(str(settings["reminders.skip_weekdays"])),
                    holidays=holidays, window=parse_window(str(settings["reminders.send_window"])))


@dataclass
class RemindCounts(Outcome):
    first_reminders: int = 0
    second_reminders: int = 0
    no_response: int = 0
    skipped_first: int = 0
    opted_out: int = 0  # clients with something due who opted out since: nothing sent
    dry_run: bool = False

    def to_json(self) -> dict[str, int]:
        return {"first_reminders": self.first_reminders,
                "second_reminders": self.second_reminders, "no_response": self.no_response,
                "opted_out": self.opted_out}


def _candidates(now: datetime, campaign_id: int | None) -> Any:
    """Invitations of sent (not closed) campaigns that could have something due: each
    condition uses one day less than the rule, as a margin for time zones; the pure
    rules decide."""
    def older(days: int) -> Any:
        return I.c.delivered_at <= now - timedelta(days=days - 1)

    query = (
        select(I.c.id, I.c.token, I.c.preview_token, I.c.optout_token, I.c.delivered_at,
               I.c.first_reminder_at, I.c.second_reminder_at, I.c.no_response_at,
               I.c.campaign_id, I.c.relation_id, CC.c.person_id, CC.c.first_name, CC.c.last_name, CC.c.email,
               CC.c.company, CC.c.relation_number, CC.c.rm_id,
               U.c.first_name.label("rm_first"), U.c.last_name.label("rm_last"),
               U.c.email.label("rm_email"), U.c.signature.label("rm_signature"),
               U.c.function.label("rm_function"), U.c.phone.label("rm_phone"),
               P.c.opted_out)
        .select_from(I.join(C, C.c.id == I.c.campaign_id)
                     .join(CC, CC.c.id == I.c.campaign_client_id)
                     .outerjoin(U, U.c.id == CC.c.rm_id)
                     .outerjoin(P, P.c.id == CC.c.person_id))
        .where(C.c.status == "sent", I.c.delivered_at.is_not(None),
               I.c.finished_at.is_(None), I.c.not_interested_at.is_(None),
               I.c.bounced_at.is_(None),
               or_(and_(I.c.first_reminder_at.is_(None), older(FIRST_AFTER_DAYS)),
                   and_(I.c.second_reminder_at.is_(None), older(SECOND_AFTER_DAYS)),
                   and_(I.c.no_response_at.is_(None), older(NOTICE_AFTER_DAYS))))
        .order_by(I.c.id))
    if campaign_id is not None:
        query = query.where(I.c.campaign_id == campaign_id)
    return query


def _state(row: Any, tz: str) -> InvitationState:
    return InvitationState(delivered_on=local_date(row.delivered_at, tz),
                           first_done=row.first_reminder_at is not None,
                           second_done=row.second_reminder_at is not None,
                           notice_done=row.no_response_at is not None)


class _Mailers:
    """One compiled mailer per campaign, and the coordinator as fallback recipient."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session, self.settings = session, settings
        self._cache: dict[int, tuple[CampaignMailer, Manager]] = {}

    def get(self, campaign_id: int) -> tuple[CampaignMailer, Manager]:
        if campaign_id not in self._cache:
            from quickcrm.campaigns.sending import mailer_for

            campaign = self.session.get(Campaign, campaign_id)
            assert campaign is not None
            coordinator = self.session.get(User, campaign.coordinator_id)
            assert coordinator is not None
            self._cache[campaign_id] = (
                mailer_for(self.session, campaign, self.settings),
                manager_of(coordinator))
        return self._cache[campaign_id]


Reminded = tuple[int, str, Any]  # position of the reminder's draft, event kind, row
REMINDERS = (("reminder1", events.REMINDER1_SENT, inv.mark_first_reminder),
             ("reminder2", events.REMINDER2_SENT, inv.mark_second_reminder))


def _act(session: Session, row: Any, due: Any, now: datetime, mailers: _Mailers,
         counts: RemindCounts, drafts: list[Draft], reminded: list[Reminded]) -> None:
    """Record the due actions of one invitation; a message only for what this run won
    (appended to ``drafts``; each reminder also to ``reminded``, for its event)."""
    mailer, coordinator = mailers.get(row.campaign_id)
    client = Person(row.first_name, row.last_name, row.email, row.company, row.relation_number)
    rm = (Manager(row.rm_first, row.rm_last, row.rm_email, row.rm_signature,
                  row.rm_function, row.rm_phone) if row.rm_email else coordinator)
    ref = f"invitation:{row.id}"
    if due.skip_first and inv.mark_first_reminder(session, row.id, now, skipped=True):
        counts.skipped_first += 1
    for (kind, event, mark), wanted in zip(REMINDERS, (due.first, due.second), strict=True):
        if wanted and mark(session, row.id, now):
            reminded.append((len(drafts), event, row))
            drafts.append(mailer.draft(kind, ref=ref, to=client, client=client, rm=rm,
                                       link=mailer.client_link(row.token),
                                       optout=mailer.optout_link(_optout_token(session, row))))
            counts.first_reminders += kind == "reminder1"
            counts.second_reminders += kind == "reminder2"
    if due.notice and inv.mark_no_response(session, row.id, now):
        drafts.append(mailer.draft("no_response", ref=ref, to=rm, client=client, rm=rm,
                                   link=mailer.preview_link(row.preview_token)))
        counts.no_response += 1
        if row.person_id is not None and row.rm_id is not None:  # issue 26
            from quickcrm.crm.signals import ASK_FOR_RESPONSE, auto_signal

            auto_signal(session, now=now, tz=mailers.settings.timezone, person_id=row.person_id,
                        user_id=row.rm_id, title=ASK_FOR_RESPONSE, ref=ref)


def _optout_token(session: Session, row: Any) -> str:
    """The invitation's one-click opt-out token; one sent before tokens existed gets one."""
    if row.optout_token:
        return str(row.optout_token)
    from quickcrm.quickscans.guards import new_token

    token = new_token()
    session.execute(I.update().where(I.c.id == row.id, I.c.optout_token.is_(None))
                    .values(optout_token=token))
    return str(session.scalar(select(I.c.optout_token).where(I.c.id == row.id)))


def _reminder_events(reminded: list[Reminded], message_ids: list[str],
                     actor_id: int) -> list[events.Entry]:
    """One event per reminder, on behalf of the client's RM, with its Message-ID (and the
    user who ran `remind`, when that is someone else)."""
    return [events.Entry(kind, relation_id=row.relation_id, person_id=row.person_id,
                         user_id=row.rm_id,
                         details=events.with_actor(
                             {"campaign_id": row.campaign_id, "invitation_id": row.id,
                              "message_id": message_ids[pos]}, actor_id, row.rm_id))
            for pos, kind, row in reminded]


def queue_reminders(
    *, session: Session, actor: Actor, now: datetime, settings: Settings,
    campaign: str | None = None, dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RemindCounts:
    """Find what is due at ``now`` and record + queue it, batch by batch."""
    permissions.require(actor, "run reminders")
    campaign_id = get_campaign(session, campaign).id if campaign else None
    tz = settings.timezone
    local_now = local_time(now, tz).replace(tzinfo=None)
    calendar = calendar_from_settings(settings, local_now.year)
    rows = [r for r in session.execute(_candidates(now, campaign_id))]
    due_rows = [(r, d) for r in rows if (d := due_actions(_state(r, tz), local_now, calendar)).anything]
    counts = RemindCounts(dry_run=dry_run)
    counts.opted_out = sum(1 for r, _ in due_rows if r.opted_out)
    due_rows = [(r, d) for r, d in due_rows if not r.opted_out]  # no reminder reaches them
    if dry_run:
        for _, d in due_rows:
            counts.first_reminders += d.first
            counts.second_reminders += d.second
            counts.no_response += d.notice
            counts.skipped_first += d.skip_first
        return counts
    session.rollback()
    mailers = _Mailers(session, settings)
    for start in range(0, len(due_rows), BATCH):
        batch = due_rows[start:start + BATCH]
        drafts: list[Draft] = []
        reminded: list[Reminded] = []
        for row, due in batch:
            _act(session, row, due, now, mailers, counts, drafts, reminded)
        if drafts:
            message_ids = queue_many(session, drafts, now=now)
            events.record_many(session, _reminder_events(reminded, message_ids, actor.id),
                               at=now)
        session.commit()
        counts.queued += len(drafts)
        if progress:
            progress(len(batch))
    return counts


def remind(*, rt: Runtime, campaign: str | None = None, dry_run: bool = False,
           queue_only: bool = False, progress: Callable[[int], None] | None = None) -> RemindCounts:
    """The `remind` use case: record and queue what is due, then deliver everything due
    in the outbox (not only what this run queued: a message deferred by a 4xx whose
    backoff has passed, or a dead worker's claims), so that cron's `remind` alone retries
    deferred mail (issue 24 item 3)."""
    with rt.session(read_only=dry_run) as session:
        counts = queue_reminders(session=session, actor=rt.actor, now=rt.clock.now(),
                                 settings=rt.settings, campaign=campaign, dry_run=dry_run,
                                 progress=progress)
    if not dry_run and not queue_only:
        from quickcrm.campaigns.bounce_digest import deliver_digests
        from quickcrm.mail.outbox import anything_to_deliver

        with rt.session(read_only=True) as session:
            pending = counts.queued or anything_to_deliver(session, now=rt.clock.now())
        if pending:
            counts.add_delivery(rt.deliver())
        counts.add_delivery(deliver_digests(rt))
    return counts
