"""The client's QuickScan in real headless Chromium (Playwright, the Debian chromium),
against a real uvicorn server, with the report e-mails caught by a real aiosmtpd."""

from __future__ import annotations

import subprocess
import sys
import time
from email import message_from_bytes
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from web_support import fits_width, invitation_row, running_app, seed_invitation, wait_for

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def site(sqlite_url, clock, smtp_server):  # type: ignore[no-untyped-def]
    from quickcrm.bootstrap import bootstrap

    rt = bootstrap(database_url=sqlite_url, env={"QUICKCRM_SMTP_URL": smtp_server.url},
                   clock=clock)
    seeded = seed_invitation(rt)
    with running_app(rt) as base:
        yield rt, seeded, base, smtp_server
    rt.close()


def phone(browser: Any, **options: Any) -> Any:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="nl-NL", **options)
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    return page


def answers(rt: Any, invitation_id: int) -> dict[str, str]:
    from quickcrm.quickscans.answers import Respondent, load_answers

    with rt.session(read_only=True) as s:
        return load_answers(s, Respondent(invitation_id=invitation_id))


def answer_section_one(page: Any) -> None:
    page.get_by_label("ke2", exact=False)  # labels hold the option text, not the key
    for qid in ("leeftijd", "termijn", "opvolger", "besproken"):
        page.locator(f"#v-{qid} label.option").nth(1).click()


def test_client_answers_on_a_phone_finishes_and_both_get_the_report(browser, site):
    rt, sd, base, smtp = site
    page = phone(browser)
    page.goto(f"{base}/q/{sd.token}")
    assert "Wilt u de QuickScan invullen?" in page.content()
    assert invitation_row(rt, sd.invitation_id).logged_in_at is None  # a GET records nothing
    assert fits_width(page)
    page.get_by_role("button", name="Ja, ik doe mee").click()
    page.wait_for_url("**/stap/1")
    assert invitation_row(rt, sd.invitation_id).logged_in_at is not None

    answer_section_one(page)
    wait_for(lambda: len(answers(rt, sd.invitation_id)) == 4)  # saved as given
    assert fits_width(page)
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_url("**/stap/2")

    slider = page.locator("#s-voorbereiding")  # 0..100 step 5, its hidden thumb mid-way
    assert page.locator("#o-voorbereiding").inner_text() == "niet beantwoord"
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    # the live value with its verbal label
    assert page.locator("#o-voorbereiding").inner_text() == "65 – Grotendeels voorbereid"
    wait_for(lambda: answers(rt, sd.invitation_id).get("voorbereiding") == "65")
    page.locator("#s-pensioen").focus()
    page.keyboard.press("ArrowLeft")
    wait_for(lambda: answers(rt, sd.invitation_id).get("pensioen") == "-10")
    for qid in ("waarde", "structuur", "fiscaal"):
        page.locator(f"#v-{qid} label.option").first.click()
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_url("**/stap/3")

    page.locator("#v-zorgen label").nth(3).click()  # 4
    page.locator("#v-begeleiding label.option").nth(2).click()
    page.locator("#v-tevredenheid label").nth(7).click()  # 8
    page.locator("#a-toelichting").fill(SCRIPT + "\nGraag een gesprek in maart.")
    page.get_by_role("button", name="Naar overzicht").click()
    page.wait_for_url("**/overzicht")
    assert page.locator("dd[data-question=toelichting] .value").inner_text().startswith(SCRIPT)
    assert fits_width(page)

    page.get_by_role("button", name="Rapportage").click()
    page.wait_for_url(f"**/q/{sd.token}")
    assert "Bedankt voor het invullen" in page.content()
    assert page.locator("form").count() == 0  # read-only now
    assert SCRIPT in page.locator("dd[data-question=toelichting]").inner_text()
    assert page.dialogs == []  # the script answer was shown, never run
    row = invitation_row(rt, sd.invitation_id)
    assert row.finished_at is not None and row.report_sent_at is not None

    wait_for(lambda: len(smtp.messages) >= 2)
    by_rcpt = {rcpts[0]: message_from_bytes(raw) for _f, rcpts, raw in smtp.messages}
    client_mail, rm_mail = by_rcpt[sd.client_email], by_rcpt[sd.rm_email]
    attached = {p.get_filename(): p.get_payload(decode=True) for p in client_mail.walk()
                if p.get_filename()}
    assert [n for n in attached if n.endswith(".pdf")] and not any(
        n.endswith(".pptx") for n in attached)
    pdf = next(v for n, v in attached.items() if n.endswith(".pdf"))
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "Anna de Vries" in text and "De Vries Bouw B.V." in text and SCRIPT in text
    rm_files = {p.get_filename(): p.get_payload(decode=True) for p in rm_mail.walk()
                if p.get_filename()}
    assert rm_mail["Subject"] == client_mail["Subject"]
    pptx = next(v for n, v in rm_files.items() if n.endswith(".pptx"))
    from pptx import Presentation

    slides = Presentation(BytesIO(pptx)).slides
    assert len(slides) == 3 + 3 + 1  # title, agenda, summary, one per section, next steps
    assert any(n.endswith(".pdf") for n in rm_files)


