"""When reminders and the no-response notice are due: pure functions over plain values.

Seed 000: a client who has not finished gets a first reminder after 3 days and a second
after 7; after 10 days the relationship manager is told. QuickCRM counts local calendar
days from the day the invitation was delivered, moves a reminder that falls on a skipped
weekday (Sunday by default) or, optionally, a Dutch public holiday to the next allowed
day, and never sends two reminders together: when both are due in one run (after
downtime) only the second goes out and the first is recorded as skipped. The notice to
the relationship manager is internal mail and falls due on its own day (10 calendar days
after delivery, skipped weekdays included: a Sunday for a Thursday invitation). Both go
out only inside ``reminders.send_window`` (09:00-17:00 local by default; an overnight
window such as 22:00-06:00 works across midnight).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

FIRST_AFTER_DAYS = 3
SECOND_AFTER_DAYS = 7
NOTICE_AFTER_DAYS = 10

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekdays(text: str) -> frozenset[int]:
    """``"sun"`` or ``"sat,sun"`` -> {6} / {5, 6} (Monday is 0); empty -> no skipping."""
    out: set[int] = set()
    for part in text.replace(" ", "").lower().split(","):
        if not part:
            continue
        if part[:3] not in WEEKDAYS:
            from quickcrm.errors import ConfigError

            raise ConfigError(f"reminders.skip_weekdays: unknown weekday {part!r} (use mon..sun)")
        out.add(WEEKDAYS.index(part[:3]))
    return frozenset(out)


def parse_window(text: str) -> tuple[time, time] | None:
    """``"09:00-17:00"`` -> (09:00, 17:00); an overnight window ``"22:00-06:00"`` runs from
    22:00 until 06:00 the next morning; empty -> None (any time). A window that starts
    where it ends is refused: it would never (or always) be open, nobody can tell."""
    from quickcrm.errors import ConfigError

    if not text.strip():
        return None
    try:
        start, end = (time.fromisoformat(p.strip()) for p in text.split("-", 1))
    except ValueError:
        raise ConfigError(f"reminders.send_window: expected HH:MM-HH:MM, got {text!r}") from None
    if start == end:
        raise ConfigError(f"reminders.send_window: {text!r} starts where it ends; "
                          "use e.g. 09:00-17:00, or empty for any time")
    return start, end


@dataclass(frozen=True)
class Calendar:
    """Which local days and hours reminders may go out."""

    skip_weekdays: frozenset[int] = frozenset({6})
    holidays: Collection[date] = ()
    window: tuple[time, time] | None = None

    def allowed_day(self, day: date) -> bool:
        return day.weekday() not in self.skip_weekdays and day not in self.holidays

    def next_allowed(self, day: date) -> date:
        for _ in range(14):
            if self.allowed_day(day):
                return day
            day += timedelta(days=1)
        return day

    def in_window(self, moment: time) -> bool:
        if self.window is None:
            return True
        start, end = self.window
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end  # overnight: 22:00-06:00


def due_date(delivered: date, after_days: int, calendar: Calendar) -> date:
    """The local day a reminder falls due: delivered + N days, moved past skipped days."""
    return calendar.next_allowed(delivered + timedelta(days=after_days))


def notice_date(delivered: date) -> date:
    return delivered + timedelta(days=NOTICE_AFTER_DAYS)


@dataclass(frozen=True)
class InvitationState:
    delivered_on: date | None  # local date of delivery
    finished: bool = False
    not_interested: bool = False
    bounced: bool = False
    first_done: bool = False  # sent or skipped
    second_done: bool = False
    notice_done: bool = False


@dataclass(frozen=True)
class Due:
    first: bool = False
    skip_first: bool = False
    second: bool = False
    notice: bool = False

    @property
    def anything(self) -> bool:
        return self.first or self.skip_first or self.second or self.notice


def due_actions(state: InvitationState, local_now: datetime, calendar: Calendar) -> Due:
    """What a reminder run at ``local_now`` must do for one invitation."""
    if state.delivered_on is None or state.finished or state.not_interested or state.bounced:
        return Due()
    today = local_now.date()
    if not calendar.in_window(local_now.time()):  # reminders and the notice alike
        return Due()
    reminders_ok = calendar.allowed_day(today)
    first_due = not state.first_done and today >= due_date(
        state.delivered_on, FIRST_AFTER_DAYS, calendar)
    second_due = not state.second_done and today >= due_date(
        state.delivered_on, SECOND_AFTER_DAYS, calendar)
    notice = not state.notice_done and today >= notice_date(state.delivered_on)
    if not reminders_ok:
        return Due(notice=notice)
    if second_due:
        return Due(second=True, skip_first=not state.first_done, notice=notice)
    return Due(first=first_due, notice=notice)


DUTCH_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def thursday_warning(send_day: date, calendar: Calendar) -> str | None:
    """The seed's warning, printed when Sundays are not skipped and the reminder days of
    an invitation sent today would fall on a Sunday; it names the day of this send (a
    Thursday send's first reminder falls on Sunday, a Sunday send's second)."""
    if 6 in calendar.skip_weekdays:
        return None
    hits = [n for n in (FIRST_AFTER_DAYS, SECOND_AFTER_DAYS)
            if (send_day + timedelta(days=n)).weekday() == 6]
    if not hits:
        return None
    day = DUTCH_DAYS[send_day.weekday()]
    return ("Let op: als je wilt voorkomen dat klanten een herinnering op zondag ontvangen, "
            f"verstuur de uitnodiging dan niet op {day} (Sundays are not skipped: "
            f"reminder day(s) {', '.join(map(str, hits))} fall on a Sunday)")


def holidays_for(years: Collection[int]) -> frozenset[date]:
    """Dutch public holidays (the ``holidays`` package) for the given years."""
    import holidays

    return frozenset(holidays.country_holidays("NL", years=sorted(years)).keys())

