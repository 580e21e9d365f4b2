"""The client's PDF report ("Rapportage") of one QuickScan, drawn with fpdf2.

A report, not an answer list (issue 25 item 8): a cover with the firm's logo and name,
a one-page summary (the attention points the answers meet, the client's scores per
section), the answers per section, and the next step with the relationship manager's
contact details. The firm's colours come from its branding, darkened where needed so
that text keeps 4.5:1 contrast on white (bars and rules 3:1).

Every string is drawn as text (``cell`` without markdown, one line at a time), never
interpreted, so an answer ``<script>alert(1)</script>`` appears literally. Fonts and
characters no font has: ``pdf_fonts``.
"""

from __future__ import annotations

import functools
import hashlib
from io import BytesIO
from typing import Any

from fpdf import FPDF

from quickcrm.quickscans.pdf_fonts import CP1252, choose, drawable, drawable_set, use_fonts
from quickcrm.quickscans.report_data import (
    NOT_ANSWERED,
    ReportData,
    ReportQuestion,
    bar_share,
    dutch_date,
    dutch_number,
    hex_rgb,
    printable,
    readable,
)

MARGIN = 18.0
NUMBER_W = 9.0  # the "12." column
BAR_W = 105.0
BAR_H = 4.5
INK = (33, 37, 41)
MUTED = (90, 98, 106)  # 6.3:1 on white
WHITE = (255, 255, 255)
TRACK = (222, 228, 235)
BAND = (238, 242, 247)
RULE = (200, 207, 214)
Colour = tuple[int, int, int]
REPLACED_NOTE = ("Tekens die dit document niet kan weergeven, zijn vervangen: een emoji "
                 "door een woord tussen haken, een ander teken door \ufffd. Uw antwoorden "
                 "zelf zijn ongewijzigd bewaard.")


def strings(data: ReportData) -> list[str]:
    """Every text the report draws, to choose its font from."""
    firm, contact = data.firm, data.contact
    out = [data.firm_name, firm.name, *firm.contact_lines(), data.quickscan_title,
           data.client.name, data.client.company, data.client.relation_number, data.next_step]
    if contact is not None:
        out += [contact.name, contact.function, contact.phone, contact.email]
    for point in data.attention:
        out += [point.title, point.text]
    for section in data.sections:
        out.append(section.title)
        for q in section.questions:
            out += [q.text, q.answer, q.left, q.right]
    return out


_WIDTHS: dict[tuple[str, str], dict[str, float]] = {}  # (family, style) -> char -> width / pt


