"""The store on both backends: the Alembic migration is the models' schema, and the database itself enforces
foreign keys, cascades and uniqueness (not only the ORM)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from raj_release.store import models as m
from raj_release.store.db import Database
from raj_release.store.migrate import upgrade

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
CORE_TABLES = {"organisation", "worker", "person", "milestone", "demarche", "audit_event"}


# ---------------------------------------------------------------------------------------------------------
# helpers: rows written with Core, straight to the tables, so that only the database's own rules apply


def _insert(conn, table: str, **values) -> int:
    t = m.Base.metadata.tables[table]
    result = conn.execute(sa.insert(t).values(**values))
    return result.inserted_primary_key[0] if result.inserted_primary_key else None


def _person(conn, ref: str = "S-001") -> int:
    org = _insert(conn, "organisation", code=f"org-{ref.lower()}", name="Org", created_at=NOW)
    for wid, role in ((f"as.{ref}", "as"), (f"psy.{ref}", "psy")):
        _insert(conn, "worker", id=wid, organisation_id=org, name=wid, role=role, language="fr", notify=[],
                active=True, created_at=NOW)
    return _insert(conn, "person", ref=ref, organisation_id=org, prison="haren", language="fr", interpreter=False,
                   situation="condamne", needs=["housing"], as_id=f"as.{ref}", psy_id=f"psy.{ref}",
                   plan_mode="full", compressed_at_creation=False, version=1, created_at=NOW, updated_at=NOW)


def _milestone(conn, person_id: int, kind: str = "tap_hearing") -> int:
    return _insert(conn, "milestone", person_id=person_id, kind=kind, date=dt.date(2027, 6, 15),
                   certainty="confirmed", updated_at=NOW, updated_by="test")


def _demarche(conn, person_id: int, key: str = "intake_fiche") -> int:
    return _insert(conn, "demarche", person_id=person_id, key=key, status="planned", due=dt.date(2027, 1, 15),
                   provisional=False, compressed=False, late_vs_anchor=False, pinned=False, created_at=NOW,
                   updated_at=NOW)


def _count(db: Database, table: str, **where) -> int:
    t = m.Base.metadata.tables[table]
    q = sa.select(sa.func.count()).select_from(t)
    for k, v in where.items():
        q = q.where(t.c[k] == v)
    with db.engine.connect() as conn:
        return conn.execute(q).scalar_one()


# ---------------------------------------------------------------------------------------------------------
# migration == models


def test_migration_produces_exactly_the_models_schema(database):
    with database.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        diff = compare_metadata(mc, m.Base.metadata)
        tables = set(sa.inspect(conn).get_table_names())
    assert diff == [], f"the migration and the models differ: {diff}"
    assert tables == set(m.Base.metadata.tables) | {"alembic_version"}
    assert CORE_TABLES <= tables


def test_schema_comparison_is_not_vacuous(database):
    """The comparison above would see a drift: drop an index and it is reported."""
    with database.engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_demarche_status_due"))
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), m.Base.metadata)
    assert [d[0] for d in diff] == ["add_index"]
    assert diff[0][1].name == "ix_demarche_status_due"


def test_migration_is_at_head_and_upgrade_is_idempotent(database):
    from alembic.script import ScriptDirectory

    from raj_release.store.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config(database.url)).get_heads()
    upgrade(database)  # a second `raj init` must not fail nor change anything
    with database.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                m.Base.metadata) == []
    assert set(current) == set(heads) and len(heads) == 1


def test_indexes_and_unique_constraints_of_the_migration(database):
    insp = sa.inspect(database.engine)
    dem_idx = {i["name"]: i["column_names"] for i in insp.get_indexes("demarche")}
    assert dem_idx["ix_demarche_status_due"] == ["status", "due"]
    assert dem_idx["ix_demarche_person_status_due"] == ["person_id", "status", "due"]
    uniques = {u["name"]: u["column_names"] for u in insp.get_unique_constraints("demarche")}
    assert uniques["uq_demarche_person_key"] == ["person_id", "key"]
    uniques = {u["name"]: u["column_names"] for u in insp.get_unique_constraints("milestone")}
    assert uniques["uq_milestone_person_kind"] == ["person_id", "kind"]
    fks = {fk["referred_table"]: fk for fk in insp.get_foreign_keys("demarche")}
    assert fks["person"]["options"].get("ondelete", "").upper() == "CASCADE"
    fks = {fk["referred_table"]: fk for fk in insp.get_foreign_keys("milestone")}
    assert fks["person"]["options"].get("ondelete", "").upper() == "CASCADE"
    # the audit trail outlives a purge: no foreign key from audit_event
    assert insp.get_foreign_keys("audit_event") == []


# ---------------------------------------------------------------------------------------------------------
# SQLite connection settings


def test_sqlite_pragmas_are_on(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'raj.db'}")
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one().lower() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 10000
        # WAL is a property of the file: a plain sqlite3 connection sees it too
        raw = sqlite3.connect(tmp_path / "raj.db")
        try:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        finally:
            raw.close()
    finally:
        db.dispose()


def test_sqlite_transactions_take_the_write_lock_up_front(tmp_path):
    """BEGIN IMMEDIATE: even a transaction that has only read holds the write lock until it ends."""
    path = tmp_path / "raj.db"
    db = Database(f"sqlite:///{path}")
    try:
        upgrade(db)
        with db.transaction() as s:
            s.execute(sa.select(m.Person.id)).all()  # read only
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # free again once the transaction is over
            other.execute("ROLLBACK")
        finally:
            other.close()
    finally:
        db.dispose()


def test_sqlite_reads_take_no_lock_and_see_one_snapshot(tmp_path):
    """Database.reading(): pages are read beside a writer that holds the write lock, from the snapshot
    taken when the read began."""
    path = tmp_path / "raj.db"
    db = Database(f"sqlite:///{path}")
    try:
        upgrade(db)
        with db.transaction() as w:
            w.add(m.Organisation(code="org", name="Org", created_at=dt.datetime(2026, 11, 23, tzinfo=dt.UTC)))
            w.flush()  # the writer now holds the write lock, its row not yet committed
            with db.reading() as r:
                assert r.scalar(sa.select(sa.func.count()).select_from(m.Organisation)) == 0
        with db.reading() as r:
            assert r.scalar(sa.select(sa.func.count()).select_from(m.Organisation)) == 1
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")  # a reader does not stop a writer
                other.execute("INSERT INTO organisation (code, name, created_at) "
                              "VALUES ('org2', 'Org 2', '2026-11-23 00:00:00.000000')")
                other.execute("COMMIT")
            finally:
                other.close()
            # still the snapshot the read began with
            assert r.scalar(sa.select(sa.func.count()).select_from(m.Organisation)) == 1
    finally:
        db.dispose()


NOW = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


def test_reading_refuses_writes(database):
    with pytest.raises(sa.exc.DBAPIError, match="read-?only"):
        with database.reading() as r:
            r.execute(sa.insert(m.Organisation).values(code="org", name="Org", created_at=NOW))
    with database.reading() as r:
        assert r.scalar(sa.select(sa.func.count()).select_from(m.Organisation)) == 0
    with database.transaction() as w:  # the same pooled connections still write when asked to
        w.execute(sa.insert(m.Organisation).values(code="org", name="Org", created_at=NOW))
    with database.reading() as r:
        assert r.scalar(sa.select(sa.func.count()).select_from(m.Organisation)) == 1


# ---------------------------------------------------------------------------------------------------------
# the database's own rules, on both backends


def test_orphan_demarche_is_refused(database):
    with database.engine.connect() as conn:
        with pytest.raises(sa.exc.IntegrityError):
            with conn.begin():
                _demarche(conn, person_id=424242)
        assert _count(database, "demarche") == 0
        with pytest.raises(sa.exc.IntegrityError):
            with conn.begin():
                _milestone(conn, person_id=424242)
        assert _count(database, "milestone") == 0


def test_orphan_demarche_is_refused_by_raw_sqlite(tmp_path):
    """Not only through SQLAlchemy: the pragma is set on every connection the engine hands out."""
    db = Database(f"sqlite:///{tmp_path / 'raj.db'}")
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
                raw.execute("INSERT INTO demarche (person_id, key, status, provisional, compressed, "
                            "late_vs_anchor, pinned, obsolete, created_at, updated_at) VALUES (999, 'x', 'planned', 0, 0, "
                            "0, 0, 0, '2026-11-23', '2026-11-23')")
            assert raw.execute("SELECT count(*) FROM demarche").fetchone() == (0,)
    finally:
        db.dispose()


def test_person_with_unknown_worker_is_refused(database):
    with database.engine.connect() as conn:
        with conn.begin():
            pid = _person(conn, "S-010")
        with pytest.raises(sa.exc.IntegrityError):
            with conn.begin():
                t = m.Base.metadata.tables["person"]
                conn.execute(sa.update(t).where(t.c.id == pid).values(as_id="nobody"))


def test_deleting_a_person_cascades_at_database_level(database):
    with database.engine.connect() as conn:
        with conn.begin():
            p1, p2 = _person(conn, "S-001"), _person(conn, "S-002")
            for pid in (p1, p2):
                _milestone(conn, pid, "intake")
                _milestone(conn, pid, "tap_hearing")
                _demarche(conn, pid, "intake_fiche")
                _demarche(conn, pid, "eid_check")
            _insert(conn, "audit_event", at=NOW, actor="test", action="person.registered", person_id=p1,
                    entity="person", entity_key="S-001")
        with conn.begin():
            # plain SQL, no ORM cascade involved
            conn.execute(sa.text("DELETE FROM person WHERE id = :id"), {"id": p1})
        assert _count(database, "milestone", person_id=p1) == 0
        assert _count(database, "demarche", person_id=p1) == 0
        # the other person is untouched, and the audit trail survives the purge
        assert _count(database, "milestone", person_id=p2) == 2
        assert _count(database, "demarche", person_id=p2) == 2
        assert _count(database, "audit_event", person_id=p1) == 1


def test_demarche_key_is_unique_per_person(database):
    with database.engine.connect() as conn:
        with conn.begin():
            p1, p2 = _person(conn, "S-001"), _person(conn, "S-002")
            _demarche(conn, p1, "intake_fiche")
            _demarche(conn, p2, "intake_fiche")  # the same key for another person is fine
        with pytest.raises(sa.exc.IntegrityError):
            with conn.begin():
                _demarche(conn, p1, "intake_fiche")
        assert _count(database, "demarche", person_id=p1) == 1


def test_milestone_kind_is_unique_per_person(database):
    with database.engine.connect() as conn:
        with conn.begin():
            p1, p2 = _person(conn, "S-001"), _person(conn, "S-002")
            _milestone(conn, p1, "tap_hearing")
            _milestone(conn, p2, "tap_hearing")
        with pytest.raises(sa.exc.IntegrityError):
            with conn.begin():
                _milestone(conn, p1, "tap_hearing")
        assert _count(database, "milestone", person_id=p1) == 1


def test_person_ref_and_organisation_code_are_unique(database):
    with database.engine.connect() as conn:
        with conn.begin():
            _person(conn, "S-001")
        with pytest.raises(sa.exc.IntegrityError):
            with conn.begin():
                t = m.Base.metadata.tables["person"]
                row = conn.execute(sa.select(t).where(t.c.ref == "S-001")).mappings().one()
                conn.execute(sa.insert(t).values({**{k: v for k, v in row.items() if k != "id"}}))
        with pytest.raises(sa.exc.IntegrityError):
            with conn.begin():
                _insert(conn, "organisation", code="org-s-001", name="Twice", created_at=NOW)


def test_json_and_dates_round_trip(database):
    with database.engine.connect() as conn:
        with conn.begin():
            pid = _person(conn, "S-001")
            _insert(conn, "audit_event", at=NOW, actor="test", action="milestone.set", person_id=pid,
                    entity="milestone", entity_key="tap_hearing", old={"date": "2027-06-15"},
                    new={"date": "2027-08-17", "é": ["ü", 1]})
        t = m.Base.metadata.tables["audit_event"]
        row = conn.execute(sa.select(t.c.old, t.c.new, t.c.at)).one()
        p = m.Base.metadata.tables["person"]
        needs = conn.execute(sa.select(p.c.needs)).scalar_one()
    assert row.old == {"date": "2027-06-15"}
    assert row.new == {"date": "2027-08-17", "é": ["ü", 1]}
    assert needs == ["housing"]
    assert row.at.replace(tzinfo=row.at.tzinfo or dt.UTC) == NOW
