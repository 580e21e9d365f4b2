"""Reading bounces from an IMAP mailbox (``mail.imap_url``), for the daemon's bounce job.

``imaps://user:password@host[:993]/FOLDER`` (TLS from the start) or
``imap://user:password@host[:143]/FOLDER?starttls=1`` (STARTTLS; without it, plain text:
only on a trusted network); FOLDER defaults to INBOX. Query options: ``cafile=PATH``
(trust this certificate or CA, e.g. a firm's own), ``verify=0`` (accept any certificate;
for testing only). A password with special characters is percent-encoded.

What was read is tracked in QuickCRM's own table, ``imap_seen``, by the mailbox, its
UIDVALIDITY and each message's UID -- never by ``\\Seen``, a shared flag a person reading
the mailbox changes (issue 24 item 5). A poll:

1. selects the folder and reads its UIDVALIDITY (a new value, after the folder was
   recreated, means every UID is new: ingesting is idempotent, so nothing is marked
   twice);
2. fetches the messages whose UID is not in ``imap_seen`` (``BODY.PEEK[]``: reading sets
   no flag), a batch at a time, and ingests each batch in ONE transaction together with
   their ``imap_seen`` rows;
3. only after that commit touches the bounces (never replies, out-of-office mail or
   anything else that is no bounce): flags them ``\\Seen``, or moves them to
   ``mail.imap_bounce_folder`` when that is set; then records that (``done``). A crash
   between the two leaves them ``done = false``, and the next poll finishes the job.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import select, update
from sqlmodel import Session, col

from quickcrm.errors import ConfigError
from quickcrm.mail.models import ImapSeen

BATCH = 200
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UID = re.compile(rb"UID (\d+)")
HELP = ("mail.imap_url must be imaps://user:pass@host[:993]/FOLDER "
        "or imap://user:pass@host[:143]/FOLDER?starttls=1")


def mailbox_key(url: str) -> str:
    """The mailbox, without its password: ``imaps://user@host:993/INBOX``."""
    parts = urlsplit(url)
    port = parts.port or (993 if parts.scheme == "imaps" else 143)
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return f"{parts.scheme}://{unquote(parts.username or '')}@{parts.hostname}:{port}/{folder}"[:300]


