"""What a departed relationship manager still holds outside the client file, moved by
``user deactivate --reassign-to`` in the same transaction (``crm.users.deactivate_user``
calls it through its ``also`` hook, wired by ``cli/user.py``)."""

from __future__ import annotations

from sqlalchemy import exists, select, update
from sqlmodel import Session, col

from quickcrm.campaigns.campaign import CLOSED
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import Campaign, CampaignClient


def reassign_unsent(session: Session, from_id: int, to_id: int) -> int:
    """The not yet invited clients of every campaign that is not closed (a frozen
    selection's snapshot of who signs): they are invited on behalf of ``to_id`` now, so
    ``send`` no longer passes them over as "relationship manager deactivated". Invited
    clients keep who signed their invitation. Returns how many rows moved."""
    open_campaigns = select(col(Campaign.id)).where(col(Campaign.status) != CLOSED)
    invited = exists().where(col(Invitation.campaign_client_id) == col(CampaignClient.id))
    result = session.execute(
        update(CampaignClient)
        .where(col(CampaignClient.rm_id) == from_id,
               col(CampaignClient.campaign_id).in_(open_campaigns), ~invited)
        .values(rm_id=to_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
