"""`quickcrm import clients`: the crm area's importer. Every area's ``importers`` Typer
shares the one `import` group (``cli/main.py``; declared in the area's ``importers``)."""

from pathlib import Path
from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, command, warn

importers = typer.Typer()


@command(importers, "clients")
def import_clients_cmd(
    c: Ctx,
    file: Annotated[Path, typer.Argument(help="A .xlsx or .csv file with the client columns.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file; write nothing.")] = False,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Import the valid rows; put the others in a rejects file.")] = False,
    rejects: Annotated[Path | None, typer.Option(
        help="Rejects file (default NAME.rejects.csv next to FILE).", show_default=False)] = None,
) -> None:
    """Import or update clients (upsert by relation number); all or nothing unless --skip-invalid.

    Example: quickcrm import clients klanten.xlsx --dry-run
    """
    from quickcrm.crm.importer import import_clients

    rt = c.runtime()
    actor = rt.actor
    with rt.session() as s, c.progress(f"importing {file.name}") as advance:
        result = import_clients(session=s, actor=actor, now=rt.clock.now(), path=file,
                                dry_run=dry_run, skip_invalid=skip_invalid,
                                rejects_path=rejects, progress=advance)
    for line in result.warnings + result.error_lines():
        warn(line)

    def human() -> None:
        prefix = "dry run, nothing written: " if dry_run else ""
        typer.echo(f"{prefix}{result.created} created, {result.updated} updated, "
                   f"{result.unchanged} unchanged, {result.rejected} rejected")
        if result.rejected and result.rejects_path is not None:
            typer.echo(f"rejected rows written to {result.rejects_path}")

    c.emit(result.to_json(), human)
