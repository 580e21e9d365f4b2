"""one answer table: invited clients' and landing visitors' answers in ``answer``

``answer`` gets its own id, a nullable ``invitation_id`` beside a new nullable
``landing_visitor_id`` (a check says exactly one is set) and one unique constraint per
kind of respondent; the rows of ``landing_answer`` move into it and that table goes.

SQLite cannot change a primary key in place, so the table is rebuilt as Alembic's batch
mode rebuilds one, written out so that the copy also takes in the landing rows: the old
table is set aside under another name, the new one created under the real name, the
rows copied with INSERT ... SELECT, the old tables dropped. The same steps run on
PostgreSQL, where the set-aside table's primary-key index is renamed too, so that the
new table's can be ``answer_pkey``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
ONE_RESPONDENT = "(invitation_id IS NULL) <> (landing_visitor_id IS NULL)"


def _set_aside(table: str, to: str) -> None:
    op.rename_table(table, to)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'ALTER INDEX "{table}_pkey" RENAME TO "{to}_pkey"')


def upgrade() -> None:
    _set_aside("answer", "answer_0008")
    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("landing_visitor_id", sa.Integer(), nullable=True),
        sa.Column("question_id", S(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["landing_visitor_id"], ["landing_visitor.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id", "question_id", name="uq_answer_invitation"),
        sa.UniqueConstraint("landing_visitor_id", "question_id",
                            name="uq_answer_landing_visitor"),
        sa.CheckConstraint(ONE_RESPONDENT, name="ck_answer_one_respondent"),
    )
    op.execute("INSERT INTO answer (invitation_id, question_id, value, answered_at) "
               "SELECT invitation_id, question_id, value, answered_at FROM answer_0008 "
               "ORDER BY invitation_id, question_id")
    op.execute("INSERT INTO answer (landing_visitor_id, question_id, value, answered_at) "
               "SELECT visitor_id, question_id, value, answered_at FROM landing_answer "
               "ORDER BY visitor_id, question_id")
    op.drop_table("answer_0008")
    op.drop_table("landing_answer")


def downgrade() -> None:
    _set_aside("answer", "answer_0009")
    op.create_table(
        "answer",
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("question_id", S(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("invitation_id", "question_id"),
    )
    op.create_table(
        "landing_answer",
        sa.Column("visitor_id", sa.Integer(), nullable=False),
        sa.Column("question_id", S(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["visitor_id"], ["landing_visitor.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("visitor_id", "question_id"),
    )
    op.execute("INSERT INTO answer (invitation_id, question_id, value, answered_at) "
               "SELECT invitation_id, question_id, value, answered_at FROM answer_0009 "
               "WHERE invitation_id IS NOT NULL")
    op.execute("INSERT INTO landing_answer (visitor_id, question_id, value, answered_at) "
               "SELECT landing_visitor_id, question_id, value, answered_at FROM answer_0009 "
               "WHERE landing_visitor_id IS NOT NULL")
    op.drop_table("answer_0009")
