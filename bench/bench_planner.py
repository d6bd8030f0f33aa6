"""Benchmark of the pure planner: raj_release.planning.scheduler.plan() over N fictitious persons.

    .venv/bin/python bench/bench_planner.py                # 10,000 persons, best of 3 runs
    .venv/bin/python bench/bench_planner.py --persons 2000 --runs 5

What is timed: only the calls to plan(templates, subject, milestones, calendar, today, None, policy) with
the default configuration (config/), one per person, as for a first plan (no current démarches). The
Subject and Milestone inputs are built before the clock starts.

Baseline, measured in the same run on the same persons: a naive loop that, for the same applicable
templates (selected beforehand with the planner's own rule), only computes anchor + offset with datetime
(date + timedelta), with no working-day calendar, no dependencies, no compression and no result objects
beyond a (key, date) tuple. The ratio planner / baseline is what the calendar, the dependency passes and the
PlannedDemarche results cost on top of that.

Target: at least 5,000 persons per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import DEFAULT_SEED, TODAY, describe, generate  # noqa: E402

from raj_release.config import load_config  # noqa: E402
from raj_release.domain.enums import Certainty, MilestoneKind, Modality, Need, Procedure, Situation  # noqa: E402
from raj_release.domain.milestones import Milestone  # noqa: E402
from raj_release.planning.scheduler import Subject, is_kit_mode, plan  # noqa: E402
from raj_release.settings import PROJECT_ROOT  # noqa: E402

TARGET_PERSONS_PER_S = 5_000


def build_inputs(persons):
    """(Subject, {MilestoneKind: Milestone}) per person: the planner's inputs, built once, untimed."""
    out = []
    for p in persons:
        subject = Subject(
            needs=frozenset(Need(n) for n in p.needs),
            situation=Situation(p.situation),
            modality=Modality(p.modality) if p.modality else None,
            procedure=Procedure(p.procedure) if p.procedure else None,
        )
        ms = {MilestoneKind(m.kind): Milestone(kind=m.kind, date=m.date, earliest=m.earliest, latest=m.latest,
                                               certainty=Certainty(m.certainty))
              for m in p.milestones}
        out.append((subject, ms))
    return out


def build_baseline_inputs(templates, inputs, release_after_hearing: int):
    """Per person, the milestone dates and the applicable templates as (key, anchor letter, offset days),
    selected with the planner's own rule (prévenu kit or applies_if). Untimed."""
    out = []
    for subject, ms in inputs:
        kit = is_kit_mode(subject, ms)
        rows = []
        for t in templates.order:
            if kit and t.kit_offset is None:
                continue
            if not t.applies_if.holds(subject.needs, subject.situation, subject.modality, subject.procedure):
                continue
            rows.append((t.key, "I", t.kit_offset) if kit else (t.key, t.anchor.value, t.offset))
        dates = {k.value: m.date for k, m in ms.items()}
        out.append((dates, rows))
    return out


def run_planner(templates, calendar, policy, inputs, today):
    t0 = time.perf_counter()
    n_dem = 0
    for subject, ms in inputs:
        n_dem += len(plan(templates, subject, ms, calendar, today, None, policy).demarches)
    return time.perf_counter() - t0, n_dem


def run_baseline(inputs, release_after_hearing: int):
    """Naive: anchor + offset in calendar days with datetime; nothing else."""
    td = dt.timedelta
    after = td(days=release_after_hearing)
    t0 = time.perf_counter()
    n_dem = 0
    for dates, rows in inputs:
        hearing = dates.get("tap_hearing")
        release = dates.get("actual_release") or dates.get("expected_release") or dates.get("fond_de_peine")
        if release is None and hearing is not None:
            release = hearing + after
        anchors = {"I": dates.get("intake"), "T": hearing or release, "R": release,
                   "J": dates.get("actual_release") or release}
        out = []
        for key, letter, offset in rows:
            a = anchors[letter]
            out.append((key, a + td(days=offset) if a is not None else None))
        n_dem += len(out)
    return time.perf_counter() - t0, n_dem


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=10_000, help="how many fictitious persons (default 10000)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs, the best one is reported (default 3)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)

    print("== bench_planner: raj_release.planning.scheduler.plan(), pure, default templates ==")
    print(f"python {platform.python_version()} ({platform.python_implementation()}), "
          f"{platform.system()} {platform.machine()}, os.cpu_count()={os.cpu_count()}, "
          f"SQLite {sqlite3.sqlite_version} (unused here)")
    cfg = load_config((PROJECT_ROOT / "config").resolve())
    templates, calendar, policy = cfg.templates, cfg.calendar, cfg.policy
    lo, mid, hi = policy.release_after_hearing_days
    print(f"config: {cfg.directory} ({len(templates)} démarche templates); today = {TODAY.isoformat()}; "
          f"seed = {args.seed}")

    t0 = time.perf_counter()
    persons = generate(args.persons, args.seed, TODAY)
    inputs = build_inputs(persons)
    base_inputs = build_baseline_inputs(templates, inputs, mid)
    t_build = time.perf_counter() - t0
    print(describe(persons))
    print(f"inputs built BEFORE timing (generator + Subject/Milestone pydantic objects): {t_build:.2f} s; "
          f"the timings below cover the plan() calls only")

    # sanity: the baseline plans the same démarches as the planner
    keys_planner = [[d.key for d in plan(templates, s, ms, calendar, TODAY, None, policy).demarches]
                    for s, ms in inputs[:500]]
    keys_base = [[k for k, _a, _o in rows] for _d, rows in base_inputs[:500]]
    if keys_planner != keys_base:
        print("WARNING: the baseline does not select the same démarches as the planner", file=sys.stderr)

    planner_runs, base_runs = [], []
    for r in range(args.runs):
        t_p, n_p = run_planner(templates, calendar, policy, inputs, TODAY)
        t_b, n_b = run_baseline(base_inputs, mid)
        planner_runs.append(t_p)
        base_runs.append(t_b)
        print(f"  run {r + 1}: planner {t_p:.3f} s ({n_p} démarches), baseline {t_b:.3f} s ({n_b} démarches)")
    best_p, best_b = min(planner_runs), min(base_runs)
    n = len(inputs)
    pps, dps = n / best_p, n_p / best_p
    print()
    print(f"planner  (best of {args.runs}): {best_p:.3f} s for {n} persons -> {pps:,.0f} persons/s, "
          f"{dps:,.0f} démarches/s ({n_p / n:.1f} démarches per person, {best_p / n * 1e6:.0f} µs per plan)")
    print(f"baseline (best of {args.runs}): {best_b:.3f} s -> {n / best_b:,.0f} persons/s, "
          f"{n_b / best_b:,.0f} démarches/s (anchor + offset with datetime only)")
    print(f"ratio planner/baseline (time): {best_p / best_b:.1f}x")
    verdict = "MET" if pps >= TARGET_PERSONS_PER_S else "MISSED"
    print(f"target >= {TARGET_PERSONS_PER_S:,} persons/s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
