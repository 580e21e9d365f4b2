"""Delivery: claim due messages, send them, record each result on its own.

The three steps, each its own short transaction, so that no database write lock is held
while we talk SMTP (see ../shared/pitfalls.md):

1. claim: one transaction releases claims of dead workers (``store.claims``: a worker
   on this machine whose process is gone, on PostgreSQL one whose session is gone, at
   once; others after ``mail.lease_seconds``) and marks up to a batch (20) of due rows
   ``sending`` for this worker
   (``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) RETURNING``; on
   SQLite the transaction starts with BEGIN IMMEDIATE, so claims are serialised);
2. send, one message at a time over the transport's one connection;
3. record the result right after the server's reply, in its own commit, together with the
   hooks of the message's kind (``quickcrm.mail.hooks``). The commit runs on a helper
   thread while the next message is transmitted, but that message's final "." waits for
   it (see ``_Recorder``).

So a worker killed mid-batch loses nothing: its unsent rows are still ``sending`` and are
reclaimed by the next run (at once when its death is provable, else after the lease), and
only the one message in flight can go out twice (with the same Message-ID).

A living worker's claims are never taken over on its own machine (``store.claims``), and
elsewhere only after the lease, which the worker guards (``_Lease``): it counts its claim's
age from before the clock reading stored with it, renews before half the lease has passed,
and checks again just before each message's final "." that the message is still its own;
one that another worker took over it does not send (``taken_over`` in the counts).

Replies: 250 -> ``sent``; 4xx -> ``deferred`` and retried after 1, 2, 4 ... (at most 60)
minutes until ``mail.retry_max_age_hours`` after queueing, then ``failed``; 5xx ->
``rejected``, never retried, hook event "bounced"; connection refused -> the rest of the
batch goes back unchanged (nothing lost) and the run ends. No reply to the final "." (the
connection broke or the timeout passed): ``deferred`` like a 4xx, with ``last_error``
saying it "may have been delivered"; when it is sent again, ``last_error`` of the sent row
says it may have arrived twice (same Message-ID).

Callers (``send``, ``remind``, the web app) commit their messages, then call::

    counts = deliver(engine=rt.engine, transport=rt.transport(), clock=rt.clock,
                     settings=rt.settings)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from quickcrm.clock import Clock, as_utc
from quickcrm.mail import hooks
from quickcrm.mail.models import (
    DEFERRED,
    FAILED,
    QUEUED,
    REJECTED,
    SENDING,
    SENT,
    WAITING,
    OutboxBody,
    OutboxMessage,
)
from quickcrm.mail.transports import (
    UNCERTAIN,
    PermanentFailure,
    ServerUnavailable,
    TemporaryFailure,
    Transport,
)
from quickcrm.store import claims

_log = logging.getLogger("quickcrm.mail")  # ids only: no names, addresses or tokens
M = OutboxMessage
BATCH = 20  # small claims: after a crash, few messages wait for their worker's fate
DEFAULT_MAX_AGE = timedelta(hours=72)
MAX_BACKOFF_MINUTES = 60
SENT_AGAIN = ("sent again after an attempt whose reply never came (" + UNCERTAIN
              + "): the recipient may have it twice, with the same Message-ID")


@dataclass
class DeliveryCounts:
    """delivered/deferred/failed/rejected: results of this run; queued: messages still
    waiting for their first attempt when the run ended. ``error``: why the run stopped
    early (server unavailable), else empty."""

    queued: int = 0
    delivered: int = 0
    deferred: int = 0
    failed: int = 0
    rejected: int = 0
    error: str = ""
    taken_over: int = 0  # claimed, then taken over by another worker: not sent by this run

    def as_dict(self) -> dict[str, int]:
        data = asdict(self)
        data.pop("error")
        if not data["taken_over"]:
            data.pop("taken_over")  # the usual case: the documented keys only
        return data


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    ref: str
    message_id: str
    sender: str
    recipient: str
    body: bytes
    attempts: int
    queued_at: datetime


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after the 1st, 2nd, 3rd ... temporary failure, at most 60."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_MINUTES))


def _setting(settings: Any, name: str, default: float) -> float:
    if settings is None:
        return default
    try:
        return float(settings[name])
    except KeyError:
        return default


def claim(engine: Engine, *, worker_id: str, now: datetime, limit: int,
          lease: timedelta) -> list[Claimed]:
    """Release stale claims and claim up to ``limit`` due messages, in one commit."""
    with Session(engine) as session:
        holders = session.scalars(select(col(M.claimed_by)).where(
            col(M.status) == SENDING, col(M.claimed_by) != worker_id).distinct()).all()
        judged = claims.liveness(session, holders) if holders else claims.Liveness()
        # only claims of the workers just judged: on PostgreSQL (read committed) a claim
        # committed after the SELECT above is seen by this UPDATE, and its worker, alive
        # or not, was never asked (seen: a living daemon's claim taken over that way)
        released = session.execute(
            update(M).where(col(M.status) == SENDING, col(M.claimed_by).in_(list(holders)),
                            claims.dead(worker=col(M.claimed_by),
                                        renewed_at=col(M.claimed_at), now=now, lease=lease,
                                        dead_ids=judged.dead, alive_ids=judged.alive))
            .values(status=QUEUED, claimed_by=None, claimed_at=None)
            .returning(col(M.id))
        ).all() if holders else []
        if released:
            _log.warning("took over %d messages whose worker is gone or did not renew its "
                         "claim within the %g s lease; a message it had in flight may "
                         "arrive twice (same Message-ID)", len(released), lease.total_seconds())
        due = (select(col(M.id))
               .where(col(M.status).in_(WAITING), col(M.next_attempt_at) <= now)
               .order_by(col(M.next_attempt_at), col(M.id))
               .limit(limit)
               .with_for_update(skip_locked=True))
        rows = session.execute(
            update(M).where(col(M.id).in_(due.scalar_subquery()),
                            col(M.status).in_(WAITING))
            .values(status=SENDING, claimed_by=worker_id, claimed_at=now)
            .returning(col(M.id), col(M.kind), col(M.ref), col(M.message_id), col(M.sender), col(M.recipient),
                       col(M.attempts), col(M.queued_at))
        ).all()
        bodies: dict[str, bytes] = {}
        if rows:
            bodies = dict(session.execute(  # type: ignore[arg-type]
                select(col(OutboxBody.message_id), col(OutboxBody.body))
                .where(col(OutboxBody.message_id).in_([r.message_id for r in rows]))
            ).all())
        session.commit()
    claimed = [Claimed(id=r.id, kind=r.kind, ref=r.ref, message_id=r.message_id,
                       sender=r.sender, recipient=r.recipient, body=bodies[r.message_id],
                       attempts=r.attempts, queued_at=r.queued_at) for r in rows]
    claimed.sort(key=lambda c: c.id)
    return claimed


def _release(engine: Engine, worker_id: str, items: list[Claimed], error: str) -> None:
    """Give claimed-but-unsent messages back unchanged (server down, or asked to stop)."""
    for status, group in ((QUEUED, [c.id for c in items if c.attempts == 0]),
                          (DEFERRED, [c.id for c in items if c.attempts > 0])):
        if not group:
            continue
        with Session(engine) as session:
            values: dict[str, Any] = {"status": status, "claimed_by": None, "claimed_at": None}
            if error:
                values["last_error"] = error[:1000]
            session.execute(update(M).where(col(M.id).in_(group),
                                            col(M.claimed_by) == worker_id).values(values))
            session.commit()


def _result_statement(status: str) -> Any:
    """The UPDATE that records one result, built once (bind parameters only)."""
    values: dict[str, Any] = {"status": status, "claimed_by": None, "claimed_at": None,
                              "attempts": col(M.attempts) + 1, "last_error": bindparam("error")}
    query = update(M).where(col(M.id) == bindparam("row_id"))
    if status == SENT:
        values["sent_at"] = bindparam("now")
        # an earlier attempt went unanswered after its final ".": say it may be there twice
        values["last_error"] = case((col(M.last_error).contains(UNCERTAIN), SENT_AGAIN),
                                    else_=bindparam("error"))
        # even if our claim was taken over, the message went out: never send it again
        query = query.where(col(M.status).in_((SENDING, *WAITING)))
    else:
        query = query.where(col(M.claimed_by) == bindparam("worker"))
    if status == REJECTED:
        values["bounced_at"] = bindparam("now")
        values["bounce_reason"] = bindparam("reason")
    if status == DEFERRED:
        values["next_attempt_at"] = bindparam("next_at")
    return query.values(values)


_RESULT = {status: _result_statement(status) for status in (SENT, DEFERRED, FAILED, REJECTED)}
_EVENT = {SENT: "sent", REJECTED: "bounced", FAILED: "failed"}


def _record(bind: Engine | Connection, worker_id: str, item: Claimed, *, status: str,
            now: datetime, error: str = "", next_at: datetime | None = None) -> None:
    params = {"row_id": item.id, "worker": worker_id, "error": error[:1000], "now": now,
              "reason": error[:500], "next_at": next_at}
    event = _EVENT.get(status)
    if not (event and hooks.has_hooks(event, item.kind)) and isinstance(bind, Connection):
        with bind.begin():  # no hook: a plain statement, no ORM session needed
            bind.execute(_RESULT[status], params)
        return
    with Session(bind) as session:
        changed = session.execute(_RESULT[status], params).rowcount  # type: ignore[attr-defined]
        if changed and event:
            hooks.dispatch(session, hooks.MessageEvent(
                event=event, id=item.id, kind=item.kind, ref=item.ref,
                message_id=item.message_id, recipient=item.recipient, at=now, reason=error,
                rejected=status == REJECTED))
        session.commit()


def _renew(engine: Engine, worker_id: str, now: datetime) -> set[int]:
    """Renew this worker's claims; the ids it still holds (others took over the rest)."""
    with Session(engine) as session:
        held = session.execute(
            update(M).where(col(M.claimed_by) == worker_id, col(M.status) == SENDING)
            .values(claimed_at=now).returning(col(M.id))).scalars().all()
        session.commit()
    return set(held)


