"""`import clients`: a client file (.csv/.xlsx) upserted by relation number.

Fast because it streams: rows are read and checked one at a time, written in batches of
``BATCH`` with one SELECT for the batch's existing relations (and their campaign
contacts) and one executemany per kind of change, never one ORM object per row. Safe
because it is one transaction: on any problem (without ``skip_invalid``) everything is
rolled back and every problem is reported as ``file:row:column: message``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlmodel import Session

from quickcrm import permissions
from quickcrm.crm.client_rows import NUMBER, POS, RowParser, Values, header_aliases
from quickcrm.crm.client_store import BULK_TABLES, ClientStore
from quickcrm.crm.users import Actor
from quickcrm.documents.tabular import (
    csv_row,
    csv_writer,
    match_headers,
    open_table,
    unescape_cell,
)
from quickcrm.errors import FileProblems, Problem
from quickcrm.events import CLIENTS_IMPORTED, record
from quickcrm.store.db import bulk_page_cache, first_load

BATCH = 5000
PROBLEM_LIMIT = 50


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[Problem] = field(default_factory=list)  # the first PROBLEM_LIMIT
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    rejects_path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "errors": [p.to_json() for p in self.errors],
                "error_count": self.error_count}

    def error_lines(self) -> list[str]:
        """The problems for people: one line each, then how many more there were."""
        more = self.error_count - len(self.errors)
        return [str(p) for p in self.errors] + ([f"... and {more} more problems"] if more > 0 else [])


class _Problems:
    """The first PROBLEM_LIMIT problems and a count of all of them."""

    def __init__(self) -> None:
        self.shown: list[Problem] = []
        self.total = 0

    def add(self, problems: list[Problem]) -> None:
        self.total += len(problems)
        room = PROBLEM_LIMIT - len(self.shown)
        if room > 0:
            self.shown.extend(problems[:room])


class _Rejects:
    """The rejects file, opened on the first rejected row: the row as read plus a reason."""

    def __init__(self, path: Path, headers: list[str]) -> None:
        self.path, self.headers = path, headers
        self._file: IO[str] | None = None
        self._writer: Any = None

    def write(self, cells: list[str], problems: list[Problem]) -> None:
        """The row and its reason: "column: message" for each problem."""
        reason = "; ".join(f"{p.column}: {p.message}" if p.column else p.message
                           for p in problems)
        if self._writer is None:
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv_writer(self._file)
            self._writer.writerow(csv_row([*self.headers, "Reden"]))
        self._writer.writerow(csv_row([unescape_cell(c) for c in cells] + [reason]))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic collector rescans the heap again and again while a million rows of
    tuples are made, though none of them form cycles (refcounting frees each batch):
    about a tenth of an import's time. Off for the loop, back on after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _without_duplicates(rows: list[Values], chunk: list[tuple[int, list[str]]], seen: set[str],
                        bad: list[Any], file: str, header: str) -> list[Values]:
    """Refuse a relation number that an earlier row already had."""
    good = []
    for values in rows:
        number = values[NUMBER]
        if number in seen:
            row, cells = chunk[values[POS]]
            bad.append((row, cells, [Problem(file, row, header, f"relation number {number!r} "
                                                                "appears on an earlier row too")]))
            continue
        seen.add(number)
        good.append(values)
    return good


def import_clients(
    *,
    session: Session,
    actor: Actor,
    now: datetime,
    path: str | Path,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Upsert the clients of ``path``; see the module docstring for the guarantees.

    Problems name ``path`` as given, so a user finds the file they typed."""
    permissions.require(actor, "import clients")
    name = str(path)
    path = Path(path)
    table = open_table(path)
    columns, unknown = match_headers(table, header_aliases())
    if "relation_number" not in columns:
        raise FileProblems([Problem(name, 1, None,
                                    'missing required column "Relatienummer klant"')])
    result = ImportResult(dry_run=dry_run)
    result.warnings = [f"{name}:1: unknown column {h!r} ignored" for h in unknown]
    problems = _Problems()
    rejects = None
    if skip_invalid and not dry_run:
        result.rejects_path = Path(rejects_path) if rejects_path else path.with_name(
            f"{path.stem}.rejects.csv")
        rejects = _Rejects(result.rejects_path, table.headers)
    store = ClientStore(session.connection(), now=now, columns=set(columns), user_id=actor.id,
                        file=name)
    seen: set[str] = set()
    parser = RowParser(name, columns, table.headers)
    number_header = table.headers[columns["relation_number"]].strip()
    # a first import into an empty database builds the tables' indexes (and on
    # PostgreSQL checks their foreign keys) once, at the end
    with _no_cyclic_gc(), bulk_page_cache(session), first_load(
            session, BULK_TABLES, linked=("event",), when=store.empty) as alone:
        store.alone = alone
        try:
            for chunk in table.batches(BATCH):
                parsed, bad = parser.parse_batch(chunk)
                numbers = [r[NUMBER] for r in parsed]
                if seen.isdisjoint(numbers) and len(set(numbers)) == len(numbers):
                    good = parsed  # the usual case: no duplicates, no per-row loop
                    seen.update(numbers)
                else:
                    good = _without_duplicates(parsed, chunk, seen, bad, name, number_header)
                for pos, column, message in store.upsert(good, result):
                    row, cells = chunk[pos]
                    header = table.headers[columns[column]].strip() if column in columns else column
                    bad.append((row, cells, [Problem(name, row, header, message)]))
                bad.sort(key=lambda b: b[0])
                for _row, cells, found in bad:
                    problems.add(found)
                    result.rejected += 1
                    if rejects is not None:
                        rejects.write(cells, found)
                if progress is not None:
                    progress(len(chunk))
        finally:
            if rejects is not None:
                rejects.close()
    if problems.total and not skip_invalid:
        session.rollback()
        raise FileProblems(problems.shown, problems.total)
    result.errors, result.error_count = problems.shown, problems.total
    if dry_run:
        session.rollback()
        return result
    record(session, kind=CLIENTS_IMPORTED, at=now, user_id=actor.id, file=name,
           created=result.created, updated=result.updated, unchanged=result.unchanged,
           rejected=result.rejected, users_created=store.users_created,
           teams_created=store.teams_created)
    session.commit()
    return result

