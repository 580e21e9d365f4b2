"""invitations: the per-client record of a sent campaign

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("campaign_client_id", sa.Integer(), nullable=False),
        sa.Column("relation_id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("preview_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("first_contact", sa.Boolean(), nullable=False),
        _at("invited_at"),
        _at("delivered_at"),
        _at("bounced_at"),
        sa.Column("bounce_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        _at("bounce_reported_at"),
        _at("logged_in_at"),
        _at("not_interested_at"),
        _at("finished_at"),
        _at("report_sent_at"),
        _at("first_reminder_at"),
        sa.Column("first_reminder_skipped", sa.Boolean(), nullable=False),
        _at("second_reminder_at"),
        _at("no_response_at"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["campaign_client_id"], ["campaign_client.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["relation_id"], ["relation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_client_id"),
        sa.UniqueConstraint("token"),
        sa.UniqueConstraint("preview_token"),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index("ix_invitation_campaign_open", ["campaign_id", "finished_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_delivered_at"), ["delivered_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_relation_id"), ["relation_id"], unique=False)


def downgrade() -> None:
    op.drop_table("invitation")