def test_reload_midway_and_resume_on_another_device(browser, site):
    rt, sd, base, _smtp = site
    page = phone(browser)
    page.goto(f"{base}/q/{sd.token}")
    page.get_by_role("button", name="Ja, ik doe mee").click()
    page.wait_for_url("**/stap/1")
    answer_section_one(page)
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_url("**/stap/2")
    page.locator("#s-afhankelijkheid").focus()
    page.keyboard.press("ArrowRight")
    wait_for(lambda: answers(rt, sd.invitation_id).get("afhankelijkheid") == "4")
    slider = page.locator("#s-pensioen")  # -100..100: a tap at the right end chooses 100
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    wait_for(lambda: answers(rt, sd.invitation_id).get("pensioen") == "100")
    page.reload()
    assert page.locator("#s-afhankelijkheid").input_value() == "4"
    assert page.locator("#o-pensioen").inner_text() == "100 – Volledig onafhankelijk"
    assert page.locator("#o-afhankelijkheid").inner_text() == "4 – Draait grotendeels zonder mij"

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desktop.goto(f"{base}/q/{sd.token}")  # the same link from the e-mail, another device
    assert "Stap 2 van 3" in desktop.content()  # resumes at the first open section
    assert desktop.locator("#s-afhankelijkheid").input_value() == "4"
    desktop.goto(f"{base}/q/{sd.token}/stap/1")
    assert desktop.locator("#v-leeftijd input:checked").get_attribute("value") == "ke2"


def test_nee_ends_politely(browser, site):
    rt, sd, base, _smtp = site
    page = phone(browser)
    page.goto(f"{base}/q/{sd.token}")
    page.get_by_role("button", name="Nee, geen interesse").click()  # no dialog: at once
    page.wait_for_url("**?ongedaan=*")
    assert "Bedankt voor uw reactie" in page.content() and page.dialogs == []
    row = invitation_row(rt, sd.invitation_id)
    assert row.not_interested_at is not None and row.logged_in_at is not None
    assert page.get_by_role("button", name="Ongedaan maken").is_visible()
    page.goto(f"{base}/q/{sd.token}")  # the e-mail's link later: the Nee stands
    assert "Bedankt voor uw reactie" in page.content() and page.locator("form").count() == 0


def test_finishing_in_two_tabs_sends_one_report(browser, site):
    rt, sd, base, smtp = site
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    first.goto(f"{base}/q/{sd.token}")
    first.get_by_role("button", name="Ja, ik doe mee").click()
    first.wait_for_url("**/stap/1")
    answer_section_one(first)
    for tab in (first, second):
        tab.goto(f"{base}/q/{sd.token}/overzicht")
    first.get_by_role("button", name="Rapportage").click()
    second.get_by_role("button", name="Rapportage").click()
    for tab in (first, second):
        tab.wait_for_url(f"**/q/{sd.token}")
        assert "Bedankt voor het invullen" in tab.content()
    wait_for(lambda: len(smtp.messages) >= 2)
    time.sleep(1.0)
    assert sorted(r[0] for _f, r, _raw in smtp.messages) == sorted([sd.client_email, sd.rm_email])


