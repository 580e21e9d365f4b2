"""Issue 25 item 4, the reports the web flows mail: an invited client who finishes the
QuickScan and a landing visitor who confirms get a PDF (and their RM a PowerPoint) in the
firm's own colours, with its logo and the relationship manager's contact block, as
``quickcrm report --documents`` draws them. Through the real web app under uvicorn, a
real SMTP server, and independent readers: pdftotext, pdfimages, pdftoppm (pixels) and
python-pptx. The rendered pages stay in the test's tmp folder."""

from __future__ import annotations

import re
import subprocess
import time
from email import message_from_bytes
from email.message import Message
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
from web_support import running_app, seed_invitation, wait_for

LOGO_RGB = (200, 30, 30)  # a red logo of 300 x 100 pixels
PRIMARY = "#006e50"  # the firm's green
FIRM = "Van Dijk & Partners"
RM = {"first_name": "Marieke", "last_name": "Jansen", "function": "Senior relatiemanager",
      "phone": "06 1234 5678"}


def branded_runtime(db_url: str, clock: Any, smtp_url: str, tmp_path: Path) -> Any:
    from PIL import Image

    from quickcrm.bootstrap import bootstrap

    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 100), LOGO_RGB).save(logo, format="PNG")
    return bootstrap(database_url=db_url, clock=clock, env={
        "QUICKCRM_SMTP_URL": smtp_url, "QUICKCRM_FIRM_NAME": FIRM,
        "QUICKCRM_FIRM_LOGO": str(logo), "QUICKCRM_FIRM_COLOR": PRIMARY,
        "QUICKCRM_FIRM_PHONE": "020 123 45 67", "QUICKCRM_FIRM_WEBSITE": "https://vandijk.nl"})


def give_rm_details(rt: Any, email: str) -> None:
    """What ``user edit`` sets: the RM's name, function and phone."""
    from sqlmodel import select

    from quickcrm.store.models import User

    with rt.session() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        for key, value in RM.items():
            setattr(user, key, value)
        s.add(user)
        s.commit()


def attachment(msg: Message, suffix: str) -> bytes:
    for part in msg.walk():
        if (part.get_filename() or "").endswith(suffix):
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    raise AssertionError(f"no {suffix} attached to {msg['Subject']!r} for {msg['To']!r}")


def mails(smtp: Any) -> list[Message]:
    return [message_from_bytes(raw) for _f, _t, raw in smtp.messages]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f.]+)"', html)
    assert found, "page has no csrf field"
    return found.group(1)


