"""One row of a client file, checked without touching the database.

Pure functions, so the rules (codes, e-mail addresses, lengths, yes/no) are tested
without I/O and the importer only resolves teams, relationship managers and upserts.
Problems come back as ``file:row:column: message`` with the header as the user wrote it.
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import Any

from quickcrm.codes import SEGMENTS, parse_stage
from quickcrm.crm.columns import CLIENT_COLUMNS
from quickcrm.crm.headers import aliases
from quickcrm.documents.tabular import unescape_cell
from quickcrm.errors import InvalidInput, Problem

# Stored on the relation (besides number, team and relationship manager).
RELATION_FIELDS = ("company", "address", "postcode", "city", "industry", "size", "ownership",
                   "client_group", "life_cycle", "entrepreneur_type", "stage", "latitude",
                   "longitude")
# Optional: a file without them is still complete (every relation keeps its coordinates).
COORDINATE_FIELDS = ("latitude", "longitude")
_BOUNDS = {"latitude": 90.0, "longitude": 180.0}
# Stored on the relation's campaign contact (a Person).
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "opted_out")
RM_FIELDS = ("rm_first_name", "rm_last_name", "rm_email")
EMAIL_FIELDS = ("email", "rm_email")
MAX_LENGTH = {"relation_number": 50, "company": 300, "address": 300, "postcode": 20,
              "city": 120, "first_name": 100, "last_name": 150, "email": 320, "phone": 40,
              "team": 200, "rm_first_name": 100, "rm_last_name": 150, "rm_email": 320}
# ``crm.users.EMAIL_RE`` as a whole match (no newline before the end either): no
# backtracking but over the domain's dots. A column of them is checked with one
# ``map`` of its ``fullmatch`` (a million of them per import).
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}")


def valid_email(text: str) -> bool:
    """The addresses ``crm.users.EMAIL_RE`` accepts (one @, a dot in the domain, a
    top-level domain of two or more ASCII letters, no spaces, commas, ; < or >)."""
    return _EMAIL.fullmatch(text) is not None


YES = frozenset({"ja", "j", "yes", "y", "1", "true", "waar", "x"})
NO = frozenset({"nee", "n", "no", "0", "false", "onwaar", ""})


def header_aliases() -> dict[str, str]:
    """Normalised header -> field of the client file: the one table every importer
    reads (``quickcrm.crm.headers``), for the client file's fields."""
    return aliases(col.field for col in CLIENT_COLUMNS)


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise InvalidInput(f"expected ja or nee, not {text!r}")


def parse_coordinate(name: str, text: str) -> float | None:
    """A latitude or longitude in decimal degrees (a decimal comma is accepted); empty:
    none."""
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise InvalidInput(f"not a number of degrees: {text!r}") from None
    bound = _BOUNDS[name]
    if not -bound <= value <= bound:
        raise InvalidInput(f"outside -{bound:g}..{bound:g} degrees: {text!r}")
    return value


def _value(name: str, text: str) -> object:
    if name in _BOUNDS:
        return parse_coordinate(name, text)
    if name in SEGMENTS:
        return SEGMENTS[name].parse(text)
    if name == "stage":
        return parse_stage(text)  # empty: keep the stage (a new relation: customer)
    if name == "opted_out":  # empty: keep (an opt-out sticks until an explicit "nee")
        return parse_bool(text) if text.strip() else None
    text = " ".join(text.split()) if name in ("team", "rm_first_name", "rm_last_name") else text
    if name in EMAIL_FIELDS and text:
        text = text.lower()
        if not valid_email(text):
            raise InvalidInput(f"not a valid e-mail address: {text!r}")
    limit = MAX_LENGTH.get(name)
    if limit is not None and len(text) > limit:
        raise InvalidInput(f"longer than {limit} characters")
    return text


class _Absent:
    """A column the file does not have (or an empty stage): the stored value stays."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()
# The order of a checked row's values; the row's position in its batch follows them.
FIELDS = (*RELATION_FIELDS, *PERSON_FIELDS, "team", *RM_FIELDS, "relation_number")
IX = {f: i for i, f in enumerate(FIELDS)}
NUMBER, POS = IX["relation_number"], len(FIELDS)
# A checked row: values in FIELDS order (ABSENT where the file said nothing, so an
# import never blanks a field it was not given), then the position in the batch. A
# plain tuple, because a million rows of objects cost more than the import itself.
Values = tuple[Any, ...]


def text(values: Values, name: str) -> str:
    value = values[IX[name]]
    return "" if value is ABSENT else str(value)


class _Bad(str):
    """A cell's problem, cached like a value so a repeated bad cell costs one lookup."""


