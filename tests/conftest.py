"""Test isolation: every test gets its own working directory, environment and a fresh
real database (an SQLite file, or its own schema on the PostgreSQL server)."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

PG_URL = os.environ.get(
    "QUICKCRM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Own cwd and no QUICKCRM_* variables leaking in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("QUICKCRM_") and name != "QUICKCRM_TEST_PG_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def _pg_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the PostgreSQL server; dropped afterwards."""
    if not _pg_available():
        if IN_CI:
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 (required in CI)")
        pytest.skip("PostgreSQL not reachable")
    import sqlalchemy as sa

    schema = "t_" + secrets.token_hex(6)
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"  # not ./quickcrm.db, the default


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on a fresh SQLite file and on a fresh PostgreSQL schema."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    from quickcrm.clock import FixedClock

    return FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def rt(db_url: str, clock):  # type: ignore[no-untyped-def]
    """A runtime on the parametrised database, acting as the default administrator."""
    from quickcrm.bootstrap import bootstrap

    runtime = bootstrap(database_url=db_url, env={}, clock=clock)
    yield runtime
    runtime.close()


@pytest.fixture
def cli(sqlite_url: str):  # type: ignore[no-untyped-def]
    """Run `quickcrm ARGS...` in-process on this test's SQLite file; returns the Result.

    The file exists already (migrated, as after a user's first command), so commands do
    not note that they created it; tests of that note run without this database."""
    from typer.testing import CliRunner

    from quickcrm.cli.main import app
    from quickcrm.store.db import make_engine

    make_engine(sqlite_url).dispose()

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        full_env = {"QUICKCRM_DATABASE_URL": sqlite_url, **(env or {})}
        return runner.invoke(app, [str(a) for a in args], input=input, env=full_env)

    return invoke


class SmtpSink:
    """A real aiosmtpd server on a free loopback port that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.controller = None
        self.port = 0
        self.reject: set[str] = set()  # recipients answered "550" at RCPT
        self.tempfail = 0  # answer "451" to this many DATA commands before accepting
        self.attempts = 0  # DATA commands seen
        self.delay = 0.0  # seconds the server takes to answer each DATA

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.lower() in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.attempts += 1
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        if self.tempfail > 0:
            self.tempfail -= 1
            return "451 4.3.0 Temporary local problem, try again later"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def restart(self) -> None:
        """Stop the server (dropping its connections) and start it again on the same port."""
        from aiosmtpd.controller import Controller

        self.controller.stop()  # type: ignore[attr-defined]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def message_ids(self) -> list[str]:
        """The Message-ID header of every message received, in order (duplicates kept)."""
        from email import message_from_bytes

        return [str(message_from_bytes(raw)["Message-ID"]) for _f, _r, raw in self.messages]


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.controller, sink.port = controller, port
    try:
        yield sink
    finally:
        sink.controller.stop()  # a test may have replaced it (server restarted)


@pytest.fixture
def dead_smtp_url() -> str:
    """An smtp:// URL of a loopback port where nothing listens (a server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"smtp://127.0.0.1:{port}?timeout=5"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Real headless Chromium (Playwright driving the Debian chromium), one per test module."""
    from playwright.sync_api import sync_playwright
    from web_support import CHROMIUM_ARGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()
