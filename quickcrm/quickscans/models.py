"""Tables of the respondent core: the loaded QuickScan definitions and the answers
given to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from quickcrm.store.models import utc_column


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
    __tablename__ = "answer"

    invitation_id: int = Field(foreign_key="invitation.id", primary_key=True, ondelete="CASCADE")
    question_id: str = Field(max_length=40, primary_key=True)
    value: str = Field(default="", sa_type=Text)
    answered_at: datetime | None = Field(default=None, sa_column=utc_column())
