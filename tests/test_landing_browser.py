"""A landing page in real headless Chromium on a 360 px phone, against a real uvicorn
server, with the e-mails caught by a real aiosmtpd: a visitor becomes a prospect only
after confirming the e-mail link, and an unconfirmed visitor never gets a report."""

from __future__ import annotations

import re
import subprocess
import time
from email import message_from_bytes
from typing import Any

import pytest
from test_landing_http import make_page
from web_support import fits_width, running_app, wait_for

SLUG = "opvolging"


@pytest.fixture
def site(sqlite_url, clock, smtp_server):  # type: ignore[no-untyped-def]
    from quickcrm.bootstrap import bootstrap

    rt = bootstrap(database_url=sqlite_url,
                   env={"QUICKCRM_SMTP_URL": smtp_server.url,
                        "QUICKCRM_LANDING_PREFIX": "PR-"}, clock=clock)
    make_page(rt)
    with running_app(rt) as base:
        yield rt, base, smtp_server
    rt.close()


def phone(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="nl-NL")
    return context.new_page()


def mails(smtp: Any) -> list[tuple[str, Any]]:
    return [(rcpts[0], message_from_bytes(raw)) for _f, rcpts, raw in smtp.messages]


def text_of(msg: Any) -> str:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    return str(part.get_payload(decode=True).decode(part.get_content_charset()))


def fill_in_and_finish(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/l/{SLUG}")
    assert page.locator('meta[property="og:title"]').get_attribute("content") \
        == "Hoe goed is uw opvolging geregeld?"
    assert fits_width(page)
    # the first questions come before any personal details (issue 25 item 10)
    assert page.get_by_label("E-mailadres").count() == 0
    for qid in ("leeftijd", "termijn", "opvolger", "besproken"):
        page.locator(f"#v-{qid} label.option").nth(1).click()
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_url("**/stap/2")
    assert fits_width(page)
    for qid in ("waarde", "structuur", "fiscaal"):
        page.locator(f"#v-{qid} label.option").first.click()
    page.locator("#st-fiscaal").get_by_text("Opgeslagen").wait_for()  # saved as given
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_url("**/stap/3")
    page.locator("#v-zorgen label").nth(3).click()
    page.locator("#a-toelichting").fill("Graag een gesprek.")
    page.get_by_role("button", name="Naar overzicht").click()
    page.wait_for_url("**/overzicht")
    assert fits_width(page)
    page.get_by_label("Voornaam").fill("Piet")
    page.get_by_label("Achternaam").fill("Prospect")
    page.get_by_label("Bedrijf").fill("Prospect Bouw B.V.")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_role("button", name="Rapportage").click()
    page.wait_for_url("**/rapportage")
    assert "Zonder uw toestemming" in page.content()  # consent is explicit
    assert page.get_by_label("Voornaam").input_value() == "Piet"  # nothing typed is lost
    page.locator("#f-toestemming").check()
    page.get_by_role("button", name="Rapportage").click()
    page.wait_for_selector("text=Bevestig uw e-mailadres")


def test_visitor_confirms_by_the_mailed_link_and_becomes_a_prospect(browser, site):
    rt, base, smtp = site
    page = phone(browser)
    fill_in_and_finish(page, base, "piet@prospectbouw.example")
    wait_for(lambda: len(smtp.messages) >= 1)
    (to, confirmation), = mails(smtp)
    assert to == "piet@prospectbouw.example"
    link = re.search(r"(http://localhost:8000/l/\S+/bevestig/\S+)", text_of(confirmation))[1]
    page.goto(link.replace("http://localhost:8000", base))
    assert fits_width(page)
    page.get_by_role("button", name="Bevestig mijn e-mailadres").click()
    page.wait_for_selector("text=Uw e-mailadres is bevestigd")

    wait_for(lambda: len(smtp.messages) >= 4)
    got = mails(smtp)[1:]
    to_visitor = [m for to, m in got if to == "piet@prospectbouw.example"]
    to_rm = [m for to, m in got if to == "rm@firma.example"]
    assert len(to_visitor) == 1 and len(to_rm) == 2
    pdf = next(p.get_payload(decode=True) for p in to_visitor[0].walk()
               if (p.get_filename() or "").endswith(".pdf"))
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "Piet Prospect" in text and "Prospect Bouw B.V." in text
    report_copy = next(m for m in to_rm if m["Subject"] == to_visitor[0]["Subject"])
    assert {(p.get_filename() or "")[-4:] for p in report_copy.walk()} >= {".pdf", "pptx"}
    notice = next(m for m in to_rm if m["Subject"].startswith("Nieuwe prospect"))
    assert "Piet Prospect" in notice["Subject"] and "PR-000001" in text_of(notice)

    from sqlmodel import select

    from quickcrm.store.models import Event, Person, Relation, User

    with rt.session(read_only=True) as s:
        person = s.exec(select(Person).where(Person.email == "piet@prospectbouw.example")).one()
        rel = s.get(Relation, person.relation_id)
        rm = s.get(User, rel.rm_id)
        kinds = s.exec(select(Event.kind).where(Event.relation_id == rel.id)).all()
    assert (rel.number, rel.stage, rel.company) == ("PR-000001", "prospect",
                                                    "Prospect Bouw B.V.")
    assert rm.email == "rm@firma.example" and "landing.completed" in kinds


def test_unconfirmed_visitor_gets_no_report(browser, site):
    rt, base, smtp = site
    page = phone(browser)
    fill_in_and_finish(page, base, "iemand.anders@example.org")
    wait_for(lambda: len(smtp.messages) >= 1)
    time.sleep(1.5)  # delivery runs at once; nothing else may follow
    (to, msg), = mails(smtp)
    assert to == "iemand.anders@example.org" and "Bevestig" in msg["Subject"]
    assert not any(p.get_filename() for p in msg.walk())
    from sqlmodel import select

    from quickcrm.store.models import Relation

    with rt.session(read_only=True) as s:
        assert s.exec(select(Relation)).all() == []
