"""Deterministic, fictitious persons for the benchmarks (bench_planner.py, bench_store.py).

Nothing here is real: references are "BENCH-000001", ..., there are no names, and every date is drawn from a
seeded random.Random relative to a fixed `today` (TODAY, 2026-11-23), so two runs with the same seed and the
same N plan exactly the same persons on any machine.

Plain stdlib values only (strings and datetime.date): each benchmark turns them into what it feeds (the
planner's Subject/Milestone objects, or the arguments of the services).

The mix, per person:
- prison: saint-gilles 30 %, haren 30 %, ittre 20 %, and 20 % spread over a few other prisons of
  config/prisons.yaml (nivelles, lantin, mons, leuven-centraal, antwerpen);
- situation: condamné 80 %, prévenu 20 %;
- needs: an independent draw per need (housing, cure, substitution, medical, income, training, debts), so a
  person can have none, one or several;
- modality: condamnés lc / se / dl / fond_de_peine; prévenus mostly unknown (None), else one of the four;
- milestones: intake in the past year (0-364 days before TODAY), always;
  condamnés seeking lc/se/dl: a TAP (or JAP) hearing 1-9 months (30-270 days) after intake for 90 %, and an
  expected release 14-28 days after the hearing for a quarter of those; the other 10 % have an estimated
  expected release (half of them) or nothing yet;
  condamnés at fond de peine: an expected release 2-18 months after intake;
  prévenus: nothing but intake for 75 % (the planner's "minimum kit"), an estimated expected release
  (with a window) for 25 %.
As intakes spread over the past year, roughly half the hearings are already past on TODAY: the planner's
compression path is exercised as well as its normal one.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

TODAY = dt.date(2026, 11, 23)
DEFAULT_SEED = 20261123

# (code, weight); every code is in config/prisons.yaml (the benchmarks check it)
PRISONS = (
    ("saint-gilles", 30), ("haren", 30), ("ittre", 20),
    ("nivelles", 4), ("lantin", 4), ("mons", 4), ("leuven-centraal", 4), ("antwerpen", 4),
)
NEED_PROBABILITY = (
    ("housing", 0.55), ("cure", 0.30), ("substitution", 0.25), ("medical", 0.40),
    ("income", 0.60), ("training", 0.30), ("debts", 0.35),
)
CONDAMNE_MODALITIES = (("lc", 45), ("se", 25), ("dl", 15), ("fond_de_peine", 15))
TAP_CERTAINTY = (("confirmed", 70), ("expected", 20), ("estimated", 10))

# fictitious binômes (assistant social, psychologue) the store benchmark registers first
WORKERS = tuple((f"as.bench-{i:02d}", f"psy.bench-{i:02d}") for i in range(1, 9))


@dataclass(frozen=True, slots=True)
class MilestoneSpec:
    kind: str  # a raj_release MilestoneKind value
    date: dt.date
    earliest: dt.date | None = None
    latest: dt.date | None = None
    certainty: str = "confirmed"


@dataclass(frozen=True, slots=True)
class BenchPerson:
    ref: str
    prison: str
    situation: str  # "condamne" | "prevenu"
    needs: tuple[str, ...]
    modality: str | None
    procedure: str | None
    language: str
    as_id: str
    psy_id: str
    intake: dt.date
    milestones: tuple[MilestoneSpec, ...]  # intake first, then the others (never more than one of a kind)

    @property
    def extra_milestones(self) -> tuple[MilestoneSpec, ...]:
        """The milestones other than intake (what set_milestone is called for after registration)."""
        return tuple(m for m in self.milestones if m.kind != "intake")


def _pick(rng: random.Random, weighted) -> str:
    codes, weights = zip(*weighted)
    return rng.choices(codes, weights=weights, k=1)[0]


def _window(rng: random.Random, date: dt.date) -> tuple[dt.date, dt.date]:
    return date - dt.timedelta(days=rng.randint(0, 14)), date + dt.timedelta(days=rng.randint(0, 14))


def make_person(rng: random.Random, i: int, today: dt.date = TODAY) -> BenchPerson:
    D = dt.timedelta
    prison = _pick(rng, PRISONS)
    situation = "condamne" if rng.random() < 0.80 else "prevenu"
    needs = tuple(n for n, p in NEED_PROBABILITY if rng.random() < p)
    if situation == "condamne":
        modality = _pick(rng, CONDAMNE_MODALITIES)
        procedure = None if modality == "fond_de_peine" else ("tap" if rng.random() < 0.9 else "jap")
    else:
        modality = None if rng.random() < 0.7 else _pick(rng, CONDAMNE_MODALITIES)
        procedure = None
    language = "fr" if rng.random() < 0.7 else "nl"
    as_id, psy_id = WORKERS[rng.randrange(len(WORKERS))]
    intake = today - D(days=rng.randint(0, 364))

    ms = [MilestoneSpec("intake", intake)]
    if situation == "condamne" and modality != "fond_de_peine":
        if rng.random() < 0.90:
            hearing = intake + D(days=rng.randint(30, 270))
            hearing += D(days=(7 - hearing.weekday()) % 7 if hearing.weekday() >= 5 else 0)  # hearings sit on weekdays
            ms.append(MilestoneSpec("tap_hearing", hearing, certainty=_pick(rng, TAP_CERTAINTY)))
            if rng.random() < 0.25:
                ms.append(MilestoneSpec("expected_release", hearing + D(days=rng.randint(14, 28)),
                                        certainty="expected"))
        elif rng.random() < 0.5:
            release = intake + D(days=rng.randint(90, 540))
            lo, hi = _window(rng, release)
            ms.append(MilestoneSpec("expected_release", release, lo, hi, "estimated"))
        # else: no date yet (the plan stays without dates until one is known)
    elif situation == "condamne":  # fond de peine
        ms.append(MilestoneSpec("expected_release", intake + D(days=rng.randint(60, 540)),
                                certainty="confirmed"))
    elif rng.random() < 0.25:  # prévenu with a release in sight
        release = intake + D(days=rng.randint(30, 300))
        lo, hi = _window(rng, release)
        ms.append(MilestoneSpec("expected_release", release, lo, hi, "estimated"))
    return BenchPerson(ref=f"BENCH-{i:06d}", prison=prison, situation=situation, needs=needs,
                       modality=modality, procedure=procedure, language=language, as_id=as_id,
                       psy_id=psy_id, intake=intake, milestones=tuple(ms))


def generate(n: int, seed: int = DEFAULT_SEED, today: dt.date = TODAY) -> list[BenchPerson]:
    """N fictitious persons, "BENCH-000001" to "BENCH-{n:06d}", the same for the same (n, seed, today)."""
    rng = random.Random(seed)
    return [make_person(rng, i, today) for i in range(1, n + 1)]


def describe(persons: list[BenchPerson]) -> str:
    """One line about the mix, printed by the benchmarks."""
    n = len(persons) or 1
    cond = sum(p.situation == "condamne" for p in persons)
    hearing = sum(any(m.kind == "tap_hearing" for m in p.milestones) for p in persons)
    release = sum(any(m.kind == "expected_release" for m in p.milestones) for p in persons)
    bare = sum(len(p.milestones) == 1 for p in persons)
    needs = sum(len(p.needs) for p in persons) / n
    return (f"{len(persons)} persons: {cond / n:.0%} condamnés, {hearing / n:.0%} with a hearing, "
            f"{release / n:.0%} with an expected release, {bare / n:.0%} with intake only; "
            f"{needs:.1f} needs on average")


if __name__ == "__main__":  # a quick look: python bench/_data.py
    people = generate(10)
    for p in people:
        print(p.ref, p.prison, p.situation, p.modality, ",".join(p.needs) or "-",
              "; ".join(f"{m.kind} {m.date}" for m in p.milestones))
    print(describe(generate(10_000)))


# ---------------------------------------------------------------------------------------------------------
# consents and applications (issue 12), for the sweep benchmark's database

CONSENTED_SHARE = 0.85  # persons who gave the consents their plan needs; the others gave none (yet)
PARTNER_CONSENT_SHARE = 0.15  # of a consented person's consents: for one partner of the type instead of the type
EXPIRED_SHARE = 0.04  # ... given until a day now past
WITHDRAWN_SHARE = 0.03  # ... withdrawn since
SEVERAL_PARTNERS_SHARE = 0.35  # démarches on hold sent to every partner of the type at once (when it has several)
APPLICATION_STATES = (("sent", 75), ("waitlist", 25))  # of the applications still waiting for an answer


def consent_rows(rng: random.Random, person_id: int, needs: list[tuple[str, tuple[str, ...]]],
                 partners_by_type: dict[str, list[str]], given_on: dt.date, actor: str, created: str,
                 today: dt.date = TODAY) -> list[tuple]:
    """The consent register of one person, as rows (person_id, partner_id, partner_type, purpose, given_on,
    how, recorded_by, until, withdrawn_on, withdraw_reason, withdrawn_by, created_at). `needs`: (purpose,
    partner types) of each démarche of the plan that goes to a partner. A consented person records, per
    need, a consent for one of its types (one the directory has a partner of, when there is one), once per
    (purpose, type); a few are for one partner only, a few expired or withdrawn. The others record none."""
    if rng.random() >= CONSENTED_SHARE:
        return []
    seen: set[tuple[str, str]] = set()
    out = []
    for purpose, types in needs:
        known = [t for t in types if partners_by_type.get(t)]
        ptype = known[0] if known else types[0]
        if (purpose, ptype) in seen:
            continue
        seen.add((purpose, ptype))
        partner = None
        if known and rng.random() < PARTNER_CONSENT_SHARE:
            partner = rng.choice(partners_by_type[ptype])
        until = withdrawn = reason = by = None
        r = rng.random()
        if r < EXPIRED_SHARE:
            until = today - dt.timedelta(days=rng.randint(1, 60))
        elif r < EXPIRED_SHARE + WITHDRAWN_SHARE:
            withdrawn, reason, by = today - dt.timedelta(days=rng.randint(0, 60)), "bench (fictif)", actor
        given = min(given_on, until or given_on, withdrawn or given_on)
        out.append((person_id, partner, None if partner else ptype, purpose, given.isoformat(),
                    "oral" if rng.random() < 0.2 else "signed", actor, until and until.isoformat(),
                    withdrawn and withdrawn.isoformat(), reason, by, created))
    return out


def application_rows(rng: random.Random, person_id: int, demarche_id: int, key: str, partner: str,
                     same_type: list[str], sent_on: dt.date, actor: str, created: str) -> list[tuple]:
    """The applications of a démarche on hold waiting on `partner`, as rows (person_id, demarche_id, key,
    partner_id, state, sent_on, state_on, position, answers, created_by, created_at, updated_at): to that
    partner, and for some to every other partner of its type too (`same_type`), each sent or on a waiting
    list."""
    partners = [partner]
    if len(same_type) > 1 and rng.random() < SEVERAL_PARTNERS_SHARE:
        partners += [p for p in same_type if p != partner]
    out = []
    for p in partners:
        state = _pick(rng, APPLICATION_STATES)
        position = rng.randint(1, 30) if state == "waitlist" else None
        out.append((person_id, demarche_id, key, p, state, sent_on.isoformat(), sent_on.isoformat(), position,
                    int(state == "waitlist"), actor, created, created))
    return out
