"""`quickcrm project ...`: projects, their members and prospects; and
`quickcrm import suspects FILE --project P`."""

from pathlib import Path
from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, shown_time, warn

app = typer.Typer(help="Projects: suspects worked through a procedure.", no_args_is_help=True)
member_app = typer.Typer(help="A project's members and their roles.", no_args_is_help=True)
app.add_typer(member_app, name="member")
importers = typer.Typer()

ProjectArg = Annotated[str, typer.Argument(help="The project's name.")]


def _show(d: dict[str, Any], tz: str) -> None:
    principal = d.get("principal")
    typer.echo(f"project: {d['name']} ({d['status']})")
    typer.echo(f"procedure: {d['procedure']}")
    typer.echo("principal: " + (f"{principal['number']} {principal['company']}"
                                if principal else "-"))
    if d.get("role"):
        typer.echo(f"your role: {d['role']}")
    for m in d.get("members", []):
        typer.echo(f"  member {m['email']} ({m['role']})")
    f = d.get("funnel")
    if f:
        typer.echo(f"preparing: {f['preparing']}  suspects: {f['suspects']}  prospects: "
                   f"{f['prospects']}  appointments: {f['appointments']}  closed: {f['closed']}")
        for reason, n in f["closed_by_reason"].items():
            typer.echo(f"  closed, {reason}: {n}")


@command(app, "create")
def project_create(
    c: Ctx,
    name: ProjectArg,
    procedure: Annotated[str, typer.Option("--procedure", help="The procedure it follows.")],
    principal: Annotated[str | None, typer.Option(
        "--principal", help="The opdrachtgever's relation number.", show_default=False)] = None,
) -> None:
    """Create a project that works its contacts through a procedure.

    Example: quickcrm project create "Acquisitie 2027" --procedure standaard --principal 000123
    """
    from quickcrm.procedures.projects import create_project

    rt = c.runtime()
    with rt.session() as s:
        data = create_project(session=s, actor=rt.actor, now=rt.clock.now(), name=name,
                              procedure=procedure, principal=principal)
    c.emit(data, lambda: _show(data, c.tz))


@command(member_app, "add")
def member_add(
    c: Ctx,
    project: ProjectArg,
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    role: Annotated[str, typer.Option("--role", help="The user's role in the project.")],
) -> None:
    """Make a user a member of a project with one role.

    Example: quickcrm project member add "Acquisitie 2027" m.devries@kantoor.example --role marketeer
    """
    from quickcrm.procedures.projects import add_member

    rt = c.runtime()
    with rt.session() as s:
        data = add_member(session=s, actor=rt.actor, now=rt.clock.now(), project=project,
                          email=email, role=role)
    c.emit(data, lambda: typer.echo(f"{data['member']} is {data['role']} in {data['project']!r}"))


@command(app, "list", listing=True)
def project_list(c: Ctx) -> None:
    """List the projects you may see, with their counts.

    Example: quickcrm project list --json
    """
    from quickcrm.procedures.projects import list_projects

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        rows = list_projects(session=s, actor=rt.actor)
    c.table(rows, ("Project", "Procedure", "Status", "Your role", "Preparing", "Suspects",
                   "Prospects", "Appointments", "Closed"),
            [[r["name"], r["procedure"], r["status"], r["role"] or "",
              *(r["contacts"][k] for k in ("preparing", "suspects", "prospects",
                                           "appointments", "closed"))] for r in rows])


@command(app, "show")
def project_show(c: Ctx, project: ProjectArg) -> None:
    """Show a project: procedure, principal, members and its funnel.

    Example: quickcrm project show "Acquisitie 2027" --json
    """
    from quickcrm.procedures.projects import show_project

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        data = show_project(session=s, actor=rt.actor, project=project)
    c.emit(data, lambda: _show(data, c.tz))


