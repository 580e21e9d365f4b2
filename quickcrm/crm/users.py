"""Users, their teams and firm-wide rights, and who is acting."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from quickcrm import permissions
from quickcrm.errors import (
    InactiveUser,
    InvalidInput,
    InvalidState,
    NotFound,
    UnknownUser,
    unknown_value,
)
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


def rights_of(session: Session, user_id: int) -> frozenset[str]:
    """A user's firm-wide rights."""
    rows = session.exec(select(UserRight.right).where(UserRight.user_id == user_id)).all()
    return frozenset(rows)


def _wanted(email: str | None, settings: Settings) -> str:
    return normalize_email(email) if email else settings.admin_email


def check_acting_user(
    *, conn: Connection | None, email: str | None, settings: Settings
) -> Actor:
    """The acting user, refused (UnknownUser) when unknown or deactivated.

    Runs before a command does anything, on a connection that neither creates nor
    migrates (``None``: no database yet), so it reads only columns that exist since the
    first migration. A database without users yet knows only the configured
    administrator, who is created on first use by ``resolve_actor`` (until then their
    ``id`` is 0)."""
    wanted = _wanted(email, settings)
    has_users = conn is not None and sa_inspect(conn).has_table(User.__tablename__)
    row = None
    if conn is not None and has_users:
        row = conn.execute(sa_select(col(User.id), col(User.active), col(User.first_name),
                                     col(User.last_name))
                           .where(col(User.email) == wanted)).first()
    if row is None:
        if wanted != settings.admin_email:
            if not has_users:
                raise UnknownUser(wanted, f"the database has no users yet; only the "
                                          f"administrator {settings.admin_email} is known")
            raise UnknownUser(wanted)
        return Actor(id=0, email=wanted, name=str(settings["admin.name"]),
                     rights=frozenset({permissions.ADMIN}))
    if not row.active:
        raise InactiveUser(wanted)
    assert conn is not None
    rights = conn.execute(sa_select(col(UserRight.right)).where(col(UserRight.user_id) == row.id))
    name = " ".join(p for p in (row.first_name, row.last_name) if p) or wanted
    return Actor(id=row.id, email=wanted, name=name, rights=frozenset(rights.scalars()))


def resolve_actor(
    *, session: Session, email: str | None, settings: Settings, now: datetime
) -> Actor:
    """The user named by ``--as``; the configured administrator (created on first
    use) when none is named. An unknown user is refused."""
    wanted = _wanted(email, settings)
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
        raise InactiveUser(wanted)
    assert user.id is not None
    return Actor(id=user.id, email=user.email, name=user.name, rights=rights_of(session, user.id))


def get_or_create_team(session: Session, name: str) -> Team:
    name = " ".join(name.split())
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


def team_ids(session: Session, names: list[str] | tuple[str, ...]) -> list[int]:
    """The ids of the teams named (case and runs of spaces do not matter); an unknown
    name is an error listing the known teams."""
    teams = {t.name.lower(): t.id for t in session.exec(select(Team))}
    found = []
    for name in names:
        team_id = teams.get(" ".join(name.split()).lower())
        if team_id is None:
            known = sorted(session.exec(select(Team.name)).all())
            raise unknown_value("team", name, known)
        found.append(team_id)
    return found


def rm_ids(session: Session, emails: list[str] | tuple[str, ...]) -> list[int]:
    """The ids of the relationship managers named by e-mail; an unknown one is an error
    listing the relationship managers."""
    found = []
    for email in emails:
        user = session.exec(select(User).where(User.email == normalize_email(email))).first()
        if user is None:
            managers = select(User.email).join(UserRight, col(UserRight.user_id) == User.id)
            known = sorted(session.exec(managers.where(UserRight.right == permissions.RM)).all())
            raise unknown_value("relationship manager", email, known)
        assert user.id is not None
        found.append(user.id)
    return found


def get_user(*, session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == normalize_email(email))).first()
    if user is None:
        raise NotFound(f"unknown user {email!r}")
    return user


def to_public(session: Session, user: User) -> UserPublic:
    assert user.id is not None
    team = session.get(Team, user.team_id) if user.team_id else None
    rights = sorted(rights_of(session, user.id), key=permissions.RIGHTS.index)
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
    current = rights_of(session, user.id)
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
