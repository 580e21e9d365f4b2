"""The outbox use cases behind `quickcrm outbox ...`: permission first, then the work."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from quickcrm import permissions
from quickcrm.mail.delivery import DeliveryCounts
from quickcrm.mail.models import DEFERRED, FAILED
from quickcrm.mail.outbox import retry


def deliver_outbox(*, runtime: Any, limit: int | None = None,
                   progress: Callable[[int], None] | None = None) -> DeliveryCounts:
    """Deliver what is due now (what the daemon's deliver job does), as the acting user."""
    permissions.require(runtime.actor, "manage the outbox")
    return runtime.deliver(limit=limit, progress=progress)  # type: ignore[no-any-return]


def retry_outbox(*, runtime: Any, deferred: bool = False,
                 ids: Sequence[int] | None = None) -> int:
    """Queue failed (and with ``deferred`` also deferred) messages again, due now."""
    permissions.require(runtime.actor, "manage the outbox")
    statuses = (FAILED, DEFERRED) if deferred else (FAILED,)
    with runtime.session() as session:
        count = retry(session, now=runtime.clock.now(), statuses=statuses, ids=ids or None)
        session.commit()
    return count
