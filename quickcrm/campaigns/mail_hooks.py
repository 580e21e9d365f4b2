"""What the campaigns area learns from delivery and bounce ingestion (see
``quickcrm.mail.hooks``): an invitation is delivered when the server took it, and
bounced when its invitation or a reminder to the same client bounced. Both run in the
transaction that records the outbox result, so the two never disagree."""

from __future__ import annotations

from sqlmodel import Session

from quickcrm.campaigns.invitation import mark_bounced, mark_delivered
from quickcrm.mail.hooks import MessageEvent, on

CLIENT_KINDS = ("invitation", "reminder1", "reminder2")


def _invitation_id(ref: str) -> int | None:
    kind, _, number = ref.partition(":")
    return int(number) if kind == "invitation" and number.isdigit() else None


@on("sent", "invitation")
def _delivered(session: Session, event: MessageEvent) -> None:
    invitation_id = _invitation_id(event.ref)
    if invitation_id is not None:
        mark_delivered(session, invitation_id, event.at)


def _bounced(session: Session, event: MessageEvent) -> None:
    invitation_id = _invitation_id(event.ref)
    if invitation_id is not None:
        mark_bounced(session, invitation_id, event.at, event.reason)


for _kind in CLIENT_KINDS:
    on("bounced", _kind)(_bounced)