class ReportPDF(FPDF):
    """A4 portrait in the firm's colours with the firm and page number in every footer
    but the cover's; ``t`` makes any text drawable in the chosen font."""

    def __init__(self, data: ReportData) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = "windows-1252"
        self.text_family = "Helvetica"
        self.replaced = False  # did ``t`` replace a character (see REPLACED_NOTE)
        self._lines: dict[tuple[str, str, float, float, str], list[str]] = {}
        fonts = choose("".join(printable(t) for t in strings(data)))
        self.charset = CP1252
        if fonts is not None:
            use_fonts(self, "DejaVu", fonts)
            self.text_family = "DejaVu"
            self.charset = drawable_set(fonts)
        brand = data.firm
        self.primary = readable(hex_rgb(brand.primary))
        self.accent = readable(hex_rgb(brand.accent, (179, 71, 0)))
        self.bar = readable(hex_rgb(brand.primary), ratio=3.0)
        self.footer_text = self.t(f"{brand.name or data.firm_name} · Rapportage "
                                  f"{data.client.name}")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.set_title(self.t(f"Rapportage {data.quickscan_title}"))
        self.set_author(self.t(brand.name or data.firm_name))
        self.set_subject(self.t(data.client.name))
        self.set_creator("QuickCRM")
        self.set_lang("nl")

    def t(self, text: str) -> str:
        """Text as drawn with the chosen font: printable, and what the font lacks
        replaced visibly (``pdf_fonts.drawable``)."""
        text, replaced = drawable(printable(text), self.charset)
        self.replaced = self.replaced or replaced
        return text

    def style(self, size: float, bold: bool = False, color: Colour = INK) -> None:
        self.set_font(self.text_family, "B" if bold else "", size)
        self.set_text_color(*color)

    def footer(self) -> None:
        if self.page_no() == 1:
            return  # the cover
        self.set_y(-12)
        self.style(8, color=MUTED)
        width = self.epw - 35  # the rest holds "Pagina 12 van 12"
        self.cell(width, 5, self.fit(self.footer_text, width - 2))
        self.cell(35, 5, f"Pagina {self.page_no()} van {{nb}}", align="R")

    def width(self, text: str) -> float:
        """``get_string_width`` from a per-font table of character widths: fpdf2's own
        call costs more than the rest of a report's layout (no kerning or shaping is used,
        so a string's width is the sum of its characters')."""
        table = _WIDTHS.setdefault((self.text_family, self.font_style), {})
        try:
            return sum(map(table.__getitem__, text)) * self.font_size_pt
        except KeyError:
            for char in set(text) - table.keys():
                table[char] = self.get_string_width(char) / self.font_size_pt
            return sum(map(table.__getitem__, text)) * self.font_size_pt

    def lines(self, text: str, width: float) -> list[str]:
        """``text`` wrapped at spaces (a word wider than a line is cut) in the current
        font. fpdf2's multi_cell re-measures a line per added character, which made it
        the slowest part of a report; this measures each word once, and a text once
        per font and width (the summary is measured before it is drawn)."""
        key = (self.font_family, self.font_style, self.font_size_pt, width, text)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = self._wrap(text, width)
        return found

    def _wrap(self, text: str, width: float) -> list[str]:
        space, out = self.width(" "), []
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for word in paragraph.split(" "):
                w = self.width(word)
                while w > width:  # cut a word longer than the line (a URL, a typo)
                    if line:
                        out.append(line)
                        line, used = "", 0.0
                    cut = max(1, int(len(word) * width / w))
                    while cut > 1 and self.width(word[:cut]) > width:
                        cut -= 1
                    out.append(word[:cut])
                    word = word[cut:]
                    w = self.width(word)
                if line and used + space + w > width:
                    out.append(line)
                    line, used = word, w
                else:
                    line, used = (f"{line} {word}", used + space + w) if line else (word, w)
            out.append(line)
        return out

    def paragraph(self, x: float, width: float, height: float, text: str | list[str],
                  align: str = "L") -> None:
        """``text`` (or its ``lines``) wrapped into ``width`` from ``x``, one cell a line;
        an automatic page break keeps x."""
        lines = self.lines(text, width - 2 * self.c_margin) if isinstance(text, str) else text
        for line in lines:
            self.set_x(x)
            self.put(width, height, line, align=align, nl=True)

    def put(self, w: float, h: float, text: str = "", align: str = "L", nl: bool = False,
            fill: bool = False) -> None:
        """``cell`` for one line of plain text, at a tenth of its cost (fpdf2's cell
        lays out styled fragments; this writes the line with ``text``): ``w`` 0 means up
        to the right margin, ``nl`` goes to the left margin of the next line, ``fill``
        paints the cell first; an automatic page break keeps x, as ``cell``'s does."""
        if self.y + h > self.page_break_trigger and not self.in_footer \
                and self.accept_page_break:
            x = self.x
            self.add_page(same=True)
            self.x = x
        width = w or (self.w - self.r_margin - self.x)
        if fill:
            self.rect(self.x, self.y, width, h, style="F")
        if text:
            used = self.width(text)
            dx = (self.c_margin if align == "L" else width - self.c_margin - used
                  if align == "R" else (width - used) / 2)
            self.text(self.x + dx, self.y + 0.5 * h + 0.3 * self.font_size, text)
        if nl:
            self.x, self.y = self.l_margin, self.y + h
        else:
            self.x += width

    def fit(self, text: str, width: float) -> str:
        """``text`` shortened with '…' to fit ``width`` in the current font."""
        if self.width(text) <= width:
            return text
        while text and self.width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def heading(self, text: str, size: float = 20) -> None:
        self.style(size, bold=True, color=self.primary)
        self.paragraph(MARGIN, self.epw, size * 0.5, self.t(text))
        self.set_draw_color(*self.accent)
        self.set_line_width(0.8)
        self.line(MARGIN + self.c_margin, self.get_y() + 1, MARGIN + 30, self.get_y() + 1)
        self.set_line_width(0.2)
        self.ln(5)


