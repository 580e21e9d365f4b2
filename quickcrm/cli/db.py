"""`quickcrm db upgrade|status|copy|backup|restore`: the database, for operators."""

from pathlib import Path
from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, command

app = typer.Typer(help="Database schema migrations, copies and backups.", no_args_is_help=True)


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


# operations (issue 30): copy, backup, restore
@command(app, "copy")
def db_copy(
    c: Ctx,
    target: Annotated[str, typer.Argument(
        help="URL of the empty database to copy into (sqlite:///FILE or postgresql+psycopg://...).",
        show_default=False)],
    batch: Annotated[int, typer.Option("--batch", help="Rows per batch.")] = 5000,
) -> None:
    """Copy the configured database into an empty one (SQLite <-> PostgreSQL), every table.

    The target is migrated to head first; one holding any rows is refused. Afterwards
    PostgreSQL's sequences are reset and the row counts of both sides compared.

    Example: quickcrm db copy postgresql+psycopg://crm@dbhost/crm --db sqlite:///quickcrm.db
    """
    from quickcrm.ops.copy import copy_database

    rt = c.runtime()
    assert c.checked is not None
    result = copy_database(actor=c.checked, source_url=rt.settings.database_url,
                           target_url=target, batch=batch, progress=c.progress)

    def human() -> None:
        from quickcrm.cli.output import print_table

        print_table(["table", "source", "target"],
                    [(name, s, t) for name, (s, t) in result.counts.items()])
        typer.echo(f"copied {result.rows} rows of {len(result.counts)} tables from "
                   f"{result.source} to {result.target}; row counts equal")

    c.emit(result.to_json(), human)


ForceOpt = Annotated[bool, typer.Option("--force", help="Replace what is there.")]


@command(app, "backup")
def db_backup(
    c: Ctx,
    file: Annotated[Path, typer.Argument(help="The backup file to write.", dir_okay=False,
                                         show_default=False)],
    force: ForceOpt = False,
) -> None:
    """Back up the SQLite database into FILE, consistent while the daemon writes.

    PostgreSQL: prints the pg_dump line to use and exits 1.

    Example: quickcrm db backup /var/backups/quickcrm-$(date +%F).db
    """
    from quickcrm.ops.backup import backup

    rt = c.runtime()
    assert c.checked is not None
    result = backup(actor=c.checked, url=rt.settings.database_url, file=file, force=force)
    c.emit(result.to_json(), lambda: typer.echo(
        f"backed up {result.database} into {result.file}: {result.rows} rows, "
        f"{result.bytes} bytes, revision {result.revision}"))


@command(app, "restore")
def db_restore(
    c: Ctx,
    file: Annotated[Path, typer.Argument(help="A backup made by `quickcrm db backup`.",
                                         dir_okay=False, show_default=False)],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a database that holds rows.")] = False,
) -> None:
    """Restore the SQLite database from a backup FILE (refused over rows without --force).

    PostgreSQL: prints the pg_restore line to use and exits 1.

    Example: quickcrm db restore /var/backups/quickcrm-2027-04-05.db --db sqlite:///quickcrm.db
    """
    from quickcrm.ops.backup import restore

    rt = c.runtime()
    assert c.checked is not None
    result = restore(actor=c.checked, url=rt.settings.database_url, file=file, force=force)
    c.emit(result.to_json(), lambda: typer.echo(
        f"restored {result.database} from {result.file}: {result.rows} rows, revision "
        f"{result.revision} (migrated to head when next opened)"))
