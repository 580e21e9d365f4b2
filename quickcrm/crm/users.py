"""Users, their teams and firm-wide rights, and who is acting."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, SQLModel, select

from quickcrm import permissions
from quickcrm.errors import InvalidInput, InvalidState, NotFound, UnknownUser
from quickcrm.events import record
from quickcrm.permissions import Actor
from quickcrm.settings import Settings
from quickcrm.store.models import Team, User, UserRight

EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")


def normalize_email(value: str) -> str:
    return value.strip().lower()


def check_email(value: str) -> str:
    email = normalize_email(value)
    if not EMAIL_RE.match(email):
        raise InvalidInput(f"not a valid e-mail address: {value!r}")
    return email


class UserPublic(SQLModel):
    email: str
    name: str
    first_name: str
    last_name: str
    initials: str
    signature: str
    team: str | None
    rights: list[str]
    active: bool


def _rights(session: Session, user_id: int) -> frozenset[str]:
    rows = session.exec(select(UserRight.right).where(UserRight.user_id == user_id)).all()
    return frozenset(rows)


def resolve_actor(
    *, session: Session, email: str | None, settings: Settings, now: datetime
) -> Actor:
    """The user named by ``--as``; the configured administrator (created on first
    use) when none is named. An unknown user is refused."""
    wanted = normalize_email(email) if email else settings.admin_email
    user = session.exec(select(User).where(User.email == wanted)).first()
    if user is None:
        if wanted != settings.admin_email:
            raise UnknownUser(wanted)
        first, _, last = str(settings["admin.name"]).partition(" ")
        user = User(email=wanted, first_name=first, last_name=last, created_at=now)
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(UserRight(user_id=user.id, right=permissions.ADMIN))
        record(session, kind="user.created", at=now, user_id=user.id, email=wanted, rights=["admin"])
        session.commit()
    elif not user.active:
        raise UnknownUser(wanted)
    assert user.id is not None
    return Actor(id=user.id, email=user.email, name=user.name, rights=_rights(session, user.id))


def get_or_create_team(session: Session, name: str) -> Team:
    name = " ".join(name.split())
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


def get_user(*, session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        raise NotFound(f"unknown user {email!r}")
    return user


def to_public(session: Session, user: User) -> UserPublic:
    assert user.id is not None
    team = session.get(Team, user.team_id) if user.team_id else None
    rights = sorted(_rights(session, user.id), key=permissions.RIGHTS.index)
    return UserPublic(email=user.email, name=user.name, first_name=user.first_name,
                      last_name=user.last_name, initials=user.initials,
                      signature=user.signature, team=team.name if team else None,
                      rights=rights, active=user.active)


def add_user(
    *,
    session: Session,
    actor: Actor,
    now: datetime,
    email: str,
    first_name: str = "",
    last_name: str = "",
    initials: str = "",
    signature: str = "",
    team: str | None = None,
    rights: list[str] | None = None,
) -> UserPublic:
    permissions.require(actor, "manage users")
    email = check_email(email)
    granted = [permissions.parse_right(r) for r in rights or []]
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise InvalidState(f"user {email!r} already exists")
    if not initials:
        initials = "".join(p[0].upper() + "." for p in (first_name, last_name) if p)
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(),
                initials=initials, signature=signature, created_at=now,
                team_id=get_or_create_team(session, team).id if team else None)
    session.add(user)
    session.flush()
    assert user.id is not None
    for right in dict.fromkeys(granted):
        session.add(UserRight(user_id=user.id, right=right))
    record(session, kind="user.created", at=now, user_id=actor.id, email=email, rights=granted)
    session.commit()
    return to_public(session, user)


def list_users(*, session: Session) -> list[UserPublic]:
    users = session.exec(select(User).order_by(User.last_name, User.first_name, User.email)).all()
    return [to_public(session, u) for u in users]


def change_rights(
    *, session: Session, actor: Actor, now: datetime, email: str, rights: list[str], grant: bool
) -> UserPublic:
    """Grant or revoke rights; the last administrator cannot lose the admin right."""
    permissions.require(actor, "manage users")
    parsed = list(dict.fromkeys(permissions.parse_right(r) for r in rights))
    user = get_user(session=session, email=email)
    assert user.id is not None
    current = _rights(session, user.id)
    if grant:
        for right in parsed:
            if right not in current:
                session.add(UserRight(user_id=user.id, right=right))
    else:
        if permissions.ADMIN in parsed and permissions.ADMIN in current:
            admins = session.exec(
                select(UserRight).where(UserRight.right == permissions.ADMIN)
            ).all()
            if len(admins) <= 1:
                raise InvalidState(f"{user.email} is the last admin; grant admin to another user first")
        for right in parsed:
            row = session.get(UserRight, (user.id, right))
            if row is not None:
                session.delete(row)
    record(session, kind="user.rights_granted" if grant else "user.rights_revoked", at=now,
           user_id=actor.id, email=user.email, rights=parsed)
    session.commit()
    return to_public(session, user)
