"""The daemon as operators run it: a real `quickcrm daemon` process, killed and restarted,
against an SQLite file (and PostgreSQL) and a real aiosmtpd in the test process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quickcrm.clock import SystemClock
from quickcrm.mail.models import OutboxMessage
from quickcrm.mail.outbox import Draft, queue_many
from quickcrm.store.db import make_engine, session_scope

HTML = "<html><body>" + "<p>Beste klant, vul de QuickScan in.</p>" * 40 + "</body></html>"


def queue(url: str, n: int) -> list[str]:
    engine = make_engine(url)
    drafts = (Draft(kind="test", ref=f"test:{i}", to=f"klant{i}@example.nl",
                    from_="Jan de Vries <jan@kantoor.example>",
                    sender="noreply@kantoor.example", subject=f"Uw QuickScan {i}",
                    text="Beste klant,\n" * 40, html=HTML) for i in range(n))
    try:
        with session_scope(engine) as s:
            ids = queue_many(s, drafts, now=SystemClock().now())
            s.commit()
    finally:
        engine.dispose()
    return ids


def status_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with session_scope(engine, read_only=True) as s:
            rows = s.execute(select(OutboxMessage.status, func.count())
                             .group_by(OutboxMessage.status)).all()
    finally:
        engine.dispose()
    return {str(k): int(v) for k, v in rows}


def start_daemon(db_url: str, smtp_url: str, tmp_path: Path, *extra: str,
                 log: str = "daemon.log") -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKCRM_")}
    env.update({"QUICKCRM_DATABASE_URL": db_url, "QUICKCRM_SMTP_URL": smtp_url,
                "QUICKCRM_MAIL_LEASE_SECONDS": "2", "QUICKCRM_DELIVER_EVERY": "1",
                "QUICKCRM_REMIND_EVERY": "3600", "QUICKCRM_BOUNCES_EVERY": "3600"})
    with open(tmp_path / log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "quickcrm", "daemon", *extra],
                                cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_sigkill_mid_delivery_then_restart_loses_nothing_and_duplicates_at_most_one(
        sqlite_url, smtp_server, tmp_path):
    ids = queue(sqlite_url, 2000)
    smtp_server.delay = 0.002
    first = start_daemon(sqlite_url, smtp_server.url, tmp_path)
    try:
        wait_for(lambda: len(smtp_server.messages) >= 450, 60, "the first 450 messages")
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
    received_at_kill = len(smtp_server.messages)
    assert received_at_kill < 2000, "the daemon finished before it could be killed"
    assert status_counts(sqlite_url).get("sending", 0) > 0  # the dead worker's claims

    second = start_daemon(sqlite_url, smtp_server.url, tmp_path)
    try:
        wait_for(lambda: status_counts(sqlite_url).get("sent", 0) == 2000, 120,
                 "all 2000 messages sent")
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        if second.poll() is None:
            second.kill()
    received = smtp_server.message_ids()
    assert set(received) == set(ids)
    assert len(received) - len(set(received)) <= 1, (len(received), received_at_kill)


def test_sigterm_finishes_the_message_in_flight_and_exits_0(sqlite_url, smtp_server, tmp_path):
    queue(sqlite_url, 2000)
    smtp_server.delay = 0.002
    daemon = start_daemon(sqlite_url, smtp_server.url, tmp_path)
    try:
        wait_for(lambda: len(smtp_server.messages) >= 200, 60, "the first 200 messages")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    counts = status_counts(sqlite_url)
    assert "sending" not in counts  # the rest of its batch was given back
    assert counts["sent"] == len(smtp_server.messages) < 2000
    assert counts["queued"] == 2000 - counts["sent"]
    log = (tmp_path / "daemon.log").read_text()
    assert "SIGTERM received" in log and "daemon stopped" in log


def test_two_daemons_on_one_postgresql_send_each_message_once(pg_url, smtp_server, tmp_path):
    ids = queue(pg_url, 1000)
    daemons = [start_daemon(pg_url, smtp_server.url, tmp_path, log=f"d{i}.log")
               for i in range(2)]
    try:
        wait_for(lambda: status_counts(pg_url).get("sent", 0) == 1000, 120, "1000 sent")
        for d in daemons:
            d.send_signal(signal.SIGTERM)
        assert [d.wait(30) for d in daemons] == [0, 0]
    finally:
        for d in daemons:
            if d.poll() is None:
                d.kill()
    received = smtp_server.message_ids()
    assert len(received) == 1000 and set(received) == set(ids)


def test_once_runs_each_job_and_exits_for_cron(cli, sqlite_url, smtp_server):
    import json

    queue(sqlite_url, 3)
    result = cli("daemon", "--once", "--json", env={"QUICKCRM_SMTP_URL": smtp_server.url})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deliver"]["delivered"] == 3
    assert len(smtp_server.messages) == 3
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers put back


def test_outbox_commands(cli, sqlite_url, dead_smtp_url, smtp_server):
    import json

    queue(sqlite_url, 2)
    down = cli("outbox", "deliver", "--json", env={"QUICKCRM_SMTP_URL": dead_smtp_url})
    assert down.exit_code == 0 and json.loads(down.stdout)["queued"] == 2
    assert "stay queued" in down.stderr
    listed = json.loads(cli("outbox", "list", "--json").stdout)
    assert [m["status"] for m in listed] == ["queued", "queued"]
    ok = cli("outbox", "deliver", "--json", env={"QUICKCRM_SMTP_URL": smtp_server.url})
    assert json.loads(ok.stdout)["delivered"] == 2
    assert json.loads(cli("outbox", "status", "--json").stdout)["sent"] == 2
    assert json.loads(cli("outbox", "retry", "--json").stdout) == {"queued": 0}
    bad = cli("outbox", "list", "--status", "lost")
    assert bad.exit_code == 1 and "unknown status 'lost'" in bad.stderr


@pytest.mark.parametrize("args", [("outbox", "deliver"), ("outbox", "retry")])
def test_outbox_changes_need_the_right(cli, args):
    cli("user", "add", "rm@kantoor.example", "--right", "relationship-manager")
    result = cli(*args, "--as", "rm@kantoor.example")
    assert result.exit_code == 1 and result.stderr.startswith("not permitted")
