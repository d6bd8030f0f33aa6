"""Engine and transactions.

SQLite: WAL (readers never wait for the writer), foreign keys on, and every transaction opened with
BEGIN IMMEDIATE so that a read-then-write transaction takes the write lock up front instead of failing
with "database is locked" on the upgrade (shared/STACK_NOTES.md §5). PostgreSQL: the same code.

The data version (migration 0012): a unit of work of `transaction()` that wrote to one of WATCHED's tables,
or that says it changed something they read (`changed()`: a message found undeliverable), adds one to
`data_version.n` once it has committed, in a short transaction of its own; `data_version()` reads it. (The
outbox is not watched as a table: deliveries write it for every message, and only a message becoming
undeliverable shows on the coordinators' pages.) Figures computed after reading version v may be kept under v: any change committed later comes
with a higher number (services/figures.py). The writes are seen as SQLAlchemy sends them (every statement of
the services goes through it); a process that dies between its commit and the bump leaves the figures of
that change to the cache's age limit.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from raj_release.errors import RajError

log = logging.getLogger(__name__)
READ_ONLY = "raj_read_only"
# the tables whose changes the coordinators' figures read (services/figures.py)
WATCHED = frozenset({"demarche", "person", "milestone", "application", "worker", "visit"})
_WRITE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
_writes = threading.local()  # per thread: whether the unit of work going on wrote to a watched table


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

        @event.listens_for(self.engine, "before_cursor_execute")
        def _watch(conn, cursor, statement, parameters, context, executemany) -> None:
            if getattr(_writes, "changed", None) is False:  # in a unit of work that wrote nothing watched yet
                m = _WRITE.match(statement)
                if m and m.group(1).lower() in WATCHED:
                    _writes.changed = True

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        outer = getattr(_writes, "changed", None)  # a unit of work going on in this thread (nested)
        _writes.changed = False
        try:
            with self.sessions() as session, session.begin():
                yield session
            changed = _writes.changed
        finally:
            _writes.changed = outer
        if changed:  # committed (each unit of work commits on its own, a nested one too)
            self.bump()

    @staticmethod
    def changed() -> None:
        """The unit of work going on in this thread changes what kept views read (a write WATCHED does not
        see): the data version goes up after it commits."""
        if getattr(_writes, "changed", None) is not None:
            _writes.changed = True

    def bump(self) -> None:
        """One more to the data version, committed on its own (nothing else held meanwhile). A failure is
        logged, not raised: the change it follows is committed, and figures kept meanwhile expire by age."""
        try:
            with self.engine.begin() as conn:
                conn.execute(text("UPDATE data_version SET n = n + 1 WHERE id = 1"))
        except SQLAlchemyError as e:
            log.warning("data version not updated (%s)", e.__class__.__name__)

    def data_version(self) -> int | None:
        """The data version (None where migration 0012's row is missing)."""
        with self.reading() as s:
            return s.execute(text("SELECT n FROM data_version WHERE id = 1")).scalar()

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
