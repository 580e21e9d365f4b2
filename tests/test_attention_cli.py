"""The attention and metrics commands through the CLI (issue 28): wiring, exit codes,
exact refusals, JSON without amounts for a user without see revenue, the Excel grid
read by calamine, GeoJSON parsed, the PNG opened; and, end to end on both databases,
a real campaign's invitations counted for their RM and its ratings as an NPS."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from _clientfiles import HEADERS, client, write_csv

RM = "r.meer@kantoor.example"


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def setup(cli: Any, tmp_path: Path) -> None:
    rows = [client(f"{i:06d}", company=f"Relatie {i}" if i != 4 else "=HYPERLINK(\"x\")",
                   latitude="52,5168" if i != 3 else "", longitude="6.0830" if i != 3 else "")
            for i in range(1, 5)]
    ok(cli("import", "clients", write_csv(tmp_path / "klanten.csv", rows)))
    ok(cli("user", "add", "jan@kantoor.example", "--name", "Jan Vries", "--initials", "JV",
           "-r", "rm"))
    ok(cli("user", "add", "sales@kantoor.example", "-r", "sales-monitor"))
    path = tmp_path / "act.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(["Relatienummer", "Datum", "Medewerker", "Soort", "Kanaal", "Onderwerp",
                      "Bedrag", "Status"])
        out.writerows([
            ["000001", "2026-11-02 10:00", "JV", "historie", "telefoon", "=cmd()", "", ""],
            ["000001", "2026-11-03", "JV", "email-uit", "e-mail", "Offerte", "", ""],
            ["000001", "2026-11-04", "JV", "order", "bezoek", "Order", "2500", ""],
            ["000002", "2026-11-05", "stagiair@kantoor.example", "historie", "visit", "", "", ""],
            ["000002", "2026-11-20", "JV", "factuur", "post", "Factuur", "800", ""],
        ])
    result = ok(cli("import", "activities", path))
    assert "5 contact moments imported" in result.stdout
    assert "1 unknown Medewerker e-mail address became users without rights" in result.stderr


def test_compute_show_and_files_through_the_cli(cli, tmp_path):
    from python_calamine import CalamineWorkbook

    setup(cli, tmp_path)
    now = "2026-11-23T09:00"
    out = ok(cli("attention", "compute", "--from", "2026-11-01", "--to", "2026-11-30", "--now",
                 now, "--json", "--as", "jan@kantoor.example"))
    data = json.loads(out.stdout)
    assert list(data)[:7] == ["computed_at", "from", "to", "users", "relations",
                              "distribution", "summary"]
    assert data["computed_at"].startswith("2026-11-23T09:00:00+01:00")  # --now is local time
    totals = {r["relation"]: (r["total"], r["days_since"], r["bucket"]) for r in data["relations"]}
    # m = 2 (the median of 3 and 1): 1 <= m/2 is lightgrey, 3 <= 1.5m blue
    assert totals == {"000001": (3, 19, "blue"), "000002": (1, 18, "lightgrey"),
                      "000003": (0, None, "red"), "000004": (0, None, "red")}
    assert "revenue" not in out.stdout and "2500" not in out.stdout
    refused = cli("attention", "compute", "--view", "sales", "--as", "jan@kantoor.example")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == "not permitted: see revenue needs admin or sales-monitor"
    staff = cli("attention", "show", "--as", "stagiair@kantoor.example")
    assert staff.exit_code == 1 and "use the attention monitor needs" in staff.stderr
    # the stored result, one bucket with name and address, and its files
    xlsx, png, geo = tmp_path / "grid.xlsx", tmp_path / "verdeling.png", tmp_path / "kaart.geojson"
    shown = ok(cli("attention", "show", "--bucket", "rood", "--json", "--excel", xlsx,
                   "--chart", png, "--geojson", geo, "--as", "jan@kantoor.example"))
    red = json.loads(shown.stdout)
    assert [r["relation"] for r in red["relations"]] == ["000003", "000004"]
    assert red["relations"][0]["address"] == "Markt 1"
    sheet = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
    assert sheet[0][:5] == ["Kleur", "Code", "Naam", "Tot.", "dgn"]
    assert [row[:2] for row in sheet[1:]] == [["rood", "000003"], ["rood", "000004"]]
    doc = json.loads(geo.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert [f["properties"]["relation"] for f in doc["features"]] == ["000004"]
    assert doc["features"][0]["geometry"] == {"type": "Point", "coordinates": [6.083, 52.5168]}
    assert doc["features"][0]["properties"]["bucket"] == "red"
    assert doc["properties"]["not_placed"] == 1  # 000003 has no coordinates
    from PIL import Image

    with Image.open(png) as image:
        assert image.format == "PNG" and image.size[0] > 300
    # the full grid as Excel: every relation, a formula-looking subject stays text
    ok(cli("attention", "show", "--excel", tmp_path / "all.xlsx", "--as", "jan@kantoor.example"))
    grid = CalamineWorkbook.from_path(str(tmp_path / "all.xlsx")).get_sheet_by_index(0)
    assert len(grid.to_python()) == 5
    from openpyxl import load_workbook

    cells = {c.value: c for row in load_workbook(tmp_path / "all.xlsx").active for c in row}
    assert cells['=HYPERLINK("x")'].data_type == "s"  # a company name, never a formula


def test_sales_view_timeline_and_metrics_for_the_sales_monitor(cli, tmp_path):
    setup(cli, tmp_path)
    sales = json.loads(ok(cli("attention", "compute", "--from", "2026-11-01", "--to",
                              "2026-11-30", "--view", "sales", "--now", "2026-11-23T09:00",
                              "--json", "--as", "sales@kantoor.example")).stdout)
    assert list(sales)[4:6] == ["relations", "excluded"]
    by = {r["relation"]: r for r in sales["relations"]}
    assert (by["000001"]["revenue"], by["000001"]["class"]) == (2500.0, "average")
    assert (by["000002"]["revenue"], by["000002"]["class"]) == (800.0, "average")
    assert {e["relation"] for e in sales["excluded"]} == {"000003", "000004"}
    line = ok(cli("attention", "timeline", "000002", "--as", "sales@kantoor.example"))
    assert "sales.factuur" in line.stdout and "€ 800.00" in line.stdout
    assert "* " in line.stdout  # the invoice is marked: shown, not counted
    rm_view = json.loads(ok(cli("attention", "timeline", "000002", "--json", "--as",
                                "jan@kantoor.example")).stdout)
    assert [e.get("amount") for e in rm_view["events"]] == [None, None]
    assert rm_view["counted"] == 1
    channels = json.loads(ok(cli("metrics", "channels", "--from", "2026-11-01", "--to",
                                 "2026-11-30", "--json")).stdout)
    got = {c["channel"]: c["count"] for c in channels["channels"] if c["count"]}
    assert got == {"telefoon": 1, "e-mail": 1, "bezoek": 2}
    rfm = json.loads(ok(cli("metrics", "rfm", "--from", "2026-11-01", "--to", "2026-11-30",
                            "--json", "--as", "jan@kantoor.example")).stdout)
    first = next(r for r in rfm["relations"] if r["relation"] == "000001")
    # four relations rank 0..3: scores 1 + 5 * rank // 4, as SQL's NTILE(5) (top: 4)
    assert (first["frequency"], first["recency"]) == (4, 3)  # the most moments, 2nd most recent
    assert "monetary" not in first and "revenue" not in json.dumps(rfm["relations"])
    rfm_sales = json.loads(ok(cli("metrics", "rfm", "--from", "2026-11-01", "--to",
                                  "2026-11-30", "--json", "--as", "admin@quickcrm.example")).stdout)
    assert next(r for r in rfm_sales["relations"] if r["relation"] == "000001")["monetary"] == 4


def test_groups_through_the_cli_and_import_errors(cli, tmp_path):
    setup(cli, tmp_path)
    ok(cli("attention", "group", "create", "Topklanten", "--relations", "000001,000002",
           "--nightly"))
    listed = json.loads(ok(cli("attention", "group", "list", "--json")).stdout)
    assert listed == [{"name": "Topklanten", "relations": 2, "nightly": True}]
    ok(cli("attention", "group", "add", "Topklanten", "--relations", "000003"))
    ok(cli("attention", "group", "remove", "Topklanten", "--relations", "000001"))
    shown = json.loads(ok(cli("attention", "group", "show", "Topklanten", "--json")).stdout)
    assert [r["relation"] for r in shown["relations"]] == ["000002", "000003"]
    unknown = cli("attention", "group", "create", "X", "--relations", "000001,999999")
    assert unknown.exit_code == 1 and "unknown relation number '999999'" in unknown.stderr
    daemon = json.loads(ok(cli("daemon", "--once", "--json", "--now", "2026-11-24T03:00")).stdout)
    assert daemon["attention"] == {"period": "2026-11-24", "groups": 1}
    night = json.loads(ok(cli("attention", "show", "--group", "Topklanten", "--json", "--as",
                              "jan@kantoor.example")).stdout)
    assert night["from"] == "2025-11-23" and night["to"] == "2026-11-23"  # the year to yesterday
    assert [r["relation"] for r in night["relations"]] == ["000002", "000003"]
    ok(cli("attention", "group", "delete", "Topklanten"))
    # each change is in the audit trail: who, which group, its size before and after
    trail = json.loads(ok(cli("audit", "--kind", "attention.group_changed", "--json")).stdout)
    changed = [(e["details"]["action"], e["details"]["relations"], e["changes"])
               for e in sorted(trail["events"], key=lambda e: e["id"])]
    assert changed == [
        ("created", 2, [{"field": "relations", "old": 0, "new": 2}]),
        ("added", 1, [{"field": "relations", "old": 2, "new": 3}]),
        ("removed", 1, [{"field": "relations", "old": 3, "new": 2}]),
        ("deleted", 2, [{"field": "relations", "old": 2, "new": 0}])]
    bad = tmp_path / "fout.csv"
    bad.write_text("Relatienummer;Datum;Soort;Bedrag\n000001;gisteren;historie;\n"
                   "000002;2026-11-01;order;veel\n", encoding="utf-8")
    failed = cli("import", "activities", bad)
    assert failed.exit_code == 1
    assert f"{bad}:2:Datum: not a date or date-time: 'gisteren'" in failed.stderr
    assert f"{bad}:3:Bedrag: not an amount: 'veel'" in failed.stderr
    assert len(HEADERS) == 23  # the client file carries Breedtegraad and Lengtegraad


def test_invitations_count_for_their_rm_and_ratings_give_the_nps(db_url, clock, smtp_server):
    from test_campaigns import RM1, RM2
    from test_send import final_campaign, invitation_rows, runtime

    from quickcrm.attention.metrics import nps
    from quickcrm.attention.monitor import Params, compute
    from quickcrm.campaigns.sending import send
    from quickcrm.quickscans.models import Answer

    rt = runtime(db_url, clock, smtp_server.url)
    try:
        final_campaign(rt, n=6)
        send(rt=rt, campaign="Voorjaar")
        rows = invitation_rows(rt)
        with rt.session() as s:
            for row, value in zip(rows, ("10", "9", "8", "6", "2", "10"), strict=True):
                s.add(Answer(invitation_id=row.id, question_id="tevredenheid", value=value,
                             answered_at=clock.now()))
            s.commit()
        today = clock.now().date()
        with rt.session() as s:
            result = compute(session=s, actor=rt.actor, now=clock.now(), tz="Europe/Amsterdam",
                             params=Params(start=today, end=today, users=(RM1,)))
            score = nps(session=s, actor=rt.actor, campaign="Voorjaar", question="tevredenheid")
        totals = {r["relation"]: r["total"] for r in result["relations"]}
        assert totals == {"000001": 1, "000002": 0, "000003": 1, "000004": 0, "000005": 1,
                          "000006": 0}  # the odd ones are RM1's; the admin ran send
        assert RM2 not in result["users"]
        assert (score["promoters"], score["passives"], score["detractors"]) == (3, 1, 2)
        assert score["nps"] == 16.7 and score["scale"] == [1, 10]
        # the invitation in the timeline: its subject and first lines from the outbox
        from sqlmodel import select

        from quickcrm import events
        from quickcrm.attention.timeline import timeline
        from quickcrm.mail.models import OutboxMessage

        with rt.session(read_only=True) as s:
            line = timeline(session=s, actor=rt.actor, tz="Europe/Amsterdam", number="000001",
                            detail=True)
            sent = [e for e in line["events"] if e["kind"] == events.INVITATION_SENT]
            message = s.exec(select(OutboxMessage).where(
                OutboxMessage.message_id == sent[0]["details"]["message_id"])).one()
        assert len(sent) == 1 and sent[0]["counted"] and sent[0]["user"] == RM1
        assert sent[0]["subject"] == message.subject and sent[0]["subject"]
        assert sent[0]["first_lines"].strip()
    finally:
        rt.close()


def test_log_and_solve_by_hand(cli, tmp_path):
    setup(cli, tmp_path)
    bad = cli("attention", "log", "000001", "--kind", "brief")
    assert bad.exit_code == 1 and "unknown --kind 'brief'" in bad.stderr
    bad = cli("attention", "log", "000001", "--kind", "historie", "--at", "gisteren")
    assert bad.exit_code == 1
    assert bad.stderr.strip() == "--at: not an ISO date or datetime: 'gisteren'"
    bad = cli("attention", "log", "000001", "--kind", "historie", "--amount", "10")
    assert bad.exit_code == 1 and "--amount belongs to sales and invoices only" in bad.stderr
    call = json.loads(ok(cli("attention", "log", "000004", "--kind", "helpdesk", "--channel",
                             "chat", "--subject", "Wachtwoord", "--at", "2026-11-21 23:30",
                             "--json", "--as", "jan@kantoor.example")).stdout)
    assert call["at"] == "2026-11-21T23:30:00+01:00" and call["channel"] == "chat"
    ok(cli("attention", "solve", str(call["id"]), "--as", "jan@kantoor.example"))
    again = cli("attention", "solve", str(call["id"]))
    assert again.exit_code == 1 and "is solved already" in again.stderr
    wrong = cli("attention", "solve", "1")
    assert wrong.exit_code == 1 and "no helpdesk call has the id 1" in wrong.stderr
    data = json.loads(ok(cli("attention", "compute", "--from", "2026-11-21", "--to",
                             "2026-11-21", "--view", "types", "--json")).stdout)
    four = next(r for r in data["relations"] if r["relation"] == "000004")
    assert (four["total"], four["helpdesk_open"], four["helpdesk_solved"]) == (1, 0, 1)
