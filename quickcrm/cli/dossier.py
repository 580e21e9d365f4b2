"""`quickcrm dossier …`: dossiers with their applicants and products (seed 001), and
`quickcrm import dossiers`."""

from pathlib import Path
from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, command, console, shown_time, warn

app = typer.Typer(help="Dossiers: applicants and products.", no_args_is_help=True)
product_app = typer.Typer(help="Products of a dossier.", no_args_is_help=True)
app.add_typer(product_app, name="product")
importers = typer.Typer()
Number = Annotated[str, typer.Argument(help="Dossier number.")]


@command(app, "create")
def dossier_create(
    c: Ctx,
    person: Annotated[list[int] | None, typer.Option(
        "--person", help="A known applicant (person id); repeat for more.", show_default=False)] = None,
    first_name: Annotated[str | None, typer.Option(
        "--first-name", help="A new applicant's first name.", show_default=False)] = None,
    last_name: Annotated[str | None, typer.Option(
        "--last-name", help="A new applicant's last name.", show_default=False)] = None,
    email: Annotated[str | None, typer.Option("--email", show_default=False,
                                              help="The new applicant's e-mail.")] = None,
    date_of_birth: Annotated[str | None, typer.Option(
        "--date-of-birth", show_default=False, help="The new applicant's birth date.")] = None,
    number: Annotated[str | None, typer.Option("--number", help="Dossier number (default next free).",
                                               show_default=False)] = None,
    product: Annotated[list[str] | None, typer.Option(
        "--product", help="TYPE[:STATUS]; repeat for more.", show_default=False)] = None,
    new: Annotated[bool, typer.Option("--new", help="Add the new applicant even when a likely "
                                                    "duplicate exists.")] = False,
    use_existing: Annotated[int | None, typer.Option(
        "--use-existing", help="Use this known person for the new applicant (fills empty fields).",
        show_default=False)] = None,
) -> None:
    """Open a dossier for known persons and/or a new one (added to the CRM with it).

    Example: quickcrm dossier create --person 12 --product hypotheek:aangevraagd
    """
    from quickcrm.crm.dossiers import NewApplicant, create_dossier
    from quickcrm.crm.persons import PersonData

    news = []
    if first_name or last_name or use_existing is not None:
        news.append(NewApplicant(PersonData(first_name=first_name, last_name=last_name,
                                            email=email, date_of_birth=date_of_birth),
                                 new=new, use_existing=use_existing))
    rt = c.runtime()
    with rt.session() as s:
        dossier = create_dossier(session=s, actor=rt.actor, now=rt.clock.now(),
                                 person_ids=list(person or []), new_persons=news, number=number,
                                 products=list(product or []))
        made = dossier.number
    c.emit({"number": made}, lambda: typer.echo(f"dossier {made} created"))


@command(app, "show")
def dossier_show(c: Ctx, number: Number) -> None:
    """A dossier: applicants (with show-in-dossier indicators), products and the
    applicants' show-in-dossier notes.

    Example: quickcrm dossier show D000001
    """
    from quickcrm.privacy.reading import read_dossier

    rt = c.runtime()
    with rt.session() as s:  # need to know (issue 29): a read is recorded
        data = read_dossier(session=s, actor=rt.actor, now=rt.clock.now(), settings=rt.settings,
                            number=number)

    def human() -> None:
        con = console()
        state = "gesloten" if data["closed_at"] else "open"
        con.print(f"[bold]Dossier {data['number']}[/bold]  {shown_time(data['created_at'], c.tz)} "
                  f"({state})", highlight=False)
        for a in data["applicants"]:
            extra = f"  [{', '.join(a['indicators'])}]" if a["indicators"] else ""
            con.print(f"  aanvrager {a['id']}: {a['name']} {a['email']}{extra}",
                      highlight=False, markup=False)
        for p in data["products"]:
            con.print(f"  product: {p['type']} {p['status']}", highlight=False, markup=False)
        for n in data["notes"]:
            con.print(f"  notitie: {n['title']}: {n['text']}", style="bold red" if n["priority"]
                      else "", highlight=False, markup=False)
        if data.get("hidden"):
            con.print(data["hidden"]["line"], highlight=False, markup=False)

    c.emit(data, human)


@command(app, "list", listing=True)
def dossier_list(c: Ctx, person: Annotated[int | None, typer.Option(
        "--person", help="Only this person's dossiers.", show_default=False)] = None) -> None:
    """List dossiers, newest first.

    Example: quickcrm dossier list --person 12
    """
    from quickcrm.crm.dossiers import list_dossiers

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        rows = list_dossiers(session=s, person_id=person)
    c.table(rows, ["Dossier", "Aangemaakt", "Gesloten", "Aanvragers", "Producten"],
            [[r["number"], shown_time(r["created_at"], c.tz), "ja" if r["closed"] else "",
              ", ".join(r["applicants"]), ", ".join(p["type"] for p in r["products"])]
             for r in rows])


@command(product_app, "add")
def dossier_product_add(c: Ctx, number: Number,
                        product: Annotated[str, typer.Argument(help="TYPE[:STATUS].")]) -> None:
    """Add a product to a dossier.

    Example: quickcrm dossier product add D000001 woonlastenverzekering:offerte
    """
    from quickcrm.crm.dossiers import add_product

    rt = c.runtime()
    with rt.session() as s:
        add_product(session=s, actor=rt.actor, now=rt.clock.now(), number=number, product=product)
    c.emit({"number": number, "product": product},
           lambda: typer.echo(f"product {product} added to {number}"))


@command(app, "close")
def dossier_close(c: Ctx, number: Number) -> None:
    """Close a dossier (it becomes an old dossier).

    Example: quickcrm dossier close D000001
    """
    from quickcrm.crm.dossiers import close_dossier

    rt = c.runtime()
    with rt.session() as s:
        close_dossier(session=s, actor=rt.actor, now=rt.clock.now(), number=number)
    c.emit({"number": number, "closed": True}, lambda: typer.echo(f"dossier {number} closed"))


@command(importers, "dossiers")
def import_dossiers_cmd(c: Ctx, file: Annotated[Path, typer.Argument(
        help="A .xlsx or .csv: Dossiernummer, the person columns, Product, Status.")]) -> None:
    """Import dossiers (one row per applicant): unknown persons are created, known ones
    get only their empty fields filled.

    Example: quickcrm import dossiers dossiers.xlsx
    """
    from quickcrm.crm.dossiers import import_dossiers

    rt = c.runtime()
    with rt.session() as s, c.progress(f"importing {file.name}") as advance:
        result = import_dossiers(session=s, actor=rt.actor, now=rt.clock.now(), path=file,
                                 progress=advance)
    for line in result.warnings:
        warn(line)
    c.emit(result.to_json(), lambda: typer.echo(
        f"{result.dossiers} dossiers created, {result.persons_created} persons created, "
        f"{result.persons_filled} filled"))
