"""landing image (issue 25): each landing page's own Open Graph image, drawn when the
page is created (title, firm, logo), apart from the page so reading a page never loads it

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "landing_image",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("content_type", S(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["page_id"], ["landing_page.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("page_id"),
    )


def downgrade() -> None:
    op.drop_table("landing_image")
