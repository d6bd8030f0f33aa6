"""Several workers on PostgreSQL and a lost host, end to end (issue 13 point 6), as docs/operations.md has an
operator set it up:

    a Prefect server on PostgreSQL  ->  prefect work-pool create raj-pool --type process
    ->  prefect --no-prompt deploy --all   (prefect.yaml: heartbeats, stream_output off, the zombie automation)
    ->  two `prefect worker start --pool raj-pool --limit 1 --with-healthcheck`, the app on PostgreSQL.

1. Three daily sweeps of the same day and three outbox retries triggered at once: every run completes (no
   sweep fails on the outbox's unique key), the day's reminders are enqueued once, both workers take runs.
2. A worker killed alone (SIGKILL to the worker, not to its run) while its run delivers: the run goes on in
   its own process and ends COMPLETED (its output is not piped through the worker: stream_output false);
   the worker is started again.
3. A new batch of messages, a daily sweep of the next day and two outbox retries at once, delivered to a
   slow endpoint; while a flow-run process holds a delivery slot and is delivering, it and its worker are
   killed with SIGKILL (a lost host). Then: the run is marked CRASHED by the zombie automation within the
   heartbeat window (it is not left RUNNING), which frees outbox-retry's concurrency slot; the other runs and
   a later outbox retry are done by the surviving worker; every message is delivered (none lost), at most one
   twice (the one in flight), and no run is left RUNNING. A run the lost host had taken but not started (left
   PENDING) is marked CRASHED by the second automation within its window (120 s).

Bounded: about 4-6 minutes on 2 cores (the heartbeat window is 90 s). Every process binds 127.0.0.1 on a free
port, runs in its own session and is stopped in `finally` with its descendants; the two databases it creates
(Prefect's and the app's) are dropped. Skipped when PostgreSQL is absent, unless RAJ_REQUIRE_POSTGRES=1.
Like test_prefect_deploy.py, this module does not import prefect.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from raj_release.settings import PROJECT_ROOT
from tests.e2e.test_prefect_deploy import PREFECT, _api, _free_port, _quiet_env, _stop, _tail, _wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PG_URL = os.environ.get("RAJ_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("RAJ_REQUIRE_POSTGRES") == "1"
DAY = dt.date(2026, 11, 23)  # a Monday: the demo's day
NEXT = dt.date(2026, 11, 24)
LEASE_SECONDS = 20  # the test's delivery lease: the message in flight at the loss is re-sent after it
ZOMBIE_WINDOW_S = 90  # prefect.yaml's automations
PENDING_WINDOW_S = 120
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL: two fresh databases on the server of RAJ_TEST_DATABASE_URL


def _server_url() -> tuple[str, dict]:
    from sqlalchemy.engine import make_url

    u = make_url(PG_URL)
    return u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False), \
        {"host": u.host or "127.0.0.1", "port": u.port or 5432, "user": u.username or "postgres",
         "password": u.password}


def _create_databases(*names: str) -> None:
    import psycopg

    plain, _ = _server_url()
    try:
        with psycopg.connect(plain, autocommit=True, connect_timeout=5) as c:
            for n in names:
                c.execute(f'CREATE DATABASE "{n}"')
    except psycopg.OperationalError as e:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {PG_URL} unreachable: {e}")
        pytest.skip("PostgreSQL unreachable")


def _drop_databases(*names: str) -> None:
    import psycopg

    plain, _ = _server_url()
    with psycopg.connect(plain, autocommit=True, connect_timeout=5) as c:
        for n in names:
            c.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


def _url(name: str, driver: str) -> str:
    _, p = _server_url()
    auth = p["user"] + (f":{p['password']}" if p["password"] else "")
    return f"{driver}://{auth}@{p['host']}:{p['port']}/{name}"


# ---------------------------------------------------------------------------------------------------------
# a slow endpoint the channels post to


class SlowSink:
    """Records every POST as (path, title) after waiting `delay` s (a slow channel: deliveries take time)."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(sink.delay)
                with sink.lock:
                    sink.received.append((self.path.split("?", 1)[0], json.loads(raw or b"{}").get("title", "")))
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass  # the deliverer was killed while it waited for the answer: it was received all the same

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------------------------------------
# processes


