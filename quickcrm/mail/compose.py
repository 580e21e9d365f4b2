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
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from typing import Any

# The classic (compat32) MIME classes: 3x faster than EmailMessage's header objects, and
# a send renders two messages per client. Text is UTF-8 quoted-printable: readable as
# source, and 7-bit clean for any relay.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP
_UTF8.header_encoding = BASE64  # not SHORTEST, which measures both encodings per header


class _Wire(Compat32):
    """compat32 with CRLF, writing a short printable-ASCII header as it is: that is what
    compat32's Header folding makes of it too (compared on 160,000 generated values),
    at a tenth of the cost; anything longer or non-ASCII is folded by compat32."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (isinstance(value, str) and value.isascii() and value.isprintable()
                and len(name) + 2 + len(value) <= 78):
            return f"{name}: {value}\r\n".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _Wire(linesep="\r\n")


def _boundary() -> str:
    """A multipart boundary that cannot occur in the parts: every part is
    quoted-printable or base64, and neither writes "=_" (Python's own boundary is checked
    against the whole text with a regular expression compiled anew for each message)."""
    return "=_" + secrets.token_hex(16)


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message. ``alternative``: also a part of the body's
    multipart/alternative (an iCalendar invitation: ``text/calendar; method=REQUEST``
    there is what makes mail programs show Accept/Decline; the file is attached too)."""

    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"
    alternative: bool = False


def new_message_id(domain: str) -> str:
    """``<128 random bits@domain>``: unique without coordination between workers."""
    return f"<{secrets.token_hex(16)}@{domain or 'quickcrm.invalid'}>"


@lru_cache(maxsize=1024)
def parse_address(value: str) -> tuple[str, str]:
    """``email.utils.parseaddr``, remembered: the same sender and manager addresses come
    by for every message of a run."""
    return parseaddr(value)


def domain_of(address: str) -> str:
    return parse_address(address)[1].rpartition("@")[2].lower()


def address(name: str, email: str) -> str:
    """``"Name <email>"`` (a display name, unencoded; ``compose`` encodes it)."""
    return formataddr((name, email)) if name else email


@lru_cache(maxsize=1024)
def _mailbox(value: str) -> str:
    name, addr = parse_address(value)
    return formataddr((name, addr), charset=_UTF8) if name else addr


def _header(value: str) -> str:
    """``value``, RFC 2047-encoded when it is not ASCII."""
    return value if value.isascii() else Header(value, _UTF8).encode()


def _text_part(text: str, subtype: str) -> Message:
    """What ``MIMEText(text, subtype, _UTF8)`` makes (the same headers in the same order,
    the same quoted-printable payload: ``tests/test_mail_compose.py`` compares the
    bytes), without its charset bookkeeping, which cost a third of composing."""
    part = Message()
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["MIME-Version"] = "1.0"
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(_UTF8.body_encode(text))
    return part


def _attachment(item: Attachment | tuple[str, bytes, str]) -> Message:
    from email import encoders

    att = item if isinstance(item, Attachment) else Attachment(*item)
    maintype, _, subtype = att.mimetype.split(";")[0].strip().partition("/")
    part = MIMEBase(maintype, subtype or "octet-stream")
    part.set_payload(att.content)
    encoders.encode_base64(part)
    filename: str | tuple[str, str, str] = (
        att.filename if att.filename.isascii() else ("utf-8", "", att.filename))
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def _alternative_part(att: Attachment) -> Message:
    """``text/calendar; method=REQUEST; charset=utf-8``, base64 (its CRLF lines kept)."""
    from email import encoders

    maintype, _, rest = att.mimetype.partition("/")
    subtype, *params = [p.strip() for p in rest.split(";")]
    extra = dict(p.split("=", 1) for p in params if "=" in p)
    part = MIMEBase(maintype, subtype, charset="utf-8")
    for key, value in extra.items():
        part.set_param(key, value)
    part.set_payload(att.content)
    encoders.encode_base64(part)
    return part


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
    body: Message = _text_part(text, "plain")
    attachments = list(attachments)
    extra = [_alternative_part(a) for a in attachments
             if isinstance(a, Attachment) and a.alternative]
    if html is not None or extra:
        alts = [body, *([_text_part(html, "html")] if html is not None else []), *extra]
        body = MIMEMultipart("alternative", boundary=_boundary(), _subparts=alts)
    parts = [_attachment(a) for a in attachments]
    msg = (MIMEMultipart("mixed", boundary=_boundary(), _subparts=[body, *parts]) if parts
           else body)
    msg["From"] = _mailbox(from_)
    msg["To"] = _mailbox(to)
    if sender and parse_address(sender)[1].lower() != parse_address(from_)[1].lower():
        msg["Sender"] = _mailbox(sender)
    msg["Subject"] = _header(subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = _header(value)
    return msg.as_bytes(policy=_WIRE)
