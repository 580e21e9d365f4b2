"""selection partial indexes: the relations that are not clients, so step 1's totals
subtract the few of them instead of reading every relation's stage; the profile faces
nobody set, so compute_profile_faces' pre-check seeks them instead of counting faces

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_relation_not_client", "relation", ["stage", "id"],
                    sqlite_where=sa.text("stage <> 'customer'"),
                    postgresql_where=sa.text("stage <> 'customer'"))
    op.create_index("ix_face_profile_unset", "face", ["quickscan_id"],
                    sqlite_where=sa.text("profile_face IS NULL"),
                    postgresql_where=sa.text("profile_face IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_face_profile_unset", table_name="face")
    op.drop_index("ix_relation_not_client", table_name="relation")
