"""`quickcrm metrics`: the checklist's measures (seed 004, GOALS / VALUES / METRICS and
CHANNELS) from what QuickCRM records.

- **RFM**: per relation, recency (local days since the last contact moment in the
  period), frequency (contact moments in the period) and, for a reader with
  ``see revenue``, monetary value (orders and invoices in the period), each scored 1-5
  in quintiles by rank (``rules.quintiles``): 5 is the most recent, most frequent,
  highest fifth. A relation without contact moments scores recency 1.
- **NPS**: a campaign's answers to a rating question whose scale ends at 10:
  promoters 9-10, detractors 6 or less (``rules.nps``).
- **Channels**: contact moments per channel (the event's own channel, else its
  details', else its kind's: e-mails are "e-mail"; "onbekend" when nothing says).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from quickcrm import permissions
from quickcrm.attention import kinds, rules
from quickcrm.attention.monitor import (
    MONITOR,
    REVENUE,
    E,
    days_between,
    period_bounds,
)
from quickcrm.errors import InvalidInput
from quickcrm.events import details_of
from quickcrm.permissions import Actor
from quickcrm.store.models import Relation

R = Relation.__table__  # type: ignore[attr-defined]


def rfm(*, session: Session, actor: Actor, now: datetime, tz: str, start: date, end: date
        ) -> dict[str, Any]:
    permissions.require(actor, MONITOR)
    money = permissions.allowed(actor, REVENUE)
    low, high = period_bounds(start, end, tz)
    base = [E.c.at >= low, E.c.at < high, E.c.relation_id.is_not(None)]
    counts = {rid: (n, last) for rid, n, last in session.connection().execute(
        select(E.c.relation_id, func.count(), func.max(E.c.at))
        .where(*base, E.c.kind.in_(list(kinds.COUNTED))).group_by(E.c.relation_id))}
    revenue: dict[int, float] = {}
    if money:
        revenue = {rid: float(s or 0) for rid, s in session.connection().execute(
            select(E.c.relation_id, func.sum(E.c.amount))
            .where(*base, E.c.kind.in_(list(kinds.REVENUE["both"])))
            .group_by(E.c.relation_id))}
    relations = list(session.connection().execute(
        select(R.c.id, R.c.number, R.c.company).order_by(R.c.number)))
    days = [days_between(counts.get(r.id, (0, None))[1], now, tz) for r in relations]
    # recency: fewer days is better; never contacted is worst
    worst = max((d for d in days if d is not None), default=0) + 1
    recency = rules.quintiles([-(worst if d is None else d) for d in days])
    frequency = rules.quintiles([counts.get(r.id, (0, None))[0] for r in relations])
    monetary = rules.quintiles([revenue.get(r.id, 0.0) for r in relations]) if money else []
    out = []
    for i, r in enumerate(relations):
        row: dict[str, Any] = {"relation": r.number, "name": r.company,
                               "days_since": days[i], "contacts": counts.get(r.id, (0, None))[0],
                               "recency": recency[i], "frequency": frequency[i]}
        if money:
            row["revenue"] = round(revenue.get(r.id, 0.0), 2)
            row["monetary"] = monetary[i]
            row["rfm"] = f"{recency[i]}{frequency[i]}{monetary[i]}"
        else:
            row["rfm"] = f"{recency[i]}{frequency[i]}"
        out.append(row)
    return {"from": start.isoformat(), "to": end.isoformat(), "monetary": money,
            "relations": out}


def nps(*, session: Session, actor: Actor, campaign: str, question: str) -> dict[str, Any]:
    from quickcrm.campaigns.campaign import get_campaign
    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.quickscans.definitions import definition_of
    from quickcrm.quickscans.models import Answer, QuickScan

    permissions.require(actor, MONITOR)
    camp = get_campaign(session, campaign)
    qs = session.get(QuickScan, camp.quickscan_id)
    assert qs is not None
    definition = definition_of(qs)
    q = definition.question(question)
    if q is None or q.type != "rating":
        rated = [x.id for x in definition.questions() if x.type == "rating"]
        raise InvalidInput(f"{question!r} is not a rating question of QuickScan {qs.key!r} "
                           f"(its rating questions: {', '.join(rated) or 'none'})")
    if q.max != 10:
        raise InvalidInput(f"question {question!r} rates up to {q.max:g}; NPS needs a scale "
                           "ending at 10")
    A = Answer.__table__  # type: ignore[attr-defined]
    Inv = Invitation.__table__  # type: ignore[attr-defined]
    values = session.connection().execute(
        select(A.c.value).join(Inv, Inv.c.id == A.c.invitation_id)
        .where(Inv.c.campaign_id == camp.id, A.c.question_id == q.id)).scalars()
    ratings: list[int] = []
    for value in values:
        try:
            ratings.append(int(float(value)))
        except (TypeError, ValueError):
            continue
    result = rules.nps(ratings)
    return {"campaign": camp.name, "question": q.id, "text": q.text,
            "scale": [int(q.min if q.min is not None else 0), int(q.max)],
            "answers": result.answers, "promoters": result.promoters,
            "passives": result.passives, "detractors": result.detractors,
            "nps": result.score}


def channels(*, session: Session, actor: Actor, tz: str, start: date, end: date
             ) -> dict[str, Any]:
    permissions.require(actor, MONITOR)
    low, high = period_bounds(start, end, tz)
    found: Counter[str] = Counter()
    query = (select(E.c.kind, E.c.channel, E.c.details)
             .where(E.c.at >= low, E.c.at < high, E.c.relation_id.is_not(None),
                    E.c.kind.in_(list(kinds.COUNTED))))
    for kind, channel, details in session.connection().execute(query):
        found[kinds.channel_of(kind, channel, details_of(details) if not channel else {})] += 1
    total = sum(found.values())
    order = [*kinds.CHANNELS, *sorted(set(found) - set(kinds.CHANNELS))]
    return {"from": start.isoformat(), "to": end.isoformat(), "total": total,
            "channels": [{"channel": c, "count": found.get(c, 0),
                          "share": round(found.get(c, 0) / total, 4) if total else 0.0}
                         for c in order]}

