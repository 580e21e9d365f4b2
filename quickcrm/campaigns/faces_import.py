"""``quickcrm import faces FILE --quickscan KEY``: faces and earlier receipts from a file.

Columns as in seed 000's Excel: "Relatienummer klant", "Volgens profiel", "Volgens
update", "Volgens relatiemanager" (1/2/3 or Positief/Neutraal/Negatief) and optionally
"Datum verzonden" (the client received this QuickScan before QuickCRM). Other columns
are ignored, so the seed's whole Excel can be read back. An empty cell leaves that face
as it is. The whole file is checked first; any problem (``file:row:column: message``)
means nothing is written. Then rows are upserted in batches, each written face stamped
with the import time, so it counts until something later overwrites it: for a profile
face, a change of the client's segments after the import (see faces.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlmodel import Session

from quickcrm import permissions
from quickcrm.campaigns.faces import KINDS
from quickcrm.campaigns.models import Face
from quickcrm.codes import FACE
from quickcrm.crm.headers import aliases
from quickcrm.crm.users import Actor
from quickcrm.documents.tabular import match_headers, open_table
from quickcrm.errors import FileProblems, InvalidInput
from quickcrm.events import FACES_IMPORTED, record
from quickcrm.quickscans.definitions import get_quickscan
from quickcrm.store.models import Relation

BATCH = 5000
MAX_SHOWN = 20
# The file's columns: field in the one header table every importer reads
# (quickcrm.crm.headers: "Relatienummer klant", "Volgens profiel", "profile", ...) -> the
# name here.
FIELDS = {"relation_number": "number", "profile_face": "profile", "update_face": "update",
          "rm_face": "rm", "received_at": "received"}
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


@dataclass
class FacesImported:
    quickscan: str
    rows: int = 0
    profile: int = 0
    update: int = 0
    rm: int = 0
    received: int = 0
    warnings: list[str] = field(default_factory=list)


def parse_date(text: str, tz: str = "Europe/Amsterdam") -> datetime:
    """'2025-03-14', '14-03-2025', '14/3/2025' or an ISO datetime, as aware UTC
    (a bare date means the start of that day in the firm's time zone)."""
    match = _DMY.match(text)
    try:
        if match:
            value: datetime | date = date(int(match[3]), int(match[2]), int(match[1]))
        else:
            value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"not a date: {text!r} (use 2025-03-14 or 14-03-2025)") from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def import_faces(*, session: Session, actor: Actor, now: datetime, path: str | Path,
                 quickscan: str, tz: str = "Europe/Amsterdam",
                 progress: Callable[[int], None] | None = None) -> FacesImported:
    permissions.require(actor, "import faces")
    qs = get_quickscan(session=session, key=quickscan, now=now)
    path = Path(path)
    table = open_table(path)
    name = path.name
    columns, unknown = match_headers(table, aliases(FIELDS))
    if "number" not in columns:
        raise FileProblems([f'{name}:1: missing required column "Relatienummer klant"'])
    if not set(columns) - {"number"}:
        raise FileProblems([f'{name}:1: no face columns ("Volgens profiel", "Volgens update", '
                            '"Volgens relatiemanager") and no "Datum verzonden"'])
    result = FacesImported(quickscan=qs.key)
    result.warnings = [f"{name}:1: column {h!r} ignored" for h in unknown]
    problems: list[tuple[int, str]] = []  # (row, message); shown sorted by row
    total_problems = 0
    seen: dict[str, int] = {}
    good: list[dict[str, Any]] = []

    def bad(row: int, field_: str, message: str) -> None:
        nonlocal total_problems
        total_problems += 1
        if len(problems) < 50 * MAX_SHOWN:
            header = table.headers[columns[field_]].strip()
            problems.append((row, f"{name}:{row}:{header}: {message}"))

    rows = table.rows()
    while chunk := list(islice(rows, BATCH)):
        parsed: list[tuple[int, str, dict[str, Any]]] = []
        for row, cells in chunk:
            values = _parse_row(row, cells, columns, now, tz, bad)
            number = _cell(cells, columns["number"])
            if not number:
                bad(row, "number", "relation number is empty")
            elif number in seen:
                bad(row, "number", f"relation number {number!r} is also on row {seen[number]}")
            elif values is not None:
                seen[number] = row
                parsed.append((row, number, values))
        ids: dict[str, int] = dict(session.execute(select(Relation.number, Relation.id).where(  # type: ignore[call-overload]
            Relation.number.in_([n for _, n, _ in parsed]))).all())  # type: ignore[attr-defined]
        for row, number, values in parsed:
            if number not in ids:
                bad(row, "number", f"unknown relation number {number!r}")
            else:
                good.append({"relation_id": ids[number], "quickscan_id": qs.id, **values})
        result.rows += len(chunk)
        if progress is not None:
            progress(len(chunk))
    if total_problems:
        shown = [m for _, m in sorted(problems, key=lambda p: p[0])][:MAX_SHOWN]
        raise FileProblems(shown, total_problems)
    for start in range(0, len(good), BATCH):
        _upsert(session, good[start:start + BATCH])
    for kind in KINDS:
        setattr(result, kind, sum(1 for g in good if g[f"{kind}_face"]))
    result.received = sum(1 for g in good if g["received_at"])
    record(session, kind=FACES_IMPORTED, at=now, user_id=actor.id, file=name,
           quickscan=qs.key, rows=result.rows, profile=result.profile, update=result.update,
           rm=result.rm, received=result.received)
    session.commit()
    return result


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _parse_row(row: int, cells: list[str], columns: dict[str, int], now: datetime, tz: str,
               bad: Callable[[int, str, str], None]) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    ok = True
    for kind in KINDS:
        text = _cell(cells, columns[kind]) if kind in columns else ""
        try:
            face = FACE.parse(text)
        except InvalidInput as exc:
            bad(row, kind, str(exc))
            ok, face = False, None
        values[f"{kind}_face"], values[f"{kind}_at"] = face, (now if face else None)
    values["profile_computed"] = False
    text = _cell(cells, columns["received"]) if "received" in columns else ""
    values["received_at"] = None
    if text:
        try:
            values["received_at"] = parse_date(text, tz)
            if values["received_at"] > now:
                raise InvalidInput(f"{text!r} lies in the future")
        except InvalidInput as exc:
            bad(row, "received", str(exc))
            ok = False
    return values if ok else None


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert or update; a face (or date) left empty in the file keeps its stored value."""
    conn = session.connection()
    from sqlalchemy.dialects import postgresql, sqlite

    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    f = Face.__table__  # type: ignore[attr-defined]
    stmt = dialect.insert(f)
    new = stmt.excluded
    changes: dict[str, Any] = {
        "received_at": func.coalesce(new.received_at, f.c.received_at),
        # an imported profile face is the file's, not computed: it stands (faces.py)
        "profile_computed": case((new.profile_face.isnot(None), False),
                                 else_=f.c.profile_computed)}
    for kind in KINDS:
        face, at = f"{kind}_face", f"{kind}_at"
        changes[face] = func.coalesce(new[face], f.c[face])
        changes[at] = case((new[face].isnot(None), new[at]), else_=f.c[at])
    conn.execute(stmt.on_conflict_do_update(index_elements=["relation_id", "quickscan_id"],
                                            set_=changes), rows)
