"""What every command shares: ``--as``, ``--db``, ``--config``, ``--json``, the error
handler that turns a named service exception into one line on stderr and exit 1, and
output helpers (JSON on stdout, progress and warnings on stderr)."""

import functools
import inspect
import json
import sys
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

if typing.TYPE_CHECKING:
    from quickcrm.bootstrap import Runtime

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


@dataclass
class Ctx:
    """Handed to every command as its first argument: options and a lazy runtime."""

    as_: str | None
    db: str | None
    config: str | None
    json: bool
    _runtime: Any = field(default=None, repr=False)

    def runtime(self, now: str | None = None) -> "Runtime":
        if self._runtime is None:
            from quickcrm.bootstrap import bootstrap

            self._runtime = bootstrap(
                database_url=self.db, config=self.config, acting_as=self.as_, now=now
            )
        return self._runtime

    def emit(self, data: Any, human: Callable[[], None] | None = None) -> None:
        """Print ``data`` as JSON with ``--json``, else call ``human`` (or print data)."""
        if self.json:
            sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False, indent=2) + "\n")
        elif human is not None:
            human()
        else:
            typer.echo(data)

    @contextmanager
    def progress(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """A progress bar on stderr; yields ``advance(n)``. Silent when stderr is no tty."""
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


def warn(message: str) -> None:
    typer.echo(message, err=True)


def fail(message: str) -> typing.NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def console() -> Any:
    from rich.console import Console

    return Console()


def command(app: typer.Typer, name: str | None = None, **kwargs: Any) -> Callable[..., Any]:
    """Register ``fn(c: Ctx, ...)`` on ``app`` with the common options appended.

    Named QuickCRM errors become one line on stderr and exit 1.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn)
        own = list(sig.parameters.values())[1:]
        hints = typing.get_type_hints(fn, include_extras=True)
        params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in own]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            ctx = Ctx(as_=kw.pop("as_"), db=kw.pop("db"), config=kw.pop("config"),
                      json=kw.pop("json_"))
            try:
                return fn(ctx, *args, **kw)
            except typer.Exit:
                raise
            except Exception as exc:  # noqa: BLE001 - mapped to one line below
                handle_error(exc)
            finally:
                if ctx._runtime is not None:
                    ctx._runtime.close()

        wrapper.__signature__ = sig.replace(parameters=[*params, *_COMMON])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in [*params, *_COMMON]}
        app.command(name, **kwargs)(wrapper)
        return fn

    return decorate


def handle_error(exc: BaseException) -> typing.NoReturn:
    from quickcrm.errors import QuickCRMError

    if isinstance(exc, QuickCRMError):
        fail(str(exc))
    try:
        from sqlalchemy.exc import OperationalError
    except ImportError:  # pragma: no cover
        raise exc from None
    if isinstance(exc, OperationalError):
        fail(f"database error: {str(exc.orig).strip().splitlines()[0]}")
    raise exc