def render_report_pdf(data: ReportData) -> bytes:
    """The client's report as PDF bytes: cover, summary, answers, next step."""
    pdf = ReportPDF(data)
    pdf.add_page()
    _cover(pdf, data)
    pdf.add_page()
    _summary(pdf, data)
    pdf.add_page()
    pdf.heading("Uw antwoorden")
    for section in data.sections:
        draw_section(pdf, section.title, section.questions)
    _next_step(pdf, data)
    return bytes(pdf.output())


# -- the cover ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _logo_image(digest: str, logo: bytes) -> Any:
    """The logo decoded (and made at most 900 px wide) once per process, as a Pillow
    image; None when it is no image Pillow reads."""
    from PIL import Image, UnidentifiedImageError

    try:
        opened = Image.open(BytesIO(logo))
        opened.load()
        image: Image.Image = opened
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    if image.width > 900:
        image = image.resize((900, max(1, round(image.height * 900 / image.width))))
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    return image


_LOGO_INFO: dict[str, tuple[str, Any]] = {}  # digest -> fpdf2's parsed image info, shared per process


def draw_logo(pdf: FPDF, logo: bytes, x: float, y: float, w: float, h: float) -> float:
    """The logo fitted into w x h at (x, y), decoded and compressed once per process
    (fpdf2's image record is handed to every later document); returns its height, 0
    when it is no image Pillow reads."""
    digest = hashlib.sha256(logo).hexdigest()
    image = _logo_image(digest, logo)
    if image is None:
        return 0.0
    scale = min(w / image.width, h / image.height)
    width, height = image.width * scale, image.height * scale
    images = pdf.image_cache.images
    cached = _LOGO_INFO.get(digest)
    if cached is None:
        before = set(images)
        pdf.image(image, x, y, width, height)
        added = [k for k in images if k not in before]
        if len(added) == 1 and not images[added[0]].get("iccp"):
            _LOGO_INFO[digest] = (added[0], images[added[0]].__class__(images[added[0]]))
        return height
    name, info = cached
    if name not in images:
        record = info.__class__(info)
        record.update(i=len(images) + 1, usages=0, iccp_i=None)
        record.pop("obj_id", None)
        images[name] = record
    pdf.image(name, x, y, width, height)
    return height


def _cover(pdf: ReportPDF, data: ReportData) -> None:
    brand = data.firm
    firm = brand.name or data.firm_name
    top = MARGIN
    logo_h = draw_logo(pdf, brand.logo, MARGIN, top, 70, 24) if brand.logo else 0.0
    pdf.set_y(top + logo_h + (3 if logo_h else 0))
    pdf.style(10 if logo_h else 16, bold=not logo_h, color=MUTED if logo_h else pdf.primary)
    pdf.paragraph(MARGIN, pdf.epw, 6 if logo_h else 8, pdf.t(firm))
    band_y, band_h = 92.0, 62.0
    pdf.set_fill_color(*pdf.primary)
    pdf.rect(0, band_y, pdf.w, band_h, style="F")
    pdf.set_fill_color(*pdf.accent)
    pdf.rect(0, band_y + band_h, pdf.w, 2.5, style="F")
    pdf.set_xy(MARGIN, band_y + 10)
    pdf.style(32, bold=True, color=WHITE)
    pdf.put(0, 14, "Rapportage", nl=True)
    pdf.ln(2)
    pdf.style(16, color=WHITE)
    title = pdf.lines(pdf.t(data.quickscan_title), pdf.epw - 2 * pdf.c_margin)[:3]
    pdf.paragraph(MARGIN, pdf.epw, 8, title)
    pdf.set_y(band_y + band_h + 16)
    pdf.style(10, color=MUTED)
    pdf.put(0, 6, "Opgesteld voor", nl=True)
    pdf.style(18, bold=True)
    pdf.paragraph(MARGIN, pdf.epw, 9, pdf.t(data.client.name) or "-")
    pdf.style(13)
    if data.client.company:
        pdf.paragraph(MARGIN, pdf.epw, 7, pdf.t(data.client.company))
    pdf.ln(3)
    for label, value in (("Relatienummer", data.client.relation_number),
                         ("Datum", dutch_date(data.report_date))):
        pdf.style(10, color=MUTED)
        pdf.put(32, 6, label)
        pdf.style(11)
        pdf.paragraph(MARGIN + 32, pdf.epw - 32, 6, pdf.t(value) or "-")
    lines = brand.contact_lines()
    pdf.set_y(pdf.h - MARGIN - 6 - 4.5 * len(lines))
    pdf.set_draw_color(*RULE)
    pdf.line(MARGIN, pdf.get_y() - 2, pdf.w - MARGIN, pdf.get_y() - 2)
    pdf.style(9, bold=True)
    pdf.put(0, 5, pdf.fit(pdf.t(firm), pdf.epw), nl=True)
    pdf.style(9, color=MUTED)
    for line in lines:
        pdf.put(0, 4.5, pdf.fit(pdf.t(line), pdf.epw), nl=True)


