"""Reading bounces from an IMAP mailbox (``mail.imap_url``), for the daemon's bounce job.

``imaps://user:password@host[:port]/FOLDER`` (TLS, port 993) or
``imap://user:password@host[:port]/FOLDER[?starttls=1]`` (port 143); FOLDER defaults to
INBOX. ``fetch_new`` yields the unseen messages without marking them (BODY.PEEK) and
flags them \\Seen only once the consumer has taken the last one, so a run that crashes
half-way reads them again next time (ingesting is idempotent: nothing is marked twice).
"""

from __future__ import annotations

import email
import imaplib
import ssl
from collections.abc import Iterator
from email.message import Message
from urllib.parse import parse_qs, unquote, urlsplit

from quickcrm.errors import ConfigError

BATCH = 200


def _connect(url: str) -> tuple[imaplib.IMAP4, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ConfigError("mail.imap_url must be imaps://user:pass@host/FOLDER "
                          "or imap://user:pass@host/FOLDER[?starttls=1]")
    query = parse_qs(parts.query)
    context = ssl.create_default_context()
    if query.get("verify", ["1"])[-1] in ("0", "false", "no"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        if parts.scheme == "imaps":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(parts.hostname, parts.port or 993,
                                                    ssl_context=context, timeout=60)
        else:
            conn = imaplib.IMAP4(parts.hostname, parts.port or 143, timeout=60)
            if query.get("starttls", ["0"])[-1] in ("1", "true", "yes"):
                conn.starttls(ssl_context=context)
        conn.login(unquote(parts.username or ""), unquote(parts.password or ""))
    except (OSError, imaplib.IMAP4.error) as exc:
        from quickcrm.settings import redact

        raise ConfigError(redact(f"mail.imap_url: {parts.hostname}: {exc}",
                                 unquote(parts.password or ""),
                                 unquote(parts.username or ""))) from None
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return conn, folder


def fetch_new(url: str) -> Iterator[Message]:
    """The unseen messages of the mailbox; flagged \\Seen after the last one is taken."""
    conn, folder = _connect(url)
    try:
        status, _ = conn.select(_quote(folder))
        if status != "OK":
            raise ConfigError(f"mail.imap_url: no folder {folder!r}")
        status, data = conn.uid("SEARCH", "UNSEEN")
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for start in range(0, len(uids), BATCH):
            chunk = b",".join(uids[start:start + BATCH]).decode()
            status, parts = conn.uid("FETCH", chunk, "(BODY.PEEK[])")
            for part in parts or ():
                if isinstance(part, tuple) and len(part) == 2:
                    yield email.message_from_bytes(part[1])
        for start in range(0, len(uids), BATCH):
            chunk = b",".join(uids[start:start + BATCH]).decode()
            conn.uid("STORE", chunk, "+FLAGS", "(\\Seen)")
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
