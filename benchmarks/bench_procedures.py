"""Procedures benchmarks (issue 27), measured side by side in one run.

(a) ``import suspects`` of N rows (default 100,000; a cp1252 ``;`` client file) vs
    ``import clients`` of the same file, each on a fresh database (target: within 1.5x);
(b) ``project prospects`` for one marketeer on a project of N contacts of which N/5 are
    running, vs one hand-written SQL query returning the same rows (target: within 3x);
(c) 1,000 e-mail steps through the service ``take_step``, each its own transaction with
    its e-mail rendered and queued, vs a plain driver script (sqlite3, or psycopg with
    ``--db``) writing the same four rows (step, event, outbox message and body) per
    transaction (target: within 3x).

Each figure is the best of ``--repeat`` runs (wall and CPU time). The machine is shared
and loaded: the CPU figures are the steadier ones.

Usage: python benchmarks/bench_procedures.py [--rows 100000] [--steps 1000] [--repeat 3]
       [--db postgresql+psycopg://postgres@127.0.0.1:5432/test] [--dir DIR]
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _pg import fresh_pg_schema

from quickcrm.sample import write_clients

Timing = tuple[float, float]
REPEAT = 1
PROJECT = "Bench"
MARKETEER = "marketeer@kantoor.example"


@contextmanager
def fresh_database(base: str | None, work: Path, name: str) -> Iterator[str]:
    """A new empty database: an SQLite file in ``work``, or a new schema on ``base``."""
    if base is not None:
        with fresh_pg_schema(base) as url:
            yield url
        return
    db = work / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    yield f"sqlite:///{db}"


def runtime(url: str) -> Any:
    from quickcrm.bootstrap import bootstrap
    from quickcrm.clock import FixedClock

    return bootstrap(database_url=url, env={"QUICKCRM_SMTP_URL": "maildir:./bench-outbox"},
                     clock=FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))


def prepare_project(rt: Any) -> None:
    from quickcrm.crm.users import add_user
    from quickcrm.procedures import projects, setup

    admin = rt.actor
    now = rt.clock.now()
    with rt.session() as s:
        setup.load_matrix(session=s, actor=admin, now=now, procedure="standaard",
                          path="procedure_standaard.toml")
    with rt.session() as s:
        add_user(session=s, actor=admin, now=now, email=MARKETEER, first_name="Marja",
                 last_name="de Vries")
    with rt.session() as s:
        projects.create_project(session=s, actor=admin, now=now, name=PROJECT,
                                procedure="standaard")
        projects.add_member(session=s, actor=admin, now=now, project=PROJECT,
                            email=MARKETEER, role="marketeer")


def clock(fn: Callable[[], Any]) -> tuple[Timing, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return (time.perf_counter() - wall, time.process_time() - cpu), out


def best(runs: list[Timing]) -> Timing:
    return min(r[0] for r in runs), min(r[1] for r in runs)


def show(label: str, t: Timing) -> None:
    print(f"  {label:<58} wall {t[0]:8.3f} s   cpu {t[1]:8.3f} s")


def ratio(label: str, a: Timing, b: Timing, target: str) -> None:
    print(f"  {label}: wall {a[0] / b[0]:.2f}x, cpu {a[1] / b[1]:.2f}x ({target})")


def import_clients_run(base: str | None, work: Path, path: Path) -> Timing:
    from quickcrm.crm.importer import import_clients

    with fresh_database(base, work, "a-clients") as url:
        rt = runtime(url)
        actor = rt.actor
        with rt.session() as s:
            took, result = clock(lambda: import_clients(session=s, actor=actor,
                                                        now=rt.clock.now(), path=path))
        rt.close()
    assert result.created > 0 and not result.errors
    return took


def import_suspects_run(base: str | None, work: Path, path: Path) -> Timing:
    from quickcrm.procedures.suspects import import_suspects

    with fresh_database(base, work, "a-suspects") as url:
        rt = runtime(url)
        prepare_project(rt)
        actor = rt.actor
        with rt.session() as s:
            took, result = clock(lambda: import_suspects(session=s, actor=actor,
                                                         now=rt.clock.now(), project=PROJECT,
                                                         path=path))
        rt.close()
    assert result.added > 0 and not result.errors, result
    return took


PROSPECTS_SQL = """
SELECT pc.id, pc.status, p.id, p.first_name, p.last_name, p.email, r.number, r.company,
       st.name, u.email, pc.last_step_at
