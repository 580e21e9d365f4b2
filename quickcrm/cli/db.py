"""`quickcrm db upgrade|status`: schema migrations for operators."""

import typer

from quickcrm.cli.common import Ctx, command

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@command(app, "upgrade")
def db_upgrade(c: Ctx) -> None:
    """Apply pending migrations (also done automatically whenever a database is opened).

    Example: quickcrm db upgrade --db postgresql+psycopg://crm@dbhost/crm
    """
    from quickcrm.store.db import make_engine
    from quickcrm.store.migrate import current_revision, head_revision, upgrade

    rt = c.runtime()
    engine = make_engine(rt.settings.database_url, migrate=False)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    c.emit({"from": before, "to": after, "head": head_revision()},
           lambda: typer.echo(f"database at revision {after} (was {before or 'empty'})"))


@command(app, "status")
def db_status(c: Ctx) -> None:
    """Show the database's schema revision and the newest one this QuickCRM knows.

    Example: quickcrm db status --json
    """
    from quickcrm.store.db import make_engine
    from quickcrm.store.migrate import current_revision, head_revision

    rt = c.runtime()
    engine = make_engine(rt.settings.database_url, migrate=False)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    c.emit({"current": current, "head": head_revision()},
           lambda: typer.echo(f"current {current or 'empty'}, head {head_revision()}"))
