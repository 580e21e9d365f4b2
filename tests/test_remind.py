"""`remind`: reminders after 3 and 7 local days, the notice after 10, Sundays skipped,
exactly once even when two runs overlap, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from test_send import final_campaign, invitation_rows, parsed, runtime

from quickcrm.clock import FixedClock

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam


def at(day: int, hour_utc: int = 9) -> datetime:
    return datetime(2026, 11, day, hour_utc, tzinfo=UTC) if day <= 30 else \
        datetime(2026, 12, day - 30, hour_utc, tzinfo=UTC)


@pytest.fixture
def sent(db_url, smtp_server):  # type: ignore[no-untyped-def]
    """A campaign of 3 clients sent on Monday 23 November 2026 at 09:00."""
    from quickcrm.campaigns.sending import send

    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url)
    final_campaign(rt)
    send(rt=rt, campaign="Voorjaar")
    smtp_server.messages.clear()
    yield rt, clock
    rt.close()


def remind_at(rt: Any, clock: FixedClock, when: datetime, **kw: Any) -> Any:
    from quickcrm.campaigns.reminders import remind

    clock.at = when
    return remind(rt=rt, **kw)


def subjects(sink: Any) -> list[str]:
    return sorted(str(m["Subject"]).strip() for m in parsed(sink))


def test_first_after_3_days_second_after_7_notice_after_10(sent, smtp_server):
    rt, clock = sent
    assert remind_at(rt, clock, at(25)).to_json() == {
        "first_reminders": 0, "second_reminders": 0, "no_response": 0, "opted_out": 0}
    assert remind_at(rt, clock, at(26)).first_reminders == 3
    assert all(s.startswith("Herinnering") for s in subjects(smtp_server))
    assert remind_at(rt, clock, at(26, 15)).first_reminders == 0  # once
    assert remind_at(rt, clock, at(30)).second_reminders == 3
    counts = remind_at(rt, clock, at(33))
    assert counts.no_response == 3 and counts.second_reminders == 0
    notices = [m for m in parsed(smtp_server) if str(m["Subject"]).strip().startswith("Geen reactie")]
    assert {m["To"].addresses[0].addr_spec for m in notices} == {
        "rm.utrecht@kantoor.example", "rm.zwolle@kantoor.example"}
    rows = invitation_rows(rt)
    assert all(r.first_reminder_at and r.second_reminder_at and r.no_response_at for r in rows)
    assert not any(r.first_reminder_skipped for r in rows)


def test_each_reminder_is_an_event_for_the_clients_rm_with_its_message(sent, smtp_server):
    from test_events import events_of
    from test_send import mail_facts

    from quickcrm import events
    from quickcrm.mail.outbox import find_messages

    rt, clock = sent
    remind_at(rt, clock, at(26))
    remind_at(rt, clock, at(30))
    facts = mail_facts(rt)
    received = smtp_server.message_ids()
    for kind, mail_kind in ((events.REMINDER1_SENT, "reminder1"),
                            (events.REMINDER2_SENT, "reminder2")):
        with rt.session(read_only=True) as s:
            mids = {m.ref: m.message_id for m in find_messages(s, kind=mail_kind)}
        recorded = events_of(rt, kind)
        assert len(recorded) == 3
        for event in recorded:
            invitation_id = event["details"]["invitation_id"]
            invitation = facts["invitations"][invitation_id]
            assert (event["relation_id"], event["person_id"]) == (
                invitation["relation_id"], invitation["person_id"])
            assert facts["emails"][event["user_id"]] == invitation["rm"]
            assert event["details"] == {
                "campaign_id": facts["campaign_id"], "invitation_id": invitation_id,
                "message_id": mids[f"invitation:{invitation_id}"], "actor_id": rt.actor.id}
            assert event["details"]["message_id"] in received


def test_no_reminders_for_finished_not_interested_bounced_or_closed(sent, smtp_server):
    from quickcrm.campaigns import invitation as inv
    from quickcrm.campaigns.campaign import close_campaign

    rt, clock = sent
    ids = [r.id for r in invitation_rows(rt)]
    with rt.session() as s:
        inv.mark_finished(s, ids[0], rt.clock.now())
        inv.mark_not_interested(s, ids[1], rt.clock.now())
        inv.mark_bounced(s, ids[2], rt.clock.now(), "550 unknown")
        s.commit()
    assert remind_at(rt, clock, at(33)).to_json() == {
        "first_reminders": 0, "second_reminders": 0, "no_response": 0, "opted_out": 0}
    with rt.session() as s:
        inv_table = inv.Invitation.__table__
        s.execute(inv_table.update().values(finished_at=None, not_interested_at=None,
                                            bounced_at=None))
        close_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar")
    assert remind_at(rt, clock, at(33)).to_json()["first_reminders"] == 0
    # nothing to clients or RMs; the coordinator hears of the bounce (the digest)
    assert [str(m["Subject"]) for m in parsed(smtp_server)] == [
        "Bounces in de collectieve actie Voorjaar: 1"]


def test_after_downtime_only_the_second_reminder_goes_out(sent, smtp_server):
    rt, clock = sent
    counts = remind_at(rt, clock, at(31))
    assert counts.first_reminders == 0 and counts.second_reminders == 3
    assert counts.skipped_first == 3
    assert all(s.startswith("Laatste herinnering") for s in subjects(smtp_server))
    assert all(r.first_reminder_skipped for r in invitation_rows(rt))


def test_a_reminder_due_on_sunday_goes_out_on_monday(db_url, smtp_server):
    from quickcrm.campaigns.sending import send

    clock = FixedClock(datetime(2026, 11, 26, 9, tzinfo=UTC))  # Thursday
    rt = runtime(db_url, clock, smtp_server.url)
    final_campaign(rt)
    send(rt=rt, campaign="Voorjaar")
    assert remind_at(rt, clock, at(29)).first_reminders == 0  # Sunday
    assert remind_at(rt, clock, at(30)).first_reminders == 3  # Monday
    rt.close()


def test_two_overlapping_runs_send_each_reminder_once(sent, smtp_server):
    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.reminders import remind

    rt, _ = sent
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        other = bootstrap(database_url=rt.settings.database_url, clock=FixedClock(at(26)),
                          env={"QUICKCRM_SMTP_URL": smtp_server.url})
        try:
            results.append(remind(rt=other))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            other.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.first_reminders for r in results) == 3
    rt.deliver()  # anything a slow server deferred under load goes out now, once
    assert len(smtp_server.messages) == 3
    assert len(set(smtp_server.message_ids())) == 3


def test_cli_remind_dry_run_json(cli, sqlite_url, smtp_server):
    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.sending import send

    rt = bootstrap(database_url=sqlite_url, clock=FixedClock(MONDAY_9),
                   env={"QUICKCRM_SMTP_URL": smtp_server.url})
    final_campaign(rt)
    send(rt=rt, campaign="Voorjaar")
    rt.close()
    env = {"QUICKCRM_SMTP_URL": smtp_server.url}
    result = cli("remind", "--now", "2026-11-26T10:00", "--dry-run", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"first_reminders": 3, "second_reminders": 0,
                                         "no_response": 0, "opted_out": 0}
    result = cli("remind", "--now", "2026-11-26T10:00", "--json", env=env)
    assert json.loads(result.stdout)["first_reminders"] == 3
