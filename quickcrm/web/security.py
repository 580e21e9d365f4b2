"""The web app's defences, kept apart from the pages so each is easy to check.

- Tokens, CSRF and same-site posts: ``quickcrm.quickscans.guards`` (both respondent
  flows use them). No cookie is needed, so the app sets none.
- Guessing: ``FailureLimiter`` counts 404s per client address and answers 429 once an
  address has too many, so tokens cannot be enumerated.
- ``SecurityHeaders`` and ``BodyLimit`` are plain ASGI middleware (cheaper than
  BaseHTTPMiddleware): every response gets CSP, nosniff, no-referrer, DENY framing and
  no-store; a body larger than the limit gets 413 before any page code runs.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
NO_STORE = (b"cache-control", b"no-store")
NOINDEX = (b"x-robots-tag", b"noindex, nofollow")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class FailureLimiter:
    """At most ``limit`` failures (404s) per address in ``window`` seconds.

    In memory, per process: enough to make guessing 128-bit tokens pointless; the
    number of addresses kept is bounded so a flood cannot exhaust memory.
    """

    def __init__(self, limit: int = 30, window: float = 600.0, max_addresses: int = 10000,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.max_addresses, self.now = limit, window, max_addresses, now
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, address: str) -> deque[float] | None:
        hits = self._hits.get(address)
        if hits is not None:
            cutoff = self.now() - self.window
            while hits and hits[0] < cutoff:
                hits.popleft()
        return hits

    def blocked(self, address: str) -> bool:
        with self._lock:
            hits = self._recent(address)
            return hits is not None and len(hits) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            hits = self._recent(address)
            if hits is None:
                hits = self._hits[address] = deque()
                while len(self._hits) > self.max_addresses:
                    self._hits.popitem(last=False)
            self._hits.move_to_end(address)
            hits.append(self.now())


class SecurityHeaders:
    """Adds the fixed security headers to every HTTP response. ``frame_ancestors``:
    the sites (``web.frame_ancestors``) that may show the landing pages (/l/) in a
    frame; every other page, and /l/ without the setting, may not be framed at all."""

    def __init__(self, app: ASGIApp, frame_ancestors: tuple[str, ...] = ()) -> None:
        self.app = app
        self.landing_headers: list[tuple[bytes, bytes]] = HEADERS
        if frame_ancestors:
            csp = CSP.replace("frame-ancestors 'none'",
                              "frame-ancestors " + " ".join(frame_ancestors))
            self.landing_headers = [(b"content-security-policy", csp.encode())] + [
                h for h in HEADERS if h[0] not in (b"content-security-policy",
                                                   b"x-frame-options")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        fixed = self.landing_headers if scope["path"].startswith("/l/") else HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in fixed if h[0] not in names]
                if not static and b"cache-control" not in names:
                    headers.append(NO_STORE)
                if b"x-robots-tag" not in names:
                    headers.append(NOINDEX)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, declared or streamed.

    A declared length over the limit is refused before anything is read. A body without
    one (``Transfer-Encoding: chunked``) is read here first, at most ``limit`` bytes, and
    handed to the app only when it fits: refusing it half-way through the app's own
    reading would leave a response already started (a 500)."""

    def __init__(self, app: ASGIApp, limit: int = 256 * 1024) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                if not (value.isdigit() and len(value) < 19) or int(value) > self.limit:
                    await _plain(send, 413, TOO_LARGE)
                    return
                declared = int(value)
        if declared is not None or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await _plain(send, 413, TOO_LARGE)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


TOO_LARGE = "Het verzoek is te groot."


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
