"""`quickcrm bounces ingest`: bounce messages that came back after delivery."""

from pathlib import Path
from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, console

app = typer.Typer(help="Process bounced e-mail.", no_args_is_help=True)


@command(app, "ingest")
def bounces_ingest(
    c: Ctx,
    path: Annotated[Path, typer.Argument(help="A Maildir directory or an mbox file.", exists=True)],
    now: NowOpt = None,
) -> None:
    """Read bounce messages, mark the invitations they match bounced, and send each
    campaign's coordinator one digest of the bounced clients.

    Example: quickcrm bounces ingest ~/Maildir/bounces --json
    """
    from quickcrm.campaigns.bounces import ingest_bounces

    rt = c.runtime(now=now)
    counts = ingest_bounces(rt=rt, source=path)

    def human() -> None:
        console().print(
            f"{counts['messages']} messages: {counts['bounced']} bounced, "
            f"{counts['known']} bounces recorded before, "
            f"{counts['temporary']} temporary (delay notices), {counts['unmatched']} bounces "
            f"matched no message we sent, {counts['ignored']} not a bounce (left alone)",
            highlight=False)

    c.emit(counts, human)
