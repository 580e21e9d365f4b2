"""What a client's QuickScan report shows, as plain values, and how to build it.

The PDF (``report_pdf``) and the PowerPoint (``report_pptx``) both render a ``ReportData``
and know nothing of the store or of QuickScan definitions, so they can be tested and
benchmarked on hand-made input. ``report_data_from`` is the one adapter from a definition
plus the stored answers ({question id: 'ke2' | '72' | open text}) to that input; it never
fails on an answer the definition no longer fits (a definition reloaded after the client
answered): such an answer is shown as stored, without a bar.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from quickcrm.quickscans.schema import Definition, Question

NOT_ANSWERED = "Niet beantwoord"
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")


@dataclass(frozen=True)
class ReportQuestion:
    """One numbered question with the client's answer, ready to draw.

    ``answer`` is what the client sees as the answer: the number (Dutch decimal comma),
    the chosen option's text, or the open text; "" when unanswered. ``value`` and
    ``scale`` (min, max) are set for sliders and ratings with a usable number, and are
    what the bar is drawn from; ``left``/``right`` are a slider's end labels.
    """

    number: int
    text: str
    kind: str  # slider | choice | text | rating (as in schema)
    answer: str = ""
    value: float | None = None
    scale: tuple[float, float] | None = None
    left: str = ""
    right: str = ""
    label: str = ""  # a slider's verbal label at the answer ("Halverwege"), as the page says

    @property
    def shown(self) -> str:
        """The answer with a slider's verbal label: ``50 · Halverwege``."""
        return f"{self.answer} · {self.label}" if self.label and self.answer else self.answer


@dataclass(frozen=True)
class ReportSection:
    title: str
    questions: tuple[ReportQuestion, ...]


@dataclass(frozen=True)
class ClientInfo:
    first_name: str
    last_name: str
    company: str
    relation_number: str

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class Contact:
    """Who the client talks to next: the relationship manager (or the firm)."""

    name: str
    function: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Brand:
    """The firm as the documents show it (issue 25 item 4): ``logo`` is a PNG or JPEG's
    bytes (None: the name in text), colours are ``#rrggbb``, ``pptx_template`` a .pptx
    path whose master the PowerPoint uses ('' : the shipped one)."""

    name: str
    logo: bytes | None = None
    primary: str = "#1f4e79"
    accent: str = "#b34700"
    phone: str = ""
    email: str = ""
    website: str = ""
    address: str = ""
    pptx_template: str = ""

    def contact_lines(self) -> list[str]:
        """The firm's own contact details, each known one a line."""
        lines = [self.address, f"Telefoon {self.phone}" if self.phone else "",
                 self.email, self.website]
        return [line for line in lines if line]


@dataclass(frozen=True)
class AttentionPoint:
    title: str
    text: str


DEFAULT_NEXT_STEP = ("Uw relatiemanager neemt binnenkort contact met u op om de uitkomsten "
                     "van deze QuickScan met u te bespreken. Wilt u niet wachten? Neem dan "
                     "gerust zelf contact op.")


@dataclass(frozen=True)
class ReportData:
    """Everything on a report; ``report_date`` is the local (Europe/Amsterdam) date.
    ``brand`` None: the firm's name only, in the default colours; ``contact`` None: the
    firm is the contact."""

    firm_name: str
    client: ClientInfo
    report_date: date
    quickscan_title: str
    sections: tuple[ReportSection, ...]
    attention: tuple[AttentionPoint, ...] = ()
    next_step: str = DEFAULT_NEXT_STEP
    contact: Contact | None = None
    brand: Brand | None = None
    has_rules: bool = True  # False: the definition has no attention rules (loaded before)

    @property
    def firm(self) -> Brand:
        return self.brand if self.brand is not None else Brand(name=self.firm_name)

    def questions(self) -> list[ReportQuestion]:
        return [q for s in self.sections for q in s.questions]


def dutch_date(day: date) -> str:
    """``23 november 2026``, without depending on the machine's locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def local_date(at: datetime, timezone: str = "Europe/Amsterdam") -> date:
    """The report date from a stored UTC time (naive counts as UTC, as SQLite may hand
    it back): 23:30 UTC on 31 December is already 1 January in the Netherlands."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(ZoneInfo(timezone)).date()


