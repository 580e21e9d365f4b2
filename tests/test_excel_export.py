"""The Excel download (`report --excel`): seed 000's columns A..AC with its Dutch headers,
then one column per question; labels, faces, flags, real date cells, answers as the
seed's table of question types says, formula-looking text never evaluated. Read back
with python-calamine (values) and openpyxl (cell types, frozen header, autofilter)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from test_management_report import MONDAY_9, story
from test_send import runtime

from quickcrm.clock import FixedClock

SEED_HEADERS = [
    "Voornaam klant", "Achternaam klant", "Relatienummer klant", "Plaats klant",
    "Bedrijf klant", "Branche klant", "Omvang klant", "Eigendom klant", "Profiel klant",
    "Levenscyclus", "Soort ondernemer", "Naam team", "Voornaam relatiemanager",
    "Achternaam relatiemanager", "Volgens profiel", "Volgens update",
    "Volgens relatiemanager", "Datum verzonden", "Datum rapportage", "Uitnodiging verzonden",
    "Klant heeft ingelogd", "Rapportage verzonden", "Klant niet geint. na inloggen",
    "Eerste reminder verzonden", "Tweede reminder verzonden", "RM geïnformeerd geen respons",
    "Datum eerste reminder", "Datum tweede reminder", "Datum geen respons"]
AD = 29  # index of column AD


def export(rt: Any, path: Path) -> dict[str, Any]:
    from quickcrm.campaigns.excel_export import export_campaign_excel

    with rt.session(read_only=True) as s:
        return export_campaign_excel(session=s, actor=rt.actor, campaign="Voorjaar",
                                     path=path, tz="Europe/Amsterdam")


def read(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


@pytest.fixture
def told(db_url, smtp_server):  # type: ignore[no-untyped-def]
    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url)
    story(rt, clock)
    yield rt
    rt.close()


def test_one_row_per_client_in_the_seeds_columns(told, tmp_path):
    from quickcrm.quickscans.definitions import definition_of, get_quickscan

    result = export(told, tmp_path / "voorjaar.xlsx")
    with told.session(read_only=True) as s:
        questions = definition_of(get_quickscan(session=s, key="bedrijfsopvolging")).questions()
    assert result["clients"] == 6 and result["questions"] == len(questions)
    rows = read(tmp_path / "voorjaar.xlsx")
    header, body = rows[0], rows[1:]
    assert header[:AD] == SEED_HEADERS
    assert header[AD] == f"1. {' '.join(questions[0].text.split())}"
    assert len(header) == AD + len(questions)
    by_number = {r[2]: dict(zip(header, r, strict=True)) for r in body}
    assert sorted(by_number) == [f"{i:06d}" for i in range(1, 7)]
    done = by_number["000001"]
    assert (done["Voornaam klant"], done["Achternaam klant"], done["Bedrijf klant"]) == (
        "Klant", "000001", "Bedrijf 000001 B.V.")
    assert (done["Branche klant"], done["Omvang klant"], done["Eigendom klant"],
            done["Profiel klant"]) == ("Handel", "Klein", "DGA geleide onderneming",
                                       "Tijd en aandacht")
    assert (done["Naam team"], done["Voornaam relatiemanager"],
            done["Achternaam relatiemanager"]) == ("Utrecht", "Rm", "Utrecht")
    assert (done["Volgens profiel"], done["Volgens update"],
            done["Volgens relatiemanager"]) == ("Positief", "Positief", "Positief")
    flags = SEED_HEADERS[19:26]
    assert [done[f] for f in flags] == [1, 1, 1, "", "", "", ""]
    assert done["Datum verzonden"] == dt.date(2026, 11, 23)
    assert done["Datum rapportage"] == dt.date(2026, 11, 24)
    assert [by_number["000002"][f] for f in flags] == [1, 1, "", 1, "", "", ""]
    silent = by_number["000005"]
    assert [silent[f] for f in flags] == [1, "", "", "", 1, 1, 1]
    assert (silent["Datum eerste reminder"], silent["Datum tweede reminder"],
            silent["Datum geen respons"]) == (
        dt.date(2026, 11, 26), dt.date(2026, 11, 30), dt.date(2026, 12, 3))
    bounced = by_number["000004"]
    assert [bounced[f] for f in flags] == [1, "", "", "", "", "", ""]
    answers = {q.id: done[header[AD + i]] for i, q in enumerate(questions)}
    for q in questions:  # the demo's client answered every question of its type
        value = answers[q.id]
        if q.type in ("slider", "rating"):
            assert isinstance(value, float) and q.min <= value <= q.max  # a number cell
        elif q.type == "choice":
            assert value in [v for v, _ in q.choice_values()]
        else:
            assert isinstance(value, str) and value
    stopped = by_number["000003"]
    assert stopped[header[AD]] != "" and stopped[header[-1]] == ""


def test_dates_are_date_cells_header_frozen_filter_on(told, tmp_path):
    from openpyxl import load_workbook

    export(told, tmp_path / "v.xlsx")
    sheet = load_workbook(tmp_path / "v.xlsx").active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:") and sheet.auto_filter.ref.endswith("7")
    cell = sheet["R2"]  # Datum verzonden
    assert cell.is_date and cell.value.date() == dt.date(2026, 11, 23)
    assert sheet["T2"].data_type == "n" and sheet["T2"].value == 1
    assert all((sheet.column_dimensions[c].width or 0) >= 10 for c in ("A", "E", "R", "AD"))
    # question headers wrap in a column of at most ~30 characters, on a row made tall
    # enough for them (Excel does not grow a row for wrapping it did not lay out)
    header = sheet["AE1"]
    assert header.alignment.wrap_text and header.alignment.vertical == "top"
    assert len(header.value) > 40 and (sheet.column_dimensions["AE"].width or 0) <= 52
    assert (sheet.row_dimensions[1].height or 0) >= 30


def test_formula_looking_text_is_shown_never_evaluated(rt, tmp_path):
    from openpyxl import load_workbook
    from sqlalchemy import update
    from test_campaigns import add_clients, new_campaign, run_select

    from quickcrm.campaigns.campaign import finalize_campaign
    from quickcrm.campaigns.models import CampaignClient

    add_clients(rt, {"number": "000001", "company": "=HYPERLINK(\"http://x\")"},
                {"number": "000002", "company": "+31 bv"}, {"number": "000003",
                                                            "company": "-min\tstreep"},
                {"number": "000004", "company": "@SUM(A1)"})
    new_campaign(rt, "Voorjaar")
    run_select(rt, "Voorjaar")
    with rt.session() as s:
        finalize_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar")
        s.execute(update(CampaignClient).where(CampaignClient.relation_number == "000002")
                  .values(first_name="=1+1", last_name="bad\x01char"))
        s.commit()
    export(rt, tmp_path / "v.xlsx")
    rows = {r[2]: r for r in read(tmp_path / "v.xlsx")[1:]}
    assert rows["000001"][4] == '=HYPERLINK("http://x")'
    assert (rows["000002"][0], rows["000002"][1], rows["000002"][4]) == ("=1+1", "bad char",
                                                                         "+31 bv")
    assert rows["000003"][4] == "-min\tstreep" and rows["000004"][4] == "@SUM(A1)"
    sheet = load_workbook(tmp_path / "v.xlsx").active
    kinds = {sheet.cell(row=r, column=5).data_type for r in range(2, 6)}
    assert kinds == {"s"}  # typed strings: Excel shows them and runs nothing
    # ... and carry Excel's leading apostrophe (quotePrefix), so F2 + Enter keeps them text
    by_number = {sheet.cell(row=r, column=3).value: r for r in range(2, 6)}
    for number, column in (("000001", 5), ("000002", 1), ("000002", 5), ("000003", 5),
                           ("000004", 5)):
        assert sheet.cell(row=by_number[number], column=column).quotePrefix, (number, column)
    assert not sheet.cell(row=by_number["000002"], column=2).quotePrefix  # "bad char"
    import zipfile

    with zipfile.ZipFile(tmp_path / "v.xlsx") as zf:  # as Excel reads it: the style itself
        assert 'quotePrefix="1"' in zf.read("xl/styles.xml").decode()
    # A campaign that was never sent still downloads: no dates, no flags.
    assert rows["000001"][17:29] == [""] * 12


def test_cli_excel_chart_and_rights(cli, sqlite_url, smtp_server, tmp_path):
    import json

    clock = FixedClock(MONDAY_9)
    rt = runtime(sqlite_url, clock, smtp_server.url)
    story(rt, clock)
    rt.close()
    env = {"QUICKCRM_SMTP_URL": smtp_server.url}
    result = cli("report", "Voorjaar", "--excel", tmp_path / "out" / "v.xlsx", "--chart",
                 tmp_path / "out" / "r.png", "--now", "2026-12-04", "--json", env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["excel"]["clients"] == 6 and Path(data["excel"]["file"]).is_file()
    assert data["chart"]["days"]["invited"] == {"2026-11-23": 6}
    assert data["chart"]["days"]["first_reminder"] == {"2026-11-26": 3}
    assert (tmp_path / "out" / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(read(tmp_path / "out" / "v.xlsx")) == 7
    human = cli("report", "Voorjaar", "--excel", tmp_path / "h.xlsx", env=env)
    assert human.stdout.strip().startswith(f"wrote {tmp_path / 'h.xlsx'}: 6 clients")
    denied = cli("report", "Voorjaar", "--excel", tmp_path / "x.xlsx", "--as",
                 "rm.utrecht@kantoor.example", env=env)
    assert denied.exit_code == 1
    assert denied.stderr.strip() == "not permitted: export campaign data needs admin or coordinator"
    assert not (tmp_path / "x.xlsx").exists()
    wrong = cli("report", "Voorjaar", "--excel", tmp_path / "x.csv", env=env)
    assert wrong.exit_code == 1 and "is an .xlsx file" in wrong.stderr
