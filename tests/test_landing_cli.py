"""`quickcrm landing ...` end to end in-process: create, list, show, close, rights, and
the report with its Excel read back by calamine."""

from __future__ import annotations

import json
from pathlib import Path


def setup(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("user", "add", "rm@firma.example", "--name", "Rik Manager", "--team",
               "Utrecht", "-r", "rm").exit_code == 0


def test_create_list_show_close(cli):
    setup(cli)
    r = cli("landing", "create", "bedrijfsopvolging", "--slug", "Opvolging", "--rm",
            "rm@firma.example", "--title", "Opvolging geregeld?", "--json")
    assert r.exit_code == 0, r.output
    page = json.loads(r.stdout)
    assert page["url"] == "http://localhost:8000/l/opvolging"
    assert (page["team"], page["rm"], page["status"]) == ("Utrecht", "rm@firma.example", "open")
    r = cli("landing", "create", "bedrijfsopvolging", "--slug", "opvolging")
    assert r.exit_code == 1 and "already exists" in r.stderr
    r = cli("landing", "create", "bestaat-niet", "--slug", "x")
    assert r.exit_code == 1 and "unknown quickscan" in r.stderr
    r = cli("landing", "create", "bedrijfsopvolging", "--slug", "met spatie")
    assert r.exit_code == 1 and "not a valid slug" in r.stderr
    rows = json.loads(cli("landing", "list", "--json").stdout)
    assert [(p["slug"], p["visits"], p["started"]) for p in rows] == [("opvolging", 0, 0)]
    r = cli("landing", "create", "bedrijfsopvolging", "--slug", "rm-pagina",
            "--as", "rm@firma.example")
    assert r.exit_code == 1 and "not permitted: manage landing pages" in r.stderr
    r = cli("landing", "report", "opvolging", "--as", "rm@firma.example")
    assert r.exit_code == 1 and "not permitted" in r.stderr
    assert json.loads(cli("landing", "close", "opvolging", "--json").stdout)["status"] == "closed"
    assert json.loads(cli("landing", "show", "opvolging", "--json").stdout)["status"] == "closed"
    assert cli("landing", "show", "onbekend").exit_code == 1


def test_report_counts_and_excel_in_the_campaign_layout(cli, sqlite_url, clock, tmp_path):
    from python_calamine import CalamineWorkbook

    from quickcrm.bootstrap import bootstrap
    from quickcrm.landing import visitors as lv
    from quickcrm.landing.models import LandingVisitor
    from quickcrm.quickscans.steps import check_answers

    setup(cli)
    assert cli("landing", "create", "bedrijfsopvolging", "--slug", "opvolging", "--rm",
               "rm@firma.example").exit_code == 0
    rt = bootstrap(database_url=sqlite_url, env={}, clock=clock)
    try:
        with rt.session() as s:
            page = lv.find_page(s, "opvolging")
            lv.count_visit(s, page.page.id)
            lv.count_visit(s, page.page.id)
            details = {"voornaam": "Piet", "achternaam": "Prospect", "bedrijf": "=SOM(A1)",
                       "email": "piet@p.example"}
            v = lv.register(s, page, details, consent_text="ok", address="1.2.3.4",
                            now=clock.now())
            visit = lv.find_visit(s, "opvolging", v.token)
            changes, errors = check_answers(visit, {"leeftijd": "ke2", "zorgen": "4"})
            assert not errors
            lv.store_answers(s, visit, changes, now=clock.now())
            lv.register(s, page, {**details, "email": "b@p.example"}, consent_text="ok",
                        address="1.2.3.4", now=clock.now())
        with rt.session() as s:
            visit = lv.find_visit(s, "opvolging", v.token, lock=True)
            assert lv.complete(s, visit, runtime=rt)
        with rt.session() as s:
            visit = lv.find_by_confirm(s, "opvolging", v.confirm_token, lock=True)
            assert lv.confirm(s, visit, runtime=rt)
        with rt.session(read_only=True) as s:
            assert s.get(LandingVisitor, v.id).relation_id is not None
    finally:
        rt.close()
    out = tmp_path / "landing.xlsx"
    r = cli("landing", "report", "opvolging", "--excel", str(out), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert {k: data[k] for k in ("visits", "started", "completed", "confirmed",
                                 "new_prospects")} == {"visits": 2, "started": 2, "completed": 1,
                                                       "confirmed": 1, "new_prospects": 1}
    rows = CalamineWorkbook.from_path(str(Path(out))).get_sheet_by_index(0).to_python()
    header = rows[0]
    assert header[:5] == ["Voornaam klant", "Achternaam klant", "Relatienummer klant",
                          "Plaats klant", "Bedrijf klant"]
    assert header[14].startswith("1. ")
    piet = rows[1]
    assert piet[0] == "Piet" and piet[2] == "LP000001" and piet[4] == "=SOM(A1)"
    assert piet[5] == "Utrecht" and piet[6] == "Rik" and piet[9] == 1
    col = {h: i for i, h in enumerate(header)}
    zorgen = next(h for h in header if h.startswith("11. "))
    assert piet[col[header[14]]] == "ke2" and piet[col[zorgen]] == 4
    assert rows[2][2] == "" and rows[2][9] in ("", None)
    human = cli("landing", "report", "opvolging")
    assert "new_prospects: 1" in human.stdout
