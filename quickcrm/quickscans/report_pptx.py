"""The relationship manager's PowerPoint of one client's QuickScan (python-pptx).

For the conversation with the client: a title slide, then one slide per section with
each question (shortened) beside the client's answer, sliders and ratings as a bar on
their scale. Text goes in as text runs, which python-pptx writes as escaped XML, so
nothing in an answer is ever interpreted; the full texts are in the PDF report.
"""

from __future__ import annotations

from io import BytesIO

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from quickcrm.quickscans.report_data import (
    NOT_ANSWERED,
    ReportData,
    ReportQuestion,
    ReportSection,
    dutch_date,
    dutch_number,
    printable,
)

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
LEFT = Inches(0.6)
CONTENT_W = Emu(WIDTH - 2 * LEFT)
QUESTION_W = Inches(6.4)
ANSWER_X = Inches(7.3)
ANSWER_W = Inches(5.4)
BAR_W = Inches(4.2)
INK = RGBColor(0x21, 0x25, 0x29)
MUTED = RGBColor(0x6C, 0x75, 0x7D)
ACCENT = RGBColor(0x1F, 0x4E, 0x79)
BAR = RGBColor(0x2E, 0x75, 0xB6)
TRACK = RGBColor(0xDE, 0xE4, 0xEB)
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5  # in python-pptx's default template


def short(text: str, limit: int) -> str:
    """``text`` on one slide line budget: whitespace collapsed, cut at a word with '…'."""
    text = " ".join(printable(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut) + "…"


def budget(width: int, height: int, size: int) -> int:
    """About how many characters of ``size`` pt fit a ``width`` x ``height`` box (an
    average glyph is half an em wide, a line 1.2 em high), so text stays in its row."""
    per_line = int(width / Pt(size * 0.5))
    lines = max(int(height / Pt(size * 1.25)), 1)
    return max(per_line * lines - per_line // 2, 20)


def render_report_pptx(data: ReportData) -> bytes:
    """The relationship manager's presentation as .pptx bytes: 1 + len(sections) slides."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    props = prs.core_properties
    props.title = short(f"{data.quickscan_title} - {data.client.name}", 250)
    props.author = short(data.firm_name, 250)
    _title_slide(prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE]), data)
    for section in data.sections:
        _section_slide(prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY]), section)
    out = BytesIO()
    prs.save(out)
    return out.getvalue()


def _text(shape, lines: list[tuple[str, int, bool, RGBColor]],  # type: ignore[no-untyped-def]
          align: PP_ALIGN = PP_ALIGN.LEFT) -> None:
    """Fill a shape's text frame: one paragraph per (text, size, bold, colour)."""
    frame = shape.text_frame
    frame.word_wrap = True
    for i, (text, size, bold, color) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = printable(text)
        run.font.size, run.font.bold = Pt(size), bold
        run.font.color.rgb = color


def _title_slide(slide: Slide, data: ReportData) -> None:
    title, subtitle = slide.placeholders[0], slide.placeholders[1]
    title.left, title.top, title.width, title.height = LEFT, Inches(1.6), CONTENT_W, Inches(1.6)
    title.text_frame.text = ""
    _text(title, [(short(data.quickscan_title, budget(CONTENT_W, Inches(1.6), 36)), 36, True,
                   ACCENT)])
    subtitle.left, subtitle.top = LEFT, Inches(3.4)
    subtitle.width, subtitle.height = CONTENT_W, Inches(3.0)
    client = data.client
    _text(subtitle, [
        (client.name, 24, True, INK),
        (client.company, 20, False, INK),
        (f"Relatienummer {client.relation_number}", 14, False, MUTED),
        (dutch_date(data.report_date), 14, False, MUTED),
        (data.firm_name, 14, False, MUTED),
    ])


def _section_slide(slide: Slide, section: ReportSection) -> None:
    title = slide.shapes.title
    assert title is not None  # the "Title Only" layout has one
    title.left, title.top, title.width, title.height = LEFT, Inches(0.35), CONTENT_W, Inches(1.0)
    _text(title, [(short(section.title, budget(CONTENT_W, Inches(1.0), 30)), 30, True, ACCENT)])
    rows = max(len(section.questions), 1)
    top, room = Inches(1.55), HEIGHT - Inches(1.55) - Inches(0.4)
    row_h = Emu(min(int(Inches(1.1)), room // rows))
    size = 16 if rows <= 5 else 13 if rows <= 8 else 10
    for i, q in enumerate(section.questions):
        y = Emu(top + i * row_h)
        box = slide.shapes.add_textbox(LEFT, y, QUESTION_W, row_h)
        box.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        question = short(f"{q.number}. {q.text}", budget(QUESTION_W, row_h, size))
        _text(box, [(question, size, False, INK)])
        if q.value is not None and q.scale is not None:
            _bar(slide, q, y, row_h, size)
            continue
        answer = slide.shapes.add_textbox(ANSWER_X, y, ANSWER_W, row_h)
        answer.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        given = bool(q.answer.strip())
        text = short(q.answer, budget(ANSWER_W, row_h, size)) if given else NOT_ANSWERED
        _text(answer, [(text, size, given and q.kind == "choice", INK if given else MUTED)])
    notes = slide.notes_slide.notes_text_frame
    assert notes is not None
    notes.text = printable("\n\n".join(f"{q.number}. {q.text}\n{q.answer or NOT_ANSWERED}"
                                         for q in section.questions))


def _bar(slide: Slide, q: ReportQuestion, y: int, row_h: int, size: int) -> None:
    """Track and fill rectangles (filled from zero on a -100..100 slider) plus the value."""
    assert q.value is not None and q.scale is not None
    low, high = q.scale
    bar_h = Inches(0.24)
    bar_y = Emu(y + (row_h - bar_h) // 2)

    def at(value: float) -> int:
        share = (value - low) / (high - low) if high > low else 1.0
        return int(ANSWER_X + BAR_W * min(max(share, 0.0), 1.0))

    anchor = 0.0 if low < 0 < high else low
    start, end = sorted((at(anchor), at(q.value)))
    for x, w, color in ((ANSWER_X, BAR_W, TRACK), (start, max(end - start, Inches(0.03)), BAR)):
        rect = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Emu(x), bar_y, Emu(w), bar_h)
        rect.fill.solid()
        rect.fill.fore_color.rgb = color
        rect.line.fill.background()
        rect.shadow.inherit = False
    value = slide.shapes.add_textbox(Emu(ANSWER_X + BAR_W + Inches(0.1)), Emu(y), Inches(1.0),
                                     Emu(row_h))
    value.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    _text(value, [(q.answer, size, True, INK)])
    if row_h - bar_h < Inches(0.4):  # no room below the bar (a section of ten or more)
        return
    ends = ((" · ".join(p for p in (dutch_number(low), q.left) if p), PP_ALIGN.LEFT),
            (" · ".join(p for p in (q.right, dutch_number(high)) if p), PP_ALIGN.RIGHT))
    for i, (label, align) in enumerate(ends):
        box = slide.shapes.add_textbox(Emu(ANSWER_X + i * BAR_W // 2), Emu(bar_y + bar_h),
                                       Emu(BAR_W // 2), Inches(0.3))
        box.text_frame.margin_top = box.text_frame.margin_left = box.text_frame.margin_right = 0
        _text(box, [(short(label, 30), 9, False, MUTED)], align)
