"""`import activities`: contact moments from other systems (a .csv or .xlsx file),
`attention log` (one by hand) and `attention solve` (a helpdesk call solved).

Columns: "Relatienummer", "Datum" (a date or a local date-time), "Medewerker" (e-mail
or initials), "Soort", "Kanaal", "Onderwerp", "Bedrag" (sales and invoices), "Status"
(open/opgelost, helpdesk). One transaction: on any problem (without ``skip_invalid``)
nothing is written and every problem is reported as ``file:row:column: message``. An
unknown Medewerker e-mail becomes a user without rights, as relationship managers do in
``import clients``. Rows are checked with caches of the values they repeat (relations,
users, kinds, channels, dates) and written ``BATCH`` at a time with ``record_many``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlmodel import Session

from quickcrm import events, permissions
from quickcrm.attention import kinds
from quickcrm.attention.monitor import MONITOR
from quickcrm.attention.scope import initials_key
from quickcrm.crm.headers import aliases
from quickcrm.crm.users import initials_of, normalize_email
from quickcrm.documents.tabular import match_headers, open_table, unescape_cell
from quickcrm.errors import FileProblems, InvalidInput, InvalidState, NotFound, Problem
from quickcrm.permissions import Actor
from quickcrm.store.db import bulk_page_cache
from quickcrm.store.models import Event, Relation, User

R = Relation.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
E = Event.metadata.tables["event"]  # read only: written by quickcrm.events

BATCH = 5000
CACHE_KIB = 65536  # SQLite page cache during an import
PROBLEM_LIMIT = 50
# The file's columns: this importer's name -> the field in the one header table every
# importer reads (quickcrm.crm.headers: "Relatienummer", "relatie nr", "Datum", "date", ...)
# and the header messages name, in the order a row's problems are listed.
FIELDS = {"number": "relation_number", "date": "date", "user": "user", "kind": "kind",
          "channel": "channel", "subject": "subject", "amount": "amount", "status": "status"}
COLUMNS: dict[str, str] = {"number": "Relatienummer", "date": "Datum", "user": "Medewerker",
                           "kind": "Soort", "channel": "Kanaal", "subject": "Onderwerp",
                           "amount": "Bedrag", "status": "Status"}
REQUIRED = ("number", "date", "kind")
_DUTCH_DATE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # C0 controls but tab and newline
STATUSES = {"open": "open", "opgelost": "opgelost", "solved": "opgelost", "closed": "opgelost",
            "gesloten": "opgelost"}


@dataclass
class ActivityResult:
    imported: int = 0
    rejected: int = 0
    users_created: int = 0
    errors: list[Problem] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"imported": self.imported, "rejected": self.rejected,
                "users_created": self.users_created,
                "errors": [p.to_json() for p in self.errors], "error_count": self.error_count}


def parse_when(text: str, tz: str) -> datetime:
    """A date (the start of that local day) or a local date-time, ISO or d-m-yyyy."""
    text = text.strip()
    zone = ZoneInfo(tz)
    match = _DUTCH_DATE.match(text)
    try:
        if match:
            d, m, y, hh, mm, ss = match.groups()
            value = datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
        else:
            value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"not a date or date-time: {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    if len(text) <= 10 and value.time() == time():
        value = datetime.combine(value.date(), time(), zone)
    return value.astimezone(UTC)


def parse_amount(text: str) -> float:
    """``1234.56``, ``1.234,56``, ``1234,56``, ``€ 1.234``."""
    raw = text.strip().replace("€", "").replace(" ", "").replace("\u00a0", "")
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif raw.count(".") > 1 or re.fullmatch(r"-?\d{1,3}(\.\d{3})+", raw):
        raw = raw.replace(".", "")
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"not an amount: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(f"not an amount: {text!r}")
    return round(value, 2)


def _aliases() -> dict[str, str]:
    return aliases({field: name for name, field in FIELDS.items()})


class _Resolver:
    """Caches of one import: relation numbers, users by e-mail and initials."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.conn, self.now = session.connection(), now
        self.relations: dict[str, int | None] = {}
        self.by_email: dict[str, int] = {}
        self.by_initials: dict[str, list[int]] = {}
        for uid, email, ini in self.conn.execute(select(U.c.id, U.c.email, U.c.initials)):
            self.by_email[email.lower()] = uid
            if ini:
                self.by_initials.setdefault(initials_key(ini), []).append(uid)
        self.created = 0

    def load_numbers(self, numbers: set[str]) -> None:
        wanted = [n for n in numbers if n not in self.relations]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found = dict((n, i) for i, n in self.conn.execute(
                select(R.c.id, R.c.number).where(R.c.number.in_(chunk))))
            for n in chunk:
                self.relations[n] = found.get(n)

    def user(self, text: str) -> int | None:
        text = text.strip()
        if not text:
            return None
        if "@" in text:
            email = normalize_email(text)
            uid = self.by_email.get(email)
            if uid is None:
                from quickcrm.crm.client_rows import valid_email

                if not valid_email(email):
                    raise InvalidInput(f"not a valid e-mail address: {text!r}")
                local = email.partition("@")[0]
                first, _, last = local.replace("_", ".").partition(".")
                uid = int(self.conn.execute(insert(U).returning(U.c.id), {
                    "email": email, "first_name": first.capitalize(),
                    "last_name": last.capitalize(), "signature": "", "function": "",
                    "phone": "", "initials": initials_of(first, last), "active": True,
                    "created_at": self.now}).scalar_one())
                self.by_email[email] = uid
                self.created += 1
            return uid
        hits = self.by_initials.get(initials_key(text), [])
        if not hits:
            raise InvalidInput(f"no user has the initials {text!r} (give an e-mail address)")
        if len(hits) > 1:
            raise InvalidInput(f"initials {text!r} fit more than one user; give an e-mail")
        return hits[0]


