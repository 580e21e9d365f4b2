"""documents.tabular: the readers and the formula guard every import and export uses."""

from __future__ import annotations

import datetime as dt

import pytest

from quickcrm.documents.tabular import (
    XlsxWriter,
    cell_text,
    detect_delimiter,
    detect_encoding,
    escape_cell,
    open_table,
    unescape_cell,
)
from quickcrm.errors import FileProblems


@pytest.mark.parametrize("value", ["=1+1", "+31 6", "-5", "@SUM(A1)", "\tx", "\rx", "'=x",
                                   "''=x", "'gewoon", "gewoon", "", "'"])
def test_formula_guard_round_trips(value):
    escaped = escape_cell(value)
    assert escaped[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert unescape_cell(escaped) == value


def test_detection_of_delimiter_and_encoding(tmp_path):
    assert detect_delimiter("a;b;c") == ";" and detect_delimiter("a\tb") == "\t"
    assert detect_delimiter("a,b") == "," and detect_delimiter("alleen") == ","
    big = tmp_path / "big.csv"
    # an "é" split over the 1 MiB read boundary is still UTF-8
    big.write_bytes(b"a" * ((1 << 20) - 1) + "é\n".encode())
    assert detect_encoding(big) == "utf-8"
    big.write_bytes(b"a" * (1 << 20) + "é\n".encode("cp1252"))
    assert detect_encoding(big) == "cp1252"


def test_csv_rows_keep_the_row_numbers_a_user_sees(tmp_path):
    path = tmp_path / "k.csv"
    path.write_bytes("\ufeffNaam ;Plaats\r\nA;Zwolle\r\n;\r\n\"B\r\nC\";Kampen\r\nD\r\n".encode())
    table = open_table(path)
    assert table.headers == ["Naam ", "Plaats"] and table.keys == ["naam", "plaats"]
    assert list(table.rows()) == [(2, ["A", "Zwolle"]), (4, ["B\r\nC", "Kampen"]), (5, ["D"])]


def test_xlsx_cells_become_text(tmp_path):
    assert cell_text(123.0) == "123" and cell_text(1.5) == "1.5"
    assert cell_text(dt.datetime(2026, 1, 2)) == "2026-01-02"
    with XlsxWriter(tmp_path / "x.xlsx", ["Nr", "Datum", "Formule"]) as xlsx:
        xlsx.append(["000123", dt.date(2026, 1, 2), "=1+1"])
    rows = list(open_table(tmp_path / "x.xlsx").rows())
    assert rows == [(2, ["000123", "2026-01-02", "=1+1"])]


def test_unreadable_files(tmp_path):
    (tmp_path / "k.pdf").write_text("x")
    with pytest.raises(FileProblems, match="expected a .csv or .xlsx file"):
        open_table(tmp_path / "k.pdf")
    (tmp_path / "k.xlsx").write_text("geen zip")
    with pytest.raises(FileProblems, match="not a readable .xlsx file"):
        open_table(tmp_path / "k.xlsx")
    (tmp_path / "leeg.csv").write_text("")
    with pytest.raises(FileProblems, match="leeg.csv:1: the file has no header row"):
        open_table(tmp_path / "leeg.csv")
