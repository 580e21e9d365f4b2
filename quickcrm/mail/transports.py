"""Transports: how a rendered message leaves QuickCRM (``make_transport(url, settings=...)``).

- ``smtp://[user:pass@]host[:port][?starttls=1]`` and ``smtps://...`` (TLS from the start).
  One connection is reused for many messages and reopened when the server dropped it;
  ``mail.rate_per_minute`` spaces messages out for relays that demand it. Each message is
  one SMTP transaction (MAIL, RCPT, DATA) done step by step, so we know whether a dropped
  connection lost the message before DATA (safe to retry at once on a new connection) or
  during it (outcome unknown: the caller defers it and resends with the same Message-ID).
- ``maildir:PATH`` (default ``maildir:./outbox``): each message a file in a real Maildir,
  written to ``tmp/``, flushed, then renamed into ``new/`` so a reader never sees half a file.

``send`` raises ``TemporaryFailure`` (4xx, or outcome unknown), ``PermanentFailure`` (5xx)
or ``ServerUnavailable`` (nothing could be sent: connection refused, login failed).
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from quickcrm.errors import ConfigError

_BARE_EOL = re.compile(rb"\r\n|\r|\n")
_DOT_START = re.compile(rb"(?m)^\.")


UNCERTAIN = "may have been delivered"  # in last_error: the reply to the final "." never came


class SendError(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}".strip())
        self.code = code
        self.text = text


class TemporaryFailure(SendError):
    """4xx, or the connection broke during DATA: try again later with the same message."""


class PermanentFailure(SendError):
    """5xx for this recipient or message: never retry."""


class ServerUnavailable(Exception):
    """No connection could be made or kept: this message was not sent."""


class Transport(Protocol):
    def send(self, *, sender: str, recipient: str, data: bytes,
             barrier: Callable[[], None] | None = None) -> None:
        """Send one message; call ``barrier()`` just before the point of no return
        (the final "." of DATA, the rename into new/)."""
        ...

    def close(self) -> None: ...


def _text(resp: bytes | str) -> str:
    return (resp.decode("utf-8", "replace") if isinstance(resp, bytes) else resp).strip()


class SmtpTransport:
    IDLE_CHECK_SECONDS = 20.0  # a connection idle this long gets a NOOP before reuse

    def __init__(self, host: str, port: int, *, tls: bool = False, starttls: bool = False,
                 user: str = "", password: str = "", timeout: float = 60.0,
                 rate_per_minute: int = 0, verify: bool = True) -> None:
        self.host, self.port, self.tls, self.starttls = host, port, tls, starttls
        self.user, self.password, self.timeout = user, password, timeout
        self.interval = 60.0 / rate_per_minute if rate_per_minute > 0 else 0.0
        self.verify = verify
        self._conn: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._next_slot = 0.0
        self._lock = threading.Lock()
        self.connections = 0  # how many times a connection was opened (for tests/logs)

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> smtplib.SMTP:
        helo = socket.gethostname() or "localhost"
        try:
            if self.tls:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, local_hostname=helo, timeout=self.timeout,
                    context=self._context())
            else:
                conn = smtplib.SMTP(self.host, self.port, local_hostname=helo,
                                    timeout=self.timeout)
            conn.ehlo()
            if self.starttls:
                conn.starttls(context=self._context())
                conn.ehlo()
            if self.user:
                conn.login(self.user, self.password)
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(self.redact(f"{self.host}:{self.port}: {exc}")) from None
        if conn.sock is not None:  # the body and the final "." are two writes: no Nagle delay
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections += 1
        return conn

    def redact(self, text: str) -> str:
        """``text`` without the password (``settings.redact``)."""
        from quickcrm.settings import redact

        return redact(text, self.password, self.user)

    def _ready(self) -> smtplib.SMTP:
        if self._conn is not None and time.monotonic() - self._last_used > self.IDLE_CHECK_SECONDS:
            try:
                if self._conn.noop()[0] != 250:
                    self._drop()
            except (OSError, smtplib.SMTPException):
                self._drop()
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def _pace(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self._next_slot > now:
            time.sleep(self._next_slot - now)
        self._next_slot = max(now, self._next_slot) + self.interval

    def send(self, *, sender: str, recipient: str, data: bytes,
             barrier: Callable[[], None] | None = None) -> None:
        with self._lock:
            self._pace()
            try:
                self._transaction(sender, recipient, data, barrier)
            finally:
                self._last_used = time.monotonic()

    def _transaction(self, sender: str, recipient: str, data: bytes,
                     barrier: Callable[[], None] | None) -> None:
        for fresh in (False, True):
            conn = self._ready()
            try:
                code, resp = conn.mail(sender)
                if code != 250:
                    self._reset(conn)
                    # a refused sender is our configuration, not the recipient: retry later
                    raise TemporaryFailure(code, f"sender refused: {_text(resp)}")
                code, resp = conn.rcpt(recipient)
                if code not in (250, 251):
                    self._reset(conn)
                    self._raise(code, resp)
                break
            except smtplib.SMTPServerDisconnected:
                self._drop()  # dropped before DATA: nothing was sent, try a new connection
                if fresh:
                    raise ServerUnavailable(f"{self.host}:{self.port}: connection lost") from None
            except OSError as exc:
                self._drop()
                if fresh:
                    raise ServerUnavailable(f"{self.host}:{self.port}: {exc}") from None
        try:
            code, resp = conn.docmd("data")
            if code != 354:
                self._reset(conn)
                self._raise(code, resp)
            conn.send(_DOT_START.sub(b"..", _BARE_EOL.sub(b"\r\n", data)).rstrip(b"\r\n")
                      + b"\r\n")
        except (OSError, smtplib.SMTPServerDisconnected):
            self._drop()  # the message is incomplete without its ".": nothing was sent
            raise ServerUnavailable(f"{self.host}:{self.port}: connection lost") from None
        if barrier is not None:
            try:
                barrier()
            except BaseException:
                self._drop()  # never complete a message whose predecessor is unrecorded
                raise
        try:
            conn.send(b".\r\n")
            code, resp = conn.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise TemporaryFailure(0, f"connection lost after DATA ({exc}); {UNCERTAIN}") from None
        if code != 250:
            self._raise(code, resp)

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _raise(self, code: int, resp: bytes | str) -> None:
        if code == 421:  # the server is closing the connection
            self._drop()
        if 500 <= code < 600:
            raise PermanentFailure(code, self.redact(_text(resp)))
        raise TemporaryFailure(code, self.redact(_text(resp)))

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MaildirTransport:
    """Writes each message as a file in a Maildir (``tmp/`` then rename into ``new/``),
    with the envelope as ``Return-Path:`` and ``Delivered-To:`` as a local MDA would."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._counter = 0
        self._host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")
        self._made = False

    def _ensure(self) -> None:
        if not self._made:
            # the messages hold clients' names and answers: the owner's alone (issue 29)
            if not self.path.exists():
                self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
            for sub in ("tmp", "new", "cur"):
                (self.path / sub).mkdir(exist_ok=True, mode=0o700)
            self._made = True

    def send(self, *, sender: str, recipient: str, data: bytes,
             barrier: Callable[[], None] | None = None) -> None:
        try:
            self._ensure()
            self._counter += 1
            now = time.time()
            name = f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{self._counter}.{self._host}"
            envelope = f"Return-Path: <{sender}>\nDelivered-To: {recipient}\n".encode()
            tmp = self.path / "tmp" / name
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                           "wb") as fh:
                fh.write(envelope + data.replace(b"\r\n", b"\n"))
                fh.flush()
                os.fsync(fh.fileno())
            if barrier is not None:
                try:
                    barrier()
                except BaseException:
                    tmp.unlink(missing_ok=True)  # never deliver it: leave nothing behind
                    raise
            os.rename(tmp, self.path / "new" / name)
        except OSError as exc:
            raise ServerUnavailable(f"maildir {self.path}: {exc}") from None

    def close(self) -> None:
        pass

    def __enter__(self) -> MaildirTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, ["0"])[-1].strip().lower() in {"1", "true", "yes", "on"}


