"""`raj web` as its own process on a free loopback port, for the benchmarks that go through HTTP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def copy_for_web(path: Path, name: str) -> tuple[Path, dict, Callable[..., subprocess.CompletedProcess]]:
    """A private copy of the cached benchmark database `path` (with its WAL) in a new temporary folder, the
    environment of a `raj` on it (no RAJ_* variable of the caller), and a runner of `raj` commands there."""
    work = Path(tempfile.mkdtemp(prefix=f"raj-bench-{name}-"))
    db = work / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            shutil.copy2(f"{path}{suffix}", f"{db}{suffix}")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RAJ_")},
           "RAJ_DATABASE_URL": f"sqlite:///{db}", "RAJ_SECRET_KEY": "bench"}

    def raj(*a, stdin=None):
        return subprocess.run([sys.executable, "-m", "raj_release.cli", *a], env=env, cwd=work, check=True,
                              capture_output=True, text=True, input=stdin)

    return work, env, raj


@contextmanager
def raj_web(env: dict, cwd: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start `raj web`, wait until it answers, yield its base URL and process; stop it afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "raj_release.cli", "web", "--port", str(port)], env=env,
                              cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=20)
