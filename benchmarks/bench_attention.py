"""Attention monitor benchmarks (issue 28), measured side by side in one run.

On one SQLite database with ``--relations`` relations (the sample client file) and
``--events`` events spread over a year (counted kinds and others, about 40 users):

(a) ``attention compute`` (the service: count, bucket, store) for all users over the
    year, next to one hand-written SQL query computing count and latest date per
    relation for the same kinds and period (target: within 2x);
(b) the same for 5 named users (target: within 2x of the query with those users);
(c) ``attention show`` (read the stored result, shape it for the reader) next to (a)
    (target: at most 0.2x);
(d) ``import activities`` of ``--rows`` rows next to ``import clients`` of as many rows
    into a fresh database (target: within 1.5x).

Each figure is the best of ``--repeat`` runs, wall and CPU; the machine is shared, so
the CPU ratios are the steadier ones.

Usage: python benchmarks/bench_attention.py [--relations 10000] [--events 1000000]
       [--rows 100000] [--repeat 3] [--dir DIR [--reuse]] [--pg URL]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from quickcrm import events
from quickcrm.attention import kinds
from quickcrm.sample import write_clients

Timing = tuple[float, float]
REPEAT = 3
KIND_MIX = ([events.CONTACT_HISTORIE] * 20 + [events.CONTACT_EMAIL_UIT] * 15
            + [events.CONTACT_EMAIL_IN] * 10 + [events.CONTACT_NOTITIE] * 8
            + [events.PERSON_NOTE_ADDED] * 5 + [events.PROCEDURE_STEP] * 5
            + [events.INVITATION_SENT] * 5 + [events.SALES_OFFERTE] * 4
            + [events.SALES_ORDER] * 3 + [events.HELPDESK_CALL] * 5
            + [events.SALES_FACTUUR] * 5 + [events.RELATION_UPDATED] * 10
            + [events.QUICKSCAN_LOGGED_IN] * 5)
START, END = date(2025, 12, 1), date(2026, 11, 30)


def timed(label: str, fn: Callable[[], Any], setup: Callable[[], Any] | None = None) -> Timing:
    """The best of REPEAT runs of ``fn`` (``setup`` before each, not timed)."""
    runs = []
    for _ in range(REPEAT):
        if setup is not None:
            setup()
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    best = min(r[0] for r in runs), min(r[1] for r in runs)
    print(f"  {label:<58} wall {best[0]:7.3f} s   cpu {best[1]:7.3f} s")
    return best


def ratio(label: str, a: Timing, b: Timing, target: str) -> None:
    print(f"  {label}: wall {a[0] / b[0]:.2f}x, cpu {a[1] / b[1]:.2f}x ({target})")


def fresh(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def runtime(db: Path | str) -> Any:
    """A runtime on an SQLite file (a Path) or a database URL (PostgreSQL)."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.clock import FixedClock

    url = db if isinstance(db, str) else f"sqlite:///{db}"
    return bootstrap(database_url=url, env={},
                     clock=FixedClock(datetime(2026, 11, 30, 17, tzinfo=UTC)))


def import_clients_file(rt: Any, path: Path) -> None:
    from quickcrm.crm.importer import import_clients

    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=path)


def fill(rt: Any, n_events: int) -> list[int]:
    """``n_events`` events over the year; returns the user ids."""
    from sqlalchemy import select

    from quickcrm.store.models import Relation, User

    with rt.session(read_only=True) as s:
        relations = list(s.connection().execute(select(Relation.id)).scalars())
        users = list(s.connection().execute(select(User.id).order_by(User.id)).scalars())
    rng = random.Random(28)
    weights = [rng.paretovariate(1.5) for _ in relations]  # a few relations get much
    low = datetime(2025, 12, 1, tzinfo=UTC).timestamp()
    span = 365 * 86400
    done = 0
    while done < n_events:
        n = min(50_000, n_events - done)
        rels = rng.choices(relations, weights=weights, k=n)
        entries = []
        for rid in rels:
            kind = KIND_MIX[int(rng.random() * len(KIND_MIX))]
            at = datetime.fromtimestamp(low + rng.random() * span, UTC)
            details = ({"step_kind": "email" if rng.random() < 0.3 else "plain"}
                       if kind == events.PROCEDURE_STEP else {})
            amount = round(rng.random() * 5000, 2) if kind in kinds.AMOUNT_KINDS else None
            entries.append(events.Entry(kind, rid, None, users[int(rng.random() * len(users))],
                                        details, None, amount, at))
        with rt.session() as s:
            events.record_many(s, entries, at=rt.clock.now())
            s.commit()
        done += n
    return [int(u) for u in users]


