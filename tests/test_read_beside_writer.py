"""A read command run while another process holds SQLite's write lock (a daemon in the
middle of a delivery batch, an import) answers at once: resolving the acting user reads
in a read-only transaction and takes the write lock only to create the configured
administrator on a new database."""

from __future__ import annotations

import json
import sqlite3


def test_a_read_command_does_not_wait_for_a_writer(cli, sqlite_url):
    assert cli("clients", "count").exit_code == 0  # the administrator exists from here on
    path = sqlite_url.removeprefix("sqlite:///")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock, as a busy daemon does
    try:
        writer.execute("INSERT INTO team (name) VALUES ('tijdens het lezen')")
        result = cli("clients", "count", "--json")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 0, result.output
    assert "locked" not in result.output
    assert isinstance(json.loads(result.stdout), (dict, int))
