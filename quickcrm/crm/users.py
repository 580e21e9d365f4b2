"""Users, their teams and firm-wide rights, and who is acting."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import update as sa_update
from sqlmodel import Session, SQLModel, col, select

from quickcrm import permissions
from quickcrm.crm.photos import Photo
from quickcrm.crm.staff import find_acting, mapping, normalize_email
from quickcrm.errors import InvalidInput, InvalidState, NotFound
from quickcrm.events import (
    RELATION_REASSIGNED,
    USER_ACTIVATED,
    USER_CREATED,
    USER_DEACTIVATED,
    USER_RIGHTS_GRANTED,
    USER_RIGHTS_REVOKED,
    USER_UPDATED,
    Entry,
    record,
    record_many,
)
from quickcrm.permissions import Actor
from quickcrm.settings import Settings
from quickcrm.store.models import Relation, Team, User, UserPhoto, UserRight

EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")


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
    os_user: str | None = None  # the operating-system account mapped to them (issue 29)


def rights_of(session: Session, user_id: int) -> frozenset[str]:
    """A user's firm-wide rights."""
    rows = session.exec(select(UserRight.right).where(UserRight.user_id == user_id)).all()
    return frozenset(rows)


def resolve_actor(
    *, session: Session, email: str | None, settings: Settings, now: datetime,
    account: str | None = None,
) -> Actor:
    """The user named by ``--as``; the configured administrator (created on first
    use) when none is named; once users are mapped to operating-system accounts, the
    one mapped to ``account`` (``staff.choose_acting``). An unknown user is refused."""
    found = find_acting(conn=session.connection(), email=email, settings=settings,
                        account=account)
    return found.actor or create_admin(session=session, settings=settings, now=now)


def create_admin(*, session: Session, settings: Settings, now: datetime) -> Actor:
    """The configured administrator on first use (``staff.find_acting`` found no user
    with their address). Two processes starting together (two daemons, cron beside a
    shell) may both find no user: the second one's INSERT then violates the unique
    e-mail, so it takes the user the first one committed instead of failing its first
    job."""
    from sqlalchemy.exc import IntegrityError

    email = settings.admin_email
    first, _, last = str(settings["admin.name"]).partition(" ")
    user = User(email=email, first_name=first, last_name=last, created_at=now)
    try:
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(UserRight(user_id=user.id, right=permissions.ADMIN))
        record(session, kind=USER_CREATED, at=now, user_id=user.id, email=email, rights=["admin"])
        session.commit()
    except IntegrityError:
        session.rollback()
        theirs = find_acting(conn=session.connection(), email=email, settings=settings,
                             account=None).actor
        if theirs is None:
            raise
        return theirs
    return Actor(id=user.id, email=user.email, name=user.name,
                 rights=frozenset({permissions.ADMIN}))


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
    rights = sorted(rights_of(session, user.id), key=permissions.RIGHTS.index)
    photo = session.exec(select(UserPhoto.user_id).where(UserPhoto.user_id == user.id)).first()
    return UserPublic(email=user.email, name=user.name, first_name=user.first_name,
                      last_name=user.last_name, initials=user.initials,
                      signature=user.signature, function=user.function, phone=user.phone,
                      photo=photo is not None, team=team.name if team else None,
                      rights=rights, active=user.active, os_user=user.os_user)


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
    os_user: str | None = None,
    account: str | None = None,
) -> UserPublic:
    """Add a user; ``os_user`` maps an operating-system account to them, refused when it
    would leave the running ``account`` unmapped (``check_not_locked_out``)."""
    permissions.require(actor, "manage users")
    email = check_email(email)
    os_account = _os_user(session, os_user, None) if os_user else None
    function, phone = _checked("function", function), _checked("phone", phone)
    granted = [permissions.parse_right(r) for r in rights or []]
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise InvalidState(f"user {email!r} already exists")
    if not initials:
        initials = initials_of(first_name, last_name)
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(),
                initials=initials, signature=signature, function=function, phone=phone,
                created_at=now, os_user=os_account,
                team_id=get_or_create_team(session, team).id if team else None)
    session.add(user)
    session.flush()
    assert user.id is not None
    for right in dict.fromkeys(granted):
        session.add(UserRight(user_id=user.id, right=right))
    if os_account:
        record(session, kind=USER_CREATED, at=now, user_id=actor.id, email=email,
               rights=granted, os_user=os_account)
        check_not_locked_out(session, account)
    else:
        record(session, kind=USER_CREATED, at=now, user_id=actor.id, email=email,
               rights=granted)
    session.commit()
    return to_public(session, user)


_ACCOUNT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


def _os_user(session: Session, name: str, user_id: int | None) -> str:
    """An operating-system account name as mapped (``--os-user``): well-formed and not
    mapped to another user yet."""
    name = name.strip()
    if not _ACCOUNT.match(name):
        raise InvalidInput(f"--os-user: {name!r} is not an account name (letters, digits, "
                           "_ . -; at most 64)")
    other = session.exec(select(User).where(User.os_user == name)).first()
    if other is not None and other.id != user_id:
        raise InvalidState(f"the operating-system account {name!r} is already mapped to "
                           f"{other.email}")
    return name


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
    os_user: str | None = None  # "" takes the mapping away (issue 29)


