"""The management report for people: rich tables of the key figures, overall, per team
and per relationship manager (``quickcrm report CAMPAIGN`` without --json)."""

from typing import Any

from quickcrm.campaigns.management import FIGURES, LABELS, ManagementReport
from quickcrm.cli.common import console

SHORT = {"sent": "Sent", "completed": "Done", "first_reminders": "Rem 1",
         "second_reminders": "Rem 2", "no_response": "10 days", "bounced": "Bounce",
         "logged_in": "Login", "not_interested": "Declined", "followed_up": "Followed",
         "response_rate": "Rate"}

LEGEND = ("Done = completed; Rem 1/2 = reminders sent; 10 days = not completed after 10 days "
          "(RM informed); Declined = answered Nee; Followed = the RM marked the follow-up signal "
          "done; Rate = Done / (Sent - Bounce)")


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _group_table(title: str, key: str, rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("Team" if key == "team" else "Relationship manager", no_wrap=True)
    for name in (*FIGURES, "response_rate"):
        table.add_column(SHORT[name], justify="right", no_wrap=True)
    for row in rows:
        table.add_row(row[key] or "(none)", *(str(row[n]) for n in FIGURES),
                      rate(row["response_rate"]))
    return table


def print_report(report: ManagementReport, tz: str) -> None:
    from zoneinfo import ZoneInfo

    from rich.table import Table

    out = console()
    at = report.at.astimezone(ZoneInfo(tz)).strftime("%d-%m-%Y %H:%M")
    overall = Table(title=f"{report.campaign} ({report.status}) at {at}",
                    title_justify="left")
    overall.add_column("Key figure")
    overall.add_column("Count", justify="right")
    overall.add_row("QuickScan", report.quickscan)
    for name in ("selected", "excluded", *FIGURES):
        overall.add_row(LABELS[name], str(report.overall[name]))
    overall.add_row(LABELS["response_rate"] + " (completed / (sent − bounced))",
                    rate(report.overall["response_rate"]))
    out.print(overall)
    out.print(_group_table("Per team", "team", report.by_team))
    rms = _group_table("Per relationship manager", "rm", report.by_rm)
    rms.caption, rms.caption_justify = LEGEND, "left"
    out.print(rms)
