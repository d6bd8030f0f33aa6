"""Engine and transactions.

SQLite: WAL (readers never wait for the writer), foreign keys on, and every transaction opened with
BEGIN IMMEDIATE so that a read-then-write transaction takes the write lock up front instead of failing
with "database is locked" on the upgrade (shared/STACK_NOTES.md §5). PostgreSQL: the same code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from raj_release.errors import RajError

READ_ONLY = "raj_read_only"


def make_engine(url: str, **kwargs) -> Engine:
    try:
        u = make_url(url)
    except Exception:
        raise RajError("RAJ_DATABASE_URL: '{url}' is not a database URL "
                       "(e.g. sqlite:///var/raj.db or postgresql+psycopg://user@host/db)", url=url) from None
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None  # let the "begin" hook below open transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            # a read-only unit of work (Database.reading) takes no lock up front: in WAL mode it reads a
            # snapshot while writers go on, and many pages can be read at once. query_only makes SQLite
            # refuse any write in it (set on every begin: pooled connections serve both kinds).
            read_only = bool(conn.get_execution_options().get(READ_ONLY))
            pooled = conn.connection  # the pooled DBAPI connection: its `info` lives as long as it does
            sqlite_conn = pooled.driver_connection
            if pooled.info.get(READ_ONLY, False) != read_only:  # only when switching: it costs a statement
                sqlite_conn.execute(f"PRAGMA query_only={int(read_only)}")
                pooled.info[READ_ONLY] = read_only
            sqlite_conn.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_engine(u, pool_pre_ping=True, **kwargs)


class Database:
    """An engine and its session factory; `transaction()` is the unit of work of every service."""

    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        read_options = {READ_ONLY: True}
        if self.engine.dialect.name == "postgresql":  # one snapshot for the whole unit, and no writes
            read_options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        self.read_sessions = sessionmaker(self.engine.execution_options(**read_options), expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A unit of work that only reads: one consistent snapshot, and on SQLite no write lock, so that
        pages and feeds are read side by side and beside the writers. Both databases refuse any write in it."""
        with self.read_sessions() as session, session.begin():
            yield session

    @property
    def display_url(self) -> str:
        """The URL with its password hidden, fit to print."""
        return self.engine.url.render_as_string(hide_password=True)

    def has_schema(self) -> bool:
        """Whether the schema was created (`raj init`): its first table, person, exists."""
        return inspect(self.engine).has_table("person")

    def dispose(self) -> None:
        self.engine.dispose()


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite gives them back naive)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
