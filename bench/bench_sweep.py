"""Benchmark of the reminders: the daily sweep on ~1,000,000 démarches, its Prefect flow, and delivery.

    .venv/bin/python bench/bench_sweep.py                    # 33,000 persons, ~1,000,000 démarches
    .venv/bin/python bench/bench_sweep.py --persons 3000     # smaller, quicker (its own cached database)
    .venv/bin/python bench/bench_sweep.py --skip-prefect     # without (c)

(a) The database. N fictitious persons (bench/_data.py's generator: prisons, situations, modalities,
    milestones) with two changes that make an *active* caseload: every need is drawn with probability 0.9
    (~30 démarches per person instead of ~23) and intakes fall in the last 6 months instead of the last
    year (most plans still ahead). Each person is planned with the pure planner
    (raj_release.planning.scheduler.plan, as of the intake date, as registration does) and the rows are
    inserted with sqlite3 executemany into the Alembic-migrated schema (organisations and workers go
    through the services). Statuses, drawn per démarche: due before today: completed 80 %, planned 9 %,
    in-progress 4 %, on-hold 4 % (waiting on a partner of config/partners.yaml of the démarche's partner
    type, when there is one), cancelled 2 %, failed 1 %; due today or later: planned 88 %, in-progress 6 %,
    on-hold 3 %, completed 3 %; undated: planned (about 60 % planned overall). The reminder bookkeeping is
    what the daily sweep of the previous working day left (its points computed with the real engine), so
    today's sweep finds only today's new points. 4 organisations, 40 binômes and one coordinator each.
    A quarter of the persons are already released (actual_release in the last 120 days) and every person has
    0-8 meetings (held 70 %, not held 20 %, still planned 10 %), for the contact alert after release; its
    bookkeeping too is what the previous working day's sweep left.
    The database is cached under var/bench/ keyed by persons, seed and schema revision: re-runs skip (a).

(b) `raj_release.services.reminders.sweep(ctx, today, dry_run=True)`: today's reminders computed (candidates
    query, engine, digests rendered), best of 3. Baseline in the same run: ONE SQL query with plain sqlite3
    returning the same candidate démarches (open status, due <= horizon, joined to person and organisation)
    with the columns the sweep reads, best of 3. Targets: < 10 s, and within 3x the baseline. Then the real
    sweep (enqueue + bookkeeping, one transaction) once, on a copy of the database. And the contact alert
    after release: the dry sweep with and without it (sweep(..., contact=False)), alternated, best of 5 each,
    on the same database; target: it adds < 20 %.

(c) The same sweep as the Prefect flow flows.jobs.daily_sweep(as_of=today, deliver=False) under
    prefect_test_harness (one local server, flow heartbeat off), against the service called directly
    (open_context() + sweep(ctx, today)), each on a fresh copy of the database, 2 rounds. Prefect's overhead
    = flow - direct (target < 3 s); the one-time server start is reported separately.

(d) Delivery: 500 messages in the outbox for 10 workers whose channel is a json:// URL to a local HTTP
    endpoint (raj_release.notify.sink.running_sink); services.outbox.deliver timed (target >= 50 msg/s).
    Baselines: the same 500 POSTs with plain apprise (one Apprise object per worker, reused), and with
    urllib.request, without the outbox.

Prints machine facts and a MET / MISSED line per target. Writes nothing outside var/bench/ and a temporary
folder (deleted at the end).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.metadata as md
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import (  # noqa: E402
    DEFAULT_SEED,
    NEED_PROBABILITY,
    TODAY,
    application_rows,
    consent_rows,
    make_person,
)

from raj_release.config import load_config  # noqa: E402
from raj_release.domain.demarches import OPEN_STATUSES  # noqa: E402
from raj_release.domain.enums import (  # noqa: E402
    Certainty,
    MilestoneKind,
    Modality,
    Need,
    Procedure,
    Situation,
)
from raj_release.domain.milestones import Milestone  # noqa: E402
from raj_release.planning.scheduler import Subject, plan  # noqa: E402
from raj_release.settings import PROJECT_ROOT, Settings, get_settings  # noqa: E402

CONFIG_DIR = (PROJECT_ROOT / "config").resolve()
CACHE_DIR = PROJECT_ROOT / "var" / "bench"
BUILD_VERSION = 4  # bump when the generated data changes: the cached databases are then rebuilt
DEFAULT_PERSONS = 33_000
NEED_P = 0.9
INTAKE_DAYS = 182
ORGS = 4
BINOMES_PER_ORG = 40
PAST_MIX = (("completed", 80), ("planned", 9), ("in-progress", 4), ("on-hold", 4), ("cancelled", 2), ("failed", 1))
FUTURE_MIX = (("planned", 88), ("in-progress", 6), ("on-hold", 3), ("completed", 3))
TARGET_SWEEP_S = 10.0
TARGET_SWEEP_RATIO = 3.0
TARGET_PREFECT_OVERHEAD_S = 3.0
TARGET_CONSENT_RATIO = 1.2  # the sweep with its consent checks within 1.2x its time without them (issue 12)
TARGET_CONTACT_SHARE = 0.20  # the contact alert after release adds < 20 % to the sweep
TARGET_DELIVERY_PER_S = 50.0
DELIVERY_MESSAGES = 500
DELIVERY_WORKERS = 10


def _ts(d: dt.datetime) -> str:
    """How SQLAlchemy's SQLite DateTime stores a datetime."""
    return d.strftime("%Y-%m-%d %H:%M:%S.%f")


