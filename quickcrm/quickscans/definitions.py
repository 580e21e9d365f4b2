"""QuickScans: reading definition files, loading them into the store, and looking them
up.

A definition lives in a TOML file (docs/quickscans.md); loading validates it
(``schema``) and upserts it by key into the ``quickscan`` table as JSON, so the
database holds the version a firm loaded, and an upgrade of QuickCRM never changes the
texts or rules a firm tuned. The shipped definitions are loaded on first lookup when a
database has none, so a fresh install can start a campaign straight away.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select

from quickcrm import permissions
from quickcrm.errors import FileProblems, InvalidInput, NotFound
from quickcrm.events import QUICKSCANS_LOADED, record
from quickcrm.permissions import Actor
from quickcrm.quickscans.models import QuickScan
from quickcrm.quickscans.schema import (
    Definition,
    check_update_rule,
    parse_definition,
)
from quickcrm.resources import templates_dir


def shipped_dir() -> Path:
    return templates_dir() / "quickscans"


def read_file(path: Path) -> Definition:
    """Parse and validate one TOML file; every problem names the file and the place."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise FileProblems([f"{path}: file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise FileProblems([f"{path}: not valid TOML: {exc}"]) from None
    except UnicodeDecodeError:
        raise FileProblems([f"{path}: not UTF-8 text"]) from None
    return parse_definition(data, str(path))


def definition_of(row: QuickScan) -> Definition:
    """The stored definition, parsed once per stored text: a page, a send and a report
    re-validate it only when a firm loaded a changed file."""
    return _parsed(row.definition, row.key)


@lru_cache(maxsize=64)
def _parsed(text: str, key: str) -> Definition:
    return parse_definition(json.loads(text), f"quickscan {key!r}")


@dataclass(frozen=True)
class Loaded:
    key: str
    title: str
    kind: str
    questions: int
    status: str  # new | changed | unchanged
    source: str


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob("*.toml"))
        if not files:
            raise InvalidInput(f"{path}: no .toml QuickScan definitions in this directory")
        return files
    return [path]


def load_quickscans(*, session: Session, actor: Actor, now: datetime, path: Path) -> list[Loaded]:
    """Validate every file under ``path`` first, then upsert all of them (or none)."""
    permissions.require(actor, "load quickscans")
    result = _load(session=session, now=now, files=_files(path))
    record(session, kind=QUICKSCANS_LOADED, at=now, user_id=actor.id,
           keys=[r.key for r in result])
    session.commit()
    return result


def _load(*, session: Session, now: datetime, files: list[Path]) -> list[Loaded]:
    problems: list[str] = []
    parsed: list[tuple[Path, Definition]] = []
    for file in files:
        try:
            parsed.append((file, read_file(file)))
        except FileProblems as exc:
            problems.extend(exc.problems)
    keys = [d.key for _, d in parsed]
    for file, d in parsed:
        if keys.count(d.key) > 1:
            problems.append(f"{file}: key: {d.key!r} is defined by more than one file")
    problems.extend(_check_updates(session, parsed))
    if problems:
        raise FileProblems(problems)
    # update QuickScans first, so a personal one can name one loaded in the same run
    parsed.sort(key=lambda item: item[1].kind != "update")
    return [_upsert(session, d, str(file), now) for file, d in parsed]


def _check_updates(session: Session, parsed: list[tuple[Path, Definition]]) -> list[str]:
    batch = {d.key: d for _, d in parsed}
    problems: list[str] = []
    for file, d in parsed:
        if d.kind != "personal" or d.update is None:
            continue
        update = batch.get(d.update)
        if update is None:
            row = session.exec(select(QuickScan).where(QuickScan.key == d.update)).first()
            update = definition_of(row) if row is not None else None
        if update is None:
            problems.append(f"{file}: update: QuickScan {d.update!r} is not loaded; "
                            "load it first or load both files together")
            continue
        try:
            check_update_rule(d, update, str(file))
        except FileProblems as exc:
            problems.extend(exc.problems)
    return problems


def _upsert(session: Session, d: Definition, source: str, now: datetime) -> Loaded:
    text = json.dumps(d.to_data(), ensure_ascii=False, sort_keys=True)
    row = session.exec(select(QuickScan).where(QuickScan.key == d.key)).first()
    status = "new" if row is None else ("unchanged" if row.definition == text else "changed")
    if row is None:
        row = QuickScan(key=d.key, title=d.title, kind=d.kind, definition=text)
    if status != "unchanged":  # loaded_at says when the rules last changed (see faces.py)
        row.definition, row.loaded_at = text, now
    row.title, row.kind, row.source = d.title, d.kind, source[-500:]
    session.add(row)
    session.flush()
    return Loaded(key=d.key, title=d.title, kind=d.kind, questions=len(d.questions()),
                  status=status, source=source)


def ensure_shipped(*, session: Session, now: datetime) -> None:
    """Load the shipped definitions when the database has no QuickScan at all
    (flushed; the caller's commit keeps them)."""
    if session.exec(select(func.count()).select_from(QuickScan)).one() == 0:
        _load(session=session, now=now, files=_files(shipped_dir()))


def get_quickscan(*, session: Session, key: str, now: datetime | None = None) -> QuickScan:
    """The QuickScan with ``key``; NotFound lists the loaded keys."""
    if now is not None:
        ensure_shipped(session=session, now=now)
    row = session.exec(select(QuickScan).where(QuickScan.key == key.strip())).first()
    if row is None:
        known = session.exec(select(QuickScan.key).order_by(QuickScan.key)).all()
        raise NotFound(f"unknown quickscan {key!r} (loaded: {', '.join(known) or 'none'})")
    return row


def list_quickscans(*, session: Session, now: datetime) -> list[dict[str, Any]]:
    ensure_shipped(session=session, now=now)
    rows = session.exec(select(QuickScan).order_by(QuickScan.key)).all()
    out = []
    for row in rows:
        d = definition_of(row)
        out.append({"key": row.key, "title": row.title, "kind": row.kind,
                    "questions": len(d.questions()), "update": d.update,
                    "loaded_at": row.loaded_at, "source": row.source})
    return out
