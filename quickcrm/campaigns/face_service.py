"""Use cases around Happy Faces: a person sets a client's faces, someone looks at them,
an administrator recomputes the profile faces. The rules live in ``faces``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from quickcrm import permissions
from quickcrm.campaigns.faces import KINDS, compute_profile_faces, count_missing, write_faces
from quickcrm.campaigns.models import Face
from quickcrm.clock import local_date
from quickcrm.codes import FACE
from quickcrm.crm.users import Actor
from quickcrm.errors import InvalidInput, NotFound
from quickcrm.events import FACES_COMPUTED, FACES_SET, record
from quickcrm.quickscans.definitions import ensure_shipped, get_quickscan
from quickcrm.quickscans.models import QuickScan
from quickcrm.store.models import Relation


def _relation(session: Session, number: str) -> Relation:
    relation = session.exec(select(Relation).where(Relation.number == number.strip())).first()
    if relation is None:
        raise NotFound(f"unknown relation number {number!r}")
    return relation


def set_faces(*, session: Session, actor: Actor, now: datetime, relation_number: str,
              quickscan: str, faces: dict[str, str | None],
              tz: str = "Europe/Amsterdam") -> dict[str, Any]:
    """Set some of a client's faces (``{"rm": "Positief"}``); a relationship manager
    only for their own clients, admins and coordinators for any."""
    given = {k: v for k, v in faces.items() if v is not None}
    if not given:
        raise InvalidInput("give at least one of --profile, --update, --rm")
    parsed = {}
    for kind, value in given.items():
        try:
            parsed[kind] = FACE.parse(value)
        except InvalidInput as exc:
            raise InvalidInput(f"--{kind}: {exc}") from None
    relation = _relation(session, relation_number)
    permissions.require(actor, "set faces", permissions.OwnClient(
        relation.rm_id, what="setting the faces of another relationship manager's client"))
    qs = get_quickscan(session=session, key=quickscan, now=now)
    assert relation.id is not None and qs.id is not None
    before = session.get(Face, (relation.id, qs.id))
    old = {kind: getattr(before, f"{kind}_face") if before is not None else None
           for kind in parsed}  # read before write_faces changes the same row
    write_faces(session, relation_id=relation.id, quickscan_id=qs.id, now=now, faces=parsed)
    # audit trail (issue 29): each face set as [old, new]
    changes = {f"{kind}_face": [old[kind], value] for kind, value in parsed.items()}
    record(session, kind=FACES_SET, at=now, relation_id=relation.id, user_id=actor.id,
           quickscan=qs.key, faces=parsed, changes=changes)
    session.commit()
    return show_faces(session=session, relation_number=relation_number, quickscan=qs.key,
                      now=now, tz=tz)


def _scans(session: Session, quickscan: str | None, now: datetime) -> list[QuickScan]:
    """The named QuickScan, or every loaded one (the shipped ones loaded when none is)."""
    if quickscan:
        return [get_quickscan(session=session, key=quickscan, now=now)]
    ensure_shipped(session=session, now=now)
    return list(session.exec(select(QuickScan).order_by(QuickScan.key)).all())


def show_faces(*, session: Session, relation_number: str, quickscan: str | None = None,
               now: datetime, tz: str = "Europe/Amsterdam") -> dict[str, Any]:
    """A client's faces per QuickScan (all loaded QuickScans unless one is named).

    ``received_on`` ("Datum verzonden") is a date, the day in the firm's time zone ``tz``
    (it is stored as the moment that day began there)."""
    relation = _relation(session, relation_number)
    scans = _scans(session, quickscan, now)
    rows = []
    for qs in scans:
        face = session.get(Face, (relation.id, qs.id)) or Face(relation_id=0, quickscan_id=0)
        received = local_date(face.received_at, tz) if face.received_at else None
        entry: dict[str, Any] = {"quickscan": qs.key, "title": qs.title,
                                 "received_on": received}
        for kind in KINDS:
            entry[kind] = getattr(face, f"{kind}_face")
            entry[f"{kind}_at"] = getattr(face, f"{kind}_at")
        rows.append(entry)
    return {"relation_number": relation.number, "company": relation.company, "faces": rows}


def compute_faces(*, session: Session, actor: Actor, now: datetime,
                  quickscan: str | None = None) -> list[dict[str, Any]]:
    """Recompute stale profile faces for one QuickScan or all; with missing counts."""
    permissions.require(actor, "compute faces")
    scans = _scans(session, quickscan, now)
    out = []
    for qs in scans:
        assert qs.id is not None
        written = compute_profile_faces(session=session, quickscan_id=qs.id, now=now)
        out.append({"quickscan": qs.key, "written": written,
                    "missing": count_missing(session=session, quickscan_id=qs.id)})
    record(session, kind=FACES_COMPUTED, at=now, user_id=actor.id,
           quickscans={o["quickscan"]: o["written"] for o in out})
    session.commit()
    return out
