"""Crash safety of outbox delivery: a deliverer killed with SIGKILL at random moments loses nothing and
re-sends at most the message it had in flight (DESIGN.md "Nothing lost"; services/outbox.py).

A child process runs the project's deliver() on a SQLite file, towards an HTTP endpoint run by the test that
records every request's title (unique per message) and answers slowly, so that kills land mid-delivery.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from raj_release.config import load_config
from raj_release.reminders.messages import Message
from raj_release.reminders.policy import DeliveryPolicy
from raj_release.services import outbox
from raj_release.services.context import Context
from raj_release.services.workers import ensure_organisation, register_worker
from raj_release.settings import PROJECT_ROOT, Settings
from raj_release.store import models as m
from raj_release.store.db import Database
from raj_release.store.migrate import upgrade

pytestmark = pytest.mark.slow

N_MESSAGES = 240  # enough that the kills land while messages are still pending, even on a fast machine
MIN_KILLS = 20
ENDPOINT_DELAY = 0.02  # seconds per request
LEASE = 1  # seconds; the test waits a bit longer than this after each kill
SEED = 20261123

# The child: the project's own deliver() on the test's database and config folder. It says "ready" once its
# imports are done, so that the random delay before the kill is spent delivering, not importing.
CHILD = r"""
import dataclasses, json, sys
from pathlib import Path
from raj_release.config import load_config
from raj_release.services.context import Context
from raj_release.services.outbox import deliver
from raj_release.settings import Settings
from raj_release.store.db import Database

url, folder, lease = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
cfg = load_config(folder)
if cfg.reminders.delivery.lease_seconds != lease:  # below what reminders.yaml accepts: set for the test
    rem = cfg.reminders
    cfg = dataclasses.replace(cfg, reminders=rem.model_copy(
        update={"delivery": rem.delivery.model_copy(update={"lease_seconds": lease})}))
ctx = Context(db=Database(url), config=cfg, settings=Settings(database_url=url, config_dir=folder))
# warm up what the first delivery would otherwise do slowly: the database connection, apprise's plugins
with ctx.db.engine.connect():
    pass