def test_the_basics_work_without_javascript(browser, site):
    rt, sd, base, _smtp = site
    page = phone(browser, java_script_enabled=False)
    page.goto(f"{base}/q/{sd.token}")
    page.get_by_role("button", name="Ja, ik doe mee").click()
    page.wait_for_url("**/stap/1")
    answer_section_one(page)
    assert answers(rt, sd.invitation_id) == {}  # nothing saved until the form is sent
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_url("**/stap/2")
    assert answers(rt, sd.invitation_id) == {
        "leeftijd": "ke2", "termijn": "ke2", "opvolger": "ke2", "besproken": "ke2"}
    # without the script a slider is a number field: empty is no answer (issue 25 item 1)
    assert page.locator("#a-voorbereiding").input_value() == ""
    page.get_by_label("Uw antwoord, een getal van -100").fill("-30")
    page.locator("#v-waarde label.option").first.click()
    page.keyboard.press("Enter")  # Enter means Volgende
    page.wait_for_url("**/stap/3")
    stored = answers(rt, sd.invitation_id)
    assert stored["waarde"] == "ke1" and stored["pensioen"] == "-30"
    assert not {"voorbereiding", "afhankelijkheid"} & set(stored)  # untouched: not answers


def test_preview_in_the_browser_records_nothing_and_is_noindex(browser, site):
    rt, sd, base, _smtp = site
    before = invitation_row(rt, sd.invitation_id)
    page = phone(browser)
    response = page.goto(f"{base}/p/{sd.preview_token}")
    assert response.status == 200
    assert page.locator("meta[name=robots]").get_attribute("content").startswith("noindex")
    assert "Voorbeeld voor de relatiemanager" in page.content()
    assert page.locator("form").count() == 0
    assert invitation_row(rt, sd.invitation_id) == before
    assert answers(rt, sd.invitation_id) == {}


def test_unknown_tokens_look_the_same_in_the_browser(browser, site):
    rt, sd, base, _smtp = site
    page = phone(browser)
    bodies = []
    for path in (f"/q/{'A' * 32}", "/q/kort", f"/q/{sd.preview_token}", f"/p/{sd.token}"):
        response = page.goto(base + path)
        assert response.status == 404
        bodies.append(page.content())
    assert len(set(bodies)) == 1 and "Pagina niet gevonden" in bodies[0]


def test_cli_serve_command_starts_the_app(tmp_path: Path, sqlite_url: str):
    import httpx
    from web_support import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "quickcrm", "serve", "--port", str(port),
                             "--db", sqlite_url], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/q/{'A' * 32}").status_code == 404
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=30)
    finally:
        proc.terminate()
        proc.wait(10)


def test_daemon_web_serves_the_app_beside_the_scheduler(tmp_path: Path, sqlite_url: str):
    import signal

    import httpx
    from web_support import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "quickcrm", "daemon", "--web", "--port", str(port),
                             "--db", sqlite_url], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/robots.txt").status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


def test_the_links_that_send_mails_open_the_page_and_the_preview(browser, sqlite_url, clock,
                                                                 smtp_server):
    import re

    from test_send import final_campaign, parsed, runtime

    from quickcrm.campaigns.sending import send

    rt = runtime(sqlite_url, clock, smtp_server.url)
    final_campaign(rt, n=1)
    send(rt=rt, campaign="Voorjaar")
    bodies = [m.get_body(("plain",)).get_content() for m in parsed(smtp_server)]
    links = {m.group(1): m.group(0) for b in bodies
             for m in re.finditer(r"https://scan\.kantoor\.example/([qp])/[A-Za-z0-9_-]+", b)}
    assert set(links) == {"q", "p"}
    with running_app(rt) as base:
        page = phone(browser)
        page.goto(links["p"].replace("https://scan.kantoor.example", base))
        assert "Voorbeeld voor de relatiemanager" in page.content()
        page.goto(links["q"].replace("https://scan.kantoor.example", base))
        assert "Wilt u de QuickScan invullen?" in page.content()
        page.get_by_role("button", name="Ja, ik doe mee").click()
        page.wait_for_url("**/stap/1")
    rt.close()
