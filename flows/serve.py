"""`raj serve`: the flows on cron schedules on one machine.

Prefect's ephemeral API does not run the scheduler (shared/STACK_NOTES.md §3), so this starts a real
`prefect server start` as a child process with its own SQLite under var/prefect (separate from the app's
database), waits for its health check, serves the three deployments with Europe/Brussels cron schedules,
and stops the server when it is interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from raj_release.services import open_context


def quiet_prefect_env(home: Path) -> dict[str, str]:
    """Environment for a Prefect of our own: its home under var/, the UI files the server prepares at start
    under it too (by default Prefect writes them into the virtualenv's site-packages), no telemetry,
    patient startup."""
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_UI_STATIC_DIRECTORY": str(home / "ui"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    }


def wait_healthy(api_url: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with code {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"prefect server at {api_url} not healthy after {timeout:.0f} s")


def start_server(host: str, port: int, home: Path, log_path: Path, ui: bool = True) -> subprocess.Popen:
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **quiet_prefect_env(home)}
    env.pop("PREFECT_API_URL", None)
    log = open(log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
    return subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port),
         "--analytics-off", *([] if ui else ["--no-ui"])], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)


def stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


GRACE_SECONDS = 45  # after Ctrl-C, Prefect's own shutdown gets this long; then the server is stopped and we exit


def _exit_after(proc: subprocess.Popen, seconds: float, print_fn) -> None:
    """A deadline for the graceful stop: whatever Prefect's shutdown still waits on after `seconds` (an API
    call to a server going down, events it cannot send any more), the server is stopped and the process
    ends, so that Ctrl-C always stops `raj serve`."""
    def force() -> None:
        print_fn(f"Prefect did not stop within {seconds:.0f} s: stopping the server and leaving.")
        stop(proc, timeout=5)
        sys.stdout.flush()
        os._exit(130)

    timer = threading.Timer(seconds, force)
    timer.daemon = True
    timer.start()


def run(host: str = "127.0.0.1", port: int = 4200, var_dir: Path = Path("var"), print_fn=print,
        ui: bool = True) -> None:
    ctx = open_context()  # validates the configuration before anything starts
    sched = ctx.config.reminders.schedule
    home = (var_dir / "prefect").resolve()
    api = f"http://{host}:{port}/api"
    print_fn(f"Starting the Prefect server (its database: {home / 'prefect.db'}) ...")
    proc = start_server(host, port, home, var_dir.resolve() / "prefect-server.log", ui=ui)

    armed = []

    def _term(_signo, _frame):
        if not armed:  # the first Ctrl-C or SIGTERM starts the deadline; Prefect then shuts down as it does
            armed.append(True)
            _exit_after(proc, GRACE_SECONDS, print_fn)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, _term)
    try:
        wait_healthy(api, proc=proc)
        os.environ.update(quiet_prefect_env(home))
        os.environ["PREFECT_API_URL"] = api
        # Prefect reads its settings when first imported: only now that the environment points at our server
        from prefect import serve
        from prefect.schedules import Cron

        from flows.jobs import daily_sweep, outbox_retry, weekly_report

        deployments = [
            daily_sweep.to_deployment(name="daily-sweep", schedule=Cron(sched.daily_sweep_cron, timezone=sched.timezone)),
            outbox_retry.to_deployment(name="outbox-retry",
                                       schedule=Cron(sched.outbox_retry_cron, timezone=sched.timezone)),
            weekly_report.to_deployment(name="weekly-report",
                                        schedule=Cron(sched.weekly_report_cron, timezone=sched.timezone)),
        ]
        print_fn(f"Prefect UI: http://{host}:{port}  ·  API: {api}" if ui else f"Prefect API: {api} (no UI)")
        print_fn(f"Daily sweep: '{sched.daily_sweep_cron}', outbox retry: '{sched.outbox_retry_cron}', weekly "
                 f"report: '{sched.weekly_report_cron}' ({sched.timezone}). Ctrl-C stops everything.")
        serve(*deployments)
    except KeyboardInterrupt:
        pass
    finally:
        print_fn("Stopping the Prefect server ...")
        stop(proc)
        sys.stdout.flush()
