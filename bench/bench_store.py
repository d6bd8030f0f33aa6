"""Benchmark of the store through the real services, on a fresh SQLite file in a temporary folder.

    .venv/bin/python bench/bench_store.py                  # 10,000 persons, 500 replans
    .venv/bin/python bench/bench_store.py --persons 1000   # smaller, quicker

(a) Registering: for each fictitious person, raj_release.services.plans.register_person with the dates
    known at registration (tap_hearing, expected_release): it plans and stores the first plan, one
    transaction per person as the service does (BEGIN IMMEDIATE ... COMMIT, audit events included).
    Target: 10,000 persons in under 30 s.
    Baseline: the very rows the services wrote (person, milestone, demarche, audit_event, read back from the
    services' database) inserted into a second fresh database of the same schema with plain sqlite3
    executemany in ONE transaction (same PRAGMAs: WAL, synchronous=NORMAL, foreign keys on).

(b) Replanning after a milestone change, database write included: set_milestone on random persons that
    have a hearing, moving it by a random non-zero number of days within +-30; each call timed alone with
    time.perf_counter. Target: p95 under 20 ms.
    Baseline: the same number of plain sqlite3 reads `SELECT ... FROM demarche WHERE person_id = ?` for
    the same sequence of persons on the same database file.

Nothing is bypassed: every person goes through the services; errors raised by them are counted and shown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy  # noqa: E402
from _data import DEFAULT_SEED, TODAY, WORKERS, describe, generate  # noqa: E402

from raj_release.config import load_config  # noqa: E402
from raj_release.domain import Milestone  # noqa: E402
from raj_release.services.context import Context  # noqa: E402
from raj_release.services.milestones import set_milestone  # noqa: E402
from raj_release.services.persons import register_person  # noqa: E402
from raj_release.services.workers import ensure_organisation, register_worker  # noqa: E402
from raj_release.settings import PROJECT_ROOT, Settings  # noqa: E402
from raj_release.store.db import Database  # noqa: E402
from raj_release.store.migrate import upgrade  # noqa: E402

CONFIG_DIR = (PROJECT_ROOT / "config").resolve()
TARGET_TOTAL_S = 30.0
TARGET_P95_MS = 20.0
DATA_TABLES = ("person", "milestone", "demarche", "audit_event")  # what (a) writes per person


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def fresh_database(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    return db


def make_context(db: Database, config) -> Context:
    ctx = Context(db=db, config=config, settings=Settings(database_url=db.url, config_dir=CONFIG_DIR))
    ensure_organisation(ctx)
    for as_id, psy_id in WORKERS:
        register_worker(ctx, as_id, f"AS fictif {as_id[-2:]}", "as")
        register_worker(ctx, psy_id, f"Psy fictif {psy_id[-2:]}", "psy")
    return ctx


def phase_register(ctx: Context, persons) -> dict:
    errors: Counter = Counter()
    first_error: dict[str, str] = {}
    t_reg = 0.0
    calls = 0
    ok_refs = set()
    pc = time.perf_counter
    t_start = pc()
    for p in persons:
        try:
            t0 = pc()
            known = [Milestone(kind=m.kind, date=m.date, earliest=m.earliest, latest=m.latest,
                               certainty=m.certainty) for m in p.extra_milestones]
            register_person(ctx, ref=p.ref, prison=p.prison, as_id=p.as_id, psy_id=p.psy_id, today=TODAY, situation=p.situation,
                            needs=p.needs, language=p.language, procedure=p.procedure, modality=p.modality,
                            intake=p.intake, actor=p.as_id, milestones=known)
            t_reg += pc() - t0
            calls += 1
            ok_refs.add(p.ref)
        except Exception as e:  # report, do not hide: the figures below say how many failed
            name = type(e).__name__
            errors[name] += 1
            first_error.setdefault(name, f"{p.ref}: {e}")
    total = pc() - t_start
    return {"total": total, "register": t_reg, "calls": calls, "errors": errors,
            "first_error": first_error, "ok_refs": ok_refs}


def table_rows(path: Path, table: str) -> tuple[list[str], list[tuple]]:
    con = sqlite3.connect(path)
    try:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        rows = con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id").fetchall()
        return cols, rows
    finally:
        con.close()


def phase_register_baseline(src: Path, dst: Path, config) -> dict:
    """The same data rows inserted with plain sqlite3 executemany in one transaction (timed)."""
    db = fresh_database(dst)
    make_context(db, config)  # the same organisation and workers (foreign keys), untimed
    db.dispose()
    con = sqlite3.connect(dst, isolation_level=None)
    con.execute("DELETE FROM audit_event")  # the setup's own events: only the copied ones will remain
    data = {t: table_rows(src, t) for t in DATA_TABLES}
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    t0 = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    for table in DATA_TABLES:
        cols, rows = data[table]
        con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    con.close()
    return {"total": elapsed, "rows": {t: len(data[t][1]) for t in DATA_TABLES}}


def phase_replan(ctx: Context, persons, ok_refs, n: int, seed: int) -> dict:
    rng = random.Random(seed + 1)
    hearings = {}
    for p in persons:
        if p.ref in ok_refs:
            for m in p.milestones:
                if m.kind == "tap_hearing":
                    hearings[p.ref] = [m.date, m.certainty]
    refs = sorted(hearings)
    if not refs:
        return {"times": [], "sequence": [], "changes": 0, "errors": Counter(), "first_error": {}}
    times, sequence, changes = [], [], 0
    errors: Counter = Counter()
    first_error: dict[str, str] = {}
    pc = time.perf_counter
    for _ in range(n):
        ref = rng.choice(refs)
        delta = rng.choice([d for d in range(-30, 31) if d])
        date, certainty = hearings[ref]
        new = date + dt.timedelta(days=delta)
        sequence.append(ref)
        t0 = pc()
        try:
            view = set_milestone(ctx, ref, "tap_hearing", date=new, today=TODAY, certainty=certainty,
                                 reason="bench: hearing moved", actor="bench")
        except Exception as e:
            errors[type(e).__name__] += 1
            first_error.setdefault(type(e).__name__, f"{ref}: {e}")
            continue
        times.append((pc() - t0) * 1000)
        hearings[ref][0] = new
        changes += len(view.changes)
    return {"times": times, "sequence": sequence, "changes": changes, "errors": errors,
            "first_error": first_error}


def phase_read_baseline(path: Path, sequence: list[str]) -> list[float]:
    con = sqlite3.connect(path)
    ids = dict(con.execute("SELECT ref, id FROM person").fetchall())
    q = ("SELECT key, status, due, start, target, anchor, anchor_source, provisional, compressed, "
         "late_vs_anchor, pinned FROM demarche WHERE person_id = ?")
    times = []
    pc = time.perf_counter
    for ref in sequence:
        pid = ids[ref]
        t0 = pc()
        con.execute(q, (pid,)).fetchall()
        times.append((pc() - t0) * 1000)
    con.close()
    return times


def _errors_line(errors: Counter, first: dict) -> str:
    if not errors:
        return "none"
    return "; ".join(f"{k} x{v} (first: {first[k]})" for k, v in errors.most_common())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=10_000, help="how many fictitious persons (default 10000)")
    ap.add_argument("--replans", type=int, default=500, help="set_milestone calls timed in (b) (default 500)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = ap.parse_args(argv)

    print("== bench_store: services on a fresh SQLite file (register, set_milestone, replan) ==")
    print(f"python {platform.python_version()} ({platform.python_implementation()}), "
          f"{platform.system()} {platform.machine()}, os.cpu_count()={os.cpu_count()}, "
          f"SQLite {sqlite3.sqlite_version}, SQLAlchemy {sqlalchemy.__version__}")
    config = load_config(CONFIG_DIR)
    persons = generate(args.persons, args.seed, TODAY)
    unknown = {p.prison for p in persons} - set(config.prisons)
    if unknown:
        print(f"error: prisons not in config/prisons.yaml: {sorted(unknown)}", file=sys.stderr)
        return 2
    print(describe(persons) + f"; today = {TODAY.isoformat()}, seed = {args.seed}")

    tmp = Path(tempfile.mkdtemp(prefix="raj-bench-"))
    try:
        src = tmp / "bench.db"
        db = fresh_database(src)
        ctx = make_context(db, config)

        # (a) ------------------------------------------------------------------------------------------
        print(f"\n(a) register_person (with the dates known at registration) for {len(persons)} persons, "
              f"one transaction per call (file: {src.name} in a temporary folder)")
        a = phase_register(ctx, persons)
        n_ok = len(a["ok_refs"])
        print(f"    services: {a['total']:.2f} s total for {n_ok} persons stored -> {n_ok / a['total']:,.0f} "
              f"persons/s; {a['calls']} service calls")
        print(f"    errors from the services: {_errors_line(a['errors'], a['first_error'])}")
        db.dispose()  # close the pool before copying the rows
        b = phase_register_baseline(src, tmp / "baseline.db", config)
        rows = ", ".join(f"{k} {v}" for k, v in b["rows"].items())
        print(f"    baseline: the same rows ({rows}) with sqlite3 executemany in one transaction: "
              f"{b['total']:.2f} s -> {n_ok / b['total']:,.0f} persons/s")
        print(f"    ratio services/baseline (time): {a['total'] / b['total']:.0f}x")
        verdict = "MET" if a["total"] < TARGET_TOTAL_S * len(persons) / 10_000 else "MISSED"
        scale = "" if len(persons) == 10_000 else f" (scaled to {len(persons)} persons: " \
                                                    f"{TARGET_TOTAL_S * len(persons) / 10_000:.1f} s)"
        print(f"    target 10,000 persons < {TARGET_TOTAL_S:.0f} s{scale}: {verdict}")

        # (b) ------------------------------------------------------------------------------------------
        print(f"\n(b) {args.replans} set_milestone(tap_hearing +-1..30 days) on random persons with a hearing "
              f"(replan + database write, each call timed)")
        db = Database(f"sqlite:///{src}")
        ctx = Context(db=db, config=config, settings=Settings(database_url=db.url, config_dir=CONFIG_DIR))
        r = phase_replan(ctx, persons, a["ok_refs"], args.replans, args.seed)
        db.dispose()
        t = r["times"]
        if t:
            p50, p95 = percentile(t, 50), percentile(t, 95)
            print(f"    set_milestone: p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {max(t):.2f} ms, "
                  f"mean {sum(t) / len(t):.2f} ms over {len(t)} calls; "
                  f"{r['changes'] / len(t):.1f} démarches moved per call on average")
        print(f"    errors from the services: {_errors_line(r['errors'], r['first_error'])}")
        rt = phase_read_baseline(src, r["sequence"])
        b50, b95 = percentile(rt, 50), percentile(rt, 95)
        print(f"    baseline: {len(rt)} x sqlite3 `SELECT ... FROM demarche WHERE person_id = ?`: "
              f"p50 {b50:.3f} ms, p95 {b95:.3f} ms, max {max(rt):.3f} ms")
        if t:
            print(f"    ratio set_milestone/baseline: p50 {p50 / b50:.0f}x, p95 {p95 / b95:.0f}x")
            print(f"    target p95 < {TARGET_P95_MS:.0f} ms: {'MET' if p95 < TARGET_P95_MS else 'MISSED'}")
    finally:
        if args.keep:
            print(f"\nkept: {tmp}")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