def dutch_number(value: float) -> str:
    """``72``, ``2,5``, ``-40``: as the client typed it on a Dutch page."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.10g}".replace(".", ",")


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """Text as it should be drawn: NFC (so 'e'+accent is one glyph), line breaks as
    ``\\n``, tabs as spaces, other control characters, lone surrogates and non-characters
    dropped (they are not valid in the PowerPoint's XML and draw as boxes in a PDF).
    Nothing else is changed."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text.replace("\t", " ").replace("\x0b", "\n"))


def _numeric(raw: str) -> float | None:
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def report_question(number: int, question: Question, stored: str | None) -> ReportQuestion:
    """One definition question plus its stored answer (None: not answered)."""
    base = ReportQuestion(number=number, text=question.text, kind=question.type,
                          left=question.left, right=question.right)
    raw = (stored or "").strip()
    if not raw:
        return base
    if question.type == "choice":
        options = dict(question.choice_values())
        return replace(base, answer=options.get(raw.lower(), raw))
    if question.type in ("slider", "rating"):
        value = _numeric(raw)
        if value is None or question.min is None or question.max is None:
            return replace(base, answer=raw)
        low, high = float(question.min), float(question.max)
        bar = value if low <= value <= high else None
        from quickcrm.quickscans.validation import slider_label

        label = slider_label(question, value) if bar is not None else ""
        return replace(base, answer=dutch_number(value), value=bar,
                       scale=(low, high) if bar is not None else None, label=label)
    return replace(base, answer=stored or "")


def report_data_from(definition: Definition, answers: dict[str, str], *, client: ClientInfo,
                     firm_name: str, report_date: date, brand: Brand | None = None,
                     contact: Contact | None = None) -> ReportData:
    """The report of one client's answers to ``definition``; questions are numbered
    1..n across sections, as the client saw them; the attention points are the
    definition's rules that the answers meet."""
    from quickcrm.quickscans.schema import attention_points

    sections = []
    number = 0
    for section in definition.sections:
        questions = []
        for question in section.questions:
            number += 1
            questions.append(report_question(number, question, answers.get(question.id)))
        sections.append(ReportSection(title=section.title, questions=tuple(questions)))
    points = tuple(AttentionPoint(title=r.title, text=r.text)
                   for r in attention_points(definition, answers))
    return ReportData(firm_name=firm_name, client=client, report_date=report_date,
                      quickscan_title=definition.title, sections=tuple(sections),
                      attention=points, next_step=definition.next_step or DEFAULT_NEXT_STEP,
                      contact=contact, brand=brand, has_rules=bool(definition.attention))


def bar_share(q: ReportQuestion) -> tuple[float, float] | None:
    """(start, end) of a question's bar as shares 0..1 of its track, None without a
    bar (unanswered: no bar, never one at zero). A slider fills from its minimum (from 0
    on a -100..100 slider); a rating fills as many of its steps as the mark, so the
    lowest mark shows a bar too (a 1 of 1..5 fills a fifth)."""
    if q.value is None or q.scale is None:
        return None
    low, high = q.scale
    if q.kind == "rating":
        steps = high - low + 1
        return 0.0, min(max((q.value - low + 1) / steps, 0.0), 1.0) if steps > 0 else 1.0

    def at(value: float) -> float:
        return min(max((value - low) / (high - low), 0.0), 1.0) if high > low else 1.0

    anchor = 0.0 if low < 0 < high else low
    start, end = sorted((at(anchor), at(q.value)))
    return start, end


def hex_rgb(color: str, default: tuple[int, int, int] = (31, 78, 121)) -> tuple[int, int, int]:
    """``#1f4e79`` as (31, 78, 121); ``default`` for anything else."""
    text = color.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        return default
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """The WCAG contrast ratio of two colours (1..21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(rgb: tuple[int, int, int], on: tuple[int, int, int] = (255, 255, 255),
             ratio: float = 4.5) -> tuple[int, int, int]:
    """``rgb`` darkened just enough to reach ``ratio`` against ``on`` (a pale firm
    colour would make headings unreadable): text 4.5:1, bars and borders 3:1."""
    colour = rgb
    for _ in range(40):
        if contrast(colour, on) >= ratio:
            return colour
        colour = tuple(int(c * 0.9) for c in colour)  # type: ignore[assignment]
    return colour
