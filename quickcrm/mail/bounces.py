"""Bounce messages that come back after delivery: recognise, match, record.

``parse_bounce`` asks flufl.bounce which addresses failed (DSN first, then the usual MTA
formats, then heuristics) and whether permanently or temporarily (a DSN with
``Action: delayed`` is temporary), and looks for the Message-ID of our original message:
in a ``message/rfc822`` or ``text/rfc822-headers`` part, in a copy of the headers quoted
in the text (Exim, Postfix without DSN), or in In-Reply-To/References.

``ingest`` maps each permanent bounce to its outbox rows, by that Message-ID first and by
the failed address only as the fallback: then every message sent there in the bounce's
time window (``mail.bounce_window_days`` before its Date:), so an older campaign's
invitation to the same address is marked too (providers rewrite Return-Paths, so we do
not rely on VERP). Exchange's plain-text non-delivery report ("Delivery has failed to
these recipients or groups:"), which has no DSN structure, is recognised as well. The row keeps status ``sent`` and gets
``bounced_at`` and ``bounce_reason``; the ``"bounced"`` hook of its kind runs in the same
transaction (``quickcrm.mail.hooks``), only the first time, so ingesting a mailbox twice
marks nothing twice and reports 0 new bounces (the second time they count as ``known``). A message that is no bounce (a reply, an out-of-office) is left alone
and counted as ``ignored``; a delay notice as ``temporary``; a bounce we cannot match as
``unmatched`` -- a run that matched nothing says so.

The campaigns layer's ``quickcrm bounces ingest PATH`` calls::

    counts = ingest(session=s, path_or_messages=path, now=clock.now()); s.commit()
"""

from __future__ import annotations

import email
import mailbox
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path

from sqlalchemy import select, update
from sqlmodel import Session, col

from quickcrm.errors import InvalidInput
from quickcrm.mail import hooks
from quickcrm.mail.models import SENT, OutboxMessage

PERMANENT, TEMPORARY, NONE = "permanent", "temporary", "none"
_MSGID = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_ANGLE = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class BounceInfo:
    kind: str  # permanent | temporary | none
    addresses: tuple[str, ...]
    original_message_id: str | None
    reason: str = ""
    message_ids: tuple[str, ...] = ()  # every candidate, best first
    date: datetime | None = None  # the bounce's own Date: (the end of its time window)


def _as_message(item: Message | bytes | str) -> Message:
    if isinstance(item, Message):
        return item
    if isinstance(item, bytes):
        return email.message_from_bytes(item)
    return email.message_from_string(item)


def _candidates(msg: Message) -> list[str]:
    found: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message) and inner.get("Message-ID"):
                found.append(str(inner["Message-ID"]).strip())
        elif ctype == "text/rfc822-headers":
            headers = email.message_from_string(_text(part))
            if headers.get("Message-ID"):
                found.append(str(headers["Message-ID"]).strip())
        elif ctype == "text/plain":  # headers quoted in the text (Exim, old Postfix)
            found.extend(_MSGID.findall(_text(part)))
    for header in ("In-Reply-To", "References"):
        found.extend(_ANGLE.findall(str(msg.get(header, ""))))
    return list(dict.fromkeys(m for m in found if m))


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode(part.get_content_charset() or "utf-8", "replace")
    raw = part.get_payload()
    return raw if isinstance(raw, str) else ""


