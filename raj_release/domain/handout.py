"""The person's version of the plan (« Version pour la personne »): which steps a person reads, in what order
and group, and which key dates. Pure rules; services/handout.py reads the plan and the binôme, the page prints.

Only démarches with a `plain` wording in config/demarches.yaml are listed (the others are the service's own
paperwork); obsolete ones are left out; what is open is split into « soon » (overdue, or due within
`SOON_DAYS` calendar days) and « later »; what is done is named in one line. Nothing internal reaches it:
no status code, no note, no partner, no other person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from raj_release.domain.demarches import OPEN_STATUSES, Template
from raj_release.domain.enums import Certainty, MilestoneKind, Responsible, Status

SOON_DAYS = 30  # « à faire bientôt »: a month ahead, the span of two or three meetings in prison

# the key dates a person is told, in this order (admissibility dates are the lawyer's and the binôme's)
PERSON_DATES = (MilestoneKind.TAP_HEARING, MilestoneKind.EXPECTED_RELEASE, MilestoneKind.FOND_DE_PEINE,
                MilestoneKind.ACTUAL_RELEASE)


@dataclass(frozen=True, slots=True)
class Step:
    text: str                 # the step in plain words, in the person's language
    bring: str | None         # what to bring for it
    due: dt.date | None       # None: its date depends on the release day, not yet known
    asap: bool                # its date is past: « as soon as possible », not a date in the past
    provisional: bool         # planned against a date not yet sure
    waiting: bool             # on hold: we wait for a service's answer
    who: Responsible          # who of the binôme does it with the person


@dataclass(frozen=True, slots=True)
class KeyDate:
    kind: MilestoneKind
    date: dt.date
    sure: bool


@dataclass(frozen=True, slots=True)
class Handout:
    soon: tuple[Step, ...]
    later: tuple[Step, ...]
    done: tuple[str, ...]
    dates: tuple[KeyDate, ...]


def handout(demarches: Iterable, templates: Mapping[str, Template], milestones: Iterable, language: str,
            today: dt.date) -> Handout:
    """`demarches` have key, status, due, provisional and obsolete (a plan's DemarcheViews); `milestones`
    kind, date and certainty."""
    soon: list[Step] = []
    later: list[Step] = []
    done: list[str] = []
    horizon = today + dt.timedelta(days=SOON_DAYS)
    for d in sorted(demarches, key=lambda d: (d.due is None, d.due or dt.date.max)):
        t = templates.get(d.key)
        if t is None or t.plain is None or d.obsolete:
            continue
        status = Status(d.status)
        text = t.label_in(language, t.plain)
        if status is Status.COMPLETED:
            done.append(text)
            continue
        if status not in OPEN_STATUSES:
            continue  # not applicable, failed: nothing for the person to do
        step = Step(text=text, bring=t.label_in(language, t.bring) if t.bring else None, due=d.due,
                    asap=d.due is not None and d.due < today, provisional=bool(d.provisional),
                    waiting=status is Status.ON_HOLD, who=t.responsible)
        (soon if d.due is not None and d.due <= horizon else later).append(step)
    by_kind = {MilestoneKind(x.kind): x for x in milestones}
    if MilestoneKind.ACTUAL_RELEASE in by_kind:  # released: the expected dates are history
        wanted: tuple[MilestoneKind, ...] = (MilestoneKind.ACTUAL_RELEASE,)
    else:
        wanted = PERSON_DATES
    dates = tuple(KeyDate(k, by_kind[k].date, str(by_kind[k].certainty) == Certainty.CONFIRMED.value)
                  for k in wanted if k in by_kind and by_kind[k].date >= today - dt.timedelta(days=SOON_DAYS))
    return Handout(tuple(soon), tuple(later), tuple(done), dates)
