"""The exclusion workbook of step 3 (seed 000: "Als hulpmiddel is een Excel-overzicht te
downloaden"): written for relationship managers, read back with their marks.

The visible sheet lists step 2 with a column "Uitsluiten". A hidden sheet holds the
campaign's id and an exact copy of every row as written, so that reading back can tell a
file of another campaign, and name each cell that was changed, each row that was added
or removed, instead of silently acting on an edited file. Text cells are written as
typed strings (never formulas, OWASP), faces as red/blue/green fills.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quickcrm.codes import FACE
from quickcrm.documents.tabular import cell_text, normalize_header, xlsx_text
from quickcrm.errors import FileProblems

SHEET = "Uitsluitingen"
HIDDEN = "quickcrm"
MARK = "Uitsluiten"
COLUMNS = ("Relatienummer", "Voornaam", "Achternaam", "Bedrijf", "Team", "Relatiemanager",
           "Volgens profiel", "Volgens update", "Volgens relatiemanager", MARK)
FACE_COLUMNS = (6, 7, 8)
FILLS = {"1": "63BE7B", "2": "5B9BD5", "3": "F8696B", None: "5B9BD5"}  # green, blue, red
MARKS = {"x", "1", "ja", "yes", "j", "y"}
UNMARKS = {"", "0", "nee", "no", "n"}
MAX_PROBLEMS = 20


def face_text(code: str | None) -> str:
    """``"1. Positief"``; a face nobody set shows as neutral, marked as not set."""
    return FACE.display(code) if code else "2. Neutraal (niet gezet)"


def parse_mark(text: str) -> bool | None:
    """x, 1, ja, yes (any case) mark a row; empty, 0, nee, no do not; None: unreadable."""
    value = text.strip().lower()
    if value in MARKS:
        return True
    if value in UNMARKS:
        return False
    return None


@dataclass(frozen=True)
class SheetRow:
    number: str
    first_name: str
    last_name: str
    company: str
    team: str
    rm: str
    faces: tuple[str | None, str | None, str | None]
    excluded: bool

    def cells(self) -> list[str]:
        """The row's content as written (every column but the mark)."""
        return [self.number, self.first_name, self.last_name, self.company, self.team,
                self.rm, *(face_text(f) for f in self.faces)]


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def write_sheet(path: Path, *, campaign_id: int, campaign: str, rows: Iterable[SheetRow]) -> int:
    """Write the workbook (streaming, openpyxl write_only); returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    book = Workbook(write_only=True)
    main, copy = book.create_sheet(SHEET), book.create_sheet(HIDDEN)
    copy.sheet_state = "hidden"

    def cell(sheet: Any, value: str, fill: str | None = None, bold: bool = False) -> Any:
        c = WriteOnlyCell(sheet, value=None)
        c._value, c.data_type = xlsx_text(value), "s"  # typed text: never a formula
        if fill:
            c.fill = PatternFill("solid", start_color=fill, end_color=fill)
        if bold:
            c.font = Font(bold=True)
        return c

    for i, width in enumerate((14, 14, 18, 30, 18, 24, 22, 22, 22, 11)):
        main.column_dimensions[_letter(i)].width = width
    main.freeze_panes = "A2"
    main.append([cell(main, h, bold=True) for h in COLUMNS])
    copy.append([cell(copy, "campaign_id"), cell(copy, str(campaign_id))])
    copy.append([cell(copy, "campaign"), cell(copy, campaign)])
    copy.append([cell(copy, h) for h in COLUMNS[:-1]])
    count = 0
    for row in rows:
        texts = row.cells()
        out = [cell(main, t, FILLS[row.faces[i - 6]] if i in FACE_COLUMNS else None)
               for i, t in enumerate(texts)]
        out.append(cell(main, "x" if row.excluded else ""))
        main.append(out)
        copy.append([cell(copy, t) for t in texts])
        count += 1
    main.auto_filter.ref = f"A1:{_letter(len(COLUMNS) - 1)}{count + 1}"
    book.save(path)
    return count


def _sheet_rows(book: Any, name: str) -> list[tuple[int, list[str]]]:
    sheet = book.get_sheet_by_name(name)
    start = sheet.start[0] if sheet.start else 0
    out = []
    for number, raw in enumerate(sheet.iter_rows(), start=start + 1):
        cells = [cell_text(v) for v in raw]
        if any(c.strip() for c in cells):
            out.append((number, cells))
    return out


def _padded(cells: Sequence[str], n: int) -> list[str]:
    return (list(cells) + [""] * n)[:n]


def read_marks(path: Path, *, campaign_id: int, campaign: str) -> dict[str, tuple[int, bool]]:
    """relation number -> (row, marked), from a workbook ``write_sheet`` wrote for this
    campaign; raises FileProblems (file, row, column, what) for anything but changed marks."""
    from python_calamine import CalamineWorkbook

    name = path.name
    if not path.is_file():
        raise FileProblems([f"{path}: no such file"])
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for a broken file
        raise FileProblems([f"{name}: not a readable .xlsx file ({exc})"]) from None
    if SHEET not in book.sheet_names or HIDDEN not in book.sheet_names:
        raise FileProblems([f"{name}: not an exclusion workbook of QuickCRM (download one "
                            f"with: quickcrm exclude CAMPAIGN --download FILE.xlsx)"])
    hidden = _sheet_rows(book, HIDDEN)
    ident = {cells[0]: _padded(cells, 2)[1] for _, cells in hidden[:2]}
    if ident.get("campaign_id") != str(campaign_id):
        raise FileProblems([f"{name}: this file belongs to campaign "
                            f"{ident.get('campaign', '?')!r}, not to {campaign!r}"])
    width = len(COLUMNS) - 1
    original = {cells[0]: (i + 4, _padded(cells, width)) for i, (_, cells) in enumerate(hidden[3:])}
    problems: list[str] = []
    rows = _sheet_rows(book, SHEET)
    header = _padded(rows[0][1], len(COLUMNS)) if rows else []
    for i, title in enumerate(COLUMNS):
        if not header or normalize_header(header[i]) != normalize_header(title):
            problems.append(f"{name}:1:{_letter(i)}: expected header {title!r}, "
                            f"found {(header[i] if header else '')!r}")
    marks: dict[str, tuple[int, bool]] = {}
    seen: dict[str, int] = {}
    for number, raw in rows[1:]:
        cells = _padded(raw, len(COLUMNS))
        relnr = cells[0].strip()
        if relnr in seen:
            problems.append(f"{name}:{number}:A: relation number {relnr!r} appears twice "
                            f"(also row {seen[relnr]})")
            continue
        seen[relnr] = number
        if relnr not in original:
            problems.append(f"{name}:{number}:A: relation number {relnr!r} was not in the "
                            f"downloaded file (rows may not be added or renumbered)")
            continue
        for i, (now, was) in enumerate(zip(cells[:width], original[relnr][1], strict=True)):
            if now != was:
                problems.append(f"{name}:{number}:{_letter(i)}: {COLUMNS[i]} was changed from "
                                f"{was!r} to {now!r}; only the column {MARK!r} may be edited")
        mark = parse_mark(cells[width])
        if mark is None:
            problems.append(f"{name}:{number}:{_letter(width)}: {cells[width]!r} is not a mark "
                            f"(use x, 1, ja or yes; leave empty to include)")
        else:
            marks[relnr] = (number, mark)
    for relnr, (_, _cells) in original.items():
        if relnr not in seen:
            problems.append(f"{name}: the row of relation number {relnr!r} was removed "
                            f"(keep every row; mark the ones to exclude)")
    if problems:
        raise FileProblems(problems[:MAX_PROBLEMS], len(problems))
    return marks
