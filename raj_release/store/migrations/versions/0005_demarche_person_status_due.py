"""démarches by person, status and due date

The index on person_id alone becomes (person_id, status, due): it still serves every lookup by person,
and the overdue démarches of a worker's or an organisation's persons are now found in the index without
reading every other démarche's row (the dashboard of a 50,000-démarche organisation reads 3,000 rows
instead of 50,000).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 21:20:00

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('demarche', schema=None) as batch_op:
        batch_op.create_index('ix_demarche_person_status_due', ['person_id', 'status', 'due'], unique=False)
        batch_op.drop_index('ix_demarche_person_id')


def downgrade() -> None:
    with op.batch_alter_table('demarche', schema=None) as batch_op:
        batch_op.create_index('ix_demarche_person_id', ['person_id'], unique=False)
        batch_op.drop_index('ix_demarche_person_status_due')
