"""A local HTTP endpoint that records what it receives (for the demo and the tests).

It answers every POST with 200 and appends {"path", "payload"} as one JSON line to `out/received.jsonl`.
It binds 127.0.0.1 only. Apprise's json:// channel posts {"title", "message", ...} to it.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(BaseHTTPRequestHandler):
    server: _SinkServer

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            payload = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            payload = {"raw": raw.decode("utf-8", "replace")}
        with self.server.lock, open(self.server.out_file, "a", encoding="utf-8") as f:
            f.write(json.dumps({"path": self.path, "payload": payload}, ensure_ascii=False) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args) -> None:  # keep quiet: no request lines on stderr
        pass


class _SinkServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, out_dir: Path) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_file = out_dir / "received.jsonl"
        self.lock = threading.Lock()


@contextmanager
def running_sink(out_dir: Path, port: int = 0):
    """Start the sink on a free loopback port (or `port`); yields (base json:// URL, received file)."""
    srv = _SinkServer(port, Path(out_dir))
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"json://127.0.0.1:{srv.server_address[1]}", srv.out_file
    finally:
        srv.shutdown()
        srv.server_close()


def read_received(path: Path) -> list[dict]:
    if not Path(path).exists():
        return []
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
