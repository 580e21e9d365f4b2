"""The web app: ``create_app(runtime)`` builds the Starlette application on a runtime
from ``quickcrm.bootstrap.bootstrap`` (settings, engine, clock, mail transport), the same
wiring the CLI and the daemon use; ``serve`` runs it under uvicorn.

Delivery right after "Rapportage": the page commits the outbox rows, then wakes one
background thread that runs the mail delivery, so the report arrives at once even when
no daemon runs. Wake-ups coalesce, so a burst of finishes runs delivery once or twice,
and the outbox's claims keep it safe beside a daemon delivering the same rows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

from jinja2 import Environment
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from quickcrm.areas import web_routes
from quickcrm.resources import templates_dir
from quickcrm.runtime import Runtime
from quickcrm.templating import html_files
from quickcrm.web import pages
from quickcrm.web.security import BodyLimit, FailureLimiter, SecurityHeaders

log = logging.getLogger("quickcrm.web")
MAX_BODY = 256 * 1024  # a section of long open answers fits easily
DB_THREADS = 4  # see WebState.in_thread
T = TypeVar("T")


class Deliverer:
    """One background thread that delivers the outbox whenever it is woken."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="quickcrm-deliver",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait()
            self._wake.clear()
            if self._stop:
                return
            try:
                deliver_now(self.runtime)
            except Exception:  # noqa: BLE001 - the outbox keeps the rows; the daemon retries
                log.exception("delivery after finishing failed; the messages stay queued")

    def stop(self, timeout: float = 10.0) -> None:
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)


def deliver_now(runtime: Runtime) -> None:
    """Deliver what is due over one connection (``Runtime.deliver`` closes it)."""
    runtime.deliver()


@dataclass
class WebState:
    runtime: Runtime
    templates: Environment
    limiter: FailureLimiter
    deliverer: Deliverer
    firm: str = ""
    tz: str = "Europe/Amsterdam"
    extra: dict[str, Any] = field(default_factory=dict)
    brand: Any = None  # quickcrm.branding.Branding, checked when the app is built

    db_threads: Any = None
    write_lock: Any = None  # SQLite: one writer at a time, queued here, not in busy_timeout

    def deliver_soon(self) -> None:
        self.deliverer.wake()

    async def in_thread(self, fn: Callable[[], T]) -> T:
        """Run store work in a small pool of threads: a few threads finish sooner than
        forty that take turns at the GIL (and at SQLite's single writer)."""
        import anyio.to_thread

        if self.db_threads is None:
            self.db_threads = anyio.CapacityLimiter(DB_THREADS)
        return await anyio.to_thread.run_sync(fn, limiter=self.db_threads)

    def writing(self) -> Any:
        """Hold this around a write transaction. SQLite takes its write lock at BEGIN
        IMMEDIATE, and a second writer then waits in SQLite's busy handler, which polls
        with sleeps of up to 100 ms; queueing the app's own writers on a lock hands the
        database over at once instead. PostgreSQL needs no such lock."""
        return self.write_lock or nullcontext()


def warm_up(state: WebState) -> None:
    """Import and compile what the first page needs before the first client arrives,
    so a burst of clients does not all pay for it at once."""
    import quickcrm.campaigns.client_report  # noqa: F401
    import quickcrm.campaigns.mails  # noqa: F401
    import quickcrm.mail.outbox  # noqa: F401
    import quickcrm.quickscans.definitions  # noqa: F401
    import quickcrm.quickscans.report_data  # noqa: F401
    import quickcrm.quickscans.report_pdf  # noqa: F401 - fpdf2 takes some 0.3 s to import
    import quickcrm.quickscans.report_pptx  # noqa: F401

    for name in ("new.html", "declined.html", "section.html", "overview.html",
                 "finished.html", "preview.html", "notfound.html", "message.html",
                 "unsubscribe.html", "privacy.html"):
        state.templates.get_template(name)