def _reason(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status" and part.is_multipart():
            for block in part.get_payload():
                if not isinstance(block, Message):
                    continue
                if str(block.get("Action", "")).lower().startswith("fail"):
                    text = block.get("Diagnostic-Code") or block.get("Status") or ""
                    return " ".join(str(text).split())[:500]
    return " ".join(str(msg.get("Subject", "")).split())[:500]


_NDR_FAILED = re.compile(
    r"^(delivery has failed to these recipients or groups|"
    r"your message did not reach some or all of the intended recipients|"
    r"de bezorging aan deze geadresseerden of groepen is mislukt|"
    r"uw bericht heeft sommige of alle geadresseerden niet bereikt)", re.I | re.M)
_NDR_DELAYED = re.compile(
    r"^(delivery is delayed to these recipients or groups|"
    r"de bezorging aan deze geadresseerden of groepen is vertraagd)", re.I | re.M)
_NDR_END = re.compile(r"^(original message headers|oorspronkelijke berichtkoppen)", re.I | re.M)
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_REMOTE = re.compile(r"Remote Server returned '([^']*)'", re.I)


def _plain_ndr(msg: Message) -> tuple[str, tuple[str, ...], str] | None:
    """Exchange's (and Outlook.com's) plain-text non-delivery report, which has no DSN
    structure: "Delivery has failed to these recipients or groups:" and the addresses
    under it, up to the quoted original headers."""
    if msg.is_multipart() and any(p.get_content_type() == "message/delivery-status"
                                  for p in msg.walk()):
        return None
    text = "\n".join(_text(p) for p in msg.walk() if p.get_content_type() == "text/plain")
    failed, delayed = _NDR_FAILED.search(text), _NDR_DELAYED.search(text)
    start = failed or delayed
    if start is None:
        return None
    end = _NDR_END.search(text, start.end())
    region = text[start.end():end.start() if end else len(text)]
    addresses = tuple(sorted({a.lower() for a in _ADDRESS.findall(region)}))
    if not addresses:
        return None
    remote = _REMOTE.search(region)
    reason = " ".join((remote.group(1) if remote else str(msg.get("Subject", ""))).split())
    return (PERMANENT if failed else TEMPORARY), addresses, reason[:500]


def _date(msg: Message) -> datetime | None:
    from email.utils import parsedate_to_datetime

    try:
        value = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo is not None else None


def parse_bounce(item: Message | bytes | str) -> BounceInfo:
    """What kind of bounce ``item`` is, for which addresses, about which of our messages."""
    from flufl.bounce import all_failures

    msg = _as_message(item)
    try:
        temporary, permanent = all_failures(msg)
    except (LookupError, ValueError, TypeError, AttributeError):
        # a detector of flufl.bounce trips over an odd message (an empty one, a From:
        # without an address: found by benchmarks/fuzz_inputs.py): no DSN found there
        temporary, permanent = frozenset(), frozenset()
    ids = tuple(_candidates(msg))
    first = ids[0] if ids else None
    date = _date(msg)
    if permanent:
        addresses = tuple(sorted(a.decode("ascii", "replace") for a in permanent))
        return BounceInfo(PERMANENT, addresses, first, _reason(msg), ids, date)
    if temporary:
        addresses = tuple(sorted(a.decode("ascii", "replace") for a in temporary))
        return BounceInfo(TEMPORARY, addresses, first, "", ids, date)
    ndr = _plain_ndr(msg)
    if ndr is not None:
        kind, addresses, reason = ndr
        return BounceInfo(kind, addresses, first, reason if kind == PERMANENT else "", ids,
                          date)
    return BounceInfo(NONE, (), first, "", ids, date)


def read_mailbox(path: str | os.PathLike[str]) -> Iterator[Message]:
    """The messages of a Maildir (a folder with cur/ and new/) or an mbox file."""
    where = Path(path)
    if where.is_dir() and ((where / "new").is_dir() or (where / "cur").is_dir()):
        box: mailbox.Mailbox = mailbox.Maildir(where, factory=None, create=False)  # type: ignore[type-arg]
    elif where.is_file():
        box = mailbox.mbox(where, create=False)
    else:
        raise InvalidInput(f"{where}: not a Maildir folder or an mbox file")
    for key in box.iterkeys():
        yield email.message_from_bytes(box.get_bytes(key))


DEFAULT_WINDOW = timedelta(days=7)


def _match(session: Session, info: BounceInfo, *, now: datetime,
           window: timedelta = DEFAULT_WINDOW) -> list[int]:
    """Our messages a bounce is about: by Message-ID; else (issue 24 item 6) EVERY
    message sent to a failed address within ``window`` before the bounce's date (not only
    the newest: an older campaign's invitation to the same address failed too)."""
    M = OutboxMessage
    if info.message_ids:
        ids = [i for i in session.scalars(
            select(col(M.id)).where(col(M.message_id).in_(list(info.message_ids))))
            if i is not None]
        if ids:
            return ids
    end = min(info.date, now) if info.date is not None else now
    matched: list[int] = []
    for address in info.addresses:
        matched += [int(i) for i in session.scalars(
            select(col(M.id)).where(col(M.recipient).in_({address, address.lower()}),
                                    col(M.status) == SENT,
                                    col(M.sent_at) >= end - window,
                                    col(M.sent_at) <= end + timedelta(minutes=5))
            .order_by(col(M.id))) if i is not None]
    return matched


def mark_bounced(session: Session, *, message_id: int, now: datetime, reason: str) -> bool:
    """Record a later bounce on one outbox row and run its hooks, the first time only."""
    M = OutboxMessage
    changed = session.execute(
        update(M).where(col(M.id) == message_id, col(M.bounced_at).is_(None))
        .values(bounced_at=now, bounce_reason=reason[:500])
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        return False
    row = session.get(M, message_id)
    assert row is not None
    hooks.dispatch(session, hooks.MessageEvent(
        event="bounced", id=message_id, kind=row.kind, ref=row.ref, message_id=row.message_id,
        recipient=row.recipient, at=now, reason=reason))
    return True


COUNTS = ("messages", "bounced", "known", "temporary", "unmatched", "ignored")


def ingest_one(session: Session, item: Message | bytes, *, now: datetime,
               window: timedelta = DEFAULT_WINDOW) -> str:
    """Record one message; returns which of ``COUNTS`` (but "messages") it counts as:
    ``bounced`` (it marked a message bounced for the first time), ``known`` (a bounce
    already recorded: ingesting a mailbox again reports 0 new), ``temporary``,
    ``unmatched`` or ``ignored`` (no bounce: a reply, an out-of-office)."""
    info = parse_bounce(item)
    if info.kind == NONE:
        return "ignored"
    if info.kind == TEMPORARY:
        return "temporary"
    matched = _match(session, info, now=now, window=window)
    if not matched:
        return "unmatched"
    new = [mark_bounced(session, message_id=row_id, now=now, reason=info.reason or "bounce")
           for row_id in matched]
    return "bounced" if any(new) else "known"


def ingest(*, session: Session, path_or_messages: str | os.PathLike[str] | Iterable[Message | bytes],
           now: datetime, window: timedelta = DEFAULT_WINDOW) -> dict[str, int]:
    """Read bounces and record them on the outbox (the caller commits).

    Returns {"messages", "bounced", "known", "temporary", "unmatched", "ignored"}.
    """
    hooks.load_hooks()
    if isinstance(path_or_messages, (str, os.PathLike)):
        messages: Iterable[Message | bytes] = read_mailbox(path_or_messages)
    else:
        messages = path_or_messages
    counts = dict.fromkeys(COUNTS, 0)
    for item in messages:
        counts["messages"] += 1
        counts[ingest_one(session, item, now=now, window=window)] += 1
    return counts