@command(app, "prospects", listing=True)
def project_prospects(
    c: Ctx,
    project: ProjectArg,
    actionable: Annotated[bool, typer.Option(
        "--actionable", help="Only contacts you may take a step with now.")] = False,
    closed: Annotated[bool, typer.Option("--closed", help="Closed contacts too.")] = False,
    preparing: Annotated[bool, typer.Option(
        "--preparing", help="Preparing contacts too (needs manage projects).")] = False,
    now: NowOpt = None,
) -> None:
    """List a project's running contacts: last step, by whom, when, and your next steps.

    Example: quickcrm project prospects "Acquisitie 2027" --actionable --as m.devries@kantoor.example
    """
    from quickcrm.procedures.working import list_prospects

    rt = c.runtime(now=now)
    with rt.session(read_only=True) as s:
        data = list_prospects(session=s, actor=rt.actor, project=project,
                              actionable=actionable, closed=closed, preparing=preparing)
    tz = c.tz
    c.table(data, ("Person", "Relation", "Company", "Contact", "E-mail", "Status",
                   "Last step", "By", "When", "You may"),
            [[r["person_id"], r["relation"], r["company"], r["name"], r["email"],
              r["status"] + (f" ({r['reason']})" if r["reason"] else ""),
              r["last_step"] or "", r["by"] or "", shown_time(r["at"], tz),
              ", ".join(r["may"])] for r in data["contacts"]],
            title=f"{data['project']}: {len(data['contacts'])} contacts")


@command(app, "release")
def project_release(
    c: Ctx,
    project: ProjectArg,
    all_: Annotated[bool, typer.Option("--all", help="Every preparing contact.")] = False,
    now: NowOpt = None,
) -> None:
    """Make the preparing contacts running: the marketeers see them from now on.

    Example: quickcrm project release "Acquisitie 2027" --all
    """
    from quickcrm.errors import InvalidInput
    from quickcrm.procedures.projects import release

    if not all_:
        raise InvalidInput("give --all to release every preparing contact (one contact: "
                           "quickcrm procedure status PROJECT CONTACT running)")
    rt = c.runtime(now=now)
    with rt.session() as s:
        data = release(session=s, actor=rt.actor, now=rt.clock.now(), project=project)
    c.emit(data, lambda: typer.echo(f"{data['released']} contacts of {data['project']!r} "
                                    "are running now"))


@command(app, "close")
def project_close(c: Ctx, project: ProjectArg, now: NowOpt = None) -> None:
    """Close a project: no step is taken in it any more.

    Example: quickcrm project close "Acquisitie 2027"
    """
    from quickcrm.procedures.projects import close_project

    rt = c.runtime(now=now)
    with rt.session() as s:
        data = close_project(session=s, actor=rt.actor, now=rt.clock.now(), project=project)
    c.emit(data, lambda: typer.echo(f"project {data['name']!r} closed"))


@command(importers, "suspects")
def import_suspects_cmd(
    c: Ctx,
    file: Annotated[Path, typer.Argument(help="A .xlsx or .csv file with the client columns.")],
    project: Annotated[str, typer.Option("--project", help="The project they join.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file; write nothing.")] = False,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Import the valid rows; report the others.")] = False,
) -> None:
    """Import suspects (companies and contact persons) into a project, as preparing.

    Example: quickcrm import suspects suspects.csv --project "Acquisitie 2027" --dry-run
    """
    from quickcrm.procedures.suspects import import_suspects

    rt = c.runtime()
    prefix = str(rt.settings["procedures.number_prefix"])
    with rt.session() as s, c.progress(f"importing {file.name}") as advance:
        result = import_suspects(session=s, actor=rt.actor, now=rt.clock.now(),
                                 project=project, path=file, prefix=prefix, dry_run=dry_run,
                                 skip_invalid=skip_invalid, progress=advance)
    for line in result.warnings + [str(p) for p in result.errors]:
        warn(line)
    more = result.error_count - len(result.errors)
    if more > 0:
        warn(f"... and {more} more problems")

    def human() -> None:
        prefix_ = "dry run, nothing written: " if dry_run else ""
        typer.echo(f"{prefix_}{result.created} created, {result.linked} linked, "
                   f"{result.rejected} rejected; {result.added} contacts added to "
                   f"{project!r} (preparing), {result.already} were in it already")

    c.emit(result.to_json(), human)
