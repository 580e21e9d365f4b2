"""Step 2's refinements: parsed from what a user typed into codes and ids.

Several values of one criterion are OR, the criteria are AND (seed 000: "Dit zijn
allemaal EN criteria"). Segment values are codes or labels (``quickcrm.codes``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from sqlmodel import Session, select

from quickcrm import codes
from quickcrm.crm import staff
from quickcrm.store.models import Team, User

SEGMENT_OPTIONS = {"industry": codes.INDUSTRY, "ownership": codes.OWNERSHIP,
                   "size": codes.SIZE, "client_group": codes.CLIENT_GROUP}


@dataclass(frozen=True)
class Criteria:
    """Refinements as stored values: team ids, RM user ids, segment codes."""

    team_ids: tuple[int, ...] = ()
    rm_ids: tuple[int, ...] = ()
    industry: tuple[str, ...] = ()
    ownership: tuple[str, ...] = ()
    size: tuple[str, ...] = ()
    client_group: tuple[str, ...] = ()

    def segments(self) -> dict[str, tuple[str, ...]]:
        return {name: getattr(self, name) for name in SEGMENT_OPTIONS}


def parse_segments(**values: Sequence[str] | None) -> dict[str, tuple[str, ...]]:
    """``industry=["Handel", "2"]`` -> ``{"industry": ("7", "2")}``; unknown values raise
    InvalidInput naming the allowed codes."""
    out: dict[str, tuple[str, ...]] = {}
    for name, given in values.items():
        table = SEGMENT_OPTIONS[name]
        parsed = (table.parse(v) for v in given or ())
        out[name] = tuple(dict.fromkeys(c for c in parsed if c is not None))
    return out


def _unique(items: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class Refinements:
    """Refinements as the user typed them (team names, RM e-mails, codes or labels)."""

    teams: Sequence[str] = ()
    rms: Sequence[str] = ()
    industry: Sequence[str] = ()
    ownership: Sequence[str] = ()
    size: Sequence[str] = ()
    client_group: Sequence[str] = ()


def resolve_criteria(*, session: Session, refinements: Refinements) -> Criteria:
    """Look up teams (by name, case-insensitively) and relationship managers (by
    e-mail); an unknown one is a user error, not an empty selection."""
    ref = refinements
    conn = session.connection()
    teams, rms = staff.team_ids(conn, tuple(ref.teams)), staff.rm_ids(conn, tuple(ref.rms))
    seg = parse_segments(industry=ref.industry, ownership=ref.ownership, size=ref.size,
                         client_group=ref.client_group)
    return Criteria(team_ids=_unique(teams), rm_ids=_unique(rms), **seg)


def describe(session: Session, criteria: Criteria) -> dict[str, list[str]]:
    """The refinements as a person reads them (team names, RM e-mails, codes), for the
    campaign record and ``campaign show``; empty criteria are left out."""
    out: dict[str, list[str]] = {}
    if criteria.team_ids:
        rows = session.exec(select(Team.name).where(Team.id.in_(criteria.team_ids))).all()  # type: ignore[union-attr]
        out["team"] = sorted(rows)
    if criteria.rm_ids:
        rows = session.exec(select(User.email).where(User.id.in_(criteria.rm_ids))).all()  # type: ignore[union-attr]
        out["rm"] = sorted(rows)
    for name, values in criteria.segments().items():
        if values:
            out[name] = list(values)
    return out


def to_json(session: Session, criteria: Criteria) -> str:
    return json.dumps({"ids": asdict(criteria), "shown": describe(session, criteria)})
