"""`quickcrm demo`: the main job end to end on a fresh embedded database."""

from pathlib import Path
from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, command, fail


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

        Example: quickcrm demo --dir /tmp/quickcrm-demo
        """
        from quickcrm.demo import run_demo

        if c.db:
            fail("the demo builds its own database in --dir; --db is not used")
        report = run_demo(directory=dir, config=c.config, progress=c.progress)

        def human() -> None:
            typer.echo(f"demo database: {report.directory / 'quickcrm.db'}")
            for step in report.steps:
                for line in step.lines:
                    typer.echo(line)

        c.emit(report.to_json(), human)
