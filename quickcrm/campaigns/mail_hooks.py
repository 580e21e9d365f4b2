"""What the campaigns area learns from delivery and bounce ingestion (see
``quickcrm.mail.hooks``): an invitation is delivered when the server took it, and
bounced when its invitation or a reminder to the same client bounced. Both run in the
transaction that records the outbox result, so the two never disagree, and both record
their event (delivered, rejected at SMTP time, bounced later) in that transaction too."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from quickcrm import events
from quickcrm.campaigns.invitation import (
    Invitation,
    mark_bounced,
    mark_copy_refused,
    mark_delivered,
    mark_failed,
)
from quickcrm.campaigns.models import CampaignClient
from quickcrm.mail.hooks import MessageEvent, on

CLIENT_KINDS = ("invitation", "reminder1", "reminder2")
I = Invitation.__table__  # type: ignore[attr-defined]  # noqa: E741
CC = CampaignClient.__table__  # type: ignore[attr-defined]


def _invitation_id(ref: str) -> int | None:
    kind, _, number = ref.partition(":")
    return int(number) if kind == "invitation" and number.isdigit() else None


def _record(session: Session, kind: str, invitation_id: int, event: MessageEvent,
            **details: object) -> None:
    """The event of one invitation's mail result, on behalf of the client's RM."""
    row = session.execute(
        select(I.c.campaign_id, I.c.relation_id, CC.c.person_id, CC.c.rm_id)
        .select_from(I.join(CC, CC.c.id == I.c.campaign_client_id))
        .where(I.c.id == invitation_id)).one()
    events.record(session, kind=kind, at=event.at, relation_id=row.relation_id,
                  person_id=row.person_id, user_id=row.rm_id, campaign_id=row.campaign_id,
                  invitation_id=invitation_id, message_id=event.message_id, **details)


@on("sent", "invitation")
def _delivered(session: Session, event: MessageEvent) -> None:
    invitation_id = _invitation_id(event.ref)
    if invitation_id is not None and mark_delivered(session, invitation_id, event.at):
        _record(session, events.INVITATION_DELIVERED, invitation_id, event)


def _bounced(session: Session, event: MessageEvent) -> None:
    invitation_id = _invitation_id(event.ref)
    if invitation_id is not None and mark_bounced(session, invitation_id, event.at,
                                                  event.reason, open_only=not event.rejected):
        kind = events.INVITATION_REJECTED if event.rejected else events.INVITATION_BOUNCED
        _record(session, kind, invitation_id, event, mail_kind=event.kind,
                reason=event.reason[:500])


for _kind in CLIENT_KINDS:
    on("bounced", _kind)(_bounced)


@on("failed", "invitation")
def _failed(session: Session, event: MessageEvent) -> None:
    """4xx until the retry lifetime ran out: for the coordinator's digest (issue 24)."""
    invitation_id = _invitation_id(event.ref)
    if invitation_id is not None and mark_failed(session, invitation_id, event.at,
                                                 event.reason):
        _record(session, events.INVITATION_FAILED, invitation_id, event,
                reason=event.reason[:500])


@on("bounced", "rm_copy")
def _copy_refused(session: Session, event: MessageEvent) -> None:
    """The RM's copy refused (or bounced later): for the coordinator's digest."""
    invitation_id = _invitation_id(event.ref)
    if invitation_id is not None and mark_copy_refused(session, invitation_id, event.at,
                                                       event.reason):
        _record(session, events.RM_COPY_REFUSED, invitation_id, event,
                reason=event.reason[:500])
