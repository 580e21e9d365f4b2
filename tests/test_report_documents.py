"""The client's PDF report and the relationship manager's PowerPoint, read back by
independent readers: the PDF with poppler's pdftotext, the .pptx by reopening it."""

from __future__ import annotations

import subprocess
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from pptx import Presentation

from quickcrm.quickscans.definitions import read_file, shipped_dir
from quickcrm.quickscans.report_data import (
    ClientInfo,
    ReportData,
    ReportQuestion,
    ReportSection,
    local_date,
    report_data_from,
)
from quickcrm.quickscans.report_pdf import render_report_pdf
from quickcrm.quickscans.report_pptx import render_report_pptx
from quickcrm.quickscans.schema import Definition, Profile, Question, Section

SCRIPT = "<script>alert(1)</script>"
CLIENT = ClientInfo("Anneloes", "de Vries-Ëlberg", "Bakkerij Ïjsselmonde & Zn. B.V.", "000123")


def sample() -> ReportData:
    """Two sections, all four kinds, an unanswered question, Dutch accents, markup."""
    return ReportData(
        firm_name="Accountantskantoor Café Noord",
        client=CLIENT,
        report_date=date(2026, 11, 23),
        quickscan_title="Personal QuickScan Bedrijfsopvolging",
        sections=(
            ReportSection("Uw situatie", (
                ReportQuestion(1, "Wat is uw leeftijd?", "choice", "55 tot 65 jaar"),
                ReportQuestion(2, "Hoe ver bent u met de voorbereiding van de overdracht?",
                               "slider", "35", 35.0, (0, 100), "Nog niet begonnen",
                               "Volledig voorbereid"),
                ReportQuestion(3, "Hoe afhankelijk is uw pensioen van de verkoop?", "slider",
                               "-40", -40.0, (-100, 100)),
            )),
            ReportSection("Uw wensen", (
                ReportQuestion(4, "Welk cijfer geeft u ons kantoor?", "rating", "7", 7.0, (1, 10)),
                ReportQuestion(5, "Wat wilt u uw relatiemanager laten weten?", "text",
                               f"{SCRIPT}\nDe financiële positie is naïef ingeschat."),
                ReportQuestion(6, "Bij welk onderwerp wilt u ondersteuning?", "choice"),
            )),
        ),
    )


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                         check=True, capture_output=True, text=True).stdout
    return out


def flat(text: str) -> str:
    return " ".join(text.split())


def test_pdf_shows_client_every_question_and_answer(tmp_path: Path) -> None:
    data = sample()
    raw = pdf_text(render_report_pdf(data), tmp_path)
    text = flat(raw)
    for expected in ("Rapportage", data.firm_name, data.quickscan_title,
                     "Anneloes de Vries-Ëlberg", CLIENT.company, "000123", "23 november 2026",
                     "Uw situatie", "Uw wensen", "55 tot 65 jaar", "Nog niet begonnen",
                     "Volledig voorbereid", "De financiële positie is naïef ingeschat.",
                     "Niet beantwoord", "Samenvatting", "Uw antwoorden", "Volgende stap",
                     "Pagina 2 van 3"):
        assert expected in text, expected
    assert "Pagina 1 van" not in text  # the cover has no footer
    for section in data.sections:
        for q in section.questions:
            assert f"{q.number}. {q.text}" in text or q.text in text
    assert SCRIPT in raw.splitlines()  # literally, on its own line as typed
    for number in ("35", "-40", "-100", "7", "10"):  # slider/rating values and scale ends
        assert number in text.split(), number


def test_pdf_long_report_breaks_pages_and_numbers_them(tmp_path: Path) -> None:
    long_answer = " ".join(["Wij willen de onderneming binnen vijf jaar overdragen."] * 60)
    questions = tuple(
        ReportQuestion(n, f"Vraag nummer {n} over de toekomst van uw onderneming?", "slider",
                       str(n), float(n), (0, 100)) if n % 2 else
        ReportQuestion(n, f"Vraag nummer {n}: licht uw antwoord toe.", "text",
                       long_answer if n == 10 else f"Antwoord {n}")
        for n in range(1, 41))
    data = ReportData("Kantoor", CLIENT, date(2026, 1, 5), "Lange QuickScan",
                      (ReportSection("Alles", questions),))
    raw = pdf_text(render_report_pdf(data), tmp_path)
    pages = raw.split("\f")[:-1]
    assert len(pages) >= 6  # cover, summary, four pages of answers
    for i, page in enumerate(pages[1:], 2):
        assert f"Pagina {i} van {len(pages)}" in page
    text = flat(raw)
    for q in questions:
        assert q.text in text
    assert text.count("overdragen.") == 60  # the long answer flows on over a page break
    assert "5 januari 2026" in text


