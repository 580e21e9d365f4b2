"""`quickcrm db backup` / `db restore` (issue 30 item 2): a backup taken while a real
daemon delivers is consistent and opens at head; restore refuses what is not an SQLite
backup and a database holding rows (unless --force); PostgreSQL prints its tools' lines."""

from __future__ import annotations

import json
import signal
import sqlite3

from test_daemon import queue, start_daemon, status_counts, wait_for
from test_ops_copy import run


def test_backup_while_the_daemon_delivers_restores_to_a_database_at_head(
        sqlite_url, smtp_server, tmp_path):
    ids = queue(sqlite_url, 1500)
    smtp_server.delay = 0.002
    daemon = start_daemon(sqlite_url, smtp_server.url, tmp_path)
    try:
        wait_for(lambda: len(smtp_server.messages) >= 200, 60, "the first 200 messages")
        r = run("db", "backup", tmp_path / "backup.db", "--db", sqlite_url, "--json")
        assert r.exit_code == 0, r.output
        sent_after = len(smtp_server.messages)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert json.loads(r.stdout)["revision"] is not None
    assert not list(tmp_path.glob(".backup.db.partial"))
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    r = run("db", "restore", tmp_path / "backup.db", "--db", restored)
    assert r.exit_code == 0, r.output
    status = json.loads(run("db", "status", "--json", "--db", restored).stdout)
    assert status["current"] == status["head"]
    counts = status_counts(restored)
    assert sum(counts.values()) == len(ids)  # one moment: every message, in one state
    assert counts.get("sent", 0) <= sent_after
    assert counts.get("sent", 0) + counts.get("sending", 0) > 0
    assert counts.get("queued", 0) > 0  # taken while the daemon was still delivering


def test_restore_refuses_bad_files_and_a_database_holding_rows(sqlite_url, tmp_path):
    assert run("user", "add", "rm@kantoor.example", "--name", "Rik", "--db",
               sqlite_url).exit_code == 0
    good = tmp_path / "good.db"
    assert run("db", "backup", good, "--db", sqlite_url).exit_code == 0
    again = run("db", "backup", good, "--db", sqlite_url)
    assert again.exit_code == 1 and "already exists (add --force" in again.stderr
    (tmp_path / "notes.txt").write_text("geen database")
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE x (a)").connection.commit()
    target = tmp_path / "target.db"
    for bad, message in ((tmp_path / "notes.txt", "not an SQLite database"),
                         (plain, "not a QuickCRM one"),
                         (tmp_path / "missing.db", "no such file")):
        r = run("db", "restore", bad, "--db", f"sqlite:///{target}")
        assert r.exit_code == 1 and message in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        assert not target.exists()  # nothing written

    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert run("user", "add", "x@kantoor.example", "--name", "X", "--db", other).exit_code == 0
    r = run("db", "restore", good, "--db", other)
    assert r.exit_code == 1 and "add --force to replace them" in r.stderr
    assert "x@kantoor.example" in run("user", "list", "--db", other).stdout
    r = run("db", "restore", good, "--db", other, "--force")
    assert r.exit_code == 0, r.output
    users = {u["email"] for u in json.loads(run("user", "list", "--json", "--db", other).stdout)}
    assert users == {"rm@kantoor.example", "admin@quickcrm.example"}


def test_postgresql_prints_the_pg_dump_and_pg_restore_lines(pg_url, tmp_path):
    r = run("db", "backup", tmp_path / "crm.dump", "--db", pg_url)
    assert r.exit_code == 1
    assert "pg_dump --format=custom" in r.stderr and "postgresql://" in r.stderr
    assert "+psycopg" not in r.stderr
    r = run("db", "restore", tmp_path / "crm.dump", "--db", pg_url)
    assert r.exit_code == 1 and "pg_restore --clean" in r.stderr
    assert not (tmp_path / "crm.dump").exists()


def test_backup_needs_the_admin_right(sqlite_url, tmp_path):
    assert run("user", "add", "rm@kantoor.example", "--name", "Rik", "-r", "rm", "--db",
               sqlite_url).exit_code == 0
    r = run("db", "backup", tmp_path / "b.db", "--db", sqlite_url, "--as", "rm@kantoor.example")
    assert r.exit_code == 1 and "not permitted" in r.stderr
    assert not (tmp_path / "b.db").exists()