def hand_sql(rt: Any, users: list[int] | None) -> int:
    from quickcrm.attention.monitor import period_bounds

    low, high = period_bounds(START, END, "Europe/Amsterdam")
    counted = list(kinds.COUNTED)
    sqlite = rt.engine.dialect.name == "sqlite"
    m = "?" if sqlite else "%s"
    marks = ", ".join([m] * len(counted))
    sql = (f"SELECT relation_id, count(*), max(at) FROM event WHERE at >= {m} AND at < {m} "
           f"AND kind IN ({marks}) AND relation_id IS NOT NULL")
    bounds: list[Any] = ([low.strftime("%Y-%m-%d %H:%M:%S.%f"),
                          high.strftime("%Y-%m-%d %H:%M:%S.%f")] if sqlite else [low, high])
    params: list[Any] = [*bounds, *counted]
    if users is not None:
        sql += f" AND user_id IN ({', '.join([m] * len(users))})"
        params += users
    sql += " GROUP BY relation_id"
    with rt.engine.connect() as conn:
        return len(conn.exec_driver_sql(sql, tuple(params)).fetchall())


def compute(rt: Any, users: tuple[str, ...] = ()) -> dict[str, Any]:
    from quickcrm.attention.monitor import Params, compute, for_reader

    with rt.session() as s:
        result = compute(session=s, actor=rt.actor, now=rt.clock.now(), tz="Europe/Amsterdam",
                         params=Params(start=START, end=END, users=users))
    return for_reader(result, rt.actor)


def show(rt: Any) -> dict[str, Any]:
    from quickcrm.attention.monitor import for_reader, stored

    with rt.session(read_only=True) as s:
        return for_reader(stored(session=s, actor=rt.actor), rt.actor)


def activities_file(path: Path, numbers: list[str], rows: int) -> None:
    rng = random.Random(7)
    soorten = ["historie", "notitie", "email-in", "email-uit", "offerte", "order", "factuur",
               "helpdesk"]
    channels = ["telefoon", "e-mail", "bezoek", "web", "chat", "post"]
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(["Relatienummer", "Datum", "Medewerker", "Soort", "Kanaal", "Onderwerp",
                      "Bedrag", "Status"])
        day0 = date(2026, 1, 1)
        for i in range(rows):
            soort = soorten[int(rng.random() * len(soorten))]
            when = day0 + timedelta(days=int(rng.random() * 330))
            out.writerow([numbers[int(rng.random() * len(numbers))],
                          f"{when.isoformat()} {8 + i % 10:02d}:{i % 60:02d}",
                          f"medewerker{i % 40}@kantoor.example", soort,
                          channels[int(rng.random() * len(channels))], f"Onderwerp {i % 500}",
                          f"{rng.random() * 3000:.2f}" if soort in ("offerte", "order",
                                                                      "factuur") else "",
                          "open" if soort == "helpdesk" else ""])


