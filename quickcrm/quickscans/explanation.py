"""The separate explanation document of a QuickScan (seed 000, "Toelichting vragen en
antwoorden"): every question with its form, the values it produces as the seed's table
lists them (the slider's range, 'ke1'... with each option's text, the rating's scale)
and its explanation, so whoever reads the Excel download knows what each column means.

Drawn with fpdf2 in DejaVu Sans when the font is installed (any character works),
else in the built-in Helvetica with the text reduced to Windows-1252.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from quickcrm.quickscans.schema import Definition, Question

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
FORMS = {
    "slider": ("Slider", "Een schuifelement; numerieke waarde"),
    "choice": ("Meerkeuzevraag", "Ja/Nee- of meerkeuzevraag; alfanumerieke waarde"),
    "text": ("Open tekst", "Vrije tekst; alfanumerieke waarde"),
    "rating": ("Rapportcijfer", "Een cijfer; numerieke waarde (hele getallen)"),
}
INK, MUTED, ACCENT = (33, 37, 41), (100, 100, 100), (31, 78, 121)


def num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def values_text(q: Question) -> list[str]:
    """The lines under "Waarde" for one question, as in the seed's table."""
    if q.type == "slider":
        lines = [f"Numerieke waarde van {num(q.min)} tot en met {num(q.max)}, "
                 f"in stappen van {num(q.step)}"]
        if q.left or q.right:
            lines.append(f"Links ({num(q.min)}): {q.left or '-'}; rechts ({num(q.max)}): "
                         f"{q.right or '-'}")
        return lines
    if q.type == "rating":
        return [f"Numerieke waarde: een heel getal van {num(q.min)} tot en met {num(q.max)}"]
    if q.type == "choice":
        return [f"'{value}'  {text}" for value, text in q.choice_values()]
    return [f"Alfanumerieke waarde, ten hoogste {q.max_length} tekens"]


class _Doc(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.doc_title = title
        self.family = "Helvetica"
        for folder in _FONT_DIRS:
            regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
            if regular.is_file() and bold.is_file():
                self.add_font("DejaVu", "", str(regular))
                self.add_font("DejaVu", "B", str(bold))
                self.family = "DejaVu"
                break
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)

    def t(self, text: str) -> str:
        if self.family == "DejaVu":
            return text
        return text.encode("cp1252", "replace").decode("cp1252")

    def style(self, size: float, bold: bool = False, colour: tuple[int, int, int] = INK) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)

    def para(self, text: str, size: float = 10, bold: bool = False,
             colour: tuple[int, int, int] = INK, indent: float = 0) -> None:
        self.style(size, bold, colour)
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, size * 0.5, self.t(text), new_x="LMARGIN",
                        new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-12)
        self.style(8, colour=MUTED)
        self.cell(0, 5, self.t(f"{self.doc_title} - pagina {self.page_no()}"), align="C")


def render_quickscan_doc(definition: Definition) -> bytes:
    """The explanation document as PDF bytes."""
    pdf = _Doc(definition.title)
    pdf.set_title(f"Toelichting vragen en antwoorden - {definition.title}")
    pdf.add_page()
    pdf.para("Toelichting vragen en antwoorden", 18, bold=True, colour=ACCENT)
    pdf.para(definition.title, 13, bold=True)
    soort = "Personal QuickScan" if definition.kind == "personal" else "Personal QuickScan Update"
    pdf.para(f"Sleutel: {definition.key} - {soort} - {len(definition.questions())} vragen",
             9, colour=MUTED)
    pdf.ln(2)
    pdf.para(" ".join(definition.introduction.split()), 10)
    pdf.ln(3)
    pdf.para("Vraagvormen en hun waarden", 12, bold=True, colour=ACCENT)
    for name, description in FORMS.values():
        pdf.para(f"{name}: {description}", 9)
    number = 0
    for section in definition.sections:
        pdf.ln(4)
        pdf.para(section.title, 13, bold=True, colour=ACCENT)
        if section.introduction:
            pdf.para(" ".join(section.introduction.split()), 9, colour=MUTED)
        for q in section.questions:
            number += 1
            pdf.ln(2)
            pdf.para(f"Vraag {number}. {q.text}", 10.5, bold=True)
            pdf.para(f"Vraagvorm: {FORMS[q.type][0]} (code {q.id})", 9,
                     colour=MUTED, indent=4)
            pdf.para("Waarde:", 9, bold=True, indent=4)
            for line in values_text(q):
                pdf.para(line, 9, indent=8)
            if q.explanation:
                pdf.para(f"Toelichting: {' '.join(q.explanation.split())}", 9, indent=4)
    return bytes(pdf.output())
