"""The relationship manager's PowerPoint of one client's QuickScan (python-pptx).

For the conversation with the client (issue 25 item 9), on the firm's own master
(``firm.pptx_template``, else the shipped ``templates/documents/rapportage.pptx``): a
title slide with the client and the date, an agenda, the summary with the attention
points and the scores, one slide per section with each question (shortened) beside the
client's answer (sliders and ratings as a bar on their scale), and a closing slide with
the next steps and the contact details. The full texts go in the notes. Text goes in as
text runs, which python-pptx writes as escaped XML, so nothing in an answer is ever
interpreted.

A firm's template is used for its slide master and layouts; slides it holds are left
out. Layouts are found by what they hold (a centred title and a subtitle; a title only;
a title and a body), so a template in any language works.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.slide import Slide, SlideLayout
from pptx.util import Emu, Inches, Pt

from quickcrm.errors import InvalidInput
from quickcrm.quickscans.report_data import (
    NOT_ANSWERED,
    ReportData,
    ReportQuestion,
    ReportSection,
    bar_share,
    dutch_date,
    dutch_number,
    hex_rgb,
    printable,
    readable,
)
from quickcrm.resources import templates_dir

log = logging.getLogger(__name__)
INK = RGBColor(0x21, 0x25, 0x29)
MUTED = RGBColor(0x5A, 0x62, 0x6A)
TRACK = RGBColor(0xDE, 0xE4, 0xEB)
SUMMARY_TITLE = "Samenvatting en aandachtspunten"
CLOSING_TITLE = "Volgende stappen"
NO_POINTS = "Uit de antwoorden komen geen bijzondere aandachtspunten naar voren."
NO_RULES = ("Deze QuickScan heeft (nog) geen regels voor aandachtspunten: zie "
            "'quickcrm quickscan show' en docs/quickscans.md.")


def default_template() -> Path:
    return templates_dir() / "documents" / "rapportage.pptx"


def short(text: str, limit: int) -> str:
    """``text`` on one slide line budget: whitespace collapsed, cut at a word with '…'."""
    text = " ".join(printable(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut) + "…"


def budget(width: int, height: int, size: float) -> int:
    """About how many characters of ``size`` pt fit a ``width`` x ``height`` box (an
    average glyph is half an em wide, a line 1.2 em high), so text stays in its row."""
    per_line = int(width / Pt(size * 0.5))
    lines = max(int(height / Pt(size * 1.25)), 1)
    return max(per_line * lines - (per_line // 2 if lines > 1 else 0), 20)


def _rgb(rgb: tuple[int, int, int]) -> RGBColor:
    return RGBColor(*rgb)


@functools.lru_cache(maxsize=4)
def _template_bytes(path: str, mtime: float) -> bytes:
    return Path(path).read_bytes()


def check_template(path: str) -> None:
    """Refuse a ``firm.pptx_template`` that is no readable .pptx, naming the file."""
    file = Path(path).expanduser()
    if file.suffix.lower() != ".pptx":
        raise InvalidInput(f"{path}: firm.pptx_template must be a .pptx file")
    if not file.is_file():
        raise InvalidInput(f"{path}: firm.pptx_template: no such file")
    try:
        Presentation(str(file))
    except Exception as exc:  # noqa: BLE001 - any parse failure means the same to the user
        raise InvalidInput(f"{path}: firm.pptx_template is not a PowerPoint file "
                           f"python-pptx can open ({type(exc).__name__})") from None


def _open(template: str) -> tuple[Any, bool]:
    """The presentation to fill, without the template's own slides, and whether it is
    the shipped master (a firm's master carries its own logo)."""
    path = Path(template).expanduser() if template else default_template()
    shipped = not template
    try:
        prs = Presentation(BytesIO(_template_bytes(str(path), path.stat().st_mtime)))
    except Exception as exc:  # noqa: BLE001 - a broken firm template must not stop a report
        if shipped:
            raise
        log.warning("firm.pptx_template %s: cannot be used (%s); the shipped master is used",
                    path, exc)
        prs, shipped = Presentation(str(default_template())), True
    ids = prs.slides._sldIdLst  # python-pptx has no public way to drop a slide
    for sld_id in list(ids):
        prs.part.drop_rel(sld_id.rId)
        ids.remove(sld_id)
    return prs, shipped


def _layout(prs: Any, want: str) -> SlideLayout:
    """The first layout holding what ``want`` needs: 'title' (centre title + subtitle),
    'content' (title + body) or 'title_only' (a title and no body)."""
    def kinds(layout: Any) -> set[Any]:
        return {ph.placeholder_format.type for ph in layout.placeholders}

    body = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT}
    title = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE}
    layouts = list(prs.slide_layouts)
    tests = {
        "title": lambda k: PP_PLACEHOLDER.CENTER_TITLE in k and PP_PLACEHOLDER.SUBTITLE in k,
        "content": lambda k: PP_PLACEHOLDER.TITLE in k and bool(k & body),
        "title_only": lambda k: bool(k & title) and not k & body
        and PP_PLACEHOLDER.SUBTITLE not in k,
    }
    for layout in layouts:
        if tests[want](kinds(layout)):
            return layout
    for layout in layouts:  # anything with a title, else the first
        if kinds(layout) & title:
            return layout
    return layouts[0]