def test_pdf_wraps_a_word_longer_than_a_line_without_losing_text(tmp_path: Path) -> None:
    url = "https://example.nl/" + "abcdefghij" * 30
    data = ReportData("Kantoor", CLIENT, date(2026, 1, 5), "Scan", (ReportSection("S", (
        ReportQuestion(1, "Link?", "text", f"Zie {url} graag."),)),))
    text = pdf_text(render_report_pdf(data), tmp_path)
    assert "".join(text.split()).count("abcdefghij") == 30
    assert "Zie https://example.nl/" in flat(text) and "graag." in text


def test_pdf_other_scripts_embed_a_unicode_font(tmp_path: Path) -> None:
    client = ClientInfo("Łukasz", "Wiśniewski", "Şişli Ticaret Ltd.", "77")
    answers = ReportSection("Één sectie", (
        ReportQuestion(1, "Opmerking?", "text", "Καλημέρα — Здравствуйте — ok ✓"),))
    data = ReportData("Kantoor", client, date(2026, 2, 1), "Scan", (answers,))
    text = flat(pdf_text(render_report_pdf(data), tmp_path))
    for expected in ("Łukasz Wiśniewski", "Şişli Ticaret Ltd.", "Één sectie",
                     "Καλημέρα — Здравствуйте — ok ✓"):
        assert expected in text, expected
    latin_only = ReportData("Kantoor", client, date(2026, 2, 1), "Scan", (ReportSection(
        "Sectie", (ReportQuestion(1, "Naam?", "text", "Dvořák, Øresund, Ğ"),)),))
    text = flat(pdf_text(render_report_pdf(latin_only), tmp_path))
    assert "Łukasz Wiśniewski" in text and "Dvořák, Øresund, Ğ" in text


def test_pptx_title_slide_and_one_slide_per_section() -> None:
    data = sample()
    prs = Presentation(BytesIO(render_report_pptx(data)))
    slides = list(prs.slides)
    assert len(slides) == 3 + len(data.sections) + 1  # title, agenda, summary, ..., closing
    title = [sh.text_frame.text for sh in slides[0].shapes if sh.has_text_frame]
    assert data.quickscan_title in title
    assert ["Anneloes de Vries-Ëlberg", CLIENT.company, "Relatienummer 000123",
            "23 november 2026", data.firm_name] in [t.splitlines() for t in title]
    for slide, section in zip(slides[3:-1], data.sections, strict=True):
        texts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
        assert slide.shapes.title.text_frame.text == section.title
        for q in section.questions:
            assert f"{q.number}. {q.text}" in texts
    every = {sh.text_frame.text for s in slides for sh in s.shapes if sh.has_text_frame}
    assert {"55 tot 65 jaar", "35", "-40", "7", "Niet beantwoord",
            "0 · Nog niet begonnen", "Volledig voorbereid · 100"} <= every
    assert f"{SCRIPT} De financiële positie is naïef ingeschat." in every
    notes = slides[4].notes_slide.notes_text_frame.text  # the full texts, for the conversation
    assert f"5. Wat wilt u uw relatiemanager laten weten?\n{SCRIPT}\n" in notes
    assert "6. Bij welk onderwerp wilt u ondersteuning?\nNiet beantwoord" in notes


def test_pptx_a_long_section_stays_on_its_slide() -> None:
    long = " ".join(["Wij twijfelen nog over de opvolging binnen de familie."] * 20)
    questions = tuple(ReportQuestion(n, f"Vraag {n} " + "over de toekomst " * 8, "slider",
                                     str(n), float(n), (0, 100), "Laag", "Hoog")
                      if n % 2 else ReportQuestion(n, f"Vraag {n}?", "text", long)
                      for n in range(1, 15))
    data = ReportData("Kantoor", CLIENT, date(2026, 1, 5), "Scan", (ReportSection("S", questions),))
    prs = Presentation(BytesIO(render_report_pptx(data)))
    slide = prs.slides[3]
    assert len(prs.slides) == 5
    for shape in slide.shapes:
        assert shape.top + shape.height <= prs.slide_height
    texts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
    assert all(len(t) < len(long) for t in texts)  # shortened on the slide ...
    assert texts.count("13") == 1 and any(t.endswith("…") for t in texts)
    assert long in slide.notes_slide.notes_text_frame.text  # ... whole in the notes


def test_pptx_keeps_markup_as_text() -> None:
    pptx = render_report_pptx(sample())
    with zipfile.ZipFile(BytesIO(pptx)) as zf:
        xml = zf.read("ppt/slides/slide5.xml").decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml
    assert "<script" not in xml


def definition() -> Definition:
    q = Question
    return Definition(
        key="t", title="Test Scan", kind="update", introduction="", mails={},
        profile=Profile(default="2"),
        sections=(
            Section("Eerst", (
                q("keuze", "choice", "Kiest u?", options=("Ja", "Nee", "Weet niet")),
                q("schuif", "slider", "Hoe ver?", min=0, max=5, step=0.5, left="Niet",
                  right="Helemaal"),
            )),
            Section("Dan", (
                q("cijfer", "rating", "Welk cijfer?", min=1, max=10),
                q("vrij", "text", "Nog iets?", max_length=500),
                q("oud", "choice", "Oude vraag?", options=("A", "B")),
                q("buiten", "slider", "Buiten bereik?", min=-100, max=100, step=10),
                q("leeg", "rating", "Niet ingevuld?", min=0, max=5),
            )),
        ))


