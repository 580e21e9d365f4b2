"""Client import benchmarks (issue 14), measured side by side in one run.

(a) a cp1252 ``;`` CSV through ``import_clients`` vs ``sqlite-utils insert --csv`` of the
    same rows as UTF-8 comma CSV (target: at least 2x faster);
(b) the same rows as .xlsx vs the floor "python-calamine read + one sqlite3
    executemany" (target: within 2x);
(c) with ``--big``: peak RSS importing a 1,000,000-row CSV in a fresh process (target:
    at most 300 MB), and (d) the same for .xlsx next to python-calamine loading the sheet.

Each figure is the best of ``--repeat`` runs, as wall time and as CPU time; on a busy
machine the CPU ratios are the steadier ones.

Usage: python benchmarks/bench_import.py [--rows 100000] [--repeat 3] [--big]
       [--big-rows 1000000] [--dir DIR]  (files in DIR are reused when present)
"""

from __future__ import annotations

import argparse
import csv
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from quickcrm.crm.columns import CLIENT_COLUMNS
from quickcrm.sample import iter_clients, write_clients

HEADERS = [c.header for c in CLIENT_COLUMNS]


def write_utf8_comma(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADERS)
        out.writerows([r[h] for h in HEADERS] for r in iter_clients(n))


Timing = tuple[float, float]  # wall seconds, CPU seconds (user + system)


def _fresh(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def quickcrm_import(path: Path, db: Path) -> Timing:
    """``import_clients`` on a fresh, migrated database (setup not timed)."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.importer import import_clients

    _fresh(db)
    rt = bootstrap(database_url=f"sqlite:///{db}", env={})
    actor = rt.actor
    wall, cpu = time.perf_counter(), time.process_time()
    with rt.session() as s:
        result = import_clients(session=s, actor=actor, now=rt.clock.now(), path=path)
    took = time.perf_counter() - wall, time.process_time() - cpu
    rt.close()
    assert result.created > 0 and not result.errors, result
    return took


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sqlite_utils_insert(path: Path, db: Path) -> Timing:
    _fresh(db)
    wall, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(["sqlite-utils", "insert", str(db), "clients", str(path), "--csv"], check=True)
    return time.perf_counter() - wall, _children_cpu() - cpu


def calamine_floor(path: Path, db: Path) -> Timing:
    """python-calamine reads the sheet, one raw executemany writes it: the floor."""
    from python_calamine import CalamineWorkbook

    _fresh(db)
    wall, cpu = time.perf_counter(), time.process_time()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    conn = sqlite3.connect(db)
    cols = ", ".join(f'"{h}" TEXT' for h in HEADERS)
    conn.execute(f"CREATE TABLE clients ({cols})")
    marks = ", ".join("?" * len(HEADERS))
    conn.executemany(f"INSERT INTO clients VALUES ({marks})", rows[1:])
    conn.commit()
    conn.close()
    return time.perf_counter() - wall, time.process_time() - cpu


def child(args: list[str]) -> None:
    """Run in a fresh process: ``import FILE DB`` or ``calamine FILE``; prints peak MB."""
    if args[0] == "import":
        quickcrm_import(Path(args[1]), Path(args[2]))
    else:
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(args[1]).get_sheet_by_index(0).to_python()
        assert len(rows) > 1
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak_mb(*args: str) -> float:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


REPEAT = 1


def timed(label: str, fn, *args) -> Timing:  # type: ignore[no-untyped-def]
    """The best of REPEAT runs (wall and CPU each): other processes only ever add time."""
    runs = [fn(*args) for _ in range(REPEAT)]
    wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    print(f"  {label:<50} wall {wall:7.2f} s   cpu {cpu:7.2f} s")
    return wall, cpu


def ratio(label: str, a: Timing, b: Timing, target: str) -> None:
    print(f"  {label}: wall {a[0] / b[0]:.2f}x, cpu {a[1] / b[1]:.2f}x ({target})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--big", action="store_true", help="also the 1M-row memory runs")
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best)")
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default temp)")
    opts = parser.parse_args()
    global REPEAT
    REPEAT = max(1, opts.repeat)
    work = opts.dir or Path(tempfile.mkdtemp(prefix="qcrm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    n = opts.rows
    print(f"data: {n:,} generated clients in {work}")
    cp = work / "clients-cp1252.csv"
    utf = work / "clients-utf8.csv"
    xlsx = work / "clients.xlsx"
    if not (cp.exists() and utf.exists() and xlsx.exists()):
        write_clients(cp, n, encoding="cp1252", delimiter=";")
        write_utf8_comma(utf, n)
        write_clients(xlsx, n)

    print("(a) CSV")
    ours = timed("quickcrm import_clients (cp1252 ';' CSV)", quickcrm_import, cp, work / "a.db")
    theirs = timed("sqlite-utils insert --csv (UTF-8 ',' CSV)", sqlite_utils_insert, utf,
                   work / "a-su.db")
    ratio("sqlite-utils / quickcrm", theirs, ours, "target >= 2")

    print("(b) XLSX")
    ours = timed("quickcrm import_clients (.xlsx)", quickcrm_import, xlsx, work / "b.db")
    floor = timed("floor: calamine read + sqlite3 executemany", calamine_floor, xlsx,
                  work / "b-floor.db")
    ratio("quickcrm / floor", ours, floor, "target <= 2")

    if opts.big:
        big = opts.big_rows
        print(f"(c) peak memory, {big:,} rows")
        bcsv, bx = work / f"big-{big}.csv", work / f"big-{big}.xlsx"
        if not bcsv.exists():
            write_clients(bcsv, big, encoding="cp1252", delimiter=";")
        print(f"  import CSV peak RSS {peak_mb('import', str(bcsv), str(work / 'c.db')):8.0f} MB"
              " (target <= 300)")
        if not bx.exists():
            write_clients(bx, big)
        ours_mb = peak_mb("import", str(bx), str(work / "d.db"))
        cal_mb = peak_mb("calamine", str(bx))
        print(f"  import XLSX peak RSS {ours_mb:7.0f} MB; calamine loading the sheet "
              f"{cal_mb:.0f} MB (ratio {ours_mb / cal_mb:.2f}x)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
