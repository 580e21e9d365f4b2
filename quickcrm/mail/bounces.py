"""Bounce messages that come back after delivery: recognise, match, record.

``parse_bounce`` asks flufl.bounce which addresses failed (DSN first, then the usual MTA
formats, then heuristics) and whether permanently or temporarily (a DSN with
``Action: delayed`` is temporary), and looks for the Message-ID of our original message:
in a ``message/rfc822`` or ``text/rfc822-headers`` part, in a copy of the headers quoted
in the text (Exim, Postfix without DSN), or in In-Reply-To/References.

``ingest`` maps each permanent bounce to its outbox row, by that Message-ID first and by
the failed address only as the fallback (the latest message sent there; providers rewrite
Return-Paths, so we do not rely on VERP). The row keeps status ``sent`` and gets
``bounced_at`` and ``bounce_reason``; the ``"bounced"`` hook of its kind runs in the same
transaction (``quickcrm.mail.hooks``), only the first time, so ingesting a mailbox twice
marks nothing twice. A message that is no bounce (a reply, an out-of-office) is left alone
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
from datetime import datetime
from email.message import Message
from pathlib import Path

from sqlalchemy import select, update
from sqlmodel import Session, col

from quickcrm.errors import InvalidInput
from quickcrm.mail import hooks
from quickcrm.mail.models import REJECTED, SENT, OutboxMessage

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


def parse_bounce(item: Message | bytes | str) -> BounceInfo:
    """What kind of bounce ``item`` is, for which addresses, about which of our messages."""
    from flufl.bounce import all_failures

    msg = _as_message(item)
    temporary, permanent = all_failures(msg)
    ids = tuple(_candidates(msg))
    first = ids[0] if ids else None
    if permanent:
        addresses = tuple(sorted(a.decode("ascii", "replace") for a in permanent))
        return BounceInfo(PERMANENT, addresses, first, _reason(msg), ids)
    if temporary:
        addresses = tuple(sorted(a.decode("ascii", "replace") for a in temporary))
        return BounceInfo(TEMPORARY, addresses, first, "", ids)
    return BounceInfo(NONE, (), first, "", ids)


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


def _match(session: Session, info: BounceInfo) -> list[int]:
    M = OutboxMessage
    if info.message_ids:
        ids = [i for i in session.scalars(
            select(col(M.id)).where(col(M.message_id).in_(list(info.message_ids))))
            if i is not None]
        if ids:
            return ids
    matched: list[int] = []
    for address in info.addresses:
        row = session.scalar(
            select(col(M.id)).where(col(M.recipient).in_({address, address.lower()}),
                               col(M.status).in_((SENT, REJECTED)))
            .order_by(col(M.sent_at).desc(), col(M.id).desc()).limit(1))
        if row is not None:
            matched.append(int(row))
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


def ingest(*, session: Session, path_or_messages: str | os.PathLike[str] | Iterable[Message | bytes],
           now: datetime) -> dict[str, int]:
    """Read bounces and record them on the outbox (the caller commits).

    Returns {"messages", "bounced", "temporary", "unmatched", "ignored"}.
    """
    hooks.load_hooks()
    if isinstance(path_or_messages, (str, os.PathLike)):
        messages: Iterable[Message | bytes] = read_mailbox(path_or_messages)
    else:
        messages = path_or_messages
    counts = dict.fromkeys(("messages", "bounced", "temporary", "unmatched", "ignored"), 0)
    for item in messages:
        counts["messages"] += 1
        info = parse_bounce(item)
        if info.kind == NONE:
            counts["ignored"] += 1
        elif info.kind == TEMPORARY:
            counts["temporary"] += 1
        else:
            matched = _match(session, info)
            for row_id in matched:
                mark_bounced(session, message_id=row_id, now=now,
                             reason=info.reason or "bounce")
            counts["bounced" if matched else "unmatched"] += 1
    return counts