def _converter(fn: Callable[[str], Any]) -> Callable[[str], Any]:
    """``fn`` over a column's text with a cache of its distinct values, a problem kept
    as an InvalidInput instance."""
    cache: dict[str, Any] = {}

    def convert(text: str) -> Any:
        hit = cache.get(text, cache)
        if hit is cache:
            try:
                hit = fn(text)
            except InvalidInput as exc:
                hit = exc
            if len(cache) > 50_000:
                cache.clear()
            cache[text] = hit
        return hit

    return convert


def _kind(text: str) -> str:
    kind = kinds.parse_soort(text)
    if kind is None:
        raise InvalidInput(f"unknown Soort {text.strip()!r} (known: "
                           f"{', '.join(kinds.SOORT_NAMES)})")
    return kind


def _channel(text: str) -> str | None:
    if not text.strip():
        return None
    channel = kinds.parse_channel(text)
    if channel is None:
        raise InvalidInput(f"unknown Kanaal {text.strip()!r} (known: {', '.join(kinds.CHANNELS)})")
    return channel


def _status(text: str) -> str | None:
    if not text.strip():
        return None
    status = STATUSES.get(text.strip().lower())
    if status is None:
        raise InvalidInput(f"unknown Status {text.strip()!r} (expected open or opgelost)")
    return status


def import_activities(*, session: Session, actor: Actor, now: datetime, tz: str,
                      path: str | Path, skip_invalid: bool = False, dry_run: bool = False,
                      progress: Callable[[int], None] | None = None) -> ActivityResult:
    """Record the contact moments of ``path``; see the module docstring."""
    permissions.require(actor, "import activities")
    name = str(path)
    table = open_table(path)
    columns, unknown = match_headers(table, _aliases())
    missing = [COLUMNS[c] for c in REQUIRED if c not in columns]
    if missing:
        raise FileProblems([Problem(name, 1, None, f"missing required column {h!r}")
                            for h in missing])
    result = ActivityResult(dry_run=dry_run)
    result.warnings = [f"{name}:1: unknown column {h!r} ignored" for h in unknown]
    batches = _Batches(session, now, tz, name, columns, table.headers)
    problems: list[Problem] = []
    it = table.rows()
    with bulk_page_cache(session, CACHE_KIB):
        while chunk := list(islice(it, BATCH)):
            entries, bad, rejected = batches.check(chunk)
            problems.extend(bad)
            result.rejected += rejected
            if entries:
                events.record_many(session, entries, at=now)
                result.imported += len(entries)
            if progress is not None:
                progress(len(chunk))
    result.users_created = batches.resolver.created
    if result.users_created:
        result.warnings.append(f"{name}: {result.users_created} unknown Medewerker e-mail "
                               f"address{'es' if result.users_created != 1 else ''} became "
                               "users without rights")
    if problems and not skip_invalid:
        session.rollback()
        raise FileProblems(problems[:PROBLEM_LIMIT], len(problems))
    result.errors, result.error_count = problems[:PROBLEM_LIMIT], len(problems)
    if dry_run:
        session.rollback()
        return result
    events.record(session, kind=events.ACTIVITIES_IMPORTED, at=now, user_id=actor.id, file=name,
                  imported=result.imported, rejected=result.rejected,
                  users_created=result.users_created)
    session.commit()
    return result


