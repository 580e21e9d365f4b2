"""Who may receive a QuickScan: the step-1 rules of seed 000 as pure functions.

The selection runs these rules in SQL (``quickcrm.campaigns.selection``); the SQL is
built from the same tables below (``allowed_faces``, ``EMAIL_LIKE``), so the rules have
one source and can be tested here without a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quickcrm.errors import InvalidInput

POSITIVE, NEUTRAL, NEGATIVE = "1", "2", "3"
FACES = ("profile", "update", "rm")
POLICIES = ("default", "strict")
POLICY_TEXT = {  # how ``select`` names each policy
    "default": "seed step 1: profile, update and RM face neutral or positive",
    "strict": "Happy Faces footnote: profile and update green, RM green or blue",
}
KINDS = ("personal", "update")


def effective_face(face: str | None) -> str:
    """A face nobody set counts as neutral (the rule of ``quickcrm.campaigns.faces``)."""
    from quickcrm.campaigns.faces import effective

    return effective(face)


def check_policy(policy: str) -> str:
    """``policy`` as stored (any case); InvalidInput naming the two otherwise."""
    value = policy.strip().lower()
    if value not in POLICIES:
        raise InvalidInput(f"unknown policy {policy!r} (expected default or strict)")
    return value


def allowed_faces(policy: str, kind: str) -> dict[str, frozenset[str]]:
    """For each face the policy looks at, the values that let a client through.

    default: all three faces neutral or positive. Seed 000, step 1: "Klanten die
    neutraal of positief scoren in PROFIEL ... EN ... in UPDATE ... EN ... in
    RELATIEMANAGER".
    strict, personal QuickScan: profile and update green, relationship manager green or
    blue. The Happy Faces footnote: "Als alle categorieën op groen en bij de
    relatiemanager op groen of blauw staan, dan kan een Personal QuickScan naar de klant
    worden verstuurd." strict, update QuickScan: profile green and relationship manager
    green or blue; the update face is not looked at (the footnote goes on: "Voor de
    Personal QuickScan Update geldt dat Profiel op groen moet staan en Relatiemanager of
    groen of blauw").
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    ok = frozenset({POSITIVE, NEUTRAL})
    green = frozenset({POSITIVE})
    if policy == "default":
        return {"profile": ok, "update": ok, "rm": ok}
    if kind == "update":
        return {"profile": green, "rm": ok}
    return {"profile": green, "update": green, "rm": ok}


def faces_ok(policy: str, kind: str, *, profile: str | None, update: str | None,
             rm: str | None) -> bool:
    """Whether a client's three faces pass step 1 under ``policy``."""
    given = {"profile": profile, "update": update, "rm": rm}
    return all(effective_face(given[name]) in allowed
               for name, allowed in allowed_faces(policy, kind).items())


def missing_face(policy: str, kind: str, *, profile: str | None, update: str | None,
                 rm: str | None) -> bool:
    """Whether a face the policy looks at was set by nobody (reported as missing_faces)."""
    given = {"profile": profile, "update": update, "rm": rm}
    return any(given[name] is None for name in allowed_faces(policy, kind))


# A plausible address: one "@", something before it, a dot after it, no spaces. SQL has
# no portable regular expression, so the rule is written as LIKE patterns and mirrored
# here as a regex; the importer checks addresses more strictly on the way in.
EMAIL_LIKE = "_%@_%._%"
EMAIL_NOT_LIKE = ("%@%@%", "% %")
_EMAIL_RE = re.compile(r"^[^@ ]+@[^@ ]+\.[^@ ]+$", re.DOTALL)


def email_ok(email: str | None) -> bool:
    return bool(email) and _EMAIL_RE.match(email or "") is not None


@dataclass(frozen=True)
class Contact:
    """The campaign contact of a client, as the selection sees it (None: no contact)."""

    email: str | None
    opted_out: bool


def contact_problem(contact: Contact | None) -> str | None:
    """``"opted_out"``, ``"no_email"`` or None. Opting out wins: a client who said no is
    counted as such even when their address is also unusable."""
    if contact is not None and contact.opted_out:
        return "opted_out"
    if contact is None or not email_ok(contact.email):
        return "no_email"
    return None


def step1(policy: str, kind: str, *, received: bool, profile: str | None,
          update: str | None, rm: str | None, contact: Contact | None) -> bool:
    """The whole step-1 rule for one client: never received this QuickScan, faces pass
    the policy, and a campaign contact with a usable address who did not opt out."""
    return (not received
            and faces_ok(policy, kind, profile=profile, update=update, rm=rm)
            and contact_problem(contact) is None)
