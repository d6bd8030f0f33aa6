"""Helpers of the CLI tests: run `raj` in a real subprocess on a SQLite file, and look at that file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path


def raj(db: Path, *args: str, config_dir: Path | None = None, actor: str | None = None, cwd: Path | None = None,
        env_extra: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`raj ARGS` with RAJ_DATABASE_URL pointing at `db`; no RAJ_* variable of the caller leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAJ_")}
    env["RAJ_DATABASE_URL"] = f"sqlite:///{db}"
    if config_dir is not None:
        env["RAJ_CONFIG_DIR"] = str(config_dir)
    if actor is not None:
        env["RAJ_ACTOR"] = actor
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "raj_release.cli", *args], env=env, cwd=cwd or db.parent,
                          capture_output=True, text=True, timeout=120, input=stdin)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert result.stderr == "", result.stderr
    return result


def as_json(result: subprocess.CompletedProcess):
    return json.loads(ok(result).stdout)


def assert_refused(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit code 2, exactly one line on stderr naming each fragment, no traceback, nothing on stdout."""
    assert result.returncode == 2, f"exit {result.returncode}, stderr: {result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"expected one line on stderr, got: {result.stderr!r}"
    for f in fragments:
        assert f in lines[0], f"{f!r} not in {lines[0]!r}"
    assert result.stdout == "", result.stdout
    return lines[0]


def dump(db: Path) -> list[str] | None:
    """The whole database as SQL text (schema and every row); None if the file does not exist."""
    if not db.exists():
        return None
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def query(db: Path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def copy_db(src: Path, dest_dir: Path) -> Path:
    """A copy of a SQLite database (with its WAL files) as dest_dir/raj.db."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / "raj.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{src}{suffix}").exists():
            shutil.copy2(f"{src}{suffix}", f"{dest}{suffix}")
    return dest
