"""Issue 24 items 3, 4, 7 and 9, against a real SMTP server (aiosmtpd): cron's `remind`
alone retries deferred mail; reminders keep office hours by default; the coordinator
hears of refused RM copies and of invitations that failed after 72 h; the send warning
names the right day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_send import final_campaign, invitation_rows, parsed, runtime

from quickcrm.clock import FixedClock

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam


@pytest.fixture
def mail_rt(db_url, smtp_server):  # type: ignore[no-untyped-def]
    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url)
    yield rt, clock
    rt.close()


def statuses(rt: Any) -> dict[str, int]:
    from quickcrm.mail.outbox import status_counts

    with rt.session(read_only=True) as s:
        return {k: v for k, v in status_counts(s).items() if v}


def test_remind_alone_delivers_mail_deferred_by_a_451(mail_rt, smtp_server):
    """Item 3: `0 * * * * quickcrm remind` is enough without the daemon."""
    from quickcrm.campaigns.reminders import remind
    from quickcrm.campaigns.sending import send

    rt, clock = mail_rt
    final_campaign(rt, n=1)
    smtp_server.tempfail = 1
    counts = send(rt=rt, campaign="Voorjaar")
    assert counts.deferred == 1 and statuses(rt)["deferred"] == 1
    clock.at = MONDAY_9 + timedelta(minutes=5)  # past the first backoff (1 minute)
    again = remind(rt=rt)
    assert again.queued == 0 and again.delivered == 1
    assert statuses(rt) == {"sent": 2}
    assert all(r.delivered_at is not None for r in invitation_rows(rt))


def test_reminders_keep_office_hours_by_default(mail_rt, smtp_server):
    """Item 4: with no setting, nothing goes out just after midnight."""
    from quickcrm.campaigns.reminders import remind
    from quickcrm.campaigns.sending import send

    rt, clock = mail_rt
    final_campaign(rt, n=2)
    send(rt=rt, campaign="Voorjaar")
    smtp_server.messages.clear()
    clock.at = datetime(2026, 11, 25, 23, 20, tzinfo=UTC)  # Thursday 00:20 in Amsterdam
    assert remind(rt=rt).first_reminders == 0
    clock.at = datetime(2026, 11, 26, 7, 50, tzinfo=UTC)  # 08:50
    assert remind(rt=rt).first_reminders == 0
    clock.at = datetime(2026, 11, 26, 8, 5, tzinfo=UTC)  # 09:05
    assert remind(rt=rt).first_reminders == 2
    assert len(smtp_server.messages) == 2
    clock.at = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)  # day 10, 17:30: the notice waits
    assert remind(rt=rt).no_response == 0
    clock.at = datetime(2026, 12, 4, 8, 30, tzinfo=UTC)
    assert remind(rt=rt).no_response == 2


def test_an_overnight_window_sends_at_night(db_url, smtp_server):
    from quickcrm.campaigns.reminders import remind
    from quickcrm.campaigns.sending import send

    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url, QUICKCRM_SEND_WINDOW="22:00-06:00")
    final_campaign(rt, n=1)
    send(rt=rt, campaign="Voorjaar")
    clock.at = datetime(2026, 11, 26, 12, tzinfo=UTC)  # 13:00: outside
    assert remind(rt=rt).first_reminders == 0
    clock.at = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 00:30 Friday: inside
    assert remind(rt=rt).first_reminders == 1
    rt.close()


def test_a_sunday_send_warns_about_sunday_not_thursday(db_url, smtp_server):
    """Item 9: the warning names the day the invitations go out."""
    from quickcrm.campaigns.sending import send

    sunday = datetime(2026, 11, 29, 10, tzinfo=UTC)
    rt = runtime(db_url, FixedClock(sunday), smtp_server.url, QUICKCRM_SKIP_WEEKDAYS="")
    final_campaign(rt, n=1)
    counts = send(rt=rt, campaign="Voorjaar")
    assert counts.warning and "niet op zondag" in counts.warning
    assert "donderdag" not in counts.warning
    rt.close()


def test_send_shows_queued_of_total_and_delivered_of_total(mail_rt, smtp_server):
    """Item 9: the progress display gets a total for both stages and moves during
    delivery, message by message."""
    from quickcrm.campaigns.sending import send

    rt, _clock = mail_rt
    final_campaign(rt, n=3)
    seen: dict[str, list[int]] = {}

    def stage(what: str, total: int) -> Any:
        seen[what] = [total, 0]

        def advance(n: int) -> None:
            seen[what][1] += n
            if what == "delivered":  # the server has it when the bar moves
                assert len(smtp_server.messages) >= seen[what][1] - 1

        return advance

    counts = send(rt=rt, campaign="Voorjaar", stages=stage)
    assert counts.delivered == 6
    assert seen == {"queued": [3, 3], "delivered": [6, 6]}


def digest(sink: Any) -> Any:
    found = [m for m in parsed(sink) if str(m["To"]).endswith("admin@quickcrm.example>")]
    assert len(found) == 1, [str(m["Subject"]) for m in parsed(sink)]
    return found[0]


def test_a_refused_rm_copy_goes_into_the_coordinators_digest(mail_rt, smtp_server):
    """Item 7: the client got the invitation, the RM's address refuses (5xx)."""
    from test_campaigns import RM1

    from quickcrm.campaigns.sending import send

    rt, _clock = mail_rt
    final_campaign(rt, n=2)
    smtp_server.reject = {RM1}
    counts = send(rt=rt, campaign="Voorjaar")
    assert counts.rejected == 1
    assert all(r.delivered_at is not None and r.bounced_at is None
               for r in invitation_rows(rt))
    text = digest(smtp_server).get_body(("plain",)).get_content()
    assert "Kopie voor de relatiemanager geweigerd" in text and RM1 in text
    assert "Wat te doen" in text and "000001" in text and "000002" not in text
    smtp_server.messages.clear()
    send(rt=rt, campaign="Voorjaar")  # reported once
    assert smtp_server.messages == []


def test_an_invitation_that_failed_after_72_hours_goes_into_the_digest(mail_rt, smtp_server):
    """Item 7: 4xx for the whole retry lifetime; the daemon's remind job (or `remind`)
    reports it, with the outbox number to retry."""
    from quickcrm.campaigns.reminders import remind
    from quickcrm.campaigns.sending import send
    from quickcrm.mail.outbox import list_messages

    rt, clock = mail_rt
    final_campaign(rt, n=1)
    smtp_server.tempfail = 10_000
    send(rt=rt, campaign="Voorjaar")
    clock.at = MONDAY_9 + timedelta(hours=73)
    delivered = rt.deliver()
    assert delivered.failed == 2  # the invitation and the RM's copy
    smtp_server.tempfail = 0
    remind(rt=rt)
    mail = digest(smtp_server)
    text = mail.get_body(("plain",)).get_content()
    with rt.session(read_only=True) as s:
        (failed,) = [m for m in list_messages(s, status="failed") if m.kind == "invitation"]
    assert "Niet afgeleverd na 72 uur" in text and f"outbox retry {failed.id}" in text
    assert str(mail["Subject"]).startswith("Niet afgeleverd in de collectieve actie Voorjaar")
    assert mail["Auto-Submitted"] == "auto-generated"