def _context(query: dict[str, list[str]]) -> ssl.SSLContext:
    cafile = query.get("cafile", [""])[-1]
    try:
        context = ssl.create_default_context(cafile=cafile or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"mail.imap_url: cafile {cafile}: {exc}") from None
    if query.get("verify", ["1"])[-1] in ("0", "false", "no"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect(url: str) -> tuple[imaplib.IMAP4, str]:
    """A logged-in connection and the folder the URL names."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ConfigError(HELP)
    query = parse_qs(parts.query)
    context = _context(query)
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


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(conn: imaplib.IMAP4, folder: str) -> int:
    status, _ = conn.select(_quote(folder))
    if status != "OK":
        raise ConfigError(f"mail.imap_url: no folder {folder!r}")
    found = conn.response("UIDVALIDITY")[1]
    value = found[0] if found and found[0] else None
    if value is None:
        status, data = conn.status(_quote(folder), "(UIDVALIDITY)")
        match = _UIDVALIDITY.search(data[0] if data and isinstance(data[0], bytes) else b"")
        if not match:
            raise ConfigError(f"mail.imap_url: {folder!r} reports no UIDVALIDITY")
        return int(match.group(1))
    return int(value)


def _fetch(conn: imaplib.IMAP4, uids: list[int]) -> list[tuple[int, bytes]]:
    status, parts = conn.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    out: list[tuple[int, bytes]] = []
    for part in parts or ():
        if isinstance(part, tuple) and len(part) == 2:
            match = _UID.search(part[0])
            if match:
                out.append((int(match.group(1)), part[1]))
    return out


def _touch(conn: imaplib.IMAP4, uids: list[int], move_to: str) -> None:
    """Flag bounces \\Seen, or move them to ``move_to`` (created when missing)."""
    chunk = ",".join(map(str, uids))
    if not move_to:
        conn.uid("STORE", chunk, "+FLAGS.SILENT", "(\\Seen)")
        return
    conn.create(_quote(move_to))  # "already exists" is fine
    caps = {c.upper() for c in conn.capabilities}
    if "MOVE" in caps:
        status, data = conn.uid("MOVE", chunk, _quote(move_to))
        if status == "OK":
            return
    status, data = conn.uid("COPY", chunk, _quote(move_to))
    if status != "OK":
        raise ConfigError(f"mail.imap_bounce_folder {move_to!r}: {data}")
    conn.uid("STORE", chunk, "+FLAGS.SILENT", "(\\Seen \\Deleted)")
    if "UIDPLUS" in caps:
        conn.uid("EXPUNGE", chunk)
    else:
        conn.expunge()


def poll(*, session_factory: Callable[[], Any], url: str, now: datetime,
         ingest_one: Callable[[Session, bytes], str], move_to: str = "",
         after_batch: Callable[[Session], None] | None = None) -> dict[str, int]:
    """Read the new messages of the mailbox, ingest them, then touch the bounces.

    ``session_factory()``: a context manager giving a writing session (the runtime's);
    ``ingest_one(session, raw)`` returns what the message counted as (``ignored`` for
    no bounce); ``after_batch(session)`` runs before each batch's commit (the digests).
    Returns the counts by kind, plus ``messages`` and ``touched``."""
    key = mailbox_key(url)
    counts: dict[str, int] = {"messages": 0, "touched": 0}
    conn, folder = connect(url)
    try:
        validity = _uidvalidity(conn, folder)
        with session_factory() as session:
            seen = {int(u) for u in session.scalars(
                select(col(ImapSeen.uid)).where(col(ImapSeen.mailbox) == key,
                                                col(ImapSeen.uidvalidity) == validity))}
            unfinished = [int(u) for u in session.scalars(
                select(col(ImapSeen.uid)).where(col(ImapSeen.mailbox) == key,
                                                col(ImapSeen.uidvalidity) == validity,
                                                col(ImapSeen.bounce), ~col(ImapSeen.done)))]
        status, data = conn.uid("SEARCH", "ALL")
        present = [int(u) for u in (data[0].split() if status == "OK" and data and data[0]
                                    else [])]
        left_over = sorted(set(unfinished) & set(present))
        if left_over:  # a poll that committed but crashed before touching them
            _finish(conn, session_factory, key, validity, left_over, move_to)
            counts["touched"] += len(left_over)
        new = [u for u in present if u not in seen]
        for start in range(0, len(new), BATCH):
            fetched = _fetch(conn, new[start:start + BATCH])
            bounces: list[int] = []
            with session_factory() as session:
                for uid, raw in fetched:
                    kind = ingest_one(session, raw)
                    counts["messages"] += 1
                    counts[kind] = counts.get(kind, 0) + 1
                    is_bounce = kind != "ignored"
                    if is_bounce:
                        bounces.append(uid)
                    session.add(ImapSeen(mailbox=key, uidvalidity=validity, uid=uid,
                                         bounce=is_bounce, done=not is_bounce, seen_at=now))
                if after_batch is not None:
                    after_batch(session)
                session.commit()
            if bounces:  # only now: what was committed is safe to flag or move
                _finish(conn, session_factory, key, validity, bounces, move_to)
                counts["touched"] += len(bounces)
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return counts


def _finish(conn: imaplib.IMAP4, session_factory: Callable[[], Any], key: str, validity: int,
            uids: list[int], move_to: str) -> None:
    _touch(conn, uids, move_to)
    with session_factory() as session:
        session.execute(update(ImapSeen).where(
            col(ImapSeen.mailbox) == key, col(ImapSeen.uidvalidity) == validity,
            col(ImapSeen.uid).in_(uids)).values(done=True))
        session.commit()

