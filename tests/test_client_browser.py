"""The client's side as a client and a designer would look at it (issue 25), in real
headless Chromium against a real uvicorn server: honest answers (an untouched slider is
no answer, with and without JavaScript, for the invited client and the landing visitor),
the firm's branding and the RM on the pages, the controls (labels, 44 px targets,
"Opgeslagen" beside the question, Vorige a link, Nee with "ongedaan maken"), and
accessibility as a measured goal (axe-core on every page, keyboard only, reflow at
320 px, 3:1 contrast of controls). Screenshots go to the test's tmp folder."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from a11y import axe_violations, fits_width, low_contrast_controls
from PIL import Image
from web_support import invitation_row, running_app, seed_invitation, wait_for

SLIDERS = {"voorbereiding", "afhankelijkheid", "pensioen"}


def _logo(path: Path) -> Path:
    image = Image.new("RGB", (360, 90), "#ffffff")
    from PIL import ImageDraw

    ImageDraw.Draw(image).rectangle((0, 0, 90, 90), fill="#7a1f5c")
    image.save(path, "PNG")
    return path


@pytest.fixture
def site(sqlite_url, clock, smtp_server, tmp_path):  # type: ignore[no-untyped-def]
    from test_landing_http import make_page

    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.photos import prepare_photo
    from quickcrm.crm.users import UserEdit, edit_user

    env = {"QUICKCRM_SMTP_URL": smtp_server.url, "QUICKCRM_FIRM_NAME": "Van Dijk & Partners",
           "QUICKCRM_FIRM_LOGO": str(_logo(tmp_path / "logo.png")),
           "QUICKCRM_FIRM_COLOR": "#7a1f5c", "QUICKCRM_FIRM_ACCENT": "#0b6e4f",
           "QUICKCRM_FIRM_PHONE": "030 123 45 67", "QUICKCRM_FIRM_EMAIL": "info@vandijk.example",
           "QUICKCRM_FIRM_ADDRESS": "Maliebaan 1, 3581 CA Utrecht",
           "QUICKCRM_FIRM_WEBSITE": "https://www.vandijk.example"}
    rt = bootstrap(database_url=sqlite_url, env=env, clock=clock)
    seeded = seed_invitation(rt)
    buf = io.BytesIO()
    Image.new("RGB", (200, 200), (120, 150, 180)).save(buf, "JPEG")
    with rt.session() as s:
        edit_user(session=s, actor=rt.actor, now=clock.now(), email="rm@firma.example",
                  edit=UserEdit(function="Relatiemanager MKB", phone="06 12 34 56 78",
                                photo=prepare_photo(buf.getvalue(), "rik.jpg")))
    make_page(rt, rm=None)
    with running_app(rt) as base:
        yield rt, seeded, base, smtp_server
    rt.close()


def answers(rt: Any, invitation_id: int | None = None, visitor_id: int | None = None
            ) -> dict[str, str]:
    from quickcrm.quickscans.answers import Respondent, load_answers

    with rt.session(read_only=True) as s:
        return load_answers(s, Respondent(invitation_id=invitation_id,
                                          landing_visitor_id=visitor_id))


def all_answer_rows(rt: Any) -> list[tuple[Any, ...]]:
    from sqlmodel import select

    from quickcrm.quickscans.models import Answer

    with rt.session(read_only=True) as s:
        return [(a.invitation_id, a.landing_visitor_id, a.question_id, a.value)
                for a in s.exec(select(Answer)).all()]


def context(browser: Any, width: int = 360, **options: Any) -> Any:
    mobile = width < 800
    return browser.new_context(viewport={"width": width, "height": 800 if mobile else 900},
                               is_mobile=mobile, has_touch=mobile, locale="nl-NL", **options)


def shoot(page: Any, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "screenshots"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


THUMB = (0x7a, 0x1f, 0x5c)  # the firm's colour in the fixture, which the thumb is painted in


def thumb_span(page: Any, selector: str) -> int:
    """How many pixels wide the slider's thumb is drawn (0: not drawn), measured in a
    screenshot of the slider: the columns holding the thumb's colour."""
    png = page.locator(selector).screenshot()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    columns = {x for x in range(image.width) for y in range(image.height)
               if sum(abs(a - b) for a, b in zip(image.getpixel((x, y)), THUMB, strict=True)) < 40}
    return max(columns) - min(columns) + 1 if columns else 0


