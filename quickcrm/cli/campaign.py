"""`quickcrm campaign create|list|show|finalize|close`: collective actions."""

from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, command, console, shown_time

app = typer.Typer(help="Collective actions (campaigns): create, show, finalize, close.",
                  no_args_is_help=True)

CampaignArg = Annotated[str, typer.Argument(help="The campaign's name (or id).")]


TIMES = ("created_at", "selected_at", "finalized_at", "sent_at", "closed_at")


def _print_campaign(data: dict[str, Any], tz: str) -> None:
    con = console()
    for key in ("name", "quickscan", "status", "coordinator", "policy", *TIMES):
        if data.get(key) is not None:
            value = shown_time(data[key], tz) if key in TIMES else data[key]
            con.print(f"[bold]{key:>12}[/bold]  {value}", highlight=False)
    shown = "; ".join(f"{k}: {', '.join(v)}" for k, v in data.get("criteria", {}).items())
    con.print(f"[bold]{'refinements':>12}[/bold]  {shown or '-'}", highlight=False)


@command(app, "create")
def campaign_create(
    c: Ctx,
    name: Annotated[str, typer.Argument(help="A name for the campaign.")],
    quickscan: Annotated[str, typer.Option(help="Key of the QuickScan to send.")],
    coordinator: Annotated[str, typer.Option(
        help="E-mail of the coordinating user (who has the coordinator or admin right).")],
    policy: Annotated[str | None, typer.Option(
        help="Face policy of its selections: default or strict. [default: the "
             "selection.policy setting]", show_default=False)] = None,
) -> None:
    """Create a draft campaign for a QuickScan.

    Example: quickcrm campaign create "Voorjaar 2027" --quickscan bedrijfsopvolging --coordinator m.jansen@kantoor.example
    """
    from quickcrm.campaigns.campaign import create_campaign

    rt = c.runtime()
    with rt.session() as s:
        out = create_campaign(session=s, actor=rt.actor, now=rt.clock.now(), name=name,
                              quickscan=quickscan, coordinator=coordinator,
                              policy=policy or str(rt.settings["selection.policy"]))
    c.emit(out.model_dump(),
           lambda: typer.echo(f"created campaign {out.name!r} (draft, policy {out.policy})"))


@command(app, "list", listing=True)
def campaign_list(c: Ctx) -> None:
    """List campaigns with status and number of selected clients.

    Example: quickcrm campaign list --json
    """
    from quickcrm.campaigns.campaign import list_campaigns

    rt = c.runtime()
    _ = rt.actor
    with rt.session(read_only=True) as s:
        rows = list_campaigns(session=s)
    c.table(rows, ("Name", "QuickScan", "Status", "Coordinator", "Selected"),
            [(r["name"], r["quickscan"], r["status"], r["coordinator"], r["selected"])
             for r in rows])


@command(app, "show")
def campaign_show(
    c: Ctx, campaign: CampaignArg,
    clients: Annotated[bool, typer.Option("--clients", help="List every client with faces.")] = False,
) -> None:
    """Show a campaign, its counts per step and (with --clients) its clients.

    Example: quickcrm campaign show "Voorjaar 2027" --clients
    """
    from quickcrm.campaigns.campaign import show_campaign
    from quickcrm.cli.select import print_summary

    rt = c.runtime()
    _ = rt.actor
    with rt.session(read_only=True) as s:
        data = show_campaign(session=s, campaign=campaign, clients=clients,
                             max_per_rm=int(rt.settings["campaigns.max_per_rm"]))

    def human() -> None:
        from rich.text import Text

        from quickcrm.campaigns.faces import markup
        from quickcrm.cli.output import print_table

        _print_campaign(data, c.tz)
        print_summary(data)
        if clients:
            def face(code: str | None) -> Text:
                return Text.from_markup(markup(code))

            print_table(("Relation", "Name", "Company", "E-mail", "Team", "RM", "Profile face",
                         "Update face", "RM face", "Excluded", "Report"),
                        [(r["relation_number"], f"{r['first_name']} {r['last_name']}",
                          r["company"], r["email"], r["team"], r["rm"] or "",
                          face(r["faces"]["profile"]), face(r["faces"]["update"]),
                          face(r["faces"]["rm"]), "x" if r["excluded"] else "",
                          _response(r, c.tz)) for r in data["clients"]])

    c.emit(data, human)


def _response(r: dict, tz: str) -> str:  # type: ignore[type-arg]
    """Whether the client's report went out (and otherwise how far the client got)."""
    if r.get("report_sent_at"):
        from quickcrm.clock import local_date

        return f"received {local_date(r['report_sent_at'], tz)}"
    if r.get("not_interested_at"):
        return "not interested"
    return "logged in" if r.get("logged_in_at") else ("invited" if r.get("invited_at") else "")


@command(app, "finalize")
def campaign_finalize(c: Ctx, campaign: CampaignArg) -> None:
    """Freeze the selection: later client changes no longer change who is invited.

    Example: quickcrm campaign finalize "Voorjaar 2027"
    """
    from quickcrm.campaigns.campaign import finalize_campaign

    rt = c.runtime()
    with rt.session() as s:
        out = finalize_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign=campaign)
    c.emit(out.model_dump(), lambda: typer.echo(
        f"campaign {out.name!r} is final: {out.selected} clients selected"))


@command(app, "close")
def campaign_close(c: Ctx, campaign: CampaignArg) -> None:
    """Close a campaign: no more invitations, reminders or notices go out.

    Example: quickcrm campaign close "Voorjaar 2027"
    """
    from quickcrm.campaigns.campaign import close_campaign

    rt = c.runtime()
    with rt.session() as s:
        out = close_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign=campaign)
    c.emit(out.model_dump(), lambda: typer.echo(f"campaign {out.name!r} is closed"))