def create_app(runtime: Runtime, *, limiter: FailureLimiter | None = None,
               max_body: int = MAX_BODY) -> Any:
    """The ASGI app (Starlette inside the body-size and security-header middleware).
    The firm's branding and frame-ancestors settings are checked here: a bad colour or
    logo stops ``serve`` with one line naming the setting."""
    from quickcrm import branding

    brand = branding.from_settings(runtime.settings)
    state = WebState(runtime=runtime, templates=html_files("web"),
                     limiter=limiter or FailureLimiter(), deliverer=Deliverer(runtime),
                     firm=brand.name or str(runtime.settings["firm.name"]),
                     tz=runtime.settings.timezone, brand=brand)
    state.extra["stylesheet"] = pages.brand_stylesheet(brand).encode()
    own = runtime.settings.base_url + branding.OWN_PRIVACY_PATH
    state.extra["privacy_href"] = (branding.OWN_PRIVACY_PATH if brand.privacy_url == own
                                   else brand.privacy_url)
    if runtime.settings.database_url.startswith("sqlite"):
        state.write_lock = threading.Lock()
    routes = [
        *web_routes(),  # every area's, in the order of quickcrm.areas.AREAS
        Route("/robots.txt", pages.robots, methods=["GET"]),
        Route("/favicon.ico", pages.favicon, methods=["GET"]),
        Route("/huisstijl.css", pages.stylesheet, methods=["GET"]),
        Route("/huisstijl/logo", pages.logo, methods=["GET"]),
        Route("/privacy", pages.privacy, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(templates_dir() / "web" / "static")),
              name="static"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.engine  # noqa: B018 - open (and migrate) the store before the first client
        warm_up(state)
        yield
        state.deliverer.stop()

    app = Starlette(routes=routes, exception_handlers={404: pages.missing}, lifespan=lifespan)
    app.state.web = state
    return SecurityHeaders(BodyLimit(app, limit=max_body),
                           frame_ancestors=frame_ancestors(runtime.settings))


def frame_ancestors(settings: Any) -> tuple[str, ...]:
    """The sites ``web.frame_ancestors`` allows to embed landing pages (empty: none),
    each checked as an origin (https://www.firma.nl) so no CSP can be injected."""
    import re

    from quickcrm.errors import ConfigError

    raw = str(settings["web.frame_ancestors"]).replace(",", " ").split()
    for origin in raw:
        if not re.match(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$", origin):
            raise ConfigError(f"web.frame_ancestors: {origin!r} is not a site such as "
                              "https://www.firma.nl (scheme and host, no path)")
    return tuple(raw)


def serve(runtime: Runtime, *, host: str = "127.0.0.1", port: int = 8000,
          access_log: bool = False) -> None:
    """Run the app under uvicorn until interrupted. The access log is off by default;
    with it, each path is logged with the client's token replaced (``ops.logs``)."""
    import uvicorn

    from quickcrm.ops.logs import configure  # log.format/file/level; tokens left out

    configure(runtime.settings)
    uvicorn.run(create_app(runtime), host=host, port=port, access_log=access_log,
                proxy_headers=True, server_header=False, log_level="info", log_config=None)


class BackgroundServer:
    """The web app under uvicorn in a thread, for ``quickcrm daemon --web``: the daemon
    keeps the main thread (and its signal handlers) and calls ``stop()`` on exit."""

    def __init__(self, runtime: Runtime, *, host: str = "127.0.0.1", port: int = 8000) -> None:
        import uvicorn

        config = uvicorn.Config(create_app(runtime), host=host, port=port, access_log=False,
                                proxy_headers=True, server_header=False, log_level="warning",
                                log_config=None)  # the daemon's log (quickcrm.ops.logs)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="quickcrm-web", daemon=True)

    def start(self, timeout: float = 20.0) -> BackgroundServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web app did not start (is the port in use?)")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
