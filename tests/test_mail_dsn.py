"""Issue 24 item 6: a bounce without our Message-ID marks every open invitation to that
address in the bounce's time window, not only the newest; ingesting the same mailbox
again reports 0 new bounces; a plain-text Exchange NDR is recognised. Messages really
sent to aiosmtpd first, bounces read from a Maildir."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from test_campaigns import RM1, add_clients, new_campaign, run_select
from test_mail_bounces import DSN_NO_CONTENT
from test_send import final_campaign, invitation_rows, runtime

from quickcrm.clock import FixedClock

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

EXCHANGE_NDR = """\
From: Microsoft Outlook <postmaster@example.nl>
To: noreply@quickcrm.example
Subject: Undeliverable: Herinnering: Personal QuickScan Bedrijfsopvolging
Date: {date}
Message-ID: <a1b2c3@DB8PR01MB1234.eurprd01.prod.exchangelabs.com>
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"

Delivery has failed to these recipients or groups:

{rcpt}
The email address you entered couldn't be found. Please check the recipient's email \
address and try to resend the message. If the problem continues, please contact your helpdesk.

Diagnostic information for administrators:

Generating server: DB8PR01MB1234.eurprd01.prod.exchangelabs.com

{rcpt}
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by \
SMTP address lookup'

Original message headers:

Received: from mail.kantoor.example (192.0.2.1) by DB8PR01MB1234.mail.protection.outlook.com
From: Rm Utrecht <rm.utrecht@kantoor.example>
To: <{rcpt}>
Subject: Herinnering: Personal QuickScan Bedrijfsopvolging
"""

OUT_OF_OFFICE = """\
From: klant000002@example.nl
To: noreply@quickcrm.example
Subject: Automatisch antwoord: Personal QuickScan Bedrijfsopvolging
Auto-Submitted: auto-replied
Date: {date}

Ik ben afwezig tot maandag.
"""


def two_campaigns(rt: Any, clock: FixedClock) -> None:
    """One address invited by campaign Voorjaar on Monday (client 000001) and by Najaar
    on Wednesday (client 000101, another company of the same owner), and 000002 by
    Voorjaar; 000102 by Najaar."""
    from quickcrm.campaigns.campaign import finalize_campaign
    from quickcrm.campaigns.sending import send

    final_campaign(rt, n=2)
    send(rt=rt, campaign="Voorjaar")
    clock.at = MONDAY_9 + timedelta(days=2)
    add_clients(rt, {"number": "000101", "rm": RM1, "email": "klant000001@example.nl"},
                {"number": "000102", "rm": RM1, "email": "klant000102@example.nl"})
    new_campaign(rt, "Najaar")
    run_select(rt, "Najaar")
    with rt.session() as s:
        finalize_campaign(session=s, actor=rt.actor, now=clock.now(), campaign="Najaar")
    send(rt=rt, campaign="Najaar")


def ingest_box(rt: Any, path: Any) -> dict[str, int]:
    from quickcrm.campaigns.bounces import ingest_bounces

    return ingest_bounces(rt=rt, source=path)


@pytest.fixture
def mail_rt(db_url, smtp_server):  # type: ignore[no-untyped-def]
    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url)
    yield rt, clock
    rt.close()


@pytest.mark.parametrize("bounce", ["dsn", "exchange"])
def test_a_bounce_by_address_marks_every_invitation_in_its_window(mail_rt, tmp_path, bounce):
    from quickcrm.campaigns.reminders import remind

    rt, clock = mail_rt
    two_campaigns(rt, clock)
    rows = invitation_rows(rt)
    assert len(rows) == 4 and all(r.delivered_at for r in rows)
    clock.at = MONDAY_9 + timedelta(days=2, hours=1)
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    rcpt = "klant000001@example.nl"
    box.add(DSN_NO_CONTENT.format(rcpt=rcpt) if bounce == "dsn"
            else EXCHANGE_NDR.format(rcpt=rcpt, date=format_datetime(clock.now())))
    box.add(OUT_OF_OFFICE.format(date=format_datetime(clock.now())))
    box.close()
    counts = ingest_box(rt, tmp_path / "bounces")
    assert counts["bounced"] == 1 and counts["ignored"] == 1
    by_campaign = {(r.campaign_id, r.relation_id): r for r in invitation_rows(rt)}
    bounced = sorted(k for k, r in by_campaign.items() if r.bounced_at is not None)
    assert len(bounced) == 2 and len({c for c, _ in bounced}) == 2  # both campaigns
    if bounce == "exchange":
        assert all("RecipientNotFound" in by_campaign[k].bounce_reason for k in bounced)
    # the older campaign's invitation gets no reminder any more
    clock.at = MONDAY_9 + timedelta(days=3, hours=1)
    assert remind(rt=rt).first_reminders == 1  # only klant000002 of Voorjaar
    # the same mailbox again: 0 new bounces
    again = ingest_box(rt, tmp_path / "bounces")
    assert again["bounced"] == 0 and again["known"] == 1


def test_a_bounce_by_address_leaves_mail_outside_its_window_and_finished_clients(
        mail_rt, tmp_path):
    from quickcrm.campaigns import invitation as inv

    rt, clock = mail_rt
    two_campaigns(rt, clock)
    newest = max(r.campaign_id for r in invitation_rows(rt))
    finished = next(r for r in invitation_rows(rt)
                    if r.campaign_id == newest and r.relation_id == max(
                        x.relation_id for x in invitation_rows(rt)))
    with rt.session() as s:  # 000102 answered Najaar
        inv.mark_finished(s, finished.id, clock.now())
        s.commit()
    clock.at = MONDAY_9 + timedelta(days=8, hours=1)  # Voorjaar's mail is 8 days old
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    for n, rcpt in enumerate(("klant000001@example.nl", "klant000002@example.nl",
                              "klant000102@example.nl")):
        box.add(DSN_NO_CONTENT.format(rcpt=rcpt).replace("<dsn-88@", f"<dsn-{n}@"))
    box.close()
    ingest_box(rt, tmp_path / "bounces")
    marked = [r for r in invitation_rows(rt) if r.bounced_at]
    assert [(r.campaign_id, r.id != finished.id) for r in marked] == [(newest, True)]
