"""The management report for people: rich tables of the key figures, overall, per team
and per relationship manager (``quickcrm report CAMPAIGN`` without --json)."""

from typing import Any

from quickcrm.campaigns.management import FIGURES, LABELS, ManagementReport
from quickcrm.cli.common import console

SHORT = {"selected": "Selected", "sent": "Sent", "completed": "Completed",
         "first_reminders": "1st rem.", "second_reminders": "2nd rem.",
         "no_response": "No resp.", "bounced": "Bounced", "logged_in": "Logged in",
         "not_interested": "Nee", "response_rate": "Response"}


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _group_table(title: str, key: str, rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column(key.capitalize() if key != "rm" else "Relationship manager")
    for name in ("selected", *FIGURES, "response_rate"):
        table.add_column(SHORT[name], justify="right")
    for row in rows:
        table.add_row(row[key] or "(none)", str(row["selected"]),
                      *(str(row[n]) for n in FIGURES), rate(row["response_rate"]))
    return table


def print_report(report: ManagementReport, tz: str) -> None:
    from zoneinfo import ZoneInfo

    from rich.table import Table

    out = console()
    at = report.at.astimezone(ZoneInfo(tz)).strftime("%d-%m-%Y %H:%M")
    overall = Table(title=f"Campaign {report.campaign!r} ({report.status}, "
                          f"QuickScan {report.quickscan}) at {at}", title_justify="left")
    overall.add_column("Key figure")
    overall.add_column("Count", justify="right")
    for name in ("selected", *FIGURES):
        overall.add_row(LABELS[name], str(report.overall[name]))
    overall.add_row(LABELS["response_rate"] + " (completed / (sent − bounced))",
                    rate(report.overall["response_rate"]))
    out.print(overall)
    out.print(_group_table("Per team", "team", report.by_team))
    out.print(_group_table("Per relationship manager", "rm", report.by_rm))
