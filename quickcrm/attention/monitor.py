"""`attention compute` and `attention show`: contact moments per relation in a period,
counted in SQL from the event log (one GROUP BY over the covering index
``ix_event_attention``), bucketed by the pure rules, stored per acting user (or per
nightly group) and shown again without recounting.

A period is inclusive local days in ``firm.timezone``: a contact at 23:30 local time
belongs to its local day. Days since ("dgn") are local calendar days from ``now``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, insert, select
from sqlmodel import Session

from quickcrm import permissions
from quickcrm.attention import kinds, rules
from quickcrm.attention.models import AttentionResult
from quickcrm.attention.scope import Relations, group_by_name, relation_ids, resolve_users
from quickcrm.clock import as_utc, local_date
from quickcrm.errors import InvalidInput, NotFound
from quickcrm.events import details_of
from quickcrm.permissions import Actor
from quickcrm.store.models import Event, Person, Relation

E = Event.metadata.tables["event"]  # read only: written by quickcrm.events
R = Relation.__table__  # type: ignore[attr-defined]
P = Person.__table__  # type: ignore[attr-defined]
AR = AttentionResult.__table__  # type: ignore[attr-defined]

MONITOR, REVENUE = "use the attention monitor", "see revenue"
VIEWS = ("contacts", "types", "sales")
# what a reader without "see revenue" never sees
AMOUNT_KEYS = frozenset({"revenue", "per_contact", "class", "sales_days"})


@dataclass(frozen=True)
class Params:
    start: date
    end: date  # inclusive
    users: Sequence[str] = ()
    user_team: str | None = None
    relations: Relations = field(default_factory=Relations)
    view: str = "contacts"
    revenue: str | None = None  # orders, invoices, both


def period_bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """[start of the first local day, start of the day after the last) in UTC."""
    zone = ZoneInfo(tz)
    low = datetime.combine(start, time(), zone).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(UTC)
    return low, high


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{what}: not a date (YYYY-MM-DD): {text!r}") from None


def default_period(now: datetime, tz: str) -> tuple[date, date]:
    """A year up to today (seed 003: "gebruik een lange periode (1 jaar of meer)")."""
    today = local_date(now, tz)
    return today - timedelta(days=365), today


def days_between(last: datetime | None, now: datetime, tz: str) -> int | None:
    """Local calendar days from ``last`` to ``now`` (None: never)."""
    if last is None:
        return None
    return (local_date(now, tz) - local_date(last, tz)).days


def days_since(now: datetime, tz: str) -> Any:
    """``days_between`` with ``now`` and the zone fixed: called for every relation."""
    zone = ZoneInfo(tz)
    today = as_utc(now).astimezone(zone).date().toordinal()
    # Every zone's offset is a multiple of 15 minutes, so all moments of one UTC quarter
    # hour fall on the same local day: the zone conversion is done once per quarter.
    seen: dict[tuple[int, int, int, int, int], int] = {}

    def days(last: datetime | None) -> int | None:
        if last is None:
            return None
        if last.tzinfo is not None and last.utcoffset():
            last = last.astimezone(UTC)
        key = (last.year, last.month, last.day, last.hour, last.minute // 15)
        found = seen.get(key)
        if found is None:
            utc = last if last.tzinfo is not None else last.replace(tzinfo=UTC)
            found = seen[key] = today - utc.astimezone(zone).date().toordinal()
        return found

    return days


def check(actor: Actor, params: Params) -> None:
    permissions.require(actor, MONITOR)
    if params.view not in VIEWS:
        raise InvalidInput(f"--view must be one of {', '.join(VIEWS)}, not {params.view!r}")
    if params.revenue is not None and params.revenue not in kinds.REVENUE:
        raise InvalidInput(f"--revenue must be one of {', '.join(kinds.REVENUE)}, "
                           f"not {params.revenue!r}")
    if params.view == "sales" or params.revenue is not None:
        permissions.require(actor, REVENUE)
    if params.end < params.start:
        raise InvalidInput(f"--to {params.end} is before --from {params.start}")


def _conditions(low: datetime, high: datetime, kind_list: Sequence[str],
                user_ids: list[int] | None) -> list[Any]:
    conds = [E.c.at >= low, E.c.at < high, E.c.kind.in_(list(kind_list)),
             E.c.relation_id.is_not(None)]
    if user_ids is not None:
        conds.append(E.c.user_id.in_(user_ids))
    return conds


def _relations(session: Session, ids: list[int] | None) -> list[Any]:
    """The relations looked at, with what the result and its outputs show."""
    query = select(R.c.id, R.c.number, R.c.company, R.c.address, R.c.postcode, R.c.city,
                   R.c.latitude, R.c.longitude, R.c.updated_at)
    rows = list(session.connection().execute(query))
    if ids is None:
        return rows
    wanted = set(ids)
    return [r for r in rows if r.id in wanted]


def _person_changes(session: Session) -> dict[int, datetime]:
    query = (select(P.c.relation_id, func.max(P.c.updated_at))
             .where(P.c.relation_id.is_not(None)).group_by(P.c.relation_id))
    return {rid: at for rid, at in session.connection().execute(query) if at is not None}


def _counts(session: Session, conds: list[Any]) -> dict[int, tuple[int, datetime]]:
    query = (select(E.c.relation_id, func.count(), func.max(E.c.at))
             .where(*conds).group_by(E.c.relation_id))
    return {rid: (n, last) for rid, n, last in session.connection().execute(query)}


def _types(session: Session, low: datetime, high: datetime, user_ids: list[int] | None
           ) -> dict[int, dict[str, list[Any]]]:
    """Per relation and contact type: [count, last]. A procedure step's type is in its
    details, so steps are read one by one (few); everything else is grouped in SQL."""
    out: dict[int, dict[str, list[Any]]] = defaultdict(dict)

    def add(rid: int, type_: str, n: int, last: datetime) -> None:
        slot = out[rid].setdefault(type_, [0, None])
        slot[0] += n
        if slot[1] is None or as_utc(last) > as_utc(slot[1]):
            slot[1] = last

    others = [k for k in kinds.COUNTED if k != kinds.STEP]
    query = (select(E.c.relation_id, E.c.kind, func.count(), func.max(E.c.at))
             .where(*_conditions(low, high, others, user_ids))
             .group_by(E.c.relation_id, E.c.kind))
    for rid, kind, n, last in session.connection().execute(query):
        add(rid, kinds.TABLE[kind].type or "", n, last)
    steps = select(E.c.relation_id, E.c.at, E.c.details).where(
        *_conditions(low, high, [kinds.STEP], user_ids))
    for rid, at, details in session.connection().execute(steps):
        add(rid, kinds.step_type(details_of(details)), 1, at)
    return out



def helpdesk_status(session: Session, relation_ids_: Sequence[int] | None = None,
                    call_ids: Sequence[int] | None = None) -> dict[int, bool]:
    """call event id -> solved: a call imported with Status "opgelost", or one a
    ``helpdesk.solved`` event names (``details.call_id``)."""
    solved: set[int] = set()
    for details in session.connection().execute(
            select(E.c.details).where(E.c.kind == kinds.SOLVES)).scalars():
        call = details_of(details).get("call_id")
        if isinstance(call, int):
            solved.add(call)
    query = select(E.c.id, E.c.details).where(E.c.kind == kinds.CALLS)
    if call_ids is not None:
        query = query.where(E.c.id.in_(list(call_ids)))
    out = {}
    for eid, details in session.connection().execute(query):
        out[eid] = eid in solved or details_of(details).get("status") == "opgelost"
    return out


def _helpdesk(session: Session, low: datetime, high: datetime, user_ids: list[int] | None
              ) -> dict[int, list[int]]:
    """Per relation: [open, solved] calls of the period."""
    calls = list(session.connection().execute(select(E.c.id, E.c.relation_id).where(
        *_conditions(low, high, [kinds.CALLS], user_ids))))
    status = helpdesk_status(session, call_ids=[i for i, _ in calls]) if calls else {}
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for eid, rid in calls:
        out[rid][1 if status.get(eid) else 0] += 1
    return out


def _sums(session: Session, conds: list[Any]) -> dict[int, float]:
    query = (select(E.c.relation_id, func.sum(E.c.amount)).where(*conds)
             .group_by(E.c.relation_id))
    return {rid: float(s or 0) for rid, s in session.connection().execute(query)}


def compute(*, session: Session, actor: Actor, now: datetime, tz: str, params: Params,
            store: bool = True, group_id: int | None = None) -> dict[str, Any]:
    """Count, bucket and (``store``) keep the result for ``actor`` (or, with
    ``group_id``, as that nightly group's); returns it as ``show`` prints it to
    ``actor``."""
    check(actor, params)
    users = resolve_users(session, params.users, params.user_team)
    user_ids = None if users is None else [i for i, _ in users]
    ids = relation_ids(session, params.relations)
    low, high = period_bounds(params.start, params.end, tz)
    rows = _relations(session, ids)
    counts = _counts(session, _conditions(low, high, kinds.COUNTED, user_ids))
    persons = _person_changes(session)
    totals = [counts.get(r.id, (0, None))[0] for r in rows]
    median, dist = rules.distribution(totals)
    relations: list[dict[str, Any]] = []
    days = days_since(now, tz)
    for r, total in zip(rows, totals, strict=True):
        last = counts.get(r.id, (0, None))[1]
        person = persons.get(r.id)
        updated = days(r.updated_at)
        if person is not None:
            person_days = days(person)
            updated = person_days if updated is None else min(updated, person_days)
        relations.append({
            "relation": r.number, "name": r.company, "total": total,
            "days_since": days(last), "bucket": rules.bucket(total, median),
            "updated_days": updated,
            "address": r.address, "postcode": r.postcode, "city": r.city,
            "latitude": r.latitude, "longitude": r.longitude, "_id": r.id,
        })
    if params.view == "types":
        _add_types(session, relations, low, high, user_ids, now, tz)
    result: dict[str, Any] = {
        "computed_at": now, "from": params.start.isoformat(), "to": params.end.isoformat(),
        "users": None if users is None else [e for _, e in users],
        "relations": relations,
    }
    revenue_kind = params.revenue or ("both" if params.view == "sales" else None)
    if revenue_kind is not None:
        revenue = _sums(session, _conditions(low, high, kinds.REVENUE[revenue_kind], user_ids))
        for rel in relations:
            rel["revenue"] = round(revenue.get(rel["_id"], 0.0), 2)
    if params.view == "sales":
        _sales_view(session, result, low, high, user_ids, now, tz)
    else:
        result["distribution"] = dist
        result["summary"] = rules.summary([rel["bucket"] for rel in relations])
    result.update({"view": params.view, "revenue_basis": revenue_kind, "median": median,
                   "relation_pick": params.relations.describe(),
                   "user_team": params.user_team})
    for rel in relations:
        del rel["_id"]
    for rel in result.get("excluded", []):
        rel.pop("_id", None)
    if store:
        _store(session, actor.id if group_id is None else None, group_id, now, params, result)
    return result


def _add_types(session: Session, relations: list[dict[str, Any]], low: datetime,
               high: datetime, user_ids: list[int] | None, now: datetime, tz: str) -> None:
    per_type = _types(session, low, high, user_ids)
    days = days_since(now, tz)
    helpdesk = _helpdesk(session, low, high, user_ids)
    for rel in relations:
        mine = per_type.get(rel["_id"], {})
        rel["types"] = {t: {"count": mine.get(t, [0, None])[0],
                            "days_since": days(mine.get(t, [0, None])[1])}
                        for t in kinds.TYPES}
        opened, solved = helpdesk.get(rel["_id"], [0, 0])
        rel["helpdesk_open"], rel["helpdesk_solved"] = opened, solved


def _sales_view(session: Session, result: dict[str, Any], low: datetime, high: datetime,
                user_ids: list[int] | None, now: datetime, tz: str) -> None:
    """Revenue per contact moment, its classes and the excluded relations (in place)."""
    relations = result["relations"]
    sales_last = {rid: last for rid, (_, last) in _counts(
        session, _conditions(low, high, kinds.SALES_DAYS, user_ids)).items()}
    days = days_since(now, tz)
    overall = rules.overall_rate([r["revenue"] for r in relations],
                                 [r["total"] for r in relations])
    kept, excluded, classified = [], [], []
    for rel in relations:
        name = rules.sales_class(rel["revenue"], rel["total"], overall)
        if name is None:
            excluded.append({"relation": rel["relation"], "name": rel["name"]})
            continue
        rel["per_contact"] = round(rel["revenue"] / rel["total"], 2) if rel["total"] else None
        rel["class"] = name
        rel["sales_days"] = days(sales_last.get(rel["_id"]))
        kept.append(rel)
        classified.append((rel["revenue"], rel["total"], name))
    result["relations"] = kept
    result["excluded"] = excluded
    result["distribution"] = rules.class_table(classified)
    n = len(kept)
    result["summary"] = {
        "per_contact": round(overall, 2),
        "revenue": round(sum(r for r, _, _ in classified), 2),
        "contacts": sum(c for _, c, _ in classified),
        **{name: round(sum(1 for *_, k in classified if k == name) / n, 4) if n else 0.0
           for name in rules.CLASSES},
    }


def _store(session: Session, user_id: int | None, group_id: int | None, now: datetime,
           params: Params, result: dict[str, Any]) -> None:
    owner = and_(AR.c.user_id.is_(None) if user_id is None else AR.c.user_id == user_id,
                 AR.c.group_id.is_(None) if group_id is None else AR.c.group_id == group_id)
    conn = session.connection()
    conn.execute(delete(AR).where(owner))
    conn.execute(insert(AR), {
        "user_id": user_id, "group_id": group_id, "computed_at": now,
        "params": json.dumps({"from": params.start.isoformat(), "to": params.end.isoformat(),
                              "users": list(params.users), "user_team": params.user_team,
                              "relations": params.relations.describe(), "view": params.view,
                              "revenue": params.revenue}, ensure_ascii=False),
        "result": json.dumps(result, default=_encode, ensure_ascii=False),
    })
    session.commit()


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return str(value)


def stored(*, session: Session, actor: Actor, group: str | None = None) -> dict[str, Any]:
    """The last result of ``actor`` (or of the nightly ``group``), as computed."""
    permissions.require(actor, MONITOR)
    if group is not None:
        gid = group_by_name(session, group).id
        cond = and_(AR.c.group_id == gid, AR.c.user_id.is_(None))
        missing = f"relation group {group!r} has no computed result yet (is it --nightly?)"
    else:
        cond = and_(AR.c.user_id == actor.id, AR.c.group_id.is_(None))
        missing = "no stored result: run quickcrm attention compute first"
    text = session.connection().execute(select(AR.c.result).where(cond)).scalar()
    if text is None:
        raise NotFound(missing)
    result: dict[str, Any] = json.loads(text)
    result["computed_at"] = datetime.fromisoformat(result["computed_at"])
    return result


SORTS = ("total", "dgn", "name", "relation")


def for_reader(result: dict[str, Any], actor: Actor, *, sort: str = "total",
               bucket: str | None = None, naw: bool = False) -> dict[str, Any]:
    """What ``actor`` reads of a result: amounts only with ``see revenue`` (a sales
    view not at all without it), sorted, one bucket's relations with ``bucket``, the
    name-and-address fields only with ``naw``. Keys in the documented order."""
    revenue_ok = permissions.allowed(actor, REVENUE)
    if result.get("view") == "sales" and not revenue_ok:
        permissions.require(actor, REVENUE)
    if sort not in SORTS:
        raise InvalidInput(f"--sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if bucket is not None:
        names = rules.BUCKETS + rules.CLASSES
        by_dutch = {v: k for k, v in {**rules.DUTCH, **rules.CLASS_DUTCH}.items()}
        bucket = by_dutch.get(bucket.strip().lower(), bucket.strip().lower())
        if bucket not in names:
            raise InvalidInput(f"--bucket must be one of {', '.join(names)}, not {bucket!r}")
    hidden = {"address", "postcode", "city", "latitude", "longitude"} if not naw else set()
    if not revenue_ok:
        hidden |= AMOUNT_KEYS
    relations = [{k: v for k, v in rel.items() if k not in hidden}
                 for rel in result["relations"]
                 if bucket is None or rel.get("bucket") == bucket or rel.get("class") == bucket]
    relations.sort(key=_sort_key(sort))
    out: dict[str, Any] = {k: result[k] for k in ("computed_at", "from", "to", "users")}
    out["relations"] = relations
    if "excluded" in result:
        out["excluded"] = result["excluded"]
    out["distribution"] = result["distribution"]
    out["summary"] = result["summary"]
    for key in ("view", "median", "relation_pick", "user_team"):
        out[key] = result.get(key)
    if revenue_ok:
        out["revenue_basis"] = result.get("revenue_basis")
    return out


def _sort_key(sort: str) -> Any:
    if sort == "dgn":  # longest without contact first; never contacted before all
        return lambda r: (r["days_since"] is not None, -(r["days_since"] or 0), r["relation"])
    if sort == "name":
        return lambda r: (r["name"].lower(), r["relation"])
    if sort == "relation":
        return lambda r: r["relation"]
    return lambda r: (-r["total"], r["relation"])