class Deck:
    """The presentation being filled, with its size and the firm's colours."""

    def __init__(self, data: ReportData) -> None:
        brand = data.firm
        self.prs, self.shipped = _open(brand.pptx_template)
        self.width, self.height = int(self.prs.slide_width), int(self.prs.slide_height)
        self.left = int(self.width * 0.045)
        self.content_w = self.width - 2 * self.left
        self.primary = _rgb(readable(hex_rgb(brand.primary)))
        self.accent = _rgb(readable(hex_rgb(brand.accent, (179, 71, 0))))
        self.bar = _rgb(readable(hex_rgb(brand.primary), ratio=3.0))
        self.data = data
        self._layouts: dict[str, SlideLayout] = {}

    def slide(self, kind: str) -> Slide:
        layout = self._layouts.get(kind)
        if layout is None:
            layout = self._layouts[kind] = _layout(self.prs, kind)
        return self.prs.slides.add_slide(layout)

    def title(self, slide: Slide, text: str, size: int = 30) -> None:
        shape = slide.shapes.title
        h = int(self.height * 0.13)
        if shape is None:
            shape = slide.shapes.add_textbox(Emu(self.left), Emu(int(self.height * 0.05)),
                                             Emu(self.content_w), Emu(h))
        else:
            shape.left, shape.top = Emu(self.left), Emu(int(self.height * 0.05))
            shape.width, shape.height = Emu(self.content_w), Emu(h)
            shape.text_frame.text = ""
        shape.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        _text(shape, [(short(text, budget(self.content_w, h, size)), size, True,
                       self.primary)])

    def box(self, slide: Slide, x: int, y: int, w: int, h: int,
            lines: Sequence[tuple[str, float, bool, RGBColor]], anchor: Any = MSO_ANCHOR.TOP,
            align: Any = PP_ALIGN.LEFT) -> Any:
        shape = slide.shapes.add_textbox(Emu(x), Emu(y), Emu(w), Emu(h))
        shape.text_frame.vertical_anchor = anchor
        _text(shape, lines, align)
        return shape

    def rect(self, slide: Slide, x: int, y: int, w: int, h: int, color: RGBColor) -> None:
        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Emu(x), Emu(y), Emu(w), Emu(h))
        shape.fill.solid()
        shape.fill.fore_color.rgb = color
        shape.line.fill.background()
        shape.shadow.inherit = False

    def save(self) -> bytes:
        out = BytesIO()
        self.prs.save(out)
        return out.getvalue()


def _text(shape: Any, lines: Sequence[tuple[str, float, bool, RGBColor]],
          align: Any = PP_ALIGN.LEFT, inherit_ink: bool = True) -> None:
    """Fill a shape's text frame: one paragraph per (text, size, bold, colour). Body
    text (INK) keeps the master's own text colour, so a firm's dark master stays
    readable; the firm's colours and the muted grey are set explicitly (and INK too
    where a placeholder's own style would grey it, ``inherit_ink=False``)."""
    frame = shape.text_frame
    frame.word_wrap = True
    for i, (text, size, bold, color) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = printable(text)
        font = run.font
        font.size = Pt(size)
        if bold:
            font.bold = True
        if color != INK or not inherit_ink:
            font.color.rgb = color


def _notes(slide: Slide, text: str) -> None:
    notes = slide.notes_slide.notes_text_frame
    assert notes is not None
    notes.text = printable(text)


def render_report_pptx(data: ReportData) -> bytes:
    """The relationship manager's presentation as .pptx bytes: title, agenda, summary,
    one slide per section, next steps."""
    deck = Deck(data)
    props = deck.prs.core_properties
    props.title = short(f"{data.quickscan_title} - {data.client.name}", 250)
    props.author = short(data.firm.name or data.firm_name, 250)
    _title_slide(deck)
    _agenda_slide(deck)
    _summary_slide(deck)
    for section in data.sections:
        _section_slide(deck, section)
    _closing_slide(deck)
    return deck.save()


