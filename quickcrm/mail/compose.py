"""Building the RFC 5322 bytes of a message, once, at queue time.

Why at queue time: delivery must only send, so that a retry or a second worker sends
byte-for-byte the same message with the same Message-ID (receivers deduplicate on it,
and bounces are matched on it). Lines end in CRLF (``policy.SMTP``), as they go on the wire.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


def new_message_id(domain: str) -> str:
    """``<128 random bits@domain>``: unique without coordination between workers."""
    return f"<{secrets.token_hex(16)}@{domain or 'quickcrm.invalid'}>"


def domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2].lower()


def address(name: str, email: str) -> str:
    """``"Name <email>"`` with RFC 2047 encoding where the name needs it."""
    return formataddr((name, email)) if name else email


def compose(
    *,
    from_: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Iterable[Attachment | tuple[str, bytes, str]] = (),
    sender: str | None = None,
    headers: Mapping[str, str] | None = None,
    message_id: str,
    date: datetime,
) -> bytes:
    """The complete message: text (+ HTML alternative) (+ attachments) with our headers.

    ``sender`` ("Name <addr>" or "addr") becomes the Sender: header when its address
    differs from From:'s, so that mail "from" a relationship manager but sent by the
    platform is honest about it.
    """
    msg = EmailMessage()
    msg["From"] = from_
    msg["To"] = to
    if sender and parseaddr(sender)[1].lower() != parseaddr(from_)[1].lower():
        msg["Sender"] = sender
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for item in attachments:
        att = item if isinstance(item, Attachment) else Attachment(*item)
        maintype, _, subtype = att.mimetype.partition("/")
        msg.add_attachment(att.content, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=att.filename)
    return msg.as_bytes(policy=policy.SMTP)