def main() -> None:
    global REPEAT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--relations", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the database a previous run left in --dir")
    parser.add_argument("--pg", default=None, metavar="URL",
                        help="measure (a)-(c) on PostgreSQL instead, in a fresh schema of "
                             "this server (postgresql+psycopg://...); (d) is SQLite only")
    opts = parser.parse_args()
    REPEAT = max(1, opts.repeat)
    work = opts.dir or Path(tempfile.mkdtemp(prefix="qcrm-attention-"))
    work.mkdir(parents=True, exist_ok=True)
    db: Path | str = work / f"attention-{opts.relations}-{opts.events}.db"
    clients = work / "klanten.csv"
    schema = None
    if opts.pg:
        import secrets

        schema = "bench_attention_" + secrets.token_hex(4)
        admin = create_engine(opts.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in opts.pg else "?"
        db = f"{opts.pg}{sep}options=-csearch_path%3D{schema}"
        print(f"PostgreSQL, schema {schema}")
    if opts.reuse and isinstance(db, Path) and db.exists():
        rt = runtime(db)
        from sqlalchemy import select

        from quickcrm.store.models import User

        with rt.session(read_only=True) as s:
            user_ids = [int(u) for u in s.connection().execute(
                select(User.id).order_by(User.id)).scalars()]
        print(f"setup: reusing {db}")
    else:
        write_clients(clients, opts.relations)
        if isinstance(db, Path):
            fresh(db)
        rt = runtime(db)
        print(f"setup: {opts.relations} relations, {opts.events} events (not timed) ...")
        t0 = time.perf_counter()
        import_clients_file(rt, clients)
        user_ids = fill(rt, opts.events)
        print(f"  setup took {time.perf_counter() - t0:.1f} s")
    with rt.session(read_only=True) as s:
        from sqlalchemy import select

        from quickcrm.store.models import User

        emails = list(s.connection().execute(
            select(User.email).order_by(User.id)).scalars())[1:6]
    five_ids = user_ids[1:6]
    print("(a) all users, one year")
    query_all = timed("hand-written SQL: count and latest per relation", lambda: hand_sql(rt, None))
    compute_all = timed("attention compute (count, bucket, store)", lambda: compute(rt))
    ratio("compute / SQL", compute_all, query_all, "target <= 2x")
    print("(b) 5 named users, one year")
    query_five = timed("hand-written SQL with user_id IN (5 users)", lambda: hand_sql(rt, five_ids))
    compute_five = timed("attention compute --users (5 e-mails)", lambda: compute(rt, tuple(emails)))
    ratio("compute / SQL", compute_five, query_five, "target <= 2x")
    compute(rt)
    print("(c) show the stored result")
    shown = timed("attention show", lambda: show(rt))
    ratio("show / compute", shown, compute_all, "target <= 0.2x")
    rt.close()
    if schema is not None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
        return
    assert isinstance(db, Path)
    print(f"(d) {opts.rows} rows: import activities vs import clients")
    acts = work / "activiteiten.csv"
    from quickcrm.sample import iter_clients

    numbers = [r["Relatienummer klant"] for r in iter_clients(opts.relations)]
    activities_file(acts, numbers, opts.rows)
    big_clients = work / "klanten-big.csv"
    write_clients(big_clients, opts.rows)
    clients_db = work / "clients.db"
    state: dict[str, Any] = {}

    def new_clients_db() -> None:  # a fresh, migrated database with its administrator
        fresh(clients_db)
        state["rt"] = runtime(clients_db)
        _ = state["rt"].actor

    def run_clients() -> None:
        import_clients_file(state["rt"], big_clients)
        state["rt"].close()

    copy = work / "monitor-copy.db"

    def open_monitor_db() -> None:  # a copy, so every run imports into the same database
        import shutil

        fresh(copy)
        for suffix in ("", "-wal"):
            if Path(f"{db}{suffix}").exists():
                shutil.copyfile(f"{db}{suffix}", f"{copy}{suffix}")
        state["rt"] = runtime(copy)
        _ = state["rt"].actor

    def run_activities() -> None:
        from quickcrm.attention.activities import import_activities

        art = state["rt"]
        with art.session() as s:
            result = import_activities(session=s, actor=art.actor, now=art.clock.now(),
                                       tz="Europe/Amsterdam", path=acts)
        assert result.imported == opts.rows and not result.errors, result
        art.close()

    imp_clients = timed("import clients (into a fresh database)", run_clients, new_clients_db)
    imp_acts = timed("import activities (into the monitor's database)", run_activities,
                     open_monitor_db)
    ratio("activities / clients", imp_acts, imp_clients, "target <= 1.5x")


if __name__ == "__main__":
    main()
