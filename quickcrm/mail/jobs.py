"""The mail area's daemon job: deliver what is due (declared in ``mail/area.py``, last in
every run, so what the other jobs queued goes out in the same run)."""

from __future__ import annotations

from typing import Any

from quickcrm.area import JobContext


def deliver(ctx: JobContext) -> dict[str, Any]:
    counts = ctx.runtime.deliver(stop=ctx.stop)
    result: dict[str, Any] = counts.as_dict()
    if counts.error:
        result["error"] = counts.error
    return result
