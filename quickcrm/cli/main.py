"""The `quickcrm` command: every area's command groups, commands and importers (read from
``quickcrm.areas``), plus the entry points' own (config, db, demo, serve, daemon).
Imports nothing heavy: the declarations name modules, and the command modules import
their services inside each command."""

import importlib
from typing import Annotated

import typer

from quickcrm.areas import declared
from quickcrm.cli import config, db, demo
from quickcrm.cli import daemon as daemon_cli
from quickcrm.cli import doctor as doctor_cli
from quickcrm.cli import serve as serve_cli

app = typer.Typer(
    name="quickcrm",
    help="QuickCRM: a command-line CRM toolkit for Dutch accountancy and advisory firms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
import_app = typer.Typer(help="Import clients and other data from .xlsx or .csv files.",
                         no_args_is_help=True)
ROOT_GROUPS = {"config": config.app, "db": db.app, "import": import_app}


def _print_version(wanted: bool) -> None:
    if wanted:
        from quickcrm import __version__

        typer.echo(f"quickcrm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print QuickCRM's version and exit.")] = False,
) -> None:
    """QuickCRM: a command-line CRM toolkit for Dutch accountancy and advisory firms."""


def _add_areas(app: typer.Typer) -> None:
    """Each area's groups and top-level commands, and its importers under `import`."""
    for area in declared():
        for name, module in area.groups.items():
            if name in ROOT_GROUPS:
                raise ValueError(f"area {area.name!r}: command group {name!r} is taken")
            app.add_typer(importlib.import_module(module).app, name=name)
        for module in area.commands:
            importlib.import_module(module).register(app)
        for module in area.importers:
            import_app.add_typer(importlib.import_module(module).importers)


demo.register(app)
_add_areas(app)
for _name, _group in ROOT_GROUPS.items():
    app.add_typer(_group, name=_name)
serve_cli.register(app)
daemon_cli.register(app)
doctor_cli.register(app)  # operations (issue 30)


def main() -> None:
    import os

    # QuickCRM uses no pydantic plugins; looking for them scans every installed
    # package's metadata when the first model class is built (~40 ms of each start-up)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()
