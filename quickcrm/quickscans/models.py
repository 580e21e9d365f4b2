"""Tables of the respondent core: the loaded QuickScan definitions and the answers
given to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from quickcrm.store.models import utc_column

ONE_RESPONDENT = "(invitation_id IS NULL) <> (landing_visitor_id IS NULL)"


class QuickScan(SQLModel, table=True):
    """A loaded QuickScan definition; ``definition`` is the validated file as JSON."""

    __tablename__ = "quickscan"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=20)  # personal | update
    definition: str = Field(sa_type=Text)
    source: str = Field(default="", max_length=500)
    loaded_at: datetime | None = Field(default=None, sa_column=utc_column())


class Answer(SQLModel, table=True):
    """One answer of one respondent: an invited client (``invitation_id``) or a landing
    visitor (``landing_visitor_id``), exactly one of the two. One row per respondent and
    question, so a respondent can stop on one device and continue on another. Values
    are the text the seed's Excel shows (a slider's number, 'ke1' for the first choice,
    the open text itself)."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("invitation_id", "question_id", name="uq_answer_invitation"),
        UniqueConstraint("landing_visitor_id", "question_id", name="uq_answer_landing_visitor"),
        CheckConstraint(ONE_RESPONDENT, name="ck_answer_one_respondent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id",
                                      ondelete="CASCADE")
    landing_visitor_id: int | None = Field(default=None, foreign_key="landing_visitor.id",
                                           ondelete="CASCADE")
    question_id: str = Field(max_length=40)
    value: str = Field(default="", sa_type=Text)
    answered_at: datetime | None = Field(default=None, sa_column=utc_column())
