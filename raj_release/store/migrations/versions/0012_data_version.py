"""the data version: one number that goes up after every committed change the coordinators' figures read

`Database.transaction()` adds one to it, in a short transaction of its own, right after a unit of work that
wrote to the démarches, persons, milestones, meetings, applications or workers, or found a message
undeliverable, commits (store/db.py). The
dashboard and the caseloads read it first and keep their figures under it (services/figures.py): a later
change commits a higher number, so figures kept under an older one are not served again.

Not a trigger: a trigger would bump it inside the writer's transaction and hold its row locked until that
transaction ends, making every writer wait for the others (and, on PostgreSQL, two writers of the same file
could deadlock on it).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO data_version (id, n) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table('data_version')
