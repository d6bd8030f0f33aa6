"""Benchmark of the file active (/persons) through HTTP, on ~1,000,000 démarches in ONE organisation (SQLite).

    .venv/bin/python bench/bench_persons.py                  # 33,000 persons, one coordinator sees them all
    .venv/bin/python bench/bench_persons.py --persons 5000   # smaller, quicker

The database is built like bench_sweep.py's (pure planner + executemany, cached under var/bench/), with a
single organisation of 40 binômes, so that its coordinator's file active holds every one of the 33,000
persons (the issue's "coordinator with 30,000 persons"). On the copy the benchmark runs on, files are moved
into the other stages (by id: 5 % requests, 5 % first meetings, 10 % closed), so that the counts and the
closed-file filter have something to do. `raj web` runs as its own process; an httpx client logs in as the
coordinator (and as one AS) and times each page N times, round after round (every page once a round, so
that a burst of load on the machine falls on every figure alike):
- /persons as the coordinator: the default view (open files, next due first), target p95 < 150 ms;
- one page of search results (a reference's part, e.g. "BENCH-0123"), target p95 < 100 ms;
- without a target, for the record: the other sorts (most overdue, hearing), the "with overdue démarches" and
  "hearing within 60 days" filters, a deep page, closed files included, an AS's own file active, the JSON
  API's /api/persons, and the dashboard with its caseloads;
- baseline, in the same run and through the same server: /api/me (a token checked, one row read) and the
  login page (a template, no database). Each figure is also given as a ratio of the /api/me p95.

With `--postgresql postgresql+psycopg://USER@HOST/DB` the same rows are copied into a new schema of that
database (dropped at the end) and the same pages timed again on it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_sweep  # noqa: E402
from _server import copy_for_web, raj_web  # noqa: E402
from bench_web import p95, timed  # noqa: E402

DAY = "2026-11-23"
PASSWORD = "une phrase assez longue"
TARGETS = {"persons": 150.0, "search": 100.0}


def measure(env: dict, work: Path, coord: str, worker: str, some_ref: str, n: int) -> dict:
    """Each page timed n times through `raj web` on env's database; {name: (milliseconds, size)}."""
    def raj(*a, stdin=None):
        return subprocess.run([sys.executable, "-m", "raj_release.cli", *a], env=env, cwd=work, check=True,
                              capture_output=True, text=True, input=stdin)

    for w in (worker, coord):
        raj("user", "set-password", w, "--password-stdin", stdin=PASSWORD + "\n")
    token = re.search(r'"token":\s*"([^"]+)"',
                      raj("token", "create", coord, "--name", f"bench-{time.time_ns()}", "--json").stdout).group(1)
    search = some_ref[:-2]  # "BENCH-0110": a hundred references match, two pages of 50
    coord_pages = {
        "persons": f"/persons?as_of={DAY}",
        "search": f"/persons?search={search}&as_of={DAY}",
        "search, one file": f"/persons?search={some_ref.lower()}&as_of={DAY}",
        "sort: most overdue": f"/persons?sort=overdue&as_of={DAY}",
        "sort: hearing": f"/persons?sort=hearing&as_of={DAY}",
        "with overdue démarches": f"/persons?overdue=1&as_of={DAY}",
        "hearing within 60 days": f"/persons?hearing_within=60&as_of={DAY}",
        "closed files too, page 300": f"/persons?closed=1&page=300&as_of={DAY}",
        "dashboard (with caseloads)": f"/dashboard?as_of={DAY}",
    }
    pages = [(coord, name, url) for name, url in coord_pages.items()]
    pages.append((worker, "an AS's persons", f"/persons?as_of={DAY}"))
    pages += [("api", "api /persons", f"/api/persons?as_of={DAY}"),
              ("api", "api /persons search", f"/api/persons?search={search}&as_of={DAY}"),
              ("api", "baseline /api/me", "/api/me"), ("anonymous", "baseline /login", "/login")]
    results: dict[str, tuple[list[float], int]] = {name: ([], 0) for _who, name, _url in pages}
    with raj_web(env, work) as (base, _server):
        clients = {"api": httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}),
                   "anonymous": httpx.Client(base_url=base, timeout=60)}
        for who in (coord, worker):
            c = clients[who] = httpx.Client(base_url=base, timeout=60)
            tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
            c.post("/login", data={"username": who, "password": PASSWORD, "csrf": tok})
        try:
            for _who, _name, url in pages:
                timed(clients[_who], url, 1 if url.startswith("/dashboard") else 2)  # warm-up
            # round after round, every page once: a burst of load on the machine falls on all of them alike
            for i in range(n):
                for who, name, url in pages:
                    if url.startswith("/dashboard") and i % 8:
                        continue  # seconds each: 1 round in 8
                    xs, size = timed(clients[who], url, 1)
                    results[name] = (results[name][0] + xs, size)
        finally:
            for c in clients.values():
                c.close()
    return results


def report(backend: str, results: dict) -> None:
    print(f"-- {backend} --")
    base_p95 = p95(results["baseline /api/me"][0])
    for name in ("baseline /api/me", "baseline /login"):
        xs = results[name][0]
        print(f"{name}: p50 {statistics.median(xs):.1f} ms, p95 {p95(xs):.1f} ms")
    for name, (xs, size) in results.items():
        if name.startswith("baseline"):
            continue
        target = TARGETS.get(name)
        verdict = f"; target p95 < {target:.0f} ms: {'MET' if p95(xs) < target else 'MISSED'}" if target else ""
        print(f"{name}: p50 {statistics.median(xs):.1f} ms, p95 {p95(xs):.1f} ms, max {max(xs):.1f} ms "
              f"({size / 1024:.0f} KB); {p95(xs) / base_p95:.1f}x the /api/me p95{verdict}", flush=True)


