"""One row of a client file, checked without touching the database.

Pure functions, so the rules (codes, e-mail addresses, lengths, yes/no) are tested
without I/O and the importer only resolves teams, relationship managers and upserts.
Problems come back as ``file:row:column: message`` with the header as the user wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quickcrm.codes import SEGMENTS, parse_stage
from quickcrm.crm.columns import CLIENT_COLUMNS
from quickcrm.crm.users import EMAIL_RE
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
        if not EMAIL_RE.match(text):
            raise InvalidInput(f"not a valid e-mail address: {text!r}")
    limit = MAX_LENGTH.get(name)
    if limit is not None and len(text) > limit:
        raise InvalidInput(f"longer than {limit} characters")
    return text


def parse_row(
    file: str, row: int, cells: list[str], columns: dict[str, int], headers: list[str]
) -> tuple[ClientRow | None, list[str]]:
    """Check one row; returns the row (None when it has problems) and the problems."""
    problems: list[str] = []
    values: dict[str, object] = {}
    for name, index in columns.items():
        text = unescape_cell(cells[index].strip()) if index < len(cells) else ""
        try:
            values[name] = _value(name, text)
        except InvalidInput as exc:
            problems.append(f"{file}:{row}:{headers[index].strip()}: {exc}")
    number = str(values.get("relation_number") or "")
    if not number and "relation_number" in columns:
        problems.insert(0, f"{file}:{row}:{headers[columns['relation_number']].strip()}: "
                           "relation number is empty")
    if problems:
        return None, problems
    if values.get("stage", "") is None:
        del values["stage"]
    team = values.get("team")
    return ClientRow(
        row=row, cells=cells, number=number,
        relation={k: values[k] for k in RELATION_FIELDS if k in values},
        person={k: values[k] for k in PERSON_FIELDS if k in values},
        team=str(team) if team is not None else None,
        rm={k: str(values[k]) for k in RM_FIELDS if k in values},
    ), []
