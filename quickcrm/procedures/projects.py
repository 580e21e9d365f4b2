"""Projects: create, members with their one role, list and show (the funnel), release
preparing contacts, close, and a contact's prospect status.

Who sees a project: every user with a firm-wide right, and its members. A user who
holds no firm-wide right (the principal's own people, role opdrachtgever) sees only the
projects they are a member of, in every command; another project is "unknown" to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from quickcrm import permissions
from quickcrm.errors import InvalidInput, InvalidState, NotFound, unknown_value
from quickcrm.events import (
    PROJECT_CLOSED,
    PROJECT_CONTACT_STATUS,
    PROJECT_CREATED,
    PROJECT_MEMBER_ADDED,
    record,
)
from quickcrm.permissions import Actor
from quickcrm.procedures.models import (
    CANCELLED,
    CLOSED,
    PREPARING,
    RUNNING,
    STATUSES,
    Appointment,
    CloseReason,
    Procedure,
    Project,
    ProjectContact,
    ProjectMember,
    ProjectRole,
)
from quickcrm.procedures.setup import _name, get_procedure, get_reason, get_role
from quickcrm.store.models import Person, Relation, User


def sees_all(actor: Actor) -> bool:
    """A user with any firm-wide right sees every project; one without sees only the
    projects they are a member of."""
    return bool(actor.rights)


def role_in(session: Session, project_id: int, user_id: int) -> str | None:
    return session.execute(
        select(col(ProjectRole.name)).join(ProjectMember,
                                           col(ProjectMember.role_id) == ProjectRole.id)
        .where(col(ProjectMember.project_id) == project_id,
               col(ProjectMember.user_id) == user_id)).scalar()


def _visible_names(session: Session, actor: Actor) -> list[str]:
    query = select(col(Project.name)).order_by(col(Project.name))
    if not sees_all(actor):
        query = query.join(ProjectMember, col(ProjectMember.project_id) == Project.id).where(
            col(ProjectMember.user_id) == actor.id)
    return list(session.execute(query).scalars())


def get_project(session: Session, actor: Actor, name: str) -> Project:
    """The project called ``name`` as ``actor`` may see it (unknown otherwise)."""
    project = session.execute(select(Project).where(
        func.lower(col(Project.name)) == " ".join(name.split()).lower())).scalars().first()
    if project is not None and project.id is not None and (
            sees_all(actor) or role_in(session, project.id, actor.id) is not None):
        return project
    raise unknown_value("project", name, _visible_names(session, actor))


def create_project(*, session: Session, actor: Actor, now: datetime, name: str,
                   procedure: str, principal: str | None = None) -> dict[str, Any]:
    """``project create``: a project working its contacts through ``procedure``, for the
    opdrachtgever ``principal`` (a relation number) when given."""
    permissions.require(actor, "manage projects")
    name = _name(name, "project", 200)
    proc = get_procedure(session, procedure)
    principal_id = None
    if principal:
        principal_id = session.execute(select(col(Relation.id)).where(
            col(Relation.number) == principal.strip())).scalar()
        if principal_id is None:
            raise NotFound(f"unknown relation number {principal!r} (--principal)")
    if session.execute(select(col(Project.id)).where(
            func.lower(col(Project.name)) == name.lower())).first() is not None:
        raise InvalidState(f"project {name!r} already exists")
    assert proc.id is not None
    project = Project(name=name, procedure_id=proc.id, principal_relation_id=principal_id,
                      created_by=actor.id or None, created_at=now)
    session.add(project)
    session.flush()
    record(session, kind=PROJECT_CREATED, at=now, user_id=actor.id, project_id=project.id,
           project=name, procedure=proc.name, principal=principal.strip() if principal else None)
    session.commit()
    return describe(session, project)


def add_member(*, session: Session, actor: Actor, now: datetime, project: str, email: str,
               role: str) -> dict[str, Any]:
    """``project member add``: a user takes one role in the project (a second role in
    the same project is refused)."""
    permissions.require(actor, "manage projects")
    p = get_project(session, actor, project)
    the_role = get_role(session, role)
    user = session.execute(select(User).where(
        col(User.email) == email.strip().lower())).scalars().first()
    if user is None or user.id is None:
        raise NotFound(f"unknown user {email!r}")
    assert p.id is not None
    had = role_in(session, p.id, user.id)
    if had is not None:
        raise InvalidState(f"{user.email} already has role {had!r} in project {p.name!r} "
                           "(one role per project)")
    assert the_role.id is not None
    session.add(ProjectMember(project_id=p.id, user_id=user.id, role_id=the_role.id))
    record(session, kind=PROJECT_MEMBER_ADDED, at=now, user_id=actor.id, project_id=p.id,
           member=user.email, role=the_role.name)
    session.commit()
    return {"project": p.name, "member": user.email, "role": the_role.name}


def members(session: Session, project_id: int) -> list[dict[str, str]]:
    return [{"email": e, "name": " ".join(x for x in (f, la) if x) or e, "role": r}
            for e, f, la, r in session.execute(
                select(col(User.email), col(User.first_name), col(User.last_name),
                       col(ProjectRole.name))
                .join(ProjectMember, col(ProjectMember.user_id) == User.id)
                .join(ProjectRole, col(ProjectRole.id) == ProjectMember.role_id)
                .where(col(ProjectMember.project_id) == project_id)
                .order_by(col(ProjectRole.name), col(User.email)))]


def funnel(session: Session, project_id: int) -> dict[str, Any]:
    """Suspects (running, no step yet), prospects (running, a step taken), preparing,
    appointments (planned), closed by reason."""
    counts = dict.fromkeys(("preparing", "suspects", "prospects", "closed"), 0)
    for status, stepped, n in session.execute(
            select(col(ProjectContact.status), col(ProjectContact.last_step_type_id).is_not(None),
                   func.count()).where(col(ProjectContact.project_id) == project_id)
            .group_by(col(ProjectContact.status),
                      col(ProjectContact.last_step_type_id).is_not(None))):
        key = {PREPARING: "preparing", CLOSED: "closed"}.get(
            status, "prospects" if stepped else "suspects")
        counts[key] += int(n)
    closed = {str(r or "(geen reden)"): int(n) for r, n in session.execute(
        select(col(CloseReason.name), func.count()).select_from(ProjectContact)
        .outerjoin(CloseReason, col(CloseReason.id) == ProjectContact.close_reason_id)
        .where(col(ProjectContact.project_id) == project_id,
               col(ProjectContact.status) == CLOSED)
        .group_by(col(CloseReason.name)).order_by(col(CloseReason.name)))}
    appointments = session.execute(
        select(func.count()).select_from(Appointment)
        .join(ProjectContact, col(ProjectContact.id) == Appointment.contact_id)
        .where(col(ProjectContact.project_id) == project_id,
               col(Appointment.status) != CANCELLED)).scalar_one()
    return {**counts, "appointments": int(appointments), "closed_by_reason": closed}


def describe(session: Session, project: Project) -> dict[str, Any]:
    assert project.id is not None
    proc = session.get(Procedure, project.procedure_id)
    principal = (session.get(Relation, project.principal_relation_id)
                 if project.principal_relation_id else None)
    return {"name": project.name, "procedure": proc.name if proc else None,
            "principal": ({"number": principal.number, "company": principal.company}
                          if principal else None),
            "status": "closed" if project.closed_at else "open",
            "created_at": project.created_at, "closed_at": project.closed_at}


def list_projects(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    out = []
    for name in _visible_names(session, actor):
        p = get_project(session, actor, name)
        assert p.id is not None
        out.append({**describe(session, p), "contacts": funnel(session, p.id),
                    "role": role_in(session, p.id, actor.id)})
    return out


def show_project(*, session: Session, actor: Actor, project: str) -> dict[str, Any]:
    p = get_project(session, actor, project)
    assert p.id is not None
    return {**describe(session, p), "members": members(session, p.id),
            "funnel": funnel(session, p.id), "role": role_in(session, p.id, actor.id)}


def close_project(*, session: Session, actor: Actor, now: datetime,
                  project: str) -> dict[str, Any]:
    """``project close``: no step is taken in it any more."""
    permissions.require(actor, "manage projects")
    p = get_project(session, actor, project)
    if p.closed_at is not None:
        raise InvalidState(f"project {p.name!r} is closed already")
    p.closed_at = now
    record(session, kind=PROJECT_CLOSED, at=now, user_id=actor.id, project_id=p.id)
    session.commit()
    return describe(session, p)


def release(*, session: Session, actor: Actor, now: datetime, project: str) -> dict[str, Any]:
    """``project release --all``: every preparing contact becomes running (visible to
    the marketeers)."""
    from quickcrm.events import Entry, record_many

    permissions.require(actor, "manage projects")
    p = get_project(session, actor, project)
    rows = session.execute(select(col(ProjectContact.id), col(ProjectContact.relation_id),
                                  col(ProjectContact.person_id))
                           .where(col(ProjectContact.project_id) == p.id,
                                  col(ProjectContact.status) == PREPARING)).all()
    session.execute(update(ProjectContact).where(
        col(ProjectContact.project_id) == p.id, col(ProjectContact.status) == PREPARING)
        .values(status=RUNNING))
    record_many(session, [Entry(PROJECT_CONTACT_STATUS, rid, pid, actor.id,
                                {"project_id": p.id, "contact_id": cid, "from": PREPARING,
                                 "to": RUNNING, "reason": None,
                                 "changes": {"status": [PREPARING, RUNNING]}})
                          for cid, rid, pid in rows],
                at=now)
    session.commit()
    return {"project": p.name, "released": len(rows)}


@dataclass
class Contact:
    """A project's contact, resolved: its row, person and relation."""

    row: ProjectContact
    person: Person
    relation: Relation


