"""notes corrected by their author: note.corrected_at and the earlier texts in note_revision

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('note_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['note.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('note_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_revision_note_id'), ['note_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('note_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_revision_note_id'))
    op.drop_table('note_revision')
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.drop_column('corrected_at')