class _Batches:
    """Checks a file's rows a batch at a time, column by column (a column's values
    repeat, so each distinct one is converted once), and makes their events."""

    def __init__(self, session: Session, now: datetime, tz: str, file: str,
                 columns: dict[str, int], headers: list[str]) -> None:
        self.file, self.columns, self.width = file, columns, len(headers)
        self.headers = {c: headers[i].strip() for c, i in columns.items()}
        self.resolver = _Resolver(session, now)
        self.convert = {"date": _converter(lambda t: parse_when(t, tz)),
                        "user": _converter(self.resolver.user), "kind": _converter(_kind),
                        "channel": _converter(_channel), "status": _converter(_status),
                        "amount": _converter(parse_amount)}
        self.source = {"source": "import", "file": file}
        self.details: dict[tuple[str, str | None], dict[str, Any]] = {}

    def _texts(self, padded: list[list[str]], column: str) -> list[str]:
        index = self.columns.get(column)
        if index is None:
            return [""] * len(padded)
        texts = list(map(str.strip, map(itemgetter(index), padded)))
        joined = "\n".join(texts)
        if _CONTROL.search(joined.replace("\n", "")):  # PostgreSQL refuses NUL: never stored
            texts = [_CONTROL.sub("", t) for t in texts]
        if joined.startswith("'") or "\n'" in joined:
            texts = [unescape_cell(t) for t in texts]
        return texts

    def _problem(self, row: int, column: str, message: str) -> Problem:
        return Problem(self.file, row, self.headers.get(column, COLUMNS[column]), message)

    def _detail(self, subject: str, status: str | None) -> dict[str, Any]:
        """One details mapping per (subject, status): repeated ones are shared, and
        ``record_many`` encodes each once."""
        key = (subject, status)
        found = self.details.get(key)
        if found is None:
            found = dict(self.source)
            if subject:
                found["subject"] = subject[:500]
            if status is not None:
                found["status"] = status
            if len(self.details) > 50_000:
                self.details.clear()
            self.details[key] = found
        return found

    def check(self, chunk: list[tuple[int, list[str]]]
              ) -> tuple[list[events.Entry], list[Problem], int]:
        width = self.width
        padded = [c if len(c) >= width else c + [""] * (width - len(c)) for _, c in chunk]
        rows = [r for r, _ in chunk]
        numbers = self._texts(padded, "number")
        self.resolver.load_numbers(set(numbers))
        relation_of = self.resolver.relations.get
        rids = [relation_of(n) if n else None for n in numbers]
        values: dict[str, list[Any]] = {}
        bad: dict[int, list[Problem]] = {}

        def flag(pos: int, column: str, message: str) -> None:
            bad.setdefault(pos, []).append(self._problem(rows[pos], column, message))

        for pos, (number, rid) in enumerate(zip(numbers, rids, strict=True)):
            if rid is None:
                flag(pos, "number", f"unknown relation number {number!r}" if number
                     else "relation number is empty")
        for column in ("date", "user", "kind", "channel", "amount", "status"):
            convert = self.convert[column]
            got = [convert(t) if t else None for t in self._texts(padded, column)]
            for pos, value in enumerate(got):
                if value is None and column in ("date", "kind"):
                    flag(pos, column, "date is empty" if column == "date" else "Soort is empty")
                elif type(value) is InvalidInput:
                    flag(pos, column, str(value))
            values[column] = got
        for pos, (kind, amount, status) in enumerate(zip(
                values["kind"], values["amount"], values["status"], strict=True)):
            if type(kind) is not str:
                continue
            if amount is not None and type(amount) is float and kind not in kinds.AMOUNT_KINDS:
                flag(pos, "amount", "an amount belongs to sales and invoices only")
            if status is not None and type(status) is str and kind != kinds.CALLS:
                flag(pos, "status", "a Status belongs to helpdesk rows only")
        subjects = self._texts(padded, "subject")
        entries = []
        detail, calls, entry = self._detail, kinds.CALLS, events.Entry
        for pos, (rid, when, user, kind, channel, amount, status, subject) in enumerate(zip(
                rids, values["date"], values["user"], values["kind"], values["channel"],
                values["amount"], values["status"], subjects, strict=True)):
            if bad and pos in bad:
                continue
            entries.append(entry(kind, rid, None, user,
                                 detail(subject, (status or "open") if kind == calls else None),
                                 channel, amount, when))
        problems = [p for pos in sorted(bad) for p in sorted(
            bad[pos], key=lambda p: list(COLUMNS).index(_column_of(p, self.headers)))]
        return entries, problems, len(bad)


