"""store.driver's converters: the values it binds are the ones SQLAlchemy would bind."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta


def test_every_sqlite_time_column_binds_what_sqlalchemy_would_also_when_values_repeat():
    from sqlalchemy.dialects import sqlite

    from quickcrm.events import Event
    from quickcrm.mail.models import OutboxMessage
    from quickcrm.procedures.models import StepTaken
    from quickcrm.store import driver

    dialect = sqlite.dialect()
    columns = [Event.__table__.c.at, OutboxMessage.__table__.c.created_at,  # type: ignore[attr-defined]
               OutboxMessage.__table__.c.next_attempt_at, StepTaken.__table__.c.at]  # type: ignore[attr-defined]
    ours = [driver.to_db(dialect, column) for column in columns]
    theirs = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    rnd = random.Random(27)
    seen: list[datetime | date | None] = [None, date(2026, 12, 1)]
    for _ in range(5_000):  # a new value, or one of the last few again, as a use case does
        if rnd.random() < 0.5 or len(seen) < 3:
            seen.append(datetime(2000, 1, 1, tzinfo=rnd.choice([UTC, None]))
                        + timedelta(microseconds=rnd.randrange(10**15)))
        value = rnd.choice(seen[-3:])
        i = rnd.randrange(len(columns))
        assert ours[i](value) == theirs[i](value), value  # type: ignore[misc]
