"""`quickcrm demo`: the main job end to end on a fresh embedded database."""

from pathlib import Path
from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, command


def register(app: typer.Typer) -> None:
    """Add `demo` as a top-level command of ``app``."""

    @command(app, "demo", fresh_database=True)
    def demo(
        c: Ctx,
        dir: Annotated[Path, typer.Option(
            "--dir", file_okay=False,
            help="Directory for the demo database and its outbox; rebuilt on every run.")
        ] = Path("quickcrm-demo"),
    ) -> None:
        """Run a whole collective action on a fresh demo database built from the sample data.

        With --db the story runs on that database instead (it must be empty; SQLite or
        PostgreSQL); the outbox and documents still go to --dir.

        Example: quickcrm demo --dir /tmp/quickcrm-demo
        """
        from quickcrm.demo import run_demo
        from quickcrm.store.db import database_name

        report = run_demo(directory=dir, config=c.config, progress=c.progress,
                          database_url=c.db)

        def human() -> None:
            shown = database_name(c.db) if c.db else report.directory / "quickcrm.db"
            typer.echo(f"demo database: {shown}")
            for step in report.steps:
                for line in step.lines:
                    typer.echo(line)

        c.emit(report.to_json(), human)
