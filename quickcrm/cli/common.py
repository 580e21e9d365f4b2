"""What every command shares: ``--as``, ``--db``, ``--config``, ``--json``, the error
handler that turns a named service exception into one line on stderr and exit 1, and
output helpers (JSON on stdout, progress and warnings on stderr)."""

import functools
import inspect
import json
import sys
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

if typing.TYPE_CHECKING:
    from quickcrm.bootstrap import Runtime
    from quickcrm.permissions import Actor

AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Act as this user (e-mail); default QUICKCRM_USER or the admin.",
                 show_default=False, rich_help_panel="Common options"),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default QUICKCRM_DATABASE_URL or sqlite:///quickcrm.db).",
                 show_default=False, rich_help_panel="Common options"),
]
ConfigOpt = Annotated[
    str | None,
    typer.Option("--config", help="Configuration file (default QUICKCRM_CONFIG or ./quickcrm.toml).",
                 show_default=False, rich_help_panel="Common options"),
]
CsvOpt = Annotated[
    bool,
    typer.Option("--csv", help="Print the list as CSV for a spreadsheet (; separated, UTF-8, "
                               "formulas neutralised).", rich_help_panel="Output"),
]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print exactly one JSON document on stdout.",
                 rich_help_panel="Common options"),
]
NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="Act as if it were this ISO date/time (local time if naive).",
                 show_default=False),
]

_COMMON = (
    inspect.Parameter("as_", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=AsOpt),
    inspect.Parameter("db", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=DbOpt),
    inspect.Parameter("config", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ConfigOpt),
    inspect.Parameter("json_", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=JsonOpt),
)
_CSV = inspect.Parameter("csv_", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=CsvOpt)


