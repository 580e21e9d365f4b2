"""Segmentation codes of seed 000 (Excel columns F-K) and the faces, as pure lookups.

An importer accepts a code ("7", "B"), a label ("Handel") or both ("7. Handel"),
case- and whitespace-insensitively. The store keeps the code as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quickcrm.errors import InvalidInput


@dataclass(frozen=True)
class CodeTable:
    field: str
    dutch: str
    entries: tuple[tuple[str, str], ...]

    def label(self, code: str | None) -> str:
        return dict(self.entries).get(code or "", "")

    def display(self, code: str | None) -> str:
        """``"7. Handel"``: the form exports write, so that both people and imports read it."""
        return f"{code}. {self.label(code)}" if code else ""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.entries)

    def _lookup(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for code, label in self.entries:
            table[_norm(code)] = code
            table[_norm(label)] = code
        return table

    def parse(self, value: object) -> str | None:
        """The code for ``value``, ``None`` for empty; raises InvalidInput when unknown."""
        code = parse_code(self, value)
        return code


_SLASH = re.compile(r"\s*/\s*")


def _norm(text: str) -> str:
    """Case, runs of spaces and the spaces around ``/`` do not matter
    (``VOF/Eenmanszaak`` is ``VOF / Eenmanszaak``)."""
    return _SLASH.sub(" / ", " ".join(text.lower().split()))


# "7. Handel", "7) Handel", "7 - Handel", "7 Handel", "B: DGA"
_SPLIT = re.compile(r"^([0-9]+|[a-z])(?:\s*[.):-]\s*|\s+)(.*)$", re.IGNORECASE)
# "07", "7.0" (a spreadsheet's number), "7,0"
_NUMBER = re.compile(r"^0*([0-9]+)(?:[.,]0+)?$")
_LOOKUPS: dict[str, dict[str, str]] = {}


def _code_of(lookup: dict[str, str], text: str) -> str | None:
    code = lookup.get(text)
    if code is None and (number := _NUMBER.match(text)):
        code = lookup.get(number.group(1))
    return code


def parse_code(table: CodeTable, value: object) -> str | None:
    """The code for a cell as users type it: the code, the label or both, in the
    forms listed above; ``None`` for empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _norm(str(value))
    if not text:
        return None
    lookup = _LOOKUPS.get(table.field)
    if lookup is None:
        lookup = _LOOKUPS[table.field] = table._lookup()
    code = _code_of(lookup, text)
    if code is not None:
        return code
    match = _SPLIT.match(text)
    if match:
        code = _code_of(lookup, match.group(1))
        label = match.group(2)
        if code is not None and (not label or _norm(table.label(code)) == label):
            return code
    allowed = ", ".join(f"{c} {lbl}" for c, lbl in table.entries)
    raise InvalidInput(f"unknown {table.dutch.lower()} {str(value)!r} (expected one of: {allowed})")


INDUSTRY = CodeTable("industry", "Branche", (
    ("1", "Bouw"), ("2", "Zakelijke dienstverlening"), ("3", "Persoonlijke dienstverlening"),
    ("4", "Family Office"), ("5", "Transport en logistiek"), ("6", "Horeca en recreatie"),
    ("7", "Handel"), ("8", "Zorg"), ("9", "Medisch specialisten"), ("10", "Industrie"),
    ("11", "Automotive"), ("12", "Publieke sector"), ("13", "Overig"),
))
SIZE = CodeTable("size", "Omvang", (("1", "Micro"), ("2", "Klein"), ("3", "Middel"), ("4", "Groot")))
OWNERSHIP = CodeTable("ownership", "Eigendom", (
    ("A", "Familiegeleide onderneming"), ("B", "DGA geleide onderneming"),
    ("C", "Zakelijk partners"), ("D", "Private equity"), ("E", "VOF / Eenmanszaak"),
    ("F", "Maatschap"), ("G", "Publiek"), ("H", "Stichting"), ("I", "Anders"),
))
CLIENT_GROUP = CodeTable("client_group", "Profiel klant", (
    ("A", "Tijd en aandacht"), ("B", "Onderhouden"), ("C", "Gericht ontwikkelen"),
    ("D", "Efficiency verhogen"),
))
LIFE_CYCLE = CodeTable("life_cycle", "Levenscyclus", (
    ("A", "Start"), ("B", "Groei"), ("C", "Consolidatie"), ("D", "(Her)structurering"),
    ("E", "Exit"),
))
ENTREPRENEUR_TYPE = CodeTable("entrepreneur_type", "Soort ondernemer", (
    ("A", "IB-ondernemer"), ("B", "DGA"), ("C", "Niet relevant"),
))
FACE = CodeTable("face", "Happy Face", (("1", "Positief"), ("2", "Neutraal"), ("3", "Negatief")))

SEGMENTS: dict[str, CodeTable] = {
    t.field: t for t in (INDUSTRY, SIZE, OWNERSHIP, CLIENT_GROUP, LIFE_CYCLE, ENTREPRENEUR_TYPE)
}

# Life-cycle stage of a relation (seed 004): suspect -> prospect -> customer -> ex-customer.
STAGES: tuple[str, ...] = ("suspect", "prospect", "customer", "ex-customer")
_STAGE_ALIASES = {
    "suspect": "suspect", "prospect": "prospect", "customer": "customer", "klant": "customer",
    "ex-customer": "ex-customer", "ex-klant": "ex-customer", "exklant": "ex-customer",
    "oud-klant": "ex-customer",
}
STAGE_DUTCH = {"suspect": "suspect", "prospect": "prospect", "customer": "klant",
               "ex-customer": "ex-klant"}


def parse_stage(value: object) -> str | None:
    text = _norm(str(value or ""))
    if not text:
        return None
    stage = _STAGE_ALIASES.get(text)
    if stage is None:
        raise InvalidInput(f"unknown stage {value!r} (expected suspect, prospect, klant, ex-klant)")
    return stage
