"""Claims of work by a worker (a daemon, a cron run, a command), and the one rule that
says when a claim's worker is dead so others may take the work over.

Two kinds of claims use it: outbox rows a deliverer marked ``sending``
(``quickcrm.mail.delivery``) and ``job_run`` rows of once-per-period daemon jobs (below).
Both ask ``dead_workers()`` and ``dead()``, so the rule is decided here for every claim.

The rule (issue 24 item 2). A worker id names the machine (``/etc/machine-id``, not the
host name, which containers share), the boot (``/proc/sys/kernel/random/boot_id``), the
process id (with its pid namespace: containers) and the process's start time (pid
reuse). A claim's worker is dead at once
when it is provably gone:

- it ran on this machine and this boot, and no process with its pid and start time lives;
- it ran on this machine in an earlier boot (the machine restarted since);
- on PostgreSQL: its database session is gone. Every worker holds a session-level
  advisory lock on its id while it holds claims (``alive()``); PostgreSQL releases it when
  the session ends, whatever killed the process, so ``pg_try_advisory_lock`` succeeding
  means the holder is gone (on any host).

A worker on this machine whose process provably lives (same boot, its pid alive with its
start time) keeps its claims whatever their age: the lease is never the rule for it. Taking
a living worker's claims over can only send its messages twice (it goes on sending the batch
it holds), and under load a living worker can fall behind its lease: its claim transaction
waits for the database, or one message takes longer than half the lease. (Seen: two
daemons on one PostgreSQL, load 12, lease 2 s, a claim whose ``claimed_at`` was already 5 s
old when it committed was taken over at once, and 20 messages went out twice.)

Otherwise (a worker on another host, on SQLite; a worker id of an older version) the
lease is the rule: a claim not renewed within ``mail.lease_seconds`` is taken over. A
worker guards itself against that: it renews before half its lease has passed, counted
from before the clock reading it claimed with, and does not send a message it no longer
holds (``quickcrm.mail.delivery``).

Once-per-period jobs: ``claim_period`` inserts (job, period) or takes over a dead worker's
unfinished row, in one transaction (BEGIN IMMEDIATE on SQLite; on PostgreSQL the unique
key makes a second inserter wait for the first and then find the row), so of several
daemons and cron runs exactly one runs the job for a period. The runner renews its row
while the job runs, marks it finished, or deletes it when the job failed (the next tick
retries).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from quickcrm.clock import local_date
from quickcrm.store.models import JobRun

DEFAULT_LEASE = timedelta(minutes=5)


VERSION = "w1"


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def machine_id() -> str:
    """This machine: systemd's machine id (the host name only where there is none)."""
    found = _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id")
    return (found or "host-" + socket.gethostname())[:32].replace(":", "_")


def _pid_namespace() -> str:
    """The pid namespace (two containers on one machine may share a machine id, but a
    pid means something only inside its namespace)."""
    try:
        return os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        return ""


def _here() -> str:
    """Where a pid can be tested: this machine and pid namespace."""
    return f"{machine_id()[:12]}.{_pid_namespace()}"


def boot_id() -> str:
    return _read("/proc/sys/kernel/random/boot_id").replace("-", "")[:32]


def process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), "" when unknown or gone."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else ""


def new_worker_id() -> str:
    """w1:machine.pidns:boot:pid:start:random:host -- unique per worker, readable in the tables,
    and enough for ``dead_workers`` to test the worker on this machine."""
    pid = os.getpid()
    host = socket.gethostname().replace(":", "_")[:24]
    return (f"{VERSION}:{_here()}:{boot_id()[:12]}:{pid}:{process_start(pid)}:"
            f"{secrets.token_hex(3)}:{host}")[:120]


@dataclass(frozen=True)
class WorkerId:
    machine: str
    boot: str
    pid: int
    start: str


def parse_worker(worker: str) -> WorkerId | None:
    """The parts of a worker id of this version (None for an older one: lease only)."""
    parts = worker.split(":")
    if len(parts) < 6 or parts[0] != VERSION or not parts[3].isdigit():
        return None
    return WorkerId(machine=parts[1], boot=parts[2], pid=int(parts[3]), start=parts[4])


