"""Signals (seed 001, "Signaleringen"): a follow-up on a person for a user, due on a day
(from a time, when one is given), that lands in that user's work queue (`quickcrm
worklist`) until it is marked done. The seed makes them by hand only; QuickCRM also
makes them where a firm wants them (a risk review, an expiring identity document), each
with a ``ref`` naming what made it."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from quickcrm import events
from quickcrm.clock import as_utc, local_date
from quickcrm.crm.models import Signal
from quickcrm.crm.persons import clean, get_person, name_of, require_edit
from quickcrm.errors import InvalidInput, InvalidState, NotFound
from quickcrm.permissions import Actor
from quickcrm.store.models import Person, User

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def due_moment(day: date, at: str, tz: str) -> datetime:
    """The moment (UTC) a signal enters the work queue: the time given, else the day's start."""
    hours, minutes = (int(x) for x in at.split(":")) if at else (0, 0)
    return as_utc(datetime.combine(day, time(hours, minutes), tzinfo=ZoneInfo(tz)))


def user_by_email(session: Session, email: str) -> User:
    user = session.execute(select(User).where(
        col(User.email) == email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise NotFound(f"unknown user {email!r}")
    return user


def add_signal(*, session: Session, actor: Actor, now: datetime, tz: str, person_id: int,
               title: str, due: date, at: str = "", for_user_id: int | None = None,
               ref: str = "", commit: bool = True) -> Signal:
    require_edit(actor)
    person = get_person(session, person_id)
    title = clean(title)
    if not title or len(title) > 200:
        raise InvalidInput("a signal's --title has 1 to 200 characters")
    at = at.strip()
    if at and not _TIME.match(at):
        raise InvalidInput(f"--time {at!r} is not HH:MM")
    if at:
        at = f"{int(at.split(':')[0]):02d}:{at.split(':')[1]}"
    signal = Signal(person_id=person_id, title=title, due_date=due, due_time=at,
                    due_at=due_moment(due, at, tz), user_id=for_user_id or actor.id,
                    ref=clean(ref)[:120], created_by=actor.id, created_at=now)
    session.add(signal)
    session.flush()
    events.record(session, kind=events.PERSON_SIGNAL_ADDED, at=now, person_id=person_id,
                  relation_id=person.relation_id, user_id=actor.id, signal_id=signal.id,
                  title=title, due=due.isoformat(), for_user_id=signal.user_id,
                  **({"ref": signal.ref} if signal.ref else {}))
    if commit:
        session.commit()
    return signal


def done_signal(*, session: Session, actor: Actor, now: datetime, signal_id: int) -> Signal:
    require_edit(actor)
    signal = session.get(Signal, signal_id)
    if signal is None:
        raise NotFound(f"unknown signal {signal_id}")
    if signal.done_at is not None:
        raise InvalidState(f"signal {signal_id} is already done")
    signal.done_at, signal.done_by = now, actor.id
    person = get_person(session, signal.person_id)
    events.record(session, kind=events.PERSON_SIGNAL_DONE, at=now, person_id=signal.person_id,
                  relation_id=person.relation_id, user_id=actor.id, signal_id=signal.id,
                  changes={"status": ["open", "done"]},  # the audit trail (issue 29)
                  **({"ref": signal.ref} if signal.ref else {}))
    session.commit()
    return signal


def _row(signal: Signal, email: str | None, person: str = "") -> dict[str, Any]:
    return {"id": signal.id, "person_id": signal.person_id, "person": person,
            "title": signal.title, "due_date": signal.due_date, "due_time": signal.due_time,
            "for": email or "", "ref": signal.ref, "done_at": signal.done_at}


def list_signals(*, session: Session, person_id: int, open_only: bool = False) -> list[dict[str, Any]]:
    get_person(session, person_id)
    query = (select(Signal, col(User.email)).outerjoin(User, col(User.id) == col(Signal.user_id))
             .where(col(Signal.person_id) == person_id))
    if open_only:
        query = query.where(col(Signal.done_at).is_(None))
    return [_row(s, e) for s, e in session.execute(
        query.order_by(col(Signal.due_at), col(Signal.id)))]


def worklist(*, session: Session, user_id: int, now: datetime, tz: str,
             day: date | None = None) -> list[dict[str, Any]]:
    """The user's open signals that are due: by ``now`` (one with a time from that
    time on), or with ``day`` every open signal due on or before that day."""
    query = (select(Signal, col(User.email), Person).join(Person, col(Person.id) == col(Signal.person_id))
             .outerjoin(User, col(User.id) == col(Signal.user_id))
             .where(col(Signal.user_id) == user_id, col(Signal.done_at).is_(None)))
    if day is not None:
        query = query.where(col(Signal.due_date) <= day)
    else:
        query = query.where(col(Signal.due_at) <= now)
    _ = local_date(now, tz)
    return [_row(s, e, name_of(p)) for s, e, p in session.execute(
        query.order_by(col(Signal.due_at), col(Signal.id)))]


def auto_signal(session: Session, *, now: datetime, tz: str, person_id: int, user_id: int,
                title: str, ref: str, due: date | None = None) -> Signal | None:
    """A signal QuickCRM makes itself (beyond the seed: a finished QuickScan to go
    through, a client to ask for a response), for ``user_id`` (the client's RM), due
    ``due`` (default today), in the caller's transaction. Once per person, ref and title:
    a run done again makes no second one. No user acted, so no right is checked and the
    event has no ``user_id``."""
    known = session.execute(select(Signal.id).where(  # type: ignore[call-overload]
        col(Signal.person_id) == person_id, col(Signal.ref) == ref,
        col(Signal.title) == title)).first()
    if known is not None or session.get(Person, person_id) is None:
        return None
    day = due or local_date(now, tz)
    signal = Signal(person_id=person_id, title=title, due_date=day, due_time="",
                    due_at=due_moment(day, "", tz), user_id=user_id, ref=ref, created_at=now)
    session.add(signal)
    session.flush()
    relation_id = session.execute(select(Person.relation_id).where(  # type: ignore[call-overload]
        col(Person.id) == person_id)).scalar_one()
    events.record(session, kind=events.PERSON_SIGNAL_ADDED, at=now, person_id=person_id,
                  relation_id=relation_id, signal_id=signal.id, title=title,
                  due=day.isoformat(), for_user_id=user_id, ref=ref, automatic=True)
    return signal


QUICKSCAN_FOLLOW_UP = "resultaten doornemen"
ASK_FOR_RESPONSE = "om respons vragen"
