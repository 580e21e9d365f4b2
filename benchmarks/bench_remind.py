"""Reminder benchmark (issue 16): a remind pass over N open invitations with nothing due.

Two situations, both with nothing to send: all invitations delivered yesterday, and all
delivered five days ago with the first reminder already sent (the harder one: every row
is "open" and past its first reminder). Prints the time of the service function `remind`
calls (in-process, interpreter start-up excluded; target <= 0.5 s) and of the whole
`quickcrm remind` command in a subprocess (target <= 1.5 s), side by side.

Usage: python benchmarks/bench_remind.py [--n 100000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def build(path: Path, n: int, delivered: datetime, first_sent: bool) -> None:
    """A sent campaign of ``n`` clients, written with raw SQL (fast)."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.quickscans.definitions import get_quickscan

    rt = bootstrap(database_url=f"sqlite:///{path}", env={})
    admin = rt.actor.id
    with rt.session() as s:
        qs_id = get_quickscan(session=s, key="bedrijfsopvolging", now=NOW).id
        s.commit()
    rt.close()
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    d, f = delivered.strftime(fmt), (delivered + timedelta(days=3)).strftime(fmt)
    con = sqlite3.connect(path)
    con.execute("INSERT INTO campaign (id, name, quickscan_id, coordinator_id, status, policy,"
                " criteria, counts) VALUES (1, 'Bench', ?, ?, 'sent', 'default', '{}', '{}')",
                (qs_id, admin))
    con.executemany("INSERT INTO relation (id, number, company, address, postcode, city, stage)"
                    " VALUES (?, ?, '', '', '', '', 'customer')",
                    ((i, f"{i:07d}") for i in range(1, n + 1)))
    con.executemany("INSERT INTO campaign_client (id, campaign_id, relation_id, relation_number,"
                    " first_name, last_name, email, company, team_name, rm_id) VALUES"
                    " (?, 1, ?, ?, 'Klant', 'X', ?, '', '', ?)",
                    ((i, i, f"{i:07d}", f"k{i}@example.nl", admin) for i in range(1, n + 1)))
    con.executemany("INSERT INTO invitation (campaign_id, campaign_client_id, relation_id, token,"
                    " preview_token, first_contact, invited_at, delivered_at, bounce_reason,"
                    " first_reminder_at, first_reminder_skipped) VALUES"
                    " (1, ?, ?, ?, ?, 0, ?, ?, '', ?, 0)",
                    ((i, i, secrets.token_urlsafe(24), secrets.token_urlsafe(24), d, d,
                      f if first_sent else None) for i in range(1, n + 1)))
    con.commit()
    con.close()


def service_time(path: Path, runs: int = 5) -> float:
    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.reminders import remind

    rt = bootstrap(database_url=f"sqlite:///{path}", now=NOW, env={})
    _ = rt.actor, rt.engine
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        counts = remind(rt=rt)
        times.append(time.perf_counter() - start)
        assert counts.queued == 0, counts
    rt.close()
    return statistics.median(times)


def command_time(path: Path, runs: int = 5) -> float:
    env = {**os.environ, "QUICKCRM_DATABASE_URL": f"sqlite:///{path}"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "quickcrm", "remind", "--now", NOW.isoformat(),
                        "--json"], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    print(f"remind pass over {args.n:,} open invitations, nothing due (median of 5)")
    print(f"{'situation':<44} {'service':>9} {'command':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for number, (label, delivered, first) in enumerate((
                ("delivered yesterday", NOW - timedelta(days=1), False),
                ("delivered 5 days ago, first reminder sent", NOW - timedelta(days=5), True))):
            path = Path(tmp) / f"remind{number}.db"
            build(path, args.n, delivered, first)
            svc, cmd = service_time(path), command_time(path)
            print(f"{label:<44} {svc:>8.3f}s {cmd:>8.3f}s")
    print("targets: service <= 0.5 s, command <= 1.5 s")


if __name__ == "__main__":
    main()
