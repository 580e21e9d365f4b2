"""The `quickcrm` command: registers the command groups; imports nothing heavy."""

import typer

from quickcrm.cli import clients, config, db, demo, export, importing, sample, user
from quickcrm.cli import faces, quickscan

app = typer.Typer(
    name="quickcrm",
    help="QuickCRM: a command-line CRM toolkit for Dutch accountancy and advisory firms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

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


def main() -> None:
    app()
