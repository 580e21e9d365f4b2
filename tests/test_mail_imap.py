"""Issue 24 item 5: bounce polling over IMAP against a real server the suite starts
itself (a private Dovecot, ``tests/imap_support.py``), over imaps://, imap:// with
STARTTLS and plain imap://. What was read is tracked by UIDVALIDITY/UID in the database;
flags are set only after the commit; a bounce a person already opened is read; replies
and out-of-office mail are left exactly as they were."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from imap_support import Dovecot, dovecot_fixture  # noqa: F401
from test_mail_bounces import POSTFIX_DSN
from test_send import final_campaign, invitation_rows, runtime

from quickcrm.clock import FixedClock

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
REPLY = ("From: Klant Twee <klant000002@example.nl>\nTo: noreply@quickcrm.example\n"
         "Subject: Re: uw QuickScan\nMessage-ID: <reply-1@example.nl>\n\nIk bel u morgen.\n")
AWAY = ("From: klant000003@example.nl\nTo: noreply@quickcrm.example\nAuto-Submitted: "
        "auto-replied\nSubject: Afwezig\nMessage-ID: <away-1@example.nl>\n\nTot maandag.\n")


def sent_campaign(db_url: str, smtp_url: str, imap_url: str, **env: str) -> Any:
    from quickcrm.campaigns.sending import send

    rt = runtime(db_url, FixedClock(MONDAY_9), smtp_url, QUICKCRM_IMAP_URL=imap_url, **env)
    final_campaign(rt, n=3)
    send(rt=rt, campaign="Voorjaar")
    return rt


def invitations(rt: Any) -> list[Any]:
    from quickcrm.mail.outbox import find_messages

    with rt.session(read_only=True) as s:
        return find_messages(s, kind="invitation")


def bounce_of(message: Any, mid: str = "") -> str:
    return POSTFIX_DSN.format(rcpt=message.recipient, mid=mid or message.message_id)


def poll_job(rt: Any) -> dict[str, Any]:
    from quickcrm.daemon import load_jobs, run_once

    (job,) = [j for j in load_jobs() if j.name == "bounces"]
    return run_once(rt, jobs=[job])["bounces"]


@pytest.mark.parametrize("scheme", ["imaps", "starttls", "imap"])
def test_the_daemon_reads_new_bounces_and_leaves_other_mail_alone(
        scheme, sqlite_url, smtp_server, dovecot: Dovecot):
    url = (dovecot.url("imap", starttls=True) if scheme == "starttls"
           else dovecot.url(scheme))
    rt = sent_campaign(sqlite_url, smtp_server.url, url)
    first, second, _third = invitations(rt)
    dovecot.append(bounce_of(first))
    dovecot.append(REPLY)
    dovecot.append(bounce_of(second), flags="(\\Seen)")  # a person opened this bounce
    dovecot.append(AWAY, flags="(\\Flagged)")
    result = poll_job(rt)
    assert "error" not in result, result
    assert result["messages"] == 4 and result["bounced"] == 2 and result["ignored"] == 2
    bounced = sorted(r.id for r in invitation_rows(rt) if r.bounced_at is not None)
    assert [f"invitation:{i}" for i in bounced] == sorted([first.ref, second.ref])
    assert dovecot.messages() == [(1, "\\Seen"), (2, ""), (3, "\\Seen"), (4, "\\Flagged")]
    # the next poll reads nothing again; a person marking the reply read changes nothing
    again = poll_job(rt)
    assert again["messages"] == 0
    dovecot.append(bounce_of(_third))
    assert poll_job(rt)["bounced"] == 1
    rt.close()


def test_bounces_are_moved_to_the_configured_folder(sqlite_url, smtp_server, dovecot):
    rt = sent_campaign(sqlite_url, smtp_server.url, dovecot.url("imaps"),
                       QUICKCRM_IMAP_BOUNCE_FOLDER="Bounces/QuickCRM")
    first, *_ = invitations(rt)
    dovecot.append(REPLY)
    dovecot.append(bounce_of(first))
    result = poll_job(rt)
    assert result["bounced"] == 1 and result["touched"] == 1
    assert dovecot.messages() == [(1, "")]  # the reply stays, unread
    assert [flags for _uid, flags in dovecot.messages("Bounces/QuickCRM")] == [""]
    assert poll_job(rt)["messages"] == 0
    rt.close()


def test_nothing_is_flagged_when_the_transaction_fails_and_the_next_poll_reads_it(
        db_url, smtp_server, dovecot):
    from quickcrm.mail.bounces import ingest_one
    from quickcrm.mail.imap import poll

    rt = sent_campaign(db_url, smtp_server.url, dovecot.url("imaps"))
    first, *_ = invitations(rt)
    dovecot.append(bounce_of(first))

    def broken(_session: Any) -> None:
        raise RuntimeError("disk full")

    def one(s: Any, raw: bytes) -> str:
        return ingest_one(s, raw, now=rt.clock.now())

    with pytest.raises(RuntimeError):
        poll(session_factory=rt.session, url=dovecot.url("imaps"), now=rt.clock.now(),
             ingest_one=one, after_batch=broken)
    assert dovecot.messages() == [(1, "")]  # not flagged: it was not committed
    assert all(r.bounced_at is None for r in invitation_rows(rt))
    assert poll_job(rt)["bounced"] == 1
    assert dovecot.messages() == [(1, "\\Seen")]
    rt.close()


def test_a_new_uidvalidity_reads_the_folder_again_without_marking_twice(
        sqlite_url, smtp_server, dovecot):
    rt = sent_campaign(sqlite_url, smtp_server.url, dovecot.url("imaps", folder="Retour"))
    first, *_ = invitations(rt)
    with dovecot.client() as conn:
        conn.create("Retour")
    dovecot.append(bounce_of(first), folder="Retour")
    assert poll_job(rt)["bounced"] == 1
    with dovecot.client() as conn:  # the folder is recreated: UIDs start again
        conn.delete("Retour")
        conn.create("Retour")
    dovecot.append(bounce_of(first), folder="Retour")
    result = poll_job(rt)
    assert result["messages"] == 1 and result["known"] == 1 and result.get("bounced", 0) == 0
    rt.close()


def test_a_wrong_password_is_one_clear_line(sqlite_url, smtp_server, dovecot):
    from quickcrm.campaigns.bounces import ingest_mailbox
    from quickcrm.errors import ConfigError

    rt = runtime(sqlite_url, FixedClock(MONDAY_9), smtp_server.url)
    bad = dovecot.url("imaps").replace("geheim%20wachtwoord", "fout")
    with pytest.raises(ConfigError, match="mail.imap_url: localhost: .*AUTHENTICATIONFAILED"):
        ingest_mailbox(rt=rt, url=bad)
    rt.close()
