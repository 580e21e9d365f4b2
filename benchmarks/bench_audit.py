"""Audit trail benchmark (issue 29, item 1), measured side by side in one run.

On an SQLite database with ``--events`` events (default 200,000) over ``--relations``
relations (default 2,000) and a year, a third of them with ``changes`` in their details:

(a) ``audit --relation X`` (the service ``audit_trail``: a fresh session, the right check,
    the relation lookup, the rows, their details decoded and shaped, users named) next to
    a hand-written sqlite3 query of the same rows (event joined with the user's e-mail and
    the relation number, same order);
(b) ``audit --since D`` (the last ``--days`` days, default 7) next to the same hand-written
    query by time.

Target: each within 3x of its hand-written query. Medians of ``--runs`` runs; the machine
is shared, so process CPU time is printed beside wall time.

Usage: python benchmarks/bench_audit.py [--events 200000] [--relations 2000] [--days 7]
       [--runs 15] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RNG = random.Random(29)
KINDS = ("person.updated", "relation.updated", "faces.set", "procedure.step",
         "project.contact_status", "contact.historie", "campaign.invitation_sent",
         "sales.order")


def build(path: Path, events: int, relations: int) -> None:
    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.users import add_user

    rt = bootstrap(database_url=f"sqlite:///{path}", env={})
    with rt.session() as s:
        for i in range(20):
            add_user(session=s, actor=rt.actor, now=NOW, email=f"rm{i}@kantoor.example",
                     first_name=f"Rm{i}", last_name="Manager", rights=["relationship-manager"])
    rt.close()
    conn = sqlite3.connect(path)
    users = [r[0] for r in conn.execute("SELECT id FROM app_user")]
    conn.executemany("INSERT INTO relation (number, company, address, postcode, city, stage, "
                     "rm_id) VALUES (?, ?, '', '', '', ?, ?)",
                     [(f"{i:06d}", f"Bedrijf {i}", "customer", RNG.choice(users))
                      for i in range(1, relations + 1)])
    rels = [r[0] for r in conn.execute("SELECT id FROM relation")]
    rows = []
    for n in range(events):
        at = NOW - timedelta(seconds=RNG.randrange(365 * 86400))
        kind = RNG.choice(KINDS)
        details: dict[str, Any] = {"source": "bench"}
        if n % 3 == 0:
            details["changes"] = {"city": ["Utrecht", "Zwolle"], "phone": ["", "06-1"]}
        amount = round(RNG.random() * 1000, 2) if kind == "sales.order" else None
        rows.append((at.strftime("%Y-%m-%d %H:%M:%S.%f"), kind, RNG.choice(rels), None,
                     RNG.choice(users), json.dumps(details), amount))
    conn.executemany("INSERT INTO event (at, kind, relation_id, person_id, user_id, details, "
                     "amount) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


HAND = ("SELECT e.id, e.at, e.kind, e.relation_id, e.person_id, e.user_id, e.details, "
        "e.amount, u.email, r.number FROM event e LEFT JOIN app_user u ON u.id = e.user_id "
        "LEFT JOIN relation r ON r.id = e.relation_id WHERE {where} ORDER BY e.at, e.id")


def timed(ours: Callable[[], int], theirs: Callable[[], int], runs: int
          ) -> tuple[tuple[float, float, int], tuple[float, float, int]]:
    """(median wall s, median CPU s, rows) of each over ``runs`` calls, taken in turns so
    that a burst of load on the shared machine falls on both."""
    figures: list[tuple[list[float], list[float], list[int]]] = [([], [], []), ([], [], [])]
    for _ in range(runs):
        for fn, (walls, cpus, rows) in zip((ours, theirs), figures, strict=True):
            w0, c0 = time.perf_counter(), time.process_time()
            rows.append(fn())
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
    (aw, ac, an), (bw, bc, bn) = figures
    return ((statistics.median(aw), statistics.median(ac), an[-1]),
            (statistics.median(bw), statistics.median(bc), bn[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--relations", type=int, default=2_000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    root.mkdir(parents=True, exist_ok=True)
    path = root / "audit.db"
    path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    build(path, args.events, args.relations)
    print(f"built {args.events:,} events over {args.relations:,} relations in "
          f"{time.perf_counter() - t0:.1f} s ({path})")

    from quickcrm.bootstrap import bootstrap
    from quickcrm.clock import FixedClock
    from quickcrm.privacy.audit import audit_trail

    rt = bootstrap(database_url=f"sqlite:///{path}", env={}, clock=FixedClock(NOW))
    actor = rt.actor
    _ = rt.engine
    conn = sqlite3.connect(path)
    number = "000042"
    rid = conn.execute("SELECT id FROM relation WHERE number = ?", (number,)).fetchone()[0]
    since = NOW - timedelta(days=args.days)
    since_day = since.date().isoformat()

    def service(**filters: Any) -> Callable[[], int]:
        def run() -> int:
            with rt.session(read_only=True) as s:
                return len(audit_trail(session=s, actor=actor, now=NOW, settings=rt.settings,
                                       **filters).events)
        return run

    def hand(where: str, params: tuple[Any, ...]) -> Callable[[], int]:
        sql = HAND.format(where=where)

        def run() -> int:
            c = sqlite3.connect(path)
            try:
                return len(c.execute(sql, params).fetchall())
            finally:
                c.close()
        return run

    # the service's --since is the start of that local day (Europe/Amsterdam)
    from quickcrm.privacy.audit import parse_since

    start = parse_since(since_day, rt.settings.timezone).strftime("%Y-%m-%d %H:%M:%S")
    cases = [
        ("(a) audit --relation", service(relation=number),
         hand("e.relation_id = ?", (rid,))),
        (f"(b) audit --since {since_day}", service(since=since_day),
         hand("e.at >= ?", (start,))),
    ]
    print(f"{'case':<32} {'rows':>7} {'service wall':>13} {'cpu':>8} {'sqlite3 wall':>13} "
          f"{'cpu':>8} {'wall x':>7} {'cpu x':>6}")
    ok = True
    for label, ours, theirs in cases:
        ours(), theirs()  # warm the page cache for both
        (sw, sc, sn), (hw, hc, hn) = timed(ours, theirs, args.runs)
        assert sn == hn, (label, sn, hn)
        ratio = sw / hw if hw else float("inf")
        cpu_ratio = sc / hc if hc else float("inf")
        ok &= ratio <= 3
        print(f"{label:<32} {sn:>7,} {sw * 1000:>10.1f} ms {sc * 1000:>5.1f} ms "
              f"{hw * 1000:>10.1f} ms {hc * 1000:>5.1f} ms {ratio:>6.2f}x {cpu_ratio:>5.2f}x")
        print(f"  {label}: wall {ratio:.2f}x the hand-written query (target <= 3x)")
    rt.close()
    print("all within target" if ok else "TARGET MISSED")


if __name__ == "__main__":
    main()
