"""Who of a campaign's selection can still be invited, checked where the client file may
have changed under the selection: at ``campaign finalize`` (against the client file as it
is then) and at ``send`` (the frozen recipients against opt-outs since).

Finalize refuses, with the list, when a selected client would no longer pass step 1
(opted out, no usable address, no longer a client, received this QuickScan meanwhile,
faces no longer passing the campaign's policy) or lost their relationship manager;
nothing is frozen until the coordinator excluded them or corrected the client file.
``send`` never refuses a campaign: it invites the others and reports each client it
skipped with a reason (opted out meanwhile, excluded after finalizing, an address the
outbox refuses).

The rules are pure functions over plain values (``finalize_problem``, ``send_problem``);
the SQL only narrows the clients to those with a problem, with the selection's own rule
expressions, so finalize reads the few changed clients, not the whole selection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select, true

from quickcrm.campaigns import eligibility as rules
from quickcrm.codes import FACE
from quickcrm.store.models import User

U = User.__table__  # type: ignore[attr-defined]

REASONS = {
    "opted_out": "opted out",
    "no_email": "no usable e-mail address",
    "no_contact": "no campaign contact any more",
    "not_a_client": "no longer a client",
    "received": "received this QuickScan meanwhile",
    "faces": "faces no longer pass",
    "no_rm": "no relationship manager any more",
    "rm_inactive": "relationship manager deactivated",
    "excluded": "excluded after finalizing",
    "invalid_address": "address refused",
    "changed": "no longer passes the selection's rules",
}
FACE_NAMES = {"profile": "profile", "update": "update", "rm": "RM"}


@dataclass(frozen=True)
class Skipped:
    """A selected client who is not (to be) invited, and why (``REASONS``)."""

    relation: str
    reason: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"relation": self.relation, "reason": self.reason, "detail": self.detail}


@dataclass(frozen=True)
class Selected:
    """A client of the selection as the client file has them at finalize."""

    relation: str
    stage: str
    received: bool
    faces: dict[str, str | None]  # profile, update, rm
    contact: rules.Contact | None
    had_rm: bool  # the selection (step 2) had a relationship manager for them
    rm_email: str | None  # their relationship manager now
    rm_active: bool | None


def _skip(relation: str, reason: str, detail: str = "") -> Skipped:
    return Skipped(relation, reason, detail or REASONS[reason])


def failing_faces(policy: str, kind: str, faces: dict[str, str | None]) -> list[str]:
    """``["RM face Negatief"]``: the faces that keep a client out under ``policy``."""
    return [f"{FACE_NAMES[name]} face {FACE.label(rules.effective_face(faces[name]))}"
            for name, allowed in rules.allowed_faces(policy, kind).items()
            if rules.effective_face(faces[name]) not in allowed]


def finalize_problem(client: Selected, policy: str, kind: str) -> Skipped | None:
    """Why a selected client may not be frozen into the campaign, or None. Opting out
    comes first: a client who said no is refused as such whatever else changed."""
    number = client.relation
    problem = rules.contact_problem(client.contact)
    if problem is not None:
        return _skip(number, problem)
    if client.stage != "customer":
        return _skip(number, "not_a_client", f"no longer a client ({client.stage})")
    if client.received:
        return _skip(number, "received")
    failing = failing_faces(policy, kind, client.faces)
    if failing:
        return _skip(number, "faces", f"{', '.join(failing)} under the {policy} policy")
    if client.rm_email is None and client.had_rm:
        return _skip(number, "no_rm")
    if client.rm_email is not None and not client.rm_active:
        return _skip(number, "rm_inactive", f"relationship manager {client.rm_email} "
                                            f"is deactivated")
    return None


def send_problem(*, relation: str, email: str, contact_exists: bool, opted_out: bool,
                 rm_email: str | None, rm_active: bool | None,
                 excluded: str | None) -> Skipped | None:
    """Why ``send`` passes over a frozen recipient, or None. ``excluded``: the reason of
    an exclusion made after finalizing (None: not excluded)."""
    if excluded is not None:
        return _skip(relation, "excluded", "excluded after finalizing"
                     + (f": {excluded}" if excluded else ""))
    if not contact_exists:
        return _skip(relation, "no_contact")
    if opted_out:
        return _skip(relation, "opted_out", "opted out after the selection was finalized")
    if not rules.email_ok(email):
        return _skip(relation, "no_email", f"no usable e-mail address ({email!r})")
    if rm_email is not None and not rm_active:
        return _skip(relation, "rm_inactive", f"relationship manager {rm_email} "
                                              f"is deactivated")
    return None


# --- finalize: the clients of the selection whose data changed under it --------------------

def _changed_query(campaign_id: int, quickscan_id: int, policy: str, kind: str) -> Any:
    """The selection's clients (``campaign_client``) that the rules of step 1 or their
    relationship manager no longer let through, with what ``finalize_problem`` needs.
    Every rule is the selection's own SQL (``selection``); a rule that is NULL (no
    contact, no face row) counts as failed, as it does there."""
    from quickcrm.campaigns.selection import CC, F, P, R, email_usable, faces_pass, not_received

    contact = and_(P.c.relation_id == R.c.id, P.c.campaign_contact == true())
    face = and_(F.c.relation_id == R.c.id, F.c.quickscan_id == quickscan_id)
    received = and_(*not_received(quickscan_id, campaign_id))
    rm_ok = or_(and_(R.c.rm_id.is_(None), CC.c.rm_id.is_(None)), U.c.active == true())
    ok = and_(P.c.id.is_not(None), ~(P.c.opted_out == true()), email_usable(),
              R.c.stage == "customer", received, faces_pass(policy, kind), rm_ok)
    return (
        select(CC.c.relation_number, R.c.stage, case((received, 0), else_=1), F.c.profile_face,
               F.c.update_face, F.c.rm_face, P.c.id.label("contact_id"), P.c.email,
               P.c.opted_out, CC.c.rm_id.label("had_rm"), U.c.email.label("rm_email"),
               U.c.active.label("rm_active"))
        .select_from(CC.join(R, R.c.id == CC.c.relation_id).outerjoin(F, face)
                     .outerjoin(P, contact).outerjoin(U, U.c.id == R.c.rm_id))
        .where(CC.c.campaign_id == campaign_id, func.coalesce(ok, false()) == false())
        .order_by(CC.c.relation_number))


def refused_at_finalize(session: Any, *, campaign_id: int, quickscan_id: int, policy: str,
                        kind: str) -> list[Skipped]:
    """Every client of the selection that may no longer be frozen in, with the reason."""
    out = []
    for row in session.execute(_changed_query(campaign_id, quickscan_id, policy, kind)):
        (number, stage, received, profile, update, rm, contact_id, email, opted, had_rm,
         rm_email, rm_active) = row
        client = Selected(
            relation=number, stage=stage, received=bool(received),
            faces={"profile": profile, "update": update, "rm": rm},
            contact=(rules.Contact(email=email, opted_out=bool(opted))
                     if contact_id is not None else None),
            had_rm=had_rm is not None, rm_email=rm_email,
            rm_active=None if rm_active is None else bool(rm_active))
        out.append(finalize_problem(client, policy, kind) or _skip(number, "changed"))
    return out
