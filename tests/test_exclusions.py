"""Step 3: exclusions by relation number, from a list, and the Excel round trip
(download, mark with openpyxl, upload; read back with python-calamine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from test_campaigns import QS, RM2, add_clients, new_campaign, run_select

from quickcrm.errors import FileProblems, InvalidInput


def _setup(rt) -> None:
    add_clients(
        rt,
        {"number": "1001", "faces": ("1", "2", "1"), "company": "=HYPERLINK(\"http://x\")"},
        {"number": "1002", "faces": ("2", None, "1")},
        {"number": "1003", "rm": RM2, "team": "Zwolle"},
        {"number": "1004", "industry": "1"},
    )
    new_campaign(rt)
    new_campaign(rt, "Najaar")
    run_select(rt, industry=["7"])


def _download(rt, path: Path, campaign: str = "Voorjaar") -> int:
    from quickcrm.campaigns.exclusions import download

    with rt.session(read_only=True) as s:
        return download(session=s, campaign=campaign, path=path)


def _upload(rt, path: Path, campaign: str = "Voorjaar"):
    from quickcrm.campaigns.exclusions import upload

    with rt.session() as s:
        return upload(session=s, actor=rt.actor, now=rt.clock.now(), campaign=campaign, path=path)


def _exclusions(rt, campaign: str = "Voorjaar") -> set[str]:
    from sqlmodel import select

    from quickcrm.campaigns.campaign import get_campaign
    from quickcrm.campaigns.models import Exclusion

    with rt.session(read_only=True) as s:
        cid = get_campaign(s, campaign).id
        return set(s.exec(select(Exclusion.relation_number).where(Exclusion.campaign_id == cid)).all())


def _mark(path: Path, marks: dict[int, str], edits: dict[str, str] | None = None) -> None:
    book = load_workbook(path)
    sheet = book["Uitsluitingen"]
    for row, value in marks.items():
        sheet.cell(row=row, column=10, value=value)
    for ref, value in (edits or {}).items():
        sheet[ref] = value
    book.save(path)


def test_excel_round_trip(rt, tmp_path):
    from quickcrm.campaigns.exclusions import change_exclusions

    _setup(rt)
    with rt.session() as s:
        change_exclusions(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar",
                          numbers=["1002"])
    path = tmp_path / "uitsluiten.xlsx"
    assert _download(rt, path) == 3
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("Uitsluitingen").to_python()
    assert rows[0] == ["Relatienummer", "Voornaam", "Achternaam", "Bedrijf", "Team",
                       "Relatiemanager", "Volgens profiel", "Volgens update",
                       "Volgens relatiemanager", "Uitsluiten"]
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number["1001"][3] == "=HYPERLINK(\"http://x\")"  # text, never a formula
    assert by_number["1001"][6:10] == ["1. Positief", "2. Neutraal", "1. Positief", ""]
    assert by_number["1002"][7] == "2. Neutraal (niet gezet)"
    assert by_number["1002"][9] == "x"
    sheet = load_workbook(path)["Uitsluitingen"]
    fills = [sheet.cell(row=r, column=c).fill.start_color.rgb[-6:] for r in range(2, 5)
             for c in (7, 8, 9) if sheet.cell(row=r, column=1).value == "1001"]
    assert fills == ["63BE7B", "5B9BD5", "63BE7B"]  # green, blue, green
    assert sheet.cell(row=2, column=4).data_type == "s"
    assert load_workbook(path)["quickcrm"].sheet_state == "hidden"

    row_of = {sheet.cell(row=r, column=1).value: r for r in range(2, 5)}
    _mark(path, {row_of["1001"]: "X", row_of["1003"]: "ja", row_of["1002"]: ""})
    change = _upload(rt, path)
    assert (change.excluded, change.included) == (["1001", "1003"], ["1002"])
    assert _exclusions(rt) == {"1001", "1003"}
    assert change.summary.selected == 1
    _mark(path, {row_of["1001"]: 1, row_of["1003"]: "Yes"})
    change = _upload(rt, path)
    assert (change.excluded, change.included) == ([], [])


def test_an_upload_changes_only_the_rows_in_the_sheet(rt, tmp_path):
    """Issue 23 item 5: a client excluded and then left out by a narrower step 2 is not
    in the workbook; uploading it must not take that exclusion away."""
    from quickcrm.campaigns.exclusions import change_exclusions

    _setup(rt)
    run_select(rt)  # all four
    with rt.session() as s:
        change_exclusions(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar",
                          numbers=["1002", "1004"], reason="loopt al")
    run_select(rt, industry=["7"])  # 1004 (industry 1) is no longer in step 2
    path = tmp_path / "uitsluiten.xlsx"
    assert _download(rt, path) == 3
    sheet = load_workbook(path)["Uitsluitingen"]
    row_of = {sheet.cell(row=r, column=1).value: r for r in range(2, 5)}
    _mark(path, {row_of["1003"]: "x", row_of["1002"]: ""})
    change = _upload(rt, path)
    assert (change.excluded, change.included) == (["1003"], ["1002"])
    assert _exclusions(rt) == {"1003", "1004"}
    out = run_select(rt)  # widened again: 1004 comes back excluded, as the docs promise
    assert (out.step2, out.excluded, out.selected) == (4, 2, 2)


def test_faces_are_coloured_red_blue_green(tmp_path):
    from quickcrm.campaigns.exclusion_sheet import SheetRow, write_sheet

    path = tmp_path / "f.xlsx"
    write_sheet(path, campaign_id=1, campaign="X", rows=[SheetRow(
        "1", "A", "B", "C", "T", "R", ("3", "2", None), excluded=False)])
    sheet = load_workbook(path)["Uitsluitingen"]
    assert [sheet.cell(row=2, column=c).fill.start_color.rgb[-6:] for c in (7, 8, 9)] == [
        "F8696B", "5B9BD5", "5B9BD5"]
    assert sheet.cell(row=2, column=7).value == "3. Negatief"


def test_another_campaigns_file_is_refused(rt, tmp_path):
    _setup(rt)
    path = tmp_path / "voorjaar.xlsx"
    _download(rt, path)
    _mark(path, {2: "x"})
    with pytest.raises(FileProblems) as err:
        _upload(rt, path, campaign="Najaar")
    assert str(err.value) == "voorjaar.xlsx: this file belongs to campaign 'Voorjaar', not to 'Najaar'"
    assert _exclusions(rt, "Najaar") == set()


def test_a_tampered_file_is_refused_and_changes_nothing(rt, tmp_path):
    _setup(rt)
    path = tmp_path / "lijst.xlsx"
    _download(rt, path)
    _mark(path, {2: "x", 3: "misschien"}, edits={"B2": "Piet", "A5": "9999"})
    with pytest.raises(FileProblems) as err:
        _upload(rt, path)
    problems = str(err.value).splitlines()
    assert problems[0] == ("lijst.xlsx:2:B: Voornaam was changed from 'Klant' to 'Piet'; "
                           "only the column 'Uitsluiten' may be edited")
    assert problems[1] == ("lijst.xlsx:3:J: 'misschien' is not a mark "
                           "(use x, 1, ja or yes; leave empty to include)")
    assert problems[2].startswith("lijst.xlsx:5:A: relation number '9999' was not in the downloaded file")
    assert _exclusions(rt) == set()

    book = load_workbook(tmp_path / "lijst.xlsx")
    _download(rt, path)
    book = load_workbook(path)
    book["Uitsluitingen"].delete_rows(3)
    book.save(path)
    with pytest.raises(FileProblems, match="the row of relation number '.*' was removed"):
        _upload(rt, path)


def test_not_a_download_is_refused(rt, tmp_path):
    from openpyxl import Workbook

    _setup(rt)
    path = tmp_path / "eigen.xlsx"
    Workbook().save(path)
    with pytest.raises(FileProblems, match="eigen.xlsx: not an exclusion workbook of QuickCRM"):
        _upload(rt, path)


def test_exclude_undo_unknown_and_file_lists(rt, tmp_path):
    from quickcrm.campaigns.exclusions import change_exclusions, read_number_list

    _setup(rt)

    def change(numbers, **kw):
        with rt.session() as s:
            return change_exclusions(session=s, actor=rt.actor, now=rt.clock.now(),
                                     campaign="Voorjaar", numbers=numbers, **kw)

    out = change(["1001", "1004"], reason="RM belt zelf")
    assert out.excluded == ["1001", "1004"] and out.not_in_selection == ["1004"]
    assert out.summary.excluded == 1 and out.summary.selected == 2
    with pytest.raises(InvalidInput, match="unknown relation numbers: 77, 78"):
        change(["1002", "77", "78"])
    assert _exclusions(rt) == {"1001", "1004"}
    assert change(["1001"], undo=True).included == ["1001"]
    (tmp_path / "lijst.txt").write_text("1002\n\n 1003 \n")
    (tmp_path / "lijst.csv").write_text("Naam;Relatienummer\nA;1001\nB;1003\n")
    assert read_number_list(tmp_path / "lijst.txt") == ["1002", "1003"]
    assert read_number_list(tmp_path / "lijst.csv") == ["1001", "1003"]
    (tmp_path / "fout.csv").write_text("Naam\nA\n")
    with pytest.raises(FileProblems, match="fout.csv:1: no column 'Relatienummer'"):
        read_number_list(tmp_path / "fout.csv")


def test_cli_exclude_wiring(cli, sqlite_url, clock, tmp_path):
    from quickcrm.bootstrap import bootstrap

    rt = bootstrap(database_url=sqlite_url, env={}, clock=clock)
    try:
        _setup(rt)
    finally:
        rt.close()
    r = cli("exclude", "Voorjaar", "1001", "--reason", "al klant van het jaar", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["excluded_now"] == ["1001"] and data["selected"] == 2
    r = cli("exclude", "Voorjaar", "4242")
    assert r.exit_code == 1 and r.stderr.strip() == "unknown relation number: 4242"
    r = cli("exclude", "Voorjaar", "--download", tmp_path / "x.xlsx")
    assert r.exit_code == 0 and "wrote 3 clients" in r.stdout
    r = cli("exclude", "Najaar", "--upload", tmp_path / "x.xlsx")
    assert r.exit_code == 1
    assert r.stderr.strip() == "x.xlsx: this file belongs to campaign 'Voorjaar', not to 'Najaar'"
    r = cli("exclude", "Voorjaar", "--upload", tmp_path / "x.xlsx")
    assert r.exit_code == 0 and "included again: nobody" in r.stdout
    r = cli("exclude", "Voorjaar", "1001", "--undo")
    assert r.exit_code == 0 and "included again: 1001" in r.stdout
    r = cli("exclude", "Voorjaar", "1001", "--download", "y.xlsx")
    assert r.exit_code == 1
    assert cli("user", "add", "rm@kantoor.example", "-r", "rm").exit_code == 0
    r = cli("exclude", "Voorjaar", "1001", "--as", "rm@kantoor.example")
    assert r.exit_code == 1
    assert r.stderr.strip() == "not permitted: manage campaigns needs admin or coordinator"
    assert cli("campaign", "finalize", "Voorjaar").exit_code == 0
    r = cli("exclude", "Voorjaar", "1002")  # final, not sent: the way out before sending
    assert r.exit_code == 0 and "excluded: 1002" in r.stdout
    r = cli("exclude", "Voorjaar", "1002", "--download", "y.xlsx")
    assert r.exit_code == 1
    r = cli("exclude", "Voorjaar", "--download", tmp_path / "z.xlsx")
    assert r.exit_code == 1 and "only possible on a draft campaign" in r.stderr
    assert QS


def test_upload_naming_a_client_no_longer_in_quickcrm_is_refused(rt, tmp_path):
    from sqlmodel import select

    from quickcrm.store.models import Relation

    _setup(rt)
    path = tmp_path / "oud.xlsx"
    _download(rt, path)
    run_select(rt, industry=["7"], teams=["Zwolle"])
    with rt.session() as s:
        s.delete(s.exec(select(Relation).where(Relation.number == "1002")).one())
        s.commit()
    _mark(path, {2: "x"})
    with pytest.raises(FileProblems, match=r"oud.xlsx:\d:A: unknown relation number '1002'"):
        _upload(rt, path)
    assert _exclusions(rt) == set()