def _column_of(problem: Problem, headers: dict[str, str]) -> str:
    """The field a problem's column header names (for ordering a row's problems)."""
    for field_, header in headers.items():
        if header == problem.column:
            return field_
    return next((f for f, h in COLUMNS.items() if h == problem.column), "number")


def log_contact(*, session: Session, actor: Actor, now: datetime, number: str, kind: str,
                channel: str | None = None, subject: str = "", at: datetime | None = None,
                amount: float | None = None) -> dict[str, Any]:
    """One contact moment recorded by hand, for ``actor``; returns it."""
    permissions.require(actor, MONITOR)
    event_kind = kinds.parse_soort(kind)
    if event_kind is None:
        raise InvalidInput(f"unknown --kind {kind!r} (known: {', '.join(kinds.SOORT_NAMES)})")
    chan = None
    if channel:
        chan = kinds.parse_channel(channel)
        if chan is None:
            raise InvalidInput(f"unknown --channel {channel!r} (known: {', '.join(kinds.CHANNELS)})")
    if amount is not None and event_kind not in kinds.AMOUNT_KINDS:
        raise InvalidInput("--amount belongs to sales and invoices only")
    rid = session.connection().execute(
        select(R.c.id).where(R.c.number == number.strip())).scalar()
    if rid is None:
        raise NotFound(f"unknown relation number {number.strip()!r}")
    details: dict[str, Any] = {"source": "log"}
    subject = _CONTROL.sub("", subject).strip()
    if subject:
        details["subject"] = subject[:500]
    if event_kind == kinds.CALLS:
        details["status"] = "open"
    when = at or now
    events.record_many(session, [events.Entry(event_kind, rid, None, actor.id, details, chan,
                                              amount, when)], at=now)
    eid = session.connection().execute(
        select(E.c.id).where(E.c.relation_id == rid, E.c.kind == event_kind)
        .order_by(E.c.id.desc()).limit(1)).scalar_one()
    session.commit()
    return {"id": eid, "relation": number.strip(), "kind": event_kind, "channel": chan,
            "subject": details.get("subject", ""), "at": when}


def solve_call(*, session: Session, actor: Actor, now: datetime, event_id: int
               ) -> dict[str, Any]:
    """Mark a helpdesk call solved (a ``helpdesk.solved`` event naming it)."""
    from quickcrm.attention.monitor import helpdesk_status

    permissions.require(actor, MONITOR)
    row = session.connection().execute(
        select(E.c.id, E.c.kind, E.c.relation_id).where(E.c.id == event_id)).first()
    if row is None or row.kind != kinds.CALLS:
        raise NotFound(f"no helpdesk call has the id {event_id} "
                       "(attention timeline RELNR lists them)")
    if helpdesk_status(session, call_ids=[event_id]).get(event_id):
        raise InvalidState(f"helpdesk call {event_id} is solved already")
    events.record(session, kind=events.HELPDESK_SOLVED, at=now, relation_id=row.relation_id,
                  user_id=actor.id, call_id=event_id)
    session.commit()
    return {"id": event_id, "solved": True, "at": now}
