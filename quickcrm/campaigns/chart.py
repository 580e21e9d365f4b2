"""The response over time of a campaign as a PNG: invitations, logins and completions
per local day, with the days reminders went out marked.

matplotlib is imported only here and only when a chart is drawn (it costs about half a
second), with the Agg backend so it works on a server without a display.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from quickcrm.campaigns.campaign import get_campaign
from quickcrm.campaigns.invitation import Invitation
from quickcrm.clock import as_utc

I = Invitation.__table__  # type: ignore[attr-defined]  # noqa: E741
SERIES = ("invited", "logged_in", "completed", "first_reminder", "second_reminder")


def daily_counts(session: Session, campaign_id: int, tz: str, now: datetime
                 ) -> dict[str, dict[date, int]]:
    """Per series, how many happened on each local day up to ``now``. The timestamps are
    streamed and bucketed here: a day in Amsterdam is not a day in UTC, and date
    arithmetic in SQL differs between SQLite and PostgreSQL."""
    zone = ZoneInfo(tz)
    counts: dict[str, Counter[date]] = {name: Counter() for name in SERIES}
    rows = session.execute(
        select(I.c.invited_at, I.c.logged_in_at, I.c.finished_at, I.c.first_reminder_at,
               I.c.first_reminder_skipped, I.c.second_reminder_at)
        .where(I.c.campaign_id == campaign_id).execution_options(yield_per=2000))
    for invited, logged, finished, first, skipped, second in rows:
        for name, value in (("invited", invited), ("logged_in", logged),
                            ("completed", finished), ("second_reminder", second),
                            ("first_reminder", None if skipped else first)):
            if value is not None and as_utc(value) <= now:
                counts[name][as_utc(value).astimezone(zone).date()] += 1
    return {name: dict(sorted(c.items())) for name, c in counts.items()}


def draw_chart(counts: dict[str, dict[date, int]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    seen = sorted({d for series in counts.values() for d in series})
    days = [seen[0] + timedelta(days=n) for n in range((seen[-1] - seen[0]).days + 1)] \
        if seen else []
    fig, ax = plt.subplots(figsize=(10, 5), dpi=100)
    try:
        if days:
            for name, label, colour in (("invited", "Uitnodigingen", "#4c72b0"),
                                        ("logged_in", "Ingelogd", "#dd8452"),
                                        ("completed", "Afgerond", "#55a868")):
                ax.plot(days, [counts[name].get(d, 0) for d in days], marker="o",  # type: ignore[arg-type]
                        label=label, color=colour)
            for name, label, style in (("first_reminder", "Eerste herinnering", "--"),
                                       ("second_reminder", "Tweede herinnering", ":")):
                for i, d in enumerate(counts[name]):
                    ax.axvline(d, color="#8172b3", linestyle=style,  # type: ignore[arg-type]
                               label=label if i == 0 else None)
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%d-%m"))
            ax.legend(loc="upper right")
        else:
            ax.text(0.5, 0.5, "Nog niets verstuurd", ha="center", va="center",
                    transform=ax.transAxes)
        ax.set_title(title)
        ax.set_ylabel("Aantal per dag")
        ax.grid(True, alpha=0.3)
        fig.autofmt_xdate()
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)


def write_chart(*, session: Session, campaign: str, path: Path, tz: str,
                now: datetime) -> dict[str, Any]:
    """Draw the campaign's response chart to ``path`` (a .png)."""
    from quickcrm.errors import InvalidInput

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise InvalidInput(f"{path}: the chart is a .png file")
    row = get_campaign(session, campaign)
    assert row.id is not None
    counts = daily_counts(session, row.id, tz, now)
    path.parent.mkdir(parents=True, exist_ok=True)
    draw_chart(counts, path, f"Respons {row.name}")
    return {"campaign": row.name, "file": str(path),
            "days": {name: {d.isoformat(): n for d, n in series.items()}
                     for name, series in counts.items()}}
