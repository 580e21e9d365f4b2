"""The counts of a campaign's selection: per step, per team, per relationship manager,
and the faces of who is selected.

Step 1's totals are stored by ``select`` (they need the whole client table); step 2,
exclusions and the selection, also per team and relationship manager, are counted live
from campaign_client, so that an exclusion changes the numbers at once.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, select
from sqlmodel import Session

from quickcrm.campaigns.models import Campaign, CampaignClient, Exclusion
from quickcrm.store.models import User

NO_TEAM = "(geen team)"
NO_RM = "(geen relatiemanager)"


@dataclass
class SelectionSummary:
    campaign: str
    step1: int = 0
    step2: int = 0
    excluded: int = 0
    selected: int = 0
    missing_faces: int = 0
    no_email: int = 0
    opted_out: int = 0
    status: str = "draft"
    policy: str = "default"
    max_per_rm: int = 40
    exclusions_outside_selection: int = 0
    by_team: list[dict[str, Any]] = field(default_factory=list)
    by_rm: list[dict[str, Any]] = field(default_factory=list)
    faces: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def over_max(self) -> list[dict[str, Any]]:
        return [r for r in self.by_rm if r["over_max"]]


def over_max(selected: int, max_per_rm: int) -> bool:
    """The seed's warning: an RM needs agenda room for every client who responds."""
    return max_per_rm > 0 and selected > max_per_rm


FACE_KINDS = ("profile", "update", "rm")
FACE_VALUES = ("1", "2", "3")
FACE_COLUMNS = [(kind, value) for kind in FACE_KINDS for value in (*FACE_VALUES, "unset")]


def _live_groups(session: Session, campaign: Campaign, *, any_exclusion: bool) -> list[Any]:
    """Per team and relationship manager: step 2, excluded, and per face kind and value
    (and unset) how many are selected. Grouped by team and RM only, with the faces as
    conditional counts: a group per face combination too gave ten times the rows, each
    a Python object to make and walk. Without ``any_exclusion`` (the campaign has none)
    the exclusions are not joined: a seek per client that could find nothing."""
    cc, ex = CampaignClient.__table__, Exclusion.__table__  # type: ignore[attr-defined]
    joined: Any = cc
    is_out: ColumnElement[bool] = false()
    if any_exclusion:
        joined = cc.outerjoin(ex, and_(ex.c.campaign_id == cc.c.campaign_id,
                                       ex.c.relation_number == cc.c.relation_number))
        is_out = ex.c.relation_number.is_not(None)

    def selected_with(face: Any, value: str | None) -> Any:
        test = face.is_(None) if value is None else face == value
        return func.count(case((and_(~is_out, test), 1)))

    faces = [selected_with(cc.c[f"{kind}_face"], None if value == "unset" else value)
             .label(f"{kind}_{value}") for kind, value in FACE_COLUMNS]  # from row[4]
    query = (
        select(cc.c.team_name, cc.c.rm_id, func.count().label("step2"),
               func.count(case((is_out, 1))).label("excluded"), *faces)
        .select_from(joined)
        .where(cc.c.campaign_id == campaign.id)
        .group_by(cc.c.team_name, cc.c.rm_id))
    return list(session.execute(query))


def summarize(session: Session, campaign: Campaign, *, max_per_rm: int = 40) -> SelectionSummary:
    stored = json.loads(campaign.counts or "{}")
    out = SelectionSummary(campaign=campaign.name, status=campaign.status,
                           policy=campaign.policy, max_per_rm=max_per_rm)
    teams: dict[str, dict[str, int]] = {}
    rms: dict[int | None, dict[str, int]] = {}

    def bucket(table: dict[Any, dict[str, int]], key: Any) -> dict[str, int]:
        return table.setdefault(key, {"step2": 0, "selected": 0})

    for name in ("step1", "missing_faces", "no_email", "opted_out"):
        setattr(out, name, int(stored.get(name, 0)))
    out.faces = {k: {v: 0 for v in (*FACE_VALUES, "unset")} for k in FACE_KINDS}
    ex = Exclusion.__table__  # type: ignore[attr-defined]
    total_exclusions = session.execute(
        select(func.count()).select_from(ex).where(ex.c.campaign_id == campaign.id)).scalar_one()
    for row in _live_groups(session, campaign, any_exclusion=total_exclusions > 0):
        step2, excluded = int(row.step2), int(row.excluded)
        out.step2 += step2
        out.excluded += excluded
        for b in (bucket(teams, row.team_name), bucket(rms, row.rm_id)):
            b["step2"] += step2
            b["selected"] += step2 - excluded
        for (kind, value), count in zip(FACE_COLUMNS, row[4:], strict=True):
            out.faces[kind][value] += int(count)
    frozen = int(stored.get("excluded_at_finalize", 0))
    out.step2 += frozen
    out.excluded += frozen
    out.selected = out.step2 - out.excluded
    out.exclusions_outside_selection = max(0, int(total_exclusions) - out.excluded) \
        if campaign.status == "draft" else 0
    out.by_team = [{"team": name or NO_TEAM, **counts}
                   for name, counts in sorted(teams.items(), key=lambda kv: kv[0] or "~")]
    users = {u.id: u for u in session.execute(
        select(User).where(User.id.in_([k for k in rms if k is not None]))).scalars()}  # type: ignore[union-attr]
    by_rm = []
    for rm_id, counts in rms.items():
        user = users.get(rm_id) if rm_id is not None else None
        by_rm.append({"rm": user.email if user else None, "name": user.name if user else NO_RM,
                      **counts, "over_max": over_max(counts["selected"], max_per_rm)})
    out.by_rm = sorted(by_rm, key=lambda r: (r["rm"] is None, r["name"].lower()))
    return out


def list_clients(session: Session, campaign: Campaign) -> list[dict[str, Any]]:
    """The clients of step 2 with their faces and whether they are excluded (after
    finalize: exactly who gets the invitation, as frozen)."""
    from quickcrm.campaigns.invitation import Invitation

    cc, ex = CampaignClient.__table__, Exclusion.__table__  # type: ignore[attr-defined]
    users = User.__table__  # type: ignore[attr-defined]
    inv = Invitation.__table__  # type: ignore[attr-defined]
    query = (
        select(cc.c.relation_number, cc.c.first_name, cc.c.last_name, cc.c.email,
               cc.c.company, cc.c.team_name, users.c.email.label("rm"),
               cc.c.profile_face, cc.c.update_face, cc.c.rm_face,
               ex.c.relation_number.label("excluded"), inv.c.invited_at, inv.c.logged_in_at,
               inv.c.not_interested_at, inv.c.report_sent_at)
        .select_from(cc.outerjoin(users, users.c.id == cc.c.rm_id).outerjoin(ex, and_(
            ex.c.campaign_id == cc.c.campaign_id, ex.c.relation_number == cc.c.relation_number))
            .outerjoin(inv, inv.c.campaign_client_id == cc.c.id))
        .where(cc.c.campaign_id == campaign.id)
        .order_by(cc.c.team_name, cc.c.relation_number))
    return [{"relation_number": r.relation_number, "first_name": r.first_name,
             "last_name": r.last_name, "email": r.email, "company": r.company,
             "team": r.team_name, "rm": r.rm,
             "faces": {"profile": r.profile_face, "update": r.update_face, "rm": r.rm_face},
             "excluded": r.excluded is not None,
             # the client's response (issue 17): seed columns R, U, W and V/S
             "invited_at": r.invited_at, "logged_in_at": r.logged_in_at,
             "not_interested_at": r.not_interested_at, "report_sent_at": r.report_sent_at,
             } for r in session.execute(query)]