# -- the summary -------------------------------------------------------------------------

SUMMARY_SIZES = (10.5, 9.5, 8.5, 7.5)
MORE_POINTS = "De toelichting bij elk aandachtspunt staat op de volgende pagina."


def _summary(pdf: ReportPDF, data: ReportData) -> None:
    """Attention points and scores per section on one page: the largest type that fits;
    when even the smallest does not (a definition with very many points), the points'
    titles only, as many as fit, with every point in full on the page after."""
    pdf.heading("Samenvatting")
    room = pdf.h - MARGIN - 8 - pdf.get_y()
    points = len(data.attention)
    tries = [(size, True, points) for size in SUMMARY_SIZES]
    tries += [(SUMMARY_SIZES[1], False, n) for n in range(points, 0, -1)]
    size, full, shown = next(
        (t for t in tries if _summary_body(pdf, data, *t, dry=True) <= room), tries[-1])
    _summary_body(pdf, data, size, full, shown, dry=False)
    if not full:
        pdf.add_page()
        pdf.heading("Aandachtspunten")
        for point in data.attention:
            _point(pdf, point.title, point.text, 10.5, 10.5 * 0.48)


def _point(pdf: ReportPDF, title: str, text: str, size: float, line: float,
           dry: bool = False) -> float:
    """One attention point (a bar in the accent colour, the title, the text); its height."""
    text_w = pdf.epw - 6
    pdf.style(size, bold=True)
    titles = pdf.lines(pdf.t(title), text_w - 2 * pdf.c_margin) if title else []
    pdf.style(size)
    body = pdf.lines(pdf.t(text), text_w - 2 * pdf.c_margin) if text else []
    h = (len(titles) + len(body)) * line
    if dry:
        return h + 2
    if pdf.will_page_break(h + 2):
        pdf.add_page()
    y = pdf.get_y()
    pdf.set_fill_color(*pdf.accent)
    pdf.rect(MARGIN + pdf.c_margin, y + 0.6, 1.4, h - 0.6, style="F")
    pdf.style(size, bold=True)
    pdf.paragraph(MARGIN + 6, text_w, line, titles)
    pdf.style(size)
    pdf.paragraph(MARGIN + 6, text_w, line, body)
    pdf.ln(2)
    return h + 2