FROM project_contact pc
JOIN person p ON p.id = pc.person_id
JOIN relation r ON r.id = pc.relation_id
LEFT JOIN step_type st ON st.id = pc.last_step_type_id
LEFT JOIN app_user u ON u.id = pc.last_step_by
WHERE pc.project_id = {m} AND pc.status = {m}
ORDER BY pc.id
"""


def prospects_runs(rt: Any, n_running: int) -> tuple[Timing, Timing]:
    from quickcrm.crm.users import resolve_actor
    from quickcrm.procedures.working import list_prospects

    with rt.session(read_only=True) as s:
        marketeer = resolve_actor(session=s, email=MARKETEER, settings=rt.settings,
                                  now=rt.clock.now())
    ours, theirs = [], []
    for _ in range(REPEAT):
        with rt.session(read_only=True) as s:
            took, data = clock(lambda: list_prospects(session=s, actor=marketeer,
                                                      project=PROJECT))
        assert len(data["contacts"]) == n_running, len(data["contacts"])
        ours.append(took)
        with rt.engine.connect() as conn:
            m = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            sql = PROSPECTS_SQL.format(m=m)
            took, rows = clock(lambda c=conn, q=sql: c.exec_driver_sql(q, (1, "running"))
                               .fetchall())
        assert len(rows) == n_running
        theirs.append(took)
    return best(ours), best(theirs)


def steps_run(rt: Any, contacts: list[str]) -> Timing:
    from quickcrm.crm.users import resolve_actor
    from quickcrm.procedures.working import take_step

    with rt.session(read_only=True) as s:
        marketeer = resolve_actor(session=s, email=MARKETEER, settings=rt.settings,
                                  now=rt.clock.now())

    def run() -> None:
        for contact in contacts:
            with rt.writing() as conn:
                take_step(conn=conn, actor=marketeer, now=rt.clock.now(), settings=rt.settings,
                          project=PROJECT, contact=contact, step="informatie opsturen")

    took, _ = clock(run)
    return took


def raw_steps_run(url: str, n: int, body: bytes) -> Timing:
    """The floor: per transaction, the same four rows written by a plain driver script."""
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    if url.startswith("sqlite"):
        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")  # as QuickCRM's engine
        m, stamp = "?", now.strftime("%Y-%m-%d %H:%M:%S.%f")
    else:
        import psycopg

        from quickcrm.store.db import make_engine

        engine = make_engine(url, migrate=False)
        conn = engine.raw_connection()
        m, stamp = "%s", now  # type: ignore[assignment]
    cur = conn.cursor()

    def run() -> None:
        for i in range(n):
            mid = f"<{secrets.token_hex(16)}@platform.example>"
            if m == "?":
                cur.execute("BEGIN IMMEDIATE")
            cur.execute(f"INSERT INTO step_taken (contact_id, step_type_id, user_id, at, note) "
                        f"VALUES ({m}, {m}, {m}, {m}, {m})", (i + 1, 1, 2, stamp, ""))
            cur.execute(f"INSERT INTO event (at, kind, relation_id, person_id, user_id, details)"
                        f" VALUES ({m}, {m}, {m}, {m}, {m}, {m})",
                        (stamp, "bench.step", i + 1, i + 1, 2, '{"project_id": 1}'))
            cur.execute(
                "INSERT INTO outbox_message (kind, ref, message_id, sender, recipient, subject, "
                "status, attempts, created_at, queued_at, next_attempt_at, last_error, "
                f"bounce_reason) VALUES ({', '.join([m] * 13)})",
                ("procedure_email", f"step:{i}", mid, "noreply@platform.example",
                 f"c{i}@example.nl", "Informatie", "queued", 0, stamp, stamp, stamp, "", ""))
            cur.execute(f"INSERT INTO outbox_body (message_id, body) VALUES ({m}, {m})",
                        (mid, body))
            if m == "?":
                cur.execute("COMMIT")
            else:
                conn.commit()

    took, _ = clock(run)
    conn.close()
    if m != "?":
        del psycopg
        engine.dispose()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (default: SQLite files)")
    parser.add_argument("--dir", type=Path, default=None)
    opts = parser.parse_args()
    global REPEAT
    REPEAT = max(1, opts.repeat)
    work = opts.dir or Path(tempfile.mkdtemp(prefix="qcrm-bench-proc-"))
    work.mkdir(parents=True, exist_ok=True)
    n = opts.rows
    where = "PostgreSQL " + opts.db if opts.db else "SQLite"
    print(f"data: {n:,} generated clients in {work}; database: {where}; best of {REPEAT}")
    path = work / f"clients-{n}-cp1252.csv"
    if not path.exists():
        write_clients(path, n, encoding="cp1252", delimiter=";")

    print(f"(a) import of {n:,} rows")
    clients = best([import_clients_run(opts.db, work, path) for _ in range(REPEAT)])
    show("import clients", clients)
    suspects = best([import_suspects_run(opts.db, work, path) for _ in range(REPEAT)])
    show("import suspects --project", suspects)
    ratio("suspects / clients", suspects, clients, "target <= 1.5")

    running = n // 5
    print(f"(b) project prospects: {n:,} contacts, {running:,} running, one marketeer")
    with fresh_database(opts.db, work, "b") as url:
        rt = runtime(url)
        prepare_project(rt)
        from quickcrm.procedures.suspects import import_suspects

        with rt.session() as s:
            import_suspects(session=s, actor=rt.actor, now=rt.clock.now(), project=PROJECT,
                            path=path)
        with rt.engine.begin() as conn:
            m = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            ids = [r[0] for r in conn.exec_driver_sql(
                "SELECT id FROM project_contact ORDER BY id")][:running]
            conn.exec_driver_sql(f"UPDATE project_contact SET status = 'running' WHERE id "
                                 f"BETWEEN {m} AND {m}", (ids[0], ids[-1]))
            # some have a last step, as in a project under way
            conn.exec_driver_sql(
                f"UPDATE project_contact SET last_step_type_id = 1, last_step_by = 2, "
                f"last_step_at = created_at WHERE id BETWEEN {m} AND {m}",
                (ids[0], ids[running // 2]))
        ours, theirs = prospects_runs(rt, running)
        show("list_prospects (service: rows + the steps you may take)", ours)
        show("hand-written SQL, same rows (fetchall)", theirs)
        ratio("service / SQL", ours, theirs, "target <= 3")

        with rt.engine.begin() as conn:
            contacts = [r[0] for r in conn.exec_driver_sql(
                f"SELECT r.number FROM project_contact pc JOIN relation r ON r.id = "
                f"pc.relation_id JOIN person p ON p.id = pc.person_id WHERE pc.id BETWEEN "
                f"{m} AND {m} AND p.email <> '' AND p.opted_out = {m} ORDER BY pc.id",
                (ids[0], ids[running // 2], False))]
        # each run takes the step with contacts of its own (a step cannot follow itself)
        k = min(opts.steps, len(contacts) // REPEAT)
        print(f"(c) {k:,} e-mail steps, each its own transaction")
        service = best([steps_run(rt, contacts[i * k:(i + 1) * k]) for i in range(REPEAT)])
        show("take_step (matrix check, step, event, template, outbox)", service)
        with rt.engine.connect() as conn:
            body = bytes(conn.exec_driver_sql("SELECT body FROM outbox_body LIMIT 1").scalar_one())
        rt.close()
        floor = best([raw_steps_run(url, k, body) for _ in range(REPEAT)])
        show(f"{'sqlite3' if opts.db is None else 'psycopg'} script: the same 4 rows per "
             "transaction", floor)
        ratio("service / script", service, floor, "target <= 3")


if __name__ == "__main__":
    main()
