"""The log of the daemon, ``serve`` and the web app: ``log.format`` (plain | json),
``log.file`` (empty: stderr) and ``log.level``.

A JSON line is one object: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``
and, where they apply, ``job`` (the daemon job the line comes from), ``campaign``,
``relation`` (a relation number), ``message_id`` (of an outbox message), and for the
access log ``method``, ``path`` and ``status``.

What the log never holds: names, e-mail addresses and tokens. Code logs ids, numbers and
counts only; as a second line of defence every line passes ``redact``, which replaces an
e-mail address (a mail server's reply quotes the recipient) with ``<e-mail>`` and the
token in a client's path (``/q/TOKEN``, ``/p/TOKEN``, a landing visitor's
``/l/SLUG/TOKEN`` and ``/l/SLUG/bevestig/TOKEN``) with ``…``, and drops query strings.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from quickcrm.settings import Settings

EXTRA_FIELDS = ("job", "campaign", "relation", "message_id", "ref")
NOISY = ("sqlalchemy", "alembic", "flufl", "multipart", "asyncio")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}

_job: contextvars.ContextVar[str | None] = contextvars.ContextVar("quickcrm_job", default=None)
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_CLIENT_PATH = re.compile(r"(/[qp]/)[^/\s?\"']+")
_LANDING_PATH = re.compile(r"(/l/[\w-]+/(?:bevestig/)?)(?!bevestig\b)[^/\s?\"']+")
_QUERY = re.compile(r"\?[^\s\"']*")


def redact(text: str) -> str:
    """``text`` without e-mail addresses, tokens in paths and query strings."""
    text = _EMAIL.sub("<e-mail>", text)
    text = _CLIENT_PATH.sub(r"\1…", text)
    text = _LANDING_PATH.sub(r"\1…", text)
    return _QUERY.sub("?…", text)


@contextmanager
def job(name: str) -> Iterator[None]:
    """Every line logged (in this thread) while the block runs carries ``job``."""
    token = _job.set(name)
    try:
        yield
    finally:
        _job.reset(token)


class Redact(logging.Filter):
    """Render each record's message once, redacted, and add the job it runs in."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) \
                and len(record.args) == 5:
            _addr, method, path, _version, status = record.args
            record.method, record.path, record.status = method, redact(str(path)), status
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg, record.args = redact(message), None
        if getattr(record, "job", None) is None:
            record.job = _job.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage()}
        for name in (*EXTRA_FIELDS, "method", "path", "status"):
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_text:
            line["traceback"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(name)s %(levelname)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extra = " ".join(f"{n}={getattr(record, n)}" for n in EXTRA_FIELDS[1:]
                         if getattr(record, n, None) is not None)
        return f"{text} [{extra}]" if extra else text


HANDLER_NAME = "quickcrm"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """stderr as it is when a line is written (a test runner swaps it), not as it was."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure(settings: Settings | None = None, *, verbose: bool = False) -> logging.Handler:
    """Send every log line (QuickCRM's, uvicorn's, APScheduler's) through one handler as
    the settings say; called again it replaces the handler it installed before."""
    values = settings.values if settings is not None else {}
    fmt = str(values.get("log.format", "plain"))
    file = str(values.get("log.file", "") or "")
    level = logging.DEBUG if verbose else LEVELS.get(str(values.get("log.level", "info")),
                                                     logging.INFO)
    handler: logging.Handler
    if file:
        from logging.handlers import WatchedFileHandler  # logrotate moves it: reopen

        handler = WatchedFileHandler(file, encoding="utf-8")
    else:
        handler = _Stderr()
    handler.set_name(HANDLER_NAME)
    handler.addFilter(Redact())
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # "skipped: maximum number of running instances reached" is the normal case for a
    # delivery run that outlasts its interval, not a warning
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return handler