def find_contact(session: Session, project: Project, ref: str) -> Contact:
    """CONTACT as a user names it: a relation number with one contact in the project,
    a person id, or an e-mail address."""
    ref = ref.strip()
    base = (select(ProjectContact, Person, Relation)
            .join(Person, col(Person.id) == ProjectContact.person_id)
            .join(Relation, col(Relation.id) == ProjectContact.relation_id)
            .where(col(ProjectContact.project_id) == project.id))
    if "@" in ref:
        found = session.execute(base.where(func.lower(col(Person.email)) == ref.lower())).all()
    else:
        found = session.execute(base.where(col(Relation.number) == ref)).all()
        if not found and ref.isdigit():
            found = session.execute(base.where(col(Person.id) == int(ref))).all()
    if not found:
        raise NotFound(f"unknown contact {ref!r} in project {project.name!r} (give a person "
                       "id, an e-mail address or a relation number)")
    if len(found) > 1:
        ids = ", ".join(str(p.id) for _, p, _ in found)
        raise InvalidInput(f"{ref!r} has {len(found)} contacts in project {project.name!r}: "
                           f"give the person id ({ids}) or the e-mail address")
    row, person, relation = found[0]
    return Contact(row=row, person=person, relation=relation)


def set_status(*, session: Session, actor: Actor, now: datetime, project: str, contact: str,
               status: str, reason: str | None = None) -> dict[str, Any]:
    """``procedure status``: a member closes a running contact (with a reason) or
    reopens a closed one; preparing -> running (and back) needs ``manage projects``."""
    p = get_project(session, actor, project)
    assert p.id is not None
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r} (expected one of: "
                           f"{', '.join(STATUSES)})")
    c = find_contact(session, p, contact)
    was = c.row.status
    member = role_in(session, p.id, actor.id) is not None
    if PREPARING in (was, status):
        permissions.require(actor, "manage projects")
    elif not member:
        permissions.require(actor, "manage projects")
    if reason is not None and status != CLOSED:
        raise InvalidInput("--reason goes with status closed")
    the_reason = get_reason(session, reason) if reason is not None else None
    if was == status and (status != CLOSED or the_reason is None):
        raise InvalidState(f"contact {contact!r} is {status} already")
    old_reason = (session.get(CloseReason, c.row.close_reason_id)
                  if c.row.close_reason_id is not None else None)
    c.row.status = status
    c.row.close_reason_id = the_reason.id if the_reason is not None else None
    # the audit trail (issue 29): what changed as [old, new]
    changes: dict[str, list[Any]] = {}
    if was != status:
        changes["status"] = [was, status]
    new_reason = the_reason.name if the_reason else None
    if (old_reason.name if old_reason else None) != new_reason:
        changes["reason"] = [old_reason.name if old_reason else None, new_reason]
    record(session, kind=PROJECT_CONTACT_STATUS, at=now, relation_id=c.relation.id,
           person_id=c.person.id, user_id=actor.id, project_id=p.id, contact_id=c.row.id,
           changes=changes,
           **{"from": was, "to": status, "reason": new_reason})
    session.commit()
    return {"project": p.name, "contact": c.row.id, "person": c.person.id,
            "relation": c.relation.number, "from": was, "status": status,
            "reason": the_reason.name if the_reason else None}
