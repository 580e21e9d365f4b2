"""Who may do what: pure functions over a user's firm-wide rights.

Every service calls ``require`` (or one of the specific checks) before it changes
anything, so a refused action changes nothing. Reading is open to every known user.
Per-project roles (marketeer, project leader) come with the procedures area and will
be checked here too, from the same plain values.
"""

from __future__ import annotations

from collections.abc import Iterable

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

# action -> the rights any one of which allows it
ACTIONS: dict[str, frozenset[str]] = {
    "manage users": frozenset({ADMIN}),
    "import clients": frozenset({ADMIN, COORDINATOR}),
    "import faces": frozenset({ADMIN, COORDINATOR}),
    "compute faces": frozenset({ADMIN, COORDINATOR}),
    "load quickscans": frozenset({ADMIN, COORDINATOR}),
    "manage campaigns": frozenset({ADMIN, COORDINATOR}),
    "send campaigns": frozenset({ADMIN, COORDINATOR}),
    "process bounces": frozenset({ADMIN, COORDINATOR}),
    "manage the outbox": frozenset({ADMIN, COORDINATOR}),
    "run reminders": frozenset({ADMIN, COORDINATOR}),
    "export campaign data": frozenset({ADMIN, COORDINATOR}),
    "see revenue": frozenset({ADMIN, SALES_MONITOR}),
    "manage landing pages": frozenset({ADMIN, COORDINATOR}),
    "upgrade the database": frozenset({ADMIN}),
}


def parse_right(name: str) -> str:
    right = _ALIASES.get(name.strip().lower())
    if right is None:
        raise InvalidInput(f"unknown right {name!r} (expected one of: {', '.join(RIGHTS)})")
    return right


def _needs(rights: Iterable[str]) -> str:
    ordered = [r for r in RIGHTS if r in set(rights)]
    return " or ".join(ordered)


def allowed(rights: frozenset[str], action: str) -> bool:
    return bool(rights & ACTIONS[action])


def require(rights: frozenset[str], action: str) -> None:
    """Raise NotPermitted unless ``rights`` allow ``action`` (a key of ACTIONS)."""
    if not allowed(rights, action):
        raise NotPermitted(action, _needs(ACTIONS[action]))


def may_coordinate(rights: frozenset[str]) -> bool:
    """Who may be named a campaign's coordinator: a user with the coordinator or the
    admin right (the coordinator receives the bounce digests and answers for the
    campaign; a relationship manager alone may not)."""
    return bool(rights & {ADMIN, COORDINATOR})


def may_set_faces(rights: frozenset[str], *, user_id: int, client_rm_id: int | None) -> bool:
    """A relationship manager sets the faces of their own clients; admins and
    coordinators may set any."""
    if rights & {ADMIN, COORDINATOR}:
        return True
    return RM in rights and client_rm_id is not None and client_rm_id == user_id


def require_set_faces(rights: frozenset[str], *, user_id: int, client_rm_id: int | None) -> None:
    if not may_set_faces(rights, user_id=user_id, client_rm_id=client_rm_id):
        raise NotPermitted(
            "setting the faces of another relationship manager's client",
            "admin or coordinator",
        )
