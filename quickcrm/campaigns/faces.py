"""Happy Faces: per client per QuickScan a profile, an update and a relationship-manager
face, each '1' positive (green), '2' neutral (blue), '3' negative (red), or None when
nobody set it, which counts as neutral (seed 000, "Toelichting Happy Faces").

Each face carries the time it was written, and "whichever was written last, import or
computation, counts" is decided per face, by what was last *written to the face*, never
by when the client was last touched:

* an import or ``faces set`` writes a face with the time of the import (a profile face
  so written is not ``profile_computed``);
* ``compute_profile_faces`` writes a profile face only where there is none, or where
  something the face is computed from changed after the face was written: the client's
  segments, the rule's inputs (``relation.segments_at``: industry, ownership, size,
  client group; a new city, team or relationship manager leaves it), or, for a face it
  computed itself, the QuickScan's rules (``quickscan.loaded_at``, which moves only when
  the loaded definition changes). An imported or hand-set profile face therefore stands
  until the client's segments change after it;
* the update face is written from a completed update QuickScan by
  ``apply_update_answers`` (at the time of completion) or imported; the rm face only by
  people (``faces set``, import).

The rules themselves are pure functions; the profile rule also compiles to one SQL CASE
expression, so computing faces for a million clients is two set-based statements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Table,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlmodel import Session

from quickcrm.campaigns.models import Face
from quickcrm.codes import FACE
from quickcrm.quickscans.models import QuickScan
from quickcrm.quickscans.schema import Profile, UpdateRule
from quickcrm.store.models import Relation

POSITIVE, NEUTRAL, NEGATIVE = "1", "2", "3"
KINDS = ("profile", "update", "rm")  # column prefixes in the face table
DUTCH_KINDS = {"profile": "Volgens profiel", "update": "Volgens update",
               "rm": "Volgens relatiemanager"}
COLOURS = {POSITIVE: ("green", "#2E7D32"), NEUTRAL: ("blue", "#1565C0"),
           NEGATIVE: ("red", "#C62828")}  # rich colour name, hex for Excel fills


# --- pure rules ---------------------------------------------------------------------------

def effective(face: str | None) -> str:
    """A face nobody set counts as neutral."""
    return face or NEUTRAL


def profile_face(profile: Profile, *, industry: str | None, ownership: str | None,
                 size: str | None, client_group: str | None) -> str | None:
    """The first matching rule's face, else the table's default; None when the client
    has none of the four characteristics (nothing to judge)."""
    values = {"industry": industry, "ownership": ownership, "size": size,
              "client_group": client_group}
    if not any(values.values()):
        return None
    for rule in profile.rules:
        if all(not allowed or values[name] in allowed
               for name, allowed in _criteria(rule).items()):
            return rule.face
    return profile.default


def _criteria(rule: Any) -> dict[str, tuple[str, ...]]:
    return {"industry": rule.industry, "ownership": rule.ownership, "size": rule.size,
            "client_group": rule.client_group}


def update_face(rule: UpdateRule, answers: Mapping[str, object]) -> str | None:
    """Points of the stored answers ('ke1', numbers) added up against the thresholds;
    None when the client answered none of the scored questions."""
    total, scored = 0.0, False
    for score in rule.scores:
        value = answers.get(score.question)
        if value is None or value == "":
            continue
        if score.points:
            points = score.points.get(str(value).lower())
            if points is None:
                continue
            total += points
        else:
            try:  # a stored answer no longer fitting a reloaded definition is skipped
                total += score.weight * float(str(value).replace(",", "."))
            except ValueError:
                continue
        scored = True
    if not scored:
        return None
    if total >= rule.positive_from:
        return POSITIVE
    return NEGATIVE if total < rule.negative_below else NEUTRAL


def label(face: str | None) -> str:
    return FACE.label(face) if face else "Niet gezet (telt als neutraal)"


def markup(face: str | None) -> str:
    """Rich markup in the seed's colours: red negative, blue neutral, green positive."""
    colour = COLOURS[effective(face)][0]
    text = FACE.label(face) if face else "- (neutraal)"
    return f"[{colour}]{'● ' if face else ''}{text}[/{colour}]"


# --- SQL expressions the selection uses ------------------------------------------------------

def effective_sql(column: Any) -> ColumnElement[Any]:
    """``coalesce(face, '2')``: the face as the selection judges it."""
    return func.coalesce(column, NEUTRAL)


