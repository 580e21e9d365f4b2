"""Appointments ("Agenda & planning"): made by an appointment step, listed, moved and
cancelled, each time mailing the contact and the user an iCalendar invitation with the
same UID and a higher SEQUENCE (``quickcrm.documents.ics``).

Who may move or cancel an appointment: its user, or a user with ``manage projects``.
A user without a firm-wide right sees only their own appointments.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from quickcrm import permissions
from quickcrm.clock import as_utc, local_time
from quickcrm.documents.ics import CANCEL, REQUEST, Invitation, build
from quickcrm.errors import InvalidInput, InvalidState, NotFound
from quickcrm.events import APPOINTMENT_CANCELLED, APPOINTMENT_MOVED, record
from quickcrm.permissions import Actor
from quickcrm.procedures.models import CANCELLED, PLANNED, Appointment
from quickcrm.settings import Settings
from quickcrm.store.models import Person, Relation, User

ICS_NAME = "uitnodiging.ics"
DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")


def new_uid(settings: Settings) -> str:
    domain = str(settings["mail.sender"]).rpartition("@")[2] or "quickcrm.invalid"
    return f"{secrets.token_hex(16)}@{domain}"


def check_start(start: datetime | None, now: datetime) -> datetime:
    if start is None:
        raise InvalidInput("an appointment needs --start (e.g. --start '2026-12-01 10:00')")
    if as_utc(start) <= now:
        raise InvalidInput(f"the appointment's start {start:%Y-%m-%d %H:%M} is in the past")
    return as_utc(start)


def check_minutes(minutes: int) -> int:
    if not 5 <= minutes <= 24 * 60:
        raise InvalidInput(f"--minutes must be between 5 and 1440, not {minutes}")
    return minutes


def when_text(start: datetime, minutes: int, tz: str) -> str:
    """``maandag 30 november 2026, 10:00-11:00``: the time as the mail says it."""
    s = local_time(start, tz)
    e = s + timedelta(minutes=minutes)
    return f"{DAYS[s.weekday()]} {s.day} {MONTHS[s.month - 1]} {s.year}, {s:%H:%M}-{e:%H:%M}"


def _name(first: str, last: str, email: str) -> str:
    return " ".join(p for p in (first, last) if p) or email


def queue_invitations(session: Session, *, appt: Appointment, person: Person,
                      relation: Relation | None, user: User, method: str, settings: Settings,
                      now: datetime, reason: str = "") -> int:
    """Mail the contact and the user the invitation (REQUEST) or the cancellation
    (CANCEL) of ``appt`` as it stands; returns the number of messages queued."""
    from quickcrm.mail.compose import Attachment, address
    from quickcrm.mail.outbox import queue_message

    tz = str(settings["firm.timezone"])
    contact_name = _name(person.first_name, person.last_name, person.email)
    company = relation.company if relation is not None else ""
    ics = build(invitation(appt, person, user, tz), method=method, stamp=now)
    when = when_text(appt.start, appt.minutes, tz)
    mime = f"text/calendar; method={method}"
    sender = address(str(settings["mail.sender_name"]), str(settings["mail.sender"]))
    if method == CANCEL:
        subject = f"Geannuleerd: {appt.title}"
        lead = f"De afspraak van {when} gaat niet door."
        if reason:
            lead += f"\nReden: {reason}"
    elif appt.sequence == 0:
        subject = appt.title
        lead = f"Hierbij de uitnodiging voor onze afspraak op {when}."
    else:
        subject = f"Gewijzigd: {appt.title}"
        lead = f"Onze afspraak is verplaatst naar {when}."
    place = f"\nLocatie: {appt.place}" if appt.place else ""
    sent = 0
    targets = []
    if person.email:
        targets.append((address(contact_name, person.email), contact_name))
    targets.append((address(user.name, user.email), user.name))
    for to, name in targets:
        text = (f"Beste {name},\n\n{lead}{place}\n\nAfspraak: {appt.title}"
                + (f" ({company})" if company else "")
                + f"\nMet: {contact_name} en {user.name}\n\n"
                  "De uitnodiging zit als agenda-item bij dit bericht.\n\n"
                  f"Met vriendelijke groet,\n{user.name}\n")
        queue_message(session, kind="procedure_appointment", ref=f"appointment:{appt.id}",
                      to=to, from_=address(user.name, user.email), sender=sender,
                      subject=subject, text=text, now=now,
                      attachments=[Attachment(ICS_NAME, ics, mime, alternative=True)])
        sent += 1
    return sent


def invitation(appt: Appointment, person: Person, user: User, tz: str) -> Invitation:
    return Invitation(uid=appt.uid, sequence=appt.sequence, start=as_utc(appt.start),
                      minutes=appt.minutes, summary=appt.title, organizer_name=user.name,
                      organizer_email=user.email,
                      attendee_name=_name(person.first_name, person.last_name, person.email),
                      attendee_email=person.email or user.email, location=appt.place,
                      timezone=tz)


def _get(session: Session, actor: Actor, appointment_id: int) -> Appointment:
    appt = session.get(Appointment, appointment_id)
    if appt is None or (not actor.rights and appt.user_id != actor.id):
        raise NotFound(f"unknown appointment {appointment_id}")
    return appt


def describe(session: Session, appt: Appointment) -> dict[str, Any]:
    person = session.get(Person, appt.person_id)
    user = session.get(User, appt.user_id)
    relation = (session.get(Relation, person.relation_id)
                if person is not None and person.relation_id else None)
    end = as_utc(appt.start) + timedelta(minutes=appt.minutes)
    return {"id": appt.id, "uid": appt.uid, "sequence": appt.sequence, "title": appt.title,
            "start": as_utc(appt.start), "end": end, "minutes": appt.minutes,
            "place": appt.place, "status": appt.status,
            "user": user.email if user else None,
            "contact": (_name(person.first_name, person.last_name, person.email)
                        if person else None),
            "email": person.email if person else None,
            "relation": relation.number if relation else None,
            "company": relation.company if relation else None,
            "cancel_reason": appt.cancel_reason or None}


def list_appointments(*, session: Session, actor: Actor, user: str | None = None,
                      start: datetime | None = None, end: datetime | None = None,
                      cancelled: bool = False) -> list[dict[str, Any]]:
    """``agenda list``: appointments between ``start`` and ``end`` (of ``user``; a user
    without a firm-wide right sees only their own)."""
    query = select(Appointment).order_by(col(Appointment.start), col(Appointment.id))
    if user is not None:
        uid = session.execute(select(col(User.id)).where(
            col(User.email) == user.strip().lower())).scalar()
        if uid is None:
            raise NotFound(f"unknown user {user!r}")
        if not actor.rights and uid != actor.id:
            raise permissions_refusal()
        query = query.where(col(Appointment.user_id) == uid)
    elif not actor.rights:
        query = query.where(col(Appointment.user_id) == actor.id)
    if start is not None:
        query = query.where(col(Appointment.start) >= as_utc(start))
    if end is not None:
        query = query.where(col(Appointment.start) < as_utc(end))
    if not cancelled:
        query = query.where(col(Appointment.status) == PLANNED)
    return [describe(session, a) for a in session.execute(query).scalars()]


def permissions_refusal() -> Exception:
    from quickcrm.errors import NotPermitted

    return NotPermitted("seeing another user's appointments", "a firm-wide right")


def _may_change(actor: Actor, appt: Appointment) -> None:
    permissions.require(actor, "manage projects", permissions.OwnAccount(
        appt.user_id, what="changing another user's appointment"))


def _parties(session: Session, appt: Appointment) -> tuple[Person, Relation | None, User]:
    person = session.get(Person, appt.person_id)
    user = session.get(User, appt.user_id)
    assert person is not None and user is not None
    relation = session.get(Relation, person.relation_id) if person.relation_id else None
    return person, relation, user


def move(*, session: Session, actor: Actor, now: datetime, settings: Settings,
         appointment_id: int, start: datetime, minutes: int | None = None) -> dict[str, Any]:
    """``agenda move``: a new time; both parties get the update (same UID, SEQUENCE+1)."""
    appt = _get(session, actor, appointment_id)
    _may_change(actor, appt)
    if appt.status == CANCELLED:
        raise InvalidState(f"appointment {appointment_id} is cancelled")
    old_start, old_minutes = appt.start, appt.minutes  # the audit trail (issue 29)
    appt.start = check_start(start, now)
    if minutes is not None:
        appt.minutes = check_minutes(minutes)
    appt.sequence += 1
    appt.updated_at = now
    person, relation, user = _parties(session, appt)
    mails = queue_invitations(session, appt=appt, person=person, relation=relation, user=user,
                              method=REQUEST, settings=settings, now=now)
    record(session, kind=APPOINTMENT_MOVED, at=now, relation_id=person.relation_id,
           person_id=person.id, user_id=actor.id, appointment_id=appt.id, uid=appt.uid,
           sequence=appt.sequence, start=appt.start, minutes=appt.minutes,
           changes={k: v for k, v in (("start", [old_start, appt.start]),
                                      ("minutes", [old_minutes, appt.minutes])) if v[0] != v[1]})
    session.commit()
    return {**describe(session, appt), "mails": mails}


def cancel(*, session: Session, actor: Actor, now: datetime, settings: Settings,
           appointment_id: int, reason: str = "") -> dict[str, Any]:
    """``agenda cancel``: both parties get METHOD:CANCEL (same UID, SEQUENCE+1)."""
    appt = _get(session, actor, appointment_id)
    _may_change(actor, appt)
    if appt.status == CANCELLED:
        raise InvalidState(f"appointment {appointment_id} is cancelled already")
    was = appt.status  # the audit trail (issue 29)
    appt.status = CANCELLED
    appt.cancel_reason = reason.strip()
    appt.sequence += 1
    appt.updated_at = now
    person, relation, user = _parties(session, appt)
    mails = queue_invitations(session, appt=appt, person=person, relation=relation, user=user,
                              method=CANCEL, settings=settings, now=now, reason=reason.strip())
    record(session, kind=APPOINTMENT_CANCELLED, at=now, relation_id=person.relation_id,
           person_id=person.id, user_id=actor.id, appointment_id=appt.id, uid=appt.uid,
           sequence=appt.sequence, reason=reason.strip() or None,
           changes={"status": [was, CANCELLED]})
    session.commit()
    return {**describe(session, appt), "mails": mails}


def show(*, session: Session, actor: Actor, appointment_id: int, settings: Settings,
         now: datetime) -> tuple[dict[str, Any], bytes]:
    """``agenda show``: the appointment and its current iCalendar (REQUEST, or CANCEL
    when cancelled)."""
    appt = _get(session, actor, appointment_id)
    person, _relation, user = _parties(session, appt)
    ics = build(invitation(appt, person, user, str(settings["firm.timezone"])),
                method=CANCEL if appt.status == CANCELLED else REQUEST,
                stamp=as_utc(appt.updated_at or now))
    return describe(session, appt), ics
