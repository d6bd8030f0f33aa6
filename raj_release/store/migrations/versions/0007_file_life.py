"""the life of a file: stages, origin and source of the request, closure, transfers; leaves; meetings;
démarches that no longer apply (DOMAIN.md §8)

Existing persons are files already followed, from a prison, with their plan made.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.alter_column('prison', existing_type=sa.String(length=40), nullable=True)
        batch_op.add_column(sa.Column('prison_since', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=False, server_default='followed'))
        batch_op.add_column(sa.Column('origin', sa.String(length=10), nullable=False, server_default='prison'))
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('followed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('planned', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('close_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('not_met_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('close_detail', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('close_to_service', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('stage_before_close', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('last_contact_point', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('last_contact_escalation', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_person_stage'), ['stage'], unique=False)
    with op.batch_alter_table('demarche', schema=None) as batch_op:
        batch_op.add_column(sa.Column('obsolete', sa.Boolean(), nullable=False, server_default=sa.false()))
    # the defaults only filled the existing rows: the application always writes these columns
    with op.batch_alter_table('person', schema=None) as batch_op:
        for col in ('stage', 'origin', 'planned'):
            batch_op.alter_column(col, server_default=None)
    with op.batch_alter_table('demarche', schema=None) as batch_op:
        batch_op.alter_column('obsolete', server_default=None)
    op.create_table('leave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('leave', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leave_person_id'), ['person_id'], unique=False)
    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=10), nullable=False),
    sa.Column('as_id', sa.String(length=40), nullable=True),
    sa.Column('psy_id', sa.String(length=40), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_as_id'), ['as_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_psy_id'), ['psy_id'], unique=False)
        batch_op.create_index('ix_visit_person_day', ['person_id', 'day'], unique=False)


def downgrade() -> None:
    op.drop_table('visit')
    op.drop_table('leave')
    with op.batch_alter_table('demarche', schema=None) as batch_op:
        batch_op.drop_column('obsolete')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_stage'))
        for col in ('last_contact_escalation', 'last_contact_point', 'stage_before_close', 'close_to_service',
                    'close_detail', 'not_met_reason', 'close_reason', 'closed_on', 'planned', 'followed_on',
                    'source', 'origin', 'stage', 'prison_since'):
            batch_op.drop_column(col)
        batch_op.alter_column('prison', existing_type=sa.String(length=40), nullable=False)