def check_pdf(pdf: bytes, tmp_path: Path, name: str, rm_email: str) -> None:
    """The firm's name, the RM's contact block, the logo embedded and drawn, the firm's
    colour on the cover."""
    from PIL import Image

    from quickcrm.quickscans.report_data import hex_rgb, readable

    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = [" ".join(p.split()) for p in text.split("\f")[:-1]]
    assert FIRM in pages[0]  # the cover names the firm
    last = pages[-1]
    for expected in ("Marieke Jansen", "Senior relatiemanager", "Telefoon 06 1234 5678",
                     f"E-mail {rm_email}", "020 123 45 67", "https://vandijk.nl"):
        assert expected in last, (expected, last)
    assert "Voorbeeld Accountants" not in text  # not the default firm
    listing = subprocess.run(["pdfimages", "-list", str(path)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    assert [row.split()[3:5] for row in listing] == [["300", "100"]]  # the logo, once
    stem = tmp_path / f"{name}-cover"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", "1", "-l", "1",
                    str(path), str(stem)], check=True)
    cover = Image.open(stem.with_suffix(".png")).convert("RGB")
    logo = cover.getpixel((int(cover.width * 0.12), int(cover.height * 0.08)))
    assert max(abs(a - b) for a, b in zip(logo, LOGO_RGB, strict=True)) < 12, logo
    band = cover.getpixel((cover.width // 2, int(cover.height * 0.40)))
    assert band == readable(hex_rgb(PRIMARY)), band


def check_pptx(pptx: bytes, rm_email: str) -> None:
    """The logo on the title slide, the RM's contact on the closing slide."""
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    prs = Presentation(BytesIO(pptx))
    slides = list(prs.slides)
    pictures = [sh for sh in slides[0].shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 1
    from PIL import Image

    image = Image.open(BytesIO(pictures[0].image.blob)).convert("RGB")
    assert image.size == (300, 100) and image.getpixel((150, 50)) == LOGO_RGB
    closing = [sh.text_frame.text for sh in slides[-1].shapes if sh.has_text_frame]
    assert any("Marieke Jansen" in t and "Telefoon 06 1234 5678" in t and rm_email in t
               for t in closing), closing


def test_an_invited_clients_report_mail_carries_the_firms_logo_colour_and_their_rm(
        db_url, clock, smtp_server, tmp_path):
    rt = branded_runtime(db_url, clock, smtp_server.url, tmp_path)
    sd = seed_invitation(rt)
    give_rm_details(rt, sd.rm_email)
    with running_app(rt) as base, httpx.Client(base_url=base, timeout=30) as client:
        csrf = csrf_of(client.get(f"/q/{sd.token}").text)
        assert client.post(f"/q/{sd.token}/keuze",
                           data={"csrf": csrf, "keuze": "ja"}).status_code == 303
        for q, v in (("leeftijd", "ke3"), ("termijn", "ke2"), ("voorbereiding", "20")):
            client.post(f"/q/{sd.token}/antwoord", data={"csrf": csrf, "vraag": q, "waarde": v})
        assert client.post(f"/q/{sd.token}/rapportage", data={"csrf": csrf}).status_code == 303
        wait_for(lambda: len(smtp_server.messages) >= 2)
    rt.close()
    received = mails(smtp_server)
    to_client = next(m for m in received if sd.client_email in str(m["To"]))
    to_rm = next(m for m in received if sd.rm_email in str(m["To"]))
    check_pdf(attachment(to_client, ".pdf"), tmp_path, "client", sd.rm_email)
    assert attachment(to_rm, ".pdf") == attachment(to_client, ".pdf")
    check_pptx(attachment(to_rm, ".pptx"), sd.rm_email)


def test_a_landing_visitors_report_mail_carries_the_firms_logo_colour_and_the_pages_rm(
        db_url, clock, smtp_server, tmp_path):
    from quickcrm import branding
    from quickcrm.landing.service import create_page
    from quickcrm.store.models import User

    rt = branded_runtime(db_url, clock, smtp_server.url, tmp_path)
    rm_email = "m.jansen@vandijk.example"
    with rt.session() as s:
        s.add(User(email=rm_email, created_at=rt.clock.now(), **RM))
        s.commit()
        create_page(session=s, actor=rt.actor, now=rt.clock.now(),
                    quickscan="bedrijfsopvolging", slug="opvolging", rm=rm_email,
                    title="Hoe goed is uw opvolging geregeld?",
                    brand=branding.from_settings(rt.settings))
    visitor = "piet@prospectbouw.example"
    with running_app(rt) as base, httpx.Client(base_url=base, timeout=30) as client:
        csrf = csrf_of(client.get("/l/opvolging").text)
        first = client.post("/l/opvolging", data={"csrf": csrf, "ga": "volgende",
                                                  "a-leeftijd": "ke3"})
        assert first.status_code == 303
        where = first.headers["location"]
        csrf = csrf_of(client.get(where).text)
        done = client.post(f"{where.rsplit('/stap/', 1)[0]}/rapportage", follow_redirects=True,
                           data={"csrf": csrf, "voornaam": "Piet", "achternaam": "Prospect",
                                 "bedrijf": "Prospect Bouw B.V.", "email": visitor,
                                 "toestemming": "ja"})
        assert "Bevestig uw e-mailadres" in done.text
        wait_for(lambda: len(smtp_server.messages) >= 1)
        plain = next(p for p in mails(smtp_server)[0].walk()
                     if p.get_content_type() == "text/plain")
        link = re.search(r"http://localhost:8000(/l/\S+/bevestig/\S+)",
                         plain.get_payload(decode=True).decode()).group(1)
        page = client.get(link)
        client.post(link, data={"csrf": csrf_of(page.text)})
        wait_for(lambda: sum(str(m["Subject"]).startswith("Uw rapportage")
                             for m in mails(smtp_server)) >= 2)
        time.sleep(0.2)
    rt.close()
    reports = [m for m in mails(smtp_server) if str(m["Subject"]).startswith("Uw rapportage")]
    to_visitor = next(m for m in reports if visitor in str(m["To"]))
    to_rm = next(m for m in reports if rm_email in str(m["To"]))
    check_pdf(attachment(to_visitor, ".pdf"), tmp_path, "visitor", rm_email)
    check_pptx(attachment(to_rm, ".pptx"), rm_email)
