"""The outbox and its delivery against a real aiosmtpd on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import mailbox
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from quickcrm.mail import hooks
from quickcrm.mail.delivery import claim, deliver
from quickcrm.mail.models import OutboxMessage
from quickcrm.mail.outbox import Draft, queue_many, queue_message, retry, status_counts
from quickcrm.mail.transports import make_transport

SENDER = "QuickCRM <noreply@kantoor.example>"


def drafts(n: int, kind: str = "test", to: str = "klant{i}@example.nl"):  # type: ignore[no-untyped-def]
    for i in range(n):
        yield Draft(kind=kind, ref=f"{kind}:{i}", to=f"Klant {i} <{to.format(i=i)}>",
                    from_="Jan de Vries <jan@kantoor.example>", sender=SENDER,
                    subject=f"Uw QuickScan {i}", text=f"Beste klant {i},\n\nGroet, Jan",
                    html=f"<p>Beste klant {i},</p><p>Groet, Jan</p>")


def queue(rt, n: int, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    with rt.session() as s:
        ids = queue_many(s, drafts(n, **kw), now=rt.clock.now())
        s.commit()
    return ids


def rows(rt) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with rt.session(read_only=True) as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def run(rt, url: str, **kw):  # type: ignore[no-untyped-def]
    with make_transport(url, settings=rt.settings) as transport:
        return deliver(engine=rt.engine, transport=transport, clock=rt.clock,
                       settings=rt.settings, **kw)


def test_message_is_rendered_at_queue_time_and_delivered_once(rt, smtp_server):
    with rt.session() as s:
        msg = queue_message(s, kind="test", ref="invitation:7", to="Piet <piet@example.nl>",
                            from_="Jan de Vries <jan@kantoor.example>", sender=SENDER,
                            subject="Uitnodiging", text="Beste Piet", html="<p>Beste Piet</p>",
                            attachments=[("scan.pdf", b"%PDF-1.4 test", "application/pdf")],
                            now=rt.clock.now())
        s.commit()
        stored_id = msg.message_id
    counts = run(rt, smtp_server.url)
    assert counts.as_dict() == {"queued": 0, "delivered": 1, "deferred": 0, "failed": 0,
                                "rejected": 0}
    [(mail_from, rcpts, raw)] = smtp_server.messages
    assert mail_from == "noreply@kantoor.example" and rcpts == ["piet@example.nl"]
    got = message_from_bytes(raw, policy=policy.default)
    assert got["Message-ID"] == stored_id and stored_id.endswith("@kantoor.example>")
    assert got["From"] == "Jan de Vries <jan@kantoor.example>"
    assert got["Sender"] == SENDER
    assert got.get_body(("plain",)).get_content().strip() == "Beste Piet"
    assert got.get_body(("html",)).get_content().strip() == "<p>Beste Piet</p>"
    assert [a.get_filename() for a in got.iter_attachments()] == ["scan.pdf"]
    [row] = rows(rt)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert run(rt, smtp_server.url).delivered == 0
    assert len(smtp_server.messages) == 1


def test_4xx_is_retried_with_growing_backoff_and_the_same_message_id(rt, smtp_server):
    [message_id] = queue(rt, 1)
    smtp_server.tempfail = 2
    assert run(rt, smtp_server.url).deferred == 1
    assert run(rt, smtp_server.url).as_dict()["deferred"] == 0  # not due yet
    rt.clock.advance(minutes=1)
    assert run(rt, smtp_server.url).deferred == 1
    [row] = rows(rt)
    assert row.status == "deferred" and row.attempts == 2 and "451" in row.last_error
    rt.clock.advance(minutes=1)
    assert run(rt, smtp_server.url).delivered == 0  # second backoff is 2 minutes
    rt.clock.advance(minutes=1)
    assert run(rt, smtp_server.url).delivered == 1
    assert smtp_server.attempts == 3
    assert smtp_server.message_ids() == [message_id]
    assert rows(rt)[0].status == "sent"


def test_4xx_past_the_maximum_age_fails_and_can_be_retried(rt, smtp_server):
    failed: list[str] = []
    hooks.register("failed", "age-test", lambda s, e: failed.append(e.ref))
    queue(rt, 1, kind="age-test")
    smtp_server.tempfail = 10_000
    assert run(rt, smtp_server.url).deferred == 1
    rt.clock.advance(hours=72)
    assert run(rt, smtp_server.url).failed == 1
    assert failed == ["age-test:0"]
    rt.clock.advance(hours=1)
    assert run(rt, smtp_server.url).as_dict() == {
        "queued": 0, "delivered": 0, "deferred": 0, "failed": 0, "rejected": 0}
    smtp_server.tempfail = 0
    with rt.session() as s:
        assert retry(s, now=rt.clock.now()) == 1
        s.commit()
    assert run(rt, smtp_server.url).delivered == 1
    assert len(smtp_server.messages) == 1


def test_5xx_is_rejected_never_retried_and_reported_to_the_hook(rt, smtp_server):
    bounced: list[tuple[str, str]] = []
    hooks.register("bounced", "reject-test",
                   lambda s, e: bounced.append((e.ref, e.reason)))
    queue(rt, 3, kind="reject-test")
    smtp_server.reject = {"klant1@example.nl"}
    counts = run(rt, smtp_server.url)
    assert (counts.delivered, counts.rejected) == (2, 1)
    assert bounced[0][0] == "reject-test:1" and bounced[0][1].startswith("550")
    for _ in range(3):
        rt.clock.advance(hours=2)
        assert run(rt, smtp_server.url).as_dict()["rejected"] == 0
    statuses = [(r.ref, r.status, r.attempts) for r in rows(rt)]
    assert statuses[1] == ("reject-test:1", "rejected", 1)
    assert rows(rt)[1].bounced_at is not None
    assert len(smtp_server.messages) == 2


def test_server_down_leaves_everything_queued_and_loses_nothing(rt, dead_smtp_url, smtp_server):
    ids = queue(rt, 5)
    counts = run(rt, dead_smtp_url)
    assert counts.delivered == 0 and counts.queued == 5 and "127.0.0.1" in counts.error
    assert {(r.status, r.attempts, r.claimed_by) for r in rows(rt)} == {("queued", 0, None)}
    assert run(rt, smtp_server.url).delivered == 5
    assert sorted(smtp_server.message_ids()) == sorted(ids)


def test_one_connection_is_reused_and_reopened_when_dropped(rt, smtp_server):
    queue(rt, 30)
    transport = make_transport(smtp_server.url, settings=rt.settings)
    try:
        counts = deliver(engine=rt.engine, transport=transport, clock=rt.clock)
        assert counts.delivered == 30 and transport.connections == 1
        # the server goes away and comes back on the same port: the next run reconnects
        smtp_server.restart()
        queue(rt, 2)
        assert deliver(engine=rt.engine, transport=transport, clock=rt.clock).delivered == 2
        assert transport.connections == 2
    finally:
        transport.close()
    assert len(set(smtp_server.message_ids())) == 32


def test_rate_limit_spaces_messages(rt, smtp_server, monkeypatch):
    monkeypatch.setitem(rt.settings.values, "mail.rate_per_minute", 600)
    queue(rt, 4)
    started = time.monotonic()
    assert run(rt, smtp_server.url).delivered == 4
    assert time.monotonic() - started >= 0.3


def test_maildir_transport_writes_messages_a_mail_reader_can_parse(rt, tmp_path):
    ids = queue(rt, 3)
    counts = run(rt, "maildir:./outbox")
    assert counts.delivered == 3
    box = mailbox.Maildir(tmp_path / "outbox", factory=None, create=False)
    got = {m["Message-ID"]: m for m in box}
    assert sorted(got) == sorted(ids)
    first = got[ids[0]]
    assert first["Return-Path"] == "<noreply@kantoor.example>"
    assert first["Delivered-To"] == "klant0@example.nl"
    assert first.is_multipart() and first["Subject"] == "Uw QuickScan 0"
    assert list((tmp_path / "outbox" / "tmp").iterdir()) == []


def test_claims_of_a_dead_worker_are_taken_over_after_the_lease(rt, smtp_server):
    ids = queue(rt, 3)
    grabbed = claim(rt.engine, worker_id="dead-worker", now=rt.clock.now(), limit=10,
                    lease=timedelta(minutes=5))
    assert len(grabbed) == 3
    assert run(rt, smtp_server.url).delivered == 0  # still leased
    rt.clock.advance(minutes=6)
    assert run(rt, smtp_server.url).delivered == 3
    assert sorted(smtp_server.message_ids()) == sorted(ids)


def test_two_concurrent_deliveries_send_each_message_exactly_once(rt, smtp_server):
    from quickcrm.store.db import make_engine

    ids = queue(rt, 400)
    results = []

    def worker() -> None:
        engine = make_engine(rt.settings.database_url)
        try:
            with make_transport(smtp_server.url) as transport:
                results.append(deliver(engine=engine, transport=transport, clock=rt.clock))
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.delivered for r in results) == 400
    received = smtp_server.message_ids()
    assert len(received) == 400 and sorted(received) == sorted(ids)
    with rt.session(read_only=True) as s:
        assert status_counts(s)["sent"] == 400


@pytest.mark.parametrize("url", ["ftp://x", "smtp://", "maildir:"])
def test_bad_transport_urls_are_one_line_errors(url):
    from quickcrm.errors import ConfigError

    with pytest.raises(ConfigError):
        make_transport(url)


def test_limit_and_stop_leave_the_rest_queued_unharmed(rt, smtp_server):
    queue(rt, 10)
    seen: list[int] = []
    assert run(rt, smtp_server.url, limit=3, progress=seen.append).delivered == 3
    assert seen == [1, 1, 1]
    stop = threading.Event()
    stop.set()
    counts = run(rt, smtp_server.url, stop=stop)
    assert counts.delivered == 0 and counts.queued == 7
    assert {r.status for r in rows(rt)} == {"sent", "queued"}
    assert run(rt, smtp_server.url).delivered == 7
    assert len(set(smtp_server.message_ids())) == 10
