"""Backward, as-late-as-possible scheduling of a plan de reclassement (DESIGN.md "Scheduling semantics").

`plan()` is a pure function of (templates, person, milestones, calendar, today, current démarches):

1. Which démarches: the templates whose `applies_if` holds for the person; a prévenu with no hearing and no
   release date gets only the "minimum kit", anchored on intake. A dependency on a démarche that is not in
   the plan is dropped.
2. Anchors: T = the hearing (or, without one, the release anchor R); R = the actual release, else the
   expected release, else the fond de peine, else T + 21 days (window T+14..T+28, estimated); J = the actual
   release, else R (provisional: re-planned at release); I = intake. A démarche due on or before its anchor
   is planned against the anchor's earliest plausible date (its window, or a margin for estimated dates).
3. Target = anchor + offset (calendar or working days), moved back to a working day.
4. Backward pass over dependencies (dependents first): a prerequisite is due no later than the start of each
   open dependent (its due minus its duration, in working days).
5. Forward pass (prerequisites first): a date already past is moved to the first working day from today and
   flagged *compressed* (« délai raccourci »); a dependent never starts before an open prerequisite is due, so
   compression propagates down the chain; a démarche whose start is already past has less time than it
   takes (compressed too). A démarche that was already overdue and is still due in the past keeps its
   date: replanning never hides lateness. Then each open démarche's earliest finish (from today, after its
   prerequisites' earliest finish, taking its whole duration) says whether it can be done in time: it is
   *late* (the plan is at risk) when that finish or its due date falls after the anchor it prepares or after
   the pinned date of an open dependent (DOMAIN.md §8.6).
6. Completed, cancelled, failed and pinned démarches keep their dates; pinned open ones still constrain the
   others. Every moved date is reported as a Change (old, new).

Everything works on date ordinals for speed (bench/bench_planner.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from raj_release.domain.demarches import FINAL_STATUSES, TemplateSet
from raj_release.domain.demarches import at_risk as plan_at_risk
from raj_release.domain.enums import (
    Anchor,
    Certainty,
    MilestoneKind,
    Modality,
    Need,
    OffsetUnit,
    Procedure,
    Situation,
    Status,
)
from raj_release.domain.milestones import RELEASE_KINDS, Milestone
from raj_release.planning.calendar import WorkingCalendar

K = MilestoneKind


@dataclass(frozen=True, slots=True)
class PlanningPolicy:
    """Tunable rules of the planner (config/planning.yaml)."""

    # expected release when only the hearing is known: judgment within 14 days, release 0-14 days later
    release_after_hearing_days: tuple[int, int, int] = (14, 21, 28)  # earliest, likely, latest
    # how many working days earlier than its date an estimated milestone may come, when no window is given
    margin_working_days: Mapping[Certainty, int] = field(
        default_factory=lambda: {Certainty.CONFIRMED: 0, Certainty.EXPECTED: 0, Certainty.ESTIMATED: 10})


@dataclass(frozen=True, slots=True)
class Subject:
    """What the planner needs to know of a person."""

    needs: frozenset[Need] = frozenset()
    situation: Situation = Situation.CONDAMNE
    modality: Modality | None = None
    procedure: Procedure | None = None


@dataclass(frozen=True, slots=True)
class Current:
    """A démarche as it stands before replanning."""

    status: Status = Status.PLANNED
    due: dt.date | None = None
    pinned: bool = False
    compressed: bool = False


@dataclass(frozen=True, slots=True)
class ResolvedAnchor:
    anchor: Anchor
    date: int  # ordinal of the most likely date
    earliest: int  # ordinal of the earliest plausible date
    source: str  # the milestone kind used, or "derived"
    provisional: bool  # not a confirmed date of this anchor's own milestone


@dataclass(slots=True)
class PlannedDemarche:
    key: str
    due: dt.date | None
    start: dt.date | None
    target: dt.date | None  # the as-late-as-possible date before any compression
    status: Status
    anchor: Anchor | None  # the anchor actually used (T may fall back to R, J to R)
    anchor_date: dt.date | None
    anchor_source: str | None  # the milestone kind the anchor came from, or "derived"
    provisional: bool
    compressed: bool
    pinned: bool
    late_vs_anchor: bool  # due after the date it should precede

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES


@dataclass(frozen=True, slots=True)
class Change:
    key: str
    old_due: dt.date | None
    new_due: dt.date | None


@dataclass(slots=True)
class Plan:
    mode: str  # "full" or "prevenu_kit"
    demarches: list[PlannedDemarche]
    changes: list[Change]  # open démarches whose due date moved
    added: list[str]  # démarches that were not in the plan before
    anchors: dict[Anchor, ResolvedAnchor]

    @property
    def at_risk(self) -> bool:
        return plan_at_risk((d.status, d.late_vs_anchor) for d in self.demarches)

    def by_key(self) -> dict[str, PlannedDemarche]:
        return {d.key: d for d in self.demarches}


def resolve_anchors(milestones: Mapping[MilestoneKind, Milestone],
                    policy: PlanningPolicy = PlanningPolicy(),
                    calendar: WorkingCalendar | None = None) -> dict[Anchor, ResolvedAnchor]:
    """Which date each anchor letter stands for, given the milestones known."""

    def own(anchor: Anchor, m: Milestone) -> ResolvedAnchor:
        o = m.date.toordinal()
        if m.earliest is not None:
            lo = m.earliest.toordinal()
        else:
            margin = policy.margin_working_days.get(m.certainty, 0)
            lo = calendar.add_ordinal(o, -margin) if (margin and calendar is not None) else o
        return ResolvedAnchor(anchor, o, min(lo, o), m.kind.value, m.certainty is not Certainty.CONFIRMED)

    out: dict[Anchor, ResolvedAnchor] = {}
    if (m := milestones.get(K.INTAKE)) is not None:
        out[Anchor.I] = own(Anchor.I, m)
    hearing = milestones.get(K.TAP_HEARING)
    release = next((milestones[k] for k in RELEASE_KINDS if k in milestones), None)
    if release is not None:
        r = own(Anchor.R, release)
        # an actual release is a fact: no window
        if release.kind is K.ACTUAL_RELEASE:
            o = release.date.toordinal()
            r = ResolvedAnchor(Anchor.R, o, o, release.kind.value, False)
        out[Anchor.R] = r
    elif hearing is not None:
        lo, mid, _hi = policy.release_after_hearing_days
        t = hearing.date.toordinal()
        out[Anchor.R] = ResolvedAnchor(Anchor.R, t + mid, t + lo, "derived", True)
    # A missing T or J is stood in for by R itself: the démarche reports anchor R and is provisional.
    if hearing is not None:
        out[Anchor.T] = own(Anchor.T, hearing)
    elif Anchor.R in out:
        out[Anchor.T] = out[Anchor.R]
    if (m := milestones.get(K.ACTUAL_RELEASE)) is not None:
        o = m.date.toordinal()
        out[Anchor.J] = ResolvedAnchor(Anchor.J, o, o, m.kind.value, False)
    elif Anchor.R in out:
        out[Anchor.J] = out[Anchor.R]
    return out


def is_kit_mode(subject: Subject, milestones: Mapping[MilestoneKind, Milestone]) -> bool:
    return subject.situation is Situation.PREVENU and K.TAP_HEARING not in milestones and not any(
        k in milestones for k in RELEASE_KINDS)


def plan(
    templates: TemplateSet,
    subject: Subject,
    milestones: Mapping[MilestoneKind, Milestone],
    calendar: WorkingCalendar,
    today: dt.date,
    current: Mapping[str, Current] | None = None,
    policy: PlanningPolicy = PlanningPolicy(),
) -> Plan:
    current = current or {}
    kit = is_kit_mode(subject, milestones)
    anchors = resolve_anchors(milestones, policy, calendar)
    cal = calendar
    today_o = today.toordinal()
    floor_o = cal.next_ordinal(today_o)

    # 1. which démarches
    chosen = [
        t for t in templates.order
        if (not kit or t.kit_offset is not None)
        and t.applies_if.holds(subject.needs, subject.situation, subject.modality, subject.procedure)
    ]
    in_plan = {t.key for t in chosen}

    n = len(chosen)
    due: list[int | None] = [None] * n
    target: list[int | None] = [None] * n
    used: list[ResolvedAnchor | None] = [None] * n
    frozen = [False] * n  # final or pinned: keeps its date
    constrains = [False] * n  # open and scheduled: its start bounds its prerequisites
    index = {t.key: i for i, t in enumerate(chosen)}
    deps = [[index[d] for d in t.depends_on if d in in_plan] for t in chosen]
    limit: list[int | None] = [None] * n  # latest due allowed by dependents

    # 2-4. backward pass, dependents first
    for i in range(n - 1, -1, -1):
        t = chosen[i]
        cur = current.get(t.key)
        if cur is not None and (cur.pinned or cur.status in FINAL_STATUSES):
            frozen[i] = True
            o = cur.due.toordinal() if cur.due is not None else None
            due[i] = target[i] = o
            constrains[i] = o is not None and cur.status not in FINAL_STATUSES
        else:
            if kit:
                a = anchors.get(Anchor.I)
                offset, unit, pre = t.kit_offset, OffsetUnit.CALENDAR, False
            else:
                a = anchors.get(t.anchor)
                offset, unit, pre = t.offset, t.offset_unit, t.offset <= 0
            used[i] = a
            if a is None:
                continue  # no date to plan against yet
            base = a.earliest if pre else a.date
            o = cal.add_ordinal(base, offset) if unit is OffsetUnit.WORKING else cal.prev_ordinal(base + offset)
            if limit[i] is not None and limit[i] < o:
                o = limit[i]
            due[i] = target[i] = o
            constrains[i] = True
        if constrains[i]:
            start = cal.add_ordinal(due[i], -t.duration)
            for p in deps[i]:
                if limit[p] is None or start < limit[p]:
                    limit[p] = start

    # 5. forward pass, prerequisites first: compression. A date already past moves to the first working day
    # from today. A démarche whose prerequisite is due after its normal start starts later instead (its
    # duration is squeezed) and, only if the prerequisite is due after its due date, is due with it. A
    # démarche whose start (due minus duration) is already past when its date is set or moved has less
    # time than it takes. Each of these is a « délai raccourci » on that démarche (`compressed`), not a risk.
    start: list[int | None] = [None] * n
    compressed = [False] * n
    for i in range(n):
        if due[i] is None:
            continue
        t = chosen[i]
        if frozen[i]:
            start[i] = cal.add_ordinal(due[i], -t.duration)
            continue
        o = due[i]
        cur = current.get(t.key)
        cur_o = cur.due.toordinal() if cur is not None and cur.due is not None else None
        if cur_o is not None and cur_o < today_o and o < today_o:
            o = cur_o  # already overdue and still due in the past: keep its date
            compressed[i] = cur.compressed
        elif o < floor_o:
            o = floor_o
            compressed[i] = True
        s_ = cal.add_ordinal(o, -t.duration)
        for p in deps[i]:
            if constrains[p] and due[p] is not None and due[p] > s_:
                s_ = due[p]
                compressed[i] = True
        if s_ > o:
            o = s_
        if s_ < today_o and not compressed[i] and not kit and t.offset <= 0:
            # judged when the date is set or moves (a démarche whose start simply passed has begun), and only
            # for one that prepares its anchor: one after the release starts with the release
            compressed[i] = cur.compressed if cur_o == o else True
        due[i], start[i] = o, s_

    # 5b. can each démarche still be done in time for what it prepares? Its earliest finish: begun no earlier
    # than the first working day from today and than the earliest finish of its open prerequisites, and
    # taking its whole duration. Late (the plan is at risk) when that finish, or its due date, falls after
    # its anchor (for a démarche that prepares it) or after the pinned date of an open démarche that
    # depends on it (a dependent that is not pinned can still move; the lateness then shows where the chain
    # meets its anchor). Final démarches are done; a pinned one finishes on its pinned date.
    finish: list[int | None] = [None] * n
    final = [cur.status in FINAL_STATUSES if (cur := current.get(t.key)) is not None else False for t in chosen]
    for i in range(n):
        if due[i] is None or final[i]:
            continue
        if frozen[i]:
            finish[i] = due[i]
            continue
        es = floor_o
        for p in deps[i]:
            if finish[p] is not None and finish[p] > es:
                es = finish[p]
        finish[i] = cal.add_ordinal(es, chosen[i].duration)
    late = [False] * n
    for i in range(n):
        if finish[i] is None:
            continue
        if frozen[i]:  # a pinned date (an appointment) does not move: its prerequisites must finish by then
            for p in deps[i]:
                if finish[p] is not None and finish[p] > due[i]:
                    late[p] = True
        a = used[i]
        if a is not None and not kit and chosen[i].offset <= 0 and max(finish[i], due[i]) > a.date:
            late[i] = True

    # 6. results and the diff against what stood before
    out: list[PlannedDemarche] = []
    changes: list[Change] = []
    added: list[str] = []
    fromord = dt.date.fromordinal
    for i, t in enumerate(chosen):
        cur = current.get(t.key)
        o = due[i]
        a = used[i]
        pinned = bool(cur and cur.pinned)
        d_due = fromord(o) if o is not None else None
        out.append(PlannedDemarche(
            key=t.key,
            due=d_due,
            start=fromord(start[i]) if start[i] is not None else None,
            target=fromord(target[i]) if target[i] is not None else None,
            status=cur.status if cur is not None else Status.PLANNED,
            anchor=a.anchor if a is not None else None,
            anchor_date=fromord(a.date) if a is not None else None,
            anchor_source=a.source if a is not None else None,
            provisional=bool(a is not None and (a.provisional or (a.anchor is not t.anchor and not kit))),
            compressed=compressed[i] if not frozen[i] else bool(cur and cur.compressed),
            pinned=pinned,
            late_vs_anchor=late[i],
        ))
        if cur is None:
            added.append(t.key)
        elif not frozen[i] and cur.due != d_due:
            changes.append(Change(t.key, cur.due, d_due))
    return Plan("prevenu_kit" if kit else "full", out, changes, added, anchors)
