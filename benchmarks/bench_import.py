"""Client import benchmarks (issue 14), measured side by side in one run.

(a) a cp1252 ``;`` CSV through ``import_clients`` vs ``sqlite-utils insert --csv`` of the
    same rows as UTF-8 comma CSV (target: at least 2x faster);
(b) the same rows as .xlsx vs the floor "python-calamine read + one sqlite3
    executemany" (target: within 2x);
(c) with ``--big``: peak RSS importing a 1,000,000-row CSV in a fresh process (target:
    at most 300 MB), and (d) the same for .xlsx next to python-calamine loading the sheet.

Usage: python benchmarks/bench_import.py [--rows 100000] [--big] [--big-rows 1000000]
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


def quickcrm_import(path: Path, db: Path) -> float:
    """Seconds for ``import_clients`` on a fresh, migrated database (setup not timed)."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.importer import import_clients

    rt = bootstrap(database_url=f"sqlite:///{db}", env={})
    actor = rt.actor
    start = time.perf_counter()
    with rt.session() as s:
        result = import_clients(session=s, actor=actor, now=rt.clock.now(), path=path)
    took = time.perf_counter() - start
    rt.close()
    assert result.created > 0 and not result.errors, result
    return took


def sqlite_utils_insert(path: Path, db: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["sqlite-utils", "insert", str(db), "clients", str(path), "--csv"], check=True)
    return time.perf_counter() - start


def calamine_floor(path: Path, db: Path) -> float:
    """python-calamine reads the sheet, one raw executemany writes it: the floor."""
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    conn = sqlite3.connect(db)
    cols = ", ".join(f'"{h}" TEXT' for h in HEADERS)
    conn.execute(f"CREATE TABLE clients ({cols})")
    marks = ", ".join("?" * len(HEADERS))
    conn.executemany(f"INSERT INTO clients VALUES ({marks})", rows[1:])
    conn.commit()
    conn.close()
    return time.perf_counter() - start


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


def timed(label: str, fn, *args) -> float:  # type: ignore[no-untyped-def]
    took = fn(*args)
    print(f"  {label:<52} {took:8.2f} s")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--big", action="store_true", help="also the 1M-row memory runs")
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default temp)")
    opts = parser.parse_args()
    work = opts.dir or Path(tempfile.mkdtemp(prefix="qcrm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    n = opts.rows
    print(f"data: {n:,} generated clients in {work}")
    cp = write_clients(work / "clients-cp1252.csv", n, encoding="cp1252", delimiter=";")
    utf = work / "clients-utf8.csv"
    write_utf8_comma(utf, n)
    xlsx = write_clients(work / "clients.xlsx", n)

    print("(a) CSV")
    ours = timed("quickcrm import_clients (cp1252 ';' CSV)", quickcrm_import, cp, work / "a.db")
    theirs = timed("sqlite-utils insert --csv (UTF-8 ',' CSV)", sqlite_utils_insert, utf,
                   work / "a-su.db")
    print(f"  ratio sqlite-utils / quickcrm = {theirs / ours:.2f}x (target >= 2)")

    print("(b) XLSX")
    ours = timed("quickcrm import_clients (.xlsx)", quickcrm_import, xlsx, work / "b.db")
    floor = timed("floor: calamine read + sqlite3 executemany", calamine_floor, xlsx,
                  work / "b-floor.db")
    print(f"  ratio quickcrm / floor = {ours / floor:.2f}x (target <= 2)")

    if opts.big:
        big = opts.big_rows
        print(f"(c) peak memory, {big:,} rows")
        bcsv = write_clients(work / "big.csv", big, encoding="cp1252", delimiter=";")
        print(f"  import CSV peak RSS {peak_mb('import', str(bcsv), str(work / 'c.db')):8.0f} MB"
              " (target <= 300)")
        bx = write_clients(work / "big.xlsx", big)
        ours_mb = peak_mb("import", str(bx), str(work / "d.db"))
        cal_mb = peak_mb("calamine", str(bx))
        print(f"  import XLSX peak RSS {ours_mb:7.0f} MB; calamine loading the sheet "
              f"{cal_mb:.0f} MB (ratio {ours_mb / cal_mb:.2f}x)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