def _title_slide(deck: Deck) -> None:
    data, slide = deck.data, deck.slide("title")
    placeholders = {ph.placeholder_format.type: ph for ph in slide.placeholders}
    w, h = deck.width, deck.height
    title = placeholders.get(PP_PLACEHOLDER.CENTER_TITLE) or slide.shapes.title
    text_h = int(h * 0.21)
    if title is None:
        title = slide.shapes.add_textbox(Emu(deck.left), Emu(int(h * 0.26)),
                                         Emu(deck.content_w), Emu(text_h))
    title.left, title.top, title.width, title.height = (deck.left, int(h * 0.26),
                                                        deck.content_w, text_h)
    title.text_frame.text = ""
    _text(title, [(short(data.quickscan_title, budget(deck.content_w, text_h, 36)), 36, True,
                   deck.primary)])
    deck.rect(slide, deck.left, int(h * 0.48), int(w * 0.12), int(h * 0.008), deck.accent)
    client = data.client
    lines = [(client.name, 24, True, INK), (client.company, 20, False, INK),
             (f"Relatienummer {client.relation_number}", 14, False, MUTED),
             (dutch_date(data.report_date), 14, False, MUTED),
             (data.firm.name or data.firm_name, 14, False, MUTED)]
    lines = [line for line in lines if line[0].strip()]
    subtitle = placeholders.get(PP_PLACEHOLDER.SUBTITLE)
    sub_y, sub_h = int(h * 0.52), int(h * 0.40)
    if subtitle is None:
        subtitle = slide.shapes.add_textbox(Emu(deck.left), Emu(sub_y), Emu(deck.content_w),
                                            Emu(sub_h))
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = (deck.left, sub_y,
                                                                    deck.content_w, sub_h)
    subtitle.text_frame.text = ""
    _text(subtitle, lines, inherit_ink=False)
    logo = data.firm.logo
    if logo and deck.shipped:  # a firm's own master carries its logo already
        _logo(deck, slide, logo)
    _notes(slide, f"Gesprek over de {data.quickscan_title} met {client.name}"
           f"{' (' + client.company + ')' if client.company else ''}, "
           f"ingevuld op {dutch_date(data.report_date)}.")


