"""``PRAGMA secure_delete=ON`` (issue 29) side by side with it off, in one run: the client
import of ``bench_import.py`` (its targets: at least 2x faster than ``sqlite-utils insert``
for CSV, within 2x of the calamine + executemany floor for .xlsx), and where secure_delete
does its work, deleting what the import wrote (every event row) from the same database.

Usage: python benchmarks/bench_secure_delete.py [--rows 100000] [--repeat 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import as bi  # noqa: E402

from quickcrm.sample import write_clients  # noqa: E402
from quickcrm.store import db as store_db  # noqa: E402

_configure = store_db._configure_sqlite


def secure_delete(on: bool) -> None:
    """Every engine made from now on has secure_delete ``on`` (QuickCRM's hook) or off."""
    def configure(engine):  # type: ignore[no-untyped-def]
        _configure(engine)
        if not on:
            from sqlalchemy import event

            @event.listens_for(engine, "connect")
            def _off(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                dbapi_conn.execute("PRAGMA secure_delete=OFF")

    store_db._configure_sqlite = configure  # type: ignore[assignment]


def delete_events(db: Path, on: bool) -> bi.Timing:
    """Delete every event the import wrote and checkpoint, as a purge would."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f"PRAGMA secure_delete={'ON' if on else 'OFF'}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    wall, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM event")
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    took = time.perf_counter() - wall, time.process_time() - cpu
    conn.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    opts = parser.parse_args()
    bi.REPEAT = max(1, opts.repeat)
    work = opts.dir or Path(tempfile.mkdtemp(prefix="qcrm-bench-sd-"))
    work.mkdir(parents=True, exist_ok=True)
    n = opts.rows
    cp, utf, xlsx = work / "clients-cp1252.csv", work / "clients-utf8.csv", work / "clients.xlsx"
    if not (cp.exists() and utf.exists() and xlsx.exists()):
        write_clients(cp, n, encoding="cp1252", delimiter=";")
        bi.write_utf8_comma(utf, n)
        write_clients(xlsx, n)
    print(f"data: {n:,} generated clients in {work}; best of {bi.REPEAT} runs")
    found: dict[str, bi.Timing] = {}
    for on in (True, False):
        label = "on " if on else "off"
        secure_delete(on)
        found[f"csv {label}"] = bi.timed(f"import CSV, secure_delete {label}", bi.quickcrm_import,
                                         cp, work / f"a-{label.strip()}.db")
        found[f"xlsx {label}"] = bi.timed(f"import XLSX, secure_delete {label}",
                                          bi.quickcrm_import, xlsx, work / f"b-{label.strip()}.db")
    theirs = bi.timed("sqlite-utils insert --csv (UTF-8 ',' CSV)", bi.sqlite_utils_insert, utf,
                      work / "a-su.db")
    floor = bi.timed("floor: calamine read + sqlite3 executemany", bi.calamine_floor, xlsx,
                     work / "b-floor.db")
    deletes = {}
    for on in (True, False):
        label = "on " if on else "off"
        runs = []
        for _ in range(bi.REPEAT):
            secure_delete(on)
            bi.quickcrm_import(cp, work / "c.db")
            runs.append(delete_events(work / "c.db", on))
        deletes[label] = (min(r[0] for r in runs), min(r[1] for r in runs))
        print(f"  {'delete every event, secure_delete ' + label:<50} wall "
              f"{deletes[label][0]:7.2f} s   cpu {deletes[label][1]:7.2f} s")
    print("ratios")
    bi.ratio("CSV import, on / off", found["csv on "], found["csv off"], "the cost of secure_delete")
    bi.ratio("XLSX import, on / off", found["xlsx on "], found["xlsx off"],
             "the cost of secure_delete")
    bi.ratio("sqlite-utils / quickcrm CSV (on)", theirs, found["csv on "], "target >= 2")
    bi.ratio("quickcrm XLSX (on) / floor", found["xlsx on "], floor, "target <= 2")
    bi.ratio("delete every event, on / off", deletes["on "], deletes["off"],
             "where secure_delete zeroes pages")


if __name__ == "__main__":
    main()
