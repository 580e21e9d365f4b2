"""The client's PDF report ("Rapportage") of one QuickScan, drawn with fpdf2.

Every string is drawn as text (``cell`` without markdown, one line at a time), never
interpreted, so an answer ``<script>alert(1)</script>`` appears literally.

Speed (issue 17: at least 20 reports a second): fpdf2 parses an embedded TrueType font
per document and subsets it in place when writing, so a parsed font cannot be shared
between documents and costs some 30-60 ms each time. A report whose text fits the PDF's
built-in Windows-1252 fonts (all Dutch and most Western European text, '€' and curly
quotes included) therefore uses Helvetica, which needs no font file at all; only a
report with other characters embeds DejaVu Sans (matplotlib's copy, else the Debian
package's): a Latin-only cut of it, made once per process in a private temporary
directory, when that covers the text (a Polish or Turkish name; it parses in a fraction
of the time), else the whole font (Greek, Cyrillic, symbols).
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fpdf import FPDF

from quickcrm.quickscans.report_data import (
    NOT_ANSWERED,
    ReportData,
    ReportQuestion,
    dutch_date,
    dutch_number,
    printable,
)

MARGIN = 18.0
NUMBER_W = 9.0  # the "12." column
BAR_W = 105.0
BAR_H = 4.5
INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (31, 78, 121)
BAR = (46, 117, 182)
TRACK = (222, 228, 235)
BAND = (234, 240, 247)
_DEJAVU_DIRS = ("/usr/share/fonts/truetype/dejavu",)


@functools.cache
def _dejavu() -> tuple[Path, Path] | None:
    """(regular, bold) DejaVu Sans files, looked up once per process."""
    dirs = list(_DEJAVU_DIRS)
    spec = importlib.util.find_spec("matplotlib")  # locates without importing it
    if spec is not None and spec.origin:
        dirs.insert(0, str(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"))
    for folder in dirs:
        regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


# Latin-1, Latin Extended-A/B and Additional, punctuation, currency, letterlike, arrows,
# minus and check marks: every Latin-script name and most symbols typed in an answer.
LATIN = ((0x20, 0x7E), (0xA0, 0x24F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF),
         (0x2100, 0x215F), (0x2190, 0x2199), (0x2212, 0x2212), (0x2713, 0x2714))


@functools.cache
def _dejavu_latin() -> tuple[Path, Path, frozenset[int]] | None:
    """(regular, bold, code points covered) of the Latin cut, made once per process."""
    full = _dejavu()
    if full is None:
        return None
    from fontTools import subset

    folder = Path(tempfile.mkdtemp(prefix="quickcrm-fonts-"))
    atexit.register(_remove, folder, os.getpid())
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, name_IDs=["*"],
                             layout_features=[], hinting=False)
    options.drop_tables += ["FFTM"]  # FontForge's timestamp: fontTools would warn on it
    paths, covered = [], frozenset[int]()
    for source in full:
        font = subset.load_font(str(source), options)
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=[c for low, high in LATIN for c in range(low, high + 1)])
        cutter.subset(font)
        covered = frozenset(font.getBestCmap())
        path = folder / source.name
        subset.save_font(font, str(path), options)
        paths.append(path)
    return paths[0], paths[1], covered


def _remove(folder: Path, pid: int) -> None:
    if os.getpid() == pid:  # not when a forked child exits
        shutil.rmtree(folder, ignore_errors=True)


def _latin_cut() -> tuple[Path, Path, frozenset[int]] | None:
    """The Latin cut, made again if its files went (a /tmp cleaner in a long-lived daemon)."""
    cut = _dejavu_latin()
    if cut is not None and not (cut[0].is_file() and cut[1].is_file()):
        _dejavu_latin.cache_clear()
        cut = _dejavu_latin()
    return cut


def _strings(data: ReportData) -> Iterator[str]:
    yield from (data.firm_name, data.quickscan_title, data.client.name, data.client.company,
                data.client.relation_number)
    for section in data.sections:
        yield section.title
        for q in section.questions:
            yield from (q.text, q.answer, q.left, q.right)


def _fonts_for(data: ReportData) -> tuple[Path, Path] | None:
    """None when Helvetica (Windows-1252) can draw every text, else the lightest
    DejaVu Sans (regular, bold) that can; None too when no DejaVu Sans is found."""
    text = "".join(printable(t) for t in _strings(data))
    try:
        text.encode("cp1252")
        return None
    except UnicodeEncodeError:
        pass
    latin = _latin_cut()
    if latin is not None and set(map(ord, text.replace("\n", " "))) <= latin[2]:
        return latin[0], latin[1]
    return _dejavu()


_WIDTHS: dict[tuple[str, str], dict[str, float]] = {}  # (family, style) -> char -> width / pt


class _ReportPDF(FPDF):
    """A4 portrait with the firm and page number in every footer."""

    def __init__(self, data: ReportData) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = "windows-1252"
        self.text_family = "Helvetica"
        fonts = _fonts_for(data)
        # Helvetica: a no-op, or (no DejaVu Sans on this machine) '?' for what it lacks
        self.replace_unencodable = fonts is None
        if fonts is not None:
            self.add_font("DejaVu", "", fonts[0])
            self.add_font("DejaVu", "B", fonts[1])
            self.text_family = "DejaVu"
        self.footer_text = self.t(f"{data.firm_name} · Rapportage {data.client.name}")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.set_title(self.t(f"Rapportage {data.quickscan_title}"))
        self.set_author(self.t(data.firm_name))
        self.set_subject(self.t(data.client.name))
        self.set_creator("QuickCRM")
        self.set_lang("nl")

    def t(self, text: str) -> str:
        """Text as drawn with the chosen font (see the module docstring)."""
        text = printable(text)
        if self.replace_unencodable:
            return text.encode("cp1252", "replace").decode("cp1252")
        return text

    def style(self, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.set_font(self.text_family, "B" if bold else "", size)
        self.set_text_color(*color)

    def footer(self) -> None:
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
        total = 0.0
        for char in text:
            w = table.get(char)
            if w is None:
                w = table[char] = self.get_string_width(char) / self.font_size_pt
            total += w
        return total * self.font_size_pt

    def lines(self, text: str, width: float) -> list[str]:
        """``text`` wrapped at spaces (a word wider than a line is cut) in the current
        font. fpdf2's multi_cell re-measures a line per added character, which made it
        the slowest part of a report; this measures each word once."""
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

    def paragraph(self, x: float, width: float, height: float, text: str | list[str]) -> None:
        """``text`` (or its ``lines``) wrapped into ``width`` from ``x``, one cell a line;
        an automatic page break keeps x."""
        lines = self.lines(text, width - 2 * self.c_margin) if isinstance(text, str) else text
        for line in lines:
            self.set_x(x)
            self.cell(width, height, line, new_x="LMARGIN", new_y="NEXT")

    def fit(self, text: str, width: float) -> str:
        """``text`` shortened with '…' to fit ``width`` in the current font."""
        if self.width(text) <= width:
            return text
        while text and self.width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"


def render_report_pdf(data: ReportData) -> bytes:
    """The client's report as PDF bytes."""
    pdf = _ReportPDF(data)
    pdf.add_page()
    _heading(pdf, data)
    for section in data.sections:
        if pdf.will_page_break(32):
            pdf.add_page()
        pdf.ln(3)
        pdf.style(13, bold=True, color=ACCENT)
        pdf.set_fill_color(*BAND)
        pdf.cell(0, 9, pdf.fit(pdf.t(section.title), pdf.epw - 4), fill=True,
                 new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(2)
        for question in section.questions:
            _question(pdf, question)
    return bytes(pdf.output())


def _heading(pdf: _ReportPDF, data: ReportData) -> None:
    pdf.style(10, color=MUTED)
    pdf.cell(0, 5, pdf.t(data.firm_name), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.style(24, bold=True, color=ACCENT)
    pdf.cell(0, 11, "Rapportage", new_x="LMARGIN", new_y="NEXT")
    pdf.style(14, bold=True)
    pdf.paragraph(MARGIN, pdf.epw, 7, pdf.t(data.quickscan_title))
    pdf.ln(3)
    rows = (("Klant", data.client.name), ("Bedrijf", data.client.company),
            ("Relatienummer", data.client.relation_number),
            ("Datum", dutch_date(data.report_date)))
    for label, value in rows:
        pdf.style(10, color=MUTED)
        pdf.cell(32, 6, label)
        pdf.style(11)
        pdf.paragraph(MARGIN + 32, pdf.epw - 32, 6, pdf.t(value) or "-")
    pdf.ln(2)
    pdf.set_draw_color(*TRACK)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.ln(3)


def _question(pdf: _ReportPDF, q: ReportQuestion) -> None:
    text_w = pdf.epw - NUMBER_W
    pdf.style(11, bold=True)
    question = pdf.lines(pdf.t(q.text), text_w - 2 * pdf.c_margin)
    bar = q.value is not None and q.scale is not None
    if pdf.will_page_break(len(question) * 5.5 + (16 if bar else 8)):  # keep it with its answer
        pdf.add_page()
    pdf.ln(2)
    pdf.cell(NUMBER_W, 5.5, f"{q.number}.")
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
        pdf.cell(text_w, 5.5, NOT_ANSWERED, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _bar(pdf: _ReportPDF, q: ReportQuestion) -> None:
    """A track over the scale, filled from zero (a -100..100 slider) or from the
    minimum to the answer, with the number beside it and the scale's ends below."""
    assert q.value is not None and q.scale is not None
    low, high = q.scale
    x, y = MARGIN + NUMBER_W, pdf.get_y() + 0.5

    def at(value: float) -> float:
        share = (value - low) / (high - low) if high > low else 1.0
        return x + BAR_W * min(max(share, 0.0), 1.0)

    anchor = 0.0 if low < 0 < high else low
    start, end = sorted((at(anchor), at(q.value)))
    pdf.set_fill_color(*TRACK)
    pdf.rect(x, y, BAR_W, BAR_H, style="F")
    pdf.set_fill_color(*BAR)
    pdf.rect(start, y, max(end - start, 0.6), BAR_H, style="F")
    if anchor != low:
        pdf.set_draw_color(*MUTED)
        pdf.line(at(anchor), y - 1, at(anchor), y + BAR_H + 1)
    pdf.set_xy(x + BAR_W + 3, y - 0.5)
    pdf.style(11, bold=True)
    pdf.cell(0, BAR_H + 1, pdf.t(q.answer))
    pdf.set_xy(x, y + BAR_H + 0.8)
    pdf.style(8, color=MUTED)
    half = BAR_W / 2
    left = " · ".join(p for p in (dutch_number(low), pdf.t(q.left)) if p)
    right = " · ".join(p for p in (pdf.t(q.right), dutch_number(high)) if p)
    pdf.cell(half, 4, pdf.fit(left, half - 1))
    pdf.cell(half, 4, pdf.fit(right, half - 1), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2.5)
