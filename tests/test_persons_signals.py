"""Beyond the seed (issue 26): a finished QuickScan and the 10-day notice each leave a
signal in the client's RM's work queue, and the management report counts those the RM
followed up (signal done); on SQLite and PostgreSQL, through the campaign's own story."""

from __future__ import annotations

from test_campaigns import RM1, RM2
from test_management_report import day, report_at, told  # noqa: F401 - the fixture


def test_follow_up_signals_and_the_report_counts_those_done(told):  # noqa: F811
    from sqlmodel import select

    from quickcrm.crm.models import Signal
    from quickcrm.crm.signals import done_signal, worklist
    from quickcrm.store.models import User

    rt, clock = told
    with rt.session(read_only=True) as s:
        rms = {u.email: u.id for u in s.exec(select(User).where(User.email.in_([RM1, RM2])))}  # type: ignore[attr-defined]
        signals = s.exec(select(Signal).order_by(Signal.id)).all()
        queue = {email: [r["title"] for r in worklist(session=s, user_id=uid, now=day(10),
                                                      tz="Europe/Amsterdam")]
                 for email, uid in rms.items()}
    # client 1 finished (RM1): go through the results; 3, 5 (RM1) and 6 (RM2) did not
    # answer in 10 days: ask for a response. 2 said Nee and 4 bounced: no notice.
    assert sorted(queue[RM1]) == ["om respons vragen", "om respons vragen",
                                  "resultaten doornemen"]
    assert queue[RM2] == ["om respons vragen"]
    assert all(s.ref.startswith("invitation:") for s in signals)
    assert report_at(rt, day(11))["followed_up"] == 0
    with rt.session() as s:
        done_signal(session=s, actor=rt.actor, now=day(11, 8), signal_id=signals[0].id)
    report = report_at(rt, day(11))
    assert report["followed_up"] == 1
    assert report_at(rt, day(10))["followed_up"] == 0  # as it stood before
    by_rm = {r["email"]: r["followed_up"] for r in report["by_rm"]}
    assert by_rm[RM1] == 1 and by_rm[RM2] == 0
    from quickcrm.campaigns.reminders import remind

    clock.at = day(12)
    remind(rt=rt)  # a later run makes no second signal
    with rt.session(read_only=True) as s:
        assert len(s.exec(select(Signal)).all()) == len(signals)
