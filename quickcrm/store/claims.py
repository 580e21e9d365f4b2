"""Claims of work by a worker (a daemon, a cron run, a command), and the one rule that
says when a claim's worker is presumed dead so others may take the work over.

Two kinds of claims use it: outbox rows a deliverer marked ``sending``
(``quickcrm.mail.delivery``) and ``job_run`` rows of once-per-period daemon jobs (below).
Today the rule is the lease: a claim its worker did not renew within ``mail.lease_seconds``
belongs to a dead worker. Both callers ask ``dead()``, so a better rule (the worker's pid
on this host, a PostgreSQL advisory lock; see ../shared/pitfalls.md) replaces it here for
every claim at once.

Once-per-period jobs: ``claim_period`` inserts (job, period) or takes over a dead worker's
unfinished row, in one transaction (BEGIN IMMEDIATE on SQLite; on PostgreSQL the unique
key makes a second inserter wait for the first and then find the row), so of several
daemons and cron runs exactly one runs the job for a period. The runner renews its row
while the job runs, marks it finished, or deletes it when the job failed (the next tick
retries).
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from quickcrm.clock import local_date
from quickcrm.store.models import JobRun

DEFAULT_LEASE = timedelta(minutes=5)


def new_worker_id() -> str:
    """host:pid:random, unique per worker and readable in the tables."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def lease(settings: Any) -> timedelta:
    """``mail.lease_seconds`` (settings may be None or a partial mapping in benchmarks)."""
    try:
        return timedelta(seconds=float(settings["mail.lease_seconds"]))
    except (KeyError, TypeError):
        return DEFAULT_LEASE


def dead(*, worker: Any, renewed_at: Any, now: datetime, lease: timedelta) -> ColumnElement[bool]:
    """SQL condition on a claim's columns: its worker is presumed dead. Today: it did not
    renew the claim (``renewed_at``) within the lease; ``worker`` (the column holding the
    worker id) is what a liveness rule will look at, passed now so that callers need not
    change when it comes."""
    return renewed_at < now - lease


def period_key(per: str, now: datetime, tz: str) -> str:
    """The period ``now`` falls in: for "day" the local calendar day in ``tz``."""
    if per != "day":
        raise ValueError(f"unknown period {per!r}")
    return local_date(now, tz).isoformat()


def _insert(session: Session) -> Any:
    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(JobRun)


def claim_period(session: Session, *, job: str, period: str, worker: str, now: datetime,
                 lease: timedelta) -> bool:
    """Claim ``job`` for ``period`` for ``worker``: True when this worker is to run it
    (no one had, or a dead worker's unfinished run is taken over). The caller commits."""
    inserted = session.execute(
        _insert(session)
        .values(job=job, period=period, worker=worker, started_at=now, renewed_at=now)
        .on_conflict_do_nothing(index_elements=["job", "period"])
        .returning(col(JobRun.job))
    ).first()
    if inserted is not None:
        return True
    taken = session.execute(
        update(JobRun)
        .where(col(JobRun.job) == job, col(JobRun.period) == period,
               col(JobRun.finished_at).is_(None),
               dead(worker=col(JobRun.worker), renewed_at=col(JobRun.renewed_at), now=now,
                    lease=lease))
        .values(worker=worker, started_at=now, renewed_at=now)
        .returning(col(JobRun.job))
    ).first()
    return taken is not None


def _mine(job: str, period: str, worker: str) -> tuple[ColumnElement[bool], ...]:
    return (col(JobRun.job) == job, col(JobRun.period) == period, col(JobRun.worker) == worker)


def renew_period(session: Session, *, job: str, period: str, worker: str,
                 now: datetime) -> None:
    """A living worker keeps its claim (called while the job runs)."""
    session.execute(update(JobRun).where(*_mine(job, period, worker)).values(renewed_at=now))


def finish_period(session: Session, *, job: str, period: str, worker: str,
                  now: datetime) -> None:
    session.execute(update(JobRun).where(*_mine(job, period, worker))
                    .values(finished_at=now, renewed_at=now))


def release_period(session: Session, *, job: str, period: str, worker: str) -> None:
    """Give a failed run's claim back, so the next tick (of any worker) retries."""
    session.execute(delete(JobRun).where(*_mine(job, period, worker)))
