"""relations that are not clients: a partial index, so the selection's step-1 totals can
subtract the few non-clients instead of reading every relation's stage

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


def downgrade() -> None:
    op.drop_index("ix_relation_not_client", table_name="relation")
