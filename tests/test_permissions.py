"""The one permission check, ``require(actor, action, scope=None)``, over plain values:
firm-wide rights, the client's own relationship manager, and a scope of a rule of its
own (the shape the procedures' matrix takes), with the refusal texts users see."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from quickcrm import permissions
from quickcrm.areas import wire
from quickcrm.errors import NotPermitted
from quickcrm.permissions import Actor, OwnClient, allowed, require

wire()  # the areas' actions, as bootstrap hands them over

ADMIN = Actor(id=1, email="a@k.example", name="Anna", rights=frozenset({"admin"}))
COORD = Actor(id=2, email="c@k.example", name="Cor", rights=frozenset({"coordinator"}))
RM = Actor(id=3, email="r@k.example", name="Rita", rights=frozenset({"relationship-manager"}))
NOBODY = Actor(id=4, email="n@k.example", name="Nol", rights=frozenset())


def refusal(actor: Actor, action: str, scope: permissions.Scope | None = None) -> str:
    with pytest.raises(NotPermitted) as err:
        require(actor, action, scope)
    return str(err.value)


def test_firm_wide_rights_allow_and_refuse_with_the_action_and_its_rights():
    require(COORD, "import clients")
    require(ADMIN, "manage users")
    assert refusal(RM, "import clients") == "not permitted: import clients needs admin or coordinator"
    assert refusal(COORD, "manage users") == "not permitted: manage users needs admin"
    assert refusal(RM, "see revenue") == "not permitted: see revenue needs admin or sales-monitor"


def test_a_relationship_manager_may_set_the_faces_of_their_own_clients_only():
    own, other, unassigned = OwnClient(rm_id=3), OwnClient(rm_id=9), OwnClient(rm_id=None)
    assert allowed(RM, "set faces", own)
    assert not allowed(RM, "set faces", other)
    assert not allowed(RM, "set faces", unassigned)
    assert not allowed(RM, "set faces")  # no scope: only the firm-wide rights count
    assert allowed(COORD, "set faces", other) and allowed(ADMIN, "set faces", unassigned)
    # the owner must hold the relationship-manager right, unless the scope says not
    no_rm = Actor(id=3, email="r@k.example", name="Rita", rights=frozenset())
    assert not allowed(no_rm, "set faces", own)
    assert allowed(no_rm, "read client reports", OwnClient(rm_id=3, right=None))
    what = "setting the faces of another relationship manager's client"
    assert refusal(RM, "set faces", OwnClient(rm_id=9, what=what)) == (
        f"not permitted: {what} needs admin or coordinator")


@dataclass(frozen=True)
class Step:
    """A matrix-like scope of the test's own: a role in a project may take ``next``
    after ``last`` when the procedure's transitions say so."""

    role: str | None
    last: str
    next: str
    transitions: frozenset[tuple[str, str, str]]

    @property
    def what(self) -> str:
        return f"taking {self.next!r} after {self.last!r} as {self.role or 'a non-member'}"

    needs: str = "a project role the matrix allows"

    def permits(self, actor: Actor) -> bool:
        return self.role is not None and (self.role, self.last, self.next) in self.transitions


def test_a_scope_with_a_rule_of_its_own_plugs_into_the_same_check(monkeypatch):
    # an action no firm-wide right allows: only the scope's rule decides
    monkeypatch.setitem(permissions.ACTIONS, "take a test step", frozenset())
    matrix = frozenset({("marketeer", "start", "bellen"), ("marketeer", "bellen", "terugbellen")})
    require(RM, "take a test step", Step("marketeer", "start", "bellen", matrix))
    require(NOBODY, "take a test step", Step("marketeer", "bellen", "terugbellen", matrix))
    assert refusal(ADMIN, "take a test step", Step("marketeer", "start", "terugbellen", matrix)) \
        == ("not permitted: taking 'terugbellen' after 'start' as marketeer needs a project "
            "role the matrix allows")
    assert not allowed(RM, "take a test step", Step(None, "start", "bellen", matrix))


def test_actions_are_declared_once_and_with_known_rights():
    permissions.declare({"import clients": frozenset({"admin", "coordinator"})})  # the same: fine
    with pytest.raises(ValueError, match="declared twice"):
        permissions.declare({"import clients": frozenset({"admin"})})
    with pytest.raises(ValueError, match="unknown rights"):
        permissions.declare({"fly": frozenset({"pilot"})})
    with pytest.raises(KeyError, match="declared by no area"):
        require(ADMIN, "launch rockets")