def test_adapter_turns_stored_answers_into_report_data() -> None:
    answers = {"keuze": "ke2", "schuif": "2.5", "cijfer": "8", "vrij": f"  {SCRIPT}  ",
               "oud": "ke9", "buiten": "150"}
    data = report_data_from(definition(), answers, client=CLIENT, firm_name="Kantoor",
                            report_date=date(2026, 3, 4))
    assert (data.quickscan_title, data.client, data.report_date) == (
        "Test Scan", CLIENT, date(2026, 3, 4))
    assert [s.title for s in data.sections] == ["Eerst", "Dan"]
    q = [q for s in data.sections for q in s.questions]
    assert [x.number for x in q] == [1, 2, 3, 4, 5, 6, 7]
    assert (q[0].kind, q[0].answer, q[0].value) == ("choice", "Nee", None)
    assert (q[1].answer, q[1].value, q[1].scale, q[1].left, q[1].right) == (
        "2,5", 2.5, (0.0, 5.0), "Niet", "Helemaal")
    assert (q[2].answer, q[2].value, q[2].scale) == ("8", 8.0, (1.0, 10.0))
    assert q[3].answer == f"  {SCRIPT}  "
    assert (q[4].answer, q[4].value) == ("ke9", None)  # a key the definition lost: as stored
    assert (q[5].answer, q[5].value) == ("150", None)  # out of range: the number, no bar
    assert (q[6].answer, q[6].value) == ("", None)


@pytest.mark.parametrize("name", ["bedrijfsopvolging.toml", "bedrijfsopvolging-update.toml"])
def test_shipped_quickscans_render_with_every_question(name: str, tmp_path: Path) -> None:
    d = read_file(shipped_dir() / name)
    answers: dict[str, str] = {}
    for question in d.questions():
        if question.type == "choice":
            answers[question.id] = "ke1"
        elif question.type == "text":
            answers[question.id] = SCRIPT
        else:
            answers[question.id] = str(question.max)
    data = report_data_from(d, answers, client=CLIENT, firm_name="Kantoor",
                            report_date=date(2026, 11, 23))
    text = flat(pdf_text(render_report_pdf(data), tmp_path))
    for question in d.questions():
        assert question.text in text
    prs = Presentation(BytesIO(render_report_pptx(data)))
    assert len(prs.slides) == 4 + len(d.sections)


def test_control_characters_do_not_break_either_document(tmp_path: Path) -> None:
    answer = "Regel één\r\nRegel\ttwee\x00\x1b[31m\x0bdrie"
    data = ReportData("Kantoor", CLIENT, date(2026, 1, 5), "Scan", (ReportSection("S", (
        ReportQuestion(1, "Toelichting?", "text", answer),)),))
    lines = pdf_text(render_report_pdf(data), tmp_path).splitlines()
    assert {"Regel één", "Regel twee[31m", "drie"} <= set(lines)
    prs = Presentation(BytesIO(render_report_pptx(data)))
    texts = {sh.text_frame.text for sh in prs.slides[3].shapes if sh.has_text_frame}
    assert "Regel één Regel twee[31m drie" in texts


def test_pdf_without_a_unicode_font_marks_what_it_cannot_draw(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quickcrm.quickscans import pdf_fonts

    monkeypatch.setattr(pdf_fonts, "dejavu", lambda: None)  # a machine without DejaVu Sans
    monkeypatch.setattr(pdf_fonts, "european_cut", lambda: None)
    data = replace(sample(), client=ClientInfo("Łukasz", "Żak", "Café", "1"))
    text = flat(pdf_text(render_report_pdf(data), tmp_path))
    assert "?ukasz ?ak" in text and "Café" in text and SCRIPT in text


def test_pdf_remakes_its_font_cut_when_a_tmp_cleaner_removed_it(tmp_path: Path) -> None:
    import shutil

    from quickcrm.quickscans import pdf_fonts

    data = replace(sample(), client=ClientInfo("Łukasz", "Żak", "Kraków Sp. z o.o.", "1"))
    render_report_pdf(data)
    cut = pdf_fonts.european_cut()
    assert cut is not None
    shutil.rmtree(cut[0].parent)  # what systemd-tmpfiles does to a long-running daemon
    assert "Łukasz Żak" in flat(pdf_text(render_report_pdf(data), tmp_path))


def test_report_date_is_the_dutch_calendar_day() -> None:
    assert local_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 1, 1)
    assert local_date(datetime(2026, 7, 1, 21, 59, tzinfo=UTC)) == date(2026, 7, 1)
    assert local_date(datetime(2026, 7, 1, 22, 0)) == date(2026, 7, 2)  # naive: UTC
