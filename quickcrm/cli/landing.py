"""`quickcrm landing create|list|show|close|report`: landing pages for prospects."""

from pathlib import Path
from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, command

app = typer.Typer(help="Public landing pages that turn visitors into prospects.",
                  no_args_is_help=True)

SlugArg = Annotated[str, typer.Argument(help="The page's slug: its address is /l/SLUG.")]


def _show(d: dict[str, Any]) -> None:
    for key in ("slug", "url", "quickscan", "title", "team", "rm", "status"):
        typer.echo(f"{key:>14}: {d.get(key) or '-'}")
    for key in ("visits", "started", "completed", "confirmed", "new_prospects"):
        if key in d:
            typer.echo(f"{key:>14}: {d[key]}")


@command(app, "create")
def landing_create(
    c: Ctx,
    quickscan: Annotated[str, typer.Argument(help="The QuickScan's key.")],
    slug: Annotated[str, typer.Option("--slug", help="Address part: /l/SLUG.")],
    team: Annotated[str | None, typer.Option("--team", help="Team of new prospects.")] = None,
    rm: Annotated[str | None, typer.Option(
        "--rm", help="E-mail of the relationship manager of new prospects.")] = None,
    title: Annotated[str | None, typer.Option(
        "--title", help="Page title (default: the QuickScan's).")] = None,
    intro: Annotated[str | None, typer.Option(
        "--intro", help="Introduction text (default: the QuickScan's).")] = None,
) -> None:
    """Create a public landing page for a QuickScan.

    Example: quickcrm landing create bedrijfsopvolging --slug opvolging --rm rm@firma.nl
    """
    from quickcrm import branding
    from quickcrm.landing.service import create_page

    rt = c.runtime()
    brand = branding.from_settings(rt.settings)
    with rt.session() as s:
        page = create_page(session=s, actor=rt.actor, now=rt.clock.now(), quickscan=quickscan,
                           slug=slug, team=team, rm=rm, title=title, intro=intro, brand=brand)
    page["url"] = f"{rt.settings.base_url}{page['url']}"
    c.emit(page, lambda: _show(page))


@command(app, "list", listing=True)
def landing_list(c: Ctx) -> None:
    """List the landing pages with their counts.

    Example: quickcrm landing list --json
    """
    from quickcrm.landing.service import list_pages

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        rows = list_pages(session=s, base_url=rt.settings.base_url)
    keys = ("slug", "quickscan", "status", "visits", "started", "completed", "confirmed",
            "new_prospects")
    c.table(rows, ("Slug", "QuickScan", "Status", "Visits", "Started", "Completed",
                   "Confirmed", "New prospects"), [[r[k] for k in keys] for r in rows])


@command(app, "show")
def landing_show(c: Ctx, slug: SlugArg) -> None:
    """Show one landing page: address, QuickScan, team, RM, status and counts.

    Example: quickcrm landing show opvolging
    """
    from quickcrm.landing.service import show_page

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        page = show_page(session=s, slug=slug, base_url=rt.settings.base_url)
    c.emit(page, lambda: _show(page))


@command(app, "close")
def landing_close(c: Ctx, slug: SlugArg) -> None:
    """Close a landing page; visitors then see a polite closed message.

    Example: quickcrm landing close opvolging
    """
    from quickcrm.landing.service import close_page

    rt = c.runtime()
    with rt.session() as s:
        page = close_page(session=s, actor=rt.actor, now=rt.clock.now(), slug=slug)
    c.emit(page, lambda: typer.echo(f"closed {page['slug']}"))


@command(app, "report")
def landing_report(
    c: Ctx,
    slug: SlugArg,
    excel: Annotated[Path | None, typer.Option(
        "--excel", help="Write the answers to this .xlsx.")] = None,
) -> None:
    """Visits, started, completed, confirmed, new prospects, and the answers.

    Example: quickcrm landing report opvolging --excel opvolging.xlsx
    """
    from quickcrm.landing.service import export_excel, report

    rt = c.runtime()
    with rt.session(read_only=True) as s:
        data = report(session=s, actor=rt.actor, slug=slug, tz=rt.settings.timezone)
    if excel is not None:
        data["excel"] = str(excel)
        data["rows"] = export_excel(data, excel)

    def human() -> None:
        _show(data)
        if excel is not None:
            typer.echo(f"{'excel':>14}: {excel} ({data['rows']} rows)")

    c.emit(data, human)
