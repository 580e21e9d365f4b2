"""`quickcrm select CAMPAIGN`: steps 1 and 2 of the client selection."""

from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, command, console, warn

JSON_KEYS = ("campaign", "policy", "step1", "step2", "excluded", "selected", "missing_faces",
             "no_email", "opted_out", "by_team", "by_rm", "faces")
Many = list[str] | None


def print_summary(data: dict[str, Any]) -> None:
    """Counts per step, per team and per relationship manager, and the selection's
    faces in the seed's colours; an RM above the maximum gets a warning."""
    from rich.table import Table

    from quickcrm.campaigns.eligibility import POLICY_TEXT
    from quickcrm.campaigns.faces import COLOURS
    from quickcrm.codes import FACE

    con = console()
    con.print(f"policy: {data['policy']} ({POLICY_TEXT[data['policy']]})", highlight=False)
    steps = Table("Step", "Clients", title="Selection")
    for label, key in (("1 first selection", "step1"), ("2 after refinements", "step2"),
                       ("3 excluded", "excluded"), ("selected", "selected")):
        steps.add_row(label, str(data[key]))
    steps.add_row("[dim]left out: no e-mail[/dim]", f"[dim]{data['no_email']}[/dim]")
    steps.add_row("[dim]left out: opted out[/dim]", f"[dim]{data['opted_out']}[/dim]")
    steps.add_row("[dim]step 1 with a face nobody set[/dim]", f"[dim]{data['missing_faces']}[/dim]")
    con.print(steps)
    teams = Table("Team", "Step 2", "Selected", title="Per team")
    for r in data["by_team"]:
        teams.add_row(r["team"], str(r["step2"]), str(r["selected"]))
    con.print(teams)
    rms = Table("Relationship manager", "Step 2", "Selected", "",
                title=f"Per relationship manager (max {data['max_per_rm']})")
    for r in data["by_rm"]:
        flag = f"[bold yellow]! more than {data['max_per_rm']}[/bold yellow]" if r["over_max"] else ""
        rms.add_row(r["name"], str(r["step2"]), str(r["selected"]), flag)
    con.print(rms)
    faces = Table("Face", *(f"[{COLOURS[code][0]}]{FACE.label(code)}[/{COLOURS[code][0]}]"
                            for code in FACE.codes),
                  "[blue]not set[/blue]", title="Faces of the selected clients",
                  caption="not set: nobody set this face; the selection counts it as Neutraal",
                  caption_justify="left")
    for label, key in (("Profile", "profile"), ("Update", "update"),
                       ("Relationship manager", "rm")):
        counts = data["faces"].get(key, {})
        faces.add_row(label, *(str(counts.get(k, 0)) for k in ("1", "2", "3", "unset")))
    con.print(faces)


def select_cmd(
    c: Ctx,
    campaign: Annotated[str, typer.Argument(help="The campaign's name (or id).")],
    team: Annotated[Many, typer.Option("--team", help="Only this team; repeat for more.")] = None,
    rm: Annotated[Many, typer.Option("--rm", help="Only this RM (e-mail); repeat for more.")] = None,
    industry: Annotated[Many, typer.Option(help="Industry code or label; repeat for more.")] = None,
    ownership: Annotated[Many, typer.Option(help="Ownership code or label; repeat for more.")] = None,
    size: Annotated[Many, typer.Option(help="Size code or label; repeat for more.")] = None,
    client_group: Annotated[Many, typer.Option(
        "--client-group", help="Client group code or label; repeat for more.")] = None,
    policy: Annotated[str | None, typer.Option(
        help="default: all faces neutral or positive (seed step 1); strict: the Happy Faces "
             "footnote. Stored: later selects keep it. [default: the campaign's]",
        show_default=False)] = None,
) -> None:
    """Select clients (steps 1 and 2); values of one option OR, options AND.

    Example: quickcrm select "Voorjaar 2027" --team Utrecht --industry Handel --industry 2
    """
    from quickcrm.campaigns.criteria import Refinements
    from quickcrm.campaigns.selection import select_clients

    rt = c.runtime()
    criteria = Refinements(teams=team or (), rms=rm or (), industry=industry or (),
                           ownership=ownership or (), size=size or (),
                           client_group=client_group or ())
    with rt.session() as s:
        summary = select_clients(session=s, actor=rt.actor, now=rt.clock.now(),
                                 campaign=campaign, criteria=criteria, policy=policy,
                                 max_per_rm=int(rt.settings["campaigns.max_per_rm"]))
    data = summary.as_json()
    for r in summary.over_max:
        warn(f"warning: {r['name']} has {r['selected']} clients in the selection "
             f"(more than {summary.max_per_rm})")
    c.emit({k: data[k] for k in JSON_KEYS}, lambda: print_summary(data))


def register(app: typer.Typer) -> None:
    """Add ``select`` to the top-level app."""
    command(app, "select")(select_cmd)
