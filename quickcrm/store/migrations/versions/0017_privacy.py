"""privacy (issue 29): users bound to operating-system accounts; the installation's
secrets (the key of the landing visitors' address HMAC)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("app_user", sa.Column("os_user", S(length=64), nullable=True))
    op.create_index("ux_app_user_os_user", "app_user", ["os_user"], unique=True)
    table = op.create_table(
        "installation_secret",
        sa.Column("name", S(length=40), nullable=False),
        sa.Column("value", S(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(table, [{"name": "visitor_address", "value": secrets.token_hex(32)}])
    # the bare SHA-256 of an IP address is reversed by hashing the 4 billion IPv4
    # addresses; the old values only served the last hour's abuse limit, so they go
    op.execute("UPDATE landing_visitor SET address_hash = ''")


def downgrade() -> None:
    op.drop_table("installation_secret")
    op.drop_index("ux_app_user_os_user", table_name="app_user")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("os_user")
