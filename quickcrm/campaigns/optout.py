"""The client's own opt-out from campaign mail: the URL in every invitation's and
reminder's ``List-Unsubscribe`` header (RFC 8058) and behind the confirm button.

The URL carries the invitation's own unguessable token (``optout_token``, 128 bits, not
the QuickScan's token): the mail provider's one-click POST comes from another site, with
no cookie and no CSRF token, so the token is the only proof, and the POST has no CSRF or
same-site check. A GET never opts out (link scanners fetch every URL); it shows a button.

An opt-out sets the client's contact ``opted_out`` (the client file's "Afgemeld"): no
reminder, no later campaign. It sticks: a client import with an empty "Afgemeld" cell
leaves it; only an explicit ``nee`` (or the privacy area's undo) clears it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from quickcrm import events
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import CampaignClient
from quickcrm.quickscans.guards import well_formed
from quickcrm.store.models import Person

I = Invitation.__table__  # type: ignore[attr-defined]  # noqa: E741
CC = CampaignClient.__table__  # type: ignore[attr-defined]
P = Person.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OptOut:
    invitation_id: int
    campaign_id: int
    relation_id: int
    person_id: int | None
    rm_id: int | None
    email: str
    opted_out: bool


def find_optout(session: Session, token: str) -> OptOut | None:
    """The client behind an opt-out token (None for an unknown or malformed one)."""
    if not well_formed(token):
        return None
    row = session.execute(
        select(I.c.id, I.c.campaign_id, I.c.relation_id, CC.c.person_id, CC.c.rm_id,
               CC.c.email, P.c.opted_out)
        .select_from(I.join(CC, CC.c.id == I.c.campaign_client_id)
                     .outerjoin(P, P.c.id == CC.c.person_id))
        .where(I.c.optout_token == token)).first()
    if row is None:
        return None
    return OptOut(invitation_id=row.id, campaign_id=row.campaign_id,
                  relation_id=row.relation_id, person_id=row.person_id, rm_id=row.rm_id,
                  email=row.email, opted_out=bool(row.opted_out))


def opt_out(session: Session, *, token: str, now: datetime, one_click: bool) -> OptOut | None:
    """Opt the token's client out of campaign mail (the caller commits); records
    ``campaign.client_opted_out`` the first time. None: unknown token."""
    found = find_optout(session, token)
    if found is None:
        return None
    if found.person_id is not None and not found.opted_out:
        changed = session.execute(update(P).where(P.c.id == found.person_id,
                                                  P.c.opted_out.is_(False))
                                  .values(opted_out=True, updated_at=now)).rowcount  # type: ignore[attr-defined]
        if changed:
            events.record(session, kind=events.CLIENT_OPTED_OUT, at=now,
                          relation_id=found.relation_id, person_id=found.person_id,
                          user_id=found.rm_id, campaign_id=found.campaign_id,
                          invitation_id=found.invitation_id, one_click=one_click)
    return found
