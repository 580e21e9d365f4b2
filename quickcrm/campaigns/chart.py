"""The response over time of a campaign as a PNG (issue 25 item 11): per local day since
the first invitation went out, the cumulative share of the invitations that arrived
(sent minus bounced, as the management report's response rate counts) that had been
completed and that had been logged in to, with the days reminders went out marked. A
daily count is flattened by the spike of the sending day; a cumulative share reads as
"how far are we".

matplotlib is imported only here and only when a chart is drawn (it costs about half a
second), with the Agg backend so it works on a server without a display.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
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
SERIES = ("invited", "logged_in", "completed", "first_reminder", "second_reminder",
          "bounced")


def daily_counts(session: Session, campaign_id: int, tz: str, now: datetime
                 ) -> dict[str, dict[date, int]]:
    """Per series, how many happened on each local day up to ``now``. The timestamps are
    streamed and bucketed here: a day in Amsterdam is not a day in UTC, and date
    arithmetic in SQL differs between SQLite and PostgreSQL."""
    zone = ZoneInfo(tz)
    counts: dict[str, Counter[date]] = {name: Counter() for name in SERIES}
    rows = session.execute(
        select(I.c.invited_at, I.c.logged_in_at, I.c.finished_at, I.c.first_reminder_at,
               I.c.first_reminder_skipped, I.c.second_reminder_at, I.c.bounced_at)
        .where(I.c.campaign_id == campaign_id).execution_options(yield_per=2000))
    for invited, logged, finished, first, skipped, second, bounced in rows:
        for name, value in (("invited", invited), ("logged_in", logged),
                            ("completed", finished), ("second_reminder", second),
                            ("first_reminder", None if skipped else first),
                            ("bounced", bounced)):
            if value is not None and as_utc(value) <= now:
                counts[name][as_utc(value).astimezone(zone).date()] += 1
    return {name: dict(sorted(c.items())) for name, c in counts.items()}


@dataclass(frozen=True)
class ChartDay:
    """One day of the chart: totals up to and including ``day``."""

    day: date
    number: int  # days since the first invitation (that day is 0)
    invited: int
    reached: int  # invited minus bounced
    logged_in: int
    completed: int

    def share(self, count: int) -> float | None:
        return round(100 * count / self.reached, 1) if self.reached > 0 else None

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "day_number": self.number,
                "invited": self.invited, "reached": self.reached,
                "logged_in": self.logged_in, "completed": self.completed,
                "logged_in_pct": self.share(self.logged_in),
                "completed_pct": self.share(self.completed)}


def cumulative(counts: dict[str, dict[date, int]], today: date) -> list[ChartDay]:
    """Every day from the first invitation up to ``today`` (or the last thing that
    happened, if later), with running totals."""
    if not counts["invited"]:
        return []
    first = min(counts["invited"])
    last = max([today, *(d for series in counts.values() for d in series)])
    out, totals = [], dict.fromkeys(("invited", "bounced", "logged_in", "completed"), 0)
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        for name in totals:
            totals[name] += counts[name].get(day, 0)
        out.append(ChartDay(day, n, totals["invited"], totals["invited"] - totals["bounced"],
                            totals["logged_in"], totals["completed"]))
    return out


def draw_chart(counts: dict[str, dict[date, int]], path: Path, title: str,
               today: date) -> list[ChartDay]:
    """Draw the cumulative response to ``path``; returns the days it drew."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = cumulative(counts, today)
    fig, ax = plt.subplots(figsize=(10, 5.2), dpi=100)
    try:
        if days:
            x = [d.number for d in days]
            for attr, label, colour, marker in (
                    ("logged_in", "Ingelogd", "#b35806", "s"),
                    ("completed", "Afgerond", "#1a7a3e", "o")):
                values = [d.share(getattr(d, attr)) for d in days]
                ax.plot(x, [v if v is not None else float("nan") for v in values],
                        marker=marker, markersize=4, label=f"{label} (% van bereikt)",
                        color=colour, linewidth=2.2)
                final = values[-1]
                if final is not None:
                    ax.annotate(f"{final:g}%".replace(".", ","), (x[-1], final),
                                textcoords="offset points", xytext=(6, 0), va="center",
                                color=colour, fontweight="bold")
            start = days[0].day
            for name, label, style in (("first_reminder", "Eerste herinnering", "--"),
                                       ("second_reminder", "Tweede herinnering", ":")):
                for i, (d, n) in enumerate(sorted(counts[name].items())):
                    at = (d - start).days
                    ax.axvline(at, color="#5e3c99", linestyle=style, linewidth=2.0,
                               label=label if i == 0 else None)
                    ax.annotate(f"{n}×", (at, 101), ha="center", va="bottom", fontsize=8,
                                color="#5e3c99", annotation_clip=False)
            ticks = _ticks(len(days))
            ax.set_xticks(ticks)
            ax.set_xticklabels([f"dag {t}\n{(start + timedelta(days=t)):%d-%m}"
                                for t in ticks])
            ax.set_xlim(-0.5, max(len(days) - 0.5, 1))
            last = days[-1]
            ax.set_xlabel(f"Dagen sinds verzending ({start:%d-%m-%Y}); bereikt: "
                          f"{last.reached} van {last.invited} uitnodigingen (zonder bounces)")
            ax.legend(loc="upper left", fontsize=9)
        else:
            ax.text(0.5, 0.5, "Nog niets verstuurd", ha="center", va="center",
                    transform=ax.transAxes)
        ax.set_ylim(0, 100)
        ax.set_yticks(range(0, 101, 20))
        ax.set_yticklabels([f"{v}%" for v in range(0, 101, 20)])
        ax.set_title(title, pad=16)
        ax.set_ylabel("Cumulatief, % van de bereikte klanten")
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return days


def _ticks(count: int) -> list[int]:
    """At most about 15 day ticks, always the first and the last day."""
    step = max(1, -(-count // 15))
    ticks = list(range(0, count, step))
    if ticks[-1] != count - 1:
        ticks.append(count - 1)
    return ticks


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
    today = as_utc(now).astimezone(ZoneInfo(tz)).date()
    days = draw_chart(counts, path, f"Respons {row.name}", today)
    return {"campaign": row.name, "file": str(path),
            "days": {name: {d.isoformat(): n for d, n in series.items()}
                     for name, series in counts.items()},
            "cumulative": [d.to_json() for d in days],
            "reminder_days": {name: [d.isoformat() for d in counts[name]]
                              for name in ("first_reminder", "second_reminder")}}