def _summary_body(pdf: ReportPDF, data: ReportData, size: float, full: bool, shown: int, *,
                  dry: bool) -> float:
    """Draw (or, ``dry``, only measure) the summary at type ``size``, the first ``shown``
    attention points with their texts (``full``) or their titles only; returns its height."""
    line = size * 0.48
    height = 0.0

    def sub(title: str) -> float:
        if not dry:
            pdf.style(size + 2.5, bold=True, color=pdf.primary)
            pdf.put(0, line + 3, title, nl=True)
            pdf.ln(1)
        return line + 4

    def note(text: str) -> float:
        pdf.style(size)
        lines = pdf.lines(pdf.t(text), pdf.epw - 2 * pdf.c_margin)
        if not dry:
            pdf.paragraph(MARGIN, pdf.epw, line, lines)
        return len(lines) * line

    if data.has_rules:  # a definition without rules says nothing, rather than "none"
        height += sub("Aandachtspunten")
    if data.has_rules and not data.attention:
        height += note("Uit uw antwoorden komen geen bijzondere aandachtspunten naar voren. "
                       "Uw relatiemanager bespreekt de uitkomsten graag met u.")
    for point in data.attention[:shown]:
        if full:
            height += _point(pdf, point.title, point.text, size, line, dry)
        else:
            title = point.title or point.text
            pdf.style(size, bold=True)
            height += _point(pdf, pdf.fit(title, pdf.epw - 10), "", size, line, dry)
    if not full:
        rest = len(data.attention) - shown
        height += note((f"En nog {rest} aandachtspunt{'en' if rest > 1 else ''}. " if rest
                        else "") + MORE_POINTS)
    if not dry and data.has_rules:
        pdf.ln(3)
    height += (3 if data.has_rules else 0) + sub("Uw scores per onderdeel")
    label_w, bar_x, bar_w = 92.0, MARGIN + 96, 50.0
    for section in data.sections:
        answered = sum(1 for q in section.questions if q.answer.strip())
        count = f"{answered} van {len(section.questions)} vragen beantwoord"
        if not dry:
            pdf.style(size, bold=True)
            pdf.put(pdf.epw - 55, line + 1.5, pdf.fit(pdf.t(section.title), pdf.epw - 57))
            pdf.style(size - 1, color=MUTED)
            pdf.put(55, line + 1.5, count, align="R", nl=True)
        height += line + 1.5
        for q in section.questions:
            if q.kind not in ("slider", "rating"):
                continue
            height += line + 1
            if dry:
                continue
            pdf.style(size - 0.5)
            pdf.put(label_w, line + 1, pdf.fit(pdf.t(f"{q.number}. {q.text}"), label_w - 2))
            share = bar_share(q)
            if share is None:
                pdf.style(size - 0.5, color=MUTED)
                pdf.put(0, line + 1, NOT_ANSWERED if not q.answer.strip() else pdf.t(q.answer), nl=True)
                continue
            y = pdf.get_y() + (line + 1 - 2.6) / 2
            _track(pdf, bar_x, y, bar_w, 2.6, share, q)
            pdf.set_x(bar_x + bar_w + 2)
            pdf.style(size - 0.5, bold=True)
            assert q.scale is not None
            pdf.put(0, line + 1, f"{q.answer} van {dutch_number(q.scale[1])}"
                     if q.scale[0] >= 0 else q.answer, nl=True)
        if not dry:
            pdf.ln(1.5)
        height += 1.5
    return height


def _track(pdf: ReportPDF, x: float, y: float, w: float, h: float,
           share: tuple[float, float], q: ReportQuestion) -> None:
    """A track with its filled part, a line at zero on a -100..100 slider."""
    start, end = share
    pdf.set_fill_color(*TRACK)
    pdf.rect(x, y, w, h, style="F")
    pdf.set_fill_color(*pdf.bar)
    pdf.rect(x + w * start, y, max(w * (end - start), 0.8), h, style="F")
    assert q.scale is not None
    low, high = q.scale
    if q.kind == "slider" and low < 0 < high:
        zero = x + w * (-low) / (high - low)
        pdf.set_draw_color(*MUTED)
        pdf.line(zero, y - 0.8, zero, y + h + 0.8)


# -- the answers -------------------------------------------------------------------------

def draw_section(pdf: ReportPDF, title: str, questions: tuple[ReportQuestion, ...]) -> None:
    """A section's band and its numbered questions with the answers."""
    if pdf.will_page_break(32):
        pdf.add_page()
    pdf.ln(3)
    pdf.style(13, bold=True, color=pdf.primary)
    pdf.set_fill_color(*BAND)
    pdf.put(0, 9, pdf.fit(pdf.t(title), pdf.epw - 4), fill=True, nl=True)
    pdf.ln(2)
    for question in questions:
        draw_question(pdf, question)


def draw_question(pdf: ReportPDF, q: ReportQuestion) -> None:
    text_w = pdf.epw - NUMBER_W
    pdf.style(11, bold=True)
    question = pdf.lines(pdf.t(q.text), text_w - 2 * pdf.c_margin)
    bar = bar_share(q) is not None
    if pdf.will_page_break(len(question) * 5.5 + (16 if bar else 8)):  # keep it with its answer
        pdf.add_page()
    pdf.ln(2)
    pdf.put(NUMBER_W, 5.5, f"{q.number}.")
    pdf.paragraph(MARGIN + NUMBER_W, text_w, 5.5, question)
    pdf.ln(1)
    if bar:
        _bar(pdf, q)
        return
    if q.answer.strip():
        pdf.style(11)
        pdf.paragraph(MARGIN + NUMBER_W, text_w, 5.5, pdf.t(q.answer))
    else:
        pdf.style(10, color=MUTED)
        pdf.set_x(MARGIN + NUMBER_W)
        pdf.put(text_w, 5.5, NOT_ANSWERED, nl=True)
    pdf.ln(1.5)


