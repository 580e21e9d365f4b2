"""Bounces that come back after delivery: the invitation is marked bounced, the
coordinator gets one digest, and a bounced client counts as not having received the
QuickScan in a later selection."""

from __future__ import annotations

import json
import mailbox

from test_campaigns import new_campaign, run_select
from test_mail_bounces import POSTFIX_DSN
from test_send import final_campaign, invitation_rows, parsed, runtime


def test_ingested_bounce_marks_the_invitation_and_reports_once(db_url, clock, smtp_server, tmp_path):
    from quickcrm.campaigns.bounces import ingest_bounces
    from quickcrm.campaigns.sending import send
    from quickcrm.mail.outbox import find_messages

    rt = runtime(db_url, clock, smtp_server.url)
    final_campaign(rt)
    send(rt=rt, campaign="Voorjaar")
    with rt.session(read_only=True) as s:
        target = find_messages(s, kind="invitation")[1]
    box = mailbox.Maildir(str(tmp_path / "bounces"))
    box.add(POSTFIX_DSN.format(rcpt=target.recipient, mid=target.message_id))
    box.add("From: klant@example.nl\nSubject: Re: uitnodiging\n\nDank, ik kijk ernaar.\n")
    smtp_server.messages.clear()
    counts = ingest_bounces(rt=rt, source=tmp_path / "bounces")
    assert counts == {"messages": 2, "bounced": 1, "known": 0, "temporary": 0,
                      "unmatched": 0, "ignored": 1}
    bounced = [r for r in invitation_rows(rt) if r.bounced_at is not None]
    assert [f"invitation:{r.id}" for r in bounced] == [target.ref]
    digests = parsed(smtp_server)
    assert len(digests) == 1 and str(digests[0]["Subject"]).strip().startswith("Bounces")
    again = ingest_bounces(rt=rt, source=tmp_path / "bounces")
    assert again["bounced"] == 0 and again["known"] == 1  # 0 new (issue 24 item 6)
    assert len(smtp_server.messages) == 1  # reported once

    # A later campaign of the same QuickScan selects the bounced client again.
    new_campaign(rt, "Najaar")
    summary = run_select(rt, "Najaar")
    assert summary.step1 == 1
    rt.close()


def test_an_ingested_bounce_records_the_invitation_bounced_once(db_url, clock, smtp_server,
                                                               tmp_path):
    from test_events import events_of
    from test_send import check_mail_event, mail_facts

    from quickcrm import events
    from quickcrm.campaigns.bounces import ingest_bounces
    from quickcrm.campaigns.sending import send
    from quickcrm.mail.outbox import find_messages

    rt = runtime(db_url, clock, smtp_server.url)
    final_campaign(rt)
    send(rt=rt, campaign="Voorjaar")
    with rt.session(read_only=True) as s:
        target = find_messages(s, kind="invitation")[2]
    box = mailbox.Maildir(str(tmp_path / "bounces"))
    box.add(POSTFIX_DSN.format(rcpt=target.recipient, mid=target.message_id))
    assert events_of(rt, events.INVITATION_BOUNCED) == []
    ingest_bounces(rt=rt, source=tmp_path / "bounces")
    ingest_bounces(rt=rt, source=tmp_path / "bounces")  # the same bounce again: no new event
    (bounced,) = events_of(rt, events.INVITATION_BOUNCED)
    reason = bounced["details"].get("reason", "")
    assert reason
    invitation = check_mail_event(bounced, mail_facts(rt), mail_kind="invitation", reason=reason)
    assert invitation["message_id"] == target.message_id
    assert f"invitation:{bounced['details']['invitation_id']}" == target.ref
    assert len(events_of(rt, events.INVITATION_DELIVERED)) == 3  # it was delivered first
    assert events_of(rt, events.INVITATION_REJECTED) == []
    rt.close()


def test_cli_bounces_ingest_json(cli, sqlite_url, clock, smtp_server, tmp_path):
    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.sending import send

    rt = bootstrap(database_url=sqlite_url, clock=clock, env={"QUICKCRM_SMTP_URL": smtp_server.url})
    final_campaign(rt)
    send(rt=rt, campaign="Voorjaar")
    rt.close()
    mbox = mailbox.mbox(str(tmp_path / "bounces.mbox"))
    mbox.add("From: a@b.example\nSubject: hallo\n\nGeen bounce.\n")
    mbox.flush()
    result = cli("bounces", "ingest", str(tmp_path / "bounces.mbox"), "--json",
                 env={"QUICKCRM_SMTP_URL": smtp_server.url})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"messages": 1, "bounced": 0, "known": 0,
                                         "temporary": 0, "unmatched": 0, "ignored": 1}
    result = cli("bounces", "ingest", str(tmp_path / "bounces.mbox"), "--as", "rm.utrecht@kantoor.example")
    assert result.exit_code == 1
    assert result.stderr.strip() == "not permitted: process bounces needs admin or coordinator"
