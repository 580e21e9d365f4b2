"""`export clients`: the import's headers, neutralised formulas, and export -> import
round trips (checked with independent readers: csv and python-calamine)."""

from __future__ import annotations

import csv
import json

from _clientfiles import HEADERS, client, write_csv
from python_calamine import CalamineWorkbook

TRICKY = [
    client("000123", company="=HYPERLINK(\"http://x\")", phone="+31 6 1234 5678",
           address="-Achterom 3", first_name="@Anna"),
    client("000124", company="''=al gequote", industry="10", size="Groot", ownership="I",
           client_group="D", life_cycle="E", entrepreneur_type="C", stage="prospect",
           opted_out="ja", team="Deventer", rm_first_name="Piet", rm_last_name="Bos",
           rm_email="p.bos@kantoor.example"),
    client("000125", first_name="", last_name="", email="", phone="", industry="",
           size="", ownership="", client_group="", life_cycle="", entrepreneur_type=""),
]


def imp(rt, path):  # type: ignore[no-untyped-def]
    from quickcrm.crm.importer import import_clients

    with rt.session() as s:
        return import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=path)


def exp(rt, path, filters=None) -> int:  # type: ignore[no-untyped-def]
    from quickcrm.crm.exporter import export_clients

    with rt.session(read_only=True) as s:
        return export_clients(session=s, path=path, filters=filters)


def sheet(path) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def test_csv_export_format_and_formula_neutralisation(rt, tmp_path):
    imp(rt, write_csv(tmp_path / "in.csv", TRICKY))
    assert exp(rt, tmp_path / "out.csv") == 3
    raw = (tmp_path / "out.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join(HEADERS)
    first, second = list(csv.reader(lines[1:], delimiter=";"))[:2]
    assert first[0] == "'@Anna" and first[2] == "000123"
    assert first[4] == "'=HYPERLINK(\"http://x\")"
    assert first[5] == "7. Handel" and first[6] == "2. Klein"
    assert "'+31 6 1234 5678" in first and "'-Achterom 3" in first
    assert second[4] == "''=al gequote"  # stored "'=al gequote" comes back exactly
    assert second[5:11] == ["10. Industrie", "4. Groot", "I. Anders", "D. Efficiency verhogen",
                            "E. Exit", "C. Niet relevant"]
    assert [second[HEADERS.index(h)] for h in ("Fase relatie", "Afgemeld")] == ["prospect", "ja"]


def test_xlsx_export_has_typed_text_cells_frozen_header_and_filter(rt, tmp_path):
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    imp(rt, write_csv(tmp_path / "in.csv", TRICKY))
    exp(rt, tmp_path / "out.xlsx")
    rows = sheet(tmp_path / "out.xlsx")
    assert rows[0] == HEADERS
    assert rows[1][2] == "000123" and rows[1][4] == '=HYPERLINK("http://x")'
    ws = load_workbook(tmp_path / "out.xlsx").active
    assert ws["E2"].data_type == "s"  # a string, never a formula
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{get_column_letter(len(HEADERS))}4"


def test_export_then_import_on_the_same_database_changes_nothing(rt, tmp_path):
    imp(rt, write_csv(tmp_path / "in.csv", TRICKY))
    for name in ("out.csv", "out.xlsx"):
        exp(rt, tmp_path / name)
        assert imp(rt, tmp_path / name).to_json() == {
            "created": 0, "updated": 0, "unchanged": 3, "rejected": 0, "errors": [],
            "error_count": 0}


def test_round_trip_into_a_fresh_database_gives_the_same_file(tmp_path, clock):
    from quickcrm.bootstrap import bootstrap

    first = bootstrap(database_url=f"sqlite:///{tmp_path / 'a.db'}", env={}, clock=clock)
    imp(first, write_csv(tmp_path / "in.csv", TRICKY))
    for suffix in ("csv", "xlsx"):
        exp(first, tmp_path / f"a.{suffix}")
        second = bootstrap(database_url=f"sqlite:///{tmp_path / f'b-{suffix}.db'}", env={},
                           clock=clock)
        assert imp(second, tmp_path / f"a.{suffix}").created == 3
        exp(second, tmp_path / f"b.{suffix}")
        second.close()
        if suffix == "csv":
            assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
        else:
            assert sheet(tmp_path / "a.xlsx") == sheet(tmp_path / "b.xlsx")
    first.close()


def test_export_filters(rt, tmp_path):
    from quickcrm.crm.clients import ClientFilters

    imp(rt, write_csv(tmp_path / "in.csv", TRICKY))
    assert exp(rt, tmp_path / "d.csv", ClientFilters(team=["deventer"])) == 1
    assert exp(rt, tmp_path / "h.xlsx", ClientFilters(industry=["Handel", "Industrie"])) == 2
    assert [r[2] for r in sheet(tmp_path / "h.xlsx")[1:]] == ["000123", "000124"]


def test_cli_export(cli, tmp_path):
    assert cli("import", "clients", write_csv(tmp_path / "in.csv", TRICKY)).exit_code == 0
    result = cli("export", "clients", tmp_path / "uit.xlsx", "--stage", "prospect", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"exported": 1, "file": str(tmp_path / "uit.xlsx")}
    bad = cli("export", "clients", tmp_path / "uit.pdf")
    assert bad.exit_code == 1 and bad.stderr.strip() == "uit.pdf: expected a .xlsx or .csv file name"
