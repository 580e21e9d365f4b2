"""Excel download benchmark (issue 18): ``quickcrm report CAMPAIGN --excel`` for 10,000
clients with a 40-question QuickScan that every client answered (400,000 answers).

The database is built directly in SQL (not timed). The export then runs as the real CLI
command in a subprocess, so that its wall time includes start-up and its peak memory
(the child's maximum RSS, from getrusage) is the command's alone.
Targets: wall time <= 10 s, peak RSS <= 300 MB.

Usage: python benchmarks/bench_excel.py [--clients 10000] [--questions 40] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SENT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TYPES = ("slider", "choice", "rating", "text")


def definition(questions: int) -> str:
    """The shipped QuickScan with its sections replaced by ``questions`` generated ones."""
    from quickcrm.quickscans.schema import parse_definition
    from quickcrm.resources import templates_dir

    data = tomllib.loads((templates_dir() / "quickscans" / "bedrijfsopvolging.toml")
                         .read_text(encoding="utf-8"))
    data["key"] = "bench"
    data.pop("attention", None)  # its rules name the shipped questions, replaced below
    sections = []
    for s in range(0, questions, 10):
        qs = []
        for n in range(s, min(s + 10, questions)):
            kind = TYPES[n % 4]
            q: dict[str, Any] = {"id": f"q{n + 1}", "type": kind,
                                 "text": f"Vraag {n + 1} over de toekomst van uw onderneming?"}
            if kind == "slider":
                q.update(min=0, max=100, step=5)
            elif kind == "rating":
                q.update(min=1, max=10)
            elif kind == "choice":
                q["options"] = ["Ja", "Nee", "Weet ik niet"]
            qs.append(q)
        sections.append({"title": f"Deel {s // 10 + 1}", "questions": qs})
    data["sections"] = sections
    return json.dumps(parse_definition(data, "bench").to_data(), ensure_ascii=False)


def answer(kind: str, rng: random.Random) -> str:
    if kind == "slider":
        return str(rng.randrange(0, 101, 5))
    if kind == "rating":
        return str(rng.randint(1, 10))
    if kind == "choice":
        return f"ke{rng.randint(1, 3)}"
    return rng.choice(("Nog geen plannen.", "=geen formule", "Overdracht aan de kinderen."))


def build(url: str, clients: int, questions: int) -> None:
    from sqlalchemy import insert

    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.campaigns.models import Campaign, CampaignClient
    from quickcrm.quickscans.models import Answer, QuickScan
    from quickcrm.store.models import Relation, Team, User

    rng = random.Random(18)
    rt = bootstrap(database_url=url, env={})
    admin = rt.actor
    t = {m: m.__table__ for m in (Team, User, Relation, QuickScan, Campaign, CampaignClient,
                                  Invitation, Answer)}  # type: ignore[attr-defined]
    with rt.session() as s:
        s.execute(insert(t[Team]), [{"id": i, "name": f"Team {i}"} for i in range(1, 6)])
        s.execute(insert(t[User]), [
            {"id": 100 + i, "email": f"rm{i}@kantoor.example", "first_name": f"Rm{i}",
             "last_name": "Beheer", "initials": "", "signature": "", "team_id": i % 5 + 1,
             "active": True} for i in range(25)])
        s.execute(insert(t[QuickScan]), [{"id": 1, "key": "bench", "title": "Bench",
                                          "kind": "personal", "definition": definition(questions),
                                          "source": ""}])
        s.execute(insert(t[Campaign]), [{"id": 1, "name": "Bench", "quickscan_id": 1,
                                         "coordinator_id": admin.id, "status": "sent",
                                         "policy": "default", "criteria": "{}", "counts": "{}"}])
        for start in range(0, clients, 1000):
            ids = range(start + 1, min(start + 1001, clients + 1))
            s.execute(insert(t[Relation]), [
                {"id": i, "number": f"{i:06d}", "company": f"Bedrijf {i} B.V.",
                 "city": "Utrecht", "industry": str(i % 13 + 1), "size": str(i % 4 + 1),
                 "ownership": "B", "client_group": "A", "life_cycle": "B",
                 "entrepreneur_type": "B", "team_id": i % 5 + 1, "rm_id": 100 + i % 25,
                 "stage": "customer", "address": "", "postcode": ""} for i in ids])
            s.execute(insert(t[CampaignClient]), [
                {"id": i, "campaign_id": 1, "relation_id": i, "relation_number": f"{i:06d}",
                 "first_name": "Klant", "last_name": f"Nummer {i}", "email": f"k{i}@example.nl",
                 "company": f"Bedrijf {i} B.V.", "team_name": f"Team {i % 5 + 1}",
                 "rm_id": 100 + i % 25, "profile_face": "1", "update_face": "2",
                 "rm_face": "1"} for i in ids])
            s.execute(insert(t[Invitation]), [
                {"id": i, "campaign_id": 1, "campaign_client_id": i, "relation_id": i,
                 "token": f"t{i:030d}", "preview_token": f"p{i:030d}", "first_contact": False,
                 "invited_at": SENT, "delivered_at": SENT, "bounce_reason": "",
                 "logged_in_at": SENT + timedelta(days=1),
                 "finished_at": SENT + timedelta(days=2),
                 "report_sent_at": SENT + timedelta(days=2), "first_reminder_skipped": False,
                 "first_reminder_at": SENT + timedelta(days=3) if i % 3 else None}
                for i in ids])
            s.execute(insert(t[Answer]), [
                {"invitation_id": i, "question_id": f"q{n + 1}", "value": answer(TYPES[n % 4], rng),
                 "answered_at": SENT} for i in ids for n in range(questions)])
        s.commit()
    rt.close()


CHILD = """
import sys, time
t0 = time.perf_counter()
from quickcrm.cli.main import app
sys.argv = ["quickcrm", "report", "Bench", "--excel", sys.argv[1], "--db", sys.argv[2], "--json"]
try:
    app()
except SystemExit as exc:
    print("wall", time.perf_counter() - t0, file=sys.stderr)
    raise
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--db", default=None, help="database URL (default: a temp SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        build(url, args.clients, args.questions)
        print(f"built {args.clients} clients x {args.questions} answers in "
              f"{time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")
        out = Path(tmp) / "bench.xlsx"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, str(out), url],
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode:
            sys.exit(proc.stderr)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        result = json.loads(proc.stdout)["excel"]
        size_mb = out.stat().st_size / 1e6
        print(f"excel: {result['clients']} rows x {result['columns']} columns, "
              f"{size_mb:.1f} MB file")
        print(f"wall time {wall:.2f} s (target <= 10 s), peak RSS {peak_mb:.0f} MB "
              f"(target <= 300 MB)")
        print(f"ratios: time {wall / 10:.2f} of target, memory {peak_mb / 300:.2f} of target")


if __name__ == "__main__":
    main()
