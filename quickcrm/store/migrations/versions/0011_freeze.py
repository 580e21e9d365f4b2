"""freeze (issue 23): the relationship manager's function, phone and photo

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # user edit: what an invitation's signature shows under the relationship manager's name
    op.add_column("app_user", sa.Column("function", S(length=100), nullable=False,
                                        server_default=""))
    op.add_column("app_user", sa.Column("phone", S(length=40), nullable=False,
                                        server_default=""))
    op.create_table(
        "user_photo",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("content_type", S(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("user_photo")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("phone")
        batch.drop_column("function")
