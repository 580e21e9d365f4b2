"""freeze (issue 23): the relationship manager's function, phone and photo; when a
client's segments changed and which profile faces were computed; exclusions made after
finalizing

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
    # faces: a computation replaces a face only after the rule's inputs changed. Until
    # now every change of a client counted, so the last change of any kind is the best
    # known moment their segments changed (the rule as it was, for what came before).
    op.add_column("relation", sa.Column("segments_at", sa.DateTime(timezone=True),
                                        nullable=True))
    op.execute("UPDATE relation SET segments_at = updated_at")
    op.create_index("ix_relation_segments_at", "relation", ["segments_at"])
    op.drop_index("ix_relation_updated_at", table_name="relation")
    # which profile faces QuickCRM computed (they follow a change of the rules); the
    # faces written so far followed every rule change, so they count as computed
    op.add_column("face", sa.Column("profile_computed", sa.Boolean(), nullable=False,
                                    server_default=sa.false()))
    op.execute("UPDATE face SET profile_computed = TRUE WHERE profile_face IS NOT NULL")
    op.drop_index("ix_face_profile", table_name="face")
    op.create_index("ix_face_profile", "face",
                    ["quickscan_id", "profile_computed", "profile_at", "profile_face"])
    # exclude on a final, unsent campaign: the frozen row stays, marked excluded
    op.add_column("exclusion", sa.Column("after_finalize", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("exclusion") as batch:
        batch.drop_column("after_finalize")
    op.drop_index("ix_face_profile", table_name="face")
    op.create_index("ix_face_profile", "face", ["quickscan_id", "profile_at", "profile_face"])
    with op.batch_alter_table("face") as batch:
        batch.drop_column("profile_computed")
    op.create_index("ix_relation_updated_at", "relation", ["updated_at"])
    op.drop_index("ix_relation_segments_at", table_name="relation")
    with op.batch_alter_table("relation") as batch:
        batch.drop_column("segments_at")
    op.drop_table("user_photo")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("phone")
        batch.drop_column("function")
