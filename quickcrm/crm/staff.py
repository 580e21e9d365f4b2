"""Who acts, and the team and relationship-manager lookups of the client filters, in
SQLAlchemy Core alone (``quickcrm.store.tables``): no ORM, no models, so that a small
read command (``clients count``) starts without them (issue 30 item 11, the light read
path in docs/architecture.md). ``crm.users`` builds on this for everything that writes.

Who acts is decided in one place, ``find_acting``: one query on the users table, then
the pure rule ``choose_acting``. The check before a command runs, the acting user of a
runtime and ``users.resolve_actor`` all call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, or_, select
from sqlalchemy import func as sa_func
from sqlalchemy import inspect as sa_inspect

from quickcrm import permissions
from quickcrm.errors import (
    InactiveUser,
    NotPermitted,
    QuickCRMError,
    UnknownUser,
    unknown_value,
)
from quickcrm.permissions import Actor
from quickcrm.settings import Settings
from quickcrm.store.tables import app_user as U
from quickcrm.store.tables import team as T
from quickcrm.store.tables import user_right as UR


def normalize_email(value: str) -> str:
    return value.strip().lower()


def _wanted(email: str | None, settings: Settings) -> str:
    return normalize_email(email) if email else settings.admin_email


@dataclass(frozen=True)
class Acting:
    """Who acts: ``email`` (whose rights apply) and, when an administrator mapped to
    the operating-system account acts as another user (``--as``), ``by``: that
    administrator's e-mail (recorded as ``user.impersonated``)."""

    email: str
    by: str | None = None


class Unmapped(NotPermitted):
    """Users are bound to operating-system accounts, but not the one running this."""

    def __init__(self, account: str) -> None:
        QuickCRMError.__init__(
            self, f"not permitted: the operating-system account {account!r} is mapped to "
                  f"no QuickCRM user; an administrator maps it: quickcrm user edit EMAIL "
                  f"--os-user {account}")
        self.what = "acting"
        self.needs = "a mapped account"


@dataclass(frozen=True)
class Mapped:
    """The user mapped to the running account, as the acting-user rule needs them."""

    email: str
    active: bool
    admin: bool


def choose_acting(*, asked: str | None, account: str | None, any_mapping: bool,
                  mine: Mapped | None, settings: Settings) -> Acting:
    """Who acts (issue 29, pure). Until any user is mapped to an operating-system
    account nothing changes: ``--as`` (or QUICKCRM_USER), else the configured
    administrator. Once one is: the user mapped to the running ``account``; acting as
    another is for an administrator only; an unmapped account is refused."""
    if not any_mapping or account is None:
        return Acting(_wanted(asked, settings))
    if mine is None:
        raise Unmapped(account)
    if not mine.active:
        raise InactiveUser(mine.email)
    wanted = normalize_email(asked) if asked else mine.email
    if wanted == mine.email:
        return Acting(mine.email)
    if not mine.admin:
        raise NotPermitted(f"acting as {wanted} (the account {account} is {mine.email})",
                           permissions.ADMIN)
    return Acting(wanted, by=mine.email)


@dataclass
class _User:
    id: int
    email: str
    name: str
    active: bool
    os_user: str | None
    rights: set[str] = field(default_factory=set)

    def actor(self) -> Actor:
        return Actor(id=self.id, email=self.email, name=self.name,
                     rights=frozenset(self.rights))


@dataclass(frozen=True)
class _Known:
    """What one query read of the users who may be acting."""

    users: dict[str, _User]  # by e-mail
    any_mapping: bool
    has_users: bool  # False: no users table yet (no database, or an empty one)

    def mine(self, account: str | None) -> Mapped | None:
        user = next((u for u in self.users.values()
                     if account is not None and u.os_user == account), None)
        if user is None:
            return None
        return Mapped(email=user.email, active=user.active,
                      admin=permissions.ADMIN in user.rights)


