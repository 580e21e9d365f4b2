"""`quickcrm daemon`: delivery, reminders and bounce ingestion on their intervals."""

from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, fail


def register(app: typer.Typer) -> None:
    command(app, "daemon")(daemon)


def daemon(
    c: Ctx,
    once: Annotated[bool, typer.Option(
        "--once", help="Run each job once and exit (for cron).")] = False,
    now: NowOpt = None,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also log idle runs and tracebacks.")] = False,
    web: Annotated[bool, typer.Option(
        "--web", help="Also serve the clients' web app (as quickcrm serve).")] = False,
    host: Annotated[str, typer.Option(help="With --web: address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --web: TCP port to listen on.")] = 8000,
) -> None:
    """Run the jobs (deliver, and those other areas register) until SIGTERM/SIGINT.

    Each job runs at once, then every daemon.<job>_every seconds; one log line per run
    that did something, on stderr or log.file (log.format: plain or json). SIGTERM finishes the message in flight and exits 0.

    Example: quickcrm daemon --once --json
    """
    import threading

    from quickcrm import daemon as service

    rt = c.runtime(now=now)
    service.configure_logging(verbose, rt.settings)
    stop = threading.Event()
    restore = service.stop_on_signals(stop)
    try:
        if not once:
            server = None
            if web:  # uvicorn in a thread; the scheduler keeps the main thread's signals
                from quickcrm.web.app import BackgroundServer

                server = BackgroundServer(rt, host=host, port=port).start()
            try:
                service.run_forever(rt, stop=stop)
            finally:
                if server is not None:
                    server.stop()
            return
        results = service.run_once(rt, stop=stop)
    finally:
        restore()
    c.emit(results, lambda: None)
    failed = [f"{name}: {r['error']}" for name, r in results.items() if "error" in r]
    if failed:
        fail("daemon: job failed: " + "; ".join(failed))
