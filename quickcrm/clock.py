"""The clock is the one true boundary tests fake: every service takes a ``Clock``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still (``--now``) or is moved by tests."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.at = self.at + timedelta(**delta)


def parse_now(text: str, tz: str = "Europe/Amsterdam") -> datetime:
    """Parse ``--now``: an ISO date or datetime; naive values are local time in ``tz``."""
    from quickcrm.errors import InvalidInput

    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"--now: not an ISO date or datetime: {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """Datetimes read back from SQLite are naive; they are stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_time(value: datetime, tz: str) -> datetime:
    """A stored moment (UTC; naive when read from SQLite) in the firm's time zone: the
    one conversion behind every time a person reads."""
    return as_utc(value).astimezone(ZoneInfo(tz))


def local_date(value: datetime, tz: str) -> date:
    """The calendar day of ``value`` in ``tz`` (a date imported as the start of a local
    day is that day again)."""
    return local_time(value, tz).date()