_CACHED = frozenset(SEGMENTS) | {"stage", "opted_out", "team", "rm_first_name", "rm_last_name",
                                 "rm_email", "city", *COORDINATE_FIELDS}
_CACHE_LIMIT = 50_000


def _convert(name: str, raw: str) -> object:
    try:
        value = _value(name, unescape_cell(raw.strip()))
    except InvalidInput as exc:
        return _Bad(str(exc))
    return ABSENT if name in ("stage", "opted_out") and value is None else value


def _coordinates(name: str, col: list[str]) -> list[object] | None:
    """A column of plain decimal degrees (the usual file: every cell filled, a decimal
    point) converted in C, or None when some cell needs ``parse_coordinate``'s care
    (empty, a decimal comma, an apostrophe, nan/inf, out of bounds)."""
    joined = "".join(col)
    if "," in joined or "'" in joined or "n" in joined or "N" in joined:
        return None
    try:
        values = list(map(float, col))
    except ValueError:  # an empty cell among them
        return None
    bound = _BOUNDS[name]
    if values and (min(values) < -bound or max(values) > bound):
        return None
    return values  # type: ignore[return-value]


class RowParser:
    """Checks the rows of one file a batch at a time, column by column: a column's
    values repeat (codes, teams, managers, cities), so each distinct value is converted
    once and cached, and plain text columns are stripped with C-level ``map``. This is
    the hot loop of a 1,000,000-row import."""

    def __init__(self, file: str, columns: dict[str, int], headers: list[str]) -> None:
        self.file, self.columns, self.width = file, columns, len(headers)
        self.headers = [h.strip() for h in headers]
        self.caches: dict[str, dict[str, object]] = {f: {} for f in _CACHED}

    def _column(self, name: str, col: list[str]) -> tuple[list[object], list[int]]:
        """The converted values of one column and the positions that have a problem."""
        if name in _BOUNDS:
            fast = _coordinates(name, col)
            if fast is not None:
                return fast, []
        if name in _CACHED:
            cache = self.caches[name]
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            distinct = set(col)
            for raw in distinct.difference(cache):
                cache[raw] = _convert(name, raw)
            values: list[object] = list(map(cache.__getitem__, col))
            if not any(type(cache[raw]) is _Bad for raw in distinct):
                return values, []
        else:
            stripped = list(map(str.strip, col))
            joined = "\0".join(stripped)
            limit = MAX_LENGTH.get(name, 10**9)
            if name in EMAIL_FIELDS:  # lower case, each checked by one C-level map
                stripped = list(map(str.lower, stripped))
            if (joined.startswith("'") or "\0'" in joined
                    or max(map(len, stripped), default=0) > limit
                    or (name in EMAIL_FIELDS
                        and not all(map(_EMAIL.fullmatch, filter(None, stripped))))):
                values = [_convert(name, v) for v in stripped]
            elif name == "relation_number" and not all(stripped):
                values = list(stripped)
            else:  # every cell as it is: nothing to look for
                return list(stripped), []
            if name == "relation_number":
                values = [v if v else _Bad("relation number is empty") for v in values]
        return values, [i for i, v in enumerate(values) if type(v) is _Bad]

    def parse_batch(
        self, chunk: list[tuple[int, list[str]]]
    ) -> tuple[list[Values], list[tuple[int, list[str], list[Problem]]]]:
        """Check a batch; returns the good rows and (row, cells, problems) for the rest,
        problems in the file's column order."""
        width = self.width
        padded = [c for _, c in chunk]
        if min(map(len, padded), default=width) < width:  # short rows: as if empty cells
            padded = [c if len(c) >= width else c + [""] * (width - len(c)) for c in padded]
        absent = (ABSENT,) * len(chunk)
        value_cols: list[Any] = []
        problems: dict[int, list[tuple[int, Problem]]] = {}
        for name in FIELDS:
            index = self.columns.get(name)
            if index is None:
                value_cols.append(absent)
                continue
            values, bad = self._column(name, list(map(itemgetter(index), padded)))
            for pos in bad:
                problems.setdefault(pos, []).append(
                    (index, Problem(self.file, chunk[pos][0], self.headers[index], str(values[pos]))))
            value_cols.append(values)
        value_cols.append(range(len(chunk)))
        rows = list(zip(*value_cols, strict=True))
        if not problems:
            return rows, []
        rejected = [(chunk[pos][0], chunk[pos][1], [m for _, m in sorted(found, key=itemgetter(0))])
                    for pos, found in sorted(problems.items())]
        return [r for r in rows if r[POS] not in problems], rejected
