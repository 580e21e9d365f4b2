"""landing: landing pages for prospects, their visitors and answers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "landing_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", S(length=80), nullable=False),
        sa.Column("quickscan_id", sa.Integer(), nullable=False),
        sa.Column("title", S(length=300), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("rm_id", sa.Integer(), nullable=True),
        sa.Column("secret", S(length=64), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["quickscan_id"], ["quickscan.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["rm_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_index("ix_landing_page_quickscan_id", "landing_page", ["quickscan_id"])
    op.create_table(
        "landing_visitor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("token", S(length=64), nullable=False),
        sa.Column("secret", S(length=64), nullable=False),
        sa.Column("confirm_token", S(length=64), nullable=False),
        sa.Column("first_name", S(length=100), nullable=False),
        sa.Column("last_name", S(length=150), nullable=False),
        sa.Column("company", S(length=300), nullable=False),
        sa.Column("email", S(length=320), nullable=False),
        sa.Column("address_hash", S(length=64), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirm_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("relation_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("new_prospect", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["landing_page.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["relation_id"], ["relation.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
        sa.UniqueConstraint("confirm_token"),
    )
    op.create_index("ix_landing_visitor_page_id", "landing_visitor", ["page_id"])
    op.create_index("ix_landing_visitor_email", "landing_visitor", ["email"])
    op.create_index("ix_landing_visitor_address_hash", "landing_visitor", ["address_hash"])
    op.create_index("ix_landing_visitor_started_at", "landing_visitor", ["started_at"])
    op.create_table(
        "landing_answer",
        sa.Column("visitor_id", sa.Integer(), nullable=False),
        sa.Column("question_id", S(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["visitor_id"], ["landing_visitor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("visitor_id", "question_id"),
    )


def downgrade() -> None:
    op.drop_table("landing_answer")
    op.drop_table("landing_visitor")
    op.drop_table("landing_page")
