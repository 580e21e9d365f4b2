"""Two deliveries that overlap must not send a message twice (issue 24, the defect seen in
tests/test_daemon.py under load 8-18: 1,006-1,020 messages arrived for 1,000 queued).

What happened: under load a daemon's claim committed with a ``claimed_at`` already older
than the 2 s lease (the clock was read before the claim's transaction, which waited 5 s),
so the other daemon, on the same machine, took the living worker's batch over by the lease
and both sent those 20 messages. Here the same race is made deterministic with a real
aiosmtpd that holds one reply until the other worker has run, and a clock the test moves:

- a living worker on this machine keeps its claims whatever their age;
- a worker elsewhere (where only the lease can tell) whose lease ran out while it was
  stalled does not send what was taken over: at most the one message it had in flight,
  past its final ".", arrives twice (with the same Message-ID); stalled before the final "."
  none does.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from typing import Any

from test_mail_delivery import queue, rows, run

from quickcrm.mail.delivery import DeliveryCounts, claim, deliver
from quickcrm.mail.outbox import orphaned
from quickcrm.mail.transports import make_transport
from quickcrm.store import claims

ELSEWHERE = "w1:0123456789ab.4026531836:ffffffffffff:4242:1:abcdef:otherhost"


def hold(sink: Any, hook: str, nth: int) -> tuple[threading.Event, threading.Event]:
    """Make the sink hold its reply to the ``nth`` ``hook`` (RCPT or DATA; DATA is
    answered after the final ".") until ``release`` is set; ``held`` is set when it holds.
    The server has done its part already (a held DATA's message is received, as a server
    that queued it and is slow to say so). Its other connections are served meanwhile."""
    held, release = threading.Event(), threading.Event()
    original = getattr(sink, f"handle_{hook}")
    calls = 0

    async def handler(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        reply = await original(*args)
        if calls == nth:
            held.set()
            while not release.is_set():
                await asyncio.sleep(0.01)
        return reply

    setattr(sink, f"handle_{hook}", handler)
    return held, release


def wait_until(predicate: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def stalled_worker(rt: Any, url: str) -> tuple[threading.Thread, list[DeliveryCounts]]:
    """A delivery run by a worker on another machine, in a thread of its own."""
    result: list[DeliveryCounts] = []

    def work() -> None:
        with make_transport(url, settings=rt.settings) as transport:
            result.append(deliver(engine=rt.engine, transport=transport, clock=rt.clock,
                                  settings=rt.settings, worker_id=ELSEWHERE))

    thread = threading.Thread(target=work, name="stalled-worker")
    thread.start()
    return thread, result


def test_a_living_worker_on_this_machine_keeps_its_claims_past_the_lease(rt, smtp_server):
    queue(rt, 5)
    living = claims.new_worker_id()  # this process: alive
    assert len(claim(rt.engine, worker_id=living, now=rt.clock.now(), limit=5,
                     lease=claims.lease(rt.settings))) == 5
    rt.clock.advance(minutes=10)  # twice the 300 s lease without a renewal
    assert run(rt, smtp_server.url).delivered == 0
    assert smtp_server.messages == []
    assert [r.claimed_by for r in rows(rt)] == [living] * 5
    with rt.session(read_only=True) as s:
        assert orphaned(s, now=rt.clock.now(), lease=claims.lease(rt.settings)) == 0


def test_a_worker_stalled_past_its_lease_before_the_final_dot_sends_nothing_twice(
        rt, smtp_server):
    ids = queue(rt, 5)
    held, release = hold(smtp_server, "RCPT", 2)  # the stalled worker's second message
    stalled, result = stalled_worker(rt, smtp_server.url)
    try:
        assert held.wait(30), "the stalled worker never reached its second message"
        wait_until(lambda: rows(rt)[0].status == "sent")  # its first result is recorded
        rt.clock.advance(minutes=10)  # its lease (300 s) ran out meanwhile
        assert run(rt, smtp_server.url).delivered == 4  # the other worker took them over
    finally:
        release.set()
        stalled.join(60)
    received = smtp_server.message_ids()
    assert sorted(received) == sorted(ids)  # each exactly once
    [counts] = result
    assert counts.delivered == 1 and counts.taken_over == 4
    assert [r.status for r in rows(rt)] == ["sent"] * 5


def test_a_worker_stalled_past_its_lease_waiting_for_the_250_sends_only_that_one_twice(
        rt, smtp_server):
    ids = queue(rt, 5)
    held, release = hold(smtp_server, "DATA", 1)  # its first message, after the final "."
    stalled, result = stalled_worker(rt, smtp_server.url)
    try:
        assert held.wait(30), "the stalled worker never sent its first message"
        rt.clock.advance(minutes=10)
        # the other worker cannot know whether the first one arrived: it sends all five
        assert run(rt, smtp_server.url).delivered == 5
    finally:
        release.set()
        stalled.join(60)
    received = Counter(smtp_server.message_ids())
    assert set(received) == set(ids)
    assert [m for m, n in received.items() if n > 1] == [ids[0]]  # the one in flight
    [counts] = result
    assert counts.delivered == 1 and counts.taken_over == 4
    assert [r.status for r in rows(rt)] == ["sent"] * 5


def test_a_reply_to_the_final_dot_that_comes_too_late_defers_it_as_perhaps_delivered(
        rt, smtp_server):
    """The lost "250" (RFC 1047): the server took the message but its reply came after the
    client's timeout. QuickCRM cannot know; it keeps the message (never lost), says so in
    the row, and sends it again after the backoff with the same Message-ID."""
    [message_id] = queue(rt, 1)
    held, release = hold(smtp_server, "DATA", 1)  # replies only after the client gave up
    try:
        counts = run(rt, smtp_server.url + "?timeout=1")
    finally:
        release.set()
    assert counts.deferred == 1 and counts.delivered == 0
    assert len(smtp_server.messages) == 1  # the server did take it
    [row] = rows(rt)
    assert row.status == "deferred" and "may have been delivered" in row.last_error
    assert run(rt, smtp_server.url).delivered == 0  # not before its backoff
    rt.clock.advance(minutes=2)
    assert run(rt, smtp_server.url).delivered == 1
    assert smtp_server.message_ids() == [message_id, message_id]  # the same Message-ID
    [row] = rows(rt)
    assert row.status == "sent" and "may have it twice" in row.last_error  # `outbox list`
