"""Two processes starting on a new database (two daemons, cron beside a shell) both
find no user and both create the configured administrator: the second must take the
one the first committed, not fail its first job with a unique violation (seen with
two daemons on one PostgreSQL, issue 24's closing note)."""

from __future__ import annotations

from sqlalchemy import event, func, select

from quickcrm.bootstrap import bootstrap
from quickcrm.store.models import User


def test_the_second_process_takes_the_administrator_the_first_created(pg_url, clock):
    mine = bootstrap(database_url=pg_url, env={}, clock=clock)
    theirs = bootstrap(database_url=pg_url, env={}, clock=clock)
    raced = []

    def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        # just before this process inserts the user, the other process commits its own
        if statement.lstrip().upper().startswith("INSERT INTO APP_USER") and not raced:
            raced.append(theirs.actor)

    event.listen(mine.engine, "before_cursor_execute", before)
    try:
        actor = mine.actor
    finally:
        event.remove(mine.engine, "before_cursor_execute", before)
    assert raced, "the other process did not get in between"
    assert actor.id == raced[0].id and actor.email == raced[0].email
    assert "admin" in actor.rights
    with mine.session(read_only=True) as s:
        assert s.execute(select(func.count()).select_from(User)).scalar() == 1
    mine.close()
    theirs.close()