def start(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/q/{token}")
    page.get_by_role("button", name="Ja, ik doe mee").click()
    page.wait_for_url("**/stap/1")


@pytest.mark.parametrize("script", [True, False], ids=["with-js", "without-js"])
def test_untouched_sliders_are_never_stored_as_answers(browser, site, tmp_path, script):
    """Item 1: press Volgende past every slider without touching it; nothing is stored,
    the page, the overview and the finished page say "niet beantwoord"."""
    rt, sd, base, _smtp = site
    page = context(browser, java_script_enabled=script).new_page()
    start(page, base, sd.token)
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_url("**/stap/2")
    for qid in SLIDERS:
        assert "niet beantwoord" in page.locator(f"#o-{qid}").inner_text()
    if script:  # a slider, its thumb hidden until set; no number field
        assert page.locator("#s-pensioen").is_visible()
        assert not page.locator("#a-pensioen").is_visible()
        assert thumb_span(page, "#s-pensioen") == 0  # no thumb drawn at all
    else:  # an empty number field, and nothing chosen
        assert page.locator("#a-pensioen").input_value() == ""
    shoot(page, tmp_path, f"untouched-{'js' if script else 'nojs'}")
    page.get_by_role("button", name="Volgende").click()
    page.wait_for_url("**/stap/3")
    page.get_by_role("button", name="Naar overzicht").click()
    page.wait_for_url("**/overzicht")
    for qid in SLIDERS:
        assert page.locator(f"dd[data-question={qid}]").inner_text() == "Niet beantwoord"
    assert all_answer_rows(rt) == []  # no stored answer that no person gave
    page.get_by_role("button", name="Rapportage").click()
    page.wait_for_url(f"**/q/{sd.token}")
    assert page.locator("dd[data-question=pensioen]").inner_text() == "Niet beantwoord"
    assert all_answer_rows(rt) == []
    assert invitation_row(rt, sd.invitation_id).finished_at is not None
    # the campaign's Excel download: the question columns (AD onwards) hold nothing
    from python_calamine import CalamineWorkbook

    from quickcrm.campaigns.excel_export import export_campaign_excel

    out = tmp_path / "campagne.xlsx"
    with rt.session(read_only=True) as s:
        export_campaign_excel(session=s, actor=rt.actor, campaign="Voorjaar 2027", path=out,
                              tz="Europe/Amsterdam")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    first_question = next(i for i, h in enumerate(rows[0]) if str(h).startswith("1. "))
    assert first_question == 29  # column AD
    assert [v for v in rows[1][first_question:] if v not in ("", None)] == []


def test_a_set_slider_is_stored_and_can_be_cleared_again(browser, site, tmp_path):
    rt, sd, base, _smtp = site
    page = context(browser).new_page()
    start(page, base, sd.token)
    page.goto(f"{base}/q/{sd.token}/stap/2")
    slider = page.locator("#s-afhankelijkheid")
    box = slider.bounding_box()  # a tap on the value the hidden thumb waits at sets it too
    page.touchscreen.tap(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)
    wait_for(lambda: answers(rt, sd.invitation_id).get("afhankelijkheid") == "3")
    assert page.locator("#o-afhankelijkheid").inner_text() == "3 – Draait deels zonder mij"
    # "Opgeslagen" shows beside the question that was saved, not at the page's end
    page.locator("#st-afhankelijkheid").get_by_text("Opgeslagen").wait_for()
    assert page.locator("#st-pensioen").inner_text() == ""
    assert thumb_span(page, "#s-afhankelijkheid") >= 44  # a 44 px thumb once set
    shoot(page, tmp_path, "slider-set")
    page.get_by_role("button", name="antwoord wissen").click()
    wait_for(lambda: "afhankelijkheid" not in answers(rt, sd.invitation_id))
    assert page.locator("#o-afhankelijkheid").inner_text() == "niet beantwoord"


def test_a_landing_visitor_untouched_sliders_are_no_answers(browser, site, tmp_path):
    rt, _sd, base, _smtp = site
    from sqlmodel import select

    from quickcrm.landing.models import LandingVisitor

    for script in (True, False):
        page = context(browser, java_script_enabled=script).new_page()
        page.goto(f"{base}/l/opvolging")
        page.locator("#v-leeftijd label.option").first.click()
        page.get_by_role("button", name="Volgende").click()
        page.wait_for_url("**/stap/2")
        page.get_by_role("button", name="Volgende").click()
        page.wait_for_url("**/stap/3")
        page.get_by_role("button", name="Naar overzicht").click()
        page.wait_for_url("**/overzicht")
        assert page.locator("dd[data-question=voorbereiding]").inner_text() == "Niet beantwoord"
        shoot(page, tmp_path, f"landing-overview-{script}")
    with rt.session(read_only=True) as s:
        ids = [v.id for v in s.exec(select(LandingVisitor)).all()]
    assert len(ids) == 2
    assert [answers(rt, visitor_id=i) for i in ids] == [{"leeftijd": "ke1"}] * 2


def test_pages_carry_the_firm_and_name_the_relationship_manager(browser, site, tmp_path):
    """Item 4: logo, colours, contact details, privacy link; the RM with name, function,
    phone, e-mail and photo on the intro, declined and finished pages."""
    rt, sd, base, _smtp = site
    for width in (360, 1280):
        page = context(browser, width).new_page()
        page.goto(f"{base}/q/{sd.token}")
        logo = page.locator("header img.logo")
        assert logo.get_attribute("alt") == "Van Dijk & Partners"
        assert page.evaluate("document.querySelector('header img.logo').naturalWidth") == 360
        assert page.evaluate("getComputedStyle(document.querySelector('button.primary'))"
                             ".backgroundColor") == "rgb(122, 31, 92)"  # the firm's colour
        contact = page.locator("aside.contact")
        for text in ("Rik Manager", "Relatiemanager MKB", "06 12 34 56 78", "rm@firma.example"):
            assert text in contact.inner_text()
        assert page.evaluate("document.querySelector('aside.contact img').naturalWidth") == 200
        footer = page.locator("footer").inner_text()
        assert "Maliebaan 1" in footer and "030 123 45 67" in footer
        assert page.get_by_role("link", name="Privacyverklaring").get_attribute("href") == "/privacy"
        assert "neem contact op met uw relatiemanager" not in page.content().lower()
        shoot(page, tmp_path, f"intro-{width}")
    page.get_by_role("link", name="Privacyverklaring").click()
    page.wait_for_url("**/privacy")
    assert "Privacyverklaring" in page.locator("h1").inner_text()
    page.goto(f"{base}/q/{sd.token}")
    page.get_by_role("button", name="Nee, geen interesse").click()
    page.wait_for_url("**?ongedaan=*")
    assert "Rik Manager" in page.locator("aside.contact").inner_text()
    shoot(page, tmp_path, "declined-1280")


def test_nee_is_recorded_at_once_and_can_be_undone_until_the_client_leaves(browser, site):
    rt, sd, base, _smtp = site
    page = context(browser).new_page()
    page.goto(f"{base}/q/{sd.token}")
    page.get_by_role("button", name="Nee, geen interesse").click()
    page.wait_for_url("**?ongedaan=*")
    assert invitation_row(rt, sd.invitation_id).not_interested_at is not None
    page.get_by_role("button", name="Ongedaan maken").click()
    page.wait_for_url("**/stap/1")
    assert invitation_row(rt, sd.invitation_id).not_interested_at is None
    from sqlmodel import select

    from quickcrm.store.models import Event

    with rt.session(read_only=True) as s:
        kinds = s.exec(select(Event.kind).order_by(Event.id)).all()
    assert "quickscan.not_interested" in kinds and kinds[-1] == "quickscan.not_interested_undone"
    # a Nee again, then the e-mail's link later: no undo offered there
    page.goto(f"{base}/q/{sd.token}")
    assert "Uw situatie" in page.content()


def test_controls_a_designer_asked_for(browser, site, tmp_path):
    """Item 6: Vorige is a link, the chosen option's whole card stands out, tap targets
    of 44 px, the Rapportage button full width with its line, "wijzigen" beside each
    section heading."""
    rt, sd, base, _smtp = site
    page = context(browser).new_page()
    start(page, base, sd.token)
    page.goto(f"{base}/q/{sd.token}/stap/2")
    back = page.get_by_role("link", name="Vorige")
    assert back.get_attribute("href") == f"/q/{sd.token}/stap/1"
    assert page.get_by_role("button", name="Vorige").count() == 0
    assert not page.get_by_role("button", name="Opslaan").is_visible()  # saves itself
    card = page.locator("#v-waarde label.option").nth(1)
    before = card.evaluate("e => getComputedStyle(e).backgroundColor")
    card.click()
    after = card.evaluate("e => getComputedStyle(e).backgroundColor")
    assert before != after  # the whole card, not only the radio
    overview = page.get_by_role("link", name="Overzicht")
    assert overview.bounding_box()["height"] >= 44
    page.goto(f"{base}/q/{sd.token}/overzicht")
    edits = page.locator("a.edit")
    assert edits.count() == 3
    for i in range(3):
        box = edits.nth(i).bounding_box()
        head = page.locator(".section-head h2").nth(i).bounding_box()
        assert box["height"] >= 44 and abs(box["y"] + box["height"] / 2
                                           - (head["y"] + head["height"] / 2)) < 24
    button = page.get_by_role("button", name="Rapportage")
    assert button.bounding_box()["width"] >= page.locator("main form.finish").bounding_box()[
        "width"] - 2
    line = page.locator("#rapportage-uitleg")
    assert line.inner_text() == "Afronden en uw rapport per e-mail ontvangen"
    assert button.get_attribute("aria-describedby") == "rapportage-uitleg"
    shoot(page, tmp_path, "overview-360")


def _every_page(browser: Any, site: Any, width: int) -> list[tuple[str, Any]]:
    """(name, page) for every kind of page a client or visitor can see."""
    rt, sd, base, _smtp = site
    pages: list[tuple[str, Any]] = []
    ctx = context(browser, width)

    def visit(name: str, url: str, *, status: int | None = None) -> Any:
        page = ctx.new_page()
        response = page.goto(base + url)
        if status is not None:
            assert response.status == status, (name, response.status)
        pages.append((name, page))
        return page

    visit("intro", f"/q/{sd.token}")
    p = pages[-1][1]
    p.get_by_role("button", name="Ja, ik doe mee").click()
    p.wait_for_url("**/stap/1")
    p.locator("#v-leeftijd label.option").first.click()
    p.locator("#st-leeftijd").get_by_text("Opgeslagen").wait_for()
    for n in (1, 2, 3):
        visit(f"section-{n}", f"/q/{sd.token}/stap/{n}")
    visit("overview", f"/q/{sd.token}/overzicht")
    visit("preview", f"/p/{sd.preview_token}")
    visit("privacy", "/privacy")
    from test_client_edges import set_optout_token

    visit("unsubscribe", f"/u/{set_optout_token(rt, sd.invitation_id)}")
    visit("not-found", "/q/" + "A" * 32, status=404)
    forbidden = visit("form-expired", f"/q/{sd.token}/overzicht")
    forbidden.evaluate("document.querySelector('input[name=csrf]').value = 'x'")
    forbidden.get_by_role("button", name="Rapportage").click()
    forbidden.wait_for_load_state()
    assert "Pagina verlopen" in forbidden.content()
    visit("landing", "/l/opvolging")
    lp = pages[-1][1]
    lp.locator("#v-leeftijd label.option").first.click()
    lp.get_by_role("button", name="Volgende").click()
    lp.wait_for_url("**/stap/2")
    visit_base = lp.url.rsplit("/stap/", 1)[0].replace(base, "")
    visit("landing-section", f"{visit_base}/stap/2")
    ov = visit("landing-overview", f"{visit_base}/overzicht")
    ov.get_by_role("button", name="Rapportage").click()
    ov.wait_for_url("**/rapportage")
    pages.append(("landing-errors", ov))
    done = visit("landing-check", f"{visit_base}/overzicht")
    for label, value in (("Voornaam", "Piet"), ("Achternaam", "Prospect"),
                         ("Bedrijf", "Bouw B.V."), ("E-mailadres", "piet@bouw.example")):
        done.get_by_label(label).fill(value)
    done.locator("#f-toestemming").check()
    done.get_by_role("button", name="Rapportage").click()
    done.wait_for_selector("text=Bevestig uw e-mailadres")
    from sqlmodel import select

    from quickcrm.landing.models import LandingVisitor

    with rt.session(read_only=True) as s:
        confirm = s.exec(select(LandingVisitor.confirm_token)).first()
    cp = visit("landing-confirm", f"/l/opvolging/bevestig/{confirm}")
    cp.get_by_role("button", name="Bevestig mijn e-mailadres").click()
    cp.wait_for_selector("text=Uw e-mailadres is bevestigd")
    pages.append(("landing-confirmed", cp))
    fin = visit("finished-before", f"/q/{sd.token}/overzicht")
    fin.get_by_role("button", name="Rapportage").click()
    fin.wait_for_url(f"**/q/{sd.token}")
    pages[-1] = ("finished", fin)
    other = seed_invitation(rt, number="000124", client_email="b@example.org")
    dp = visit("intro-2", f"/q/{other.token}")
    dp.get_by_role("button", name="Nee, geen interesse").click()
    dp.wait_for_url("**?ongedaan=*")
    pages[-1] = ("declined", dp)
    from quickcrm.landing.service import close_page

    with rt.session() as s:
        close_page(session=s, actor=rt.actor, now=rt.clock.now(), slug="opvolging")
    visit("landing-closed", "/l/opvolging", status=410)
    return pages


@pytest.mark.parametrize("width", [360, 1280])
def test_every_page_has_no_wcag_aa_violations_and_reflows(browser, site, tmp_path, width):
    """Item 7: axe-core (WCAG 2.1 A and AA) on every page, at a phone's and a desktop's
    width; at 320 CSS px nothing scrolls sideways (WCAG 1.4.10)."""
    found = {}
    for name, page in _every_page(browser, site, width):
        found[name] = axe_violations(page)
        shoot(page, tmp_path, f"{name}-{width}")
        if width == 360:
            page.set_viewport_size({"width": 320, "height": 700})
            assert fits_width(page), f"{name} scrolls sideways at 320 px"
    assert len(found) >= 20
    assert {k: v for k, v in found.items() if v} == {}


def test_controls_and_borders_reach_3_to_1(browser, site):
    """Item 7: the non-text contrast axe does not check, read from computed colours,
    also for a firm whose colour is light (the borders are darkened to 3:1)."""
    rt, sd, base, _smtp = site
    page = context(browser, 1280).new_page()
    start(page, base, sd.token)
    page.locator("#v-leeftijd label.option").first.click()
    measured = 0
    for n in (1, 2, 3):
        page.goto(f"{base}/q/{sd.token}/stap/{n}")
        if n == 2:
            page.locator("#s-pensioen").focus()
            page.keyboard.press("ArrowRight")
        low, count = low_contrast_controls(page)
        measured += count
        assert low == []
    page.goto(f"{base}/l/opvolging")
    low, count = low_contrast_controls(page)
    assert low == [] and measured + count > 30


def test_light_firm_colour_keeps_controls_visible(browser, sqlite_url, clock):
    from quickcrm.bootstrap import bootstrap

    rt = bootstrap(database_url=sqlite_url, env={"QUICKCRM_FIRM_COLOR": "#ffd200",
                                                 "QUICKCRM_FIRM_ACCENT": "#ffe680"},
                   clock=clock)
    sd = seed_invitation(rt)
    with running_app(rt) as base:
        page = context(browser, 1280).new_page()
        start(page, base, sd.token)
        page.goto(f"{base}/q/{sd.token}/stap/2")
        page.locator("#s-pensioen").focus()
        page.keyboard.press("ArrowRight")
        low, count = low_contrast_controls(page)
        assert low == [] and count > 10
        assert axe_violations(page) == []  # black text on the yellow button
    rt.close()


def test_the_whole_quickscan_works_by_keyboard_alone(browser, site, tmp_path):
    """Item 7: Tab, arrows, Space and Enter only; focus is always visible."""
    rt, sd, base, smtp = site
    page = context(browser, 1280).new_page()
    page.goto(f"{base}/q/{sd.token}")

    def tab_to(selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                             selector):
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline != "none", f"no visible focus on {selector}"
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("button[value=ja]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/stap/1")
    for qid in ("leeftijd", "termijn", "opvolger", "besproken"):
        tab_to(f"input[name=a-{qid}]")
        page.keyboard.press("Space")
    wait_for(lambda: len(answers(rt, sd.invitation_id)) == 4)
    tab_to("button[value=volgende]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/stap/2")
    tab_to("#s-voorbereiding")
    page.keyboard.press("End")
    wait_for(lambda: answers(rt, sd.invitation_id).get("voorbereiding") == "100")
    tab_to("input[name=a-waarde]")
    page.keyboard.press("ArrowDown")  # moves to and chooses the second option
    wait_for(lambda: answers(rt, sd.invitation_id).get("waarde") == "ke2")
    tab_to("button[value=volgende]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/stap/3")
    tab_to("#a-toelichting")
    page.keyboard.type("Met het toetsenbord ingevuld.")
    tab_to("button[value=volgende]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/overzicht")
    tab_to("#rapportage")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/q/{sd.token}")
    assert "Bedankt voor het invullen" in page.content()
    assert answers(rt, sd.invitation_id)["toelichting"] == "Met het toetsenbord ingevuld."
    shoot(page, tmp_path, "keyboard-finished")
