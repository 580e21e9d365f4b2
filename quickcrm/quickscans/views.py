"""What the templates show of a scan: numbered questions with their value, display
text and error, per section. Plain values, so templates stay free of logic."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from quickcrm.clock import as_utc
from quickcrm.quickscans.schema import Question, Section
from quickcrm.quickscans.validation import display, slider_label

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")


def dutch_datetime(value: datetime | None, tz: str) -> str:
    if value is None:
        return ""
    local = as_utc(value).astimezone(ZoneInfo(tz))
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} om {local:%H:%M}"


@dataclass(frozen=True)
class Item:
    number: int
    q: Question
    value: str | None
    error: str | None = None

    @property
    def display(self) -> str:
        """The answer as the client reads it back; a slider's with its verbal label
        ("65 – Grotendeels voorbereid"); "" when not answered."""
        shown = display(self.q, self.value)
        verbal = self.verbal
        return f"{shown} – {verbal}" if shown and verbal else shown

    @property
    def verbal(self) -> str:
        return slider_label(self.q, self.value)

    @property
    def answered(self) -> bool:
        return self.value not in (None, "")

    @property
    def points(self) -> list[tuple[str, str]]:
        """A slider's values with their verbal labels, for the page's script."""
        q = self.q
        low, high, step = q.min or 0, q.max or 0, q.step or 1
        count = int(round((high - low) / step)) + 1
        values = [low + i * step for i in range(count)]
        out = []
        for v in values:
            text = str(int(v)) if float(v).is_integer() else str(v)
            out.append((text, slider_label(q, text)))
        return out

    @property
    def slider_value(self) -> str:
        """The stored value, else the middle of the range on a step (where the thumb
        waits, hidden, until the client sets it: an untouched slider is no answer)."""
        if self.value not in (None, ""):
            return str(self.value)
        low, high, step = self.q.min or 0, self.q.max or 0, self.q.step or 1
        middle = low + math.floor((high - low) / 2 / step + 0.5) * step  # half rounds up
        return str(int(middle)) if float(middle).is_integer() else str(middle)

    @property
    def scale(self) -> list[int]:
        return list(range(int(self.q.min or 0), int(self.q.max or 0) + 1))


@dataclass(frozen=True)
class SectionView:
    index: int  # 1-based step number
    section: Section
    items: list[Item]

    @property
    def open_count(self) -> int:
        return sum(1 for i in self.items if i.value in (None, ""))


def sections(definition_sections: tuple[Section, ...], answers: dict[str, str],
             *, submitted: dict[str, str | None] | None = None,
             errors: dict[str, str] | None = None) -> list[SectionView]:
    """Every section with its numbered items; a refused submitted value is shown again
    with its error so the client can correct it."""
    submitted, errors = submitted or {}, errors or {}
    out, number = [], 0
    for index, section in enumerate(definition_sections, start=1):
        items = []
        for q in section.questions:
            number += 1
            value = submitted[q.id] if q.id in errors and q.id in submitted else answers.get(q.id)
            items.append(Item(number, q, value, errors.get(q.id)))
        out.append(SectionView(index, section, items))
    return out


def resume_step(views: list[SectionView]) -> int | None:
    """The first section with an open question (None: all answered -> overview)."""
    return next((v.index for v in views if v.open_count), None)