def _bar(pdf: ReportPDF, q: ReportQuestion) -> None:
    """The answer on its scale: the track, the filled part, the number beside it and
    the scale's ends (with the slider's labels) below."""
    share = bar_share(q)
    assert share is not None and q.scale is not None
    low, high = q.scale
    x, y = MARGIN + NUMBER_W, pdf.get_y() + 0.5
    _track(pdf, x, y, BAR_W, BAR_H, share, q)
    pdf.set_xy(x + BAR_W + 3, y - 0.5)
    pdf.style(11, bold=True)
    pdf.put(pdf.width(q.answer) + 2 * pdf.c_margin, BAR_H + 1, pdf.t(q.answer))
    if q.label:
        pdf.style(9.5, color=MUTED)
        room = pdf.w - MARGIN - pdf.get_x()
        pdf.put(room, BAR_H + 1, pdf.fit(pdf.t(q.label), room - 2 * pdf.c_margin))
    pdf.set_xy(x, y + BAR_H + 0.8)
    pdf.style(8, color=MUTED)
    half = BAR_W / 2
    left = " · ".join(p for p in (dutch_number(low), pdf.t(q.left)) if p)
    right = " · ".join(p for p in (pdf.t(q.right), dutch_number(high)) if p)
    pdf.put(half, 4, pdf.fit(left, half - 1))
    pdf.put(half, 4, pdf.fit(right, half - 1), align="R", nl=True)
    pdf.ln(2.5)


# -- the next step -----------------------------------------------------------------------

def _next_step(pdf: ReportPDF, data: ReportData) -> None:
    brand, contact = data.firm, data.contact
    firm = brand.name or data.firm_name
    pdf.style(11)
    text = pdf.lines(pdf.t(data.next_step), pdf.epw - 2 * pdf.c_margin)
    people = ([contact.name, contact.function, f"Telefoon {contact.phone}"
               if contact.phone else "", f"E-mail {contact.email}" if contact.email else ""]
              if contact is not None else [])
    people = [p for p in people if p]
    firm_lines = brand.contact_lines()
    need = 30 + 5.5 * len(text) + 6 * (len(people) + len(firm_lines) + 3)
    if pdf.will_page_break(min(need, pdf.eph - 10)):
        pdf.add_page()
    else:
        pdf.ln(6)
    pdf.heading("Volgende stap", size=16)
    pdf.style(11)
    pdf.paragraph(MARGIN, pdf.epw, 5.5, text)
    pdf.ln(4)
    y0 = pdf.get_y()
    pdf.set_fill_color(*BAND)
    box_h = 8 + 5.5 * (len(people) + (1 if people else 0)) + 5 * (len(firm_lines) + 1) + 4
    pdf.rect(MARGIN, y0, pdf.epw, box_h, style="F")
    pdf.set_fill_color(*pdf.accent)
    pdf.rect(MARGIN, y0, 1.4, box_h, style="F")
    pdf.set_xy(MARGIN + 5, y0 + 4)
    if people:
        pdf.style(9, color=MUTED)
        pdf.put(0, 5.5, "Uw relatiemanager", nl=True)
        for i, line in enumerate(people):
            pdf.set_x(MARGIN + 5)
            pdf.style(12 if i == 0 else 10.5, bold=i == 0)
            pdf.put(0, 5.5, pdf.fit(pdf.t(line), pdf.epw - 10), nl=True)
        pdf.ln(2)
    pdf.set_x(MARGIN + 5)
    pdf.style(10.5, bold=True)
    pdf.put(0, 5, pdf.fit(pdf.t(firm), pdf.epw - 10), nl=True)
    pdf.style(10, color=MUTED)
    for line in firm_lines:
        pdf.set_x(MARGIN + 5)
        pdf.put(0, 5, pdf.fit(pdf.t(line), pdf.epw - 10), nl=True)
    pdf.set_y(y0 + box_h + 4)
    if pdf.replaced:
        pdf.style(8.5, color=MUTED)
        pdf.paragraph(MARGIN, pdf.epw, 4.2, pdf.t(REPLACED_NOTE))
