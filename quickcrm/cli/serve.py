"""`quickcrm serve`: the respondent web app under uvicorn."""

from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, command


def serve_cmd(
    c: Ctx,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: all).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    access_log: Annotated[bool, typer.Option(
        "--access-log", help="Log every request (its path holds the client's token).")] = False,
) -> None:
    """Serve the clients' QuickScan pages (/q/TOKEN) and the RM preview (/p/TOKEN).

    Example: quickcrm serve --host 0.0.0.0 --port 8000
    """
    from quickcrm.web.app import serve

    rt = c.runtime()
    rt.engine  # noqa: B018 - create/migrate the store before accepting clients
    serve(rt, host=host, port=port, access_log=access_log)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the top-level app."""
    command(app, "serve")(serve_cmd)
