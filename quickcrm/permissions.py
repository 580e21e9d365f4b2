"""Who may do what: one check, ``require(actor, action, scope=None)``, a pure function
over plain values.

Every service calls ``require`` before it changes anything, so a refused action changes
nothing. Reading is open to every known user unless a service says otherwise.

An action (declared by its area, ``Area.actions``) is allowed by any one of its firm-wide
rights. A *scope* says where the action is taken, as plain values the service has already
read (the client and its relationship manager; later a project contact with the acting
user's role in the project, the last step and the procedure's transitions), and may allow
what the firm-wide rights do not: ``OwnClient`` lets a relationship manager act on their
own clients. A new rule (the procedures' matrix) is a new scope class with a
``permits(actor)``; call sites keep calling ``require``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from quickcrm.errors import InvalidInput, NotPermitted

ADMIN = "admin"
COORDINATOR = "coordinator"
RM = "relationship-manager"
SALES_MONITOR = "sales-monitor"
RIGHTS: tuple[str, ...] = (ADMIN, COORDINATOR, RM, SALES_MONITOR)
_ALIASES = {
    "admin": ADMIN, "administrator": ADMIN, "beheerder": ADMIN,
    "coordinator": COORDINATOR, "coördinator": COORDINATOR,
    "relationship-manager": RM, "relationship_manager": RM, "rm": RM, "relatiemanager": RM,
    "sales-monitor": SALES_MONITOR, "sales_monitor": SALES_MONITOR,
}

# action -> the rights any one of which allows it: the core's own here, every area's
# from its declaration (``Area.actions``), handed over by ``declare`` at bootstrap
ACTIONS: dict[str, frozenset[str]] = {
    "see revenue": frozenset({ADMIN, SALES_MONITOR}),
    "upgrade the database": frozenset({ADMIN}),
}


def declare(actions: dict[str, frozenset[str]]) -> None:
    """Add the areas' actions (``quickcrm.areas.wire`` calls this). Declaring an action
    again with other rights, or naming an unknown right, is a programming error."""
    for action, rights in actions.items():
        unknown = sorted(rights - set(RIGHTS))
        if unknown:
            raise ValueError(f"action {action!r}: unknown rights {unknown}")
        if ACTIONS.setdefault(action, rights) != rights:
            raise ValueError(f"action {action!r} is declared twice with different rights")


@dataclass(frozen=True)
class Actor:
    """The acting user as plain values, for the pure permission checks."""

    id: int
    email: str
    name: str
    rights: frozenset[str]


class Scope(Protocol):
    """Where an action is taken, as plain values; it may allow what the actor's
    firm-wide rights do not. ``what`` and ``needs`` word its refusal
    ("not permitted: <what> needs <needs>"); empty: the action and its rights."""

    @property
    def what(self) -> str: ...

    @property
    def needs(self) -> str: ...

    def permits(self, actor: Actor) -> bool: ...


@dataclass(frozen=True)
class OwnClient:
    """The client's own relationship manager (``relation.rm_id``) may, besides the
    action's firm-wide rights; ``right``: the right that owner must also hold (None: the
    owner needs no right at all)."""

    rm_id: int | None
    what: str = ""
    needs: str = ""
    right: str | None = RM

    def permits(self, actor: Actor) -> bool:
        return (self.rm_id is not None and self.rm_id == actor.id
                and (self.right is None or self.right in actor.rights))


@dataclass(frozen=True)
class OwnAccount:
    """The user themself (``user_id``) may, besides the action's firm-wide rights: a
    relationship manager keeps their own name, signature, function, phone and photo."""

    user_id: int | None
    what: str = ""
    needs: str = ""

    def permits(self, actor: Actor) -> bool:
        return self.user_id is not None and self.user_id == actor.id


def parse_right(name: str) -> str:
    right = _ALIASES.get(name.strip().lower())
    if right is None:
        raise InvalidInput(f"unknown right {name!r} (expected one of: {', '.join(RIGHTS)})")
    return right


def _needs(rights: Iterable[str]) -> str:
    ordered = [r for r in RIGHTS if r in set(rights)]
    return " or ".join(ordered)


def allowed(actor: Actor, action: str, scope: Scope | None = None) -> bool:
    """May ``actor`` take ``action`` (a declared action) here?"""
    if actor.rights & _rights_of(action):
        return True
    return scope is not None and scope.permits(actor)


def require(actor: Actor, action: str, scope: Scope | None = None) -> None:
    """Raise NotPermitted unless ``actor`` may take ``action`` (in ``scope``)."""
    if not allowed(actor, action, scope):
        what = (scope.what if scope is not None else "") or action
        needs = (scope.needs if scope is not None else "") or _needs(_rights_of(action))
        raise NotPermitted(what, needs)


def may_coordinate(rights: frozenset[str]) -> bool:
    """Who may be named a campaign's coordinator: a user with the coordinator or the
    admin right (the coordinator receives the bounce digests and answers for the
    campaign; a relationship manager alone may not)."""
    return bool(rights & {ADMIN, COORDINATOR})


def _rights_of(action: str) -> frozenset[str]:
    try:
        return ACTIONS[action]
    except KeyError:
        raise KeyError(f"action {action!r} is declared by no area (is bootstrap's "
                       "quickcrm.areas.wire() run?)") from None
