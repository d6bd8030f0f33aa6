"""partners in the loop: the consent register, applications to partners, reply links (issue 12)

Démarches already on hold waiting on a partner become an application to that partner (state sent), so that
the reminders, which now follow applications, keep reminding the same partners.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 11:20:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.String(length=60), nullable=True),
    sa.Column('partner_type', sa.String(length=40), nullable=True),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('how', sa.String(length=10), nullable=False),
    sa.Column('recorded_by', sa.String(length=60), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=60), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_person_id'), ['person_id'], unique=False)
    op.create_table('application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('demarche_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('partner_id', sa.String(length=60), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('state_on', sa.Date(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('expected', sa.Date(), nullable=True),
    sa.Column('entry', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('documents', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['demarche_id'], ['demarche.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('demarche_id', 'partner_id', name='uq_application_demarche_partner')
    )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_demarche_id'), ['demarche_id'], unique=False)
        batch_op.create_index('ix_application_state', ['state', 'partner_id'], unique=False)
    op.create_table('reply_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('reply_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_link_application_id'), ['application_id'], unique=False)
    # what was on hold waiting on a partner is an application to that partner
    day = "date(updated_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(updated_at AS DATE)"
    op.execute(
        "INSERT INTO application (person_id, demarche_id, key, partner_id, state, sent_on, state_on, answers, "
        "created_by, created_at, updated_at) "
        "SELECT person_id, id, key, partner_id, 'sent', " + day + ", " + day + ", 0, "
        "'migration', updated_at, updated_at FROM demarche WHERE status = 'on-hold' AND partner_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('reply_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_link_application_id'))
    op.drop_table('reply_link')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_state')
        batch_op.drop_index(batch_op.f('ix_application_demarche_id'))
        batch_op.drop_index(batch_op.f('ix_application_person_id'))
    op.drop_table('application')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_person_id'))
    op.drop_table('consent')