class ClaimLost(Exception):
    """Another worker took this message over (our lease ran out): we must not send it."""


class _Lease:
    """How long this worker's claims are surely its own, and renewing them in time.

    The age of a claim counts from *before* the clock reading it was stored with
    (``claimed_at``), by the monotonic clock and by the worker's clock, whichever ran
    further: a claim whose transaction waited for the database is that much older when
    it commits. Before half the lease has passed the worker renews (one UPDATE ...
    RETURNING, which also says which messages it still holds); a message it no longer
    holds is not sent (``ClaimLost``). Half the lease is left for the message in flight:
    its final ".", the server's reply and the commit of the result.
    """

    def __init__(self, engine: Engine, worker: str, clock: Clock, lease: timedelta,
                 started: float, at: datetime, ids: list[int]) -> None:
        self.engine, self.worker, self.clock = engine, worker, clock
        self.half = lease.total_seconds() / 2
        self.started, self.at, self.held = started, at, set(ids)
        self.lost = 0

    def _age(self) -> float:
        return max(time.monotonic() - self.started,
                   (self.clock.now() - self.at).total_seconds())

    def check(self, item: Claimed) -> None:
        """Raise ``ClaimLost`` unless ``item`` is surely still ours for half a lease."""
        if item.id in self.held and self._age() >= self.half:
            started, at = time.monotonic(), self.clock.now()
            self.held &= _renew(self.engine, self.worker, at)
            self.started, self.at = started, at
        if item.id not in self.held:
            raise ClaimLost(item.message_id)


