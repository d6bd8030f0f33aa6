"""Fixtures shared by every test.

`db_url` runs a test on a fresh SQLite file and, when RAJ_TEST_DATABASE_URL names a PostgreSQL server, once
more in a fresh PostgreSQL schema (dropped afterwards). With RAJ_REQUIRE_POSTGRES=1 (set by .ci/run) a
PostgreSQL that cannot be reached fails the run instead of being skipped.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest

from raj_release.config import load_config
from raj_release.settings import PROJECT_ROOT, Settings

CONFIG_DIR = PROJECT_ROOT / "config"
PG_URL = os.environ.get("RAJ_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("RAJ_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def config():
    return load_config(CONFIG_DIR)


@pytest.fixture(scope="session")
def calendar(config):
    return config.calendar


@pytest.fixture(scope="session")
def templates(config):
    return config.templates


def _pg_params():
    if PG_URL:
        return [pytest.param("postgresql", marks=pytest.mark.postgres)]
    if REQUIRE_PG:
        return [pytest.param("postgresql", marks=pytest.mark.postgres)]
    return []


@pytest.fixture(params=["sqlite", *[p.values[0] for p in _pg_params()]])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database(backend, tmp_path):
    """A migrated, empty database on the backend under test; yields raj_release.store.db.Database."""
    from raj_release.store.db import Database
    from raj_release.store.migrate import upgrade

    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'raj.db'}")
        upgrade(db)
        yield db
        db.dispose()
        return
    if not PG_URL:
        pytest.fail("RAJ_REQUIRE_POSTGRES=1 but RAJ_TEST_DATABASE_URL is not set")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as c:
            c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as e:
        admin.dispose()
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {PG_URL} unreachable: {e.orig}")
        pytest.skip("PostgreSQL unreachable")
    db = Database(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class FixedClock:
    """Audit timestamps under test control."""

    def __init__(self, start: dt.datetime) -> None:
        self.t = start

    def __call__(self) -> dt.datetime:
        self.t += dt.timedelta(seconds=1)
        return self.t


@pytest.fixture
def ctx(database, config):
    """A service context on a fresh database with the default organisation."""
    from raj_release.services.context import Context
    from raj_release.services.workers import ensure_organisation

    c = Context(db=database, config=config, settings=Settings(database_url=database.url, config_dir=CONFIG_DIR),
                now=FixedClock(dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)))
    ensure_organisation(c)
    return c


@pytest.fixture
def binome(ctx):
    """Two workers of the default organisation: ('as.test', 'psy.test')."""
    from raj_release.services.workers import register_worker

    register_worker(ctx, "as.test", "AS Fictive", "as")
    register_worker(ctx, "psy.test", "Psy Fictif", "psy")
    return "as.test", "psy.test"


def pytest_report_header(config):
    return f"PostgreSQL: {PG_URL or 'not configured (SQLite only)'}"

