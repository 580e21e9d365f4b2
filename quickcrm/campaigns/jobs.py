"""The campaign jobs of `quickcrm daemon` (declared in ``campaigns/area.py``): reminders,
and bounce ingestion from the mailbox named by ``mail.imap_url``. Both only queue; the
daemon's delivery job (which runs after them) sends, so a reminder run never waits on the
SMTP server."""

from __future__ import annotations

from typing import Any

from quickcrm.area import JobContext


def remind(ctx: JobContext) -> dict[str, Any]:
    from quickcrm.campaigns.bounce_digest import queue_bounce_digests
    from quickcrm.campaigns.reminders import remind as run_reminders

    rt = ctx.runtime
    counts = run_reminders(rt=rt, queue_only=True)
    with rt.session() as session:  # what the deliver job found since (failed, refused)
        digests = queue_bounce_digests(session=session, now=rt.clock.now(),
                                       settings=rt.settings)
        session.commit()
    return {**counts.to_json(), "skipped_first": counts.skipped_first, "digests": digests}


def bounces(ctx: JobContext) -> dict[str, Any] | None:
    url = str(ctx.runtime.settings["mail.imap_url"])
    if not url:
        return None
    from quickcrm.campaigns.bounces import ingest_mailbox

    return ingest_mailbox(rt=ctx.runtime, url=url)