def missing_sql(face: Table | Any, kinds: Sequence[str] = KINDS) -> ColumnElement[bool]:
    """True when any of ``kinds`` is unset; ``face`` is the face table (or an alias)
    outer-joined to the clients, so a client without a face row counts as missing."""
    return or_(*(face.c[f"{kind}_face"].is_(None) for kind in kinds))


def profile_face_sql(profile: Profile, relation: Table | Any) -> ColumnElement[Any]:
    """The profile rule table as one CASE over ``relation``'s columns (bind parameters
    only: the codes come from a validated definition, never spliced into SQL text)."""
    whens = []
    for rule in profile.rules:
        conds = [relation.c[name].in_(allowed)
                 for name, allowed in _criteria(rule).items() if allowed]
        whens.append((and_(*conds) if conds else true(), literal(rule.face)))
    if not whens:
        return literal(profile.default)
    return case(*whens, else_=literal(profile.default))


def _has_inputs(relation: Table | Any) -> ColumnElement[bool]:
    return or_(*(relation.c[n].isnot(None)
                 for n in ("industry", "ownership", "size", "client_group")))


# --- storing ----------------------------------------------------------------------------------

def compute_profile_faces(*, session: Session, quickscan_id: int, now: datetime) -> int:
    """Write the computed profile face of every client whose face is missing or was
    written before its inputs changed (see the module docstring); returns the number of
    faces written.
    The caller commits."""
    return refresh_profile_faces(session=session, quickscan_id=quickscan_id, now=now).written


@dataclass(frozen=True)
class Refreshed:
    written: int  # profile faces written
    every_relation: bool  # every relation now has a face row for the QuickScan


def refresh_profile_faces(*, session: Session, quickscan_id: int, now: datetime) -> Refreshed:
    """``compute_profile_faces``, also telling whether every relation has a face row
    afterwards (the selection then counts step 1 over the face rows and contacts
    alone, without reading the wide relation table for every client).

    Each of the two set-based statements runs only when an indexed pre-check says it may
    have work: ``select`` calls this every time, and on a million clients with nothing
    stale the statements themselves cost more than the whole selection."""
    from quickcrm.quickscans.definitions import definition_of

    qs = session.get(QuickScan, quickscan_id)
    if qs is None:
        raise ValueError(f"no quickscan with id {quickscan_id}")
    computed = profile_face_sql(definition_of(qs).profile, _R)
    conn = session.connection()  # Core, not the ORM: plain rowcounts, no session sync
    faces, relations = conn.execute(select(  # one statement: each costs a compile too
        select(func.count()).where(_F.c.quickscan_id == quickscan_id).scalar_subquery(),
        select(func.count()).select_from(_R).scalar_subquery())).one()
    updated = inserted = 0
    if _may_be_stale(conn, quickscan_id, qs.loaded_at):
        updated = _update_stale(conn, quickscan_id, qs.loaded_at, computed, now)
    if faces < relations:  # face rows belong to existing relations, one per relation
        inserted = _insert_missing(conn, quickscan_id, computed, now)
    return Refreshed(written=inserted + updated,
                     every_relation=int(faces) + inserted == int(relations))


_R, _F = Relation.__table__, Face.__table__  # type: ignore[attr-defined]


def _stale_at(loaded_at: datetime | None) -> list[ColumnElement[bool]]:
    """When an existing profile face may be replaced: nobody set it, the client's
    segments changed after it was written, or it was computed before the rules changed."""
    stale = [_F.c.profile_face.is_(None), _F.c.profile_at < _R.c.segments_at]
    if loaded_at is not None:
        stale.append(and_(_F.c.profile_computed == true(), _F.c.profile_at < loaded_at))
    return stale


def _may_be_stale(conn: Any, quickscan_id: int, loaded_at: datetime | None) -> bool:
    """False only when no face can be stale: no face nobody set of a client with
    inputs (a seek in the partial index ix_face_profile_unset), no face older than the
    newest change of a client's segments, and no computed face older than the rules'
    loading (one seek each in face(quickscan_id, profile_computed, profile_at) and
    relation(segments_at)): not a pass over the clients."""
    checks = [select(literal(1)).select_from(_F.join(_R, _R.c.id == _F.c.relation_id))
              .where(_F.c.quickscan_id == quickscan_id, _F.c.profile_face.is_(None),
                     _has_inputs(_R))]
    newest = select(func.max(_R.c.segments_at)).scalar_subquery()
    older = [(computed, _F.c.profile_at < newest) for computed in (True, False)]
    if loaded_at is not None:
        older.append((True, _F.c.profile_at < loaded_at))
    checks += [select(literal(1)).where(_F.c.quickscan_id == quickscan_id,
                                        _F.c.profile_computed == computed, cond)
               for computed, cond in older]  # apart: an OR would turn the seeks into a scan
    # one statement of a few EXISTS (each a seek), not one statement each: a statement
    # costs a compile in every new process (the CLI), more than its seek
    return any(conn.execute(select(*(exists(q) for q in checks))).one())


