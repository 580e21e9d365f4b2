"""`quickcrm clients list|show|count`: read clients, filtered on the segmentation fields."""

from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, command, console

app = typer.Typer(help="List, show and count clients.", no_args_is_help=True)


def _opt(name: str, what: str) -> Any:
    return typer.Option(name, help=f"Only clients with this {what}; repeat for more (OR).",
                        show_default=False, rich_help_panel="Filters")


Team = Annotated[list[str] | None, _opt("--team", "team")]
Rm = Annotated[list[str] | None, _opt("--rm", "relationship manager (e-mail)")]
Industry = Annotated[list[str] | None, _opt("--industry", "industry (code or label)")]
Size = Annotated[list[str] | None, _opt("--size", "size (code or label)")]
Ownership = Annotated[list[str] | None, _opt("--ownership", "ownership (code or label)")]
ClientGroup = Annotated[list[str] | None, _opt("--client-group", "client group (code or label)")]
LifeCycle = Annotated[list[str] | None, _opt("--life-cycle", "life cycle (code or label)")]
EntrepreneurType = Annotated[list[str] | None,
                             _opt("--entrepreneur-type", "entrepreneur type (code or label)")]
Stage = Annotated[list[str] | None, _opt("--stage", "stage (suspect, prospect, klant, ex-klant)")]
City = Annotated[list[str] | None, _opt("--city", "city")]


def make_filters(**values: list[str] | None) -> Any:
    """A ClientFilters from the filter options (``None`` means not given)."""
    from quickcrm.crm.clients import ClientFilters

    return ClientFilters(**{k: list(v or []) for k, v in values.items()})


# The columns `clients list` shows, by their field in the client file (crm.columns).
LIST_FIELDS = ("relation_number", "company", "city", "team", "rm_email", "industry", "size",
               "ownership", "client_group", "stage")


@command(app, "list", listing=True)
def clients_list(
    c: Ctx, team: Team = None, rm: Rm = None, industry: Industry = None, size: Size = None,
    ownership: Ownership = None, client_group: ClientGroup = None, life_cycle: LifeCycle = None,
    entrepreneur_type: EntrepreneurType = None, stage: Stage = None, city: City = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many.")] = None,
) -> None:
    """List clients, filtered on team, relationship manager and segments.

    The columns are the client file's, with its Dutch headers and values.

    Example: quickcrm clients list --team Zwolle --industry Handel --industry 8 --size Groot
    """
    from quickcrm.crm.clients import list_clients
    from quickcrm.crm.columns import CLIENT_COLUMNS
    from quickcrm.crm.exporter import client_cells

    filters = make_filters(team=team, rm=rm, industry=industry, size=size, ownership=ownership,
                           client_group=client_group, life_cycle=life_cycle,
                           entrepreneur_type=entrepreneur_type, stage=stage, city=city)
    rt = c.runtime()
    _ = rt.actor
    with rt.connection() as conn:
        clients = list_clients(conn=conn, filters=filters, limit=limit)

    fields = [col.field for col in CLIENT_COLUMNS]
    shown = [fields.index(f) for f in LIST_FIELDS]
    rows = [[cells[i] for i in shown] for cells in map(client_cells, clients)]
    c.table(clients, [CLIENT_COLUMNS[i].header for i in shown], rows)


@command(app, "show")
def clients_show(c: Ctx, number: Annotated[str, typer.Argument(help="Relation number.")]) -> None:
    """Show one client with its campaign contact and relationship manager.

    Example: quickcrm clients show 000123
    """
    from quickcrm.crm.clients import get_client
    from quickcrm.crm.columns import CLIENT_COLUMNS
    from quickcrm.crm.exporter import client_cells

    rt = c.runtime()
    _ = rt.actor
    with rt.connection() as conn:
        client = get_client(conn=conn, number=number)

    def human() -> None:
        con = console()
        for col, cell in zip(CLIENT_COLUMNS, client_cells(client), strict=True):
            con.print(f"[bold]{col.header:>26}[/bold]  {cell or '-'}", highlight=False)

    c.emit(client, human)


@command(app, "count")
def clients_count(
    c: Ctx, team: Team = None, rm: Rm = None, industry: Industry = None, size: Size = None,
    ownership: Ownership = None, client_group: ClientGroup = None, life_cycle: LifeCycle = None,
    entrepreneur_type: EntrepreneurType = None, stage: Stage = None, city: City = None,
) -> None:
    """Count clients matching the filters.

    Example: quickcrm clients count --rm r.meer@kantoor.example --json
    """
    from quickcrm.crm.clients import count_clients

    filters = make_filters(team=team, rm=rm, industry=industry, size=size, ownership=ownership,
                           client_group=client_group, life_cycle=life_cycle,
                           entrepreneur_type=entrepreneur_type, stage=stage, city=city)
    rt = c.runtime()
    _ = rt.actor
    with rt.connection() as conn:
        n = count_clients(conn=conn, filters=filters)
    c.emit({"count": n}, lambda: typer.echo(n))


@command(app, "add")
def clients_add(
    c: Ctx, number: Annotated[str, typer.Argument(help="Relation number.")],
    company: Annotated[str, typer.Option("--company", help="Company name.")],
    city: Annotated[str, typer.Option("--city", help="City.")] = "",
    stage: Annotated[str, typer.Option(help="suspect, prospect, klant or ex-klant.")] = "klant",
) -> None:
    """Add one relation by hand ("een relatie toevoegen"; issue 26).

    Example: quickcrm clients add 000777 --company "Bakkerij De Korrel" --city Zwolle
    """
    from quickcrm.crm.persons import add_relation

    rt = c.runtime()
    with rt.session() as s:
        relation = add_relation(session=s, actor=rt.actor, now=rt.clock.now(), number=number,
                                company=company, city=city, stage=stage)
        data = {"id": relation.id, "number": relation.number}
    c.emit(data, lambda: typer.echo(f"relation {number} added"))
