"""Benchmark of the web workspace through HTTP, on ~1,000,000 démarches in 20 organisations (SQLite).

    .venv/bin/python bench/bench_web.py                  # 33,000 persons, 20 organisations x 24 binômes
    .venv/bin/python bench/bench_web.py --persons 5000   # smaller, quicker

The database is built like bench_sweep.py's (pure planner + executemany, cached under var/bench/), with 20
organisations of 24 binômes, so that a worker has about a thousand open démarches. `raj web` runs as its
own process on a copy of it; an httpx client on loopback logs in and times, each N times:
- the coordinators' dashboard of one organisation, and a worker's "my week" (target p95 < 300 ms);
- a drill-down of the dashboard (one worker's overdue démarches, second page of the list);
- the calendar feed of the worker with the most open démarches (target p95 < 200 ms for 1,000), as a
  calendar client polls it: the first request after the server starts (nothing kept yet), then repeated
  requests (the VTODOs of unchanged démarches are reused), then a conditional request answered 304;
- in-process, the feed built from nothing each time (its VTODO cache cleared before each build);
- baseline, in the same run: the login page (a template, no database), through the same server.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_sweep  # noqa: E402
from _server import copy_for_web, raj_web  # noqa: E402

DAY = "2026-11-23"
PASSWORD = "une phrase assez longue"


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]


def timed(client: httpx.Client, url: str, n: int, expect: int = 200) -> tuple[list[float], int]:
    out, size = [], 0
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(url)
        out.append((time.perf_counter() - t) * 1000)
        if r.status_code != expect:
            raise SystemExit(f"{url}: {r.status_code}, expected {expect}")
        size = len(r.content)
    return out, size


def feed_from_nothing(db: Path, worker: str, n: int) -> list[float]:
    """The feed built in-process with its VTODO cache emptied before each build: what a feed costs when
    none of its démarches has been served before (after a restart, or all of them changed)."""
    from raj_release.services import feeds
    from raj_release.services.context import open_context

    ctx = open_context(database_url=f"sqlite:///{db}", config_dir=bench_sweep.CONFIG_DIR)
    out = []
    for _ in range(n):
        feeds._component.cache_clear()
        t = time.perf_counter()
        feeds.calendar_feed(ctx, worker)
        out.append((time.perf_counter() - t) * 1000)
    ctx.db.dispose()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=33_000)
    ap.add_argument("--seed", type=int, default=bench_sweep.DEFAULT_SEED)
    ap.add_argument("-n", type=int, default=40, help="requests per page")
    args = ap.parse_args(argv)

    from raj_release.config import load_config

    config = load_config(bench_sweep.CONFIG_DIR)
    bench_sweep.ORGS, bench_sweep.BINOMES_PER_ORG = 20, 24
    path = bench_sweep.cache_path(args.persons, args.seed).with_name(
        bench_sweep.cache_path(args.persons, args.seed).name.replace("sweep-", "web-20orgs-"))
    print("== raj-release: web benchmark ==")
    print("\n".join(bench_sweep.machine_facts()))
    if not path.exists():
        print(f"building {path.name} ...", flush=True)
        bench_sweep.build_database(path, args.persons, args.seed, config)
    with sqlite3.connect(path) as con:
        n_dem = con.execute("SELECT count(*) FROM demarche").fetchone()[0]
        n_org = con.execute("SELECT count(*) FROM organisation").fetchone()[0]
        worker, n_open = con.execute(
            "SELECT w, count(*) FROM (SELECT p.as_id AS w FROM demarche d JOIN person p ON p.id = d.person_id "
            "WHERE d.status IN ('planned','in-progress','on-hold') AND d.due IS NOT NULL) GROUP BY w "
            "ORDER BY count(*) DESC LIMIT 1").fetchone()
        coord = con.execute("SELECT w.id FROM worker w JOIN person p ON p.organisation_id = w.organisation_id "
                            "WHERE w.role = 'coordinator' AND p.as_id = ? LIMIT 1", (worker,)).fetchone()[0]
    print(f"database: {n_dem:,} démarches, {n_org} organisations; worker {worker} (at most {n_open} open "
          f"démarches as AS), coordinator {coord}")

    work, env, raj = copy_for_web(path, "web")
    db = work / "web.db"

    raj("init")  # brings the copy to the newest schema if the cache is older
    for w in (worker, coord):
        raj("user", "set-password", w, "--password-stdin", stdin=PASSWORD + "\n")
    secret = re.search(r"/calendar/(\S+)\.ics", raj("feed", "create", worker).stdout).group(1)
    with raj_web(env, work) as (base, server):
        results = {}
        pages = {"dashboard": f"/dashboard?as_of={DAY}",
                 "drill-down": f"/dashboard?worker={worker}&page=2&as_of={DAY}"}
        for who, urls in ((coord, pages), (worker, {"week": f"/week?as_of={DAY}"})):
            with httpx.Client(base_url=base, timeout=30) as c:
                tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
                c.post("/login", data={"username": who, "password": PASSWORD, "csrf": tok})
                for name, url in urls.items():
                    timed(c, url, 2)  # warm-up
                    results[name] = timed(c, url, args.n)
        with httpx.Client(base_url=base, timeout=30) as c:
            first = timed(c, f"/calendar/{secret}.ics", 1)[0][0]
            timed(c, f"/calendar/{secret}.ics", 2)
            results["feed"] = timed(c, f"/calendar/{secret}.ics", args.n)
            r = c.get(f"/calendar/{secret}.ics")
            feed, etag = r.text, r.headers["etag"]
            c.headers["If-None-Match"] = etag
            results["feed, 304"] = timed(c, f"/calendar/{secret}.ics", args.n, expect=304)
            del c.headers["If-None-Match"]
            results["baseline"] = timed(c, "/login", args.n)
        rss = next(int(line.split()[1]) for line in Path(f"/proc/{server.pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS:"))
    try:
        cold = feed_from_nothing(db, worker, max(5, args.n // 4))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    vtodos = feed.count("BEGIN:VTODO")
    base_p95 = p95(results["baseline"][0])
    print(f"baseline /login (template, no database): p50 {statistics.median(results['baseline'][0]):.1f} ms, "
          f"p95 {base_p95:.1f} ms")
    per_1000 = 1000 / vtodos
    for name, target in (("dashboard", 300), ("drill-down", 300), ("week", 300), ("feed", 200 / per_1000),
                         ("feed, 304", 200 / per_1000)):
        xs, size = results[name]
        extra = f", {vtodos} VTODOs, {p95(xs) * per_1000:.0f} ms per 1,000" if name.startswith("feed") else ""
        print(f"{name}: p50 {statistics.median(xs):.1f} ms, p95 {p95(xs):.1f} ms, max {max(xs):.1f} ms "
              f"({size / 1024:.0f} KB{extra}); {p95(xs) / base_p95:.1f}x the baseline p95; "
              f"target p95 < {target:.0f} ms: {'MET' if p95(xs) < target else 'MISSED'}")
    print(f"web server's resident memory after the run: {rss / 1024:.0f} MB")
    print(f"feed, first request after the server started: {first:.1f} ms ({first * per_1000:.0f} ms per 1,000)")
    print(f"feed built from nothing, in-process ({len(cold)} builds): p50 {statistics.median(cold):.1f} ms, "
          f"p95 {p95(cold):.1f} ms ({p95(cold) * per_1000:.0f} ms per 1,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
