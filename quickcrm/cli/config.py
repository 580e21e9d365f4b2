"""`quickcrm config show`: the effective settings, secrets masked."""

import typer

from quickcrm.cli.common import Ctx, command, console

app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)


@command(app, "show")
def config_show(c: Ctx) -> None:
    """Print the effective settings and where each came from; passwords are masked.

    Example: quickcrm config show --config /etc/quickcrm.toml
    """
    from rich.table import Table

    settings = c.runtime().settings
    values = settings.masked()
    if c.json:
        c.emit({"config_file": str(settings.config_path) if settings.config_path else None,
                "settings": values, "sources": settings.sources})
        return
    table = Table("Setting", "Value", "From")
    for name, value in values.items():
        table.add_row(name, str(value), settings.sources[name])
    console().print(table)