class _Recorder:
    """Records results in order on one background thread and connection, one commit each.

    Why a thread: a commit costs a disk flush, which would otherwise add to every message.
    The commit of message N overlaps the sending of message N+1, but N+1's final "." is
    only sent once N's result is committed (``barrier``), so a crash still leaves at most
    the one message in flight unrecorded.

    Unless ``durable`` (setting ``mail.durable_results``), these commits are not flushed
    to disk one by one (SQLite ``synchronous=NORMAL``, PostgreSQL ``synchronous_commit
    off``, on this connection only): a killed process loses nothing, a power failure can
    lose the last results, which means those messages are sent again (same Message-ID),
    never that one is lost. Queueing commits stay fully durable.
    """

    def __init__(self, engine: Engine, worker_id: str, *, durable: bool) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.engine, self.worker_id, self.durable = engine, worker_id, durable
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-record")
        self.last: Future[None] | None = None
        self.conn: Connection | None = None

    def _sync(self, fast: bool) -> None:
        assert self.conn is not None
        if self.engine.dialect.name == "sqlite":
            raw = self.conn.connection.driver_connection
            raw.execute(f"PRAGMA synchronous={'NORMAL' if fast else 'FULL'}")  # type: ignore[union-attr]
        elif self.engine.dialect.name == "postgresql":
            self.conn.exec_driver_sql("SET synchronous_commit TO OFF" if fast
                                      else "RESET synchronous_commit")
            self.conn.commit()

    def _run(self, item: Claimed, kwargs: dict[str, Any]) -> None:
        if self.conn is None:  # opened on the recorder thread, used only there
            self.conn = self.engine.connect()
            if not self.durable:
                self._sync(fast=True)
        _record(self.conn, self.worker_id, item, **kwargs)

    def _close_conn(self) -> None:
        if self.conn is not None:
            try:
                if not self.durable:
                    self._sync(fast=False)
            finally:
                self.conn.close()
                self.conn = None

    def submit(self, item: Claimed, **kwargs: Any) -> None:
        self.last = self.pool.submit(self._run, item, kwargs)

    def barrier(self) -> None:
        """Wait until every result submitted so far is committed (raises its error)."""
        if self.last is not None:
            self.last.result()

    def close(self) -> None:
        try:
            self.barrier()
        finally:
            self.pool.submit(self._close_conn).result()
            self.pool.shutdown(wait=True)


