"""Bounce messages as MTAs really write them, read from a Maildir and an mbox."""

from __future__ import annotations

import mailbox

from sqlalchemy import select

from quickcrm.mail import hooks
from quickcrm.mail.bounces import ingest, parse_bounce
from quickcrm.mail.delivery import deliver
from quickcrm.mail.models import OutboxMessage
from quickcrm.mail.outbox import Draft, queue_many
from quickcrm.mail.transports import make_transport

POSTFIX_DSN = """\
Return-Path: <>
Received: by mx.kantoor.example (Postfix) id 4Xb2; Mon, 23 Nov 2026 10:02:11 +0100 (CET)
Date: Mon, 23 Nov 2026 10:02:11 +0100 (CET)
From: MAILER-DAEMON@mx.kantoor.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: noreply@kantoor.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4Xb2.1700730131/mx.kantoor.example"
Message-Id: <20261123090211.4Xb2@mx.kantoor.example>

This is a MIME-encapsulated message.

--4Xb2.1700730131/mx.kantoor.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.kantoor.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<{rcpt}>: host mx.example.nl[192.0.2.10] said: 550 5.1.1
    <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox
    table (in reply to RCPT TO command)

--4Xb2.1700730131/mx.kantoor.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.kantoor.example
X-Postfix-Queue-ID: 4Xb2
X-Postfix-Sender: rfc822; noreply@kantoor.example
Arrival-Date: Mon, 23 Nov 2026 10:02:10 +0100 (CET)

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.nl
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User
    unknown in virtual mailbox table

--4Xb2.1700730131/mx.kantoor.example
Content-Description: Undelivered Message
Content-Type: message/rfc822

Return-Path: <noreply@kantoor.example>
From: Jan de Vries <jan@kantoor.example>
Sender: QuickCRM <noreply@kantoor.example>
To: <{rcpt}>
Subject: Uw QuickScan
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Beste klant,

--4Xb2.1700730131/mx.kantoor.example--
"""

RFC3464_HEADERS_ONLY = """\
From: Mail Delivery Subsystem <mailer-daemon@relay.example.com>
To: noreply@kantoor.example
Subject: Delivery Status Notification (Failure)
Date: Mon, 23 Nov 2026 10:05:00 +0000
Message-ID: <dsn-77@relay.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="XYZ"

--XYZ
Content-Type: text/plain; charset=utf-8

Delivery to the following recipient failed permanently: {rcpt}

--XYZ
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.com

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.2.1
Diagnostic-Code: smtp; 550 5.2.1 The email account that you tried to reach is disabled.

--XYZ
Content-Type: text/rfc822-headers

From: Jan de Vries <jan@kantoor.example>
To: {rcpt}
Subject: Uw QuickScan
Message-ID: {mid}

--XYZ--
"""

EXIM = """\
Return-path: <>
From: Mail Delivery System <Mailer-Daemon@mail.example.org>
To: noreply@kantoor.example
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1qXyZ-0003Ab-Cd@mail.example.org>
X-Failed-Recipients: {rcpt}
Auto-Submitted: auto-replied
Date: Mon, 23 Nov 2026 10:07:00 +0000

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {rcpt}
    host mx.example.org [198.51.100.7]
    SMTP error from remote mail server after RCPT TO:<{rcpt}>:
    550 5.1.1 No such user here

------ This is a copy of the message, including all the headers. ------

Return-path: <noreply@kantoor.example>
From: Jan de Vries <jan@kantoor.example>
To: {rcpt}
Subject: Uw QuickScan
Message-ID: {mid}

Beste klant,
"""

DELAYED = """\
From: MAILER-DAEMON@mx.kantoor.example (Mail Delivery System)
To: noreply@kantoor.example
Subject: Delayed Mail (still being retried)
Message-Id: <delay-1@mx.kantoor.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.kantoor.example.
Your message could not be delivered for 4.0 hours. It will be retried until it is 5.0 days old.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.kantoor.example

Final-Recipient: rfc822; {rcpt}
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.nl[192.0.2.10]:25: Connection timed out
Will-Retry-Until: Sat, 28 Nov 2026 09:02:10 +0100 (CET)

--B
Content-Type: text/rfc822-headers

Message-ID: {mid}

--B--
"""

REPLY = """\
From: Klant 0 <klant0@example.nl>
To: Jan de Vries <jan@kantoor.example>
Subject: Re: Uw QuickScan
In-Reply-To: {mid}
References: {mid}
Message-ID: <reply-1@example.nl>
Date: Mon, 23 Nov 2026 11:00:00 +0100

Dank u, ik vul hem morgen in.

Met vriendelijke groet,
Klant 0
"""

DSN_NO_CONTENT = """\
From: MAILER-DAEMON@relay.example.com
To: noreply@kantoor.example
Subject: Undeliverable
Message-ID: <dsn-88@relay.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="C"

--C
Content-Type: text/plain

Your message could not be delivered.

--C
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.com

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.1.1

--C--
"""