@dataclass
class Ctx:
    """Handed to every command as its first argument: options and a lazy runtime."""

    as_: str | None
    db: str | None
    config: str | None
    json: bool
    csv: bool = False
    checked: "Actor | None" = None  # the acting user, checked before the command ran
    _runtime: Any = field(default=None, repr=False)

    def runtime(self, now: str | None = None) -> "Runtime":
        if self._runtime is None:
            from quickcrm.bootstrap import bootstrap

            self._runtime = bootstrap(
                database_url=self.db, config=self.config, acting_as=self.as_, now=now
            )
            self._runtime.note = warn
            for warning in self._runtime.settings.warnings:
                warn(warning)
        return self._runtime

    @property
    def tz(self) -> str:
        """The firm's time zone (``firm.timezone``): every time a person reads is in it."""
        return str(self.runtime().settings.timezone)

    def emit(self, data: Any, human: Callable[[], None] | None = None) -> None:
        """Print ``data`` as JSON with ``--json``, else call ``human`` (or print data).

        Times in ``data`` become ISO 8601 in the firm's time zone, with its offset."""
        if self.json:
            tz = self.tz

            def default(value: Any) -> Any:
                return _json_value(value, tz)

            sys.stdout.write(json.dumps(data, default=default, ensure_ascii=False, indent=2) + "\n")
        elif human is not None:
            human()
        else:
            typer.echo(data)

    def table(self, data: Any, headers: Sequence[str], rows: Sequence[Sequence[Any]],
              title: str | None = None) -> None:
        """A list: ``data`` with ``--json``, the rows as CSV with ``--csv``, else a table
        of them (every value in full when stdout is not a terminal)."""
        from quickcrm.cli import output

        if self.json:
            self.emit(data)
        elif self.csv:
            output.write_csv(headers, rows)
        else:
            output.print_table(headers, rows, title)

    @contextmanager
    def progress(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """A progress bar on stderr; yields ``advance(n)``. Silent when stderr is no tty
        (then rich is not even imported: cron and scripts run such commands in loops)."""
        if not _may_be_terminal(sys.stderr):
            yield lambda n: None
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        console = Console(stderr=True)
        if not console.is_terminal:
            yield lambda n: None
            return
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                      transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n: bar.advance(task, n)


def _may_be_terminal(stream: Any) -> bool:
    """False when rich's ``Console.is_terminal`` would surely say no: no TTY_COMPATIBLE
    or FORCE_COLOR in the environment (which make rich treat any stream as a terminal)
    and a stream that is not a tty."""
    import os

    if os.environ.get("TTY_COMPATIBLE") is not None or os.environ.get("FORCE_COLOR") is not None:
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream: rich says no too
        return False


def _json_value(value: Any, tz: str) -> Any:
    from datetime import date, datetime

    from quickcrm.clock import local_time

    if isinstance(value, datetime):
        return local_time(value, tz).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def shown_time(value: Any, tz: str) -> str:
    """A moment as people read it: ``2026-11-23 10:00 CET``, in the firm's time zone;
    a date stays a date (``2025-03-14``); ``""`` for none."""
    from datetime import date, datetime

    from quickcrm.clock import local_time

    if isinstance(value, str) and value:
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return local_time(value, tz).strftime("%Y-%m-%d %H:%M %Z")
    if isinstance(value, date):
        return value.isoformat()
    return ""


def warn(message: str) -> None:
    typer.echo(message, err=True)


def fail(message: str) -> typing.NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def console() -> Any:
    """The console people read: unlimited width off a terminal (``cli.output``)."""
    from quickcrm.cli.output import console as output_console

    return output_console()


def command(app: typer.Typer, name: str | None = None, *, fresh_database: bool = False,
            listing: bool = False, **kwargs: Any) -> Callable[..., Any]:
    """Register ``fn(c: Ctx, ...)`` on ``app`` with the common options appended
    (``listing``: a list command, which also takes ``--csv``; it prints with ``c.table``).

    Before the command runs, the acting user is resolved and an unknown or deactivated
    one refused (``fresh_database``: the command builds its own new database, so only
    the administrator is known). Named QuickCRM errors become one line on stderr and
    exit 1.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn)
        own = list(sig.parameters.values())[1:]
        hints = typing.get_type_hints(fn, include_extras=True)
        params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in own]
        common = [*_COMMON, _CSV] if listing else list(_COMMON)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            ctx = Ctx(as_=kw.pop("as_"), db=kw.pop("db"), config=kw.pop("config"),
                      json=kw.pop("json_"), csv=kw.pop("csv_", False))
            if ctx.json and ctx.csv:
                fail("give --json or --csv, not both")
            try:
                ctx.checked = ctx.runtime(now=kw.get("now")).check_actor(fresh=fresh_database)
                return fn(ctx, *args, **kw)
            except typer.Exit:
                raise
            except Exception as exc:  # noqa: BLE001 - mapped to one line below
                if ctx.json:
                    emit_failure(exc)
                handle_error(exc, ctx._runtime)
            finally:
                if ctx._runtime is not None:
                    ctx._runtime.close()

        wrapper.__signature__ = sig.replace(parameters=[*params, *common])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in [*params, *common]}
        app.command(name, **kwargs)(wrapper)
        return fn

    return decorate


def emit_failure(exc: BaseException) -> None:
    """With ``--json`` an error with details is still one JSON document on stdout,
    besides the lines on stderr: a file's problems (``errors``: file, row, column,
    message), the clients a finalize refused (``refused``)."""
    from quickcrm.errors import QuickCRMError

    data = exc.to_json() if isinstance(exc, QuickCRMError) else None
    if data is not None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


DEMO_DB = "quickcrm-demo/quickcrm.db"  # where `quickcrm demo` builds its database by default


def handle_error(exc: BaseException, runtime: Any = None) -> typing.NoReturn:
    from quickcrm.errors import QuickCRMError, UnknownCampaign

    if isinstance(exc, UnknownCampaign) and runtime is not None and runtime.created_database:
        from quickcrm.store.db import database_name

        fail(f"{exc}: {database_name(runtime.settings.database_url)} is a new, empty "
             f"database; the demo's database is ./{DEMO_DB} (add --db sqlite:///{DEMO_DB})")
    if isinstance(exc, QuickCRMError):
        fail(str(exc))
    try:
        from sqlalchemy.exc import OperationalError
    except ImportError:  # pragma: no cover
        raise exc from None
    if isinstance(exc, OperationalError):
        fail(f"database error: {str(exc.orig).strip().splitlines()[0]}")
    raise exc
