"""``compute_profile_faces`` on N clients (SQLite): cold (every face inserted), warm
(nothing stale) and after the segments of 10% of the clients changed, beside a hand-written SQL
statement that computes the same faces, in the same run.

    python benchmarks/bench_faces.py [--clients 1000000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _fill(path: Path, n: int) -> None:
    rng = random.Random(1)
    conn = sqlite3.connect(path)
    ind = [str(i) for i in range(1, 14)]
    own = list("ABCDEFGHI")
    rows = ((f"{i:07d}", rng.choice(ind), rng.choice("1234"), rng.choice(own),
             rng.choice("ABCD"), "2026-11-01 00:00:00.000000", "2026-11-01 00:00:00.000000")
            for i in range(n))
    conn.executemany("INSERT INTO relation (number, company, address, postcode, city, industry,"
                     " size, ownership, client_group, stage, updated_at, segments_at) VALUES"
                     " (?, '', '', '', '', ?, ?, ?, ?, 'customer', ?, ?)", rows)
    conn.commit()
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1_000_000)
    args = parser.parse_args()
    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.faces import compute_profile_faces
    from quickcrm.clock import FixedClock
    from quickcrm.quickscans.definitions import get_quickscan

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        now = datetime(2026, 11, 23, 9, tzinfo=UTC)
        rt = bootstrap(database_url=f"sqlite:///{db}", env={}, clock=FixedClock(now))
        with rt.session() as s:
            qs_id = get_quickscan(session=s, key="bedrijfsopvolging", now=now).id
            s.commit()
        start = time.perf_counter()
        _fill(db, args.clients)
        print(f"{args.clients:,} clients generated in {time.perf_counter() - start:.1f} s")

        def run(at: datetime) -> tuple[int, float]:
            with rt.session() as s:
                t = time.perf_counter()
                written = compute_profile_faces(session=s, quickscan_id=qs_id, now=at)
                s.commit()
                return written, time.perf_counter() - t

        for label, at in (("cold", now), ("warm", now + timedelta(minutes=1))):
            written, took = run(at)
            print(f"{label:>5}: {written:,} faces written in {took:.2f} s")
        conn = sqlite3.connect(db)
        conn.execute("UPDATE relation SET updated_at = '2026-11-23 09:30:00.000000',"
                     " segments_at = '2026-11-23 09:30:00.000000' WHERE id % 10 = 0")
        conn.commit()
        written, took = run(now + timedelta(hours=1))
        print(f"  10%: {written:,} faces written in {took:.2f} s")
        conn.execute("DELETE FROM face")
        conn.commit()
        t = time.perf_counter()
        conn.execute(
            "INSERT INTO face (relation_id, quickscan_id, profile_face, profile_at)"
            " SELECT id, ?, CASE WHEN ownership IN ('G','H','D') THEN '3'"
            " WHEN industry = '12' THEN '3'"
            " WHEN ownership IN ('A','B') AND size IN ('2','3','4') THEN '1'"
            " WHEN ownership IN ('E','F') AND client_group IN ('A','C') THEN '1'"
            " WHEN size = '1' AND client_group = 'D' THEN '3' ELSE '2' END, ?"
            " FROM relation", (qs_id, "2026-11-23 09:00:00.000000"))
        conn.commit()
        print(f"hand-written INSERT .. SELECT (cold): {time.perf_counter() - t:.2f} s")
        rt.close()


if __name__ == "__main__":
    main()
