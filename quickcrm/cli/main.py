"""The `quickcrm` command: registers the command groups; imports nothing heavy."""

from typing import Annotated

import typer

from quickcrm.cli import (
    bounces,
    campaign,
    clients,
    config,
    db,
    demo,
    exclude,
    export,
    faces,
    importing,
    landing,
    quickscan,
    sample,
    user,
)
from quickcrm.cli import daemon as daemon_cli
from quickcrm.cli import mail as mail_cli
from quickcrm.cli import report as report_cli
from quickcrm.cli import select as select_cli
from quickcrm.cli import send as send_cli
from quickcrm.cli import serve as serve_cli

app = typer.Typer(
    name="quickcrm",
    help="QuickCRM: a command-line CRM toolkit for Dutch accountancy and advisory firms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)



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


app.add_typer(user.app, name="user")
app.add_typer(quickscan.app, name="quickscan")
app.add_typer(faces.app, name="faces")
app.add_typer(config.app, name="config")
app.add_typer(db.app, name="db")
app.add_typer(importing.app, name="import")
app.add_typer(export.app, name="export")
app.add_typer(clients.app, name="clients")
app.add_typer(sample.app, name="sample")
demo.register(app)
app.add_typer(campaign.app, name="campaign")
app.add_typer(bounces.app, name="bounces")
app.add_typer(landing.app, name="landing")
select_cli.register(app)
exclude.register(app)
send_cli.register(app)
report_cli.register(app)
serve_cli.register(app)

app.add_typer(mail_cli.app, name="outbox")
daemon_cli.register(app)


def main() -> None:
    app()
