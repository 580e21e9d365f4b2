"""`quickcrm privacy opt-out|show|purge|export|forget`: a person's opt-out, what is held
about them, the retention purge, access and erasure requests (issue 29)."""

from pathlib import Path
from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, console, shown_time

app = typer.Typer(help="Privacy (AVG/GDPR): opt-outs, what is held about a person, "
                       "retention.", no_args_is_help=True)

PersonArg = Annotated[str, typer.Argument(
    help="A person id, an e-mail address or the relation number of a campaign contact "
         "(id:N or relation:NUMBER when a number could be either).", show_default=False)]


@command(app, "opt-out")
def privacy_opt_out(
    c: Ctx,
    person: PersonArg,
    undo: Annotated[bool, typer.Option("--undo", help="Take the opt-out back.")] = False,
    now: NowOpt = None,
) -> None:
    """Record that a person wants no more mail: left out of selections, passed over by send and remind.

    Example: quickcrm privacy opt-out jan@bakkerij.example
    """
    from quickcrm.privacy.person import opt_out

    rt = c.runtime(now=now)
    with rt.session() as s:
        done = opt_out(session=s, actor=rt.actor, now=rt.clock.now(), person=person, undo=undo)

    def human() -> None:
        who = f"{done.name or done.email or 'person'} (id:{done.person_id})"
        state = "opted out" if done.opted_out else "no longer opted out"
        typer.echo(f"{who}: {state}" + ("" if done.changed else " (unchanged)"))

    c.emit(done.to_json(), human)


@command(app, "show")
def privacy_show(c: Ctx, person: PersonArg) -> None:
    """Show a person's opt-out, what is held about them per kind and when it is purged.

    Example: quickcrm privacy show 000123
    """
    from quickcrm.privacy.person import show

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        shown = show(session=s, actor=rt.actor, person=person, settings=rt.settings)
    tz = c.tz

    def human() -> None:
        con = console()
        who = f"id:{shown.person_id}" if shown.person_id is not None else \
            "no person: landing page visits only"
        con.print(f"[bold]{shown.name or '(no name)'}[/bold]  {who}  {shown.email or '-'}",
                  highlight=False)
        if shown.relation:
            con.print(f"relation {shown.relation} {shown.company}".rstrip(), highlight=False)
        con.print(f"opted out: {'yes' if shown.opted_out else 'no'}", highlight=False)
        from quickcrm.cli import output

        output.print_table(("Held", "Count", "Purged", "Next purge"),
                           [(h.kind, h.count, h.purged, shown_time(h.purge_at, tz) or "-")
                            for h in shown.held])

    c.emit(shown.to_json(), human)


@command(app, "purge")
def privacy_purge(
    c: Ctx,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Count what would go; change nothing.")] = False,
    now: NowOpt = None,
) -> None:
    """Delete what the retention settings (privacy.*_days) no longer keep.

    The daemon's purge job does the same once a day; running it again finds nothing.

    Example: quickcrm privacy purge --dry-run
    """
    from quickcrm.privacy.retention import purge

    rt = c.runtime(now=now)
    with rt.session() as s:
        done = purge(session=s, actor=rt.actor, now=rt.clock.now(), settings=rt.settings,
                     dry_run=dry_run)

    def human() -> None:
        verb = "would delete" if done.dry_run else "deleted"
        kept = [name.split(".")[1] for name, d in done.days.items() if not d]
        typer.echo(f"{verb}: {done.answers} answers of closed campaigns, "
                   f"{done.outbox_bodies} sent e-mail texts, {done.visitors} unconfirmed "
                   f"landing visitors ({done.visitor_answers} answers, "
                   f"{done.visitor_messages} confirmation e-mails)")
        if kept:
            typer.echo(f"kept (0 days): {', '.join(kept)}")

    c.emit(done.to_json(), human)


@command(app, "export")
def privacy_export(
    c: Ctx,
    person: PersonArg,
    out: Annotated[Path, typer.Option(
        "--out", help="The zip to write (person.json, e-mails as .eml, stored files).",
        show_default=False)],
) -> None:
    """Export everything held about a person into one zip (an access request).

    Amounts are included only for a user with the right to see revenue.

    Example: quickcrm privacy export jan@bakkerij.example --out jan.zip
    """
    from quickcrm.privacy.access import export

    rt = c.runtime()
    with rt.session() as s:
        done = export(session=s, actor=rt.actor, now=rt.clock.now(), person=person, out=out,
                      files_root=Path(str(rt.settings["files.path"])), settings=rt.settings)

    def human() -> None:
        parts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in done.counts.items())
        who = f"id:{done.person_id}" if done.person_id is not None else \
            "no person (landing page visits only)"
        typer.echo(f"{who}: wrote {done.path} ({parts})")
        if not done.amounts:
            typer.echo("amounts hidden: *** in details, none in the event rows (no right to see revenue)",
                       err=True)

    c.emit(done.to_json(), human)


@command(app, "forget")
def privacy_forget(
    c: Ctx,
    person: PersonArg,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Count what would be erased; change nothing.")] = False,
) -> None:
    """Erase a person (an erasure request), in one transaction, without a prompt.

    Deletes their card and procedure rows, blanks them in campaign snapshots, open
    answers, landing visits and the outbox, redacts the events about them, blanks their
    name and e-mail in other free texts, removes their files and maildir messages.

    Example: quickcrm privacy forget jan@bakkerij.example --dry-run
    """
    from quickcrm.privacy.erasure import forget

    rt = c.runtime()
    done = forget(rt=rt, person=person, dry_run=dry_run)

    def human() -> None:
        verb = "would erase" if done.dry_run else "erased"
        who = f"id:{done.person_id}" if done.person_id is not None else \
            "no person (landing page visits only)"
        typer.echo(f"{who}: {verb}")
        rows = [(what, table, n) for what, counts in done.counts().items()
                for table, n in sorted(counts.items())]
        from quickcrm.cli import output

        output.print_table(("Change", "Table", "Rows"), rows)
        typer.echo(f"stored files: {done.files}, maildir messages: {done.maildir}")
        if done.wal_busy:
            typer.echo("note: another connection kept the SQLite WAL from being emptied; the "
                       "old pages go with the next checkpoint (when the last connection "
                       "closes, e.g. after stopping the daemon)", err=True)
        for name in done.running_campaigns:
            typer.echo(f"note: running campaign {name!r} "
                       f"{'would lose' if done.dry_run else 'lost'} a recipient", err=True)

    c.emit(done.to_json(), human)
