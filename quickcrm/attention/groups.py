"""Relation groups (seed 003's B-Groep): a named, fixed set of relations to follow,
optionally recomputed by the daemon every night (``nightly``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, true
from sqlmodel import Session

from quickcrm import events, permissions
from quickcrm.attention.models import RelationGroup, RelationGroupMember
from quickcrm.attention.monitor import MONITOR, REVENUE, Params, compute
from quickcrm.attention.scope import Relations, group_by_name, relation_ids
from quickcrm.errors import InvalidInput, InvalidState
from quickcrm.permissions import Actor
from quickcrm.store.models import Relation

G = RelationGroup.__table__  # type: ignore[attr-defined]
GM = RelationGroupMember.__table__  # type: ignore[attr-defined]
R = Relation.__table__  # type: ignore[attr-defined]


def _ids(session: Session, pick: Relations) -> list[int]:
    ids = relation_ids(session, pick)
    if ids is None:
        raise InvalidInput("name the relations: --relations N,..., --file F or client filters")
    return ids


def _add(session: Session, group_id: int, ids: list[int]) -> int:
    have = set(session.connection().execute(
        select(GM.c.relation_id).where(GM.c.group_id == group_id)).scalars())
    new = [i for i in dict.fromkeys(ids) if i not in have]
    if new:
        session.connection().execute(insert(GM), [{"group_id": group_id, "relation_id": i}
                                                  for i in new])
    return len(new)


def _size(session: Session, group_id: int) -> int:
    return int(session.connection().execute(
        select(func.count()).select_from(GM).where(GM.c.group_id == group_id)).scalar_one())


def _record(session: Session, *, actor: Actor, now: datetime, group: str, action: str,
            touched: int, before: int, after: int, **extra: Any) -> None:
    """One ``attention.group_changed`` per command, in its transaction: the audit trail
    names who changed which group and its size before and after."""
    events.record(session, kind=events.ATTENTION_GROUP_CHANGED, at=now, user_id=actor.id,
                  group=group, action=action, relations=touched,
                  changes={"relations": [before, after]}, **extra)


def create_group(*, session: Session, actor: Actor, now: datetime, name: str,
                 relations: Relations, nightly: bool = False) -> dict[str, Any]:
    permissions.require(actor, MONITOR)
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise InvalidInput("a group's name is 1 to 120 characters")
    if session.connection().execute(select(G.c.id).where(G.c.name == name)).first():
        raise InvalidState(f"relation group {name!r} exists already")
    ids = _ids(session, relations)
    gid = session.connection().execute(insert(G).returning(G.c.id), {
        "name": name, "nightly": nightly, "created_by": actor.id, "created_at": now,
    }).scalar_one()
    added = _add(session, gid, ids)
    _record(session, actor=actor, now=now, group=name, action="created", touched=added,
            before=0, after=added, nightly=nightly)
    session.commit()
    return show_group(session=session, actor=actor, name=name)


def list_groups(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    permissions.require(actor, MONITOR)
    counts: dict[int, int] = dict(session.connection().execute(
        select(GM.c.group_id, func.count()).group_by(GM.c.group_id)).all())
    return [{"name": g.name, "relations": counts.get(g.id, 0), "nightly": bool(g.nightly)}
            for g in session.connection().execute(select(G).order_by(G.c.name))]


def show_group(*, session: Session, actor: Actor, name: str) -> dict[str, Any]:
    permissions.require(actor, MONITOR)
    group = group_by_name(session, name)
    members = [{"relation": n, "name": c, "city": city} for n, c, city in
               session.connection().execute(
                   select(R.c.number, R.c.company, R.c.city)
                   .join(GM, GM.c.relation_id == R.c.id)
                   .where(GM.c.group_id == group.id).order_by(R.c.number))]
    return {"name": group.name, "nightly": bool(group.nightly), "relations": members}


def add_to_group(*, session: Session, actor: Actor, now: datetime, name: str,
                 relations: Relations) -> dict[str, Any]:
    permissions.require(actor, MONITOR)
    group = group_by_name(session, name)
    before = _size(session, group.id)
    added = _add(session, group.id, _ids(session, relations))
    if added:
        _record(session, actor=actor, now=now, group=group.name, action="added",
                touched=added, before=before, after=before + added)
    session.commit()
    return {"name": group.name, "added": added}


def remove_from_group(*, session: Session, actor: Actor, now: datetime, name: str,
                      relations: Relations) -> dict[str, Any]:
    permissions.require(actor, MONITOR)
    group = group_by_name(session, name)
    ids = _ids(session, relations)
    before = _size(session, group.id)
    removed = int(session.connection().execute(delete(GM).where(
        GM.c.group_id == group.id, GM.c.relation_id.in_(ids))).rowcount or 0)
    if removed:
        _record(session, actor=actor, now=now, group=group.name, action="removed",
                touched=removed, before=before, after=before - removed)
    session.commit()
    return {"name": group.name, "removed": removed}


def delete_group(*, session: Session, actor: Actor, now: datetime, name: str
                 ) -> dict[str, Any]:
    permissions.require(actor, MONITOR)
    group = group_by_name(session, name)
    before = _size(session, group.id)
    from quickcrm.attention.models import AttentionResult

    AR = AttentionResult.__table__  # type: ignore[attr-defined]
    session.connection().execute(delete(AR).where(AR.c.group_id == group.id))
    session.connection().execute(delete(GM).where(GM.c.group_id == group.id))
    session.connection().execute(delete(G).where(G.c.id == group.id))
    _record(session, actor=actor, now=now, group=group.name, action="deleted",
            touched=before, before=before, after=0)
    session.commit()
    return {"name": group.name, "deleted": True}


def recompute_nightly(*, session: Session, actor: Actor, now: datetime, tz: str,
                      start: date, end: date) -> int:
    """The monitor of every nightly group over ``start``..``end``, stored as the
    group's (with revenue when ``actor`` may see it; readers without the right never
    do). Returns how many groups."""
    groups = list(session.connection().execute(
        select(G.c.name, G.c.id).where(G.c.nightly == true()).order_by(G.c.name)))
    revenue = "both" if permissions.allowed(actor, REVENUE) else None
    for name, gid in groups:
        compute(session=session, actor=actor, now=now, tz=tz, group_id=gid,
                params=Params(start=start, end=end, relations=Relations(group=name),
                              revenue=revenue))
    return len(groups)
