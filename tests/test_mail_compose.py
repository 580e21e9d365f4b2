"""The bytes of a queued message as a mail program reads them back (issue 27's faster
composing): headers short and long, ASCII and not, decoded to what was given; every line
CRLF and folded; each multipart boundary its own and absent from the parts; bodies and
attachments intact. Read back with the standard library's modern parser."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from typing import Any

import pytest

from quickcrm.mail.compose import Attachment, address, compose

SUBJECTS = [
    "Informatie",
    "Informatie over uw aanvraag",
    "Uw rapportage Personal QuickScan Bedrijfsopvolging - een heel lange onderwerpregel "
    "die zeker over de achtenzeventig tekens gaat en dus gevouwen moet worden",
    "Café Ærø — Łukasz Şahin, Nguyễn",
    "x" * 120,
]
NAMES = [("Marja de Vries", "m.devries@kantoor.example"),
         ("Vries, Marja de", "m@kantoor.example"),
         ("Ayşe Şahin", "ayse@bakkerij.example"),
         ("", "plain@kantoor.example")]


def words(value: str) -> list[str]:
    return value.split()


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize(("name", "email"), NAMES)
def test_a_composed_message_reads_back_as_it_was_given(subject, name, email):
    text = "Beste klant,\n\nRegel met = en =_ en een heel lange regel " + "woord " * 30 + "\n"
    html = "<p>Beste klant,</p><p>=_ in html</p>"
    pdf = b"%PDF-1.4 =_ binary \x00\xff" * 50
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    raw = compose(from_=address(name, email), to=address("Jan Jansen", "jan@example.nl"),
                  subject=subject, text=text, html=html,
                  attachments=[("Rapportage Şahin.pdf", pdf, "application/pdf"),
                               Attachment("uitnodiging.ics", ics,
                                          "text/calendar; method=REQUEST", alternative=True)],
                  sender=address("QuickCRM", "noreply@platform.example"),
                  headers={"X-QuickCRM-Ref": "step:1"}, message_id="<abc@platform.example>",
                  date=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    lines = raw.split(b"\r\n")
    assert b"\n" not in b"".join(lines) and all(len(line) <= 998 for line in lines)
    assert all(len(line) <= 78 for line in lines if b" " in line.strip())  # folded
    msg = message_from_bytes(raw, policy=policy.default)
    assert words(str(msg["Subject"])) == words(subject)  # unfolded
    assert msg["From"].addresses == (Address(display_name=name, addr_spec=email),)
    assert msg["To"].addresses[0].addr_spec == "jan@example.nl"
    assert msg["Sender"].addresses[0].addr_spec == "noreply@platform.example"
    assert msg["Message-ID"] == "<abc@platform.example>"
    assert msg["X-QuickCRM-Ref"] == "step:1"
    boundaries = [p.get_boundary() for p in msg.walk() if p.is_multipart()]
    assert len(boundaries) == len(set(boundaries)) == 2  # mixed, alternative
    for boundary in boundaries:  # exactly its own delimiter lines, nothing else
        marks = [line for line in lines if boundary.encode() in line]
        assert all(line.startswith(b"--") or b"boundary=" in line for line in marks)
    plain = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    assert plain.get_content().replace("\r\n", "\n") == text  # CRLF on the wire
    assert next(p for p in msg.walk()
                if p.get_content_type() == "text/html").get_content() == html
    attached = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert attached["Rapportage Şahin.pdf"] == pdf
    calendar = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"


def test_every_message_gets_its_own_boundary():
    def one() -> bytes:
        return compose(from_="a@b.example", to="c@d.example", subject="s", text="t",
                       html="<p>t</p>", message_id="<1@b.example>",
                       date=datetime(2026, 1, 1, tzinfo=UTC))

    first, second = (message_from_bytes(one()).get_boundary() for _ in range(2))
    assert first and second and first != second


def classic(*, from_: str, to: str, subject: str, text: str, html: str | None,
            attachments: list[Any], sender: str, headers: dict[str, str], message_id: str,
            date: datetime, boundaries: list[str]) -> bytes:
    """The message as the email package's own MIME classes and compat32 write it (how
    compose worked before it was made faster), with the boundaries ``compose`` chose."""
    from email import encoders
    from email.charset import BASE64, QP, Charset
    from email.header import Header
    from email.mime.base import MIMEBase
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText
    from email.utils import format_datetime, formataddr, parseaddr

    utf8 = Charset("utf-8")
    utf8.body_encoding, utf8.header_encoding = QP, BASE64
    wire = policy.compat32.clone(linesep="\r\n")

    def mailbox(value: str) -> str:
        name, addr = parseaddr(value)
        return formataddr((name, addr), charset=utf8) if name else addr

    def header(value: str) -> str:
        return value if value.isascii() else Header(value, utf8).encode()

    def attached(att: Attachment) -> Any:
        maintype, _, subtype = att.mimetype.split(";")[0].strip().partition("/")
        part = MIMEBase(maintype, subtype)
        part.set_payload(att.content)
        encoders.encode_base64(part)
        name = att.filename if att.filename.isascii() else ("utf-8", "", att.filename)
        part.add_header("Content-Disposition", "attachment", filename=name)
        return part

    def alternative(att: Attachment) -> Any:
        maintype, _, rest = att.mimetype.partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        part = MIMEBase(maintype, subtype, charset="utf-8")
        for key, value in dict(p.split("=", 1) for p in params).items():
            part.set_param(key, value)
        part.set_payload(att.content)
        encoders.encode_base64(part)
        return part

    queue = list(boundaries)
    body: Any = MIMEText(text, "plain", utf8)  # type: ignore[arg-type]
    extra = [alternative(a) for a in attachments if a.alternative]
    if html is not None or extra:
        alts = [body, *([MIMEText(html, "html", utf8)] if html is not None else []), *extra]  # type: ignore[arg-type]
        body = MIMEMultipart("alternative", boundary=queue.pop(), _subparts=alts)
    parts = [attached(a) for a in attachments]
    msg = MIMEMultipart("mixed", boundary=queue.pop(), _subparts=[body, *parts]) \
        if parts else body
    msg["From"], msg["To"] = mailbox(from_), mailbox(to)
    if parseaddr(sender)[1].lower() != parseaddr(from_)[1].lower():
        msg["Sender"] = mailbox(sender)
    msg["Subject"], msg["Date"] = header(subject), format_datetime(date)
    msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name] = header(value)
    return msg.as_bytes(policy=wire)


def test_composed_bytes_are_the_email_packages_own(tmp_path):
    """Byte for byte what the standard library's MIME classes write, for texts a
    generator makes up: accents, emoji, long and short lines, "From " at a line start,
    trailing spaces, tabs, CR LF, empty; subjects and names short, long and not ASCII."""
    import random

    rng = random.Random(27)
    alphabet = (list("abcdefghij klmnop qrstuvwxyz ABC XYZ 0123456789 .,;:-_=?!()'\"")
                + ["é", "ë", "ç", "ß", "€", "Ş", "ł", "ễ", "😀", "\t", "\n", "\r\n", "  ",
                   "From ", "=", "=_", "."])

    def made_up(n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    for i in range(300):
        subject = rng.choice([made_up(rng.randint(0, 30)), made_up(rng.randint(60, 200)),
                              "Informatie over uw aanvraag"]).replace("\n", " ").replace("\r", "")
        name = rng.choice(["", "Marja de Vries", "Ayşe Şahin", "Vries, Marja de",
                           made_up(20).replace("\n", "").replace("\r", "")])
        text = rng.choice(["", made_up(rng.randint(1, 40)), made_up(rng.randint(200, 1500))])
        html = rng.choice([None, "<p>" + made_up(rng.randint(0, 300)) + "</p>"])
        attachments = rng.choice([[], [Attachment("bijlage.pdf", rng.randbytes(500),
                                                  "application/pdf")],
                                  [Attachment("uitnodiging.ics", b"BEGIN:VCALENDAR\r\n",
                                              "text/calendar; method=REQUEST",
                                              alternative=True),
                                   Attachment("Rapportage Şahin.pptx", b"PK\x03\x04",
                                              "application/octet-stream")]])
        given = dict(from_=address(name, "rm@kantoor.example"),
                     to=address("Jan " + str(i), f"jan{i}@example.nl"), subject=subject,
                     text=text, html=html, attachments=attachments,
                     sender=address("QuickCRM", "noreply@platform.example"),
                     headers={"X-QuickCRM-Ref": f"step:{i}"},
                     message_id=f"<{i}@platform.example>",
                     date=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        ours = compose(**given)
        boundaries = [p.get_boundary() for p in message_from_bytes(ours).walk()
                      if p.is_multipart()]
        assert ours == classic(**given, boundaries=boundaries), (i, given)


def test_quoted_printable_is_the_email_packages_own():
    """compose's quoted-printable encoder writes what the email package's does (with the
    generator's CRLF): escapes, soft breaks that never split an escape, whitespace at a
    line end, control characters, CR, LF and CR LF, text not ASCII."""
    import random

    from quickcrm.mail.compose import _UTF8, _quoted_printable

    rng = random.Random(2027)
    alphabet = list("ab =  \t\r\n.x") + ["\r\n", "é", "€", "😀", "\x0b", "\x0c", "\x85",
                                         "\x7f", "\x00", "\u2028", "==", " \t", "=" * 5]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        if rng.random() < 0.3:  # long lines
            text = text.replace("\n", "").replace("\r", "")
        assert _quoted_printable(text) == _UTF8.body_encode(text).replace("\n", "\r\n"), text


AWKWARD = [
    # (subject, from name, to name, text, extra header value)
    ("x" * 200, "Marja de Vries", "Jan", "een woord van tweehonderd tekens: " + "y" * 200,
     "z" * 150),
    ("Ærøskøbing" * 12, "Łukasz " * 20, "Nguyễn Thị Minh Khai", "Ærø\r\nŁódź\rNguyễn\n",
     "Café Ærø " * 10),
    ("Re: \"offerte\" (2026), €1.000,- ; 50% korting", 'Vries, "Marja" de', "O'Brien, J.",
     "From the start\nFrom here\n.\n..\n", "a;b,c d\te"),
    ("tab\tin onderwerp", "😀 Emoji Naam", "", "\r\n\r\n", "ascii"),
    ("", "", "Ayşe Şahin", "regel met = aan het eind =\nen = =3D =\t\n   \n", ""),
]


@pytest.mark.parametrize(("subject", "from_name", "to_name", "text", "extra"), AWKWARD)
def test_awkward_messages_are_the_email_packages_bytes_and_read_back(subject, from_name,
                                                                      to_name, text, extra):
    """Long subjects and words, names and subjects not ASCII, quotes and commas in
    display names, CR, LF and CR LF in the text, a long file name not ASCII: the bytes
    are what the email package's own classes write, and its modern parser reads back
    the headers, parts and attachments that were given."""
    given: dict[str, Any] = dict(
        from_=address(from_name, "rm@kantoor.example"),
        to=address(to_name, "klant@example.nl"), subject=subject, text=text,
        html="<p>" + text.replace("\n", "<br>") + "</p>",
        attachments=[Attachment("Offerte " + "Ærøskøbing " * 8 + ".pdf", b"%PDF\x00\xff" * 99,
                                "application/pdf"),
                     Attachment("uitnodiging.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                                "text/calendar; method=REQUEST", alternative=True)],
        sender=address("QuickCRM", "noreply@platform.example"),
        headers={"X-QuickCRM-Note": extra} if extra else {},
        message_id="<awkward@platform.example>",
        date=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    for attachments in (given["attachments"], []):
        for html in (given["html"], None):
            case = {**given, "attachments": attachments, "html": html}
            raw = compose(**case)
            boundaries = [p.get_boundary() for p in message_from_bytes(raw).walk()
                          if p.is_multipart()]
            assert raw == classic(**case, boundaries=boundaries)
            lines = raw.split(b"\r\n")
            assert b"\n" not in b"".join(lines) and all(len(line) <= 998 for line in lines)
            msg = message_from_bytes(raw, policy=policy.default)
            assert words(str(msg["Subject"] or "")) == words(subject)
            assert msg["From"].addresses[0].display_name == from_name
            assert msg["From"].addresses[0].addr_spec == "rm@kantoor.example"
            assert msg["To"].addresses[0].display_name == to_name
            if extra:
                assert words(str(msg["X-QuickCRM-Note"])) == words(extra)
            plain = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
            assert one_eol(plain.get_content()) == one_eol(text)  # CR, LF, CRLF: a line end
            if html is not None:
                assert one_eol(next(p for p in msg.walk() if p.get_content_type()
                                    == "text/html").get_content()) == one_eol(html)
            attached = {p.get_filename(): p.get_payload(decode=True)
                        for p in msg.iter_attachments()}
            assert attached == {a.filename: a.content for a in attachments}


def one_eol(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


def test_addresses_are_read_as_the_email_package_reads_them():
    """compose's shortcut for plain ``Name <local@domain>`` values gives what
    ``email.utils.parseaddr`` gives, for plain values and for every near miss (quotes,
    comments, specials, doubled dots and spaces, encoded words, lists)."""
    import random
    from email.utils import parseaddr

    from quickcrm.mail.compose import parse_address

    rng = random.Random(24)
    words = ["Bas", "Wolters", "de", "Vries", "O'Brien", "Jean-Luc", "=?utf-8?b?w6k=?=",
             "José", "ß", "A.", "x_y", "!#$%&*+/=?^`{|}~", "(c)", '"q"', "a,b", "[x]", "\\"]
    locals_ = ["a", "b.c", "x..y", ".a", "a.", "j.jansen", "info+tag", "!#$", "é", "a b"]
    domains = ["example.nl", "x", "sub.example.com", "a..b", ".x", "x.", "bakker-beheer.nl",
               "[1.2.3.4]", "ex ample", "@x"]
    for _ in range(20000):
        name = rng.choice([" ", " ", "  ", "\t"]).join(
            rng.choice(words) for _ in range(rng.randint(0, 3)))
        addr = rng.choice(locals_) + rng.choice(["@", "@", "@", "", "@@"]) + rng.choice(domains)
        value = rng.choice([f"{name} <{addr}>", f"{name} <{addr}>", addr, f"{name}<{addr}>",
                            f" {name} <{addr}> ", f"{name} <{addr}>, x@y.nl",
                            address(name, addr) if addr.isascii() else addr])
        assert parse_address.__wrapped__(value) == parseaddr(value), value


def test_the_date_header_is_as_the_email_package_writes_it_for_any_time_and_offset():
    import random
    from datetime import timedelta, timezone
    from email.utils import format_datetime
    from zoneinfo import ZoneInfo

    from quickcrm.mail.compose import _date

    zones = [UTC, ZoneInfo("Europe/Amsterdam"), ZoneInfo("America/St_Johns"),
             ZoneInfo("Asia/Kolkata"), ZoneInfo("Africa/Monrovia"),  # -0:44:30 once
             timezone(timedelta(hours=-11, minutes=-30)), timezone(timedelta(hours=14)),
             timezone(timedelta(seconds=37))]
    rnd = random.Random(27)
    for _ in range(20_000):
        when = (datetime(1, 1, 2) + timedelta(seconds=rnd.randrange(9998 * 365 * 86400))
                ).replace(tzinfo=rnd.choice(zones))
        assert _date(when) == format_datetime(when), when
