"""`quickcrm export clients OUT`: the client file, as .xlsx or .csv."""

from pathlib import Path
from typing import Annotated

import typer

from quickcrm.cli.clients import (
    City,
    ClientGroup,
    EntrepreneurType,
    Industry,
    LifeCycle,
    Ownership,
    Rm,
    Size,
    Stage,
    Team,
    make_filters,
)
from quickcrm.cli.common import Ctx, command

app = typer.Typer(help="Export data to spreadsheets.", no_args_is_help=True)


@command(app, "clients")
def export_clients_cmd(
    c: Ctx,
    out: Annotated[Path, typer.Argument(help="Output file: .xlsx or .csv (; separated).")],
    team: Team = None, rm: Rm = None, industry: Industry = None, size: Size = None,
    ownership: Ownership = None, client_group: ClientGroup = None, life_cycle: LifeCycle = None,
    entrepreneur_type: EntrepreneurType = None, stage: Stage = None, city: City = None,
) -> None:
    """Export clients with the import's headers, so the file imports again unchanged.

    Example: quickcrm export clients klanten.xlsx --team Zwolle
    """
    from quickcrm.crm.exporter import export_clients

    filters = make_filters(team=team, rm=rm, industry=industry, size=size, ownership=ownership,
                           client_group=client_group, life_cycle=life_cycle,
                           entrepreneur_type=entrepreneur_type, stage=stage, city=city)
    rt = c.runtime()
    _ = rt.actor
    with rt.session(read_only=True) as s:
        n = export_clients(session=s, path=out, filters=filters)
    c.emit({"exported": n, "file": str(out)}, lambda: typer.echo(f"exported {n} clients to {out}"))