import apprise
apprise.Apprise().add("json://127.0.0.1:9/warm-up")
print("ready", flush=True)
report = deliver(ctx)
print(json.dumps(report.as_json()), flush=True)
"""


class SlowRecorder:
    """Records the title of every POST as soon as it arrives, then answers after ENDPOINT_DELAY."""

    def __init__(self) -> None:
        self.titles: list[str] = []
        self.lock = threading.Lock()
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with rec.lock:
                    rec.titles.append(json.loads(raw)["title"])
                time.sleep(ENDPOINT_DELAY)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:  # the deliverer was killed while waiting for the answer
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a killed client is expected here
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self.lock:
            return len(self.titles)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    rec = SlowRecorder()
    yield rec
    rec.stop()


def _smallest_lease_accepted() -> int:
    """LEASE if reminders.yaml accepts it, else the smallest lease it accepts (the child then sets LEASE)."""
    for v in range(LEASE, 3601):
        try:
            DeliveryPolicy(lease_seconds=v)
            return v
        except ValidationError:
            continue
    raise AssertionError("no lease accepted")


@pytest.fixture
def setup(tmp_path, endpoint):
    """A SQLite file with N pending messages for one worker whose channel is the endpoint."""
    folder = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", folder)
    lease_in_file = _smallest_lease_accepted()
    (folder / "reminders.yaml").write_text(
        "version: 1\n"
        "delivery:\n"
        "  max_attempts: 50\n"
        "  backoff_first_seconds: 1\n"
        "  backoff_max_seconds: 2\n"
        f"  lease_seconds: {lease_in_file}\n"
        "  timeout_seconds: 5\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'raj.db'}"
    db = Database(url)
    upgrade(db)
    ctx = Context(db=db, config=load_config(folder.resolve()), settings=Settings(database_url=url, config_dir=folder))
    ensure_organisation(ctx)
    register_worker(ctx, "as.crash", "AS Crash", "as", "fr", [f"json://127.0.0.1:{endpoint.port}/hook"])
    day = dt.date(2027, 3, 8)
    msgs = [Message("as.crash", "as", "digest", "fr", f"crash-{i:03d}", f"message {i}\n", (), day, f"crash-{i:03d}")
            for i in range(N_MESSAGES)]
    with ctx.db.transaction() as s:
        assert len(outbox.enqueue(s, ctx, msgs)) == N_MESSAGES
    yield ctx, url, folder
    db.dispose()


def start_child(url: str, folder: Path, cwd: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAJ_")}
    return subprocess.Popen([sys.executable, "-c", CHILD, url, str(folder), str(LEASE)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_ready(p: subprocess.Popen) -> None:
    line = p.stdout.readline()
    if line.strip() != b"ready":
        p.kill()
        p.wait()
        pytest.fail(f"the child did not start: {line!r} {p.stderr.read().decode()[-2000:]}")


def test_kill_the_deliverer_at_random_moments(setup, endpoint, tmp_path):
    ctx, url, folder = setup
    rng = random.Random(SEED)
    started = time.monotonic()
    kills = 0
    mid_delivery = 0  # kills after which the endpoint had received something from that child
    timeline = []  # (delay before the kill, requests received from that child)
    p = None
    try:
        while kills < MIN_KILLS:
            assert time.monotonic() - started < 75, "too slow: the kill phase must stay well under 90 s"
            p = start_child(url, folder, tmp_path)
            wait_ready(p)
            before = endpoint.count()
            delay = rng.uniform(0.01, 0.3)
            time.sleep(delay)
            if p.poll() is not None:  # it finished everything before the kill: nothing left to test
                pytest.fail(f"the child finished before being killed ({kills} kills): raise N_MESSAGES")
            p.send_signal(signal.SIGKILL)
            p.wait()
            p.stdout.close()
            p.stderr.close()
            assert p.returncode == -signal.SIGKILL
            kills += 1
            mid_delivery += endpoint.count() > before
            timeline.append((round(delay, 3), endpoint.count() - before))
            time.sleep(LEASE + 0.1)  # let the dead child's lease expire
    finally:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()
    assert mid_delivery >= MIN_KILLS // 2, f"the kills should land while delivering: {timeline}"
    with ctx.db.transaction() as s:
        pending_after_kills = s.scalar(sa.select(sa.func.count()).where(m.OutboxMessage.status == "pending"))
    assert pending_after_kills > 0  # the last child has real work to do

    # a last child runs to completion
    final = subprocess.run([sys.executable, "-c", CHILD, url, str(folder), str(LEASE)], cwd=tmp_path,
                           env={k: v for k, v in os.environ.items() if not k.startswith("RAJ_")},
                           capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    report = json.loads(final.stdout.splitlines()[-1])
    assert report["dead"] == 0 and report["retried"] == 0, report

    # every message delivered at least once, all recorded as sent
    titles = collections.Counter(endpoint.titles)
    expected = {f"crash-{i:03d}" for i in range(N_MESSAGES)}
    assert set(titles) == expected, f"missing: {sorted(expected - set(titles))[:10]}"
    with ctx.db.transaction() as s:
        rows = s.execute(sa.select(m.OutboxMessage.subject, m.OutboxMessage.status, m.OutboxMessage.lease_until,
                                   m.OutboxMessage.delivered)).all()
    assert len(rows) == N_MESSAGES
    assert {r.status for r in rows} == {"sent"}
    assert all(r.lease_until is None and len(r.delivered) == 1 for r in rows)
    # at most the message in flight is sent again after each kill
    duplicates = sum(n - 1 for n in titles.values())
    assert duplicates <= kills, f"{duplicates} duplicate deliveries for {kills} kills: {titles.most_common(5)}"
    assert time.monotonic() - started < 90