def load_postgresql(db: Path, url: str) -> str:
    """The SQLite database's rows copied into a new schema of the PostgreSQL database at `url` (migrated by
    `raj init`; the first_due trigger off during the copy, the column then filled by the migration's own
    statement); the URL of that schema."""
    import psycopg
    from sqlalchemy.engine import make_url

    from raj_release.store.db import Database
    from raj_release.store.migrate import upgrade

    schema, plain = _schema_and_url(url)
    with psycopg.connect(plain, autocommit=True) as pg:
        pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        pg.execute(f'CREATE SCHEMA "{schema}"')
    target = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)
    database = Database(target)
    upgrade(database)
    database.dispose()
    t = time.perf_counter()
    src = sqlite3.connect(db)
    bools = {"person": {"interpreter", "planned", "compressed_at_creation"}, "worker": {"active"},
             "demarche": {"provisional", "compressed", "late_vs_anchor", "pinned", "obsolete"}}
    with psycopg.connect(plain, autocommit=False) as pg:
        pg.execute(f'SET search_path = "{schema}"')
        pg.execute("ALTER TABLE demarche DISABLE TRIGGER tr_demarche_first_due")
        pg.execute("DELETE FROM worker")
        pg.execute("DELETE FROM organisation")
        for table in ("organisation", "worker", "person", "milestone", "demarche"):
            cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
            flags = [c in bools.get(table, ()) for c in cols]
            quoted = ", ".join(f'"{c}"' for c in cols)
            with pg.cursor().copy(f"COPY {table} ({quoted}) FROM STDIN") as cp:
                for row in src.execute(f"SELECT {quoted} FROM {table}"):
                    cp.write_row([bool(v) if f and v is not None else v for v, f in zip(row, flags)])
        pg.execute("UPDATE person SET first_due = (SELECT min(d.due) FROM demarche d WHERE d.person_id = person.id "
                   "AND d.status IN ('in-progress', 'on-hold', 'planned') AND NOT d.obsolete)")
        pg.execute("ALTER TABLE demarche ENABLE TRIGGER tr_demarche_first_due")
        for table in ("organisation", "worker", "person", "milestone", "demarche"):
            pg.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                       if table != "worker" else "SELECT 1")
        pg.commit()
    with psycopg.connect(plain, autocommit=True) as pg:  # what autovacuum would do in a while: statistics, and
        pg.execute(f'SET search_path = "{schema}"')     # the visibility map that index-only scans need
        pg.execute("VACUUM ANALYZE")
    src.close()
    print(f"copied into PostgreSQL schema {schema} in {time.perf_counter() - t:.0f} s", flush=True)
    return target


def _schema_and_url(url: str) -> tuple[str, str]:
    from sqlalchemy.engine import make_url

    return f"bench_persons_{os.getpid()}", make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def drop_schema(url: str) -> None:
    import psycopg

    schema, plain = _schema_and_url(url)
    with psycopg.connect(plain, autocommit=True) as pg:
        pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=33_000)
    ap.add_argument("--seed", type=int, default=bench_sweep.DEFAULT_SEED)
    ap.add_argument("-n", type=int, default=40, help="requests per page")
    ap.add_argument("--postgresql", metavar="URL", help="also on PostgreSQL: the rows copied into a new schema "
                                                        "of this database (postgresql+psycopg://...)")
    args = ap.parse_args(argv)

    from raj_release.config import load_config

    config = load_config(bench_sweep.CONFIG_DIR)
    bench_sweep.ORGS, bench_sweep.BINOMES_PER_ORG = 1, 40
    path = bench_sweep.cache_path(args.persons, args.seed).with_name(
        bench_sweep.cache_path(args.persons, args.seed).name.replace("sweep-", "persons-1org-"))
    print("== raj-release: file active benchmark ==")
    print("\n".join(bench_sweep.machine_facts()))
    if not path.exists():
        print(f"building {path.name} ...", flush=True)
        bench_sweep.build_database(path, args.persons, args.seed, config)

    work, env, raj = copy_for_web(path, "persons")
    db = work / "persons.db"

    try:
        raj("init")  # brings the copy to the newest schema if the cache is older
        with sqlite3.connect(db) as con:
            con.execute("UPDATE person SET stage = CASE WHEN id % 20 = 1 THEN 'request' "
                        "WHEN id % 20 = 2 THEN 'first-meetings' WHEN id % 10 = 3 THEN 'closed' ELSE stage END, "
                        "closed_on = CASE WHEN id % 10 = 3 THEN '2026-11-01' END")
            n_dem = con.execute("SELECT count(*) FROM demarche").fetchone()[0]
            n_person, = con.execute("SELECT count(*) FROM person").fetchone()
            stages = dict(con.execute("SELECT stage, count(*) FROM person GROUP BY stage").fetchall())
            coord = con.execute("SELECT id FROM worker WHERE role = 'coordinator' LIMIT 1").fetchone()[0]
            worker = con.execute("SELECT as_id FROM person GROUP BY as_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
            some_ref = con.execute("SELECT ref FROM person WHERE id = ?", (n_person // 3,)).fetchone()[0]
        print(f"database: {n_dem:,} démarches, {n_person:,} persons in one organisation ({stages}); "
              f"coordinator {coord}, AS {worker}")
        report("SQLite", measure(env, work, coord, worker, some_ref, args.n))
        if args.postgresql:
            url = load_postgresql(db, args.postgresql)
            report("PostgreSQL", measure({**env, "RAJ_DATABASE_URL": url}, work, coord, worker, some_ref, args.n))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.postgresql:
            drop_schema(args.postgresql)
    return 0


if __name__ == "__main__":
    sys.exit(main())
