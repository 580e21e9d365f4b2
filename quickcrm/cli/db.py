"""`quickcrm db upgrade|status`: schema migrations for operators."""

import typer

from quickcrm.cli.common import Ctx, command

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@command(app, "upgrade")
def db_upgrade(c: Ctx) -> None:
    """Apply pending migrations (also done automatically whenever a database is opened).

    Example: quickcrm db upgrade --db postgresql+psycopg://crm@dbhost/crm
    """
    from quickcrm.store.migrate import head_revision, upgrade_database

    rt = c.runtime()
    assert c.checked is not None  # the acting user, checked before any command runs
    before, after = upgrade_database(actor=c.checked, url=rt.settings.database_url,
                                     note=rt.note)
    c.emit({"from": before, "to": after, "head": head_revision()},
           lambda: typer.echo(f"database at revision {after} (was {before or 'empty'})"))


@command(app, "status")
def db_status(c: Ctx) -> None:
    """Show the database's schema revision and the newest one this QuickCRM knows.

    Example: quickcrm db status --json
    """
    from quickcrm.store.db import connect_existing
    from quickcrm.store.migrate import current_revision, head_revision

    rt = c.runtime()
    with connect_existing(rt.settings.database_url) as conn:
        current = current_revision(conn) if conn is not None else None
    c.emit({"current": current, "head": head_revision()},
           lambda: typer.echo(f"current {current or 'empty'}, head {head_revision()}"))