def _ppids() -> dict[int, int]:
    out = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            out[int(d.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
    return out


def _descendants(pid: int) -> list[int]:
    ppids = _ppids()
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in ppids.items() if pp == p]
        found += kids
        todo += kids
    return found


def _kill_tree(pid: int) -> None:
    for p in [*_descendants(pid), pid]:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _socket_owner(port: int, candidates: list[int]) -> int | None:
    """Which of `candidates` owns the TCP socket whose local port is `port` (its connection to PostgreSQL)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{f[9]}]")
    for pid in candidates:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:
                continue
    return None


def r_pid(run: dict) -> int:
    """The flow-run process of a run (its infrastructure_pid, "host:pid" or "pid")."""
    return int(str(run["infrastructure_pid"]).rsplit(":", 1)[-1])


def _slot_holders(app_url: str) -> list[int]:
    """Client ports of the connections holding a delivery slot (advisory locks) in the app's database."""
    import psycopg

    with psycopg.connect(app_url, autocommit=True, connect_timeout=5) as c:
        return [r[0] for r in c.execute(
            "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) AND a.client_port IS NOT NULL")]


# ---------------------------------------------------------------------------------------------------------
# the app's database


def _load_app(url: str, config_dir: Path) -> None:
    """`raj init` then the fictitious demo of DAY, in process."""
    from raj_release.config import load_config
    from raj_release.services.context import Context
    from raj_release.services.demo import load_demo
    from raj_release.services.workers import ensure_organisation
    from raj_release.settings import Settings
    from raj_release.store.db import Database
    from raj_release.store.migrate import upgrade

    db = Database(url)
    t = [dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)]

    def clock() -> dt.datetime:
        t[0] += dt.timedelta(milliseconds=1)
        return t[0]

    try:
        upgrade(db)
        ctx = Context(db=db, config=load_config(config_dir), settings=Settings(database_url=url,
                                                                                config_dir=config_dir), now=clock)
        ensure_organisation(ctx)
        load_demo(ctx, DAY)
    finally:
        db.dispose()


def _enqueue_batch(url: str, config_dir: Path, n: int, name: str) -> None:
    """n more messages to the demo's workers, due now."""
    from raj_release.config import load_config
    from raj_release.reminders.messages import Message
    from raj_release.services.context import Context
    from raj_release.services.outbox import enqueue
    from raj_release.settings import Settings
    from raj_release.store.db import Database

    db = Database(url)
    try:
        ctx = Context(db=db, config=load_config(config_dir), settings=Settings(database_url=url,
                                                                                config_dir=config_dir))
        with db.reading() as s:
            import sqlalchemy as sa

            workers = list(s.scalars(sa.text("SELECT id FROM worker WHERE active ORDER BY id")))
        msgs = [Message(workers[i % len(workers)], "as", "digest", "fr", f"Lot {name} {i}", "fictif", (), NEXT,
                        f"batch-{name}-{i}") for i in range(n)]
        with db.transaction() as s:
            assert len(enqueue(s, ctx, msgs)) == n
    finally:
        db.dispose()


def _outbox(url: str) -> list[tuple[str, str, str, str]]:
    """(key, the sink's path its channel posts to, subject, status) of every message to deliver: a message
    cancelled on purpose (a consent withdrawn, where the schema has that status) is not one to deliver."""
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as c:
        rows = c.execute("SELECT key, recipient_type, recipient, subject, status FROM outbox "
                         "WHERE status <> 'cancelled' ORDER BY id").fetchall()
    return [(key, f"/{'partners' if rtype == 'partner' else 'workers'}/{recipient}", subject, status)
            for key, rtype, recipient, subject, status in rows]


# ---------------------------------------------------------------------------------------------------------