def _pick(rng: random.Random, weighted) -> str:
    codes, weights = zip(*weighted)
    return rng.choices(codes, weights=weights, k=1)[0]


# ---------------------------------------------------------------------------------------------------------
# facts


def machine_facts() -> list[str]:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = "?"
    try:
        kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
        mem = f"{kb / 1024 / 1024:.1f} GB"
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except OSError:
        commit = "?"
    versions = ", ".join(f"{p} {md.version(p)}" for p in ("prefect", "SQLAlchemy", "apprise", "pydantic"))
    return [
        f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; commit {commit}",
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPU ({cpu}), {mem} RAM; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {versions}",
    ]


# ---------------------------------------------------------------------------------------------------------
# (a) the database


def bench_persons(n: int, seed: int):
    """bench/_data.py persons, turned into an active caseload (see the module docstring)."""
    rng = random.Random(seed)
    needs_rng = random.Random(seed + 7)
    out = []
    for i in range(1, n + 1):
        p = make_person(rng, i, TODAY)
        ago = (TODAY - p.intake).days
        shift = dt.timedelta(days=ago - ago * INTAKE_DAYS // 365)

        def moved(d):
            return d + shift if d is not None else None

        ms = tuple(dataclasses.replace(m, date=moved(m.date), earliest=moved(m.earliest), latest=moved(m.latest))
                   for m in p.milestones)
        needs = tuple(k for k, _ in NEED_PROBABILITY if needs_rng.random() < NEED_P)
        out.append(dataclasses.replace(p, intake=p.intake + shift, milestones=ms, needs=needs))
    return out


def cache_path(persons: int, seed: int) -> Path:
    """Keyed by persons, seed, BUILD_VERSION and a digest of the migration files (a schema change, even a
    migration edited in place before a release, builds a new database)."""
    import hashlib

    from raj_release.store.migrate import MIGRATIONS

    h = hashlib.sha256()
    for f in sorted((MIGRATIONS / "versions").glob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    return CACHE_DIR / f"sweep-{persons}p-seed{seed}-v{BUILD_VERSION}-schema{h.hexdigest()[:10]}.db"


def make_context(url: str, config):
    from raj_release.services.context import Context
    from raj_release.store.db import Database

    return Context(db=Database(url), config=config, settings=Settings(database_url=url, config_dir=CONFIG_DIR))


def build_database(path: Path, persons: int, seed: int, config) -> dict:
    """Builds into `path`.tmp, renames at the end (an interrupted build leaves no cache behind)."""
    from raj_release.reminders.contact import contact_reminders, contact_sent
    from raj_release.reminders.engine import due_reminders, sent_points
    from raj_release.services.consents import consent_gate
    from raj_release.services.reminders import COLUMNS, CONTACT_COLUMNS, load_candidates, load_contact_candidates
    from raj_release.services.workers import ensure_organisation, register_worker
    from raj_release.store.migrate import upgrade

    pc = time.perf_counter
    t0 = pc()
    tmp = path.with_name(path.name + ".tmp")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{tmp}"
    ctx = make_context(url, config)
    upgrade(ctx.db)

    # organisations, binômes and coordinators through the services
    binomes = []  # (as_id, psy_id, organisation id)
    for o in range(1, ORGS + 1):
        org = ensure_organisation(ctx, None if o == 1 else f"bench-org-{o}", None if o == 1 else f"Service fictif {o}")
        for b in range(1, BINOMES_PER_ORG + 1):
            ids = (f"as.o{o}-{b:02d}", f"psy.o{o}-{b:02d}")
            for wid, role in zip(ids, ("as", "psy")):
                register_worker(ctx, wid, f"{role.upper()} fictif {o}-{b:02d}", role, "fr" if b % 3 else "nl",
                                notify=[f"${{RAJ_DEMO_SINK}}/workers/{wid}"], organisation=org.code)
            binomes.append((*ids, org.id))
        register_worker(ctx, f"coord.o{o}", f"Coordination fictive {o}", "coordinator", "fr",
                        notify=[f"${{RAJ_DEMO_SINK}}/workers/coord.o{o}"], organisation=org.code)
    t_setup = pc() - t0

    # persons planned with the pure planner, rows built in memory
    t1 = pc()
    people = bench_persons(persons, seed)
    partners_by_type: dict[str, list[str]] = {}
    for p in config.partners.values():
        partners_by_type.setdefault(p.type, []).append(p.id)
    templates = config.templates.by_key
    rng = random.Random(seed + 11)
    consent_rng, app_rng = random.Random(seed + 17), random.Random(seed + 19)
    person_rows, milestone_rows, demarche_rows, consents, applications = [], [], [], [], []
    did = mid = 0
    for pid, p in enumerate(people, start=1):
        as_id, psy_id, org_id = binomes[rng.randrange(len(binomes))]
        subject = Subject(needs=frozenset(Need(n) for n in p.needs), situation=Situation(p.situation),
                          modality=Modality(p.modality) if p.modality else None,
                          procedure=Procedure(p.procedure) if p.procedure else None)
        ms = {MilestoneKind(m.kind): Milestone(kind=m.kind, date=m.date, earliest=m.earliest, latest=m.latest,
                                               certainty=Certainty(m.certainty)) for m in p.milestones}
        result = plan(config.templates, subject, ms, config.calendar, p.intake, None, config.policy)
        created = _ts(dt.datetime.combine(p.intake, dt.time(9, 0), dt.UTC))
        person_rows.append((pid, p.ref, org_id, None, p.prison, p.language, 0, p.situation, p.procedure, p.modality,
                            json.dumps(sorted(p.needs)), as_id, psy_id, result.mode,
                            int(any(d.compressed for d in result.demarches)), 1, created, created,
                            "followed", "prison", 1))
        for m in p.milestones:
            mid += 1
            milestone_rows.append((mid, pid, m.kind, m.date.isoformat(), m.earliest and m.earliest.isoformat(),
                                   m.latest and m.latest.isoformat(), m.certainty, created, as_id))
        needs = []
        for d in result.demarches:
            did += 1
            t = templates.get(d.key)
            purpose = config.purpose_of(d.key)
            if t is not None and t.partner_types and purpose is not None and d.key != "consent_sharing":
                types = tuple(x for x in t.partner_types if x in purpose.partner_types)
                if types:
                    needs.append((purpose.key, types))
            if d.due is None:
                status = "planned"
            elif d.due < TODAY:
                status = _pick(rng, PAST_MIX)
            else:
                status = _pick(rng, FUTURE_MIX)
            partner = reason = completed = None
            if status == "on-hold":
                choices = [pid_ for pt in (t.partner_types if t else ()) for pid_ in partners_by_type.get(pt, ())]
                partner = rng.choice(choices) if choices else None
                if partner is not None:  # an application to it, and for some to the other partners of its type
                    same = partners_by_type[config.partners[partner].type]
                    sent = min(TODAY, d.due or TODAY) - dt.timedelta(days=app_rng.randint(3, 40))
                    applications += application_rows(app_rng, pid, did, d.key, partner, same, sent, as_id, created)
            elif status in ("cancelled", "failed"):
                reason = "bench (fictif)"
            elif status == "completed":
                completed = _ts(dt.datetime.combine(d.due, dt.time(12, 0), dt.UTC))
            demarche_rows.append((
                did, pid, d.key, status, d.due and d.due.isoformat(), d.start and d.start.isoformat(),
                d.target and d.target.isoformat(), d.anchor.value if d.anchor else None, d.anchor_source,
                int(d.provisional), int(d.compressed), int(d.late_vs_anchor), 0, reason, partner, created,
                created, completed, 0))
        consents += consent_rows(consent_rng, pid, needs, partners_by_type, min(TODAY, p.intake + dt.timedelta(
            days=10)), as_id, created)
    t_plan = pc() - t1

    # one transaction of executemany
    t2 = pc()
    ctx.db.dispose()
    con = sqlite3.connect(tmp, isolation_level=None)
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN IMMEDIATE")
    con.executemany("INSERT INTO person (id, ref, organisation_id, name, prison, language, interpreter, situation, "
                    "procedure, modality, needs, as_id, psy_id, plan_mode, compressed_at_creation, version, "
                    "created_at, updated_at, stage, origin, planned) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    person_rows)
    con.executemany("INSERT INTO milestone (id, person_id, kind, date, earliest, latest, certainty, updated_at, "
                    "updated_by) VALUES (?,?,?,?,?,?,?,?,?)", milestone_rows)
    con.executemany("INSERT INTO demarche (id, person_id, key, status, due, start, target, anchor, anchor_source, "
                    "provisional, compressed, late_vs_anchor, pinned, reason, partner_id, created_at, updated_at, "
                    "completed_at, obsolete) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", demarche_rows)
    release_rows, visit_rows = released_and_met(person_rows, mid, random.Random(seed + 13))
    con.executemany("INSERT INTO milestone (id, person_id, kind, date, earliest, latest, certainty, updated_at, "
                    "updated_by) VALUES (?,?,?,?,?,?,?,?,?)", release_rows)
    con.executemany("INSERT INTO visit (person_id, day, place, as_id, psy_id, outcome, reason, created_at, "
                    "created_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", visit_rows)
    con.executemany("INSERT INTO consent (person_id, partner_id, partner_type, purpose, given_on, how, recorded_by, "
                    "until, withdrawn_on, withdraw_reason, withdrawn_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    consents)
    con.executemany("INSERT INTO application (person_id, demarche_id, key, partner_id, state, sent_on, state_on, "
                    "position, answers, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    applications)
    con.execute("COMMIT")
    t_insert = pc() - t2

    # what the sweep of the previous working day recorded (its points, computed by the real engine)
    t3 = pc()
    yesterday = config.calendar.previous_working_day(TODAY - dt.timedelta(days=1))
    ctx = make_context(url, config)
    cands = load_candidates(ctx, yesterday)
    with ctx.db.reading() as s:
        points = sent_points(due_reminders(cands, yesterday, config.calendar, config.reminder_policy,
                                           allowed=consent_gate(ctx, s, yesterday)))
    contact = contact_sent(contact_reminders(load_contact_candidates(ctx, yesterday), yesterday, config.calendar,
                                             config.reminders.contact_after_release))
    ctx.db.dispose()
    con.execute("BEGIN IMMEDIATE")
    for audience, col in COLUMNS.items():
        con.executemany(f"UPDATE demarche SET {col} = ? WHERE id = ?",
                        [(p.isoformat(), d) for d, p in points.get(audience, {}).items()])
    for audience, col in CONTACT_COLUMNS.items():
        con.executemany(f"UPDATE person SET {col} = ? WHERE id = ?",
                        [(p.isoformat(), pid) for pid, p in contact.get(audience, {}).items()])
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    t_book = pc() - t3
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    tmp.replace(path)
    return {"setup": t_setup, "plan": t_plan, "insert": t_insert, "bookkeeping": t_book, "total": pc() - t0,
            "yesterday": yesterday, "points": {k: len(v) for k, v in points.items()}}


RELEASED_SHARE = 0.25  # persons already out (actual release in the last RELEASED_DAYS days)
RELEASED_DAYS = 120
MEETINGS = (0, 8)  # meetings per person over the last 180 days (and the next 14)
OUTCOME_MIX = (("held", 70), ("not-held", 20), ("planned", 10))


def released_and_met(person_rows, last_milestone_id: int, rng: random.Random) -> tuple[list, list]:
    """The contact alert's data: an actual release for a quarter of the persons (the last 120 days), and
    0-8 meetings per person over the last 180 days and the next 14 (past ones: held 70 %, not held 20 % with
    a reason, still planned 10 %; future ones: planned)."""
    releases, visits = [], []
    mid = last_milestone_id
    for row in person_rows:
        pid, as_id, psy_id, created = row[0], row[11], row[12], row[16]
        if rng.random() < RELEASED_SHARE:
            mid += 1
            day = TODAY - dt.timedelta(days=rng.randint(1, RELEASED_DAYS))
            releases.append((mid, pid, "actual_release", day.isoformat(), None, None, "confirmed", created, as_id))
        for _ in range(rng.randint(*MEETINGS)):
            day = TODAY + dt.timedelta(days=rng.randint(-180, 14))
            outcome = "planned" if day > TODAY else _pick(rng, OUTCOME_MIX)
            reason = rng.choice(("refusal", "strike", "transfer", "absent", "other")) if outcome == "not-held" else None
            with_ = rng.random()
            visits.append((pid, day.isoformat(), rng.choice(("prison", "prison", "service", "outside", "remote")),
                           as_id if with_ < 0.8 else None, psy_id if with_ > 0.3 else None, outcome, reason, created,
                           as_id, created))
    return releases, visits


def database_facts(path: Path) -> dict:
    con = sqlite3.connect(path)
    try:
        statuses = dict(con.execute("SELECT status, count(*) FROM demarche GROUP BY status").fetchall())
        return {
            "persons": con.execute("SELECT count(*) FROM person").fetchone()[0],
            "workers": con.execute("SELECT count(*) FROM worker").fetchone()[0],
            "organisations": con.execute("SELECT count(*) FROM organisation").fetchone()[0],
            "demarches": sum(statuses.values()),
            "statuses": statuses,
            "on_hold_with_partner": con.execute(
                "SELECT count(*) FROM demarche WHERE status = 'on-hold' AND partner_id IS NOT NULL").fetchone()[0],
            "released": con.execute("SELECT count(*) FROM milestone WHERE kind = 'actual_release'").fetchone()[0],
            "consents": con.execute("SELECT count(*) FROM consent").fetchone()[0],
            "consented_persons": con.execute("SELECT count(DISTINCT person_id) FROM consent").fetchone()[0],
            "consents_ended": con.execute(
                "SELECT count(*) FROM consent WHERE withdrawn_on IS NOT NULL OR until < ?",
                (TODAY.isoformat(),)).fetchone()[0],
            "consents_one_partner": con.execute(
                "SELECT count(*) FROM consent WHERE partner_id IS NOT NULL").fetchone()[0],
            "applications": dict(con.execute("SELECT state, count(*) FROM application GROUP BY state").fetchall()),
            "several_partners": con.execute(
                "SELECT count(*) FROM (SELECT demarche_id FROM application GROUP BY demarche_id "
                "HAVING count(*) > 1)").fetchone()[0],
            "visits": con.execute("SELECT count(*) FROM visit").fetchone()[0],
            "size_mb": path.stat().st_size / 1e6,
        }
    finally:
        con.close()


def copy_database(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


# ---------------------------------------------------------------------------------------------------------
# (b) the sweep and its baseline


def baseline_query(path: Path, horizon: dt.date, runs: int = 3) -> tuple[float, int, str]:
    """ONE indexed query with plain sqlite3: the sweep's candidates with the columns it reads."""
    from raj_release.services.reminders import COLUMNS  # the "last point sent" columns, per audience

    statuses = [s.value for s in OPEN_STATUSES]
    q = ("SELECT d.id, d.person_id, p.ref, o.code, d.key, d.due, d.status, p.as_id, p.psy_id, d.partner_id, "
         + ", ".join(f"d.{c}" for c in COLUMNS.values()) + " "
         "FROM demarche d JOIN person p ON p.id = d.person_id JOIN organisation o ON o.id = p.organisation_id "
         f"WHERE d.status IN ({', '.join('?' * len(statuses))}) AND d.due <= ?")
    params = (*statuses, horizon.isoformat())
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    qplan = "; ".join(r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + q, params))
    best, n = float("inf"), 0
    for _ in range(runs):
        t0 = time.perf_counter()
        rows = con.execute(q, params).fetchall()
        best = min(best, time.perf_counter() - t0)
        n = len(rows)
    con.close()
    return best, n, qplan


def timed_sweep(ctx, dry_run: bool, contact: bool = True, consent: bool = True):
    from raj_release.services.reminders import sweep

    t0 = time.perf_counter()
    r = sweep(ctx, TODAY, dry_run=dry_run, contact=contact, consent=consent)
    return time.perf_counter() - t0, r


def sweep_profile(ctx) -> dict:
    """Where a dry sweep spends its time, step by step (one more run, not part of the best-of-3)."""
    from raj_release.reminders.engine import due_reminders
    from raj_release.reminders.messages import build_messages
    from raj_release.services.reminders import _directory, load_candidates

    pc = time.perf_counter
    t0 = pc()
    cands = load_candidates(ctx, TODAY)
    t1 = pc()
    dues = due_reminders(cands, TODAY, ctx.config.calendar, ctx.config.reminder_policy)
    t2 = pc()
    with ctx.db.transaction() as s:
        msgs = build_messages(dues, TODAY, _directory(ctx, s))
    t3 = pc()
    return {"load_candidates": t1 - t0, "due_reminders": t2 - t1, "build_messages": t3 - t2,
            "items": sum(len(d.items) for d in dues), "messages": len(msgs)}


# ---------------------------------------------------------------------------------------------------------
# (c) Prefect


def use_database(path: Path) -> None:
    os.environ["RAJ_DATABASE_URL"] = f"sqlite:///{path}"
    get_settings.cache_clear()


def phase_prefect(src: Path, work: Path, rounds: int = 2) -> dict:
    from raj_release.services import open_context
    from raj_release.services.reminders import sweep

    t0 = time.perf_counter()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from flows.jobs import daily_sweep
    t_import = time.perf_counter() - t0

    out = {"import": t_import, "flow": [], "direct": [], "enqueued": []}
    t0 = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=120):
        out["server_start"] = time.perf_counter() - t0
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            for i in range(rounds):
                # the flow, as a worker runs it (minus the subprocess), on a fresh copy
                use_database(copy_database(src, work / f"flow-{i}.db"))
                t = time.perf_counter()
                res = daily_sweep(as_of=TODAY, deliver=False)
                out["flow"].append(time.perf_counter() - t)
                out["enqueued"].append(res["sweep"]["enqueued"])
                (work / f"flow-{i}.db").unlink()
                # the service alone, on another fresh copy
                use_database(copy_database(src, work / f"direct-{i}.db"))
                t = time.perf_counter()
                r = sweep(open_context(), TODAY)
                out["direct"].append(time.perf_counter() - t)
                out["enqueued"].append(len(r.enqueued))
                (work / f"direct-{i}.db").unlink()
        t0 = time.perf_counter()
    out["server_stop"] = time.perf_counter() - t0
    return out


# ---------------------------------------------------------------------------------------------------------
# (d) delivery


def phase_delivery(work: Path, config, n: int) -> dict:
    import apprise
    from apprise import NotifyFormat

    from raj_release.notify.sink import read_received, running_sink
    from raj_release.reminders.messages import Message
    from raj_release.services.outbox import deliver, enqueue, outbox_counts
    from raj_release.services.workers import ensure_organisation, register_worker
    from raj_release.store.migrate import upgrade

    url = f"sqlite:///{work / 'delivery.db'}"
    ctx = make_context(url, config)
    upgrade(ctx.db)
    ensure_organisation(ctx)
    workers = [f"as.deliv-{i:02d}" for i in range(DELIVERY_WORKERS)]
    for w in workers:
        register_worker(ctx, w, f"AS fictif {w[-2:]}", "as", notify=[f"${{RAJ_DEMO_SINK}}/workers/{w}"])
    body = ("Bonjour,\n\n**3 démarches** à suivre aujourd'hui :\n\n"
            + "".join(f"- BENCH-{i:06d} — démarche fictive — échéance 24/11/2026\n" for i in range(8)))
    msgs = [Message(workers[i % len(workers)], "as", "digest", "fr", f"Rappels du 23/11/2026 ({i})", body, (),
                    TODAY, f"bench-{i}") for i in range(n)]
    with ctx.db.transaction() as s:
        enqueue(s, ctx, msgs)
    out = {}
    with running_sink(work / "sink-outbox") as (sink_url, received):
        os.environ["RAJ_DEMO_SINK"] = sink_url
        t0 = time.perf_counter()
        rep = deliver(ctx)
        out["outbox"] = time.perf_counter() - t0
        out["report"] = rep.as_json()
        out["received_outbox"] = len(read_received(received))
    out["counts"] = outbox_counts(ctx)
    ctx.db.dispose()

    # baseline 1: plain apprise, one Apprise object per worker built beforehand, the same 500 notifications
    with running_sink(work / "sink-apprise") as (sink_url, received):
        objs = {}
        for w in workers:
            a = apprise.Apprise()
            a.add(f"{sink_url}/workers/{w}")
            objs[w] = a
        ok = 0
        t0 = time.perf_counter()
        for m in msgs:
            ok += objs[m.recipient].notify(title=m.subject, body=m.body, body_format=NotifyFormat.MARKDOWN) is True
        out["apprise"] = time.perf_counter() - t0
        out["apprise_ok"] = ok
        out["received_apprise"] = len(read_received(received))

    # baseline 2: urllib.request, the JSON apprise would post
    with running_sink(work / "sink-urllib") as (sink_url, received):
        base = sink_url.replace("json://", "http://")
        t0 = time.perf_counter()
        for m in msgs:
            data = json.dumps({"version": "1.0", "title": m.subject, "message": m.body, "attachments": [],
                               "type": "info"}).encode()
            req = urllib.request.Request(f"{base}/workers/{m.recipient}", data=data,
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                r.read()
        out["urllib"] = time.perf_counter() - t0
        out["received_urllib"] = len(read_received(received))
    return out


# ---------------------------------------------------------------------------------------------------------


def quiet_prefect() -> str:
    """Prefect reads its settings when first imported (only phase_prefect imports it): quiet, isolated settings
    (shared/STACK_NOTES.md §2) in the environment first. Returns the temporary PREFECT_HOME."""
    assert "prefect" not in sys.modules, "prefect was imported before its settings were set"
    home = tempfile.mkdtemp(prefix="raj-bench-prefect-")
    os.environ.update({
        "PREFECT_HOME": home, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    })
    os.environ.pop("PREFECT_API_URL", None)
    return home


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=DEFAULT_PERSONS)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached database")
    ap.add_argument("--skip-prefect", action="store_true", help="skip (c)")
    ap.add_argument("--messages", type=int, default=DELIVERY_MESSAGES, help="messages delivered in (d)")
    ap.add_argument("--rounds", type=int, default=2, help="flow/direct rounds in (c)")
    args = ap.parse_args(argv)

    print("== raj-release: reminders benchmark ==")
    for line in machine_facts():
        print(line)
    config = load_config(CONFIG_DIR)
    prefect_home = quiet_prefect()
    work = Path(tempfile.mkdtemp(prefix="raj-bench-sweep-"))
    try:
        # (a)
        path = cache_path(args.persons, args.seed)
        if path.exists() and not args.rebuild:
            print(f"\n(a) database: cached {path.relative_to(PROJECT_ROOT)} (--rebuild to build it again)")
        else:
            print(f"\n(a) building {path.relative_to(PROJECT_ROOT)} ...", flush=True)
            b = build_database(path, args.persons, args.seed, config)
            print(f"    built in {b['total']:.1f} s: organisations/workers {b['setup']:.1f} s, planning "
                  f"{b['plan']:.1f} s, executemany {b['insert']:.1f} s, bookkeeping of {b['yesterday']}'s sweep "
                  f"{b['bookkeeping']:.1f} s (points: {b['points']})")
        f = database_facts(path)
        by_count = sorted(f["statuses"].items(), key=lambda kv: -kv[1])
        mix = ", ".join(f"{k} {v / f['demarches']:.1%}" for k, v in by_count)
        print(f"    {f['persons']:,} persons, {f['demarches']:,} démarches ({f['demarches'] / f['persons']:.1f} per "
              f"person), {f['workers']} workers, {f['organisations']} organisations; {f['size_mb']:.0f} MB")
        print(f"    statuses: {mix}; on hold waiting on a partner: {f['on_hold_with_partner']:,}")
        print(f"    released (actual_release): {f['released']:,} persons; meetings: {f['visits']:,}")
        apps = f["applications"]
        print(f"    consents: {f['consents']:,} of {f['consented_persons']:,} persons "
              f"({f['consented_persons'] / f['persons']:.0%}; the others none), {f['consents_one_partner']:,} for one "
              f"partner, {f['consents_ended']:,} expired or withdrawn; applications: {sum(apps.values()):,} "
              f"({', '.join(f'{k} {v:,}' for k, v in sorted(apps.items()))}), {f['several_partners']:,} démarches "
              f"sent to several partners")

        # (b)
        from raj_release.services.reminders import horizon

        ctx = make_context(f"sqlite:///{path}", config)
        hz = horizon(ctx, TODAY)
        print(f"\n(b) dry sweep of {TODAY} (horizon {hz}), best of 3 ...", flush=True)
        dry_times, res = [], None
        for _ in range(3):
            t, res = timed_sweep(ctx, dry_run=True)
            dry_times.append(t)
        prof = sweep_profile(ctx)
        ctx.db.dispose()
        base_t, base_n, qplan = baseline_query(path, hz)
        kinds = Counter(m.kind for m in res.messages)
        best = min(dry_times)
        ratio = best / base_t
        print(f"    sweep(dry_run=True): best {best:.2f} s (runs {', '.join(f'{t:.2f}' for t in dry_times)}); "
              f"{res.candidates:,} candidates -> {prof['items']:,} items in {len(res.messages):,} messages "
              f"({dict(kinds)})")
        print(f"      steps: load_candidates {prof['load_candidates']:.2f} s, due_reminders "
              f"{prof['due_reminders']:.2f} s, build_messages (rendering) {prof['build_messages']:.2f} s")
        print(f"    baseline, one SQL query (sqlite3): best {base_t:.3f} s, {base_n:,} rows; plan: {qplan}")
        assert base_n == res.candidates, (base_n, res.candidates)
        print(f"    ratio sweep / baseline: {ratio:.1f}x")
        print(f"    target < {TARGET_SWEEP_S:.0f} s: {verdict(best < TARGET_SWEEP_S)}; target <= "
              f"{TARGET_SWEEP_RATIO:.0f}x the baseline: {verdict(ratio <= TARGET_SWEEP_RATIO)}")
        # the contact alert after release: the same dry sweep with and without it, alternated, best of 5 each
        ctx = make_context(f"sqlite:///{path}", config)
        with_c, without_c, cres = [], [], None
        for _ in range(5):
            t, _r = timed_sweep(ctx, dry_run=True, contact=False)
            without_c.append(t)
            t, cres = timed_sweep(ctx, dry_run=True, contact=True)
            with_c.append(t)
        ctx.db.dispose()
        added = min(with_c) / min(without_c) - 1
        ckinds = Counter((m.kind, m.role) for m in cres.messages if m.kind == "contact")
        print(f"    contact alert: sweep with it best {min(with_c):.2f} s, without it best {min(without_c):.2f} s "
              f"-> adds {added:+.1%} ({cres.contact_candidates:,} released persons checked; contact messages "
              f"{dict(ckinds)})")
        print(f"    target: the contact part adds < {TARGET_CONTACT_SHARE:.0%}: {verdict(added < TARGET_CONTACT_SHARE)}")
        # the consent gate: the same dry sweep with the consent checks and without them (consent=False),
        # alternated, best of 5 each, on the same database
        ctx = make_context(f"sqlite:///{path}", config)
        gated, ungated, gres, ures = [], [], None, None
        for _ in range(5):
            t, ures = timed_sweep(ctx, dry_run=True, consent=False)
            ungated.append(t)
            t, gres = timed_sweep(ctx, dry_run=True, consent=True)
            gated.append(t)
        ctx.db.dispose()
        gratio = min(gated) / min(ungated)
        gkinds, ukinds = Counter(m.kind for m in gres.messages), Counter(m.kind for m in ures.messages)
        missing = sum(m.body.count("consentement manquant pour") + m.body.count("toestemming ontbreekt voor")
                      for m in gres.messages)
        print(f"    consent gate: sweep with the consent checks best {min(gated):.2f} s (runs "
              f"{', '.join(f'{t:.2f}' for t in gated)}), without them (consent=False) best {min(ungated):.2f} s "
              f"(runs {', '.join(f'{t:.2f}' for t in ungated)}) -> ratio {gratio:.2f}x")
        print(f"      partner messages: {gkinds.get('partner', 0):,} with the checks, {ukinds.get('partner', 0):,} "
              f"without; « consentement manquant » lines in the digests: {missing:,}")
        print(f"    target: with the checks <= {TARGET_CONSENT_RATIO}x without: {verdict(gratio <= TARGET_CONSENT_RATIO)}")
        copy = copy_database(path, work / "write.db")
        ctx = make_context(f"sqlite:///{copy}", config)
        t_write, wres = timed_sweep(ctx, dry_run=False)
        ctx.db.dispose()
        copy.unlink()
        print(f"    sweep (enqueue + bookkeeping, one transaction) on a copy: {t_write:.2f} s, "
              f"{len(wres.enqueued):,} messages enqueued")

        # (c)
        if not args.skip_prefect:
            print(f"\n(c) Prefect flow daily_sweep(deliver=False) vs the service, {args.rounds} round(s) ...",
                  flush=True)
            pr = phase_prefect(path, work, args.rounds)
            overheads = [fl - di for fl, di in zip(pr["flow"], pr["direct"])]
            best_overhead = min(pr["flow"]) - min(pr["direct"])
            print(f"    one-time: import prefect + flows {pr['import']:.2f} s, server start (prefect_test_harness) "
                  f"{pr['server_start']:.1f} s, stop {pr['server_stop']:.1f} s")
            for i, (fl, di) in enumerate(zip(pr["flow"], pr["direct"])):
                print(f"    round {i + 1}: flow {fl:.2f} s, direct {di:.2f} s, overhead {fl - di:+.2f} s")
            print(f"    enqueued per run: {pr['enqueued']}")
            met = verdict(best_overhead < TARGET_PREFECT_OVERHEAD_S)
            print(f"    Prefect overhead (best flow - best direct): {best_overhead:+.2f} s; target < "
                  f"{TARGET_PREFECT_OVERHEAD_S:.0f} s: {met} (per round: {', '.join(f'{o:+.2f}' for o in overheads)} s)")

        # (d)
        print(f"\n(d) delivery of {args.messages} messages to a local json:// endpoint ...", flush=True)
        d = phase_delivery(work, config, args.messages)
        rate = args.messages / d["outbox"]
        print(f"    services.outbox.deliver: {d['outbox']:.2f} s -> {rate:.0f} msg/s; report {d['report']}; sink "
              f"received {d['received_outbox']}; outbox {d['counts']}")
        print(f"    baseline plain apprise (objects reused): {d['apprise']:.2f} s -> "
              f"{args.messages / d['apprise']:.0f} msg/s ({d['apprise_ok']} ok, sink received "
              f"{d['received_apprise']}); ratio outbox / apprise {d['outbox'] / d['apprise']:.1f}x")
        print(f"    baseline urllib.request: {d['urllib']:.2f} s -> {args.messages / d['urllib']:.0f} msg/s "
              f"(sink received {d['received_urllib']}); ratio outbox / urllib {d['outbox'] / d['urllib']:.1f}x")
        print(f"    target >= {TARGET_DELIVERY_PER_S:.0f} msg/s: {verdict(rate >= TARGET_DELIVERY_PER_S)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(prefect_home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
