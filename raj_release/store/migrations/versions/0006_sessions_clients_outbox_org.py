"""server-side web sessions, failed logins by client address, the organisation of each outbox message

- web_session: sessions that logout, a password change, a deactivation or an admin can end at once;
- login_attempt.client: failures are slowed per client address as well as per account;
- outbox.organisation: a coordinator sees the dead messages of their own organisation only, partner
  messages included (a partner's message is written for one organisation: its scope says which).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:50:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('web_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('worker_id', sa.String(length=40), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_worker_id'), ['worker_id'], unique=False)
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_attempt_client'), ['client'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_organisation'), ['organisation'], unique=False)
    # messages already in the outbox: a worker's belong to the worker's organisation; a partner's to the
    # organisation its scope names ("recipient|partner|partner-<org>|day")
    conn = op.get_bind()
    conn.execute(sa.text(
        "UPDATE outbox SET organisation = (SELECT o.code FROM worker w JOIN organisation o "
        "ON o.id = w.organisation_id WHERE w.id = outbox.recipient) WHERE recipient_type = 'worker'"))
    rows = conn.execute(sa.text("SELECT id, key FROM outbox WHERE recipient_type = 'partner'")).all()
    for id_, key in rows:
        parts = key.split("|")
        if len(parts) >= 3 and parts[2].startswith("partner-"):
            conn.execute(sa.text("UPDATE outbox SET organisation = :o WHERE id = :i"),
                         {"o": parts[2].removeprefix("partner-"), "i": id_})


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_organisation'))
        batch_op.drop_column('organisation')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempt_client'))
        batch_op.drop_column('client')
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_worker_id'))
    op.drop_table('web_session')
