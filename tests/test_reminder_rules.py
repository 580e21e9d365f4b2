"""The reminder calendar as pure functions: no database, no clock."""

from datetime import date, datetime, time

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


def test_send_window_and_skipped_day_hold_reminders_but_not_the_notice():
    cal = Calendar(skip_weekdays=frozenset({6}), window=parse_window("08:00-18:00"))
    s = InvitationState(delivered_on=MONDAY)
    assert not due_actions(s, at(date(2026, 11, 26), 19), cal).first
    assert due_actions(s, at(date(2026, 11, 26), 9), cal).first
    sunday = date(2026, 12, 6)
    due = due_actions(s, at(sunday), cal)
    assert due.notice and not due.second


def test_holidays_are_skipped_when_given():
    christmas = Calendar(skip_weekdays=frozenset({6}), holidays={date(2026, 12, 25)})
    assert due_date(date(2026, 12, 22), 3, christmas) == date(2026, 12, 26)


def test_thursday_warning_only_when_sundays_are_not_skipped():
    assert thursday_warning(THURSDAY, SUNDAY_SKIP) is None
    warning = thursday_warning(THURSDAY, NO_SKIP)
    assert warning and "donderdag" in warning
    assert thursday_warning(MONDAY, NO_SKIP) is None


def test_parse_weekdays():
    assert parse_weekdays("sat, sun") == {5, 6}
    assert parse_weekdays("") == frozenset()
