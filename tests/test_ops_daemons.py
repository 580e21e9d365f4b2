"""Several daemons on one database (issue 30 item 3), as real processes: two and three
`daemon --once` runs at the same `--now` run a once-per-day job once; one killed in the
middle of that job is taken over at once by the dead-worker rule (issue 24; the lease is
left long so that the rule, not the lease, is what is tested), and the job's work done
twice in a period changes nothing; two daemons on PostgreSQL deliver 2,000 messages while
one is SIGKILLed (lease 2 s): every Message-ID arrives, at most one twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_daemon import queue, start_daemon, status_counts, wait_for

from quickcrm.store.db import make_engine

NOW = "2026-11-24T02:00"
PERIOD = "2026-11-24"

# A daemon with one more job, the test's own nightly one: it notes who ran it, sleeps as
# NIGHTLY_SLEEP says (to be killed in the middle), then does its work, which is
# idempotent: the day's list of prospects' relation numbers, rebuilt from the database
# and written whole (a run taken over after a crash writes the same file again).
LAUNCHER = '''
import os, sys, time
from pathlib import Path
from quickcrm import daemon
from quickcrm.area import Job

def nightly(ctx):
    out = Path(os.environ["NIGHTLY_DIR"])
    with open(out / "runs.log", "a") as f:
        f.write(ctx.worker + "\\n")
    time.sleep(float(os.environ.get("NIGHTLY_SLEEP", "0")))
    from sqlalchemy import select
    from quickcrm.store.models import Relation
    with ctx.runtime.session(read_only=True) as s:
        numbers = s.execute(select(Relation.number).where(Relation.stage == "prospect")
                            .order_by(Relation.number)).scalars().all()
    tmp = out / "prospects.tmp"
    tmp.write_text("\\n".join(numbers) + "\\n")
    tmp.replace(out / "prospects.txt")
    return {"done": 1, "prospects": len(numbers)}

JOB = Job("nightly", run="__main__:nightly", every="daemon.deliver_every", once_per="day")
declared = daemon.load_jobs
daemon.load_jobs = lambda: [JOB, *declared()]
sys.argv = ["quickcrm", *sys.argv[1:]]
from quickcrm.cli.main import main
main()
'''


def launch(db_url: str, tmp_path: Path, *, sleep: float = 0.0,
           lease: int = 300) -> subprocess.Popen[str]:
    script = tmp_path / "launcher.py"
    if not script.exists():
        script.write_text(LAUNCHER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKCRM_")}
    env.update({"QUICKCRM_DATABASE_URL": db_url, "QUICKCRM_SMTP_URL": f"maildir:{tmp_path}/out",
                "QUICKCRM_MAIL_LEASE_SECONDS": str(lease), "NIGHTLY_DIR": str(tmp_path),
                "NIGHTLY_SLEEP": str(sleep)})
    return subprocess.Popen([sys.executable, str(script), "daemon", "--once", "--now", NOW,
                             "--json"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def with_prospects(db_url: str, tmp_path: Path) -> None:
    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.importer import import_clients
    from quickcrm.sample import write_clients

    write_clients(tmp_path / "clients.csv", 300)
    rt = bootstrap(database_url=db_url, env={})
    try:
        with rt.session() as s:
            import_clients(session=s, actor=rt.actor, now=rt.clock.now(),
                           path=tmp_path / "clients.csv")
    finally:
        rt.close()


def all_results(procs: list[subprocess.Popen[str]]) -> list[dict[str, dict[str, object]]]:
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    return results


def nightly_results(procs: list[subprocess.Popen[str]]) -> list[dict[str, object]]:
    return [r["nightly"] for r in all_results(procs)]


def runs(tmp_path: Path) -> list[str]:
    path = tmp_path / "runs.log"
    return path.read_text().split() if path.exists() else []


@pytest.mark.parametrize("daemons", [2, 3])
def test_daemons_at_the_same_now_run_the_nightly_job_once(pg_url, tmp_path, daemons):
    with_prospects(pg_url, tmp_path)
    procs = [launch(pg_url, tmp_path, sleep=1.0) for _ in range(daemons)]
    every = all_results(procs)
    results = [r["nightly"] for r in every]
    # the areas' own once-a-day jobs (the attention monitor, issue 28) ran once too
    for name in {n for r in every for n in r} - {"nightly"}:
        if any("period" in r[name] for r in every):
            assert sum(not r[name].get("skipped") for r in every) == 1, (name, every)
    done = [r for r in results if r.get("done")]
    assert len(done) == 1 and done[0]["period"] == PERIOD
    assert [r for r in results if not r.get("done")] == \
        [{"period": PERIOD, "skipped": True}] * (daemons - 1)
    assert len(runs(tmp_path)) == 1
    later = nightly_results([launch(pg_url, tmp_path)])  # a cron run later that night
    assert later == [{"period": PERIOD, "skipped": True}]


def test_a_daemon_killed_mid_job_is_taken_over_at_once_and_its_work_is_done_once(
        db_url, tmp_path):
    with_prospects(db_url, tmp_path)
    first = launch(db_url, tmp_path, sleep=60)
    try:
        wait_for(lambda: len(runs(tmp_path)) == 1, 60, "the first daemon to start the job")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert not (tmp_path / "prospects.txt").exists()  # killed before its work was done
    started = time.monotonic()
    (second,) = nightly_results([launch(db_url, tmp_path)])  # lease 300 s: not the lease
    assert time.monotonic() - started < 60
    assert second["period"] == PERIOD and second["done"] == 1 and second["prospects"]
    killed, took_over = runs(tmp_path)
    assert killed != took_over
    work = (tmp_path / "prospects.txt").read_bytes()
    assert len(work.split()) == second["prospects"]

    # the same period's work once more (as after a crash at its very end): same result
    script = ("import os, sys; sys.argv = ['x']\n"
              "exec(open('launcher.py').read().split('JOB = ')[0])\n"
              "from types import SimpleNamespace\n"
              "from quickcrm.bootstrap import bootstrap\n"
              "rt = bootstrap(database_url=os.environ['QUICKCRM_DATABASE_URL'])\n"
              "print(nightly(SimpleNamespace(runtime=rt, worker='again')))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKCRM_")}
    env.update({"QUICKCRM_DATABASE_URL": db_url, "NIGHTLY_DIR": str(tmp_path)})
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    assert (tmp_path / "prospects.txt").read_bytes() == work
    (third,) = nightly_results([launch(db_url, tmp_path)])
    assert third == {"period": PERIOD, "skipped": True}


def test_two_daemons_on_postgresql_one_sigkilled_every_message_arrives_once(
        pg_url, smtp_server, tmp_path):
    make_engine(pg_url).dispose()
    ids = queue(pg_url, 2000)
    smtp_server.delay = 0.002
    daemons = [start_daemon(pg_url, smtp_server.url, tmp_path, log=f"d{i}.log")
               for i in range(2)]
    try:
        wait_for(lambda: len(smtp_server.messages) >= 450, 90, "the first 450 messages")
        daemons[0].send_signal(signal.SIGKILL)
        assert daemons[0].wait(10) == -signal.SIGKILL
        assert len(smtp_server.messages) < 2000, "delivery finished before the kill"
        wait_for(lambda: status_counts(pg_url).get("sent", 0) == 2000, 180, "all 2000 sent")
        daemons[1].send_signal(signal.SIGTERM)
        assert daemons[1].wait(30) == 0
    finally:
        for d in daemons:
            if d.poll() is None:
                d.kill()
    received = smtp_server.message_ids()
    assert set(received) == set(ids)
    assert len(received) - len(set(received)) <= 1
