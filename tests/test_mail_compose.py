"""The bytes of a queued message as a mail program reads them back (issue 27's faster
composing): headers short and long, ASCII and not, decoded to what was given; every line
CRLF and folded; each multipart boundary its own and absent from the parts; bodies and
attachments intact. Read back with the standard library's modern parser."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address

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
