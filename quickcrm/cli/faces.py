"""`quickcrm faces compute|set|show` and `quickcrm import faces`: Happy Faces."""

from pathlib import Path
from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, command, console

app = typer.Typer(help="Happy Faces per client per QuickScan: compute, set, show.",
                  no_args_is_help=True)
importers = typer.Typer()  # `quickcrm import faces` (the campaigns area's importer)

QsOpt = Annotated[str, typer.Option("--quickscan", "-q", help="The QuickScan's key.")]
FaceOpt = Annotated[str | None, typer.Option(
    help="1/Positief, 2/Neutraal or 3/Negatief.", show_default=False)]


@command(app, "compute")
def faces_compute(
    c: Ctx,
    quickscan: Annotated[str | None, typer.Option(
        "--quickscan", "-q", help="Only this QuickScan (default: all).")] = None,
) -> None:
    """Compute profile faces from the QuickScan's rule table (keeps newer imported faces).

    Example: quickcrm faces compute --quickscan bedrijfsopvolging
    """
    from quickcrm.campaigns.face_service import compute_faces

    rt = c.runtime()
    with rt.session() as s:
        out = compute_faces(session=s, actor=rt.actor, now=rt.clock.now(), quickscan=quickscan)

    def human() -> None:
        for o in out:
            m = o["missing"]
            typer.echo(f"{o['quickscan']}: {o['written']} profile faces written; of "
                       f"{m['clients']} clients, missing (count as neutral): profile "
                       f"{m['profile']}, update {m['update']}, rm {m['rm']}")

    c.emit(out, human)


@command(app, "set")
def faces_set(
    c: Ctx,
    relation_number: Annotated[str, typer.Argument(help="The client's relation number.")],
    quickscan: QsOpt,
    profile: FaceOpt = None,
    update: FaceOpt = None,
    rm: FaceOpt = None,
) -> None:
    """Set a client's faces (a relationship manager: only for their own clients).

    Example: quickcrm faces set 000123 --quickscan bedrijfsopvolging --rm Negatief
    """
    from quickcrm.campaigns.face_service import set_faces

    rt = c.runtime()
    with rt.session() as s:
        data = set_faces(session=s, actor=rt.actor, now=rt.clock.now(),
                         relation_number=relation_number, quickscan=quickscan,
                         faces={"profile": profile, "update": update, "rm": rm}, tz=c.tz)
    c.emit(data, lambda: print_faces(data))


@command(app, "show")
def faces_show(
    c: Ctx,
    relation_number: Annotated[str, typer.Argument(help="The client's relation number.")],
    quickscan: Annotated[str | None, typer.Option(
        "--quickscan", "-q", help="Only this QuickScan (default: all).")] = None,
) -> None:
    """Show a client's faces in colour: green positive, blue neutral, red negative.

    Example: quickcrm faces show 000123
    """
    from quickcrm.campaigns.face_service import show_faces

    rt = c.runtime()
    with rt.session() as s:
        data = show_faces(session=s, relation_number=relation_number, quickscan=quickscan,
                          now=rt.clock.now(), tz=c.tz)
        s.commit()
    c.emit(data, lambda: print_faces(data))


def faces_table(data: dict[str, Any]) -> Any:
    """A rich table of a client's faces in the seed's colours, under the headers of the
    faces file it mirrors (``import faces``)."""
    from rich.table import Table

    from quickcrm.campaigns.faces import markup

    table = Table("QuickScan", "Volgens profiel", "Volgens update", "Volgens relatiemanager",
                  "Datum verzonden",
                  title=f"{data['relation_number']} {data['company']}".strip())
    for row in data["faces"]:
        received = row["received_on"].isoformat() if row["received_on"] else ""
        table.add_row(row["quickscan"], markup(row["profile"]), markup(row["update"]),
                      markup(row["rm"]), received)
    return table


def print_faces(data: dict[str, Any]) -> None:
    console().print(faces_table(data), highlight=False)


@command(importers, "faces")
def import_faces(
    c: Ctx,
    file: Annotated[Path, typer.Argument(help="A .xlsx or .csv file.")],
    quickscan: QsOpt,
) -> None:
    """Import Happy Faces ("Volgens profiel/update/relatiemanager", "Datum verzonden").

    Example: quickcrm import faces faces.xlsx --quickscan bedrijfsopvolging
    """
    from quickcrm.campaigns.faces_import import import_faces as run

    rt = c.runtime()
    with rt.session() as s, c.progress("importing faces") as advance:
        result = run(session=s, actor=rt.actor, now=rt.clock.now(), path=file,
                     quickscan=quickscan, tz=rt.settings.timezone, progress=advance)
    for warning in result.warnings:
        typer.echo(warning, err=True)
    data = {k: v for k, v in vars(result).items() if k != "warnings"}
    c.emit(data, lambda: typer.echo(
        f"{result.rows} rows for {result.quickscan}: profile {result.profile}, update "
        f"{result.update}, relationship manager {result.rm}, received {result.received}"))
