"""Working a project: the prospect list, the steps a user may take now, and taking one.

A step is allowed by the matrix alone (``permissions.require(actor, "take step",
TakeStep(...))``): the acting user's role in the project, the contact's last step and
the procedure's transitions. Taking it is one transaction: the step, the contact's last
step, the relation's stage (a suspect becomes a prospect), the ``procedure.step`` event
and the mail it causes (an e-mail step's template; an appointment's invitations).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from quickcrm import permissions
from quickcrm.errors import InvalidInput, InvalidState
from quickcrm.events import PROCEDURE_STEP, record
from quickcrm.permissions import Actor
from quickcrm.procedures import agenda
from quickcrm.procedures.matrix import TakeStep, allowed_next
from quickcrm.procedures.models import (
    CLOSED,
    PREPARING,
    RUNNING,
    Appointment,
    CloseReason,
    ProjectContact,
    StepTaken,
    StepType,
)
from quickcrm.procedures.projects import Contact, find_contact, get_project, role_in
from quickcrm.procedures.setup import Rules, render, rules
from quickcrm.settings import Settings
from quickcrm.store.models import Person, Relation, User


def list_prospects(*, session: Session, actor: Actor, project: str, actionable: bool = False,
                   closed: bool = False, preparing: bool = False) -> dict[str, Any]:
    """``project prospects``: the running contacts (``closed``: closed ones too;
    ``preparing``: preparing ones too, for ``manage projects`` only) with their last
    step, by whom and when, and the steps the acting user may take now (``actionable``:
    only contacts with at least one)."""
    p = get_project(session, actor, project)
    assert p.id is not None
    if preparing:
        permissions.require(actor, "manage projects")
    statuses = [RUNNING, *([CLOSED] if closed else []), *([PREPARING] if preparing else [])]
    r = rules(session, p.procedure_id)
    role = role_in(session, p.id, actor.id)
    open_ = p.closed_at is None
    may: dict[str | None, list[str]] = {}
    if role is not None and open_:
        for last in (None, *r.steps):
            may[last] = allowed_next(r.transitions, role, last)
    by = aliased(User)
    pc = ProjectContact.__table__.c  # type: ignore[attr-defined]
    query = (select(pc.id, pc.status, col(Person.id), col(Person.first_name),
                    col(Person.last_name), col(Person.email), col(Relation.number),
                    col(Relation.company), pc.last_step_type_id, col(by.email),
                    pc.last_step_at, col(CloseReason.name))
             .select_from(ProjectContact.__table__)  # type: ignore[attr-defined]
             .join(Person, col(Person.id) == pc.person_id)
             .join(Relation, col(Relation.id) == pc.relation_id)
             .outerjoin(by, col(by.id) == pc.last_step_by)
             .outerjoin(CloseReason, col(CloseReason.id) == pc.close_reason_id)
             .where(pc.project_id == p.id, pc.status.in_(statuses))
             .order_by(pc.id))
    names = r.names
    rows = []
    empty: list[str] = []
    for (cid, status, pid, first, last, email, number, company, step_id, by_email, at,
         reason) in session.execute(query):
        step = names.get(step_id) if step_id is not None else None
        steps = may.get(step, empty) if status == RUNNING else empty
        if actionable and not steps:
            continue
        rows.append({"contact_id": cid, "person_id": pid, "status": status,
                     "name": f"{first} {last}".strip(), "email": email,
                     "relation": number, "company": company, "last_step": step,
                     "by": by_email, "at": at, "reason": reason, "may": steps})
    return {"project": p.name, "role": role, "contacts": rows}


def next_steps(*, session: Session, actor: Actor, project: str, contact: str) -> dict[str, Any]:
    """``procedure next``: the steps the acting user may take with the contact now."""
    p = get_project(session, actor, project)
    assert p.id is not None
    c = find_contact(session, p, contact)
    r = rules(session, p.procedure_id)
    role = role_in(session, p.id, actor.id)
    last = r.names.get(c.row.last_step_type_id) if c.row.last_step_type_id else None
    steps = (allowed_next(r.transitions, role, last)
             if c.row.status == RUNNING and p.closed_at is None else [])
    return {"project": p.name, "contact_id": c.row.id, "person_id": c.person.id,
            "status": c.row.status, "role": role, "last_step": last, "may": steps,
            "kinds": {s: r.kinds[s] for s in steps}}


def template_context(c: Contact, user: User, project_name: str) -> dict[str, Any]:
    person, rel = c.person, c.relation
    return {
        "contact": {"first_name": person.first_name, "last_name": person.last_name,
                    "name": f"{person.first_name} {person.last_name}".strip(),
                    "email": person.email, "phone": person.phone},
        "company": {"name": rel.company, "number": rel.number, "address": rel.address,
                    "postcode": rel.postcode, "city": rel.city},
        "user": {"name": user.name, "first_name": user.first_name,
                 "last_name": user.last_name, "email": user.email, "phone": user.phone,
                 "function": user.function, "signature": user.signature},
        "project": {"name": project_name},
    }


def _step_name(r: Rules, name: str) -> str:
    from quickcrm.errors import unknown_value

    wanted = " ".join(name.split()).lower()
    for step in r.steps:
        if step.lower() == wanted:
            return step
    raise unknown_value(f"step of procedure {r.name!r}", name, list(r.steps), plural="steps")


def take_step(*, session: Session, actor: Actor, now: datetime, settings: Settings,
              project: str, contact: str, step: str, note: str = "",
              start: datetime | None = None, minutes: int | None = None,
              place: str = "") -> dict[str, Any]:
    """``procedure step``: take STEP with the contact, as the matrix allows; one
    transaction with its event and its mail (committed here)."""
    p = get_project(session, actor, project)
    assert p.id is not None
    if p.closed_at is not None:
        raise InvalidState(f"project {p.name!r} is closed: no step can be taken in it")
    r = rules(session, p.procedure_id)
    name = _step_name(r, step)
    c = find_contact(session, p, contact)
    if c.row.status != RUNNING:
        raise InvalidState(f"contact {contact!r} is {c.row.status}, not running: no step can "
                           "be taken")
    last = r.names.get(c.row.last_step_type_id) if c.row.last_step_type_id else None
    role = role_in(session, p.id, actor.id)
    permissions.require(actor, "take step", TakeStep(
        project=p.name, role=role, last_step=last, next_step=name, transitions=r.transitions))
    st = session.get(StepType, r.step_ids[name])
    assert st is not None
    if len(note) > 10_000:
        raise InvalidInput("--note is longer than 10,000 characters")
    if st.kind == "email":
        if not c.person.email:
            raise InvalidState(f"contact {contact!r} has no e-mail address: e-mail step "
                               f"{name!r} cannot be sent")
        if c.person.opted_out:
            raise InvalidState(f"contact {contact!r} ({c.person.email}) opted out of e-mail "
                               f"(afgemeld): e-mail step {name!r} is direct marketing and is "
                               "not sent")
    if st.kind == "appointment":
        start = agenda.check_start(start, now)
        minutes = agenda.check_minutes(minutes if minutes is not None else st.minutes)
    elif start is not None or minutes is not None or place:
        raise InvalidInput(f"--start, --minutes and --place go with an appointment step, "
                           f"not with {st.kind} step {name!r}")
    user = session.get(User, actor.id)
    assert user is not None
    assert c.row.id is not None and st.id is not None and user.id is not None
    assert c.person.id is not None
    taken = StepTaken(contact_id=c.row.id, step_type_id=st.id, user_id=actor.id, at=now,
                      note=note)
    session.add(taken)
    session.flush()
    session.execute(update(ProjectContact).where(col(ProjectContact.id) == c.row.id).values(
        last_step_type_id=st.id, last_step_by=actor.id, last_step_at=now))
    became_prospect = bool(session.execute(update(Relation).where(
        col(Relation.id) == c.relation.id, col(Relation.stage) == "suspect")
        .values(stage="prospect", updated_at=now)).rowcount)  # type: ignore[attr-defined]
    record(session, kind=PROCEDURE_STEP, at=now, relation_id=c.relation.id,
           person_id=c.person.id, user_id=actor.id, project_id=p.id, contact_id=c.row.id,
           step=name, step_kind=st.kind, channel=st.channel)
    mails, appointment_id = 0, None
    context = template_context(c, user, p.name)
    if st.kind == "email":
        from quickcrm.mail.compose import address
        from quickcrm.mail.outbox import queue_message

        queue_message(session, kind="procedure_email", ref=f"step:{taken.id}",
                      to=address(context["contact"]["name"], c.person.email),
                      from_=address(user.name, user.email),
                      sender=address(str(settings["mail.sender_name"]),
                                     str(settings["mail.sender"])),
                      subject=" ".join(render(st.subject, context).split()),
                      text=render(st.body, context), now=now)
        mails = 1
    elif st.kind == "appointment":
        assert start is not None and minutes is not None
        title = (" ".join(render(st.subject, context).split()) if st.subject
                 else f"Afspraak {c.relation.company or context['contact']['name']} met "
                      f"{user.name}")
        appt = Appointment(uid=agenda.new_uid(settings), sequence=0, user_id=user.id,
                           person_id=c.person.id, contact_id=c.row.id, step_id=taken.id,
                           title=title[:300], start=start, minutes=minutes,
                           place=place.strip()[:300], created_at=now, updated_at=now)
        session.add(appt)
        session.flush()
        appointment_id = appt.id
        mails = agenda.queue_invitations(session, appt=appt, person=c.person,
                                         relation=c.relation, user=user,
                                         method=agenda.REQUEST, settings=settings, now=now)
    session.commit()
    return {"project": p.name, "step_id": taken.id, "contact_id": c.row.id,
            "person_id": c.person.id, "relation": c.relation.number, "step": name,
            "kind": st.kind, "after": last, "became_prospect": became_prospect,
            "mails": mails, "appointment_id": appointment_id}
