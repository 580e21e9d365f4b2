"""Spreadsheet files in and out, streamed: .csv and .xlsx as (row number, cells).

Every import (clients, faces, exclusions) reads through ``open_table`` so headers match
the same way everywhere (case, whitespace and a BOM do not matter) and row numbers are
the ones a user sees in Excel (the header is row 1). Exports write through ``XlsxWriter``
or ``csv_writer`` and neutralise cells a spreadsheet would evaluate as a formula
(OWASP CSV injection); ``unescape_cell`` undoes that on import so export -> import
round-trips.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any, cast

from quickcrm.errors import FileProblems

# A cell starting with one of these is run as a formula by Excel/LibreOffice (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
DELIMITERS = (";", ",", "\t")
_CHUNK = 1 << 20
_SNIFF = 4096  # bytes looked at for a UTF-16 file (its NUL bytes)
_TEXT = frozenset({str})


def normalize_header(text: object) -> str:
    """``" Relatienummer  KLANT\\ufeff"`` -> ``"relatienummer klant"``."""
    return " ".join(str(text or "").replace("\ufeff", "").split()).lower()


# --- formula neutralisation -------------------------------------------------------------

def escape_cell(value: str) -> str:
    """CSV export: prefix one apostrophe where a spreadsheet would see a formula.

    A value whose apostrophes are already followed by a trigger gets one more, so that
    ``unescape_cell`` gives back exactly the stored text (``'=x`` -> ``''=x`` -> ``'=x``).
    """
    if value.lstrip("'")[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """Import: drop the one apostrophe an export (or a careful user) put before a
    formula-looking value; any other apostrophe is data."""
    if value[:1] == "'" and value.lstrip("'")[:1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


def xlsx_text(value: str) -> str:
    """xlsx export: text cells are typed strings (never evaluated), so only the
    apostrophe-before-trigger case needs a guard for the round trip."""
    if value[:1] == "'" and value.lstrip("'")[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


# --- reading ----------------------------------------------------------------------------

@dataclass
class Table:
    """An opened spreadsheet: its header (as written and normalised) and a row stream."""

    path: Path
    headers: list[str]
    keys: list[str]
    rows: Callable[[], Iterator[tuple[int, list[str]]]] = field(repr=False)
    encoding: str | None = None
    delimiter: str | None = None
    # lists of rows at once, where the format has a cheaper way than row by row (.xlsx)
    batched: Callable[[int], Iterator[list[tuple[int, list[str]]]]] | None = field(
        default=None, repr=False)

    def batches(self, size: int) -> Iterator[list[tuple[int, list[str]]]]:
        """The rows in lists of at most ``size`` (bulk importers): the same rows, numbers
        and blank-row skipping as ``rows()``; use one of the two, once."""
        if self.batched is not None:
            yield from self.batched(size)
            return
        rows = self.rows()
        while chunk := list(islice(rows, size)):
            yield chunk


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` (the whole file decodes) or ``cp1252`` (Dutch
    Excel's "CSV (gescheiden door lijstscheidingsteken)"). Reads in chunks, so a
    1 GB file never sits in memory."""
    with path.open("rb") as f:
        head = f.read(3)
        if head == codecs.BOM_UTF8:
            _check_utf8(path, f)
            return "utf-8-sig"
        start = head + f.read(_SNIFF)
        if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\0" in start:
            raise FileProblems([f'{path}: not UTF-8 or cp1252 text (UTF-16?); save it as '
                                '"CSV UTF-8" or .xlsx'])
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = start
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = f.read(_CHUNK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _check_utf8(path: Path, f: IO[bytes]) -> None:
    """A file that starts with UTF-8's byte order mark must be UTF-8 throughout: else one
    line naming the line it breaks on (found by benchmarks/fuzz_inputs.py)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    while chunk := f.read(_CHUNK):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line += chunk[:exc.start].count(b"\n")
            raise FileProblems([f"{path}: line {line}: not UTF-8 text although the file starts "
                                'as UTF-8; save it again as "CSV UTF-8" or .xlsx']) from None
        line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FileProblems([f"{path}: line {line}: the file ends in the middle of a UTF-8 "
                            "character"]) from None


def detect_delimiter(header_line: str) -> str:
    """The one of ``; , TAB`` the header line uses most (``,`` when it has none)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _open_text(path: Path, encoding: str) -> IO[str]:
    errors = "replace" if encoding == "cp1252" else "strict"
    return path.open("r", encoding=encoding, errors=errors, newline="")


def _csv_table(path: Path) -> Table:
    encoding = detect_encoding(path)
    with _open_text(path, encoding) as f:
        first = f.readline()
    delimiter = detect_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter), [])

    def rows() -> Iterator[tuple[int, list[str]]]:
        with _open_text(path, encoding) as f:
            reader = csv.reader(f, delimiter=delimiter)
            next(reader, None)
            for number, cells in enumerate(reader, start=2):
                # skip blank rows, keep Excel's numbering (the first cell decides most)
                if (cells and cells[0].strip()) or "".join(cells).strip():
                    yield number, cells

    return Table(path, [h.replace("\ufeff", "") for h in header],
                 [normalize_header(h) for h in header], rows, encoding, delimiter)


