"""`raj serve` end to end: it starts its own `prefect server start`, serves the three deployments on their
cron schedules (Europe/Brussels), says where the UI is, and stops everything on Ctrl-C (SIGINT).

Like test_prefect_deploy.py, this module does not import prefect; it talks to the server over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict) -> list:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def _healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _processes_with(fragment: str) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if fragment in cmd:
                out.append(int(d.name))
    return out


def test_raj_serve_runs_the_schedules_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAJ_", "PREFECT_"))}
    env["RAJ_DATABASE_URL"] = f"sqlite:///{tmp_path / 'raj.db'}"
    subprocess.run([sys.executable, "-m", "raj_release.cli", "init"], env=env, cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        serve = subprocess.Popen([sys.executable, "-m", "raj_release.cli", "serve", "--port", str(port)],
                                 env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        deployments = []
        while time.monotonic() < deadline:
            assert serve.poll() is None, f"raj serve exited early:\n{log.read_text()}"
            if "Prefect UI: http://127.0.0.1:" in log.read_text() and _healthy(api):
                deployments = _post(f"{api}/deployments/filter", {})
                if len(deployments) == 3:
                    break
            time.sleep(1)
        text = log.read_text()
        assert f"Prefect UI: http://127.0.0.1:{port}" in text, text
        assert (tmp_path / "var" / "prefect").is_dir()  # the server's own home, not the app's database
        # the UI files the server prepares live in its home, not in the virtualenv (issue 13 point 5)
        assert list((tmp_path / "var" / "prefect" / "ui").glob("*/index.html")), text
        schedules = {d["name"]: [s["schedule"] for s in d["schedules"]] for d in deployments}
        assert set(schedules) == {"daily-sweep", "outbox-retry", "weekly-report"}, text
        assert schedules["daily-sweep"] == [{**schedules["daily-sweep"][0], "cron": "30 7 * * 1-5",
                                             "timezone": "Europe/Brussels"}]
        assert schedules["outbox-retry"][0]["cron"] == "*/15 * * * *"
        assert schedules["weekly-report"][0]["cron"] == "0 8 * * 1"
        # Ctrl-C: raj serve stops serving and stops the Prefect server it started
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=90)
        assert not _healthy(api)
        assert _processes_with(f"--port {port}") == []
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        for pid in _processes_with(f"--port {port}"):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
