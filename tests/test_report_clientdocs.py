"""Issue 25, the documents: attention-point rules in a QuickScan definition, the PDF as a
report (cover, one-page summary, answers, next step) and the PowerPoint on the firm's
master, read back by independent readers: poppler (pdftotext, pdfimages, pdffonts,
pdftoppm for pixels) and LibreOffice for the .pptx. The page images stay in the test's
tmp folder."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from pptx import Presentation

from quickcrm.errors import FileProblems
from quickcrm.quickscans.definitions import read_file, shipped_dir
from quickcrm.quickscans.report import brand_of, contact_of, render_documents
from quickcrm.quickscans.report_data import (
    Brand,
    ClientInfo,
    Contact,
    ReportData,
    ReportQuestion,
    ReportSection,
    bar_share,
    hex_rgb,
    readable,
    report_data_from,
)
from quickcrm.quickscans.report_pdf import render_report_pdf
from quickcrm.quickscans.report_pptx import render_report_pptx
from quickcrm.quickscans.schema import attention_points, parse_definition

PERSONAL = shipped_dir() / "bedrijfsopvolging.toml"
UPDATE = shipped_dir() / "bedrijfsopvolging-update.toml"
CLIENT = ClientInfo("Ayşe", "Şahin", "Bakkerij Şahin B.V.", "000321")
RM = Contact("Marieke Jansen", "Senior relatiemanager", "06 1234 5678", "m.jansen@firma.nl")
PRIMARY = "#006e50"


def png_logo(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (300, 100), colour).save(out, format="PNG")
    return out.getvalue()


BRAND = Brand(name="Van Dijk & Partners", logo=png_logo(), primary=PRIMARY, accent="#c05600",
              phone="020 123 45 67", email="info@vandijk.nl", website="https://vandijk.nl",
              address="Herengracht 1, Amsterdam")


def pages(pdf: bytes, tmp_path: Path, name: str = "report") -> list[str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return [" ".join(p.split()) for p in out.split("\f")[:-1]]


def page_image(pdf: bytes, tmp_path: Path, page: int, name: str) -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    stem = tmp_path / f"{name}-page{page}"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(page), "-l",
                    str(page), str(path), str(stem)], check=True)
    return stem.with_suffix(".png")


def shipped_answers(**changes: str) -> dict[str, str]:
    """The personal scan answered by a client who is far from ready."""
    answers = {"leeftijd": "ke3", "termijn": "ke2", "opvolger": "ke4", "besproken": "ke2",
               "voorbereiding": "20", "afhankelijkheid": "1", "waarde": "ke3",
               "structuur": "ke1", "fiscaal": "ke1", "pensioen": "-60", "zorgen": "5",
               "begeleiding": "ke2", "tevredenheid": "8", "toelichting": ""}
    answers.update(changes)
    return {k: v for k, v in answers.items() if v != ""}


# -- the rules in the definition ---------------------------------------------------------

def _with_rule(tmp_path: Path, rule: str) -> Path:
    text = UPDATE.read_text(encoding="utf-8")
    path = tmp_path / "scan.toml"
    path.write_text(text.replace("[profile]", rule + "\n[profile]", 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("rule", "place", "what"), [
    ('[[attention]]\ntext = "x"\nwhen = [{ question = "bestaatniet", answer = "Ja" }]',
     "attention[8].when[1].question", "the QuickScan has no question 'bestaatniet'"),
    ('[[attention]]\ntext = "x"\nwhen = [{ question = "gesprek", answer = "Misschien" }]',
     "attention[8].when[1].answer", "'gesprek' has no answer 'Misschien' (known: ke1 (Ja), ke2 (Nee))"),
    ('[[attention]]\ntext = "x"\nwhen = [{ question = "voortgang", answer = "ke1" }]',
     "attention[8].when[1].answer", "'voortgang' is a slider question: use at_least / at_most"),
    ('[[attention]]\ntext = "x"\nwhen = [{ question = "opmerking", answer = "ja" }]',
     "attention[8].when[1].answer", "'opmerking' is a text question: use answered"),
    ('[[attention]]\ntext = "x"\nwhen = [{ question = "opmerking", at_least = 1 }]',
     "attention[8].when[1].at_least", "'opmerking' is a text question: use answered"),
    ('[[attention]]\ntext = "x"\nwhen = [{ question = "gesprek", at_most = 3 }]',
     "attention[8].when[1].at_most", "'gesprek' is a choice question: use answer"),
    ('[[attention]]\ntext = "x"\nwhen = [{ question = "voortgang", at_most = 150 }]',
     "attention[8].when[1].at_most", "150 is outside 'voortgang''s range 0..100"),
    ('[[attention]]\ntext = "x"\nwhen = [{ question = "voortgang", at_least = 60, at_most = 40 }]',
     "attention[8].when[1].at_most", "is below at_least (40 < 60): nothing matches"),
    ('[[attention]]\ntext = "x"\nwhen = [{ question = "opmerking" }]',
     "attention[8].when[1]", "needs answer (choice), at_least / at_most"),
    ('[[attention]]\ntext = "x"\nwhen = []', "attention[8].when",
     "must be a condition or a non-empty list of conditions"),
    ('[[attention]]\nwhen = [{ question = "gesprek", answer = "Ja" }]', "attention[8].text",
     "is missing"),
    ('[[attention]]\ntext = "x"\nals = 1\nwhen = [{ question = "gesprek", answer = "Ja" }]',
     "attention[8].als", "unknown key"),
    ('[[attention]]\ntext = "' + "lang " * 90 + '"\nwhen = [{ question = "gesprek", answer = "Ja" }]',
     "attention[8].text", "an attention point is short (at most 400)"),
    ('[[attention]]\ntext = "x"\nwhen = [{ question = "opmerking", answered = "ja" }]',
     "attention[8].when[1].answered", "must be true or false"),
])
def test_attention_rules_are_checked_with_file_and_place(tmp_path, rule, place, what):
    path = _with_rule(tmp_path, rule)
    with pytest.raises(FileProblems) as err:
        read_file(path)
    assert f"{path}: {place}: " in str(err.value)
    assert what in str(err.value)


def test_shipped_quickscans_carry_rules_that_fire_on_real_answers():
    personal, update = read_file(PERSONAL), read_file(UPDATE)
    assert len(personal.attention) >= 8 and len(update.attention) >= 5
    assert personal.next_step and update.next_step
    titles = [r.title for r in attention_points(personal, shipped_answers())]
    assert titles == ["Korte termijn, weinig voorbereid", "Nog geen opvolger",
                      "Plannen nog niet gedeeld", "Sterk afhankelijk van u", "Waarde onbekend",
                      "Pensioen hangt af van de verkoop", "Zorgen over de continuïteit"]
    ready = shipped_answers(termijn="ke4", opvolger="ke1", besproken="ke1",
                            voorbereiding="90", afhankelijkheid="5", waarde="ke1",
                            structuur="ke1", fiscaal="ke1", pensioen="80", zorgen="1")
    assert attention_points(personal, ready) == []
    # the stored form (JSON in the database) reads back to the same rules
    assert parse_definition(personal.to_data(), "db").attention == personal.attention


def test_an_unanswered_question_meets_no_condition():
    personal = read_file(PERSONAL)
    answers = shipped_answers()
    for qid in ("voorbereiding", "afhankelijkheid", "pensioen", "zorgen", "opvolger"):
        del answers[qid]  # a slider never touched is no answer, not a 0
    titles = [r.title for r in attention_points(personal, answers)]
    assert "Korte termijn, weinig voorbereid" not in titles
    assert "Sterk afhankelijk van u" not in titles and "Nog geen opvolger" not in titles
    with_question = attention_points(personal, {**answers, "toelichting": "Bel me"})
    assert "Uw vraag aan de relatiemanager" in [r.title for r in with_question]


# -- the PDF ----------------------------------------------------------------------------

def shipped_report(**changes: str) -> ReportData:
    return report_data_from(read_file(PERSONAL), shipped_answers(**changes), client=CLIENT,
                            firm_name="Van Dijk & Partners", report_date=date(2026, 11, 23),
                            brand=BRAND, contact=RM)


def test_pdf_is_a_report_cover_summary_answers_next_step(tmp_path):
    data = shipped_report()
    text = pages(render_report_pdf(data), tmp_path)
    cover, summary, answers, last = text[0], text[1], text[2], text[-1]
    for expected in ("Van Dijk & Partners", "Rapportage", "Personal QuickScan Bedrijfsopvolging",
                     "Ayşe Şahin", "Bakkerij Şahin B.V.", "000321", "23 november 2026",
                     "Herengracht 1, Amsterdam", "Telefoon 020 123 45 67"):
        assert expected in cover, expected
    assert "Pagina" not in cover
    # the summary: every attention point the answers meet, the scores, on one page
    assert summary.startswith("Samenvatting Aandachtspunten")
    for point in data.attention:
        assert point.title in summary and point.text in summary
    assert "Uw scores per onderdeel" in summary and "Pagina 2 van" in summary
    for expected in ("Uw situatie 4 van 4 vragen beantwoord", "20 van 100", "1 van 5",
                     "5 van 5", "8 van 10", "-60", "Uw wensen 3 van 4 vragen beantwoord"):
        assert expected in summary, expected
    assert answers.startswith("Uw antwoorden Uw situatie 1. Wat is uw leeftijd? 55 tot 65 jaar")
    # a slider's answer with its verbal label, as the client saw it on the page
    assert "van uw bedrijfsopvolging? 20 Net begonnen 0 · Nog niet begonnen" in answers
    assert "Volgende stap" in last
    for expected in (data.next_step.split()[0], "Uw relatiemanager Marieke Jansen",
                     "Senior relatiemanager", "Telefoon 06 1234 5678",
                     "E-mail m.jansen@firma.nl", "info@vandijk.nl", "https://vandijk.nl"):
        assert expected in last, expected
    assert " ".join(data.next_step.split()) in " ".join(text)


def test_pdf_cover_shows_the_logo_and_the_firms_colour(tmp_path):
    pdf = render_report_pdf(shipped_report())
    path = tmp_path / "logo.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdfimages", "-list", str(path)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    assert [line.split()[0] for line in listing] == ["1"]  # one image, on the cover
    assert listing[0].split()[3:5] == ["300", "100"]
    from PIL import Image

    cover = Image.open(page_image(pdf, tmp_path, 1, "cover")).convert("RGB")
    band = readable(hex_rgb(PRIMARY))
    assert cover.getpixel((cover.width // 2, int(cover.height * 0.40))) == band
    logo = cover.getpixel((int(cover.width * 0.12), int(cover.height * 0.08)))
    assert max(abs(a - b) for a, b in zip(logo, (200, 30, 30), strict=True)) < 12
    # without a logo the firm's name stands in its place, and nothing breaks
    plain = replace(shipped_report(), brand=replace(BRAND, logo=b"not an image"))
    assert "Van Dijk & Partners" in pages(render_report_pdf(plain), tmp_path, "plain")[0]


def test_a_pale_firm_colour_is_darkened_until_text_is_readable():
    from quickcrm.quickscans.report_data import contrast

    pale = hex_rgb("#ffe680")
    assert contrast(pale, (255, 255, 255)) < 2
    assert contrast(readable(pale), (255, 255, 255)) >= 4.5
    assert readable(hex_rgb("#1f4e79")) == hex_rgb("#1f4e79")  # dark enough: unchanged


def test_a_long_list_of_attention_points_still_fits_the_summary_page(tmp_path):
    many = tuple(replace(p, text=p.text + " " + p.text) for p in shipped_report().attention) * 2
    data = replace(shipped_report(), attention=many)
    text = pages(render_report_pdf(data), tmp_path)
    assert text[1].startswith("Samenvatting") and "Uw scores per onderdeel" in text[1]
    assert "De toelichting bij elk aandachtspunt staat op de volgende pagina." in text[1]
    assert text[2].startswith("Aandachtspunten")
    rest = " ".join(text[2:text.index(next(t for t in text if t.startswith("Uw antwoorden")))])
    for point in many:
        assert point.text in rest  # every point in full after the summary
    few = replace(data, attention=shipped_report().attention[:3])
    text = pages(render_report_pdf(few), tmp_path, "few")
    assert text[2].startswith("Uw antwoorden") and "volgende pagina" not in text[1]


BAR_BRAND = replace(BRAND, primary="#3a9a5b")  # bars keep it (3:1), text gets it darker


def _bar_pixels(pdf: bytes, tmp_path: Path, name: str) -> int:
    """Pixels of the bar colour on the answers page (page 3)."""
    from PIL import Image

    image = Image.open(page_image(pdf, tmp_path, 3, name)).convert("RGB")
    colour = readable(hex_rgb(BAR_BRAND.primary), ratio=3.0)
    assert colour != readable(hex_rgb(BAR_BRAND.primary))
    return sum(1 for px in image.get_flattened_data()
               if max(abs(a - b) for a, b in zip(px, colour, strict=True)) < 8)


def test_a_rating_of_one_shows_a_visible_bar_and_no_answer_shows_none(tmp_path):
    def one(answer: str, value: float | None) -> ReportData:
        q = ReportQuestion(1, "Hoeveel zorgen maakt u zich?", "rating", answer, value,
                           (1.0, 5.0) if value is not None else None)
        return ReportData("Kantoor", CLIENT, date(2026, 1, 5), "Scan",
                          (ReportSection("S", (q,)),), brand=BAR_BRAND)

    lowest, top, empty = (_bar_pixels(render_report_pdf(one(a, v)), tmp_path, n)
                          for a, v, n in (("1", 1.0, "one"), ("5", 5.0, "five"),
                                          ("", None, "none")))
    assert empty == 0  # not answered: no bar at all (and no 0)
    assert lowest > 0.15 * top  # a 1 of 1..5 fills a fifth of the track
    assert bar_share(one("1", 1.0).sections[0].questions[0]) == (0.0, 0.2)
    text = pages(render_report_pdf(one("", None)), tmp_path, "empty")
    assert "Niet beantwoord" in text[1] and "Niet beantwoord" in text[2]


def test_unanswered_questions_say_so_in_pdf_and_pptx_never_zero(tmp_path):
    answers = shipped_answers()
    del answers["pensioen"], answers["zorgen"]
    data = report_data_from(read_file(PERSONAL), answers, client=CLIENT, firm_name="K",
                            report_date=date(2026, 11, 23), brand=BRAND)
    text = " ".join(pages(render_report_pdf(data), tmp_path))
    assert text.count("Niet beantwoord") == 2 + 3  # summary: the sliders; answers: all three
    assert "10. Hoe afhankelijk is uw pensioen van de opbrengst van uw onderneming? Niet beantwoord" in text
    prs = Presentation(BytesIO(render_report_pptx(data)))
    section = prs.slides[4]  # Voorbereiding
    texts = [sh.text_frame.text for sh in section.shapes if sh.has_text_frame]
    i = texts.index("10. Hoe afhankelijk is uw pensioen van de opbrengst van uw onderneming?")
    assert texts[i + 1] == "Niet beantwoord"
    assert "10. Hoe afhankelijk is uw pensioen van de opbrengst van uw onderneming?\n" \
           "Niet beantwoord" in section.notes_slide.notes_text_frame.text


@pytest.mark.parametrize(("first", "last"), [("Ayşe", "Şahin"), ("Łukasz", "Wiśniewski"),
                                             ("Nguyễn", "Thị Hương"), ("Γιώργος", "Παπαδόπουλος"),
                                             ("Дмитрий", "Иванов")])
def test_names_outside_windows_1252_are_drawn_with_the_embedded_cut(tmp_path, first, last):
    data = replace(shipped_report(), client=ClientInfo(first, last, f"{last} B.V.", "9"))
    pdf = render_report_pdf(data)
    text = pages(pdf, tmp_path)
    assert f"{first} {last}" in text[0] and f"{first} {last}" in text[1]
    (tmp_path / "f.pdf").write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "f.pdf")], check=True,
                           capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts and "Identity-H" in fonts


def test_emoji_and_characters_outside_the_fonts_are_replaced_visibly(tmp_path):
    q = ReportQuestion(1, "Nog iets?", "text", "Top 👍🏽 en 😀, groet uit 北京 ✓")
    data = ReportData("Kantoor", CLIENT, date(2026, 1, 5), "Scan", (ReportSection("S", (q,)),))
    text = " ".join(pages(render_report_pdf(data), tmp_path))
    # DejaVu Sans draws 😀 (it has the Emoticons block), not 👍: that one becomes a word
    assert "Top [duim omhoog] en 😀, groet uit \ufffd\ufffd ✓" in text
    assert "Tekens die dit document niet kan weergeven, zijn vervangen" in text
    dutch = ReportData("Kantoor", ClientInfo("Jan", "Smit", "", "1"), date(2026, 1, 5), "Scan",
                       (ReportSection("S", (replace(q, answer="Prima 🙂"),)),))
    text = " ".join(pages(render_report_pdf(dutch), tmp_path, "dutch"))
    assert "Prima [glimlach]" in text  # Helvetica, nothing embedded for a Dutch report
    clean = replace(dutch, sections=(ReportSection("S", (replace(q, answer="Prima"),)),))
    assert "vervangen" not in " ".join(pages(render_report_pdf(clean), tmp_path, "clean"))


def test_a_document_without_brand_or_contact_names_the_firm(tmp_path):
    data = replace(shipped_report(), brand=None, contact=None)
    text = pages(render_report_pdf(data), tmp_path)
    assert "Van Dijk & Partners" in text[0] and "Van Dijk & Partners" in text[-1]
    assert "Uw relatiemanager Marieke" not in text[-1]


def test_brand_and_contact_come_from_settings_and_the_user(tmp_path):
    from quickcrm.settings import load_settings
    from quickcrm.store.models import User

    logo = tmp_path / "logo.png"
    logo.write_bytes(png_logo())
    (tmp_path / "quickcrm.toml").write_text(
        f'[firm]\nname = "Van Dijk"\nlogo_file = "{logo}"\ncolor_primary = "#006e50"\n'
        'phone = "020 1"\nwebsite = "https://vd.nl"\n', encoding="utf-8")
    brand = brand_of(load_settings())
    assert (brand.name, brand.logo, brand.primary, brand.phone, brand.website) == (
        "Van Dijk", logo.read_bytes(), "#006e50", "020 1", "https://vd.nl")
    logo.write_text("geen plaatje")
    assert brand_of(load_settings()).logo is None  # not a PNG/JPEG: the name instead
    user = User(email="m@vd.nl", first_name="Marieke", last_name="Jansen", function="RM",
                phone="06 1")
    assert contact_of(user) == Contact("Marieke Jansen", "RM", "06 1", "m@vd.nl")
    assert contact_of(replace_active(user)) is None and contact_of(None) is None


def replace_active(user):  # type: ignore[no-untyped-def]
    user.active = False
    return user


# -- the PowerPoint ---------------------------------------------------------------------

def slide_texts(slide) -> list[str]:  # type: ignore[no-untyped-def]
    return [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]


def test_pptx_title_agenda_summary_sections_closing(tmp_path):
    data = shipped_report()
    prs = Presentation(BytesIO(render_report_pptx(data)))
    slides = list(prs.slides)
    assert len(slides) == 3 + len(data.sections) + 1
    title, agenda, summary, *sections, closing = (slide_texts(s) for s in slides)
    assert data.quickscan_title in title
    assert "Ayşe Şahin\nBakkerij Şahin B.V.\nRelatienummer 000321\n23 november 2026\n" \
           "Van Dijk & Partners" in title
    assert agenda[0] == "Agenda"
    assert [t for t in agenda[2::2]] == ["Samenvatting en aandachtspunten", "Uw situatie",
                                         "Voorbereiding", "Uw wensen", "Volgende stappen"]
    assert "Aandachtspunten" in summary and "Scores per onderdeel" in summary
    for point in data.attention:
        assert any(t.startswith(point.title) for t in summary)
        assert point.text in slides[2].notes_slide.notes_text_frame.text  # whole in the notes
    assert "20 van 100" in summary and "1 van 5" in summary
    for slide, section in zip(sections, data.sections, strict=True):
        assert slide[0] == section.title
    assert closing[0] == "Volgende stappen"
    assert any("Marieke Jansen" in t and "Telefoon 06 1234 5678" in t for t in closing)
    assert any(data.next_step.split()[0] in t and "Te bespreken:" in t for t in closing)
    pictures = [sh for sh in slides[0].shapes if sh.shape_type == 13]
    assert len(pictures) == 1  # the logo on the shipped master's title slide
    for slide in slides:
        for shape in slide.shapes:
            assert shape.left + shape.width <= prs.slide_width
            assert shape.top + shape.height <= prs.slide_height


def firm_template(tmp_path: Path) -> Path:
    """A firm's own .pptx: a master with a marker text, Dutch layout names, 4:3, and a
    slide of its own that must not end up in the report."""
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(10), Inches(7.5)
    for layout, name in zip(prs.slide_layouts, ("Titeldia", "Titel en object", "Sectiekop",
                                                "Twee objecten", "Vergelijking",
                                                "Alleen titel"), strict=False):
        layout.name = name
    master_title = prs.slide_master.placeholders[0]
    master_title.text_frame.text = "HUISSTIJL VAN DIJK"
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    slide.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1)).text_frame.text = \
        "VOORBEELDDIA"
    path = tmp_path / "huisstijl.pptx"
    prs.save(path)
    return path


def test_pptx_uses_the_firms_template_as_master(tmp_path):
    template = firm_template(tmp_path)
    data = replace(shipped_report(), brand=replace(BRAND, pptx_template=str(template)))
    pptx = render_report_pptx(data)
    prs = Presentation(BytesIO(pptx))
    assert int(prs.slide_width) == int(Presentation(str(template)).slide_width)  # 4:3 kept
    every = [t for s in prs.slides for t in slide_texts(s)]
    assert "VOORBEELDDIA" not in every  # the template's own slide is left out
    assert len(prs.slides) == 3 + len(data.sections) + 1
    assert prs.slide_masters[0].placeholders[0].text_frame.text == "HUISSTIJL VAN DIJK"
    assert not [sh for sh in prs.slides[0].shapes if sh.shape_type == 13]  # its own logo
    for slide in prs.slides:
        for shape in slide.shapes:
            assert shape.left + shape.width <= prs.slide_width
    # a template that went missing falls back to the shipped master, not to an error
    gone = replace(data, brand=replace(BRAND, pptx_template=str(tmp_path / "weg.pptx")))
    assert len(Presentation(BytesIO(render_report_pptx(gone))).slides) == len(prs.slides)


def test_libreoffice_renders_the_pptx_with_every_slide(tmp_path):
    if shutil.which("soffice") is None:
        message = "LibreOffice is not installed (Debian package libreoffice-impress-nogui)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; required in CI")
        pytest.skip(message)
    docs = render_documents(definition=read_file(PERSONAL), answers=shipped_answers(),
                            client=CLIENT, firm_name="Van Dijk", report_date=date(2026, 11, 23),
                            brand=BRAND, contact=RM)
    deck = tmp_path / "deck.pptx"
    deck.write_bytes(docs.pptx)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(deck)],
                   check=True, capture_output=True, timeout=180)
    text = pages((tmp_path / "deck.pdf").read_bytes(), tmp_path, "deck")
    assert len(text) == 7
    assert "Personal QuickScan Bedrijfsopvolging" in text[0] and "Ayşe Şahin" in text[0]
    assert text[1].startswith("Agenda") and "Samenvatting en aandachtspunten" in text[2]
    assert "Volgende stappen" in text[6] and "Marieke Jansen" in text[6]
    for i in range(1, 8):
        page_image((tmp_path / "deck.pdf").read_bytes(), tmp_path, i, f"slide{i}")


# -- the Excel ---------------------------------------------------------------------------

def test_an_unanswered_slider_is_an_empty_cell_never_zero(tmp_path):
    from openpyxl import load_workbook
    from python_calamine import CalamineWorkbook

    from quickcrm.quickscans.answer_sheet import AnswerSheet, answer_value, question_header

    questions = [q for q in read_file(PERSONAL).questions() if q.type in ("slider", "rating")]
    answers = {"voorbereiding": "0"}  # a real 0 is a 0; the rest was never touched
    headers = [question_header(n, q) for n, q in enumerate(questions, 1)]
    sheet = AnswerSheet(tmp_path / "a.xlsx", headers, "Antwoorden")
    row = [answer_value(q, answers.get(q.id, "")) for q in questions]
    sheet.start([row])
    sheet.append(row)
    sheet.save()
    values = CalamineWorkbook.from_path(str(tmp_path / "a.xlsx")).get_sheet_by_index(0) \
        .to_python()[1]
    assert values == [0.0] + [""] * (len(questions) - 1)
    cells = [c.value for c in load_workbook(tmp_path / "a.xlsx").active[2]]
    assert cells == [0] + [None] * (len(questions) - 1)


# -- the command ---------------------------------------------------------------------------

def test_report_documents_command_uses_branding_rm_and_template(rt, tmp_path):
    from typer.testing import CliRunner
    from web_support import seed_invitation

    from quickcrm.cli.main import app
    from quickcrm.quickscans.answers import Respondent, save_answer

    sd = seed_invitation(rt)
    with rt.session() as s:
        for qid, value in shipped_answers().items():
            save_answer(s, Respondent(invitation_id=sd.invitation_id), question_id=qid,
                        value=value, now=rt.clock.now())
        s.commit()
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_logo())
    env = {"QUICKCRM_DATABASE_URL": rt.settings.database_url, "QUICKCRM_FIRM_NAME": "Van Dijk",
           "QUICKCRM_FIRM_LOGO": str(logo), "QUICKCRM_FIRM_PHONE": "020 123 45 67",
           "QUICKCRM_FIRM_PPTX": str(firm_template(tmp_path))}
    runner = CliRunner()
    runner.invoke(app, ["user", "edit", "rm@firma.example", "--function", "Relatiemanager MKB",
                        "--phone", "06 11 22 33 44"], env=env)
    out = tmp_path / "docs"
    result = runner.invoke(app, ["report", "Voorjaar 2027", "--client", "000123",
                                 "--documents", str(out)], env=env)
    assert result.exit_code == 0, result.output
    text = pages(next(out.glob("*.pdf")).read_bytes(), tmp_path, "cli")
    assert "Van Dijk" in text[0] and "Telefoon 020 123 45 67" in text[0]
    assert "Korte termijn, weinig voorbereid" in text[1]
    assert "Uw relatiemanager Rik Manager Relatiemanager MKB Telefoon 06 11 22 33 44" in text[-1]
    prs = Presentation(str(next(out.glob("*.pptx"))))
    assert prs.slide_masters[0].placeholders[0].text_frame.text == "HUISSTIJL VAN DIJK"
    broken = tmp_path / "kapot.pptx"
    broken.write_text("geen powerpoint")
    bad = runner.invoke(app, ["report", "Voorjaar 2027", "--client", "000123", "--documents",
                              str(tmp_path / "x")], env={**env, "QUICKCRM_FIRM_PPTX": str(broken)})
    assert bad.exit_code == 1
    assert f"{broken}: firm.pptx_template is not a PowerPoint file" in bad.output
    assert not (tmp_path / "x").exists()


def test_render_documents_takes_the_pages_contact_shape_too(tmp_path):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class PagesContact:  # as quickscans.contacts.Contact carries it, photo flag and all
        name: str
        first_name: str
        function: str
        phone: str
        email: str
        has_photo: bool

    docs = render_documents(definition=read_file(PERSONAL), answers=shipped_answers(),
                            client=CLIENT, firm_name="Van Dijk", report_date=date(2026, 11, 23),
                            brand=BRAND, contact=PagesContact("Rik Manager", "Rik", "RM MKB",
                                                              "06 9", "rik@vd.nl", False))
    last = pages(docs.pdf, tmp_path)[-1]
    assert "Uw relatiemanager Rik Manager RM MKB Telefoon 06 9 E-mail rik@vd.nl" in last


def test_reports_rendered_at_once_in_threads_each_stay_whole(tmp_path):
    """The web app renders reports in worker threads; the fonts parsed once per process
    are shared, so two documents written at the same moment must not mix."""
    from concurrent.futures import ThreadPoolExecutor

    names = [("Łukasz", "Wiśniewski"), ("Γιώργος", "Παπαδόπουλος"), ("Nguyễn", "Văn An"),
             ("Ayşe", "Şahin"), ("Дмитрий", "Иванов"), ("Jan", "de Vries")] * 2
    datas = [replace(shipped_report(), client=ClientInfo(f, la, "", str(i)))
             for i, (f, la) in enumerate(names)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        pdfs = list(pool.map(render_report_pdf, datas))
    for i, (pdf, (first, last)) in enumerate(zip(pdfs, names, strict=True)):
        text = pages(pdf, tmp_path, f"thread{i}")
        assert f"{first} {last}" in text[0] and "Volgende stap" in text[-1]
        check = subprocess.run(["pdffonts", str(tmp_path / f"thread{i}.pdf")],
                               capture_output=True, text=True)
        assert check.returncode == 0 and "Syntax Error" not in check.stderr


def test_other_pdfs_still_embed_their_fonts_after_a_report(tmp_path):
    """The report routes fpdf2's subsetting of its own fonts past fontTools; the
    explanation document, which adds DejaVu Sans the ordinary way, must be unaffected."""
    from quickcrm.quickscans.explanation import render_quickscan_doc

    render_report_pdf(replace(shipped_report(), client=ClientInfo("Łukasz", "Żak", "", "1")))
    doc = render_quickscan_doc(read_file(PERSONAL))
    text = " ".join(pages(doc, tmp_path, "uitleg"))
    assert "Hoeveel zorgen maakt u zich over de continuïteit" in text
    fonts = subprocess.run(["pdffonts", str(tmp_path / "uitleg.pdf")], check=True,
                           capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts


def test_a_relative_pptx_template_in_the_config_file_is_found_beside_it(tmp_path, monkeypatch):
    from quickcrm.quickscans.report import brand_of
    from quickcrm.settings import load_settings

    firm = tmp_path / "firma"
    firm.mkdir()
    template = firm_template(firm)
    (firm / "quickcrm.toml").write_text('[firm]\npptx_template = "huisstijl.pptx"\n',
                                        encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # elsewhere: the path is the config file's, not the cwd's
    brand = brand_of(load_settings(config=firm / "quickcrm.toml"))
    assert brand.pptx_template == str(template)


def test_quickscan_show_lists_the_attention_points_and_their_conditions(cli):
    import json

    shown = cli("quickscan", "show", "bedrijfsopvolging")
    assert shown.exit_code == 0
    flat = " ".join(shown.stdout.split())
    for expected in ("Korte termijn, weinig voorbereid", "termijn: ke1 (Binnen 2 jaar) or ke2",
                     "voorbereiding <= 40", "zorgen >= 4", "toelichting answered"):
        assert expected in flat, expected
    data = json.loads(cli("quickscan", "show", "bedrijfsopvolging", "--json").stdout)
    assert data["attention"][1] == {
        "text": data["attention"][1]["text"], "title": "Nog geen opvolger",
        "when": [{"question": "opvolger", "answer": ["ke4"]}]}


def test_a_quickscan_without_rules_claims_no_absence_of_points(tmp_path):
    """A definition loaded before attention rules existed has none: its report must not
    tell the client "no attention points" as if the answers had been judged."""
    personal = read_file(PERSONAL)
    ready = shipped_answers(termijn="ke4", opvolger="ke1", besproken="ke1", voorbereiding="90",
                            afhankelijkheid="5", waarde="ke1", pensioen="80", zorgen="1")
    for definition, judged in ((personal, True), (replace(personal, attention=()), False)):
        data = report_data_from(definition, ready, client=CLIENT, firm_name="K",
                                report_date=date(2026, 11, 23))
        summary = pages(render_report_pdf(data), tmp_path, f"rules{judged}")[1]
        assert ("geen bijzondere aandachtspunten" in summary) is judged
        assert ("Aandachtspunten" in summary) is judged
        assert "Uw scores per onderdeel" in summary
        deck = Presentation(BytesIO(render_report_pptx(data)))
        texts = " ".join(slide_texts(deck.slides[2]))
        assert ("geen regels voor aandachtspunten" in texts) is not judged


def test_every_shipped_point_at_once_still_fits_the_summary_page(tmp_path):
    worst = shipped_answers(structuur="ke3", fiscaal="ke3", toelichting="Bel me graag")
    data = report_data_from(read_file(PERSONAL), worst, client=CLIENT, firm_name="K",
                            report_date=date(2026, 11, 23), brand=BRAND, contact=RM)
    assert len(data.attention) == len(read_file(PERSONAL).attention) == 10
    text = pages(render_report_pdf(data), tmp_path)
    summary = text[1]
    for point in data.attention:
        assert point.text in summary  # in full, not titles only
    assert "Uw scores per onderdeel" in summary and "13. Welk rapportcijfer" in summary
    assert text[2].startswith("Uw antwoorden")
    page_image(render_report_pdf(data), tmp_path, 2, "summary")
