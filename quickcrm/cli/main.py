"""The `quickcrm` command: registers the command groups; imports nothing heavy."""

import typer

from quickcrm.cli import config, db, user

app = typer.Typer(
    name="quickcrm",
    help="QuickCRM: a command-line CRM toolkit for Dutch accountancy and advisory firms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.add_typer(user.app, name="user")
app.add_typer(config.app, name="config")
app.add_typer(db.app, name="db")


def main() -> None:
    app()
