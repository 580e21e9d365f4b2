"""Turning what a browser submitted into a stored answer, or a Dutch message.

The rule itself is ``quickscans.validate_answer`` (shared with imports and tests); this
module adds what only a web form needs: "" means "no answer", browsers send CRLF line
ends (which would count twice against a text's maximum length), and the client must
read what went wrong in Dutch, phrased for the question type.
"""

from __future__ import annotations

from quickcrm.errors import InvalidInput
from quickcrm.quickscans.schema import Question

FormValue = str | None


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
    from quickcrm.quickscans.definitions import validate_answer

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


def display(question: Question, value: str | None) -> str:
    """The answer as the client reads it back (choice text, number, the text itself)."""
    if value is None or value == "":
        return ""
    if question.type == "choice":
        return dict(question.choice_values()).get(value, value)
    if question.type == "rating":
        return f"{value} van {_n(question.max)}"
    return value.replace(".", ",") if question.type == "slider" else value
