"""What the acting-user check costs every command (issue 23 item 6), side by side in one run.

Every command now checks ``--as`` before it runs, on its own connection that neither
creates nor migrates the database. This times, in-process and alternately:

(a) the check alone (``Runtime.check_actor``, a new runtime each time) on a database with
    ``--users`` users;
(b) a whole small command, ``quickcrm clients count --as RM``, through the CLI;
(c) the same command with the check switched off (``check_actor`` replaced by a no-op),

and prints the medians and (b)/(c). On a server database the check's connection is the
one the command then uses, so (b) - (c) is less than (a). On PostgreSQL too when
``--pg URL`` is given (a fresh schema is created and dropped).

    python benchmarks/bench_actor_check.py [--users 1000] [--runs 50] [--pg URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _fill_users(url: str, n: int) -> None:
    from sqlalchemy import insert

    from quickcrm.bootstrap import bootstrap
    from quickcrm.store.models import User, UserRight

    rt = bootstrap(database_url=url, env={})
    _ = rt.actor  # the administrator, created on first use
    with rt.engine.begin() as conn:
        ids = [conn.execute(insert(User.__table__).values(  # type: ignore[attr-defined]
            email=f"rm{i}@kantoor.example", first_name="Rm", last_name=str(i), initials="",
            signature="", active=True)).inserted_primary_key[0] for i in range(n)]
        conn.execute(insert(UserRight.__table__),  # type: ignore[attr-defined]
                     [{"user_id": i, "right": "relationship-manager"} for i in ids])
    rt.close()


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(url: str, users: int, runs: int) -> None:
    from typer.testing import CliRunner

    from quickcrm.bootstrap import Runtime, bootstrap
    from quickcrm.cli.main import app

    _fill_users(url, users)
    who = f"rm{users // 2}@kantoor.example"
    runner = CliRunner()

    def check() -> None:
        rt = bootstrap(database_url=url, env={}, acting_as=who)
        rt.check_actor()

    def command() -> None:
        result = runner.invoke(app, ["clients", "count", "--db", url, "--as", who], env={})
        assert result.exit_code == 0, result.output

    checking = Runtime.check_actor

    def unchecked() -> None:
        Runtime.check_actor = lambda self, fresh=False: None  # type: ignore[method-assign]
        try:
            command()
        finally:
            Runtime.check_actor = checking  # type: ignore[method-assign]

    results: dict[str, list[float]] = {"check": [], "command": [], "unchecked": []}
    for _ in range(3):  # alternate, so a busy moment hits all three alike
        results["check"].append(_median_ms(check, runs))
        results["command"].append(_median_ms(command, runs))
        results["unchecked"].append(_median_ms(unchecked, runs))
    check_ms, command_ms, unchecked_ms = (min(v) for v in results.values())
    print(f"  (a) check alone                  {check_ms:7.2f} ms")
    print(f"  (b) clients count, checked       {command_ms:7.2f} ms")
    print(f"  (c) clients count, not checked   {unchecked_ms:7.2f} ms")
    print(f"  (b) / (c)                        {command_ms / unchecked_ms:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL to measure on as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite, {args.users} users, median of {args.runs} runs (best of 3 rounds):")
        measure(f"sqlite:///{Path(tmp) / 'bench.db'}", args.users, args.runs)
    if args.pg:
        from _pg import fresh_pg_schema

        with fresh_pg_schema(args.pg) as url:
            print(f"PostgreSQL, {args.users} users:")
            measure(url, args.users, args.runs)

if __name__ == "__main__":
    main()
