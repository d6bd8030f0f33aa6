"""Benchmarks on PostgreSQL beside SQLite (issue 13 point 8), each figure against a baseline measured in the
same run on the same backend:

    .venv/bin/python bench/bench_postgresql.py --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/DB
    ... --part sweep        # (a) only;  --part web: (b) only;  --part delivery: (c) only
    ... --persons 5000      # smaller, quicker (its own cached SQLite databases under var/bench/)

(a) The dry sweep (`services.reminders.sweep(ctx, 2026-11-23, dry_run=True)`, best of 5: `--runs`, each run
    followed by one of its baseline, so that both meet the same moments of a shared machine) on bench_sweep.py's
    database (33,000 persons, ~1,000,000 démarches, 4 organisations) in SQLite, then the same rows copied into
    a new schema of the PostgreSQL database (VACUUM ANALYZE, as autovacuum would). Baseline on each backend:
    bench_sweep.py's ONE query returning the sweep's candidates, best of as many. Target: ≤ 3x the baseline.
(b) The web workspace through HTTP on bench_web.py's database (20 organisations), on PostgreSQL, with
    `raj web --workers 1` and `--workers 4`: 8 concurrent clients (threads, each its own connection and
    session), each asking for its page in turn for N rounds: a coordinator's dashboard, a worker's "my week",
    the worker's calendar feed. Baseline: the login page (a template, no database) under the same 8 clients
    and server. p50/p95 per page. Target: dashboard p95 < 300 ms at 8 clients. Then the dashboard again,
    the data version moved before every request (as a write through the app moves it): every view computed
    afresh instead of kept (services/figures.py).
(c) Delivery on PostgreSQL and on SQLite: M messages in the outbox to a local HTTP endpoint, delivered by two
    deliverer processes at once (`services.outbox.deliver_in_turn`, the flows' policy), against one deliverer
    alone; baseline: the same POSTs with urllib.request from one process. Target: ≥ 100 msg/s with two.

Prints machine facts and MET / MISSED per target; asserts nothing. Writes only var/bench/ (cached SQLite
databases), temporary folders and schemas (dropped at the end).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_sweep  # noqa: E402
from _server import copy_for_web  # noqa: E402
from bench_web import p95  # noqa: E402

DAY = "2026-11-23"
PASSWORD = "une phrase assez longue"
TABLES = ("organisation", "worker", "person", "milestone", "demarche", "visit", "consent", "application")


def pg_copy(db: Path, url: str, schema: str) -> str:
    """bench_persons.load_postgresql's copy (same schema name scheme), the visits too (the contact alert), and the
    consents and applications (the sweep's consent gate and partner messages read them)."""
    import psycopg
    from sqlalchemy.engine import make_url

    from raj_release.store.db import Database
    from raj_release.store.migrate import upgrade

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
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
        for table in TABLES:
            cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
            pg_cols = {r[0] for r in pg.execute("SELECT column_name FROM information_schema.columns "
                                                "WHERE table_schema = %s AND table_name = %s", (schema, table))}
            cols = [c for c in cols if c in pg_cols]
            flags = [c in bools.get(table, ()) for c in cols]
            quoted = ", ".join(f'"{c}"' for c in cols)
            with pg.cursor().copy(f"COPY {table} ({quoted}) FROM STDIN") as cp:
                for row in src.execute(f"SELECT {quoted} FROM {table}"):
                    cp.write_row([bool(v) if f and v is not None else v for v, f in zip(row, flags)])
        pg.execute("UPDATE person SET first_due = (SELECT min(d.due) FROM demarche d WHERE d.person_id = person.id "
                   "AND d.status IN ('in-progress', 'on-hold', 'planned') AND NOT d.obsolete)")
        pg.execute("ALTER TABLE demarche ENABLE TRIGGER tr_demarche_first_due")
        for table in TABLES:
            if table != "worker":
                pg.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        pg.commit()
    with psycopg.connect(plain, autocommit=True) as pg:
        pg.execute(f'SET search_path = "{schema}"')
        pg.execute("VACUUM ANALYZE")
    src.close()
    print(f"    copied into PostgreSQL schema {schema} in {time.perf_counter() - t:.0f} s", flush=True)
    return target


def drop_schema(url: str, schema: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as pg:
        pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# ---------------------------------------------------------------------------------------------------------
# (a) the dry sweep


def pg_baseline(url: str, schema: str, horizon: dt.date, runs: int = 3) -> tuple[float, int]:
    """bench_sweep.baseline_query's ONE query, on PostgreSQL with psycopg."""
    import psycopg
    from sqlalchemy.engine import make_url

    from raj_release.domain.demarches import OPEN_STATUSES
    from raj_release.services.reminders import COLUMNS

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    statuses = [s.value for s in OPEN_STATUSES]
    q = ("SELECT d.id, d.person_id, p.ref, o.code, d.key, d.due, d.status, p.as_id, p.psy_id, d.partner_id, "
         + ", ".join(f"d.{c}" for c in COLUMNS.values()) + " "
         "FROM demarche d JOIN person p ON p.id = d.person_id JOIN organisation o ON o.id = p.organisation_id "
         "WHERE d.status = ANY(%s) AND d.due <= %s")
    best, n = float("inf"), 0
    with psycopg.connect(plain) as pg:
        pg.execute(f'SET search_path = "{schema}"')
        for _ in range(runs):
            t = time.perf_counter()
            rows = pg.execute(q, (statuses, horizon)).fetchall()
            best = min(best, time.perf_counter() - t)
            n = len(rows)
    return best, n


def part_sweep(args, config) -> None:
    from raj_release.services.reminders import horizon

    path = bench_sweep.cache_path(args.persons, args.seed)
    if not path.exists():
        print(f"    building {path.name} ...", flush=True)
        bench_sweep.build_database(path, args.persons, args.seed, config)
    schema = f"bench_pg_sweep_{os.getpid()}"
    try:
        results = {}
        # the sweep and its baseline alternated, run after run, so that both meet the machine's same moments
        # (on shared cores the same code varies by a third from one minute to the next)
        ctx = bench_sweep.make_context(f"sqlite:///{path}", config)
        hz = horizon(ctx, bench_sweep.TODAY)
        times, bases, n = [], [], 0
        for _ in range(args.runs):
            times.append(bench_sweep.timed_sweep(ctx, dry_run=True)[0])
            b, n = bench_sweep.baseline_query(path, hz, runs=1)[:2]
            bases.append(b)
        ctx.db.dispose()
        results["SQLite"] = (min(times), times, min(bases), n)
        target = pg_copy(path, args.postgresql, schema)
        ctx = bench_sweep.make_context(target, config)
        times, bases, res = [], [], None
        for _ in range(args.runs):
            t, res = bench_sweep.timed_sweep(ctx, dry_run=True)
            times.append(t)
            b, n = pg_baseline(args.postgresql, schema, hz, runs=1)
            bases.append(b)
        ctx.db.dispose()
        results["PostgreSQL"] = (min(times), times, min(bases), n)
        for backend, (best, times, base, n) in results.items():
            ratio = best / base
            print(f"    {backend}: dry sweep best {best:.2f} s (runs {', '.join(f'{t:.2f}' for t in times)}); "
                  f"baseline one query {base:.3f} s ({n:,} rows); ratio {ratio:.1f}x; target <= 3x: "
                  f"{bench_sweep.verdict(ratio <= 3)}", flush=True)
        print(f"    PostgreSQL / SQLite: sweep {results['PostgreSQL'][0] / results['SQLite'][0]:.2f}x, baseline "
              f"{results['PostgreSQL'][2] / results['SQLite'][2]:.2f}x; candidates {res.candidates:,}, messages "
              f"{len(res.messages):,}")
    finally:
        drop_schema(args.postgresql, schema)


# ---------------------------------------------------------------------------------------------------------
# (b) the web under 8 clients, 1 and 4 processes


def login(base: str, who: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=120)
    tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": who, "password": PASSWORD, "csrf": tok})
    if r.status_code not in (302, 303):
        raise SystemExit(f"login of {who}: {r.status_code}")
    return c


def under_load(base: str, clients: int, rounds: int, pages: list[tuple[str, str]],
               before: Callable[[], None] | None = None) -> dict[str, list[float]]:
    """`clients` threads, each with its own connections and sessions, each asking every page in turn for
    `rounds` rounds; {page: [ms]}. `before()`: called before each timed request (not timed)."""
    out: dict[str, list[float]] = {name: [] for name, _ in pages}
    lock = threading.Lock()
    errors: list[str] = []
    start = threading.Barrier(clients)

    def one(i: int) -> None:
        sessions = {who: (login(base, who) if who != "anonymous" else httpx.Client(base_url=base, timeout=120))
                    for who in {w for w, _ in pages_who}}
        try:
            for name, url in pages:
                sessions[who_of[name]].get(url)  # warm-up
            start.wait()
            for _ in range(rounds):
                for name, url in pages:
                    if before is not None:
                        before()
                    t = time.perf_counter()
                    r = sessions[who_of[name]].get(url)
                    ms = (time.perf_counter() - t) * 1000
                    if r.status_code != 200:
                        errors.append(f"{url}: {r.status_code}")
                    with lock:
                        out[name].append(ms)
        finally:
            for c in sessions.values():
                c.close()

    pages_who = [(who_of[name], url) for name, url in pages]
    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"errors under load: {errors[:5]}")
    return out


who_of: dict[str, str] = {}


def part_web(args, config) -> None:
    bench_sweep.ORGS, bench_sweep.BINOMES_PER_ORG = 20, 24
    path = bench_sweep.cache_path(args.persons, args.seed).with_name(
        bench_sweep.cache_path(args.persons, args.seed).name.replace("sweep-", "web-20orgs-"))
    if not path.exists():
        print(f"    building {path.name} ...", flush=True)
        bench_sweep.build_database(path, args.persons, args.seed, config)
    with sqlite3.connect(path) as con:
        worker = con.execute(
            "SELECT w, count(*) FROM (SELECT p.as_id AS w FROM demarche d JOIN person p ON p.id = d.person_id "
            "WHERE d.status IN ('planned','in-progress','on-hold') AND d.due IS NOT NULL) GROUP BY w "
            "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        coord = con.execute("SELECT w.id FROM worker w JOIN person p ON p.organisation_id = w.organisation_id "
                            "WHERE w.role = 'coordinator' AND p.as_id = ? LIMIT 1", (worker,)).fetchone()[0]
    work, env, raj = copy_for_web(path, "pgweb")
    schema = f"bench_pg_web_{os.getpid()}"
    try:
        raj("init")
        target = pg_copy(work / "pgweb.db", args.postgresql, schema)
        env = {**env, "RAJ_DATABASE_URL": target}

        def raj_pg(*a, stdin=None):
            return subprocess.run([sys.executable, "-m", "raj_release.cli", *a], env=env, cwd=work, check=True,
                                  capture_output=True, text=True, input=stdin)

        for w in (worker, coord):
            raj_pg("user", "set-password", w, "--password-stdin", stdin=PASSWORD + "\n")
        secret = re.search(r"/calendar/(\S+)\.ics", raj_pg("feed", "create", worker).stdout).group(1)
        pages = [("baseline /login", "/login"), ("dashboard", f"/dashboard?as_of={DAY}"),
                 ("my week", f"/week?as_of={DAY}"), ("feed", f"/calendar/{secret}.ics")]
        who_of.update({"baseline /login": "anonymous", "dashboard": coord, "my week": worker, "feed": "anonymous",
                       "dashboard after a change": coord})
        for n_proc in (1, 4):
            with raj_web_n(env, work, n_proc) as base:
                res = under_load(base, args.clients, args.rounds, pages)
                # the same dashboard, every view after a change: the data version moved before each request,
                # so each one computes its figures afresh (services/figures.py keeps them otherwise)
                fresh = under_load(base, args.clients, args.rounds, [pages[0], ("dashboard after a change",
                                                                              pages[1][1])],
                                   before=lambda: bump(target))
            b95 = p95(res["baseline /login"])
            print(f"    PostgreSQL, raj web --workers {n_proc}, {args.clients} clients x {args.rounds} rounds:")
            for name, xs in [*res.items(), ("dashboard after a change", fresh["dashboard after a change"])]:
                verdict = (f"; target p95 < 300 ms: {bench_sweep.verdict(p95(xs) < 300)}"
                           if name == "dashboard" else "")
                print(f"      {name}: p50 {statistics.median(xs):.0f} ms, p95 {p95(xs):.0f} ms "
                      f"({p95(xs) / b95:.1f}x the /login p95){verdict}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        drop_schema(args.postgresql, schema)


def bump(url: str) -> None:
    """A change, as a write through the app makes one: the data version one higher (store/db.py)."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    schema = u.query["options"].split("search_path=", 1)[1]
    plain = u.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as pg:
        pg.execute(f'UPDATE "{schema}".data_version SET n = n + 1 WHERE id = 1')


class raj_web_n:  # noqa: N801 - a context manager used like a function
    """`raj web --workers n` on a free port; yields its base URL; stopped with SIGINT (then SIGKILL)."""

    def __init__(self, env: dict, cwd: Path, n: int) -> None:
        self.env, self.cwd, self.n = env, cwd, n

    def __enter__(self) -> str:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, "-m", "raj_release.cli", "web", "--port", str(port),
                                      "--workers", str(self.n)], env=self.env, cwd=self.cwd,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        time.sleep(5 * self.n)  # each process builds the feeds in the background at its start
        return base

    def __exit__(self, *exc) -> None:
        import signal

        try:
            os.killpg(self.proc.pid, signal.SIGINT)
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------------------------
# (c) delivery with two deliverers


DELIVERER = """
import sys, time
from raj_release.services import open_context
from raj_release.services.outbox import deliver_in_turn
ctx = open_context()
print("ready", flush=True)
sys.stdin.readline()
t = time.perf_counter()
r = deliver_in_turn(ctx, wait_seconds=0)
print(r.sent if r else 0, time.perf_counter() - t, flush=True)
"""


def part_delivery(args, config) -> None:
    import sqlalchemy as sa

    from raj_release.notify.sink import read_received, running_sink
    from raj_release.reminders.messages import Message
    from raj_release.services.outbox import enqueue
    from raj_release.services.workers import ensure_organisation, register_worker
    from raj_release.store.migrate import upgrade

    work = Path(tempfile.mkdtemp(prefix="raj-bench-pgdeliv-"))
    schema = f"bench_pg_deliv_{os.getpid()}"
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        plain = make_url(args.postgresql).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(plain, autocommit=True) as pg:
            pg.execute(f'CREATE SCHEMA "{schema}"')
        pg_url = make_url(args.postgresql).update_query_dict({"options": f"-csearch_path={schema}"}) \
            .render_as_string(hide_password=False)
        n = args.messages
        for backend, url in (("SQLite", f"sqlite:///{work / 'deliv.db'}"), ("PostgreSQL", pg_url)):
            rates = {}
            for deliverers in (1, 2):
                ctx = bench_sweep.make_context(url, config)
                upgrade(ctx.db)
                ensure_organisation(ctx)
                with ctx.db.transaction() as s:
                    s.execute(sa.text("DELETE FROM outbox"))  # the previous round's, all sent
                workers = [f"as.deliv-{i:02d}" for i in range(10)]
                if deliverers == 1:  # the first round of this database
                    for w in workers:
                        register_worker(ctx, w, f"AS fictif {w[-2:]}", "as",
                                        notify=[f"${{RAJ_DEMO_SINK}}/workers/{w}"])
                msgs = [Message(workers[i % 10], "as", "digest", "fr", f"Rappels ({i})", "fictif " * 40, (),
                                bench_sweep.TODAY, f"bench-{deliverers}-{i}") for i in range(n)]
                with ctx.db.transaction() as s:
                    enqueue(s, ctx, msgs)
                ctx.db.dispose()
                with running_sink(work / f"sink-{backend}-{deliverers}") as (sink_url, received):
                    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RAJ_")},
                           "RAJ_DATABASE_URL": url, "RAJ_DEMO_SINK": sink_url,
                           "RAJ_CONFIG_DIR": str(bench_sweep.CONFIG_DIR)}
                    procs = [subprocess.Popen([sys.executable, "-c", DELIVERER], env=env, cwd=work, text=True,
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                             for _ in range(deliverers)]
                    for p in procs:
                        assert p.stdout.readline().strip() == "ready"
                    t = time.perf_counter()
                    for p in procs:
                        p.stdin.write("go\n")
                        p.stdin.flush()
                    outs = [p.stdout.readline().split() for p in procs]
                    wall = time.perf_counter() - t
                    for p in procs:
                        p.wait(timeout=60)
                    got = len(read_received(received))
                sent = sum(int(o[0]) for o in outs)
                rates[deliverers] = sent / wall
                print(f"    {backend}, {deliverers} deliverer(s): {sent} sent in {wall:.2f} s -> {sent / wall:.0f} "
                      f"msg/s (per process: {', '.join(o[0] for o in outs)}); sink received {got}", flush=True)
            # baseline: the same POSTs with urllib from one process
            with running_sink(work / f"sink-{backend}-urllib") as (sink_url, received):
                base = sink_url.replace("json://", "http://")
                t = time.perf_counter()
                for m in msgs:
                    data = json.dumps({"version": "1.0", "title": m.subject, "message": m.body, "attachments": [],
                                       "type": "info"}).encode()
                    req = urllib.request.Request(f"{base}/workers/{m.recipient}", data=data,
                                                 headers={"Content-Type": "application/json"})
                    with urllib.request.urlopen(req, timeout=10) as r:
                        r.read()
                base_rate = n / (time.perf_counter() - t)
            print(f"    {backend}: baseline urllib {base_rate:.0f} msg/s; two deliverers {rates[2] / base_rate:.2f}x "
                  f"the baseline, {rates[2] / rates[1]:.2f}x one deliverer; target >= 100 msg/s with two: "
                  f"{bench_sweep.verdict(rates[2] >= 100)}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        drop_schema(args.postgresql, schema)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgresql", required=True, metavar="URL", help="postgresql+psycopg://... (schemas are "
                                                                       "created in it and dropped)")
    ap.add_argument("--part", choices=("sweep", "web", "delivery", "all"), default="all")
    ap.add_argument("--persons", type=int, default=bench_sweep.DEFAULT_PERSONS)
    ap.add_argument("--seed", type=int, default=bench_sweep.DEFAULT_SEED)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5, help="(a): the sweep and its baseline, best of this many each")
    ap.add_argument("--messages", type=int, default=1000)
    args = ap.parse_args(argv)
    from raj_release.config import load_config

    print("== raj-release: PostgreSQL beside SQLite ==")
    print("\n".join(bench_sweep.machine_facts()))
    config = load_config(bench_sweep.CONFIG_DIR)
    if args.part in ("sweep", "all"):
        print("\n(a) dry sweep, SQLite then PostgreSQL", flush=True)
        part_sweep(args, config)
    if args.part in ("delivery", "all"):
        print(f"\n(c) delivery of {args.messages} messages, one then two deliverers", flush=True)
        part_delivery(args, config)
    if args.part in ("web", "all"):
        print(f"\n(b) web on PostgreSQL, {args.clients} concurrent clients", flush=True)
        part_web(args, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
