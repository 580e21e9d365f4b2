"""The attention area's tables: relation groups (B-Groep) and stored results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from quickcrm.store.models import utc_column


class RelationGroup(SQLModel, table=True):
    """A named, fixed set of relations to follow (seed 003's B-Groep); ``nightly``: the
    daemon recomputes its monitor once per local day."""

    __tablename__ = "relation_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    nightly: bool = False
    created_by: int | None = Field(default=None, foreign_key="app_user.id",
                                   ondelete="SET NULL")
    created_at: datetime | None = Field(default=None, sa_column=utc_column())


class RelationGroupMember(SQLModel, table=True):
    __tablename__ = "relation_group_member"

    group_id: int = Field(foreign_key="relation_group.id", primary_key=True,
                          ondelete="CASCADE")
    relation_id: int = Field(foreign_key="relation.id", primary_key=True, index=True,
                             ondelete="CASCADE")


class AttentionResult(SQLModel, table=True):
    """The last computation of one user (``user_id``) or of one nightly group
    (``group_id``, no user): its parameters and its result as JSON, amounts included
    when it was computed with them (``show`` drops them for a reader without
    ``see revenue``)."""

    __tablename__ = "attention_result"
    __table_args__ = (
        Index("ix_attention_result_owner", "user_id", "group_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="CASCADE")
    group_id: int | None = Field(default=None, foreign_key="relation_group.id",
                                 ondelete="CASCADE")
    computed_at: datetime = Field(sa_column=utc_column(nullable=False))
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    result: str = Field(default="{}", sa_column=Column(Text, nullable=False))
