"""The outbox use cases behind `quickcrm outbox ...`: permission first, then the work."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from quickcrm import permissions
from quickcrm.mail.models import DEFERRED, FAILED
from quickcrm.mail.outbox import retry
from quickcrm.runtime import Delivered, Runtime


def deliver_outbox(*, rt: Runtime, limit: int | None = None,
                   progress: Callable[[int], None] | None = None) -> Delivered:
    """Deliver what is due now (what the daemon's deliver job does), as the acting user."""
    permissions.require(rt.actor, "manage the outbox")
    return rt.deliver(limit=limit, progress=progress)


def retry_outbox(*, rt: Runtime, deferred: bool = False,
                 ids: Sequence[int] | None = None) -> int:
    """Queue failed (and with ``deferred`` also deferred) messages again, due now."""
    permissions.require(rt.actor, "manage the outbox")
    statuses = (FAILED, DEFERRED) if deferred else (FAILED,)
    with rt.session() as session:
        count = retry(session, now=rt.clock.now(), statuses=statuses, ids=ids or None)
        session.commit()
    return count
