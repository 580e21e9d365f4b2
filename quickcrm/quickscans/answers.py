"""A client's answers to the QuickScan of one invitation, saved as they are given.

One row per (invitation, question), so a client can stop on one device and continue on
another: the page is rebuilt from these rows. Values are stored as the text the seed's
Excel shows (a slider's number, 'ke1' for the first choice, the open text itself);
``validate_answer`` has checked them before they get here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session, col

from quickcrm.quickscans.models import Answer


def load_answers(session: Session, invitation_id: int) -> dict[str, str]:
    """The invitation's answers as ``{question id: value}``."""
    rows = session.execute(
        select(col(Answer.question_id), col(Answer.value)).where(
            Answer.invitation_id == invitation_id  # type: ignore[arg-type]
        )
    ).all()
    return {qid: value for qid, value in rows}


def save_answer(session: Session, *, invitation_id: int, question_id: str, value: str,
                now: datetime) -> None:
    """Insert or replace one answer in the caller's transaction.

    An upsert (ON CONFLICT DO UPDATE, which SQLite and PostgreSQL both have) so that two
    tabs saving the same question at once cannot fail on the primary key.
    """
    values = {"invitation_id": invitation_id, "question_id": question_id, "value": value,
              "answered_at": now}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(Answer).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["invitation_id", "question_id"],
        set_={"value": stmt.excluded.value, "answered_at": stmt.excluded.answered_at},
    )
    session.execute(stmt)


def delete_answer(session: Session, *, invitation_id: int, question_id: str) -> None:
    """Forget an answer the client cleared (an emptied text counts as unanswered)."""
    session.execute(
        delete(Answer).where(
            Answer.invitation_id == invitation_id,  # type: ignore[arg-type]
            Answer.question_id == question_id,  # type: ignore[arg-type]
        )
    )
