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
class ReportData:
    """Everything on a report; ``report_date`` is the local (Europe/Amsterdam) date."""

    firm_name: str
    client: ClientInfo
    report_date: date
    quickscan_title: str
    sections: tuple[ReportSection, ...]


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
        return replace(base, answer=dutch_number(value), value=bar,
                        scale=(low, high) if bar is not None else None)
    return replace(base, answer=stored or "")


def report_data_from(definition: Definition, answers: dict[str, str], *, client: ClientInfo,
                     firm_name: str, report_date: date) -> ReportData:
    """The report of one client's answers to ``definition``; questions are numbered
    1..n across sections, as the client saw them."""
    sections = []
    number = 0
    for section in definition.sections:
        questions = []
        for question in section.questions:
            number += 1
            questions.append(report_question(number, question, answers.get(question.id)))
        sections.append(ReportSection(title=section.title, questions=tuple(questions)))
    return ReportData(firm_name=firm_name, client=client, report_date=report_date,
                      quickscan_title=definition.title, sections=tuple(sections))
