"""The reminder calendar as pure functions: no database, no clock."""

from datetime import date, datetime, time, timedelta

import pytest

from quickcrm.campaigns.reminders_rules import (
    Calendar,
    InvitationState,
    due_actions,
    due_date,
    parse_weekdays,
    parse_window,
    thursday_warning,
)

SUNDAY_SKIP = Calendar(skip_weekdays=frozenset({6}))
NO_SKIP = Calendar(skip_weekdays=frozenset())
MONDAY = date(2026, 11, 23)
THURSDAY = date(2026, 11, 26)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour))


def test_reminders_after_3_and_7_days_notice_after_10():
    s = InvitationState(delivered_on=MONDAY)
    assert not due_actions(s, at(date(2026, 11, 25)), SUNDAY_SKIP).anything
    assert due_actions(s, at(date(2026, 11, 26)), SUNDAY_SKIP).first
    s2 = InvitationState(delivered_on=MONDAY, first_done=True)
    assert not due_actions(s2, at(date(2026, 11, 29)), SUNDAY_SKIP).second
    assert due_actions(s2, at(date(2026, 11, 30)), SUNDAY_SKIP).second
    s3 = InvitationState(delivered_on=MONDAY, first_done=True, second_done=True)
    assert not due_actions(s3, at(date(2026, 12, 2)), SUNDAY_SKIP).notice
    assert due_actions(s3, at(date(2026, 12, 3)), SUNDAY_SKIP).notice


def test_a_reminder_on_sunday_moves_to_monday_unless_sundays_are_allowed():
    assert due_date(THURSDAY, 3, SUNDAY_SKIP) == date(2026, 11, 30)
    assert due_date(THURSDAY, 3, NO_SKIP) == date(2026, 11, 29)
    s = InvitationState(delivered_on=THURSDAY)
    assert not due_actions(s, at(date(2026, 11, 29)), SUNDAY_SKIP).first


def test_after_downtime_only_the_second_reminder_goes_and_the_first_is_skipped():
    s = InvitationState(delivered_on=MONDAY)
    due = due_actions(s, at(date(2026, 12, 1)), SUNDAY_SKIP)
    assert due.second and due.skip_first and not due.first


def test_the_notice_is_due_on_its_own_day_and_nothing_for_finished_or_bounced():
    s = InvitationState(delivered_on=MONDAY)
    due = due_actions(s, at(date(2026, 12, 3)), SUNDAY_SKIP)
    assert due.notice and due.second and due.skip_first
    for done in ({"finished": True}, {"not_interested": True}, {"bounced": True}):
        assert not due_actions(InvitationState(delivered_on=MONDAY, **done),
                               at(date(2026, 12, 10)), SUNDAY_SKIP).anything


def test_send_window_holds_reminders_and_notice_a_skipped_day_only_reminders():
    cal = Calendar(skip_weekdays=frozenset({6}), window=parse_window("08:00-18:00"))
    s = InvitationState(delivered_on=MONDAY)
    assert not due_actions(s, at(date(2026, 11, 26), 19), cal).first
    assert due_actions(s, at(date(2026, 11, 26), 9), cal).first
    sunday = date(2026, 12, 6)
    due = due_actions(s, at(sunday), cal)
    assert due.notice and not due.second
    assert not due_actions(s, at(sunday, 19), cal).anything  # issue 24 item 4


def test_an_overnight_window_sends_across_midnight_and_an_empty_one_is_refused():
    from quickcrm.errors import ConfigError

    night = Calendar(skip_weekdays=frozenset(), window=parse_window("22:00-06:00"))
    s = InvitationState(delivered_on=MONDAY)
    thursday = date(2026, 11, 26)
    assert due_actions(s, at(thursday, 23), night).first
    assert due_actions(s, at(thursday, 5), night).first
    assert not due_actions(s, at(thursday, 12), night).anything
    with pytest.raises(ConfigError, match="starts where it ends"):
        parse_window("09:00-09:00")


def test_the_default_window_is_office_hours():
    from quickcrm.settings import OPTIONS

    default = next(o.default for o in OPTIONS if o.name == "reminders.send_window")
    cal = Calendar(window=parse_window(default))
    s = InvitationState(delivered_on=MONDAY)
    assert not due_actions(s, at(date(2026, 11, 26), 0), cal).anything  # just after midnight
    assert due_actions(s, at(date(2026, 11, 26), 9), cal).first


def test_holidays_are_skipped_when_given():
    christmas = Calendar(skip_weekdays=frozenset({6}), holidays={date(2026, 12, 25)})
    assert due_date(date(2026, 12, 22), 3, christmas) == date(2026, 12, 26)


def test_thursday_warning_only_when_sundays_are_not_skipped():
    assert thursday_warning(THURSDAY, SUNDAY_SKIP) is None
    warning = thursday_warning(THURSDAY, NO_SKIP)
    assert warning and "donderdag" in warning
    assert thursday_warning(MONDAY, NO_SKIP) is None
    sunday = thursday_warning(THURSDAY + timedelta(days=3), NO_SKIP)  # issue 24 item 9
    assert sunday and "niet op zondag" in sunday and "donderdag" not in sunday


def test_parse_weekdays():
    assert parse_weekdays("sat, sun") == {5, 6}
    assert parse_weekdays("") == frozenset()