def _logo(deck: Deck, slide: Slide, logo: bytes) -> None:
    """The firm's logo in the top right corner, at most 2.6 x 1 in."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(logo)) as image:
            ratio = image.width / max(image.height, 1)
    except (UnidentifiedImageError, OSError, ValueError):
        return
    max_w, max_h = Inches(2.6), Inches(1.0)
    w = min(max_w, int(max_h * ratio))
    h = int(w / ratio)
    try:
        slide.shapes.add_picture(BytesIO(logo), Emu(deck.width - deck.left - w),
                                 Emu(int(deck.height * 0.06)), Emu(w), Emu(h))
    except Exception:  # noqa: BLE001 - a logo python-pptx cannot place is left out
        return


def _agenda_slide(deck: Deck) -> None:
    data, slide = deck.data, deck.slide("title_only")
    deck.title(slide, "Agenda")
    items = [SUMMARY_TITLE, *(s.title for s in data.sections), CLOSING_TITLE]
    top = int(deck.height * 0.22)
    room = int(deck.height * 0.70)
    row = min(int(Inches(0.62)), room // max(len(items), 1))
    size = 20 if row >= Inches(0.55) else 16 if row >= Inches(0.4) else 12
    for i, item in enumerate(items, 1):
        y = top + (i - 1) * row
        deck.box(slide, deck.left, y, int(Inches(0.7)), row,
                 [(f"{i}", size, True, deck.accent)], MSO_ANCHOR.MIDDLE)
        deck.box(slide, deck.left + int(Inches(0.7)), y, deck.content_w - int(Inches(0.7)),
                 row, [(short(item, budget(deck.content_w, row, size)), size, False, INK)],
                 MSO_ANCHOR.MIDDLE)


def _summary_slide(deck: Deck) -> None:
    data, slide = deck.data, deck.slide("title_only")
    deck.title(slide, SUMMARY_TITLE)
    top, bottom = int(deck.height * 0.22), int(deck.height * 0.95)
    col_w = int(deck.content_w * 0.52)
    # left: the attention points
    deck.box(slide, deck.left, top, col_w, int(Inches(0.45)),
             [("Aandachtspunten", 16, True, deck.primary)])
    y = top + int(Inches(0.5))
    points = data.attention
    if not points:
        deck.box(slide, deck.left, y, col_w, int(Inches(0.8)),
                 [(NO_POINTS if data.has_rules else NO_RULES, 14, False,
                   INK if data.has_rules else MUTED)])
    else:
        row = min(int(Inches(1.0)), (bottom - y) // len(points))
        size = 13 if row >= Inches(0.85) else 11 if row >= Inches(0.6) else 9
        for point in points:
            deck.rect(slide, deck.left, y + int(Inches(0.06)), int(Inches(0.06)),
                      row - int(Inches(0.14)), deck.accent)
            text_x, text_w = deck.left + int(Inches(0.18)), col_w - int(Inches(0.18))
            lines = [(short(point.title, 70), size + 1, True, INK)] if point.title else []
            lines.append((short(point.text, budget(text_w, row - Pt((size + 1) * 1.3), size)),
                          size, False, INK))
            deck.box(slide, text_x, y, text_w, row, lines)
            y += row
    # right: the scores per section
    x = deck.left + col_w + int(Inches(0.4))
    w = deck.width - deck.left - x
    deck.box(slide, x, top, w, int(Inches(0.45)), [("Scores per onderdeel", 16, True,
                                                    deck.primary)])
    rows: list[tuple[str, ReportQuestion | None]] = []
    for section in data.sections:
        answered = sum(1 for q in section.questions if q.answer.strip())
        rows.append((f"{section.title} · {answered} van {len(section.questions)} beantwoord",
                     None))
        rows += [(f"{q.number}. {q.text}", q) for q in section.questions
                 if q.kind in ("slider", "rating")]
    y = top + int(Inches(0.5))
    row_h = min(int(Inches(0.42)), (bottom - y) // max(len(rows), 1))
    size = 11 if row_h >= Inches(0.38) else 9 if row_h >= Inches(0.3) else 7
    label_w, bar_w = int(w * 0.46), int(w * 0.24)
    for label, q in rows:
        if q is None:
            deck.box(slide, x, y, w, row_h, [(short(label, 60), size, True, INK)],
                     MSO_ANCHOR.BOTTOM)
        else:
            deck.box(slide, x, y, label_w, row_h, [(short(label, budget(label_w, row_h, size)),
                                                    size, False, INK)], MSO_ANCHOR.MIDDLE)
            share = bar_share(q)
            if share is None:
                deck.box(slide, x + label_w, y, w - label_w, row_h,
                         [(q.answer or NOT_ANSWERED, size, False, MUTED)], MSO_ANCHOR.MIDDLE)
            else:
                bar_h = int(row_h * 0.38)
                bar_y = y + (row_h - bar_h) // 2
                bar_x = x + label_w + int(Inches(0.05))
                deck.rect(slide, bar_x, bar_y, bar_w, bar_h, TRACK)
                start, end = share
                deck.rect(slide, bar_x + int(bar_w * start), bar_y,
                          max(int(bar_w * (end - start)), int(Inches(0.03))), bar_h, deck.bar)
                assert q.scale is not None
                value = (f"{q.answer} van {dutch_number(q.scale[1])}" if q.scale[0] >= 0
                         else q.answer)
                deck.box(slide, bar_x + bar_w + int(Inches(0.05)), y,
                         w - label_w - bar_w - int(Inches(0.05)), row_h,
                         [(value, size, True, INK)], MSO_ANCHOR.MIDDLE)
        y += row_h
    notes = [f"- {p.title}: {p.text}" if p.title else f"- {p.text}" for p in points]
    _notes(slide, "Aandachtspunten\n" + ("\n".join(notes) if notes
                                          else NO_POINTS if data.has_rules else NO_RULES))


def _section_slide(deck: Deck, section: ReportSection) -> None:
    slide = deck.slide("title_only")
    deck.title(slide, section.title)
    rows = max(len(section.questions), 1)
    top = int(deck.height * 0.21)
    room = int(deck.height * 0.95) - top
    row_h = min(int(Inches(1.1)), room // rows)
    size = 16 if rows <= 5 else 13 if rows <= 8 else 10
    question_w = int(deck.content_w * 0.52)
    answer_x = deck.left + question_w + int(Inches(0.3))
    answer_w = deck.width - deck.left - answer_x
    for i, q in enumerate(section.questions):
        y = top + i * row_h
        question = short(f"{q.number}. {q.text}", budget(question_w, row_h, size))
        deck.box(slide, deck.left, y, question_w, row_h, [(question, size, False, INK)],
                 MSO_ANCHOR.MIDDLE)
        if bar_share(q) is not None:
            _bar(deck, slide, q, answer_x, answer_w, y, row_h, size)
            continue
        given = bool(q.answer.strip())
        text = short(q.answer, budget(answer_w, row_h, size)) if given else NOT_ANSWERED
        deck.box(slide, answer_x, y, answer_w, row_h,
                 [(text, size, given and q.kind == "choice", INK if given else MUTED)],
                 MSO_ANCHOR.MIDDLE)
    _notes(slide, "\n\n".join(f"{q.number}. {q.text}\n{q.shown or NOT_ANSWERED}"
                              for q in section.questions))


def _bar(deck: Deck, slide: Slide, q: ReportQuestion, x: int, width: int, y: int,
         row_h: int, size: int) -> None:
    """Track and filled part (from zero on a -100..100 slider) plus the value."""
    share = bar_share(q)
    assert share is not None and q.scale is not None
    low, high = q.scale
    bar_w = int(width * 0.75)
    bar_h = int(Inches(0.24))
    bar_y = y + (row_h - bar_h) // 2
    start, end = share
    deck.rect(slide, x, bar_y, bar_w, bar_h, TRACK)
    deck.rect(slide, x + int(bar_w * start), bar_y,
              max(int(bar_w * (end - start)), int(Inches(0.03))), bar_h, deck.bar)
    value = [(q.answer, size, True, INK)]
    value_w = width - bar_w - int(Inches(0.1))
    if q.label and value_w >= Inches(1.1):  # else only in the notes: no room beside the bar
        value.append((short(q.label, 24), max(size - 4, 8), False, MUTED))
    deck.box(slide, x + bar_w + int(Inches(0.1)), y, value_w, row_h, value, MSO_ANCHOR.MIDDLE)
    if row_h - bar_h < Inches(0.4):  # no room below the bar (a section of ten or more)
        return
    ends = ((" · ".join(p for p in (dutch_number(low), q.left) if p), PP_ALIGN.LEFT),
            (" · ".join(p for p in (q.right, dutch_number(high)) if p), PP_ALIGN.RIGHT))
    for i, (label, align) in enumerate(ends):
        box = deck.box(slide, x + i * bar_w // 2, bar_y + bar_h, bar_w // 2, int(Inches(0.3)),
                       [(short(label, 30), 9, False, MUTED)], align=align)
        box.text_frame.margin_top = box.text_frame.margin_left = 0
        box.text_frame.margin_right = 0


def _closing_slide(deck: Deck) -> None:
    data, slide = deck.data, deck.slide("title_only")
    deck.title(slide, CLOSING_TITLE)
    top = int(deck.height * 0.22)
    col_w = int(deck.content_w * 0.55)
    steps = [(short(data.next_step, budget(col_w, int(Inches(2.0)), 16)), 16, False, INK)]
    if data.attention:
        steps.append(("", 10, False, INK))
        steps.append(("Te bespreken:", 14, True, deck.primary))
        steps += [(f"• {short(p.title or p.text, 80)}", 13, False, INK)
                  for p in data.attention[:6]]
    deck.box(slide, deck.left, top, col_w, int(deck.height * 0.70), steps)
    x = deck.left + col_w + int(Inches(0.4))
    w = deck.width - deck.left - x
    contact, firm = data.contact, data.firm
    lines: list[tuple[str, float, bool, RGBColor]] = []
    if contact is not None:
        lines.append(("Uw relatiemanager", 12, False, MUTED))
        lines.append((contact.name, 18, True, INK))
        lines += [(t, 14, False, INK) for t in (
            contact.function, f"Telefoon {contact.phone}" if contact.phone else "",
            contact.email) if t]
        lines.append(("", 8, False, INK))
    lines.append((firm.name or data.firm_name, 14, True, INK))
    lines += [(line, 12, False, MUTED) for line in firm.contact_lines()]
    deck.rect(slide, x - int(Inches(0.15)), top, int(Inches(0.06)), int(deck.height * 0.45),
              deck.accent)
    deck.box(slide, x, top, w, int(deck.height * 0.6), lines)
    notes = [data.next_step]
    notes += [f"- {p.title}: {p.text}" if p.title else f"- {p.text}" for p in data.attention]
    _notes(slide, "\n".join(notes))
