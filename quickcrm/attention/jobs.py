"""The attention job of `quickcrm daemon` (declared in ``attention/area.py`` with
``once_per="day"``): recompute the monitor of every nightly relation group.

Idempotent: the period is the year up to yesterday (complete local days), and the
result is computed as of the start of today, so a run taken over after a crash, or a
second run the same day, stores the same result."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from quickcrm.area import JobContext


def nightly(ctx: JobContext) -> dict[str, Any]:
    from quickcrm.attention.groups import recompute_nightly

    rt = ctx.runtime
    tz = str(rt.settings.timezone)
    today = rt.clock.now().astimezone(ZoneInfo(tz)).date()
    as_of = datetime.combine(today, time(), ZoneInfo(tz))
    with rt.session() as session:
        done = recompute_nightly(session=session, actor=rt.actor, now=as_of, tz=tz,
                                 start=today - timedelta(days=366),
                                 end=today - timedelta(days=1))
    return {"groups": done}
