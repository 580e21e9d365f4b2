"""mail in production (issue 24): what the coordinator's digest reports besides bounces
(invitations failed after the retry lifetime, relationship managers' copies refused),
the client's one-click opt-out token, and the IMAP messages ingested by UIDVALIDITY/UID

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    for name in ("failed_at", "failed_reported_at", "copy_refused_at", "copy_reported_at"):
        op.add_column("invitation", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    for name in ("failed_reason", "copy_refused_reason"):
        op.add_column("invitation", sa.Column(name, S(length=500), nullable=False,
                                              server_default=""))
    # existing invitations get their token when their next reminder is queued
    op.add_column("invitation", sa.Column("optout_token", S(length=64), nullable=True))
    op.create_index("ux_invitation_optout_token", "invitation", ["optout_token"], unique=True)
    op.create_table(
        "imap_seen",
        sa.Column("mailbox", S(length=300), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("bounce", sa.Boolean(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", "uidvalidity", "uid"),
    )


def downgrade() -> None:
    op.drop_table("imap_seen")
    op.drop_index("ux_invitation_optout_token", table_name="invitation")
    with op.batch_alter_table("invitation") as batch:
        for name in ("optout_token", "copy_refused_reason", "failed_reason", "copy_reported_at",
                     "copy_refused_at", "failed_reported_at", "failed_at"):
            batch.drop_column(name)
