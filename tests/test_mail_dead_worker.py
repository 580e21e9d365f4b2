"""Issue 24 item 2: a worker that is provably dead loses its claims at once (same machine
by machine id + boot id and its process gone; on PostgreSQL its session gone); the lease
stays for workers elsewhere. Real processes killed with SIGKILL, a real SMTP server, on
SQLite and PostgreSQL; the rule is the one every claim uses (outbox and job_run)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from test_job_runs import RUNS, claim_of, fresh_plan, local, tick, worker  # noqa: F401
from test_mail_delivery import queue, rows

from quickcrm.clock import FixedClock

CLAIMER = """
import sys, time
from datetime import UTC, datetime, timedelta
from quickcrm.mail.delivery import claim
from quickcrm.store import claims
from quickcrm.store.db import make_engine

engine = make_engine(sys.argv[1])
worker = sys.argv[2]
with claims.alive(engine, worker):
    got = claim(engine, worker_id=worker, now=datetime.now(UTC), limit=5,
                lease=timedelta(minutes=5))
    print(len(got), flush=True)
    time.sleep(120)
"""


def runtime(db_url: str, smtp_url: str) -> Any:
    from quickcrm.bootstrap import bootstrap

    return bootstrap(database_url=db_url, clock=FixedClock(datetime.now(UTC)),
                     env={"QUICKCRM_SMTP_URL": smtp_url})


def sending(rt: Any) -> int:
    return sum(1 for r in rows(rt) if r.status == "sending")


def test_after_kill_9_a_restarted_run_delivers_everything_at_once(db_url, smtp_server,
                                                                  tmp_path):
    rt = runtime(db_url, smtp_server.url)
    ids = queue(rt, 60)
    smtp_server.delay = 0.05
    killed = subprocess.Popen(
        [sys.executable, "-c", "from quickcrm.cli.main import main; main()",
         "outbox", "deliver"], cwd=tmp_path,
        env={**os.environ, "QUICKCRM_DATABASE_URL": db_url, "QUICKCRM_SMTP_URL": smtp_server.url},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(smtp_server.messages) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL
    assert sending(rt) > 0  # its claimed batch, left behind
    smtp_server.delay = 0
    started = time.monotonic()
    counts = rt.deliver()  # well within the 300 s lease (the clock is now)
    assert time.monotonic() - started < 60
    assert sending(rt) == 0 and all(r.status == "sent" for r in rows(rt))
    got = Counter(smtp_server.message_ids())
    assert set(got) == set(ids)
    assert sum(n - 1 for n in got.values()) <= 1  # at most the one in flight, twice
    assert counts.delivered >= 1
    rt.close()


def test_a_worker_elsewhere_keeps_its_claims_until_its_session_or_lease_ends(
        db_url, smtp_server):
    """Another machine (its pid means nothing here): on SQLite the lease decides; on
    PostgreSQL its session does, at once when it is gone."""
    rt = runtime(db_url, smtp_server.url)
    queue(rt, 5)
    elsewhere = "w1:0123456789ab.4026531836:ffffffffffff:4242:1:abcdef:otherhost"
    proc = subprocess.Popen([sys.executable, "-c", CLAIMER, db_url, elsewhere],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "5"
        assert rt.deliver().delivered == 0  # alive (PostgreSQL: its lock), or leased
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    if db_url.startswith("postgresql"):
        assert rt.deliver().delivered == 5  # its session is gone: released at once
    else:
        assert rt.deliver().delivered == 0  # SQLite cannot tell: the lease stays
        rt.clock.advance(minutes=6)
        assert rt.deliver().delivered == 5
    rt.close()


def test_a_daily_jobs_claim_by_a_dead_local_process_is_taken_over_at_once(db_url):
    """The job_run claims follow the same rule as the outbox's."""
    dead = subprocess.run(
        [sys.executable, "-c", "from quickcrm.store import claims; print(claims.new_worker_id())"],
        capture_output=True, text=True, check=True).stdout.strip()
    at = local("2026-11-23T04:00")
    rt = worker(db_url, at)
    claim_of(rt, worker_id=dead, renewed=at)  # renewed just now, but its process is gone
    assert tick(worker(db_url, at + timedelta(seconds=1)))["done"] == 1
    assert len(RUNS) == 1 and RUNS[0] != dead
    # a living process's claim (this one's) is not taken over
    from quickcrm.store import claims

    with rt.session() as s:
        from sqlmodel import delete

        from quickcrm.store.models import JobRun

        s.exec(delete(JobRun))  # type: ignore[call-overload]
        s.commit()
    claim_of(rt, worker_id=claims.new_worker_id(), renewed=at)
    assert tick(worker(db_url, at + timedelta(seconds=1)))["skipped"] is True
    rt.close()


def test_a_reused_pid_or_an_earlier_boot_counts_as_dead_an_older_id_as_unknown(sqlite_url):
    from sqlmodel import Session

    from quickcrm.store import claims
    from quickcrm.store.db import make_engine

    mine = claims.new_worker_id()
    parts = mine.split(":")
    reused = ":".join([*parts[:4], str(int(parts[4]) + 1), *parts[5:]])  # same pid, later start
    rebooted = ":".join([parts[0], parts[1], "000000000000", *parts[3:]])
    engine = make_engine(sqlite_url)
    with Session(engine) as s:
        assert claims.dead_workers(s, [mine, reused, rebooted, "oldhost:123:abcdef"]) == {
            reused, rebooted}
    engine.dispose()


def test_outbox_status_names_the_claims_of_a_gone_worker(cli, sqlite_url):
    """`outbox status` no longer shows a dead worker's claims as plain "sending"."""
    import json

    from quickcrm.bootstrap import bootstrap
    from quickcrm.mail.delivery import claim
    from quickcrm.store import claims

    dead = subprocess.run(
        [sys.executable, "-c", "from quickcrm.store import claims; print(claims.new_worker_id())"],
        capture_output=True, text=True, check=True).stdout.strip()
    rt = bootstrap(database_url=sqlite_url, env={}, clock=FixedClock(datetime.now(UTC)))
    queue(rt, 3)
    claim(rt.engine, worker_id=claims.new_worker_id(), now=rt.clock.now(), limit=1,
          lease=timedelta(minutes=5))  # a living worker (this process)
    claim(rt.engine, worker_id=dead, now=rt.clock.now(), limit=2, lease=timedelta(minutes=5))
    rt.close()
    status = json.loads(cli("outbox", "status", "--json").stdout)
    assert status["sending"] == 3 and status["orphaned"] == 2
    assert "2 of the sending messages belong to a worker that is gone" in \
        cli("outbox", "status").stdout