def _known(conn: Connection | None, emails: set[str], account: str | None,
           migrated: bool) -> _Known:
    """In one query: the users with one of ``emails``, the one mapped to ``account``
    and, when any user is mapped to an account, one such user (so that an account
    mapped to no one is told apart from a database without mappings), each with their
    firm-wide rights. ``migrated``: the schema is at head; otherwise (checked before
    migrating) the users table and its ``os_user`` column may not exist yet."""
    mapping = True
    if conn is None:
        return _Known({}, any_mapping=False, has_users=False)
    if not migrated:
        inspector = sa_inspect(conn)
        if not inspector.has_table("app_user"):
            return _Known({}, any_mapping=False, has_users=False)
        mapping = "os_user" in {c["name"] for c in inspector.get_columns("app_user")}
    cond: list[Any] = [U.c.email.in_(sorted(emails))]
    if mapping:
        if account is not None:
            cond.append(U.c.os_user == account)
        mapped = U.alias("mapped")
        cond.append(U.c.id == select(sa_func.min(mapped.c.id))
                    .where(mapped.c.os_user.is_not(None)).scalar_subquery())
    os_user = U.c.os_user if mapping else None
    query = (select(U.c.id, U.c.email, U.c.first_name, U.c.last_name, U.c.active,
                    *([os_user] if os_user is not None else []), UR.c.right)
             .select_from(U.outerjoin(UR, UR.c.user_id == U.c.id)).where(or_(*cond)))
    users: dict[str, _User] = {}
    for row in conn.execute(query):
        user = users.get(row.email)
        if user is None:
            name = " ".join(p for p in (row.first_name, row.last_name) if p) or row.email
            user = users[row.email] = _User(
                id=row.id, email=row.email, name=name, active=bool(row.active),
                os_user=row.os_user if mapping else None)
        if row.right is not None:
            user.rights.add(row.right)
    any_mapping = any(u.os_user is not None for u in users.values())
    return _Known(users, any_mapping=any_mapping, has_users=True)


@dataclass(frozen=True)
class Found:
    """Who acts, as ``find_acting`` read it: ``actor`` (None: the configured
    administrator, who is not created yet: ``users.create_admin``) and ``by``, the
    administrator acting as them (``--as``, once users are mapped to accounts)."""

    email: str
    actor: Actor | None
    by: Actor | None = None


def find_acting(*, conn: Connection | None, email: str | None, settings: Settings,
                account: str | None, migrated: bool = True) -> Found:
    """The acting user for ``--as email`` run by the operating-system ``account``
    (``choose_acting``), in one query on ``conn`` (None: no database yet); refused
    when unknown (UnknownUser) or deactivated (InactiveUser). ``migrated=False``:
    checked before the database is migrated (the users table or its ``os_user``
    column may not be there yet; looked up first)."""
    asked = {normalize_email(email)} if email else set()
    known = _known(conn, {settings.admin_email, *asked}, account, migrated)
    choice = choose_acting(asked=email, account=account, any_mapping=known.any_mapping,
                           mine=known.mine(account), settings=settings)
    user = known.users.get(choice.email)
    by = known.users[choice.by].actor() if choice.by is not None else None
    if user is None:
        if choice.email != settings.admin_email:
            if not known.has_users:
                raise UnknownUser(choice.email, f"the database has no users yet; only the "
                                                f"administrator {settings.admin_email} is known")
            raise UnknownUser(choice.email)
        return Found(choice.email, None, by)
    if not user.active:
        raise InactiveUser(choice.email)
    return Found(choice.email, user.actor(), by)


def admin_to_be(settings: Settings) -> Actor:
    """The configured administrator as the check before a command sees them while they
    are not created yet (id 0): created on first use (``users.create_admin``)."""
    return Actor(id=0, email=settings.admin_email, name=str(settings["admin.name"]),
                 rights=frozenset({permissions.ADMIN}))


def mapping(conn: Connection, account: str | None) -> tuple[bool, Mapped | None]:
    """Whether any user is mapped to an operating-system account, and who is mapped to
    ``account`` (the same query as ``find_acting``)."""
    known = _known(conn, set(), account, migrated=True)
    return known.any_mapping, known.mine(account)


def team_ids(conn: Connection, names: list[str] | tuple[str, ...]) -> list[int]:
    """The ids of the teams named (case and runs of spaces do not matter); an unknown
    name is an error listing the known teams."""
    teams = {name: tid for tid, name in conn.execute(select(T.c.id, T.c.name))}
    by_key = {name.lower(): tid for name, tid in teams.items()}
    found = []
    for name in names:
        team_id = by_key.get(" ".join(name.split()).lower())
        if team_id is None:
            raise unknown_value("team", name, sorted(teams))
        found.append(team_id)
    return found


def rm_ids(conn: Connection, emails: list[str] | tuple[str, ...]) -> list[int]:
    """The ids of the relationship managers named by e-mail; an unknown one is an error
    listing the relationship managers."""
    wanted = [normalize_email(e) for e in emails]
    query = select(U.c.email, U.c.id).where(U.c.email.in_(sorted(set(wanted))))
    ids = {email: uid for email, uid in conn.execute(query)} if wanted else {}
    found = []
    for email, key in zip(emails, wanted, strict=True):
        if key not in ids:
            managers = (select(U.c.email).join(UR, UR.c.user_id == U.c.id)
                        .where(UR.c.right == permissions.RM))
            raise unknown_value("relationship manager", email,
                                sorted(conn.execute(managers).scalars()))
        found.append(ids[key])
    return found
