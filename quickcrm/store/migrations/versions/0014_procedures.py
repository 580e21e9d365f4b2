"""procedures: project roles, step types, procedures and their matrix, projects, their
members and contacts, steps taken, close reasons, appointments (issue 27)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('close_reason',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('procedure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('project_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('step_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('procedure_step',
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('step_type_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_type_id'], ['step_type.id'], ),
    sa.PrimaryKeyConstraint('procedure_id', 'step_type_id')
    )
    op.create_table('procedure_transition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('after_step_type_id', sa.Integer(), nullable=True),
    sa.Column('next_step_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['after_step_type_id'], ['step_type.id'], ),
    sa.ForeignKeyConstraint(['next_step_type_id'], ['step_type.id'], ),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['project_role.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('procedure_transition', schema=None) as batch_op:
        batch_op.create_index('ux_transition_after', ['procedure_id', 'role_id', 'after_step_type_id', 'next_step_type_id'], unique=True, sqlite_where=sa.text('after_step_type_id IS NOT NULL'), postgresql_where=sa.text('after_step_type_id IS NOT NULL'))
        batch_op.create_index('ux_transition_start', ['procedure_id', 'role_id', 'next_step_type_id'], unique=True, sqlite_where=sa.text('after_step_type_id IS NULL'), postgresql_where=sa.text('after_step_type_id IS NULL'))

    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('procedure_id', sa.Integer(), nullable=False),
    sa.Column('principal_relation_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['principal_relation_id'], ['relation.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_procedure_id'), ['procedure_id'], unique=False)

    op.create_table('project_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('relation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('close_reason_id', sa.Integer(), nullable=True),
    sa.Column('last_step_type_id', sa.Integer(), nullable=True),
    sa.Column('last_step_by', sa.Integer(), nullable=True),
    sa.Column('last_step_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['close_reason_id'], ['close_reason.id'], ),
    sa.ForeignKeyConstraint(['last_step_by'], ['app_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['last_step_type_id'], ['step_type.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['relation_id'], ['relation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('project_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_contact_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_contact_relation_id'), ['relation_id'], unique=False)
        batch_op.create_index('ix_project_contact_status', ['project_id', 'status', 'id'], unique=False)
        batch_op.create_index('ux_project_contact', ['project_id', 'person_id'], unique=True)

    op.create_table('project_member',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['project_role.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'user_id')
    )
    with op.batch_alter_table('project_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_member_user_id'), ['user_id'], unique=False)

    op.create_table('step_taken',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('step_type_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['project_contact.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_type_id'], ['step_type.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('step_taken', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_taken_contact_id'), ['contact_id'], unique=False)

    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['project_contact.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_id'], ['step_taken.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uid')
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_appointment_user_start', ['user_id', 'start'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_user_start')
        batch_op.drop_index(batch_op.f('ix_appointment_person_id'))
        batch_op.drop_index(batch_op.f('ix_appointment_contact_id'))

    op.drop_table('appointment')
    with op.batch_alter_table('step_taken', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_taken_contact_id'))

    op.drop_table('step_taken')
    with op.batch_alter_table('project_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_member_user_id'))

    op.drop_table('project_member')
    with op.batch_alter_table('project_contact', schema=None) as batch_op:
        batch_op.drop_index('ux_project_contact')
        batch_op.drop_index('ix_project_contact_status')
        batch_op.drop_index(batch_op.f('ix_project_contact_relation_id'))
        batch_op.drop_index(batch_op.f('ix_project_contact_person_id'))

    op.drop_table('project_contact')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_procedure_id'))

    op.drop_table('project')
    with op.batch_alter_table('procedure_transition', schema=None) as batch_op:
        batch_op.drop_index('ux_transition_start', sqlite_where=sa.text('after_step_type_id IS NULL'), postgresql_where=sa.text('after_step_type_id IS NULL'))
        batch_op.drop_index('ux_transition_after', sqlite_where=sa.text('after_step_type_id IS NOT NULL'), postgresql_where=sa.text('after_step_type_id IS NOT NULL'))

    op.drop_table('procedure_transition')
    op.drop_table('procedure_step')
    op.drop_table('step_type')
    op.drop_table('project_role')
    op.drop_table('procedure')
    op.drop_table('close_reason')
