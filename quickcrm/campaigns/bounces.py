"""`quickcrm bounces ingest`: bounce messages that came back later, applied to the
campaign, and the coordinator told (one digest per campaign per run)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import timedelta
from email.message import Message

from quickcrm import permissions
from quickcrm.campaigns.bounce_digest import queue_bounce_digests
from quickcrm.runtime import Runtime


def ingest_bounces(*, rt: Runtime, source: str | os.PathLike[str] | Iterable[Message | bytes],
                   deliver: bool = True) -> dict[str, int]:
    """Read a Maildir, an mbox or messages; mark the matching invitations bounced (the
    mail hooks do that in the same transaction) and queue the digests; then deliver."""
    from quickcrm.mail.bounces import ingest

    permissions.require(rt.actor, "process bounces")
    now = rt.clock.now()
    with rt.session() as session:
        counts = ingest(session=session, path_or_messages=source, now=now,
                        window=timedelta(days=int(rt.settings["mail.bounce_window_days"])))
        queue_bounce_digests(session=session, now=now, settings=rt.settings)
        session.commit()
    if deliver:
        rt.deliver()
    return counts


def ingest_mailbox(*, rt: Runtime, url: str) -> dict[str, int]:
    """Poll the IMAP mailbox ``url`` (``mail.imap_url``): ingest what is new there (by
    UIDVALIDITY/UID, ``quickcrm.mail.imap``), queue the digests in the same transaction,
    and only then flag or move the bounces (``mail.imap_bounce_folder``); everything
    that is no bounce stays as it was. Delivery is left to the caller (the daemon)."""
    from quickcrm.mail import hooks
    from quickcrm.mail.bounces import ingest_one
    from quickcrm.mail.imap import poll

    permissions.require(rt.actor, "process bounces")
    hooks.load_hooks()
    now = rt.clock.now()
    window = timedelta(days=int(rt.settings["mail.bounce_window_days"]))
    return poll(session_factory=rt.session, url=url, now=now,
                ingest_one=lambda s, raw: ingest_one(s, raw, now=now, window=window),
                move_to=str(rt.settings["mail.imap_bounce_folder"]),
                after_batch=lambda s: None if queue_bounce_digests(
                    session=s, now=now, settings=rt.settings) else None)