def _update_stale(conn: Any, quickscan_id: int, loaded_at: datetime | None,
                  computed: ColumnElement[Any], now: datetime) -> int:
    return int(conn.execute(
        update(_F)
        .where(_F.c.relation_id == _R.c.id, _F.c.quickscan_id == quickscan_id,
               _has_inputs(_R), or_(*_stale_at(loaded_at)))
        .values(profile_face=computed, profile_at=now, profile_computed=True)
    ).rowcount)


def _insert_missing(conn: Any, quickscan_id: int, computed: ColumnElement[Any],
                    now: datetime) -> int:
    has_row = exists().where(_F.c.relation_id == _R.c.id, _F.c.quickscan_id == quickscan_id)
    at = literal(now, DateTime(timezone=True))
    add = insert(_F).from_select(
        ["relation_id", "quickscan_id", "profile_face", "profile_at", "profile_computed"],
        select(_R.c.id, literal(quickscan_id), computed, at, true())
        .where(_has_inputs(_R), ~has_row),
    )
    if conn.dialect.name == "postgresql":  # psycopg gives no rowcount for INSERT .. SELECT
        added = add.returning(_F.c.relation_id).cte("added")
        return int(conn.execute(select(func.count()).select_from(added)).scalar_one())
    return int(conn.execute(add).rowcount)


def count_missing(*, session: Session, quickscan_id: int,
                  kinds: Sequence[str] = KINDS) -> dict[str, int]:
    """Per kind, how many clients have no face of it (counted as neutral)."""
    r, f = Relation.__table__, Face.__table__  # type: ignore[attr-defined]
    joined = r.outerjoin(f, and_(f.c.relation_id == r.c.id, f.c.quickscan_id == quickscan_id))
    cols = [func.sum(case((f.c[f"{k}_face"].is_(None), 1), else_=0)) for k in kinds]
    cols.append(func.sum(case((missing_sql(f, kinds), 1), else_=0)))
    row = session.execute(select(func.count(), *cols).select_from(joined)
                          .where(r.c.stage == "customer")).one()
    out = {"clients": int(row[0])}
    out.update({k: int(v or 0) for k, v in zip([*kinds, "any"], row[1:], strict=True)})
    return out


def write_faces(session: Session, *, relation_id: int, quickscan_id: int, now: datetime,
                faces: Mapping[str, str | None]) -> Face:
    """Set the given kinds (``{"rm": "1"}``) with time ``now``; others stay."""
    row = session.get(Face, (relation_id, quickscan_id))
    if row is None:
        row = Face(relation_id=relation_id, quickscan_id=quickscan_id)
    for kind, value in faces.items():
        setattr(row, f"{kind}_face", value)
        setattr(row, f"{kind}_at", now)
    if "profile" in faces:  # a person's face: stands until the client's segments change
        row.profile_computed = False
    session.add(row)
    session.flush()
    return row


def apply_update_answers(*, session: Session, update_key: str, relation_id: int,
                         answers: Mapping[str, object], now: datetime) -> dict[str, str]:
    """A client completed the update QuickScan ``update_key``: write the update face of
    every personal QuickScan that names it. Returns personal key -> face written."""
    from quickcrm.quickscans.definitions import definition_of

    written: dict[str, str] = {}
    rows = session.execute(select(QuickScan).where(QuickScan.kind == "personal")).scalars()  # type: ignore[arg-type]
    for qs in rows.all():
        d = definition_of(qs)
        if d.update != update_key or d.update_rule is None:
            continue
        face = update_face(d.update_rule, answers)
        if face is not None:
            assert qs.id is not None
            write_faces(session, relation_id=relation_id, quickscan_id=qs.id, now=now,
                        faces={"update": face})
            written[qs.key] = face
    return written
