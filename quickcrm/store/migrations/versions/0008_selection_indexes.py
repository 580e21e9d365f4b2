"""selection indexes: covering indexes for step 1's joins, pre-check of stale faces

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_face_selection", "face",
                    ["relation_id", "quickscan_id", "received_at", "profile_face",
                     "update_face", "rm_face"])
    op.create_index("ix_face_profile", "face", ["quickscan_id", "profile_at", "profile_face"])
    op.create_index("ix_person_selection", "person",
                    ["relation_id", "campaign_contact", "opted_out", "email"])
    op.create_index("ix_relation_updated_at", "relation", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_relation_updated_at", table_name="relation")
    op.drop_index("ix_person_selection", table_name="person")
    op.drop_index("ix_face_profile", table_name="face")
    op.drop_index("ix_face_selection", table_name="face")