def _gone_here(w: WorkerId) -> bool | None:
    """True/False when this machine can tell whether the worker lives; None if not."""
    if w.machine != _here():
        return None  # another machine: the lease (or PostgreSQL's sessions) decides
    if w.boot != boot_id()[:12]:
        return True  # this machine restarted since: its process is gone
    try:
        os.kill(w.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, as another user
    return bool(w.start) and process_start(w.pid) != w.start  # pid reused


def lock_key(worker: str) -> int:
    """The PostgreSQL advisory lock (a signed 64-bit key) a worker holds while it lives."""
    return int.from_bytes(hashlib.blake2b(worker.encode(), digest_size=8).digest(), "big",
                          signed=True)


@dataclass(frozen=True)
class Liveness:
    """What can be proven about the workers holding claims: ``dead`` lose their claims at
    once, ``alive`` (on this machine, process running) keep them whatever their age; the
    lease decides for any other."""

    dead: frozenset[str] = frozenset()
    alive: frozenset[str] = frozenset()


def liveness(session: Session, workers: Iterable[str | None]) -> Liveness:
    """Of the workers holding claims, those provably gone and those provably alive."""
    dead: set[str] = set()
    alive: set[str] = set()
    postgres = session.get_bind().dialect.name == "postgresql"
    for worker in {w for w in workers if w}:
        parsed = parse_worker(worker)
        if parsed is None:
            continue
        here = _gone_here(parsed)
        if here is True:
            dead.add(worker)
        elif here is False:
            alive.add(worker)
        elif postgres:
            key = lock_key(worker)
            got = session.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            if got:  # nobody holds it: its session is gone
                session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                dead.add(worker)
    return Liveness(dead=frozenset(dead), alive=frozenset(alive))


def dead_workers(session: Session, workers: Iterable[str | None]) -> set[str]:
    """Of the workers holding claims, those that are provably gone (see the module)."""
    return set(liveness(session, workers).dead)


@contextmanager
def alive(engine: Engine, worker: str) -> Iterator[None]:
    """Hold ``worker``'s liveness while the block runs: on PostgreSQL a session-level
    advisory lock on a connection of its own, released by the server when the process
    dies (on SQLite the process itself is the proof: nothing to hold)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    conn = engine.connect()
    try:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key(worker)})
        conn.commit()
        yield
    finally:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(worker)})
            conn.commit()
        finally:
            conn.close()


def lease(settings: Any) -> timedelta:
    """``mail.lease_seconds`` (settings may be None or a partial mapping in benchmarks)."""
    try:
        return timedelta(seconds=float(settings["mail.lease_seconds"]))
    except (KeyError, TypeError):
        return DEFAULT_LEASE


def dead(*, worker: Any, renewed_at: Any, now: datetime, lease: timedelta,
         dead_ids: Iterable[str] = (), alive_ids: Iterable[str] = ()) -> ColumnElement[bool]:
    """SQL condition on a claim's columns: its worker is dead. ``dead_ids``: the workers
    ``liveness`` found gone, whose claims go at once; ``alive_ids``: those it found
    alive on this machine, whose claims stay; any other claim its worker did not renew
    (``renewed_at``) within the lease."""
    stale: ColumnElement[bool] = renewed_at < now - lease
    living = sorted(set(alive_ids))
    if living:
        stale = and_(stale, or_(worker.is_(None), worker.not_in(living)))
    gone = sorted(set(dead_ids))
    return or_(stale, worker.in_(gone)) if gone else stale


def dead_claims(session: Session, *, worker: Any, renewed_at: Any, holders: Iterable[str | None],
                now: datetime, lease: timedelta) -> ColumnElement[bool]:
    """``dead()`` for the claims of ``holders``, judged now (``liveness``)."""
    judged = liveness(session, holders)
    return dead(worker=worker, renewed_at=renewed_at, now=now, lease=lease,
                dead_ids=judged.dead, alive_ids=judged.alive)


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
    holder = session.scalar(select(col(JobRun.worker)).where(
        col(JobRun.job) == job, col(JobRun.period) == period,
        col(JobRun.finished_at).is_(None)))
    if holder is None:
        return False  # finished for this period
    taken = session.execute(
        update(JobRun)
        .where(col(JobRun.job) == job, col(JobRun.period) == period,
               col(JobRun.finished_at).is_(None), col(JobRun.worker) == holder,
               dead_claims(session, worker=col(JobRun.worker), renewed_at=col(JobRun.renewed_at),
                           holders=[holder], now=now, lease=lease))
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