def test_two_workers_on_postgresql_survive_a_lost_host(tmp_path):
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("RAJ_REQUIRE_POSTGRES=1 but RAJ_TEST_DATABASE_URL is not set")
        pytest.skip("RAJ_TEST_DATABASE_URL not set: no PostgreSQL")
    t_start = time.monotonic()
    timings: dict[str, float] = {}
    suffix = uuid.uuid4().hex[:10]
    prefect_db, app_db = f"e2e_prefect_{suffix}", f"e2e_app_{suffix}"
    _create_databases(prefect_db, app_db)
    app_url, app_plain = _url(app_db, "postgresql+psycopg"), _url(app_db, "postgresql")
    config_dir = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config_dir)
    rem = config_dir / "reminders.yaml"
    rem.write_text(re.sub(r"lease_seconds:\s*\d+", f"lease_seconds: {LEASE_SECONDS}", rem.read_text()))
    sink = SlowSink()
    home = tmp_path / "prefect-home"
    home.mkdir()
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RAJ_"))}
    prefect_env = {**base_env, **_quiet_env(home), "PREFECT_API_URL": api}
    started: list[tuple[subprocess.Popen, int, float]] = []
    workers: dict[str, subprocess.Popen] = {}
    logs: dict[str, Path] = {}

    def cli(*args: str, timeout: float = 120, **env) -> str:
        r = subprocess.run([*PREFECT, *args], env={**prefect_env, **env}, cwd=PROJECT_ROOT, capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, f"prefect {' '.join(args)} exited with {r.returncode}:\n{r.stdout}\n{r.stderr}"
        return r.stdout

    def trigger(deployment: str, **params) -> str:
        body = {"parameters": params} if params else {}
        dep = _api(f"{api}/deployments/name/{deployment}")
        return _api(f"{api}/deployments/{dep['id']}/create_flow_run", body)["id"]

    def run_of(run_id: str) -> dict:
        return _api(f"{api}/flow_runs/{run_id}")

    def state(run_id: str) -> str | None:
        r = run_of(run_id)
        return r["state"]["type"] if r.get("state") else None

    def wait_terminal(ids: list[str], timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        states = {}
        while time.monotonic() < deadline:
            states = {i: state(i) for i in ids}
            if all(s in TERMINAL for s in states.values()):
                return states
            time.sleep(1)
        pytest.fail(f"runs not finished after {timeout:.0f} s: {states}\n--- worker logs ---\n"
                    + "\n".join(f"[{n}]\n{_tail(p, 30)}" for n, p in logs.items()))

    def worker_of(pid: int) -> str | None:
        return next((n for n, w in workers.items() if pid in _descendants(w.pid)), None)

    def who_ran(run_id: str) -> list[str]:
        """The workers that submitted the run (a worker whose submission the server refused says so)."""
        out = []
        for n, p in logs.items():
            text = p.read_text(errors="replace")
            if text.count(f"submitting flow run '{run_id}'") > text.count(f"Aborted submission of flow run '{run_id}'"):
                out.append(n)
        return out

    def delete_scheduled_runs() -> None:
        for r in _api(f"{api}/flow_runs/filter", {}):
            req = urllib.request.Request(f"{api}/flow_runs/{r['id']}", method="DELETE")
            urllib.request.urlopen(req, timeout=10).close()

    def start_worker(name: str) -> None:
        """`prefect worker start --limit 1 --with-healthcheck` as `name`, its log in logs[name]; returns once
        its healthcheck answers 200."""
        hc = _free_port()
        env = {**prefect_env, "RAJ_DATABASE_URL": app_url, "RAJ_CONFIG_DIR": str(config_dir),
               "RAJ_DEMO_SINK": sink.url, "PREFECT_WORKER_QUERY_SECONDS": "2",
               "PREFECT_WORKER_WEBSERVER_HOST": "127.0.0.1", "PREFECT_WORKER_WEBSERVER_PORT": str(hc)}
        logs[name] = tmp_path / f"worker-{name}-{len(started)}.log"
        with open(logs[name], "wb") as log:
            w = subprocess.Popen([*PREFECT, "worker", "start", "--pool", "raj-pool", "--name", name, "--limit",
                                  "1", "--with-healthcheck"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True, cwd=tmp_path)
        started.append((w, signal.SIGINT, 20))
        workers[name] = w
        deadline = time.monotonic() + 60
        while True:
            assert w.poll() is None, f"worker {name} exited:\n{_tail(logs[name])}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{hc}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"worker {name}'s healthcheck never answered"
            time.sleep(0.5)

    try:
        _load_app(app_url, config_dir)
        # 1. the Prefect server on PostgreSQL, without the UI (docs/operations.md)
        server_env = {**base_env, **_quiet_env(home),
                      "PREFECT_SERVER_DATABASE_CONNECTION_URL": _url(prefect_db, "postgresql+asyncpg")}
        server_log = tmp_path / "server.log"
        with open(server_log, "wb") as log:
            server = subprocess.Popen([*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port),
                                       "--analytics-off", "--no-ui"], env=server_env, stdout=log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                      cwd=tmp_path)
        started.append((server, signal.SIGTERM, 15))
        _wait_healthy(api, server, server_log)
        timings["server healthy"] = time.monotonic() - t_start

        # 2. the pool, and every deployment with the automation (prefect.yaml's build step)
        cli("work-pool", "create", "raj-pool", "--type", "process")
        cli("--no-prompt", "deploy", "--all", RAJ_CHECKOUT=str(PROJECT_ROOT))
        automations = _api(f"{api}/automations/filter", {})
        assert sorted(a["name"] for a in automations) == ["raj-release: crash flow runs left pending by a lost worker",
                                                          "raj-release: crash flow runs whose heartbeats stopped"]
        assert {a["trigger"]["posture"] for a in automations} == {"Proactive"}
        for name in ("daily-sweep", "outbox-retry", "weekly-report"):
            dep = _api(f"{api}/deployments/name/{name}/{name}")
            assert dep["job_variables"] == {"stream_output": False,
                                            "env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30"}}
            # the schedules off for the test: only the runs it triggers
            for sch in dep["schedules"]:
                req = urllib.request.Request(f"{api}/deployments/{dep['id']}/schedules/{sch['id']}", method="DELETE")
                urllib.request.urlopen(req, timeout=10).close()
        delete_scheduled_runs()
        timings["pool + deploy"] = time.monotonic() - t_start

        # 3. two workers, a limit of 1 run each (a lost host then has one message in flight), with healthchecks
        for name in ("w1", "w2"):
            start_worker(name)
        timings["workers healthy"] = time.monotonic() - t_start

        # the server's schedulers may have made runs from the schedules just before they were deleted (its
        # recent-deployments loop runs every few seconds): none may run in the middle of the test
        delete_scheduled_runs()
        assert _api(f"{api}/flow_runs/filter", {}) == []

        # 4. three sweeps of the same day and three retries at once
        sink.delay = 0.1
        first = [trigger("daily-sweep/daily-sweep", as_of=DAY.isoformat()) for _ in range(3)]
        first += [trigger("outbox-retry/outbox-retry") for _ in range(3)]
        states = wait_terminal(first, 240)
        assert set(states.values()) == {"COMPLETED"}, states
        rows = _outbox(app_plain)
        assert rows and {r[3] for r in rows} == {"sent"}, Counter(r[3] for r in rows)
        assert len({r[0] for r in rows}) == len(rows)
        by_worker = Counter(w for i in first for w in who_ran(i))
        assert set(by_worker) == {"w1", "w2"}, f"runs were not spread: {by_worker}"
        n_first = len(rows)
        got = Counter(sink.received)
        assert all(got[(r[1], r[2])] >= 1 for r in rows), [r for r in rows if not got[(r[1], r[2])]]
        timings["phase 1 (6 runs)"] = time.monotonic() - t_start

        # 5. a worker killed alone (SIGKILL to it, not to its run): the run goes on in its own process and
        # ends COMPLETED, not CRASHED on a broken pipe (stream_output: false); the worker is started again
        _enqueue_batch(app_url, config_dir, 12, "alone")
        sink.delay = 0.4
        before = sink.count()
        alone = trigger("outbox-retry/outbox-retry")
        deadline = time.monotonic() + 120
        while True:
            r = run_of(alone)
            if r["state"]["type"] == "RUNNING" and r.get("infrastructure_pid") and sink.count() > before:
                break
            assert r["state"]["type"] not in TERMINAL and time.monotonic() < deadline, r["state"]
            time.sleep(0.2)
        orphan_worker = worker_of(r_pid(r))
        orphan = r_pid(r)
        os.kill(workers[orphan_worker].pid, signal.SIGKILL)
        workers[orphan_worker].wait(timeout=10)
        assert wait_terminal([alone], 120) == {alone: "COMPLETED"}, run_of(alone)["state"]
        deadline = time.monotonic() + 30
        while Path(f"/proc/{orphan}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)  # the orphaned flow-run process ends by itself
        start_worker(orphan_worker)
        timings["worker killed alone, run completed"] = time.monotonic() - t_start

        # 6. a lost host mid-delivery: a batch on a slow channel, a sweep of the next day and two retries
        _enqueue_batch(app_url, config_dir, 40, "lost")
        sink.delay = 0.5
        before = sink.count()
        second = [trigger("daily-sweep/daily-sweep", as_of=NEXT.isoformat()),
                  trigger("outbox-retry/outbox-retry"), trigger("outbox-retry/outbox-retry")]
        dep_names = {d["id"]: d["name"] for d in _api(f"{api}/deployments/filter", {})}
        victim_run = None
        deadline = time.monotonic() + 120
        while victim_run is None:
            assert time.monotonic() < deadline, f"no flow run was seen delivering: {[state(i) for i in second]}"
            time.sleep(0.2)
            if sink.count() < before + 2:
                continue
            runs, pending = {}, False  # flow-run process id -> run, of the runs going on
            for i in second:
                r = run_of(i)
                pending |= r["state"]["type"] == "PENDING"  # being handed to a worker: not a moment to lose one
                if r["state"]["type"] == "RUNNING" and r.get("infrastructure_pid"):
                    runs[int(str(r["infrastructure_pid"]).rsplit(":", 1)[-1])] = r
            if pending:
                continue
            candidates = [p for w in workers.values() for p in _descendants(w.pid)]
            holders = {_socket_owner(cp, candidates) for cp in _slot_holders(app_plain)} - {None}
            delivering = [r for top, r in runs.items() if holders & {top, *_descendants(top)}]
            # an outbox-retry if one is delivering: its deployment concurrency slot is then the one to be freed
            delivering.sort(key=lambda r: dep_names[r["deployment_id"]] != "outbox-retry")
            if not delivering:
                continue
            victim_top = r_pid(delivering[0])
            victim_worker = worker_of(victim_top)
            lost = set()  # every run going on on the lost host dies with it
            for i in second:
                r = run_of(i)
                if r["state"]["type"] == "RUNNING" and r.get("infrastructure_pid") and r_pid(r) in _descendants(
                        workers[victim_worker].pid):
                    lost.add(i)
            if delivering[0]["id"] in lost:  # (still going on: not finished in between)
                victim_run = delivering[0]
        done_before = {i for i in second if state(i) in TERMINAL}
        survivor = next(n for n in workers if n != victim_worker)
        _kill_tree(workers[victim_worker].pid)  # the worker and its flow-run processes: a lost host
        _kill_tree(victim_top)
        workers[victim_worker].wait(timeout=10)
        killed_at = time.monotonic()
        # a run its worker took (PENDING) just before the loss, whose process never started: made so through
        # the API (a weekly report scheduled far ahead, so that no worker picks it up, then set PENDING as a
        # worker does before it starts the run's process)
        dep = _api(f"{api}/deployments/name/weekly-report/weekly-report")
        never = _api(f"{api}/deployments/{dep['id']}/create_flow_run", {"state": {
            "type": "SCHEDULED", "state_details": {"scheduled_time": "2035-01-01T00:00:00+00:00"}}})["id"]
        assert _api(f"{api}/flow_runs/{never}/set_state", {"state": {"type": "PENDING"}})["status"] == "ACCEPT"
        pending_at = time.monotonic()
        delivered_at_kill = sink.count() - before
        assert 0 < delivered_at_kill <= 40, delivered_at_kill  # mid-delivery
        timings["killed"] = killed_at - t_start
        victim_dep = dep_names[victim_run["deployment_id"]]

        # the zombie automation marks the lost runs CRASHED within the heartbeat window (not left RUNNING)
        deadline = killed_at + ZOMBIE_WINDOW_S + 90
        while True:
            lost_states = {i: state(i) for i in lost}
            # (a run of the lost host may have completed in the instant before the kill)
            if lost_states[victim_run["id"]] == "CRASHED" and set(lost_states.values()) <= {"CRASHED", "COMPLETED"}:
                break
            assert set(lost_states.values()) <= {"RUNNING", "CRASHED", "COMPLETED"}, lost_states
            assert time.monotonic() < deadline, (
                f"{lost_states} {time.monotonic() - killed_at:.0f} s after the loss")
            time.sleep(2)
        timings["crashed after the loss"] = time.monotonic() - killed_at
        # the run left PENDING by the lost host is marked CRASHED by the second automation
        deadline = pending_at + PENDING_WINDOW_S + 90
        while state(never) == "PENDING":
            assert time.monotonic() < deadline, f"still PENDING {time.monotonic() - pending_at:.0f} s after"
            time.sleep(2)
        assert state(never) == "CRASHED", run_of(never)["state"]
        timings["pending run crashed"] = time.monotonic() - pending_at

        # the other runs, then a later retry, done by the survivor
        later = trigger("outbox-retry/outbox-retry")
        others = [i for i in second if i not in lost]
        states = wait_terminal([*others, later], 240)
        assert set(states.values()) == {"COMPLETED"}, states
        for i in [*others, later]:
            if i not in done_before:
                assert who_ran(i) == [survivor], (i, who_ran(i))
        # the in-flight message's lease has expired by now; one more retry if it was not picked up yet
        rows = _outbox(app_plain)
        if {r[3] for r in rows} != {"sent"}:
            extra = trigger("outbox-retry/outbox-retry")
            assert wait_terminal([extra], 120) == {extra: "COMPLETED"}
            assert who_ran(extra) == [survivor]
            rows = _outbox(app_plain)
        timings["all delivered"] = time.monotonic() - t_start

        # nothing lost, at most one duplicate, nothing left RUNNING
        assert {r[3] for r in rows} == {"sent"}, Counter(r[3] for r in rows)
        got = Counter(sink.received)
        expected = Counter((r[1], r[2]) for r in rows)
        missing = [k for k in expected if got[k] < expected[k]]
        assert not missing, f"lost: {missing}"
        twice = sum(got[k] - expected[k] for k in expected if got[k] > expected[k])
        assert twice <= 1, f"{twice} messages delivered twice"
        assert len(rows) >= n_first + 12 + 40  # the batches (and the next day's reminders, unless their sweep was lost)
        all_runs = _api(f"{api}/flow_runs/filter", {})
        left = [(r["name"], r["state"]["type"]) for r in all_runs if r["state"]["type"] not in TERMINAL]
        assert not left, left
        print(f"\nvictim: {victim_dep} run on {victim_worker} after {delivered_at_kill} deliveries; "
              f"duplicates {twice}")
    finally:
        t = time.monotonic()
        sink.stop()
        for w in workers.values():  # flow-run processes first: they run in their own sessions
            for p in _descendants(w.pid):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for proc, sig, grace in reversed(started):
            _stop(proc, sig, grace)
        _drop_databases(prefect_db, app_db)
        timings["stop"] = time.monotonic() - t
        timings["total"] = time.monotonic() - t_start
        print("workers e2e: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
