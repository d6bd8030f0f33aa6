"""The documented multi-host path (prefect.yaml), end to end on this machine, with real processes:

    prefect server start  ->  prefect work-pool create raj-pool --type process
    ->  prefect --no-prompt deploy --name daily-sweep   (the repository's prefect.yaml, RAJ_CHECKOUT set)
    ->  prefect worker start --pool raj-pool  ->  prefect deployment run 'daily-sweep/daily-sweep'

The run executes in a subprocess of the worker, against a SQLite database loaded with the fictitious demo,
and delivers to a local JSON sink running in this test process. Takes 30-60 s on 2 cores (a fresh Prefect
database migrates at server start). Every process started here binds 127.0.0.1 on a free port, runs in its
own process group and is stopped in `finally`: the worker with SIGINT (it ignores SIGTERM,
shared/STACK_NOTES.md §3), the server with SIGTERM, then SIGKILL to the whole group if needed.

This module must not import prefect: it is collected before tests/flows/conftest.py sets Prefect's quiet
test settings, which only apply if prefect is not imported yet. It talks to the server through the CLI and
its REST API.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zoneinfo
from pathlib import Path

import pytest

from raj_release.notify.sink import read_received, running_sink
from raj_release.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

DAY = dt.date(2026, 11, 23)  # a Monday
RUN_TIMEOUT_S = 180
PREFECT = [sys.executable, "-m", "prefect"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _quiet_env(home: Path) -> dict[str, str]:
    """What flows/serve.quiet_prefect_env sets (copied, not imported: flows/ may import prefect one day)."""
    return {"PREFECT_HOME": str(home), "PREFECT_UI_STATIC_DIRECTORY": str(home / "ui"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
            "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore"}


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def _api(url: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def _wait_healthy(api: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"prefect server exited with {proc.returncode}:\n{_tail(log)}"
        try:
            if _api(f"{api}/health") is True:
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"prefect server not healthy after {timeout:.0f} s:\n{_tail(log)}")


def _build_demo_database(path: Path) -> None:
    """`raj init` then `raj demo --today DAY`, in process, with the audit clock fixed on DAY 07:00 UTC."""
    from raj_release.config import load_config
    from raj_release.services.context import Context
    from raj_release.services.demo import load_demo
    from raj_release.services.workers import ensure_organisation
    from raj_release.settings import Settings
    from raj_release.store.db import Database
    from raj_release.store.migrate import upgrade

    url = f"sqlite:///{path}"
    db = Database(url)
    t = [dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)]

    def clock() -> dt.datetime:
        t[0] += dt.timedelta(milliseconds=1)
        return t[0]

    try:
        upgrade(db)
        ctx = Context(db=db, config=load_config(PROJECT_ROOT / "config"),
                      settings=Settings(database_url=url, config_dir=PROJECT_ROOT / "config"), now=clock)
        ensure_organisation(ctx)
        load_demo(ctx, DAY)
    finally:
        db.dispose()


def _outbox(path: Path) -> list[tuple]:
    import sqlite3

    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT recipient, role, kind, subject, status, day FROM outbox").fetchall()
    finally:
        con.close()


def _stop(proc: subprocess.Popen, sig: int, timeout: float) -> None:
    """`sig` to the process group, SIGKILL to the group after `timeout` s; never raises."""
    try:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left in the group (the flow-run subprocess, ...)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def test_daily_sweep_deployed_from_prefect_yaml_runs_on_a_process_worker(tmp_path):
    t_start = time.monotonic()
    timings: dict[str, float] = {}
    home = tmp_path / "prefect-home"
    home.mkdir()
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RAJ_"))}
    prefect_env = {**base_env, **_quiet_env(home), "PREFECT_API_URL": api}
    db_path = tmp_path / "raj.db"
    _build_demo_database(db_path)
    server_log, worker_log = tmp_path / "server.log", tmp_path / "worker.log"
    started: list[tuple[subprocess.Popen, int, float]] = []  # (process, stop signal, grace seconds)

    def cli(*args: str, timeout: float = 120, **env) -> str:
        r = subprocess.run([*PREFECT, *args], env={**prefect_env, **env}, cwd=PROJECT_ROOT, capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, f"prefect {' '.join(args)} exited with {r.returncode}:\n{r.stdout}\n{r.stderr}"
        return r.stdout

    try:
        # 1. the server: its own home and SQLite database under tmp_path
        server_env = {**base_env, **_quiet_env(home)}
        with open(server_log, "wb") as log:
            server = subprocess.Popen([*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port),
                                       "--analytics-off"], env=server_env, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True, cwd=tmp_path)
        started.append((server, signal.SIGTERM, 15))
        _wait_healthy(api, server, server_log)
        timings["server healthy"] = time.monotonic() - t_start

        # 2. the work pool and the deployment, from the repository's prefect.yaml (only the daily sweep)
        t = time.monotonic()
        cli("work-pool", "create", "raj-pool", "--type", "process")
        out = cli("--no-prompt", "deploy", "--name", "daily-sweep", RAJ_CHECKOUT=str(PROJECT_ROOT))
        assert "daily-sweep/daily-sweep" in out, out
        timings["pool + deploy"] = time.monotonic() - t
        dep = _api(f"{api}/deployments/name/daily-sweep/daily-sweep")
        assert dep["entrypoint"] == "flows/jobs.py:daily_sweep"
        assert dep["work_pool_name"] == "raj-pool"
        assert dep["pull_steps"] == [{"prefect.deployments.steps.set_working_directory":
                                      {"directory": str(PROJECT_ROOT)}}]  # "{{ $RAJ_CHECKOUT }}" resolved
        assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in dep["schedules"]] == [
            ("30 7 * * 1-5", "Europe/Brussels")]
        others = _api(f"{api}/deployments/filter", {})
        assert [d["name"] for d in others] == ["daily-sweep"]  # --name selected one deployment of three

        # 3. a worker whose environment carries the app's settings, and the sink it delivers to
        with running_sink(tmp_path / "sink") as (sink_url, received):
            worker_env = {**prefect_env, "RAJ_DATABASE_URL": f"sqlite:///{db_path}", "RAJ_DEMO_SINK": sink_url,
                          "PREFECT_WORKER_QUERY_SECONDS": "2"}
            with open(worker_log, "wb") as log:
                worker = subprocess.Popen([*PREFECT, "worker", "start", "--pool", "raj-pool"], env=worker_env,
                                          stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True, cwd=tmp_path)
            started.append((worker, signal.SIGINT, 20))

            # 4. a manual run (as an operator would), then wait for it to finish
            t = time.monotonic()
            out = cli("deployment", "run", "daily-sweep/daily-sweep", "--param", f"as_of={DAY.isoformat()}")
            m = re.search(r"UUID:\s*([0-9a-f-]{36})", out)
            assert m, out
            run_id = m.group(1)
            deadline = time.monotonic() + RUN_TIMEOUT_S
            state = None
            while time.monotonic() < deadline:
                assert worker.poll() is None, f"worker exited with {worker.returncode}:\n{_tail(worker_log)}"
                run = _api(f"{api}/flow_runs/{run_id}")
                state = run["state"]["type"] if run.get("state") else None
                if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                    break
                time.sleep(1)
            timings["run (trigger to completed)"] = time.monotonic() - t
            assert state == "COMPLETED", (f"flow run {run_id} ended {state!r} after {RUN_TIMEOUT_S} s at most:\n"
                                          f"--- worker log ---\n{_tail(worker_log, 80)}")
            assert run["parameters"] == {"as_of": DAY.isoformat()}
            got = read_received(received)

        # 5. the reminders of the day went to the sink, each on its recipient's channel
        rows = _outbox(db_path)
        todays = [r for r in rows if r[2] in ("digest", "escalation", "partner", "partner_date") and r[5] == DAY.isoformat()]
        assert todays, rows
        assert {r[4] for r in rows} == {"sent"}
        assert len(got) == len(rows)
        received_pairs = {(x["path"], x["payload"]["title"]) for x in got}
        for recipient, role, _kind, subject, _status, _day in todays:
            assert (f"/{'partners' if role == 'partner' else 'workers'}/{recipient}", subject) in received_pairs

        # 6. the cron schedule of prefect.yaml produced scheduled runs at 07:30 in Brussels, on working days
        scheduled = []
        deadline = time.monotonic() + 30
        while not scheduled and time.monotonic() < deadline:
            scheduled = _api(f"{api}/flow_runs/filter", {
                "deployments": {"id": {"any_": [dep["id"]]}},
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}})
            if not scheduled:
                time.sleep(1)
        assert scheduled, "the server's scheduler created no run from the deployment's cron schedule"
        brussels = zoneinfo.ZoneInfo("Europe/Brussels")
        for r in scheduled:
            when = dt.datetime.fromisoformat(r["expected_start_time"]).astimezone(brussels)
            assert (when.hour, when.minute, when.weekday() < 5) == (7, 30, True), when
    finally:
        t = time.monotonic()
        for proc, sig, grace in reversed(started):  # the worker first, then the server
            _stop(proc, sig, grace)
        timings["stop"] = time.monotonic() - t
        timings["total"] = time.monotonic() - t_start
        print("prefect deploy e2e: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))

    left = [p.pid for p, _, _ in started if _group_alive(p.pid)]
    assert not left, f"process groups still alive after stopping: {left}"
