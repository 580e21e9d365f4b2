"""The management report: the seed's key figures and beside them bounced, logged in,
not interested and the response rate, overall, per team and per relationship manager,
as they stood at --now; on SQLite and PostgreSQL, through the service and the CLI.

Also home of ``story``: a campaign of six clients in two teams sent on a Monday, where
clients answer through the web app's use cases, one bounces and reminders run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_campaigns import RM1, RM2, add_clients, new_campaign, run_select
from test_send import invitation_rows, runtime

from quickcrm.clock import FixedClock

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam


def day(n: int, hour_utc: int = 9) -> datetime:
    return MONDAY_9.replace(hour=hour_utc) + timedelta(days=n)


def story(rt: Any, clock: FixedClock) -> list[Any]:
    """Clients 000001..000006 (odd: Utrecht/RM1, even: Zwolle/RM2), sent Monday.
    1 finishes on day 1, 2 says Nee, 3 starts and stops, 4 bounces, 5 and 6 stay silent;
    remind runs on days 3, 7 and 10. Returns the invitation rows."""
    import random

    from quickcrm.campaigns import invitation as inv
    from quickcrm.campaigns.campaign import finalize_campaign
    from quickcrm.campaigns.reminders import remind
    from quickcrm.campaigns.sending import send
    from quickcrm.demo_clients import Plan, act

    clock.at = MONDAY_9
    add_clients(rt, *({"number": f"{i:06d}", "rm": RM1 if i % 2 else RM2,
                       "team": "Utrecht" if i % 2 else "Zwolle"} for i in range(1, 7)))
    new_campaign(rt, "Voorjaar")
    run_select(rt, "Voorjaar")
    with rt.session() as s:
        finalize_campaign(session=s, actor=rt.actor, now=clock.now(), campaign="Voorjaar")
    send(rt=rt, campaign="Voorjaar")
    rows = invitation_rows(rt)
    rng = random.Random(1)
    clock.at = day(1)
    assert act(rt, Plan(rows[0].token, "finish", 1), rng)
    act(rt, Plan(rows[1].token, "decline", 1), rng)
    act(rt, Plan(rows[2].token, "stop", 1), rng)
    with rt.session() as s:
        inv.mark_bounced(s, rows[3].id, clock.now(), "550 5.1.1 user unknown")
        s.commit()
    rt.deliver()
    for n in (3, 7, 10):
        clock.at = day(n)
        remind(rt=rt)
    return invitation_rows(rt)


@pytest.fixture
def told(db_url, smtp_server):  # type: ignore[no-untyped-def]
    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url)
    story(rt, clock)
    yield rt, clock
    rt.close()


def report_at(rt: Any, when: datetime) -> dict[str, Any]:
    from quickcrm.campaigns.management import management_report

    with rt.session(read_only=True) as s:
        return management_report(session=s, actor=rt.actor, campaign="Voorjaar",
                                 now=when).to_json()


FIGURES = ("sent", "completed", "first_reminders", "second_reminders", "no_response",
           "bounced", "logged_in", "not_interested", "response_rate")


def test_key_figures_overall_per_team_and_per_rm(told):
    rt, _clock = told
    report = report_at(rt, day(11))
    assert {k: report[k] for k in FIGURES} == {
        "sent": 6, "completed": 1, "first_reminders": 3, "second_reminders": 3,
        "no_response": 3, "bounced": 1, "logged_in": 3, "not_interested": 1,
        "response_rate": 0.2}  # 1 completed of 6 sent - 1 bounced
    teams = {t["team"]: t for t in report["by_team"]}
    assert set(teams) == {"Utrecht", "Zwolle"}
    # Utrecht: 1 (finished), 3 (stopped), 5 (silent); Zwolle: 2 (Nee), 4 (bounced), 6
    assert {k: teams["Utrecht"][k] for k in ("sent", "completed", "logged_in", "no_response",
                                             "bounced", "response_rate")} == {
        "sent": 3, "completed": 1, "logged_in": 2, "no_response": 2, "bounced": 0,
        "response_rate": round(1 / 3, 4)}
    assert {k: teams["Zwolle"][k] for k in ("sent", "completed", "not_interested", "bounced",
                                            "first_reminders", "response_rate")} == {
        "sent": 3, "completed": 0, "not_interested": 1, "bounced": 1, "first_reminders": 1,
        "response_rate": 0.0}
    rms = {r["email"]: r for r in report["by_rm"]}
    assert set(rms) == {RM1, RM2} and rms[RM1]["rm"] == "Rm Utrecht"
    assert rms[RM1]["completed"] == 1 and rms[RM2]["not_interested"] == 1
    for key in FIGURES[:-1]:  # the groups add up to the whole
        assert sum(t[key] for t in report["by_team"]) == report[key]
        assert sum(r[key] for r in report["by_rm"]) == report[key]


def test_now_shows_the_figures_as_they_stood_then(told):
    rt, _clock = told
    before = report_at(rt, day(0, 7))  # Monday 08:00 local, before sending
    assert before["sent"] == 0 and before["response_rate"] is None
    day4 = report_at(rt, day(4))
    assert {k: day4[k] for k in ("sent", "completed", "first_reminders", "second_reminders",
                                 "no_response")} == {
        "sent": 6, "completed": 1, "first_reminders": 3, "second_reminders": 0,
        "no_response": 0}


def test_skipped_first_reminder_does_not_count_as_sent(db_url, smtp_server):
    from quickcrm.campaigns.campaign import finalize_campaign
    from quickcrm.campaigns.reminders import remind
    from quickcrm.campaigns.sending import send

    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url)
    add_clients(rt, {"number": "000001"})
    new_campaign(rt, "Voorjaar")
    run_select(rt, "Voorjaar")
    with rt.session() as s:
        finalize_campaign(session=s, actor=rt.actor, now=clock.now(), campaign="Voorjaar")
    send(rt=rt, campaign="Voorjaar")
    clock.at = day(7)  # downtime: first and second due together, only the second goes
    remind(rt=rt)
    report = report_at(rt, day(8))
    assert (report["first_reminders"], report["second_reminders"]) == (0, 1)
    rt.close()


def test_cli_report_json_and_tables(cli, sqlite_url, smtp_server):
    clock = FixedClock(MONDAY_9)
    rt = runtime(sqlite_url, clock, smtp_server.url)
    story(rt, clock)
    rt.close()
    env = {"QUICKCRM_SMTP_URL": smtp_server.url}
    result = cli("report", "Voorjaar", "--now", "2026-12-04T12:00", "--json", env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["sent"], data["completed"], data["bounced"], data["response_rate"]) == (
        6, 1, 1, 0.2)
    assert [t["team"] for t in data["by_team"]] == ["Utrecht", "Zwolle"]
    human = cli("report", "Voorjaar", "--now", "2026-12-04T12:00", env=env)
    assert human.exit_code == 0, human.output
    for text in ("Invitations sent", "QuickScans completed", "First reminders sent",
                 "Not completed after 10 days", "Per team", "Per relationship manager",
                 "Utrecht", "Rm Zwolle", "20.0%"):
        assert text in human.stdout, text
    piped = cli("report", "Voorjaar", "--now", "2026-12-04T12:00", env={**env, "COLUMNS": "80"})
    assert "…" not in piped.stdout  # `quickcrm report ... > r.txt` keeps every cell whole
    from quickcrm.cli.report_view import LEGEND
    assert LEGEND in " ".join(piped.stdout.split())
    assert piped.stdout.count("20.0%") == human.stdout.count("20.0%")
    unknown = cli("report", "Najaar", "--json")
    assert unknown.exit_code == 1 and unknown.stderr.strip() == "unknown campaign 'Najaar'"
