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