def sent_messages(rt, n: int, kind: str) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    drafts = [Draft(kind=kind, ref=f"{kind}:{i}", to=f"klant{i}@example.nl",
                    from_="Jan de Vries <jan@kantoor.example>", sender="noreply@kantoor.example",
                    subject="Uw QuickScan", text="Beste klant") for i in range(n)]
    with rt.session() as s:
        queue_many(s, drafts, now=rt.clock.now())
        s.commit()
    with make_transport("maildir:./sent") as transport:
        assert deliver(engine=rt.engine, transport=transport, clock=rt.clock).delivered == n
    with rt.session(read_only=True) as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                              .order_by(OutboxMessage.id)))


def test_parse_recognises_dsn_exim_delay_and_reply():
    mid = "<abc123@kantoor.example>"
    rcpt = "piet@example.nl"
    postfix = parse_bounce(POSTFIX_DSN.format(rcpt=rcpt, mid=mid))
    assert (postfix.kind, postfix.addresses, postfix.original_message_id) == (
        "permanent", (rcpt,), mid)
    assert postfix.reason.startswith("smtp; 550 5.1.1")
    headers_only = parse_bounce(RFC3464_HEADERS_ONLY.format(rcpt=rcpt, mid=mid))
    assert (headers_only.kind, headers_only.original_message_id) == ("permanent", mid)
    exim = parse_bounce(EXIM.format(rcpt=rcpt, mid=mid))
    assert (exim.kind, exim.addresses, exim.original_message_id) == ("permanent", (rcpt,), mid)
    delayed = parse_bounce(DELAYED.format(rcpt=rcpt, mid=mid))
    assert delayed.kind == "temporary" and delayed.addresses == (rcpt,)
    reply = parse_bounce(REPLY.format(mid=mid).encode())
    assert reply.kind == "none" and reply.original_message_id == mid


def test_ingest_maildir_marks_bounces_once_and_leaves_the_rest(rt, tmp_path):
    seen: list[tuple[str, str]] = []
    hooks.register("bounced", "bounce-test", lambda s, e: seen.append((e.ref, e.reason)))
    m = sent_messages(rt, 5, "bounce-test")
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    box.add(POSTFIX_DSN.format(rcpt=m[0].recipient, mid=m[0].message_id))
    box.add(RFC3464_HEADERS_ONLY.format(rcpt=m[1].recipient, mid=m[1].message_id))
    # Exim quoting our Message-ID while naming a rewritten address: the Message-ID wins
    box.add(EXIM.format(rcpt="forwarded@elders.example", mid=m[2].message_id))
    box.add(DSN_NO_CONTENT.format(rcpt=m[3].recipient))  # no original: matched by address
    box.add(DELAYED.format(rcpt=m[4].recipient, mid=m[4].message_id))
    box.add(REPLY.format(mid=m[4].message_id))
    box.add(DSN_NO_CONTENT.format(rcpt="onbekend@elders.example"))
    box.close()
    with rt.session() as s:
        counts = ingest(session=s, path_or_messages=tmp_path / "bounces", now=rt.clock.now())
        s.commit()
    assert counts == {"messages": 7, "bounced": 4, "known": 0, "temporary": 1,
                      "unmatched": 1, "ignored": 1}
    assert sorted(ref for ref, _ in seen) == [f"bounce-test:{i}" for i in range(4)]
    with rt.session(read_only=True) as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "bounce-test")
                              .order_by(OutboxMessage.id)))
    assert [r.bounced_at is not None for r in rows] == [True, True, True, True, False]
    assert all(r.status == "sent" for r in rows)
    assert "User unknown" in rows[0].bounce_reason
    # the same mailbox again: nothing is marked (or reported) twice, 0 new (issue 24 item 6)
    with rt.session() as s:
        again = ingest(session=s, path_or_messages=str(tmp_path / "bounces"), now=rt.clock.now())
        s.commit()
    assert again["bounced"] == 0 and again["known"] == 4 and len(seen) == 4


def test_ingest_reads_an_mbox(rt, tmp_path):
    m = sent_messages(rt, 1, "mbox-test")
    box = mailbox.mbox(tmp_path / "bounces.mbox", create=True)
    box.add(EXIM.format(rcpt=m[0].recipient, mid=m[0].message_id))
    box.add(REPLY.format(mid=m[0].message_id))
    box.close()
    with rt.session() as s:
        counts = ingest(session=s, path_or_messages=tmp_path / "bounces.mbox", now=rt.clock.now())
        s.commit()
    assert counts == {"messages": 2, "bounced": 1, "known": 0, "temporary": 0,
                      "unmatched": 0, "ignored": 1}


def test_ingest_rejects_a_path_that_is_no_mailbox(rt, tmp_path):
    import pytest

    from quickcrm.errors import InvalidInput

    with rt.session() as s, pytest.raises(InvalidInput, match="not a Maildir"):
        ingest(session=s, path_or_messages=tmp_path / "missing", now=rt.clock.now())
