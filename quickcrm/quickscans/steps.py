"""The steps of filling in a QuickScan that the invited client and the landing visitor
share, as plain functions over a ``Filling`` (``web.respond.Scan``,
``landing.visitors.Visit``): find the respondent by token, check submitted answers, and
save them in one short write transaction. Each flow keeps what differs: which rows a
token opens, when a QuickScan stops taking answers, what else a save records.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from quickcrm.quickscans.guards import same_token, well_formed
from quickcrm.quickscans.schema import Definition
from quickcrm.quickscans.validation import FormValue, check_answer

UNKNOWN_QUESTION = "Onbekende vraag."


class Filling(Protocol):
    """A respondent's QuickScan as their pages hold it."""

    @property
    def definition(self) -> Definition: ...

    @property
    def answers(self) -> dict[str, str]: ...

    def takes_answers(self) -> bool:
        """False once the QuickScan was finished (or declined, or its page closed)."""

    def must_write(self) -> bool:
        """True when a save writes even without a changed answer (the invited client's
        first login)."""

    def store(self, session: Session, changes: dict[str, str | None], *,
              now: datetime) -> bool:
        """Write checked answers and commit; False, writing nothing, when the QuickScan
        stopped taking answers meanwhile (re-read under a lock)."""


def find_by_token(session: Session, stmt: Any, column: Any, token: str, *,
                  lock: bool = False, of: Any = None) -> tuple[Any, ...] | None:
    """The row of ``stmt`` whose ``column`` holds ``token``; None for a malformed or
    unknown token, so every miss looks the same. The stored token is compared again in
    constant time; ``lock`` takes the row FOR UPDATE (``of`` that table)."""
    if not well_formed(token):
        return None
    stmt = stmt.add_columns(column).where(column == token)
    if lock:
        stmt = stmt.with_for_update(of=of)
    row = session.execute(stmt).first()
    if row is None or not same_token(row[-1], token):
        return None
    return tuple(row[:-1])


def check_answers(filling: Filling, given: Mapping[str, FormValue]
                  ) -> tuple[dict[str, str | None], dict[str, str]]:
    """Validate submitted answers (question id -> value, None or "" for "no answer")
    without touching the store: (changes to store, Dutch messages for refused ones).
    An answer equal to the stored one is no change."""
    changes: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for qid, raw in given.items():
        question = filling.definition.question(qid)
        if question is None:
            errors[qid] = UNKNOWN_QUESTION
            continue
        value, error = check_answer(question, raw)
        if error:
            errors[qid] = error
        elif filling.answers.get(qid) != value:
            changes[qid] = value
    return changes, errors


def step_answers(definition: Definition, n: int, form: Mapping[str, Any]
                 ) -> dict[str, FormValue]:
    """The answers a posted section form (step ``n``) holds, by question id."""
    if not 1 <= n <= len(definition.sections):
        return {}
    return {q.id: str(form[f"a-{q.id}"]) for q in definition.sections[n - 1].questions
            if isinstance(form.get(f"a-{q.id}"), str)}


def step_after(go: Any, n: int, count: int) -> str:
    """Where a posted step n of count goes next, by its button (the form's "ga"):
    vorige, volgende (after the last step: the overview), or opslaan (stay)."""
    if go == "vorige":
        return f"/stap/{max(1, n - 1)}"
    if go == "volgende":
        return "/overzicht" if n >= count else f"/stap/{n + 1}"
    return f"/stap/{n}"


def save_answers(web: Any, filling: Filling, given: Mapping[str, FormValue]
                 ) -> dict[str, str] | None:
    """Check answers, then store the valid ones in a short write transaction: Dutch
    messages for refused answers, or None when the QuickScan no longer takes answers.
    The page was found and the answers checked before the transaction, so the one
    writer SQLite allows at a time is held for as short as possible. Blocking: call it
    in the web app's thread pool."""
    if not filling.takes_answers():
        return None
    changes, errors = check_answers(filling, given)
    if changes or filling.must_write():
        with web.writing(), web.runtime.session() as session:
            if not filling.store(session, changes, now=web.runtime.clock.now()):
                return None
    return errors
