"""the file active's "next due": person.first_due, the earliest due date of the person's open démarches

Kept by the database itself (triggers on `demarche`), so that every writer keeps it true — registration,
replanning, a status change, a pin, a closure, a bulk load — without one of them having to remember it.
The file active sorts and filters 30,000 persons on it (next due, "with overdue démarches": first_due before
today) without aggregating their million démarches on every page.

ix_person_file_active holds every column the file active filters, counts and sorts on (organisation,
first_due, reference, stage, prison, situation, binôme): on SQLite its counts and its page of ids are read
from the index alone, a few MB for 30,000 persons, instead of the persons' rows (a narrower index would make
SQLite look the rows up in its order, scattered); PostgreSQL reads the first page of "next due first" in
the index's order and stops after 50 rows, and with `id` in it too, answers a search from the index alone
(an index-only scan) instead of visiting 30,000 rows.

"Open" is domain/demarches.py OPEN_VALUES; a démarche that no longer applies (obsolete) does not count.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# written out (not imported): a migration stays what it was when it ran
OPEN = "('in-progress', 'on-hold', 'planned')"
FIRST_DUE = (f"(SELECT min(d.due) FROM demarche d WHERE d.person_id = {{pid}} AND d.status IN {OPEN} "
             f"AND NOT d.obsolete)")

SQLITE_TRIGGERS = (
    # a new open démarche can only bring the date forward
    f"""CREATE TRIGGER tr_demarche_first_due_insert AFTER INSERT ON demarche
    WHEN NEW.status IN {OPEN} AND NEW.due IS NOT NULL AND NOT NEW.obsolete
    BEGIN
        UPDATE person SET first_due = NEW.due WHERE id = NEW.person_id
            AND (first_due IS NULL OR first_due > NEW.due);
    END""",
    f"""CREATE TRIGGER tr_demarche_first_due_update AFTER UPDATE OF status, due, obsolete, person_id ON demarche
    WHEN OLD.status IS NOT NEW.status OR OLD.due IS NOT NEW.due OR OLD.obsolete IS NOT NEW.obsolete
        OR OLD.person_id IS NOT NEW.person_id
    BEGIN
        UPDATE person SET first_due = {FIRST_DUE.format(pid="NEW.person_id")} WHERE id = NEW.person_id;
        UPDATE person SET first_due = {FIRST_DUE.format(pid="OLD.person_id")}
            WHERE id = OLD.person_id AND OLD.person_id IS NOT NEW.person_id;
    END""",
    f"""CREATE TRIGGER tr_demarche_first_due_delete AFTER DELETE ON demarche
    WHEN OLD.status IN {OPEN} AND OLD.due IS NOT NULL
    BEGIN
        UPDATE person SET first_due = {FIRST_DUE.format(pid="OLD.person_id")} WHERE id = OLD.person_id;
    END""",
)

POSTGRESQL_TRIGGERS = (
    f"""CREATE FUNCTION raj_demarche_first_due() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.status IN {OPEN} AND NEW.due IS NOT NULL AND NOT NEW.obsolete THEN
                UPDATE person SET first_due = NEW.due WHERE id = NEW.person_id
                    AND (first_due IS NULL OR first_due > NEW.due);
            END IF;
            RETURN NULL;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            IF OLD.status IS DISTINCT FROM NEW.status OR OLD.due IS DISTINCT FROM NEW.due
                    OR OLD.obsolete IS DISTINCT FROM NEW.obsolete OR OLD.person_id IS DISTINCT FROM NEW.person_id THEN
                UPDATE person SET first_due = {FIRST_DUE.format(pid="NEW.person_id")} WHERE id = NEW.person_id;
            END IF;
            IF OLD.person_id IS DISTINCT FROM NEW.person_id THEN
                UPDATE person SET first_due = {FIRST_DUE.format(pid="OLD.person_id")} WHERE id = OLD.person_id;
            END IF;
            RETURN NULL;
        END IF;
        IF OLD.status IN {OPEN} AND OLD.due IS NOT NULL THEN  -- DELETE
            UPDATE person SET first_due = {FIRST_DUE.format(pid="OLD.person_id")} WHERE id = OLD.person_id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER tr_demarche_first_due AFTER INSERT OR DELETE OR UPDATE OF status, due, obsolete, person_id
    ON demarche FOR EACH ROW EXECUTE FUNCTION raj_demarche_first_due()""",
)


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_due', sa.Date(), nullable=True))
        batch_op.create_index('ix_person_file_active', ['organisation_id', 'first_due', 'ref', 'stage', 'prison',
                                                        'situation', 'as_id', 'psy_id', 'id'], unique=False)
    op.execute(f"UPDATE person SET first_due = {FIRST_DUE.format(pid='person.id')}")
    dialect = op.get_bind().dialect.name
    for ddl in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS if dialect == "postgresql" else ():
        op.execute(ddl)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS tr_demarche_first_due_{name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS tr_demarche_first_due ON demarche")
        op.execute("DROP FUNCTION IF EXISTS raj_demarche_first_due()")
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_file_active')
        batch_op.drop_column('first_due')
