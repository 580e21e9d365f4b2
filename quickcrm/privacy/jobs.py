"""The privacy job of ``quickcrm daemon`` (declared in ``privacy/area.py``): the purge of
what the retention settings no longer keep, once per local day (idempotent)."""

from __future__ import annotations

from typing import Any

from quickcrm.area import JobContext


def purge(ctx: JobContext) -> dict[str, Any]:
    from quickcrm.privacy.retention import purge as run_purge

    rt = ctx.runtime
    with rt.session() as s:
        done = run_purge(session=s, actor=rt.actor, now=rt.clock.now(), settings=rt.settings)
    return {k: v for k, v in done.to_json().items() if k not in ("cutoffs", "days", "dry_run")}