def _about(item: Claimed) -> dict[str, str]:
    return {"message_id": item.message_id, "ref": item.ref}


def _send_batch(items: list[Claimed], *, engine: Engine, transport: Transport, clock: Clock,
                recorder: _Recorder, worker: str, lease: _Lease, max_age: timedelta,
                counts: DeliveryCounts, stop: threading.Event | None,
                progress: Callable[[int], None] | None) -> None:
    for index, item in enumerate(items):
        if stop is not None and stop.is_set():
            recorder.barrier()
            _release(engine, worker, items[index:], "")
            return

        def guard(item: Claimed = item) -> None:  # just before the final "."
            recorder.barrier()
            lease.check(item)

        try:
            lease.check(item)  # not even MAIL FROM for a message that is no longer ours
            transport.send(sender=item.sender, recipient=item.recipient, data=item.body,
                           barrier=guard)
        except ClaimLost:
            lease.lost += 1
            _log.warning("%s not sent by this worker: another worker took it over",
                         item.kind, extra=_about(item))
            continue
        except ServerUnavailable as exc:
            counts.error = str(exc)
            recorder.barrier()
            _release(engine, worker, items[index:], str(exc))
            return
        except PermanentFailure as exc:
            recorder.submit(item, status=REJECTED, now=clock.now(), error=str(exc))
            counts.rejected += 1
            _log.warning("%s rejected: %s", item.kind, exc, extra=_about(item))
        except TemporaryFailure as exc:
            now = clock.now()
            if now - as_utc(item.queued_at) >= max_age:
                recorder.submit(item, status=FAILED, now=now, error=str(exc))
                counts.failed += 1
                _log.warning("%s failed after retries: %s", item.kind, exc, extra=_about(item))
            else:
                recorder.submit(item, status=DEFERRED, now=now, error=str(exc),
                                next_at=now + backoff(item.attempts + 1))
                counts.deferred += 1
                _log.info("%s deferred: %s", item.kind, exc, extra=_about(item))
        else:
            recorder.submit(item, status=SENT, now=clock.now())
            counts.delivered += 1
        if progress is not None:
            progress(1)


def deliver(
    *,
    engine: Engine,
    transport: Transport,
    clock: Clock,
    settings: Any = None,
    limit: int | None = None,
    worker_id: str | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[int], None] | None = None,
) -> DeliveryCounts:
    """Send every due message (at most ``limit``); see the module docstring.

    ``stop`` (set by SIGTERM in the daemon) ends the run after the message in flight; the
    rest of the batch is given back. The transport is left open for the caller to close.
    """
    hooks.load_hooks()
    worker = worker_id or claims.new_worker_id()
    lease = claims.lease(settings)
    max_age = timedelta(hours=_setting(settings, "mail.retry_max_age_hours",
                                       DEFAULT_MAX_AGE.total_seconds() / 3600))
    interval = float(getattr(transport, "interval", 0.0) or 0.0)
    batch = BATCH if not interval else max(1, min(BATCH, int(lease.total_seconds() / 2 / interval)))
    counts = DeliveryCounts()
    done = 0
    recorder = _Recorder(engine, worker, durable=bool(_setting(settings, "mail.durable_results", 0)))
    with claims.alive(engine, worker):  # on PostgreSQL: our claims go if we die
        try:
            while (limit is None or done < limit) and not (stop is not None and stop.is_set()):
                started = time.monotonic()  # before the clock reading stored as claimed_at
                at = clock.now()
                items = claim(engine, worker_id=worker, now=at, lease=lease,
                              limit=batch if limit is None else min(batch, limit - done))
                if not items:
                    break
                held = _Lease(engine, worker, clock, lease, started, at, [c.id for c in items])
                _send_batch(items, engine=engine, transport=transport, clock=clock,
                            recorder=recorder, worker=worker, lease=held, max_age=max_age,
                            counts=counts, stop=stop, progress=progress)
                counts.taken_over += held.lost
                done += len(items)
                recorder.barrier()
                if counts.error:
                    break
        finally:
            recorder.close()
    with Session(engine.execution_options(sqlite_begin="DEFERRED")) as session:
        counts.queued = int(session.scalar(
            select(func.count()).select_from(M).where(col(M.status) == QUEUED)) or 0)
    return counts
