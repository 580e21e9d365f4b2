"""Client import benchmarks (issue 14), measured side by side in one run.

(a) a cp1252 ``;`` CSV through ``import_clients`` vs ``sqlite-utils insert --csv`` of the
    same rows as UTF-8 comma CSV (target: at least 2x faster);
(b) the same rows as .xlsx vs the floor "python-calamine read + one sqlite3
    executemany" (target: within 2x);
(c) with ``--big``: peak RSS importing a 1,000,000-row CSV in a fresh process (target:
    at most 300 MB), and (d) the same for .xlsx next to python-calamine loading the sheet.

Each figure is the best of ``--repeat`` runs, as wall time and as CPU time; on a busy
machine the CPU ratios are the steadier ones.

(e) with ``--db URL`` (a PostgreSQL server; issue 30): the same CSV into a fresh schema
    on it (COPY into temporary tables, one INSERT/UPDATE per batch) next to the SQLite
    import of (a), first import and a re-import that updates every row (target: within 2x).

Usage: python benchmarks/bench_import.py [--rows 100000] [--repeat 3] [--big]
       [--big-rows 1000000] [--dir DIR] [--db postgresql+psycopg://...] [--quick]
       (files in DIR are reused when present; --quick: 20,000 rows, one run)

The last line printed is one JSON document (``benchmarks/run_all.py`` reads it).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _pg import fresh_pg_schema

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


def quickcrm_import_url(path: Path, url: str, again: Path | None = None) -> Timing:
    """``import_clients`` into a fresh schema of the PostgreSQL server at ``url`` (or a
    fresh SQLite file for ``sqlite:///``); with ``again`` that file is imported first
    (not timed) and ``path`` then updates it."""
    from contextlib import AbstractContextManager, nullcontext

    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.importer import import_clients

    place: AbstractContextManager[str]
    if url.startswith("sqlite:///"):
        _fresh(Path(url.removeprefix("sqlite:///")))
        place = nullcontext(url)
    else:
        place = fresh_pg_schema(url)
    with place as target:
        rt = bootstrap(database_url=target, env={})
        actor = rt.actor
        if again is not None:
            with rt.session() as s:
                import_clients(session=s, actor=actor, now=rt.clock.now(), path=again)
        wall, cpu = time.perf_counter(), time.process_time()
        with rt.session() as s:
            result = import_clients(session=s, actor=actor, now=rt.clock.now(), path=path)
        took = time.perf_counter() - wall, time.process_time() - cpu
        rt.close()
        assert (result.created or result.updated) and not result.errors, result
        return took


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sqlite_utils_insert(path: Path, db: Path) -> Timing:
    _fresh(db)
    wall, cpu = time.perf_counter(), _children_cpu()
    # the interpreter's own sqlite-utils: the benchmark's venv need not be on PATH
    subprocess.run([sys.executable, "-m", "sqlite_utils", "insert", str(db), "clients",
                    str(path), "--csv"], check=True)
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
    parser.add_argument("--db", default=None, help="also import into this PostgreSQL server")
    parser.add_argument("--quick", action="store_true", help="20,000 rows, one run each")
    opts = parser.parse_args()
    if opts.quick:
        opts.rows, opts.repeat = min(opts.rows, 20_000), 1
    global REPEAT
    REPEAT = max(1, opts.repeat)
    figures: list[dict[str, object]] = []
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
    figures.append({"figure": "CSV import vs sqlite-utils", "value": round(ours[0], 2),
                    "unit": "s", "target": 2.0, "ratio": round(theirs[1] / ours[1], 2),
                    "pass": theirs[1] / ours[1] >= 2.0, "better": "higher"})

    print("(b) XLSX")
    ours = timed("quickcrm import_clients (.xlsx)", quickcrm_import, xlsx, work / "b.db")
    floor = timed("floor: calamine read + sqlite3 executemany", calamine_floor, xlsx,
                  work / "b-floor.db")
    ratio("quickcrm / floor", ours, floor, "target <= 2")
    figures.append({"figure": "XLSX import vs calamine floor", "value": round(ours[0], 2),
                    "unit": "s", "target": 2.0, "ratio": round(ours[1] / floor[1], 2),
                    "pass": ours[1] / floor[1] <= 2.0})

    if opts.db:
        print(f"(e) PostgreSQL ({opts.db.split('@')[-1]}) next to SQLite, {n:,} rows")
        lite = timed("SQLite: first import", quickcrm_import_url, cp,
                     f"sqlite:///{work / 'e.db'}")
        pg = timed("PostgreSQL: first import", quickcrm_import_url, cp, opts.db)
        ratio("PostgreSQL / SQLite, first import", pg, lite, "target <= 2")
        changed = work / "clients-changed.csv"
        if not changed.exists():
            write_clients(changed, n, seed=4242, encoding="cp1252", delimiter=";")
        lite2 = timed("SQLite: re-import (updates)", quickcrm_import_url, changed,
                      f"sqlite:///{work / 'e.db'}", cp)
        pg2 = timed("PostgreSQL: re-import (updates)", quickcrm_import_url, changed, opts.db, cp)
        ratio("PostgreSQL / SQLite, re-import", pg2, lite2, "target <= 2")
        for label, a, b in (("first import", pg, lite), ("re-import", pg2, lite2)):
            figures.append({"figure": f"PostgreSQL vs SQLite, {label}", "value": round(a[0], 2),
                            "unit": "s", "target": 2.0, "ratio": round(a[0] / b[0], 2),
                            "pass": a[0] / b[0] <= 2.0})

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
    print("(the machine is shared: wall times vary; CPU ratios are the steadier ones)")
    print(json.dumps({"bench": "bench_import", "results": figures}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
