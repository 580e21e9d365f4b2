"""mail: the outbox (one row per message, rendered at queue time)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        _str("kind", 40),
        _str("ref", 120),
        _str("message_id", 255),
        _str("sender", 320),
        _str("recipient", 320),
        _str("subject", 500),
        _str("status", 12),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("created_at", nullable=False),
        _at("queued_at", nullable=False),
        _at("next_attempt_at", nullable=False),
        _str("claimed_by", 120, nullable=True),
        _at("claimed_at"),
        _str("last_error", 1000),
        _at("sent_at"),
        _at("bounced_at"),
        _str("bounce_reason", 500),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_table(
        "outbox_body",
        _str("message_id", 255),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["outbox_message.message_id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id"),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_outbox_kind_ref", ["kind", "ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_recipient"), ["recipient"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("outbox_body")
    op.drop_table("outbox_message")
