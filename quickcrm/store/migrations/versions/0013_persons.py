"""persons (issue 26, seed 001): the person CRM's personal data and search keys on
``person``, and its tables (properties, indicators, notes, signals, person pairs and
links, risk classifications, identifications, stored files, card e-mails, saved
queries, dossiers); a campaign's snapshot of a deleted person keeps without it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
KEY = sa.String(length=120).with_variant(postgresql.VARCHAR(length=120, collation="C"),
                                         "postgresql")
FK = "fk_campaign_client_person_id_person"


def upgrade() -> None:
    op.create_table('indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', S(length=100), nullable=False),
    sa.Column('show_in_dossier', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('property_def',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', S(length=100), nullable=False),
    sa.Column('type', S(length=10), nullable=False),
    sa.Column('choices', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('dossier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', S(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_dossier_created_at'), 'dossier', ['created_at'], unique=False)
    op.create_table('saved_query',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', S(length=100), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('include_old', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'name', name='uq_saved_query')
    )
    op.create_table('dossier_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('type', S(length=60), nullable=False),
    sa.Column('status', S(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_dossier_product_dossier_id'), 'dossier_product', ['dossier_id'], unique=False)
    op.create_index('ix_dossier_product_type', 'dossier_product', ['type', 'dossier_id'], unique=False)
    op.create_table('dossier_applicant',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dossier_id', 'person_id')
    )
    op.create_index(op.f('ix_dossier_applicant_person_id'), 'dossier_applicant', ['person_id'], unique=False)
    op.create_table('identification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('method', S(length=60), nullable=False),
    sa.Column('document', S(length=60), nullable=False),
    sa.Column('number', S(length=60), nullable=False),
    sa.Column('expires', sa.Date(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['app_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_identification_person_id'), 'identification', ['person_id'], unique=False)
    op.create_table('note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('title', S(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('priority', sa.Boolean(), nullable=False),
    sa.Column('show_in_dossier', sa.Boolean(), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_note_person_id'), 'note', ['person_id'], unique=False)
    op.create_table('person_email',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('direction', S(length=3), nullable=False),
    sa.Column('message_id', S(length=300), nullable=False),
    sa.Column('subject', S(length=500), nullable=False),
    sa.Column('sender', S(length=320), nullable=False),
    sa.Column('recipient', S(length=320), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'message_id', name='uq_person_email')
    )
    op.create_index(op.f('ix_person_email_person_id'), 'person_email', ['person_id'], unique=False)
    op.create_table('person_indicator',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'indicator_id')
    )
    op.create_index('ix_person_indicator_indicator', 'person_indicator', ['indicator_id', 'person_id'], unique=False)
    op.create_table('person_key',
    sa.Column('key', KEY, nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', 'person_id'),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_person_key_person_id'), 'person_key', ['person_id'], unique=False)
    op.create_table('person_link',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('relation_id', sa.Integer(), nullable=False),
    sa.Column('role', S(length=60), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['relation_id'], ['relation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'relation_id')
    )
    op.create_index(op.f('ix_person_link_relation_id'), 'person_link', ['relation_id'], unique=False)
    op.create_table('person_pair',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('type', S(length=60), nullable=False),
    sa.ForeignKeyConstraint(['other_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'other_id')
    )
    op.create_index(op.f('ix_person_pair_other_id'), 'person_pair', ['other_id'], unique=False)
    op.create_table('property_value',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('property_id', sa.Integer(), nullable=False),
    sa.Column('value', S(length=500), nullable=False),
    sa.Column('number', sa.Float(), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['property_id'], ['property_def.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'property_id')
    )
    op.create_index('ix_property_value_num', 'property_value', ['property_id', 'number'], unique=False)
    op.create_index('ix_property_value_text', 'property_value', ['property_id', 'value'], unique=False)
    op.create_table('risk_classification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('risk_class', S(length=20), nullable=False),
    sa.Column('motivation', sa.Text(), nullable=False),
    sa.Column('source', S(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_risk_classification_person_id'), 'risk_classification', ['person_id'], unique=False)
    op.create_table('signal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('title', S(length=200), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('due_time', S(length=5), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('ref', S(length=120), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['done_by'], ['app_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_signal_open', 'signal', ['user_id', 'done_at', 'due_at'], unique=False)
    op.create_index(op.f('ix_signal_person_id'), 'signal', ['person_id'], unique=False)
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('name', S(length=255), nullable=False),
    sa.Column('sha256', S(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['app_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_stored_file_dossier_id'), 'stored_file', ['dossier_id'], unique=False)
    op.create_index(op.f('ix_stored_file_person_id'), 'stored_file', ['person_id'], unique=False)
    op.create_index(op.f('ix_stored_file_sha256'), 'stored_file', ['sha256'], unique=False)
    op.add_column('person', sa.Column('date_of_birth', sa.Date(), nullable=True))
    op.add_column('person', sa.Column('address', S(length=300), nullable=False, server_default=''))
    op.add_column('person', sa.Column('postcode', S(length=20), nullable=False, server_default=''))
    op.add_column('person', sa.Column('city', S(length=120), nullable=False, server_default=''))
    op.add_column('person', sa.Column('label', S(length=100), nullable=False, server_default=''))
    op.add_column('person', sa.Column('party_type', S(length=60), nullable=False, server_default=''))
    op.add_column('person', sa.Column('address_key', S(length=40), nullable=False, server_default=''))
    # partial: the many persons without a birth date or address cost no index entry
    op.create_index("ix_person_address_key", "person", ["address_key"],
                    sqlite_where=sa.text("address_key <> ''"),
                    postgresql_where=sa.text("address_key <> ''"))
    op.create_index("ix_person_date_of_birth", "person", ["date_of_birth"],
                    sqlite_where=sa.text("date_of_birth IS NOT NULL"),
                    postgresql_where=sa.text("date_of_birth IS NOT NULL"))
    # a deleted person leaves a campaign's snapshot of them (ON DELETE SET NULL)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("campaign_client_person_id_fkey", "campaign_client",
                           type_="foreignkey")
        op.create_foreign_key("campaign_client_person_id_fkey", "campaign_client", "person",
                              ["person_id"], ["id"], ondelete="SET NULL")
    else:
        naming = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
        with op.batch_alter_table("campaign_client", naming_convention=naming,
                                  recreate="always") as batch:
            batch.drop_constraint(FK, type_="foreignkey")
            batch.create_foreign_key(FK, "person", ["person_id"], ["id"], ondelete="SET NULL")
    _fill_keys()


def _fill_keys() -> None:
    """The search keys of the persons there are (one helper writes them everywhere)."""
    from quickcrm.crm.search_keys import refresh_keys

    conn = op.get_bind()
    ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM person")]
    for start in range(0, len(ids), 5000):
        refresh_keys(conn, ids[start:start + 5000])


def downgrade() -> None:
    for table in ("stored_file", "signal", "risk_classification", "property_value",
                  "person_pair", "person_link", "person_key", "person_indicator",
                  "person_email", "note", "identification", "dossier_applicant",
                  "dossier_product", "saved_query", "dossier", "property_def", "indicator"):
        op.drop_table(table)
    op.drop_index("ix_person_address_key", table_name="person")
    op.drop_index("ix_person_date_of_birth", table_name="person")
    with op.batch_alter_table("person") as batch:
        for column in ("date_of_birth", "address", "postcode", "city", "label", "party_type",
                       "address_key"):
            batch.drop_column(column)
