"""A filled QuickScan's answers in a spreadsheet, as seed 000's "Toelichting Excel
rapportage" lays them out: one column per question headed "n. question text", sliders
and ratings as numbers, a choice as 'ke1'.., open text as typed. Used by the campaign
Excel download and the landing page report.

``AnswerSheet`` streams rows into an openpyxl write_only sheet. Text is always written
as a typed string cell, so a value starting with = + - @ is shown, never run; such a cell
also gets Excel's leading-apostrophe mark (the ``quotePrefix`` cell style, issue 25 item
12), so it stays text when someone edits it (F2, Enter) instead of turning into a
formula then. Control characters XML cannot hold become spaces (two words stay two
words). The header row wraps, so a long question stays readable in its column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from quickcrm.documents.tabular import FORMULA_TRIGGERS
from quickcrm.quickscans.schema import Question

DATE_FORMAT = "DD-MM-YYYY"
# XML 1.0 cannot hold these; openpyxl refuses them, so they become spaces.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
HEADER_MAX_WIDTH = 30  # characters; a longer header wraps onto more lines
HEADER_MAX_LINES = 6
POINTS_PER_LINE = 15.0


def question_header(number: int, question: Question) -> str:
    return f"{number}. {' '.join(question.text.split())}"


def answer_value(question: Question, value: str) -> str | int | float | None:
    """As the seed's table of question types says: sliders and ratings as numbers,
    a choice as 'ke1'.., open text as typed."""
    if value == "":
        return None
    if question.type in ("slider", "rating"):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    return value


class AnswerSheet:
    """A write_only sheet that turns plain values into the right cells: text as typed
    strings (never a formula), dates as date cells in the Dutch format."""

    def __init__(self, path: Path, headers: Sequence[str], title: str) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        self.path, self.headers = path, list(headers)
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title[:31] or "Blad1")
        self._cell = WriteOnlyCell
        self.rows = 0

    def text(self, value: str, bold: bool = False) -> Any:
        cell = self._cell(self.sheet)
        text = _ILLEGAL.sub(" ", value)
        cell._value = text  # bypass openpyxl's "=" means formula guess
        cell.data_type = "s"
        if text[:1] in FORMULA_TRIGGERS:
            cell.quotePrefix = True  # Excel's leading apostrophe: still text after F2/Enter
        if bold:
            from openpyxl.styles import Alignment, Font

            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    def date_cell(self, value: date) -> Any:
        cell = self._cell(self.sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell

    def convert(self, row: list[Any]) -> list[Any]:
        out = row[:]
        for i, value in enumerate(row):
            if value is None or value == "":
                out[i] = None
            elif type(value) is str:
                if value[:1] in FORMULA_TRIGGERS or _ILLEGAL.search(value):
                    out[i] = self.text(value)
            elif isinstance(value, date):
                out[i] = self.date_cell(value)
        return out

    def start(self, sample: list[list[Any]]) -> None:
        from openpyxl.utils import get_column_letter

        lines = 1
        for i, header in enumerate(self.headers):
            seen = [_width(r[i]) for r in sample]
            width = min(50, max([min(len(header), HEADER_MAX_WIDTH), *seen]) + 2)
            self.sheet.column_dimensions[get_column_letter(i + 1)].width = width
            lines = max(lines, _lines(header, width - 2))
        # Excel does not grow a row for wrapped text it did not lay out itself
        self.sheet.row_dimensions[1].height = POINTS_PER_LINE * min(lines, HEADER_MAX_LINES)
        self.sheet.freeze_panes = "A2"
        self.sheet.append([self.text(h, bold=True) for h in self.headers])

    def append(self, row: list[Any]) -> None:
        self.sheet.append(self.convert(row))
        self.rows += 1

    def add_sheet(self, title: str, headers: Sequence[str], rows: Sequence[list[Any]]) -> None:
        """A second sheet of plain values beside the answers (written the same safe way),
        e.g. the clients a campaign left out."""
        sheet = self.book.create_sheet(title[:31])
        sheet.append([self.text(h, bold=True) for h in headers])
        for row in rows:
            sheet.append(self.convert(row))

    def save(self) -> None:
        from openpyxl.utils import get_column_letter

        last = get_column_letter(len(self.headers))
        self.sheet.auto_filter.ref = f"A1:{last}{self.rows + 1}"
        self.book.save(self.path)


def _lines(text: str, width: int) -> int:
    """How many lines ``text`` wraps to at ``width`` characters (at spaces)."""
    count, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width:
            count, used = count + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return count


def _width(value: Any) -> int:
    if isinstance(value, date):
        return 10
    return len(str(value)) if value is not None else 0
