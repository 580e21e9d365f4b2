"""`quickcrm demo` runs the whole collective action: the figures it prints agree with
each other, with the database and with the outbox, the files it names exist and open in
independent readers, and a second run gives the same result."""

from __future__ import annotations

import json
import mailbox
import sqlite3
import subprocess
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any


def _db(path: Path, query: str) -> Any:
    with sqlite3.connect(path) as conn:
        return conn.execute(query).fetchone()[0]


def _mails(outbox: Path) -> list[Any]:
    box = mailbox.Maildir(str(outbox), create=False)
    return [message_from_bytes(m.as_bytes(), policy=policy.default) for m in box]


def test_demo_runs_the_collective_action_end_to_end(cli, tmp_path):
    demo = tmp_path / "demo"
    result = cli("demo", "--dir", demo, "--json")
    assert result.exit_code == 0, result.output
    steps = {s["name"]: s for s in json.loads(result.stdout)["steps"]}
    select, send = steps["select"], steps["send"]
    follow, reports = steps["responses and reminders"], steps["reports"]
    figures = reports["management"]
    assert len(select["excluded"]) == 2 and select["selected"] == select["step2"] - 2
    assert figures["sent"] == send["invitations"] == select["selected"] > 100
    assert figures["bounced"] == 1 and send["bounces"]["bounced"] == 1
    assert figures["completed"] == follow["finished"] > 0
    assert figures["not_interested"] == follow["declined"] > 0
    assert figures["logged_in"] == follow["finished"] + follow["declined"] + follow["stopped"]
    open_ = figures["sent"] - figures["bounced"] - figures["completed"] - figures["not_interested"]
    assert figures["no_response"] == follow["no_response"] == open_ > 0
    assert figures["first_reminders"] == follow["first_reminders"] >= figures["second_reminders"]
    assert figures["second_reminders"] == follow["second_reminders"] >= open_
    assert figures["response_rate"] == round(figures["completed"] / (figures["sent"] - 1), 4)
    assert sum(t["sent"] for t in figures["by_team"]) == figures["sent"]
    db = demo / "quickcrm.db"
    assert _db(db, "SELECT count(*) FROM invitation WHERE finished_at IS NOT NULL") == \
        figures["completed"]
    assert _db(db, "SELECT count(*) FROM answer") > figures["completed"]

    mails = _mails(demo / "outbox")
    reports_to_clients = [m for m in mails if any(
        p.get_content_type() == "application/pdf" for p in m.iter_attachments())]
    assert len(reports_to_clients) == 2 * figures["completed"]  # client + RM copy
    subjects = [" ".join(str(m["Subject"]).split()) for m in mails]
    assert sum(1 for s in subjects if s.startswith("Herinnering")) == figures["first_reminders"]
    assert sum(1 for s in subjects if s.startswith("Laatste herinnering")) == \
        figures["second_reminders"]
    assert sum(1 for s in subjects if s.startswith("Geen reactie")) == figures["no_response"]

    files = {k: Path(v) for k, v in reports["files"].items()}
    assert all(p.is_file() and p.parent == demo / "rapportages" for p in files.values())
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(files["excel"])).get_sheet_by_index(0).to_python()
    assert len(sheet) == figures["sent"] + 1 and sheet[0][0] == "Voornaam klant"
    assert sum(1 for r in sheet[1:] if r[21] == 1) == figures["completed"]  # V
    text = subprocess.run(["pdftotext", str(files["pdf"]), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Bedrijfsopvolging" in text
    from pptx import Presentation

    assert len(Presentation(str(files["pptx"])).slides) > 1
    assert files["chart"].read_bytes()[:4] == b"\x89PNG"

    again = cli("demo", "--dir", demo)
    assert again.exit_code == 0, again.output
    # the same story every run: the same figures per team, the same files
    teams = [f"{t['team']:<12} {t['completed']:>3} of {t['sent']:>3} completed"
             for t in figures["by_team"]]
    for line in ("management report:", f"{'sent':<18} {figures['sent']:>5}",
                 f"{'completed':<18} {figures['completed']:>5}", *teams,
                 str(files["excel"]), str(files["pdf"]), str(files["pptx"])):
        assert line in again.stdout, line
    assert _db(db, "SELECT count(*) FROM campaign") == 1  # rebuilt, not added to
    assert len(_mails(demo / "outbox")) == len(mails)

    # it ends by saying how to look at what it made, in commands that paste
    look = steps["look around"]
    assert look["database"] == "sqlite:///demo/quickcrm.db"  # relative to where it ran
    assert look["serve"] == "quickcrm serve --db sqlite:///demo/quickcrm.db"
    assert look["report"] == 'quickcrm report "Demo Bedrijfsopvolging" --db sqlite:///demo/quickcrm.db'
    assert look["link"].startswith("http://localhost:8000/q/")
    assert Path(look["mails"]) == Path("demo/outbox")
    assert again.stdout.splitlines()[-7] == "look at what the demo made:"
    assert "quickcrm serve --db sqlite:///demo/quickcrm.db" in again.stdout
    link = next(w for w in again.stdout.split() if w.startswith("http://localhost:8000/q/"))
    assert _db(db, "SELECT count(*) FROM invitation WHERE finished_at IS NULL AND "
                   f"not_interested_at IS NULL AND token = '{link.rsplit('/', 1)[1]}'") == 1
    assert "demo/outbox/new/" in again.stdout and "demo/rapportages/" in again.stdout
