"""Steps 1 and 2 of seed 000's client selection, set-based in SQL.

``select_clients`` runs one aggregate query (step 1's totals) and one
``INSERT ... SELECT`` that writes step 2 into campaign_client; no client is loaded into
Python. The rules come from ``eligibility`` (faces, e-mail) and
``criteria`` (refinements), so the SQL and the pure functions cannot drift apart.
Exclusions (step 3) live apart, by relation number, and survive a re-select.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlmodel import Session

from quickcrm import permissions
from quickcrm.campaigns import eligibility as rules
from quickcrm.campaigns.campaign import get_campaign, require_draft
from quickcrm.campaigns.criteria import Criteria, Refinements, resolve_criteria, to_json
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import Campaign, CampaignClient, Face
from quickcrm.campaigns.summary import SelectionSummary, summarize
from quickcrm.crm.users import Actor
from quickcrm.events import CAMPAIGN_SELECTED, record
from quickcrm.quickscans.models import QuickScan
from quickcrm.store.models import Person, Relation, Team

R = Relation.__table__  # type: ignore[attr-defined]
P = Person.__table__  # type: ignore[attr-defined]
F = Face.__table__  # type: ignore[attr-defined]
T = Team.__table__  # type: ignore[attr-defined]
CC = CampaignClient.__table__  # type: ignore[attr-defined]
C = Campaign.__table__  # type: ignore[attr-defined]
INV = Invitation.__table__  # type: ignore[attr-defined]

CLIENT_STAGE = "customer"
SNAPSHOT_COLUMNS = ("person_id", "first_name", "last_name", "email", "company", "team_name",
                    "rm_id", "profile_face", "update_face", "rm_face")


def pool(quickscan_id: int) -> FromClause:
    """Every relation with its faces for this QuickScan and its campaign contact
    (both may be missing: outer joins)."""
    faces = and_(F.c.relation_id == R.c.id, F.c.quickscan_id == quickscan_id)
    return R.outerjoin(F, faces).outerjoin(
        P, and_(P.c.relation_id == R.c.id, P.c.campaign_contact == true()))


def counted_pool(quickscan_id: int, *, every_face: bool) -> tuple[FromClause, Any, list[Any]]:
    """What step 1's totals run over: (joined tables, the relation id column, the
    conditions that pick this QuickScan's faces).

    With ``every_face`` (every relation has a face row) that is the face rows and their
    contacts, without the relation table: one pass over the narrow covering face index
    and one contact seek per client, where the relation table would cost a third
    structure per client only to read its stage (``step1_counts`` subtracts the few
    relations that are not clients instead). Otherwise the relations, outer-joined."""
    if not every_face:
        return pool(quickscan_id), R.c.id, []
    contact = and_(P.c.relation_id == F.c.relation_id, P.c.campaign_contact == true())
    return F.outerjoin(P, contact), F.c.relation_id, [F.c.quickscan_id == quickscan_id]


def sent_to(quickscan_id: int, campaign_id: int) -> Any:
    """The relations in the selection of an earlier campaign of this QuickScan that was
    sent, unless their invitation bounced (a bounced invitation never reached them)."""
    earlier, other = CC.alias("earlier"), C.alias("other")
    return (
        select(earlier.c.relation_id)
        .join(other, other.c.id == earlier.c.campaign_id)
        .where(other.c.quickscan_id == quickscan_id, other.c.sent_at.is_not(None),
               other.c.id != campaign_id,
               ~exists().where(INV.c.campaign_client_id == earlier.c.id,
                               INV.c.bounced_at.is_not(None)))
    )


def not_received(quickscan_id: int, campaign_id: int) -> list[ColumnElement[bool]]:
    """The client never got this QuickScan: not ``sent_to`` and no imported receipt
    date ("Datum verzonden").

    Written as NOT IN over a small uncorrelated subquery, which both databases evaluate
    once (SQLite builds a temporary index), not once per client.
    """
    return [R.c.id.not_in(sent_to(quickscan_id, campaign_id)), F.c.received_at.is_(None)]


def faces_pass(policy: str, kind: str) -> ColumnElement[bool]:
    """SQL mirror of ``eligibility.faces_ok``: a face nobody set counts as neutral."""
    return and_(*(func.coalesce(F.c[f"{name}_face"], rules.NEUTRAL).in_(sorted(allowed))
                  for name, allowed in rules.allowed_faces(policy, kind).items()))


def face_missing(policy: str, kind: str) -> ColumnElement[bool]:
    """SQL mirror of ``eligibility.missing_face``."""
    return or_(*(F.c[f"{name}_face"].is_(None) for name in rules.allowed_faces(policy, kind)))


def email_usable() -> ColumnElement[bool]:
    """SQL mirror of ``eligibility.email_ok`` (NULL when there is no contact)."""
    return and_(P.c.email.like(rules.EMAIL_LIKE),
                *(P.c.email.not_like(p) for p in rules.EMAIL_NOT_LIKE))


def refinements(criteria: Criteria) -> list[ColumnElement[bool]]:
    """Step 2: one IN per criterion given (values OR), all of them AND."""
    out: list[ColumnElement[bool]] = []
    if criteria.team_ids:
        out.append(R.c.team_id.in_(criteria.team_ids))
    if criteria.rm_ids:
        out.append(R.c.rm_id.in_(criteria.rm_ids))
    for name, values in criteria.segments().items():
        if values:
            out.append(R.c[name].in_(values))
    return out


def candidates(quickscan_id: int, campaign_id: int, policy: str, kind: str) -> list[ColumnElement[bool]]:
    """Step 1 before the contact checks: clients who never received this QuickScan and
    whose faces pass."""
    return [R.c.stage == CLIENT_STAGE, *not_received(quickscan_id, campaign_id),
            faces_pass(policy, kind)]


def outside_step1(quickscan_id: int, campaign_id: int) -> Any:
    """The relations step 1 leaves out whatever their faces and contact: those that are
    not clients (read from the partial index ``ix_relation_not_client``, whose condition
    this one repeats), and those an earlier campaign reached (``sent_to``); possibly
    twice."""
    others = select(R.c.id).where(R.c.stage != CLIENT_STAGE)
    return others.union_all(sent_to(quickscan_id, campaign_id))


def step1_counts(session: Session, campaign: Campaign, kind: str, *,
                 every_face: bool = False) -> dict[str, int]:
    """Step-1 totals: in (and how many of them with a face nobody set), or kept out by
    an opt-out or an unusable address.

    Counted over every relation whose faces pass and who never got an imported
    receipt, minus the same totals over those among them in ``outside_step1``: exact
    (IN over a set of ids splits the relations; the set's duplicates do not count
    twice), and the second count touches only the few non-clients and earlier
    recipients, where the stage test and a NOT IN would be made for each of a million
    clients.
    """
    assert campaign.id is not None
    joined, relation_id, faces = counted_pool(campaign.quickscan_id, every_face=every_face)
    rules_ = [*faces, F.c.received_at.is_(None), faces_pass(campaign.policy, kind)]
    everyone = _totals(session, joined, rules_, campaign.policy, kind)
    outside = _totals(session, joined,
                      [relation_id.in_(outside_step1(campaign.quickscan_id, campaign.id)),
                       *rules_], campaign.policy, kind)
    row = {k: everyone[k] - outside[k] for k in everyone}
    # every candidate is either opted out, without a usable address, or in step 1
    row["no_email"] = row.pop("candidates") - row["opted_out"] - row["step1"]
    return row


def _totals(session: Session, joined: FromClause, where: list[ColumnElement[bool]],
            policy: str, kind: str) -> dict[str, int]:
    """One row, not grouped per team or RM: on SQLite a GROUP BY sorts every candidate
    (a million rows), which cost more than the whole selection; the per-team and per-RM
    counts come from step 2 instead, which is small. The cheap tests come first in each
    count: the address's LIKE patterns are the costliest part of a row, so missing_faces
    only looks at them for clients with a face nobody set."""
    opted, mail_ok = P.c.opted_out == true(), email_usable()

    def total(when: ColumnElement[bool]) -> Any:
        return func.count(case((when, 1)))  # CASE without ELSE is NULL, which count skips

    query = (
        select(func.count().label("candidates"),
               total(opted).label("opted_out"),
               total(and_(~opted, mail_ok)).label("step1"),
               total(and_(face_missing(policy, kind), ~opted, mail_ok)).label("missing_faces"))
        .select_from(joined).where(*where))
    return {k: int(v) for k, v in session.execute(query).one()._mapping.items()}


def step2_rows(campaign: Campaign, kind: str, criteria: Criteria) -> Any:
    """The SELECT that yields campaign_client rows for step 2 (snapshot columns filled
    as the clients are now; ``finalize`` refreshes them).

    The refinements come first: SQLite tests a table's conditions in the order written,
    and they are plain column tests that drop most clients before the NOT IN probe."""
    assert campaign.id is not None
    return (
        select(literal(campaign.id), R.c.id, R.c.number, P.c.id, P.c.first_name,
               P.c.last_name, P.c.email, R.c.company, func.coalesce(T.c.name, ""), R.c.rm_id,
               F.c.profile_face, F.c.update_face, F.c.rm_face)
        .select_from(pool(campaign.quickscan_id).outerjoin(T, T.c.id == R.c.team_id))
        .where(*refinements(criteria),
               *candidates(campaign.quickscan_id, campaign.id, campaign.policy, kind),
               ~(P.c.opted_out == true()), email_usable()))


def snapshot_values(cc: Any, quickscan_id: int) -> dict[str, Any]:
    """``UPDATE campaign_client SET ...`` values that copy each client's current data
    (correlated subqueries: portable across SQLite and PostgreSQL)."""
    contact = and_(P.c.relation_id == cc.c.relation_id, P.c.campaign_contact == true())
    rel = R.c.id == cc.c.relation_id
    face = and_(F.c.relation_id == cc.c.relation_id, F.c.quickscan_id == quickscan_id)

    def sub(col: Any, where: Any, default: Any = None) -> Any:
        value = select(col).where(where).limit(1).scalar_subquery()
        return value if default is None else func.coalesce(value, default)

    return {
        "person_id": sub(P.c.id, contact),
        "first_name": sub(P.c.first_name, contact, ""),
        "last_name": sub(P.c.last_name, contact, ""),
        "email": sub(P.c.email, contact, ""),
        "company": sub(R.c.company, rel, ""),
        "team_name": sub(T.c.name, and_(rel, T.c.id == R.c.team_id), ""),
        "rm_id": sub(R.c.rm_id, rel),
        "profile_face": sub(F.c.profile_face, face),
        "update_face": sub(F.c.update_face, face),
        "rm_face": sub(F.c.rm_face, face),
    }


def _refresh_faces(session: Session, quickscan_id: int, now: datetime) -> bool:
    """Profile faces follow the clients' segments: recompute the stale ones first, in
    the same transaction, so the selection never works from yesterday's faces.
    Returns whether every relation has a face row (see ``counted_pool``)."""
    from quickcrm.campaigns.faces import refresh_profile_faces

    return refresh_profile_faces(session=session, quickscan_id=quickscan_id,
                                 now=now).every_relation


def select_clients(*, session: Session, actor: Actor, now: datetime, campaign: str,
                   criteria: Refinements, policy: str | None = None,
                   max_per_rm: int = 40) -> SelectionSummary:
    """Recompute steps 1 and 2 of a draft campaign; exclusions are kept. ``policy``
    None keeps the campaign's policy (the one it was created with, or the last one a
    select was given); a policy given is stored for the next selects."""
    permissions.require(actor, "manage campaigns")
    if policy is not None:
        policy = rules.check_policy(policy)
    row = get_campaign(session, campaign, for_update=True)
    require_draft(row, "selecting")
    assert row.id is not None
    qs = session.get(QuickScan, row.quickscan_id)
    assert qs is not None
    resolved = resolve_criteria(session=session, refinements=criteria)
    every_face = _refresh_faces(session, row.quickscan_id, now)
    row.policy = policy or row.policy
    step1 = step1_counts(session, row, qs.kind, every_face=every_face)
    session.execute(delete(CC).where(CC.c.campaign_id == row.id))
    session.execute(insert(CC).from_select(
        ["campaign_id", "relation_id", "relation_number", *SNAPSHOT_COLUMNS],
        step2_rows(row, qs.kind, resolved)))
    row.criteria = to_json(session, resolved)
    row.counts = json.dumps(step1)
    row.selected_at = now
    session.add(row)
    summary = summarize(session, row, max_per_rm=max_per_rm)
    record(session, kind=CAMPAIGN_SELECTED, at=now, user_id=actor.id, campaign_id=row.id,
           policy=row.policy, step1=summary.step1, step2=summary.step2, selected=summary.selected)
    session.commit()
    return summary
