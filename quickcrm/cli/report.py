"""`quickcrm report CAMPAIGN`: one command whose options pick the output.

This issue brings ``--client RELNR --documents DIR`` (that client's PDF and PowerPoint);
the next adds ``--excel``, ``--chart`` and the management figures with ``--json``. Each
output is one small function in ``OUTPUTS`` order, so adding one does not touch the others.
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, fail


def _documents(c: Ctx, rt: Any, campaign: str, client: str, directory: Path) -> None:
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


def report_cmd(
    c: Ctx,
    campaign: Annotated[str, typer.Argument(help="The campaign's name.")],
    client: Annotated[str | None, typer.Option(
        "--client", help="Relation number of one client (with --documents).",
        show_default=False)] = None,
    documents: Annotated[Path | None, typer.Option(
        "--documents", help="Write the client's PDF report and PowerPoint to this folder.",
        file_okay=False, show_default=False)] = None,
    now: NowOpt = None,
) -> None:
    """Reports of a campaign; the options pick the output.

    Example: quickcrm report "Voorjaar 2027" --client 000123 --documents ./rapportages
    """
    rt = c.runtime(now=now)
    if documents is not None or client is not None:
        if documents is None or client is None:
            fail("--client and --documents go together: "
                 "quickcrm report CAMPAIGN --client RELNR --documents DIR")
        _documents(c, rt, campaign, client, documents)
        return
    fail("choose an output: --client RELNR --documents DIR")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the top-level app."""
    command(app, "report")(report_cmd)
