"""The management report of a campaign (seed 000, "Managementrapportage"): the key
figures overall, per team and per relationship manager.

Every figure is one aggregate in SQL over the selection outer-joined to its invitations,
so the report costs three grouped queries whatever the campaign's size. A client excluded
after finalizing (their frozen row stays) counts as ``excluded``, not as selected. A figure counts
what had happened at ``now`` (``x_at <= now``): ``quickcrm report --now`` then shows the
figures as they stood on an earlier day, and a later day shows today's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, select
from sqlmodel import Session

from quickcrm.campaigns.campaign import get_campaign
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import CampaignClient, Exclusion
from quickcrm.crm.models import Signal
from quickcrm.permissions import Actor
from quickcrm.store.models import User

I = Invitation.__table__  # type: ignore[attr-defined]  # noqa: E741
CC = CampaignClient.__table__  # type: ignore[attr-defined]
EX = Exclusion.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
SG = Signal.__table__  # type: ignore[attr-defined]

# The seed's five key figures first, then what QuickCRM adds beside them.
FIGURES = ("sent", "completed", "first_reminders", "second_reminders", "no_response",
           "bounced", "logged_in", "not_interested", "followed_up")
LABELS = {
    "selected": "Clients in the selection",
    "excluded": "Excluded after finalizing (not invited)", "sent": "Invitations sent",
    "completed": "QuickScans completed", "first_reminders": "First reminders sent",
    "second_reminders": "Second reminders sent",
    "no_response": "Not completed after 10 days (RM informed)", "bounced": "Bounced",
    "logged_in": "Logged in", "not_interested": "Not interested (Nee)",
    "followed_up": "Followed up by the RM (signal done; issue 26)",
    "response_rate": "Response rate",
}


def response_rate(completed: int, sent: int, bounced: int) -> float | None:
    """Completed over the invitations that arrived; None before anything arrived."""
    reached = sent - bounced
    return round(completed / reached, 4) if reached > 0 else None


def _aggregates(now: datetime) -> list[Any]:
    def by(column: Any, *extra: Any) -> Any:
        return func.count(case((and_(column.is_not(None), column <= now, *extra), 1)))

    late = EX.c.relation_number.is_not(None)  # an exclusion made after finalizing
    return [
        func.count(case((~late, 1))).label("selected"),
        func.count(case((late, 1))).label("excluded"),
        by(I.c.invited_at).label("sent"),
        by(I.c.finished_at).label("completed"),
        by(I.c.first_reminder_at, I.c.first_reminder_skipped.is_(False)).label("first_reminders"),
        by(I.c.second_reminder_at).label("second_reminders"),
        by(I.c.no_response_at).label("no_response"),
        by(I.c.bounced_at).label("bounced"),
        by(I.c.logged_in_at).label("logged_in"),
        by(I.c.not_interested_at).label("not_interested"),
        # the RM marked the invitation's signal done ("resultaten doornemen", "om respons
        # vragen": quickcrm.crm.signals.auto_signal)
        func.count(case((exists().where(
            SG.c.ref == literal("invitation:") + cast(I.c.id, String),
            SG.c.done_at.is_not(None), SG.c.done_at <= now), 1))).label("followed_up"),
    ]


def _figures(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"selected": int(row.selected), "excluded": int(row.excluded)}
    out.update({name: int(getattr(row, name)) for name in FIGURES})
    out["response_rate"] = response_rate(out["completed"], out["sent"], out["bounced"])
    return out


@dataclass
class ManagementReport:
    campaign: str
    status: str
    quickscan: str
    at: datetime
    overall: dict[str, Any]
    by_team: list[dict[str, Any]]
    by_rm: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """The issue's keys at the top level, so scripts read ``report["sent"]``."""
        return {"campaign": self.campaign, "status": self.status, "quickscan": self.quickscan,
                "at": self.at, **self.overall, "by_team": self.by_team,
                "by_rm": self.by_rm}


def management_report(*, session: Session, actor: Actor, campaign: str,
                      now: datetime) -> ManagementReport:
    """The key figures of ``campaign`` as they stood at ``now``. Open to every user:
    counts name nobody (the per-client Excel needs "export campaign data")."""
    from quickcrm.quickscans.models import QuickScan

    row = get_campaign(session, campaign)
    base = CC.outerjoin(I, I.c.campaign_client_id == CC.c.id).outerjoin(EX, and_(
        EX.c.campaign_id == CC.c.campaign_id, EX.c.relation_number == CC.c.relation_number))
    where = CC.c.campaign_id == row.id
    overall = _figures(session.execute(select(*_aggregates(now)).select_from(base)
                                       .where(where)).one())
    teams = session.execute(
        select(CC.c.team_name, *_aggregates(now)).select_from(base).where(where)
        .group_by(CC.c.team_name).order_by(CC.c.team_name)).all()
    rms = session.execute(
        select(U.c.email, U.c.first_name, U.c.last_name, *_aggregates(now))
        .select_from(base.outerjoin(U, U.c.id == CC.c.rm_id)).where(where)
        .group_by(U.c.id, U.c.email, U.c.first_name, U.c.last_name)
        .order_by(U.c.last_name, U.c.first_name, U.c.email)).all()
    quickscan = session.get(QuickScan, row.quickscan_id)
    return ManagementReport(
        campaign=row.name, status=row.status, quickscan=quickscan.key if quickscan else "",
        at=now, overall=overall,
        by_team=[{"team": t.team_name or "", **_figures(t)} for t in teams],
        by_rm=[{"rm": " ".join(p for p in (r.first_name, r.last_name) if p) or (r.email or ""),
                "email": r.email or "", **_figures(r)} for r in rms])