def edit_user(*, session: Session, actor: Actor, now: datetime, email: str,
              edit: UserEdit, account: str | None = None) -> UserPublic:
    """Change a user's name, initials, signature, function, phone, photo or team
    (``user edit``): an administrator for anyone; a user for themself, except the team,
    which decides whose clients they are. Initials that were made from the old name
    follow a new name unless given. Records one ``user.updated`` with what changed."""
    user = get_user(session=session, email=email)
    assert user.id is not None
    permissions.require(actor, "manage users",
                        None if edit.team is not None or edit.os_user is not None else
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
    if edit.os_user is not None:
        mapped = _os_user(session, edit.os_user, user.id) if edit.os_user.strip() else None
        if mapped != user.os_user:
            changes["os_user"] = [user.os_user, mapped]
            user.os_user = mapped
            session.add(user)
            check_not_locked_out(session, account)
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


def check_not_locked_out(session: Session, account: str | None) -> None:
    """Refuse a change of the mappings that would leave the account running it unmapped
    while others are mapped: from then on it could do nothing, not even undo this."""
    if account is None:
        return
    session.flush()
    any_mapping, mine = mapping(session.connection(), account)
    if any_mapping and mine is None:
        raise InvalidState(
            f"this would leave your own operating-system account {account!r} mapped to no "
            f"user, and unable to act; map it first: quickcrm user edit YOUR-EMAIL "
            f"--os-user {account}")


@dataclass(frozen=True)
class Deactivated:
    """What ``user deactivate`` did."""

    user: UserPublic
    changed: bool  # False: the user was deactivated already
    reassigned_to: str | None
    relations: int  # relations moved to ``reassigned_to``
    unsent: int = 0  # rows ``also`` moved (a campaign's clients not invited yet)
    signals: int = 0  # open signals (the work queue) moved to ``reassigned_to``


def _active_admins(session: Session) -> int:
    return len(session.exec(
        select(UserRight.user_id).join(User, col(User.id) == col(UserRight.user_id))
        .where(UserRight.right == permissions.ADMIN, col(User.active).is_(True))).all())


def deactivate_user(*, session: Session, actor: Actor, now: datetime, email: str,
                    reassign_to: str | None = None,
                    also: Callable[[Session, int, int], int] | None = None) -> Deactivated:
    """A departed user (``user deactivate``): kept, and still named wherever they acted,
    but refused as acting user; never the last active administrator. ``reassign_to``:
    their relations (``relation.rm_id``) and open signals move to that active
    relationship manager in the same transaction, one ``relation.reassigned`` each, and ``also(session, old_id,
    new_id)`` moves what later areas hold of theirs (the entry point wires it; it returns
    how many rows it moved). Deactivating again only moves what is still theirs."""
    permissions.require(actor, "manage users")
    user = get_user(session=session, email=email)
    assert user.id is not None
    target = None
    if reassign_to is not None:
        target = get_user(session=session, email=reassign_to)
        assert target.id is not None
        if target.id == user.id:
            raise InvalidInput("--reassign-to: give another user than the one deactivated")
        if not target.active:
            raise InvalidState(f"--reassign-to: user {target.email} is deactivated")
        if permissions.RM not in rights_of(session, target.id):
            raise InvalidInput(f"--reassign-to: {target.email} is not a relationship manager "
                               f"(quickcrm user grant {target.email} rm)")
    changed = user.active
    if changed:
        if permissions.ADMIN in rights_of(session, user.id) and _active_admins(session) <= 1:
            raise InvalidState(f"{user.email} is the last active admin; grant admin to "
                               "another user first")
        user.active = False
        session.add(user)
    moved: list[int] = []
    if target is not None:
        moved = list(session.exec(select(Relation.id).where(Relation.rm_id == user.id)
                                  .order_by(col(Relation.id))).all())  # type: ignore[arg-type]
        if moved:
            session.execute(sa_update(Relation).where(col(Relation.rm_id) == user.id)
                            .values(rm_id=target.id, updated_at=now))
            details = {"changes": {"rm_id": [user.id, target.id]}, "from": user.email,
                       "to": target.email}
            record_many(session, [Entry(RELATION_REASSIGNED, relation_id=rid, user_id=actor.id,
                                        details=details) for rid in moved], at=now)
    signals = others = 0
    if target is not None and target.id is not None:
        from quickcrm.crm.models import Signal

        signals = int(session.execute(  # type: ignore[attr-defined]
            sa_update(Signal).where(col(Signal.user_id) == user.id, col(Signal.done_at).is_(None))
            .values(user_id=target.id)).rowcount or 0)
        others = also(session, user.id, target.id) if also is not None else 0
    if changed or moved or signals or others:
        record(session, kind=USER_DEACTIVATED, at=now, user_id=actor.id, email=user.email,
               reassigned_to=target.email if target else None, relations=len(moved),
               signals=signals, **({"unsent_campaign_clients": others} if also is not None
                                   else {}))
    session.commit()
    return Deactivated(user=to_public(session, user), changed=changed,
                       reassigned_to=target.email if target else None, relations=len(moved),
                       unsent=others, signals=signals)


def activate_user(*, session: Session, actor: Actor, now: datetime, email: str) -> UserPublic:
    """Make a deactivated user active again (``user activate``); their relations stay
    where ``--reassign-to`` moved them. Activating an active user changes nothing."""
    permissions.require(actor, "manage users")
    user = get_user(session=session, email=email)
    if not user.active:
        user.active = True
        session.add(user)
        record(session, kind=USER_ACTIVATED, at=now, user_id=actor.id, email=user.email)
        session.commit()
    return to_public(session, user)
