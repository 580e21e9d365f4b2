"""Users, their teams and firm-wide rights, and who is acting."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from quickcrm import permissions
from quickcrm.crm.photos import Photo
from quickcrm.errors import (
    InactiveUser,
    InvalidInput,
    InvalidState,
    NotFound,
    UnknownUser,
    unknown_value,
)
from quickcrm.events import (
    USER_CREATED,
    USER_RIGHTS_GRANTED,
    USER_RIGHTS_REVOKED,
    USER_UPDATED,
    record,
)
from quickcrm.permissions import Actor
from quickcrm.settings import Settings
from quickcrm.store.models import Team, User, UserPhoto, UserRight

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
    function: str
    phone: str
    photo: bool  # a photo is stored (``user_photo``)
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
        record(session, kind=USER_CREATED, at=now, user_id=user.id, email=wanted, rights=["admin"])
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
    photo = session.exec(select(UserPhoto.user_id).where(UserPhoto.user_id == user.id)).first()
    return UserPublic(email=user.email, name=user.name, first_name=user.first_name,
                      last_name=user.last_name, initials=user.initials,
                      signature=user.signature, function=user.function, phone=user.phone,
                      photo=photo is not None, team=team.name if team else None,
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
    function: str = "",
    phone: str = "",
    team: str | None = None,
    rights: list[str] | None = None,
) -> UserPublic:
    permissions.require(actor, "manage users")
    email = check_email(email)
    function, phone = _checked("function", function), _checked("phone", phone)
    granted = [permissions.parse_right(r) for r in rights or []]
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise InvalidState(f"user {email!r} already exists")
    if not initials:
        initials = initials_of(first_name, last_name)
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(),
                initials=initials, signature=signature, function=function, phone=phone,
                created_at=now,
                team_id=get_or_create_team(session, team).id if team else None)
    session.add(user)
    session.flush()
    assert user.id is not None
    for right in dict.fromkeys(granted):
        session.add(UserRight(user_id=user.id, right=right))
    record(session, kind=USER_CREATED, at=now, user_id=actor.id, email=email, rights=granted)
    session.commit()
    return to_public(session, user)


def initials_of(first_name: str, last_name: str) -> str:
    """``"J.V."`` for Jan Vries: the initials a new user gets when none are given."""
    return "".join(p.strip()[0].upper() + "." for p in (first_name, last_name) if p.strip())


_LINE = re.compile(r"[\x00-\x1f\x7f]")  # no control characters in a one-line field
_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # newlines and tabs allowed
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,40}$")
LIMITS = {"first_name": 100, "last_name": 150, "initials": 20, "function": 100, "phone": 40}


def _checked(field: str, value: str) -> str:
    """A user's text field as stored: trimmed, one line (the signature: several), no
    control characters (PostgreSQL refuses NUL), within its column's length."""
    value = value.replace("\r\n", "\n").strip()
    if (_TEXT if field == "signature" else _LINE).search(value):
        raise InvalidInput(f"--{field}: control characters are not allowed")
    limit = LIMITS.get(field)
    if limit is not None and len(value) > limit:
        raise InvalidInput(f"--{field}: at most {limit} characters ({len(value)} given)")
    if field == "phone" and value and not _PHONE.match(value):
        raise InvalidInput(f"--phone: {value!r} is not a phone number "
                           "(digits, spaces, + - ( ) . /)")
    return value


class Signer(Protocol):
    """A staff member as an e-mail's signature needs them (a User, a mail's Manager)."""

    @property
    def name(self) -> str: ...
    @property
    def signature(self) -> str: ...
    @property
    def function(self) -> str: ...
    @property
    def phone(self) -> str: ...


def signoff(who: Signer) -> str:
    """How a staff member signs an e-mail to a client (seed 000: "met als ondertekening
    de relatiemanager"): the signature they wrote, when they wrote one; otherwise their
    name, function and phone number, each known one on a line of its own."""
    if who.signature.strip():
        return who.signature.strip()
    phone = f"T {who.phone}" if who.phone else ""
    return "\n".join(p for p in (who.name, who.function, phone) if p)