def cell_text(value: Any) -> str:
    """A calamine cell as the text a user typed: 123.0 -> "123", a date -> ISO."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _xlsx_table(path: Path) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises several types for a broken file
        raise FileProblems([f"{path}: not a readable .xlsx file ({exc})"]) from None
    it = iter(sheet.iter_rows())
    header = [cell_text(v) for v in next(it, [])]
    start = sheet.start[0] if sheet.start else 0

    def rows() -> Iterator[tuple[int, list[str]]]:
        for batch in batched(1000):
            yield from batch

    def batched(size: int) -> Iterator[list[tuple[int, list[str]]]]:
        number = start + 2
        while raw := list(islice(it, size)):
            # calamine gives text cells as str (most of a file): those rows as they are,
            # checked for the whole batch in one pass
            plain = set(map(type, chain.from_iterable(raw))) <= _TEXT
            texts = cast(list[list[str]], raw) if plain else [_texts(r) for r in raw]
            # skip blank rows, keep Excel's numbering (the first cell decides most)
            batch = [(n, cells) for n, cells in enumerate(texts, start=number)
                     if (cells and cells[0].strip()) or "".join(cells).strip()]
            number += len(raw)
            if batch:
                yield batch

    return Table(path, header, [normalize_header(h) for h in header], rows, batched=batched)


def _texts(raw: list[Any]) -> list[str]:
    return cast(list[str], raw) if set(map(type, raw)) <= _TEXT else [
        v if type(v) is str else cell_text(v) for v in raw]


def open_table(path: str | Path) -> Table:
    """Open a .csv or .xlsx file; raises FileProblems for anything else or an empty file."""
    path = Path(path)
    if not path.is_file():
        raise FileProblems([f"{path}: no such file"])
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        table = _csv_table(path)
    elif suffix in (".xlsx", ".xlsm"):
        table = _xlsx_table(path)
    else:
        raise FileProblems([f"{path}: expected a .csv or .xlsx file"])
    if not any(table.keys):
        raise FileProblems([f"{path}:1: the file has no header row"])
    return table


def match_headers(table: Table, aliases: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """Map field -> column index using ``aliases`` (normalised header -> field); also
    return the headers nobody asked for (a warning, not an error)."""
    found: dict[str, int] = {}
    unknown: list[str] = []
    for index, key in enumerate(table.keys):
        name = aliases.get(key)
        if name is None:
            if key:
                unknown.append(table.headers[index].strip())
        elif name not in found:
            found[name] = index
    return found, unknown


# --- writing ----------------------------------------------------------------------------

def csv_writer(f: IO[str]) -> Any:
    """The export dialect: ``;`` as Dutch Excel expects; open the file with
    ``encoding="utf-8-sig", newline=""`` so Excel sees UTF-8."""
    return csv.writer(f, delimiter=";", lineterminator="\r\n")


def csv_row(cells: Sequence[Any]) -> list[str]:
    return [escape_cell("" if c is None else str(c)) for c in cells]


class XlsxWriter:
    """A streaming .xlsx writer (openpyxl write_only): frozen header, autofilter,
    column widths from the first rows, text always as typed string cells."""

    SAMPLE = 200

    def __init__(self, path: str | Path, headers: Sequence[str], title: str = "Blad1") -> None:
        from openpyxl import Workbook

        self.path = Path(path)
        self.headers = list(headers)
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title)
        self._pending: list[Sequence[Any]] | None = []
        self._rows = 0

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()

    def _cell(self, value: Any, bold: bool = False) -> Any:
        from openpyxl.cell import WriteOnlyCell

        if isinstance(value, str):
            cell = WriteOnlyCell(self._sheet, value=None)
            cell._value = xlsx_text(value)  # bypass openpyxl's "=" means formula guess
            cell.data_type = "s"
        else:
            cell = WriteOnlyCell(self._sheet, value=value)
        if bold:
            from openpyxl.styles import Font

            cell.font = Font(bold=True)
        return cell

    def _start(self) -> None:
        from openpyxl.utils import get_column_letter

        pending = self._pending or []
        for i, header in enumerate(self.headers):
            width = max([len(header)] + [len(str(r[i] or "")) for r in pending if i < len(r)])
            self._sheet.column_dimensions[get_column_letter(i + 1)].width = min(60, width + 2)
        self._sheet.freeze_panes = "A2"
        self._sheet.append([self._cell(h, bold=True) for h in self.headers])
        self._pending = None
        for row in pending:
            self._write(row)

    def _write(self, row: Sequence[Any]) -> None:
        self._sheet.append([self._cell(v) for v in row])

    def append(self, row: Sequence[Any]) -> None:
        self._rows += 1
        if self._pending is not None:
            self._pending.append(row)
            if len(self._pending) >= self.SAMPLE:
                self._start()
            return
        self._write(row)

    def close(self) -> None:
        from openpyxl.utils import get_column_letter

        if self._pending is not None:
            self._start()
        last = get_column_letter(max(1, len(self.headers)))
        self._sheet.auto_filter.ref = f"A1:{last}{self._rows + 1}"
        self._book.save(self.path)