def make_transport(url: str, *, settings: Any = None) -> SmtpTransport | MaildirTransport:
    """The transport for ``url``; ``settings`` supplies ``mail.rate_per_minute``."""
    from quickcrm.settings import mask_url

    url = url.strip()
    if url.startswith("maildir:"):
        path = url[len("maildir:"):]
        if path.startswith("//"):
            path = path[2:]
        if not path:
            raise ConfigError("mail.url: maildir: needs a path, e.g. maildir:./outbox")
        return MaildirTransport(Path(path).expanduser())
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(
            "mail.url must be smtp://[user:pass@]host:port[?starttls=1], smtps://... "
            f"or maildir:PATH, got {mask_url(url)!r}")
    query = parse_qs(parts.query)
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
        timeout = float(query.get("timeout", ["60"])[-1])
    except ValueError:
        raise ConfigError("mail.url: port and timeout must be numbers") from None
    rate = int(settings["mail.rate_per_minute"]) if settings is not None else 0
    return SmtpTransport(
        parts.hostname, port, tls=parts.scheme == "smtps", starttls=_flag(query, "starttls"),
        user=unquote(parts.username or ""), password=unquote(parts.password or ""),
        timeout=timeout, rate_per_minute=rate,
        verify=not query.get("verify") or _flag(query, "verify"))
