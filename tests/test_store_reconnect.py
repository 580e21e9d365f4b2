"""PostgreSQL: the daemon and the web app keep pooled connections for days. One that the
server closed while it rested (a restart, an idle timeout) is replaced when it is taken
from the pool again, so the next command works; one in steady use is not pinged first
(``store.db._ping_when_idle``)."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from quickcrm.store import db as store_db


def _backend(rt) -> int:  # type: ignore[no-untyped-def]
    with rt.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_pooled_connection_the_server_closed_while_it_rested_is_replaced(
        pg_url, clock, monkeypatch):
    from quickcrm.bootstrap import bootstrap

    monkeypatch.setattr(store_db, "IDLE_PING_S", 0.2)
    rt = bootstrap(database_url=pg_url, env={}, clock=clock)
    try:
        first = _backend(rt)
        assert _backend(rt) == first  # in steady use: the same connection, no ping
        killer = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with killer.connect() as other:  # the server closes the resting connection
            other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first})
        killer.dispose()
        time.sleep(0.3)  # longer than IDLE_PING_S: pinged, found closed, replaced
        with rt.session(read_only=True) as s:
            assert s.execute(text("SELECT 1")).scalar_one() == 1
        assert _backend(rt) != first
    finally:
        rt.close()
