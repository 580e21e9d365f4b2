"""`quickcrm report CAMPAIGN`: one command whose options pick the output.

Without options it prints the management report (key figures overall, per team and per
relationship manager; ``--json`` for scripts). ``--excel FILE.xlsx`` writes the seed's
Excel download, ``--chart FILE.png`` the response over time, and ``--client RELNR
--documents DIR`` one client's PDF and PowerPoint. Each output is one small function, so
adding one does not touch the others.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, fail

if TYPE_CHECKING:
    from quickcrm.runtime import Runtime


def _documents(c: Ctx, rt: "Runtime", campaign: str, client: str, directory: Path) -> None:
    from quickcrm.campaigns.client_report import write_client_documents

    with rt.session(read_only=True) as s:
        result = write_client_documents(session=s, actor=rt.actor, campaign=campaign,
                                        relation_number=client, directory=directory,
                                        settings=rt.settings, now=rt.clock.now())

    def human() -> None:
        state = "finished" if result["finished"] else "not finished yet"
        typer.echo(f"{result['client']}: {state}, {result['answered']} of "
                   f"{result['questions']} questions answered")
        typer.echo(f"wrote {result['pdf']}")
        typer.echo(f"wrote {result['pptx']}")

    c.emit(result, human)


def _management(c: Ctx, rt: "Runtime", campaign: str) -> None:
    from quickcrm.campaigns.management import management_report
    from quickcrm.cli.report_view import print_report

    with rt.session(read_only=True) as s:
        report = management_report(session=s, actor=rt.actor, campaign=campaign,
                                   now=rt.clock.now())
    c.emit(report.to_json(), lambda: print_report(report, rt.settings.timezone))


def _files(c: Ctx, rt: "Runtime", campaign: str, excel: Path | None, chart: Path | None) -> None:
    out: dict[str, Any] = {}
    with rt.session(read_only=True) as s:
        if excel is not None:
            from quickcrm.campaigns.excel_export import export_campaign_excel

            with c.progress("writing Excel", None) as advance:
                out["excel"] = export_campaign_excel(
                    session=s, actor=rt.actor, campaign=campaign, path=excel,
                    tz=rt.settings.timezone, progress=advance)
        if chart is not None:
            from quickcrm.campaigns.chart import write_chart

            out["chart"] = write_chart(session=s, campaign=campaign, path=chart,
                                       tz=rt.settings.timezone, now=rt.clock.now())

    def human() -> None:
        if "excel" in out:
            e = out["excel"]
            typer.echo(f"wrote {e['file']}: {e['clients']} clients, {e['questions']} questions")
        if "chart" in out:
            typer.echo(f"wrote {out['chart']['file']}")

    c.emit(out, human)


def report_cmd(
    c: Ctx,
    campaign: Annotated[str, typer.Argument(help="The campaign's name.")],
    client: Annotated[str | None, typer.Option(
        "--client", help="Relation number of one client (with --documents).",
        show_default=False)] = None,
    documents: Annotated[Path | None, typer.Option(
        "--documents", help="Write the client's PDF report and PowerPoint to this folder.",
        file_okay=False, show_default=False)] = None,
    excel: Annotated[Path | None, typer.Option(
        "--excel", help="Write the Excel download (one row per client, every answer).",
        dir_okay=False, show_default=False)] = None,
    chart: Annotated[Path | None, typer.Option(
        "--chart", help="Draw the response over time to this .png file.",
        dir_okay=False, show_default=False)] = None,
    now: NowOpt = None,
) -> None:
    """Reports of a campaign: the management report, or the output an option picks.

    Example: quickcrm report "Voorjaar 2027" --excel voorjaar.xlsx --chart respons.png
    """
    rt = c.runtime(now=now)
    if documents is not None or client is not None:
        if documents is None or client is None:
            fail("--client and --documents go together: "
                 "quickcrm report CAMPAIGN --client RELNR --documents DIR")
        _documents(c, rt, campaign, client, documents)
        return
    if excel is not None or chart is not None:
        _files(c, rt, campaign, excel, chart)
        return
    _management(c, rt, campaign)


def register(app: typer.Typer) -> None:
    """Add ``report`` to the top-level app."""
    command(app, "report")(report_cmd)
