"""`raj web --workers 2` on PostgreSQL (issue 13 point 7): any process answers any request.

`raj web` runs as its own process with two worker processes on a fresh PostgreSQL database loaded with the
fictitious demo, with no RAJ_SECRET_KEY (both processes make or read var/secret.key at once). Each request
goes on a new connection, and the test finds which process served it (the server side of its TCP connection,
in /proc), until both have served:
- a session made by a login in one process is valid in the other (sessions live in the database, both sign
  with the same key);
- the calendar feed is the same, byte for byte and ETag, from both; after a démarche's due date is moved
  (by `raj demarche pin`, another process again), both serve the new date: each process's component cache is
  keyed by the row's content, so none serves a stale component.

Binds 127.0.0.1 on a free port; the server is stopped in `finally` (SIGINT, then SIGKILL to its group); the
database is dropped. Skipped when PostgreSQL is absent, unless RAJ_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from raj_release.settings import PROJECT_ROOT
from tests.e2e.test_prefect_deploy import _free_port
from tests.e2e.test_workers_lost_host import (
    DAY,
    PG_URL,
    REQUIRE_PG,
    _create_databases,
    _descendants,
    _drop_databases,
    _load_app,
    _url,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PASSWORD = "une phrase assez longue"
NEW_DUE = "2027-02-10"  # a Wednesday


def _server_pid(port: int, client_port: int, candidates: list[int]) -> int | None:
    """Which of `candidates` holds the server side of the connection 127.0.0.1:port <- client_port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == port and int(f[2].rsplit(":", 1)[1], 16) == client_port:
                inodes.add(f"socket:[{f[9]}]")
    for pid in candidates:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) in inodes:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


def test_raj_web_with_two_processes_on_postgresql(tmp_path):
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("RAJ_REQUIRE_POSTGRES=1 but RAJ_TEST_DATABASE_URL is not set")
        pytest.skip("RAJ_TEST_DATABASE_URL not set: no PostgreSQL")
    name = f"e2e_web_{uuid.uuid4().hex[:10]}"
    _create_databases(name)
    url = _url(name, "postgresql+psycopg")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("RAJ_", "PREFECT_"))},
           "RAJ_DATABASE_URL": url}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = None

    def raj(*args: str, stdin: str | None = None) -> str:
        r = subprocess.run([sys.executable, "-m", "raj_release.cli", *args], env=env, cwd=tmp_path, input=stdin,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"raj {' '.join(args)}: {r.stdout}\n{r.stderr}"
        return r.stdout

    try:
        config_dir = tmp_path / "config"
        shutil.copytree(PROJECT_ROOT / "config", config_dir)
        _load_app(url, config_dir)
        env["RAJ_CONFIG_DIR"] = str(config_dir)
        raj("user", "set-password", "as.dupont", "--password-stdin", stdin=PASSWORD + "\n")
        secret = re.search(r"/calendar/(\S+)\.ics", raj("feed", "create", "as.dupont")).group(1)
        log = tmp_path / "web.log"
        with open(log, "wb") as out:
            server = subprocess.Popen([sys.executable, "-m", "raj_release.cli", "web", "--port", str(port),
                                       "--workers", "2", "--today", DAY.isoformat()], env=env, cwd=tmp_path,
                                      stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, f"raj web exited:\n{log.read_text()}"
            procs = [p for p in _descendants(server.pid)
                     if "spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
            try:
                if len(procs) >= 2 and httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"raj web --workers 2 not answering:\n{log.read_text()}"
            time.sleep(0.5)
        key = (tmp_path / "var" / "secret.key").read_text().strip()
        assert len(key) == 64 and not list((tmp_path / "var").glob(".secret.key.*"))

        def get(path: str, cookies=None) -> tuple[httpx.Response, int | None]:
            """One request on a new connection; the response and the process that served it."""
            with httpx.Client(base_url=base, cookies=cookies, timeout=30) as c:
                r = c.get(path)
                client_port = r.extensions["network_stream"].get_extra_info("client_addr")[1]
                return r, _server_pid(port, client_port, procs)

        # a session made in one process, used in both
        with httpx.Client(base_url=base, timeout=30) as c:
            tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
            r = c.post("/login", data={"username": "as.dupont", "password": PASSWORD, "csrf": tok})
            assert r.status_code in (302, 303), r.status_code
            cookies = dict(c.cookies)
        served: dict[int, int] = {}
        for _ in range(80):
            r, pid = get("/week", cookies)
            assert r.status_code == 200 and 'action="/logout"' in r.text, (r.status_code, r.text[:300])
            served[pid] = served.get(pid, 0) + 1
            if len([p for p in served if p is not None]) == 2 and min(served.values()) >= 3:
                break
        assert set(served) == set(procs), f"served by {served}, processes {procs}"

        # the feed, the same from both processes, before and after a change made by a third process
        def feeds() -> dict[int, set[tuple[bytes, str]]]:
            """The feed from new connections until each process served it 3 times: {process: {(body, etag)}}."""
            out: dict[int, set] = {}
            count: dict[int, int] = {}
            for _ in range(80):
                r, pid = get(f"/calendar/{secret}.ics")
                assert r.status_code == 200
                out.setdefault(pid, set()).add((r.content, r.headers["etag"]))
                count[pid] = count.get(pid, 0) + 1
                if len(count) == 2 and min(count.values()) >= 3:
                    break
            return out

        before = feeds()
        assert set(before) == set(procs)
        assert len(set().union(*before.values())) == 1, "the processes served different feeds"
        body = next(iter(before[procs[0]]))[0].decode()
        todo = body.split("BEGIN:VTODO")[1]
        did = re.search(r"UID:demarche-(\d+)@raj-release", todo).group(1)
        assert f"DUE;VALUE=DATE:{NEW_DUE.replace('-', '')}" not in todo
        import psycopg

        with psycopg.connect(_url(name, "postgresql")) as con:
            ref, dkey = con.execute("SELECT p.ref, d.key FROM demarche d JOIN person p ON p.id = d.person_id "
                                    "WHERE d.id = %s", (int(did),)).fetchone()
        raj("demarche", "pin", ref, dkey, NEW_DUE, "--today", DAY.isoformat())
        after = feeds()
        assert set(after) == set(procs)
        assert len(set().union(*after.values())) == 1, "a process served a stale feed"
        new_body = next(iter(after[procs[0]]))[0].decode()
        mine = next(x for x in new_body.split("BEGIN:VTODO")[1:] if f"UID:demarche-{did}@" in x)
        assert f"DUE;VALUE=DATE:{NEW_DUE.replace('-', '')}" in mine
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
        if server is not None:
            try:
                os.killpg(server.pid, signal.SIGKILL)  # anything left in its group
            except ProcessLookupError:
                pass
        _drop_databases(name)
