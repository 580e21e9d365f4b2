"""Campaigns (collective actions): create, look up, list, and move through
draft -> final -> sent -> closed.

``finalize`` freezes the selection: the snapshot columns of campaign_client are filled
from the clients as they are now, excluded rows are removed, and from then on who gets
the invitation (and from which relationship manager) no longer follows the clients. It
first checks every client against the client file as it is then, and refuses with the
list when one can no longer be invited (``recipients``). Until it is sent, a final
campaign can still lose a client (``exclude``, recorded as after finalizing); ``send``
passes over anyone who opted out since.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, update
from sqlmodel import Session, SQLModel, select

from quickcrm import permissions
from quickcrm.campaigns.models import Campaign, CampaignClient, Exclusion
from quickcrm.crm.users import Actor, normalize_email, rights_of
from quickcrm.errors import (
    InvalidInput,
    InvalidState,
    NotFound,
    RecipientsRefused,
    UnknownCampaign,
    command_hint,
)
from quickcrm.events import CAMPAIGN_CLOSED, CAMPAIGN_CREATED, CAMPAIGN_FINALIZED, record
from quickcrm.quickscans.models import QuickScan
from quickcrm.store.models import User

DRAFT, FINAL, SENT, CLOSED = "draft", "final", "sent", "closed"
STATUSES = (DRAFT, FINAL, SENT, CLOSED)


def next_statuses(status: str) -> tuple[str, ...]:
    """The statuses a campaign may move to: finalize, send (mail issue), close (a draft
    may be closed unsent, to abandon it)."""
    return {DRAFT: (FINAL, CLOSED), FINAL: (SENT, CLOSED), SENT: (CLOSED,), CLOSED: ()}[status]


class CampaignPublic(SQLModel):
    id: int
    name: str
    quickscan: str
    quickscan_kind: str
    coordinator: str
    status: str
    policy: str
    criteria: dict[str, list[str]]
    created_at: datetime | None
    selected_at: datetime | None
    finalized_at: datetime | None
    sent_at: datetime | None
    closed_at: datetime | None


class FinalizedCampaign(CampaignPublic):
    """What ``campaign finalize`` reports: the campaign and how many clients it froze."""

    selected: int


def get_campaign(session: Session, ref: str | int, *, for_update: bool = False) -> Campaign:
    """A campaign by name, or by id when no campaign has that name."""
    query = select(Campaign).where(Campaign.name == str(ref).strip())
    if for_update:
        query = query.with_for_update()
    campaign = session.exec(query).first()
    if campaign is None and str(ref).strip().isdigit():
        query = select(Campaign).where(Campaign.id == int(str(ref).strip()))
        campaign = session.exec(query.with_for_update() if for_update else query).first()
    if campaign is None:
        raise UnknownCampaign(str(ref))
    return campaign


def require_draft(campaign: Campaign, doing: str) -> None:
    """Selection and exclusions change only while a campaign is a draft."""
    if campaign.status != DRAFT:
        raise InvalidState(f"campaign {campaign.name!r} is {campaign.status}; "
                           f"{doing} is only possible on a draft campaign")


def to_public(session: Session, campaign: Campaign) -> CampaignPublic:
    qs = session.get(QuickScan, campaign.quickscan_id)
    coordinator = session.get(User, campaign.coordinator_id)
    assert campaign.id is not None and qs is not None and coordinator is not None
    shown = json.loads(campaign.criteria or "{}").get("shown", {})
    return CampaignPublic(
        id=campaign.id, name=campaign.name, quickscan=qs.key, quickscan_kind=qs.kind,
        coordinator=coordinator.email, status=campaign.status, policy=campaign.policy,
        criteria=shown, created_at=campaign.created_at, selected_at=campaign.selected_at,
        finalized_at=campaign.finalized_at, sent_at=campaign.sent_at,
        closed_at=campaign.closed_at)


def create_campaign(*, session: Session, actor: Actor, now: datetime, name: str,
                    quickscan: str, coordinator: str, policy: str = "default") -> CampaignPublic:
    """A draft campaign; ``policy`` is the face policy its selections use until a
    ``select --policy`` changes it (the CLI passes the firm's ``selection.policy``)."""
    from quickcrm.campaigns.eligibility import check_policy

    permissions.require(actor, "manage campaigns")
    policy = check_policy(policy)
    name = " ".join(name.split())
    if not name or name.isdigit():
        raise InvalidInput("a campaign name must contain a letter (numbers name campaigns by id)")
    from quickcrm.quickscans.definitions import get_quickscan

    qs = get_quickscan(session=session, key=quickscan, now=now)
    user = session.exec(select(User).where(User.email == normalize_email(coordinator))).first()
    if user is None or not user.active:
        raise NotFound(f"unknown coordinator {coordinator!r} (add the user first)")
    assert user.id is not None
    if not permissions.may_coordinate(rights_of(session, user.id)):
        raise InvalidInput(f"{user.email} may not coordinate a campaign: a coordinator needs "
                           f"the coordinator or admin right "
                           f"({command_hint('user', 'grant', user.email, 'coordinator')})")
    if session.exec(select(Campaign).where(Campaign.name == name)).first() is not None:
        raise InvalidState(f"campaign {name!r} already exists")
    assert qs.id is not None and user.id is not None
    campaign = Campaign(name=name, quickscan_id=qs.id, coordinator_id=user.id,
                        status=DRAFT, policy=policy, created_at=now)
    session.add(campaign)
    session.flush()
    record(session, kind=CAMPAIGN_CREATED, at=now, user_id=actor.id,
           campaign_id=campaign.id, name=name, quickscan=qs.key, policy=policy)
    session.commit()
    return to_public(session, campaign)


def list_campaigns(*, session: Session) -> list[dict[str, Any]]:
    """Every campaign with its selected count (rows minus exclusions while a draft)."""
    out = []
    query = select(Campaign).order_by(Campaign.created_at, Campaign.id)  # type: ignore[arg-type]
    for campaign in session.exec(query).all():
        out.append({**to_public(session, campaign).model_dump(),
                    "selected": count_selected(session, campaign)})
    return out


def count_selected(session: Session, campaign: Campaign) -> int:
    """Clients in the selection after exclusions (after finalize the excluded rows are gone)."""
    cc, ex = CampaignClient.__table__, Exclusion.__table__  # type: ignore[attr-defined]
    query = (select(func.count()).select_from(cc.outerjoin(ex, and_(
        ex.c.campaign_id == cc.c.campaign_id, ex.c.relation_number == cc.c.relation_number)))
        .where(cc.c.campaign_id == campaign.id, ex.c.relation_number.is_(None)))
    return int(session.exec(query).one())  # type: ignore[call-overload]


def _transition(session: Session, campaign: Campaign, to: str) -> None:
    if to not in next_statuses(campaign.status):
        raise InvalidState(f"campaign {campaign.name!r} is {campaign.status}; it cannot become {to}")


def finalize_campaign(*, session: Session, actor: Actor, now: datetime,
                      campaign: str) -> FinalizedCampaign:
    """Freeze the selection (set-based statements) and make the campaign final.

    The selection is checked against the client file as it is now, with the campaign's
    policy (profile faces recomputed first, as ``select`` does): a client who opted out,
    lost a usable address, stopped being a client, received this QuickScan meanwhile,
    whose faces no longer pass or whose relationship manager is gone refuses the whole
    finalize with the list (``RecipientsRefused``), and nothing is frozen."""
    from quickcrm.campaigns.faces import refresh_profile_faces
    from quickcrm.campaigns.recipients import refused_at_finalize
    from quickcrm.campaigns.selection import snapshot_values

    permissions.require(actor, "manage campaigns")
    row = get_campaign(session, campaign, for_update=True)
    _transition(session, row, FINAL)
    if row.selected_at is None:
        raise InvalidState(f"campaign {row.name!r} has no selection yet; "
                           f"run `{command_hint('select', row.name)}` first")
    assert row.id is not None
    cc, ex = CampaignClient.__table__, Exclusion.__table__  # type: ignore[attr-defined]
    excluded = select(ex.c.relation_number).where(ex.c.campaign_id == row.id)
    gone = session.execute(delete(cc).where(cc.c.campaign_id == row.id,
                                            cc.c.relation_number.in_(excluded)))
    refresh_profile_faces(session=session, quickscan_id=row.quickscan_id, now=now)
    qs = session.get(QuickScan, row.quickscan_id)
    assert qs is not None
    refused = refused_at_finalize(session, campaign_id=row.id, quickscan_id=row.quickscan_id,
                                  policy=row.policy, kind=qs.kind)
    if refused:
        session.rollback()
        raise RecipientsRefused(row.name, [r.to_json() for r in refused],
                                _exclude_hint(row.name, [r.relation for r in refused]))
    counts = json.loads(row.counts or "{}")
    counts["excluded_at_finalize"] = int(gone.rowcount or 0)  # type: ignore[attr-defined]
    row.counts = json.dumps(counts)
    session.execute(update(cc).where(cc.c.campaign_id == row.id)
                    .values(snapshot_values(cc, row.quickscan_id)))
    selected = count_selected(session, row)
    if selected == 0:
        raise InvalidState(f"campaign {row.name!r} has nobody selected; nothing to finalize")
    row.status, row.finalized_at = FINAL, now
    session.add(row)
    record(session, kind=CAMPAIGN_FINALIZED, at=now, user_id=actor.id,
           campaign_id=row.id, selected=selected)
    session.commit()
    return FinalizedCampaign(**to_public(session, row).model_dump(), selected=selected)


def _exclude_hint(name: str, numbers: list[str]) -> str:
    if len(numbers) <= RecipientsRefused.SHOWN:
        return command_hint("exclude", name, *numbers, "--reason", "changed after select")
    return f"{command_hint('exclude', name, '--file', 'FILE')} with one number a line"


def close_campaign(*, session: Session, actor: Actor, now: datetime, campaign: str) -> CampaignPublic:
    """Closed: no more invitations, reminders or notices; links and reports keep working."""
    permissions.require(actor, "manage campaigns")
    row = get_campaign(session, campaign, for_update=True)
    _transition(session, row, CLOSED)
    row.status, row.closed_at = CLOSED, now
    session.add(row)
    record(session, kind=CAMPAIGN_CLOSED, at=now, user_id=actor.id, campaign_id=row.id)
    session.commit()
    return to_public(session, row)


def mark_sent(session: Session, campaign: Campaign, now: datetime) -> None:
    """For the mail issue's ``send``: final -> sent, in the caller's transaction (the
    invitations and this change commit together). From now on the selection counts as
    "received" for later campaigns of the same QuickScan."""
    _transition(session, campaign, SENT)
    campaign.status, campaign.sent_at = SENT, now
    session.add(campaign)


def show_campaign(*, session: Session, campaign: str, clients: bool = False,
                  max_per_rm: int = 40) -> dict[str, Any]:
    """A campaign with its selection counts; ``clients`` adds the per-client listing."""
    from quickcrm.campaigns.summary import list_clients, summarize

    row = get_campaign(session, campaign)
    summary = summarize(session, row, max_per_rm=max_per_rm).as_json()
    summary.pop("campaign")
    data: dict[str, Any] = {**to_public(session, row).model_dump(), **summary}
    if clients:
        data["clients"] = list_clients(session, row)
    return data