@dataclass(frozen=True)
class UserEdit:
    """What ``user edit`` changes: None leaves a field as it is; ``team=""`` takes the
    user out of their team; ``photo`` is a checked picture (``crm.photos``), and
    ``remove_photo`` deletes the stored one."""

    first_name: str | None = None
    last_name: str | None = None
    initials: str | None = None
    signature: str | None = None
    function: str | None = None
    phone: str | None = None
    team: str | None = None
    photo: Photo | None = None
    remove_photo: bool = False


def edit_user(*, session: Session, actor: Actor, now: datetime, email: str,
              edit: UserEdit) -> UserPublic:
    """Change a user's name, initials, signature, function, phone, photo or team
    (``user edit``): an administrator for anyone; a user for themself, except the team,
    which decides whose clients they are. Initials that were made from the old name
    follow a new name unless given. Records one ``user.updated`` with what changed."""
    user = get_user(session=session, email=email)
    assert user.id is not None
    permissions.require(actor, "manage users", None if edit.team is not None else
                        permissions.OwnAccount(user.id, what="changing another user"))
    fields = {f: getattr(edit, f) for f in ("first_name", "last_name", "initials",
                                            "signature", "function", "phone")}
    wanted = {f: _checked(f, v) for f, v in fields.items() if v is not None}
    if ("first_name" in wanted or "last_name" in wanted) and "initials" not in wanted \
            and user.initials == initials_of(user.first_name, user.last_name):
        wanted["initials"] = initials_of(wanted.get("first_name", user.first_name),
                                         wanted.get("last_name", user.last_name))
    changes: dict[str, list[object]] = {}
    for field, value in wanted.items():
        if getattr(user, field) != value:
            changes[field] = [getattr(user, field), value]
            setattr(user, field, value)
    if edit.team is not None:
        _move_team(session, user, edit.team, changes)
    _change_photo(session, user.id, edit, now, changes)
    if changes:
        session.add(user)
        record(session, kind=USER_UPDATED, at=now, user_id=actor.id, email=user.email,
               changes=changes)
    session.commit()
    return to_public(session, user)


def _move_team(session: Session, user: User, name: str, changes: dict[str, list[object]]) -> None:
    old = session.get(Team, user.team_id) if user.team_id else None
    new = get_or_create_team(session, name) if name.strip() else None
    if (old.id if old else None) != (new.id if new else None):
        changes["team"] = [old.name if old else None, new.name if new else None]
        user.team_id = new.id if new else None


def _change_photo(session: Session, user_id: int, edit: UserEdit, now: datetime,
                  changes: dict[str, list[object]]) -> None:
    stored = session.get(UserPhoto, user_id)
    was = f"{stored.content_type} {stored.width}x{stored.height}" if stored else None
    if edit.photo is not None:
        p = edit.photo
        if stored is None or stored.data != p.data:
            changes["photo"] = [was, f"{p.content_type} {p.width}x{p.height}"]
            row = stored or UserPhoto(user_id=user_id, content_type=p.content_type,
                                      width=p.width, height=p.height, data=p.data)
            row.content_type, row.width, row.height, row.data = (
                p.content_type, p.width, p.height, p.data)
            row.updated_at = now
            session.add(row)
    elif edit.remove_photo and stored is not None:
        changes["photo"] = [was, None]
        session.delete(stored)


def user_photo(*, session: Session, user_id: int) -> UserPhoto | None:
    """The stored photo of a user (content type, size and the re-encoded bytes), for
    the pages that show the relationship manager; None when there is none."""
    return session.get(UserPhoto, user_id)


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
    record(session, kind=USER_RIGHTS_GRANTED if grant else USER_RIGHTS_REVOKED, at=now,
           user_id=actor.id, email=user.email, rights=parsed)
    session.commit()
    return to_public(session, user)
