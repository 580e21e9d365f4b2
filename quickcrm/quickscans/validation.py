"""Checking an answer against its question, and turning what a browser submitted into
a stored answer or a Dutch message.

The rule itself is ``validate_answer`` (shared with imports and tests); ``check_answer``
adds what only a web form needs: "" means "no answer", browsers send CRLF line ends
(which would count twice against a text's maximum length), and the client must read
what went wrong in Dutch, phrased for the question type.
"""

from __future__ import annotations

import math

from quickcrm.errors import InvalidInput
from quickcrm.quickscans.schema import Question

FormValue = str | None


def _number(raw: object) -> float:
    if isinstance(raw, bool):
        raise ValueError(raw)
    value = float(raw.strip().replace(",", ".")) if isinstance(raw, str) else float(raw)  # type: ignore[arg-type]
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def validate_answer(question: Question, raw: object) -> int | float | str:
    """The stored value of an answer, or InvalidInput saying what the question accepts.

    slider: a number in its range on its step; choice: 'ke1'..'keN'; text: at most
    max_length characters; rating: a whole number from min to max.
    """
    where = f"question {question.id!r}"
    if question.type == "text":
        text = str(raw if raw is not None else "").strip()
        if len(text) > (question.max_length or 0):
            raise InvalidInput(f"{where}: at most {question.max_length} characters")
        return text
    if question.type == "choice":
        value = str(raw or "").strip().lower()
        allowed = [v for v, _ in question.choice_values()]
        if value not in allowed:
            raise InvalidInput(f"{where}: expected one of {', '.join(allowed)}, not {raw!r}")
        return value
    low, high = question.min or 0, question.max or 0
    try:
        value_f = _number(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{where}: expected a number from {low:g} to {high:g}, not {raw!r}") from None
    if not low <= value_f <= high:
        raise InvalidInput(f"{where}: {value_f:g} is outside {low:g}..{high:g}")
    step = question.step if question.type == "slider" else 1
    offset = (value_f - low) / (step or 1)
    if abs(offset - round(offset)) > 1e-9:
        what = "a whole number" if question.type == "rating" else f"on a step of {step:g}"
        raise InvalidInput(f"{where}: {value_f:g} is not {what}")
    return int(value_f) if value_f.is_integer() else value_f


def _n(value: float | None) -> str:
    value = value or 0
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def message(question: Question) -> str:
    """What the question accepts, in the client's words."""
    if question.type == "slider":
        return (f"Kies een waarde van {_n(question.min)} tot {_n(question.max)} "
                f"in stappen van {_n(question.step)}.")
    if question.type == "rating":
        return f"Kies een cijfer van {_n(question.min)} tot {_n(question.max)}."
    if question.type == "choice":
        return "Kies een van de antwoorden."
    return f"Uw antwoord mag hoogstens {question.max_length} tekens lang zijn."


def check_answer(question: Question, raw: FormValue) -> tuple[str | None, str | None]:
    """(stored value or None for "no answer", None) or (None, Dutch message)."""
    if raw is None:
        return None, None
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, None
    try:
        value = validate_answer(question, text)
    except InvalidInput:
        return None, message(question)
    return (str(value) if value != "" else None), None


def slider_label(question: Question, value: str | float | None) -> str:
    """The verbal label of a slider value: with labels between ``left`` and ``right``,
    the label nearest the value (all evenly spread over the range); without them,
    ``left`` at the minimum and ``right`` at the maximum only. "" when there is none."""
    if question.type != "slider" or value in (None, ""):
        return ""
    try:
        v = _number(value)
    except (TypeError, ValueError):
        return ""
    low, high = question.min or 0, question.max or 0
    if high <= low:
        return ""
    if not question.labels:
        return question.left if v <= low else question.right if v >= high else ""
    points = [question.left, *question.labels, question.right]
    index = math.floor((v - low) / (high - low) * (len(points) - 1) + 0.5)
    return points[max(0, min(len(points) - 1, index))]


def display(question: Question, value: str | None) -> str:
    """The answer as the client reads it back (choice text, number, the text itself)."""
    if value is None or value == "":
        return ""
    if question.type == "choice":
        return dict(question.choice_values()).get(value, value)
    if question.type == "rating":
        return f"{value} van {_n(question.max)}"
    return value.replace(".", ",") if question.type == "slider" else value
