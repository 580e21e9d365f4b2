"""attention (issue 28): an event's channel and amount and the covering index the
monitor counts from; relation coordinates; relation groups and stored results

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("event", sa.Column("channel", S(length=20), nullable=True))
    op.add_column("event", sa.Column("amount", sa.Float(), nullable=True))
    op.create_index("ix_event_attention", "event", ["at", "kind", "relation_id", "user_id"])
    op.drop_index("ix_event_at", table_name="event")  # the covering index leads with at
    op.add_column("relation", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("relation", sa.Column("longitude", sa.Float(), nullable=True))
    op.create_table(
        "relation_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", S(length=120), nullable=False),
        sa.Column("nightly", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "relation_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("relation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["relation_group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["relation_id"], ["relation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "relation_id"),
    )
    op.create_index("ix_relation_group_member_relation_id", "relation_group_member",
                    ["relation_id"])
    op.create_table(
        "attention_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["relation_group.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attention_result_owner", "attention_result", ["user_id", "group_id"])


def downgrade() -> None:
    op.drop_index("ix_attention_result_owner", table_name="attention_result")
    op.drop_table("attention_result")
    op.drop_index("ix_relation_group_member_relation_id", table_name="relation_group_member")
    op.drop_table("relation_group_member")
    op.drop_table("relation_group")
    with op.batch_alter_table("relation") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
    op.create_index("ix_event_at", "event", ["at"])
    op.drop_index("ix_event_attention", table_name="event")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("amount")
        batch.drop_column("channel")
