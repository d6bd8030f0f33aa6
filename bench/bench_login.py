"""Failed logins must not slow the app down for others (issue 9).

    .venv/bin/python bench/bench_login.py            # 6 flooding clients, 20 s of flood
    .venv/bin/python bench/bench_login.py --clients 6 --seconds 10

`raj web` runs as its own process on a fresh SQLite database with a few fictitious accounts. An httpx
client times another user's `/api/me` (a personal token) while nothing else happens (the baseline, in the
same run), then while N clients post failed logins as fast as they can, each for its own account names (so
that the per-account slowing alone would not stop them: the per-address one must). Prints p50 and p95 of
both, the ratio, how many login posts were answered and how many were slowed (429). Target: p50 under the
flood within 3x the idle p50. Everything runs on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import raj_web  # noqa: E402

PASSWORD = "une phrase assez longue"


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]


def timed_me(base: str, token: str, n: int, stop: threading.Event | None = None) -> list[float]:
    out = []
    with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}) as c:
        for _ in range(n):
            if stop is not None and stop.is_set():
                break
            t = time.perf_counter()
            assert c.get("/api/me").status_code == 200
            out.append((time.perf_counter() - t) * 1000)
            time.sleep(0.02)
    return out


def flood(base: str, i: int, stop: threading.Event, counts: dict) -> None:
    with httpx.Client(base_url=base, timeout=30) as c:
        n = 0
        while not stop.is_set():
            page = c.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            r = c.post("/login", data={"username": f"guess.{i}.{n % 50}", "password": "not the password",
                                       "csrf": csrf})
            counts[r.status_code] = counts.get(r.status_code, 0) + 1
            n += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("-n", type=int, default=200, help="/api/me requests timed idle")
    args = ap.parse_args()
    print("== raj-release: failed logins against the others' requests ==")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPU; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    work = Path(tempfile.mkdtemp(prefix="raj-bench-login-"))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RAJ_")},
           "RAJ_DATABASE_URL": f"sqlite:///{work / 'login.db'}", "RAJ_SECRET_KEY": "bench"}

    def raj(*a, stdin=None):
        return subprocess.run([sys.executable, "-m", "raj_release.cli", *a], env=env, cwd=work, check=True,
                              capture_output=True, text=True, input=stdin)

    raj("init")
    raj("worker", "add", "as.bench", "--name", "AS fictive", "--role", "as")
    raj("user", "set-password", "as.bench", "--password-stdin", stdin=PASSWORD + "\n")
    token = re.search(r"(raj_\S+)", raj("token", "create", "as.bench", "--name", "bench").stdout).group(1)
    with raj_web(env, work) as (base, _server):
        timed_me(base, token, 20)  # warm-up
        idle = timed_me(base, token, args.n)
        stop, counts = threading.Event(), {}
        threads = [threading.Thread(target=flood, args=(base, i, stop, counts), daemon=True)
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(1)  # the flood is under way
        timer = threading.Timer(args.seconds, stop.set)
        timer.start()
        loaded = timed_me(base, token, 10**6, stop)
        for t in threads:
            t.join(timeout=30)
    i50, l50 = statistics.median(idle), statistics.median(loaded)
    print(f"/api/me idle: p50 {i50:.1f} ms, p95 {p95(idle):.1f} ms ({len(idle)} requests)")
    print(f"/api/me under {args.clients} clients posting failed logins: p50 {l50:.1f} ms, p95 {p95(loaded):.1f} ms "
          f"({len(loaded)} requests)")
    print(f"login posts answered: {sum(counts.values())} ({counts.get(401, 0)} refused as wrong, "
          f"{counts.get(429, 0)} slowed down)")
    ratio = l50 / i50
    print(f"ratio p50 flood/idle: {ratio:.2f}x; target <= 3x: {'MET' if ratio <= 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
