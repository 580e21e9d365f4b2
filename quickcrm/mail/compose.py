"""Building the RFC 5322 bytes of a message, once, at queue time.

Why at queue time: delivery must only send, so that a retry or a second worker sends
byte-for-byte the same message with the same Message-ID (receivers deduplicate on it,
and bounces are matched on it). Lines end in CRLF (``policy.SMTP``), as they go on the wire.

How: the bytes are exactly those of the email package's classic (compat32) MIME classes
(``MIMEText`` with UTF-8 quoted-printable, ``MIMEMultipart``, ``MIMEBase`` + base64)
written by its ``BytesGenerator`` with CRLF, but written here by hand for the few shapes
QuickCRM sends (text; text + HTML and/or an iCalendar alternative; either with
attachments): every header folded by compat32's own ``fold_binary`` (a short printable
ASCII one written as it is, which is what that folding makes of it), text encoded by
the email package's quoted-printable encoder, attachments built by its ``MIMEBase``.
The generator's machinery around that (a policy clone, a buffer and a header parse per
part, a deep walk) cost three quarters of composing, and composing was the largest part
of a procedure step (issue 27, ``benchmarks/bench_procedures.py`` (c)) and of a send.
``tests/test_mail_compose.py`` compares the bytes with the email package's own classes
over hundreds of generated messages and reads them back with its modern parser.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

# Text is UTF-8 quoted-printable: readable as source, and 7-bit clean for any relay.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP
_UTF8.header_encoding = BASE64  # not SHORTEST, which measures both encodings per header

_WIRE = Compat32(linesep="\r\n")


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


_ATOM = r"[^\s()<>@,:;.\"\[\]\\]+"  # what parseaddr reads as one atom (and no more)
_DOT_ATOMS = rf"{_ATOM}(?:\.{_ATOM})*"
_PLAIN_ADDRESS = re.compile(rf"(?:({_ATOM}(?: {_ATOM})*) <({_DOT_ATOMS}@{_DOT_ATOMS})>"
                            rf"|({_DOT_ATOMS}@{_DOT_ATOMS}))")


@lru_cache(maxsize=1024)
def parse_address(value: str) -> tuple[str, str]:
    """``email.utils.parseaddr``, remembered: the same sender and manager addresses come
    by for every message of a run. The usual value, ``Name Words <local@domain>`` or a
    bare address of dot-atoms (no quotes, comments or specials), is split by a regular
    expression into what parseaddr makes of it (a test compares them), at a tenth of
    its cost: every recipient of a step or a send is a new value."""
    plain = _PLAIN_ADDRESS.fullmatch(value)
    if plain is not None:
        name, addr, bare = plain.groups()
        return ("", bare) if bare is not None else (name, addr)
    return parseaddr(value)


def domain_of(address: str) -> str:
    return parse_address(address)[1].rpartition("@")[2].lower()


@lru_cache(maxsize=1024)
def address(name: str, email: str) -> str:
    """``"Name <email>"`` (a display name, unencoded; ``compose`` encodes it);
    remembered, as ``_mailbox``: the sender and the manager are the same for every
    message of a run."""
    return formataddr((name, email)) if name else email


@lru_cache(maxsize=1024)
def _mailbox(value: str) -> str:
    name, addr = parse_address(value)
    return formataddr((name, addr), charset=_UTF8) if name else addr


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
           "Dec")


def _date(when: datetime) -> str:
    """``email.utils.format_datetime(when)`` for a time with a whole-minute UTC offset
    (every message's: the clock's), in a quarter of its time; anything else by it."""
    offset = when.utcoffset()
    if offset is None or offset.seconds % 60 or offset.microseconds:
        return format_datetime(when)
    minutes = offset.days * 1440 + offset.seconds // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return (f"{_DAYS[when.weekday()]}, {when.day:02d} {_MONTHS[when.month - 1]} "
            f"{when.year:04d} {when.hour:02d}:{when.minute:02d}:{when.second:02d} "
            f"{sign}{hours:02d}{minutes:02d}")


def _header(value: str) -> str:
    """``value``, RFC 2047-encoded when it is not ASCII."""
    return value if value.isascii() else Header(value, _UTF8).encode()


_NLCRE = re.compile(r"\r\n|\r|\n")  # what the generator turns into CRLF (``_write_lines``)


def _fold(name: str, value: str) -> str:
    """One header as compat32 with CRLF writes it (``_WIRE.fold_binary``): a short
    printable-ASCII value as it is, anything else folded by compat32 itself."""
    if value.isascii() and value.isprintable() and len(name) + 2 + len(value) <= 78:
        return f"{name}: {value}\r\n"
    return _WIRE.fold_binary(name, value).decode("ascii", "surrogateescape")


# A text part as ``MIMEText(text, subtype, _UTF8)`` writes it: these three headers in
# this order, then the quoted-printable payload (``tests/test_mail_compose.py`` compares
# the bytes with the email package's own classes).
_TEXT_HEAD = {subtype: (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
                        "MIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n")
              for subtype in ("plain", "html")}


def _text_part(text: str, subtype: str) -> tuple[str, str]:
    """The head and the body of a text part, on the wire."""
    return _TEXT_HEAD[subtype], _quoted_printable(text)


# Characters of the text's UTF-8 bytes (as latin-1 code points) that quoted-printable
# escapes, "=" aside: all but tab, CR, LF and printable ASCII.
_QP_UNSAFE = re.compile(r"[^\t\n\r\x20-\x7e]")
_QP_MAX = 76  # characters per encoded line, soft break included


def _qp_escape(match: re.Match[str]) -> str:
    return f"={ord(match[0]):02X}"


def _quoted_printable(text: str) -> str:
    """``_UTF8.body_encode(text)`` with the generator's CRLF line ends: the email
    package's ``quoprimime.body_encode`` line for line, but faster in two ways. Its first
    step (a ``str.translate`` through a 256-entry table, 80% of its time) is "=" -> "=3D"
    plus a search for anything else to escape, which mostly finds nothing. And each line
    is encoded on its own (as quoprimime does: nothing crosses a line end), remembered:
    the lines of the firm's HTML layout are the same in every message, so only the
    lines that carry the text are encoded anew."""
    if not text:
        return text
    body = text.encode("utf-8").decode("latin-1")
    # CR, LF, CR LF: the line ends quoprimime splits on (its escapes hide every other
    # character splitlines knows; without a CR, str.split does it at a fifth of the
    # regular expression's cost); after a final line end the split's last, empty, line
    # is the empty line quoprimime appends
    lines = _NLCRE.split(body) if "\r" in body else body.split("\n")
    return "\r\n".join([_qp_line(line) for line in lines])


@lru_cache(maxsize=4096)
def _qp_line(line: str) -> str:
    """One line (latin-1 code points of its UTF-8 bytes, no line end) as quoprimime
    encodes it: escapes, soft breaks after at most 75 characters never inside an escape,
    a space or tab at its end escaped."""
    line = line.replace("=", "=3D")
    if _QP_UNSAFE.search(line) is not None:
        line = _QP_UNSAFE.sub(_qp_escape, line)
    encoded: list[str] = []
    append = encoded.append
    start = 0
    laststart = len(line) - 1 - _QP_MAX
    while start <= laststart:  # pieces of at most 75 characters and a soft break
        stop = start + _QP_MAX - 1
        if line[stop - 2] == "=":  # never split an escape
            append(line[start:stop - 1])
            start = stop - 2
        elif line[stop - 1] == "=":
            append(line[start:stop])
            start = stop - 1
        else:
            append(line[start:stop] + "=")
            start = stop
    if line and line[-1] in " \t":  # whitespace at the end of a line is escaped
        room = start - laststart
        if room >= 3:
            q = f"={ord(line[-1]):02X}"
        elif room == 2:
            q = line[-1] + "=\r\n"
        else:
            q = "=\r\n" + f"={ord(line[-1]):02X}"
        append(line[start:-1] + q)
    else:
        append(line[start:])
    return "\r\n".join(encoded)


def _leaf(part: Message) -> tuple[str, str]:
    """A part the email package built (an attachment): its head and body on the wire, as
    its generator writes a non-multipart part (headers folded one by one, a str payload
    with its line ends made CRLF)."""
    payload = part.get_payload()
    assert isinstance(payload, str)
    return ("".join(_fold(name, value) for name, value in part.raw_items()),
            _NLCRE.sub("\r\n", payload))


_SAMPLE_BOUNDARY = "=_" + "0" * 32  # the shape of every ``_boundary()``


@lru_cache(maxsize=4)
def _multipart_head(subtype: str) -> str:
    """``MIMEMultipart(subtype, boundary=...)``'s two headers, folded, with the sample
    boundary. compat32 folds at "; " and spaces only, so a boundary of the same length
    folds the same way and is put in by ``str.replace``."""
    return (_fold("Content-Type", f'multipart/{subtype}; boundary="{_SAMPLE_BOUNDARY}"')
            + "MIME-Version: 1.0\r\n")


def _multipart(subtype: str, parts: list[tuple[str, str]]) -> tuple[str, str]:
    """A multipart's head and body as the generator writes them: no preamble, each part
    after its delimiter line, the close delimiter, no epilogue."""
    boundary = _boundary()
    delimiter = f"\r\n--{boundary}\r\n"
    body = (f"--{boundary}\r\n" + delimiter.join(head + "\r\n" + text for head, text in parts)
            + f"\r\n--{boundary}--\r\n")
    return _multipart_head(subtype).replace(_SAMPLE_BOUNDARY, boundary), body


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
    body = _text_part(text, "plain")
    attachments = list(attachments)
    extra = [_leaf(_alternative_part(a)) for a in attachments
             if isinstance(a, Attachment) and a.alternative]
    if html is not None or extra:
        body = _multipart("alternative", [
            body, *([_text_part(html, "html")] if html is not None else []), *extra])
    parts = [_leaf(_attachment(a)) for a in attachments]
    head, payload = _multipart("mixed", [body, *parts]) if parts else body
    lines = [head, _fold("From", _mailbox(from_)), _fold("To", _mailbox(to))]
    if sender and parse_address(sender)[1].lower() != parse_address(from_)[1].lower():
        lines.append(_fold("Sender", _mailbox(sender)))
    lines += (_fold("Subject", _header(subject)), _fold("Date", _date(date)),
              _fold("Message-ID", message_id))
    for name, value in (headers or {}).items():
        lines.append(_fold(name, _header(value)))
    lines += ("\r\n", payload)
    return "".join(lines).encode("ascii", "surrogateescape")
