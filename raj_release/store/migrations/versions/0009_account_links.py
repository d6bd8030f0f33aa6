"""one-time links to choose a password: worker.link_hash, worker.link_expires_at

An administrator creates an account, or resets its password, in the web workspace; the account's owner
receives a one-time link (valid 72 hours) to choose a password. Only the SHA-256 of the link's secret is
stored, unique so that a link names one account; both columns are cleared once the link is used.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('link_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_worker_link_hash'), ['link_hash'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_link_hash'))
        batch_op.drop_column('link_expires_at')
        batch_op.drop_column('link_hash')
