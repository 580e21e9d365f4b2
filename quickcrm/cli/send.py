"""`quickcrm send` and `quickcrm remind`: the campaign's mail, delivered through the outbox."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, console, warn

DryRun = Annotated[bool, typer.Option("--dry-run", help="Render and count; write and send nothing.")]
QueueOnly = Annotated[bool, typer.Option(
    "--queue-only", help="Queue the messages and leave delivery to the daemon.")]


def send_cmd(
    c: Ctx,
    campaign: Annotated[str, typer.Argument(help="The campaign (name or id).")],
    dry_run: DryRun = False,
    queue_only: QueueOnly = False,
    now: NowOpt = None,
) -> None:
    """Send the invitations of a final campaign (and each relationship manager's copy).

    Running it again resumes and never sends an invitation twice.

    Example: quickcrm send "Opvolging 2026" --dry-run
    """
    from quickcrm.campaigns.sending import send

    rt = c.runtime(now=now)
    with stage_bars() as stages:
        counts = send(rt=rt, campaign=campaign, dry_run=dry_run, queue_only=queue_only,
                      stages=stages)
    if counts.warning:
        warn(counts.warning)

    def human() -> None:
        con = console()
        verb = "would queue" if dry_run else "queued"
        con.print(f"{counts.campaign}: {verb} {counts.invitations} invitations and "
                  f"{counts.copies} relationship manager copies", highlight=False)
        if counts.first_contact:
            con.print(f"[yellow]{counts.first_contact} invitations go to addresses with no "
                      "earlier e-mail from their relationship manager (spam risk):[/yellow]")
            for rm, n in sorted(counts.first_contact_by_rm.items()):
                con.print(f"  {rm}: {n}", highlight=False)
        if dry_run and counts.sample:
            s = counts.sample
            con.print(f"\nFirst message\nFrom: {s['from']}\nTo: {s['to']}\n"
                      f"Subject: {s['subject']}\n\n{s['text']}", highlight=False, markup=False)
        elif not dry_run:
            con.print(f"delivered {counts.delivered}, deferred {counts.deferred}, "
                      f"failed {counts.failed}, rejected {counts.rejected}", highlight=False)
        if counts.skipped:
            con.print(f"[yellow]{len(counts.skipped)} clients not invited:[/yellow]")
            for skip in counts.skipped:
                con.print(f"  {skip.relation}: {skip.detail}", highlight=False, markup=False)

    c.emit(counts.to_json(), human)


@contextmanager
def stage_bars() -> Iterator[Any]:
    """Progress bars on stderr, one per stage (``queued 28/28``, ``delivered 41/56``),
    each added when its stage starts with its total. Silent when stderr is no tty."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    err = Console(stderr=True)
    if not err.is_terminal:
        yield lambda _what, _total: (lambda n: None)
        return
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        def stage(what: str, total: int) -> Any:
            task = bar.add_task(what, total=total)
            return lambda n: bar.advance(task, n)

        yield stage


def remind_cmd(
    c: Ctx,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign (default: all sent).")] = None,
    dry_run: DryRun = False,
    queue_only: QueueOnly = False,
    now: NowOpt = None,
) -> None:
    """Send the reminders (after 3 and 7 days) and no-response notices (after 10) that are due.

    Safe to run from cron while the daemon runs: each message goes out once.

    Example: quickcrm remind --now 2026-12-01T09:00 --dry-run --json
    """
    from quickcrm.campaigns.reminders import remind

    rt = c.runtime(now=now)
    with c.progress("reminders") as advance:
        counts = remind(rt=rt, campaign=campaign, dry_run=dry_run, queue_only=queue_only,
                        progress=advance)

    def human() -> None:  # one plain line: cron runs this, rich is not worth loading
        verb = "due" if dry_run else "sent"
        typer.echo(
            f"first reminders {verb}: {counts.first_reminders}, second reminders {verb}: "
            f"{counts.second_reminders}, no-response notices {verb}: {counts.no_response}"
            + (f" (first reminder skipped for {counts.skipped_first})" if counts.skipped_first else "")
            + (f"; nothing to {counts.opted_out} clients who opted out" if counts.opted_out else ""))

    c.emit(counts.to_json(), human)


def register(app: typer.Typer) -> None:
    """Add ``send`` and ``remind`` to the top-level app."""
    command(app, "send")(send_cmd)
    command(app, "remind")(remind_cmd)
