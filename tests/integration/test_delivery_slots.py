"""The one concurrency policy of delivery (issue 13 point 3): whatever runs it, at most `deliverers`
deliveries at once through slots held in the app's database; a slot is freed the moment its holder dies.

The deliverers send to a real loopback HTTP endpoint that counts the requests in flight at once.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from raj_release.reminders.messages import Message
from raj_release.services.outbox import deliver_in_turn, enqueue, outbox_counts
from raj_release.services.workers import register_worker
from raj_release.store.slots import slot

DAY = dt.date(2026, 11, 23)


class CountingEndpoint:
    """Answers each POST after `delay` s; records the most requests it had in flight at once."""

    def __init__(self, delay: float) -> None:
        self.lock = threading.Lock()
        self.in_flight = self.most = self.received = 0
        ep = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with ep.lock:
                    ep.in_flight += 1
                    ep.most = max(ep.most, ep.in_flight)
                time.sleep(delay)
                with ep.lock:
                    ep.in_flight -= 1
                    ep.received += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/w"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    ep = CountingEndpoint(delay=0.02)
    yield ep
    ep.stop()


def _enqueue(c, n: int, url: str) -> None:
    register_worker(c, "as.slots", "AS Fictive", "as", "fr", [url])
    msgs = [Message("as.slots", "as", "digest", "fr", f"Rappels ({i})", "fictif", (), DAY, f"slots-{i}")
            for i in range(n)]
    with c.db.transaction() as s:
        enqueue(s, c, msgs)


def test_four_deliverers_at_once_never_more_than_two_deliver_and_each_message_goes_once(ctx, endpoint):
    _enqueue(ctx, 60, endpoint.url)
    reports = [None] * 4

    def run(i: int) -> None:
        reports[i] = deliver_in_turn(ctx, deliverers=2, wait_seconds=30, now=lambda: dt.datetime.now(dt.UTC))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert endpoint.most <= 2, f"{endpoint.most} deliveries in flight at once"
    assert endpoint.received == 60
    assert sum(r.sent for r in reports if r is not None) == 60
    assert outbox_counts(ctx)["sent"] == 60


def test_a_run_finding_every_slot_taken_ends_without_delivering_then_delivers_once_one_is_free(ctx, endpoint):
    _enqueue(ctx, 3, endpoint.url)
    clock = {"now": lambda: dt.datetime.now(dt.UTC)}
    with slot(ctx.db.engine, "raj-delivery", 2, 0) as a, slot(ctx.db.engine, "raj-delivery", 2, 0) as b:
        assert sorted([a, b]) == [0, 1]
        t = time.monotonic()
        assert deliver_in_turn(ctx, deliverers=2, wait_seconds=0.6, **clock) is None
        assert 0.5 <= time.monotonic() - t < 10
        assert endpoint.received == 0
    report = deliver_in_turn(ctx, deliverers=2, wait_seconds=0, **clock)
    assert report is not None and report.sent == 3 and endpoint.received == 3


def _search_path(c) -> str:
    with c.db.reading() as s:
        return s.scalar(sa.text("SELECT current_schema()"))


def test_a_slot_whose_holder_is_killed_is_free_at_once(ctx, backend, tmp_path):
    url = ctx.db.url
    schema = _search_path(ctx) if backend == "postgresql" else None
    holder = subprocess.Popen([sys.executable, "-c", f"""
import time
from raj_release.store.db import Database
from raj_release.store.slots import slot
schema = {schema!r}
db = Database({url!r}, **({{"connect_args": {{"options": f"-csearch_path={{schema}}"}}}} if schema else {{}}))
with slot(db.engine, "raj-delivery", 1, 0) as got:
    print("held", got, flush=True)
    time.sleep(120)
"""], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = holder.stdout.readline()
        assert line.split() == ["held", "0"], line
        with slot(ctx.db.engine, "raj-delivery", 1, 0) as got:
            assert got is None  # taken by the other process
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        t = time.monotonic()
        with slot(ctx.db.engine, "raj-delivery", 1, 10) as got:
            assert got == 0
        assert time.monotonic() - t < 5
    finally:
        if holder.poll() is None:
            os.killpg(holder.pid, signal.SIGKILL)
            holder.wait(timeout=10)
        holder.stdout.close()
