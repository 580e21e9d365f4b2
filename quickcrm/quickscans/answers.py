"""The answers of one respondent, saved as they are given, for both flows.

``Respondent`` names whose answers they are (an invitation or a landing visitor);
``write_answers`` is the one place that stores checked answers: an upsert per answer,
a delete for one the respondent cleared. ``validate_answer`` has checked the values
before they get here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from quickcrm.quickscans.models import Answer


@dataclass(frozen=True)
class Respondent:
    """An invited client's invitation or a landing visitor: exactly one is set, as the
    answer table's check says."""

    invitation_id: int | None = None
    landing_visitor_id: int | None = None

    def __post_init__(self) -> None:
        if (self.invitation_id is None) == (self.landing_visitor_id is None):
            raise ValueError("a respondent is one invitation or one landing visitor")

    @property
    def column(self) -> str:
        return "invitation_id" if self.invitation_id is not None else "landing_visitor_id"

    def is_me(self) -> Any:
        """The WHERE clause that picks this respondent's answers."""
        if self.invitation_id is not None:
            return col(Answer.invitation_id) == self.invitation_id
        return col(Answer.landing_visitor_id) == self.landing_visitor_id


def load_answers(session: Session, respondent: Respondent) -> dict[str, str]:
    """The respondent's answers as ``{question id: value}``."""
    rows = session.execute(select(col(Answer.question_id), col(Answer.value))
                           .where(respondent.is_me())).all()
    return {qid: value for qid, value in rows}


def save_answer(session: Session, respondent: Respondent, *, question_id: str, value: str,
                now: datetime) -> None:
    """Insert or replace one answer in the caller's transaction.

    An upsert (ON CONFLICT DO UPDATE, which SQLite and PostgreSQL both have) so that two
    tabs saving the same question at once cannot fail on the unique constraint.
    """
    values = {"invitation_id": respondent.invitation_id,
              "landing_visitor_id": respondent.landing_visitor_id,
              "question_id": question_id, "value": value, "answered_at": now}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(Answer).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[respondent.column, "question_id"],
        set_={"value": stmt.excluded.value, "answered_at": stmt.excluded.answered_at},
    )
    session.execute(stmt)


def delete_answer(session: Session, respondent: Respondent, *, question_id: str) -> None:
    """Forget an answer the respondent cleared (an emptied text counts as unanswered)."""
    session.execute(delete(Answer).where(respondent.is_me(),
                                         col(Answer.question_id) == question_id))


def write_answers(session: Session, respondent: Respondent, answers: dict[str, str],
                  changes: dict[str, str | None], *, now: datetime) -> None:
    """Store checked ``changes`` (None deletes) in the caller's transaction and apply
    them to ``answers``, the respondent's answers as the page holds them."""
    for qid, value in changes.items():
        if value is None:
            delete_answer(session, respondent, question_id=qid)
            answers.pop(qid, None)
        else:
            save_answer(session, respondent, question_id=qid, value=value, now=now)
            answers[qid] = value
