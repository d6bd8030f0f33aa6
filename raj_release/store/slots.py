"""Numbered slots shared by every process that uses one database: at most N holders at once, whatever host
they run on, and a slot whose holder dies is free again without waiting for a lease to expire.

- PostgreSQL: session-level advisory locks `pg_try_advisory_lock(key, slot)` on a connection kept for the
  holder's lifetime; the server releases them when that connection ends. A killed process's connection
  ends at once; a host that vanishes is noticed by TCP keepalives set on that connection (about a minute).
  The key is derived from the name and the schema, so schemas of one database do not share slots.
- SQLite (one machine): `flock` on a file beside the database per slot; the kernel releases it when the
  process dies. An in-memory database has no limit.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

POLL_SECONDS = 0.25
# a vanished host's slot is freed after about idle + interval * count seconds
KEEPALIVE = {"tcp_keepalives_idle": 30, "tcp_keepalives_interval": 10, "tcp_keepalives_count": 3}


@contextmanager
def slot(engine: Engine, name: str, slots: int, wait_seconds: float) -> Iterator[int | None]:
    """Hold one of `slots` slots named `name` while the block runs; yields its number, or None if none came
    free within `wait_seconds`."""
    if slots < 1:
        raise ValueError("slots must be at least 1")
    if engine.dialect.name == "postgresql":
        with _pg_slot(engine, name, slots, wait_seconds) as got:
            yield got
    else:
        with _file_slot(engine, name, slots, wait_seconds) as got:
            yield got


@contextmanager
def _pg_slot(engine: Engine, name: str, slots: int, wait_seconds: float) -> Iterator[int | None]:
    conn = engine.connect()
    got = None
    try:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for setting, value in KEEPALIVE.items():
            conn.execute(text(f"SET {setting} = {int(value)}"))
        key = conn.scalar(text("SELECT hashtext(current_schema() || ':' || :name)"), {"name": name})
        deadline = time.monotonic() + wait_seconds
        while got is None:
            for i in range(slots):
                if conn.scalar(text("SELECT pg_try_advisory_lock(:k, :i)"), {"k": key, "i": i}):
                    got = i
                    break
            if got is not None or time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        yield got
    finally:
        try:
            if got is not None:
                conn.execute(text("SELECT pg_advisory_unlock(:k, :i)"), {"k": key, "i": got})
        except Exception:
            conn.invalidate()  # the connection is closed rather than pooled: its locks go with it
            raise
        finally:
            conn.close()


@contextmanager
def _file_slot(engine: Engine, name: str, slots: int, wait_seconds: float) -> Iterator[int | None]:
    db = engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        yield 0
        return
    base = Path(db).resolve()
    fds = [os.open(f"{base}.{name}-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600) for i in range(slots)]
    got = None
    try:
        deadline = time.monotonic() + wait_seconds
        while got is None:
            for i, fd in enumerate(fds):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                got = i
                break
            if got is not None or time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        yield got
    finally:
        for fd in fds:
            os.close(fd)  # closing the descriptor releases its lock
