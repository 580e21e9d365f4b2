"""One row of a client file, checked without touching the database.

Pure functions, so the rules (codes, e-mail addresses, lengths, yes/no) are tested
without I/O and the importer only resolves teams, relationship managers and upserts.
Problems come back as ``file:row:column: message`` with the header as the user wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from quickcrm.codes import SEGMENTS, parse_stage
from quickcrm.crm.columns import CLIENT_COLUMNS
from quickcrm.documents.tabular import normalize_header, unescape_cell
from quickcrm.errors import InvalidInput

# Stored on the relation (besides number, team and relationship manager).
RELATION_FIELDS = ("company", "address", "postcode", "city", "industry", "size", "ownership",
                   "client_group", "life_cycle", "entrepreneur_type", "stage")
# Stored on the relation's campaign contact (a Person).
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "opted_out")
RM_FIELDS = ("rm_first_name", "rm_last_name", "rm_email")
EMAIL_FIELDS = ("email", "rm_email")
MAX_LENGTH = {"relation_number": 50, "company": 300, "address": 300, "postcode": 20,
              "city": 120, "first_name": 100, "last_name": 150, "email": 320, "phone": 40,
              "team": 200, "rm_first_name": 100, "rm_last_name": 150, "rm_email": 320}
_NOT_IN_EMAIL = re.compile(r"[\s,;<>]")


def valid_email(text: str) -> bool:
    """The addresses ``crm.users.EMAIL_RE`` accepts, checked without a backtracking
    regex (a million of them per import)."""
    local, at, domain = text.partition("@")
    head, _, tld = domain.rpartition(".")
    return bool(local and at and head and "@" not in domain and len(tld) >= 2
                and tld.isascii() and tld.isalpha() and not _NOT_IN_EMAIL.search(text))


YES = frozenset({"ja", "j", "yes", "y", "1", "true", "waar", "x"})
NO = frozenset({"nee", "n", "no", "0", "false", "onwaar", ""})


def header_aliases() -> dict[str, str]:
    """Normalised header -> field: the Dutch header, the snake_case alias, and the
    alias with spaces (``relation number``)."""
    aliases: dict[str, str] = {}
    for col in CLIENT_COLUMNS:
        for name in (col.header, col.field, col.field.replace("_", " ")):
            aliases[normalize_header(name)] = col.field
    return aliases


@dataclass(slots=True)
class ClientRow:
    """A checked row: only the columns present in the file are in the dicts, so an
    import never blanks a field it was not given."""

    row: int
    cells: list[str]
    number: str
    relation: dict[str, object] = field(default_factory=dict)
    person: dict[str, object] = field(default_factory=dict)
    team: str | None = None
    rm: dict[str, str] = field(default_factory=dict)


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise InvalidInput(f"expected ja or nee, not {text!r}")


def _value(name: str, text: str) -> object:
    if name in SEGMENTS:
        return SEGMENTS[name].parse(text)
    if name == "stage":
        return parse_stage(text)  # empty: keep the stage (a new relation: customer)
    if name == "opted_out":
        return parse_bool(text)
    text = " ".join(text.split()) if name in ("team", "rm_first_name", "rm_last_name") else text
    if name in EMAIL_FIELDS and text:
        text = text.lower()
        if not valid_email(text):
            raise InvalidInput(f"not a valid e-mail address: {text!r}")
    limit = MAX_LENGTH.get(name)
    if limit is not None and len(text) > limit:
        raise InvalidInput(f"longer than {limit} characters")
    return text


class _Bad(str):
    """A cell's problem, cached like a value so a repeated bad cell costs one lookup."""


_CACHED = frozenset(SEGMENTS) | {"stage", "opted_out", "team", "rm_first_name", "rm_last_name",
                                 "rm_email", "city"}
_CACHE_LIMIT = 50_000
_MISS = object()


def _convert(name: str, raw: str) -> object:
    try:
        return _value(name, unescape_cell(raw.strip()))
    except InvalidInput as exc:
        return _Bad(str(exc))


class RowParser:
    """Checks rows of one file. The plan (which column, which rule) is made once, and
    values that repeat (codes, teams, managers, cities) are converted once and cached:
    this is the hot loop of a 1,000,000-row import."""

    def __init__(self, file: str, columns: dict[str, int], headers: list[str]) -> None:
        self.file = file
        self.plan = [(name, index, headers[index].strip(), {} if name in _CACHED else None,
                      MAX_LENGTH.get(name, 10**9), name in EMAIL_FIELDS)
                     for name, index in columns.items()]
        self.number_header = headers[columns["relation_number"]].strip()
        self.relation_fields = [f for f in RELATION_FIELDS if f in columns]
        self.person_fields = [f for f in PERSON_FIELDS if f in columns]
        self.rm_fields = [f for f in RM_FIELDS if f in columns]

    def parse(self, row: int, cells: list[str]) -> tuple[ClientRow | None, list[str]]:
        """Check one row; returns the row (None when it has problems) and the problems."""
        values: dict[str, object] = {}
        problems: list[str] = []
        width = len(cells)
        for name, index, header, cache, limit, email in self.plan:
            raw = cells[index] if index < width else ""
            if cache is not None:
                value = cache.get(raw, _MISS)
                if value is _MISS:
                    if len(cache) > _CACHE_LIMIT:
                        cache.clear()
                    value = cache[raw] = _convert(name, raw)
            else:
                text = raw.strip()
                if email or text[:1] == "'" or len(text) > limit:
                    value = _convert(name, text)
                else:
                    value = text
            if type(value) is _Bad:
                problems.append(f"{self.file}:{row}:{header}: {value}")
            values[name] = value
        number = values["relation_number"]
        if not number:
            problems.insert(0, f"{self.file}:{row}:{self.number_header}: relation number is empty")
        if problems:
            return None, problems
        relation = {k: values[k] for k in self.relation_fields}
        if relation.get("stage", "") is None:
            del relation["stage"]
        team = values.get("team")
        return ClientRow(
            row=row, cells=cells, number=str(number), relation=relation,
            person={k: values[k] for k in self.person_fields},
            team=str(team) if team is not None else None,
            rm={k: str(values[k]) for k in self.rm_fields},
        ), []
