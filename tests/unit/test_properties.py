"""Properties of the planner over random template sets, people, milestones, `today` and current démarches.

Random template sets are DAGs of 1-15 templates (dependencies on earlier templates, then shuffled: the
TemplateSet orders them), anchors T/R/J, offsets -200..+60 in calendar or working days, durations 0-40,
random `needs_any` conditions and kit offsets. Milestones fall in 2025-2030, `today` in 2024-2031.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from raj_release.domain.demarches import FINAL_STATUSES, Template, TemplateSet
from raj_release.domain.enums import Anchor, Certainty, MilestoneKind, Modality, Need, OffsetUnit, Situation, Status
from raj_release.domain.milestones import Milestone
from raj_release.planning.scheduler import Current, Plan, Subject, plan

D = dt.date
K = MilestoneKind
DAY = dt.timedelta(days=1)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MILESTONE_KINDS = (K.INTAKE, K.TAP_HEARING, K.EXPECTED_RELEASE, K.FOND_DE_PEINE, K.ACTUAL_RELEASE)

milestone_dates = st.dates(D(2025, 1, 1), D(2030, 12, 31))
todays = st.dates(D(2024, 1, 1), D(2031, 12, 31))


def make_template(key: str, anchor: str, offset: int, unit: str, duration: int, depends_on=(),
                  needs_any=(), kit_offset: int | None = None) -> Template:
    return Template.model_validate({
        "key": key, "label": {"fr": key, "nl": key}, "anchor": anchor, "offset": offset, "offset_unit": unit,
        "duration": duration, "depends_on": list(depends_on), "responsible": "AS", "pillar": "identite",
        "applies_if": {"needs_any": sorted(needs_any)}, "kit_offset": kit_offset,
    })


NEED_VALUES = sorted(str(x) for x in Need)
# one template's fields, built once: strategies created inside a composite would be re-validated every draw
template_fields = st.tuples(
    st.sampled_from("TRJ"),  # anchor
    st.integers(-200, 60),  # offset
    st.integers(0, 40),  # duration
    st.sets(st.sampled_from(NEED_VALUES), max_size=2),  # applies_if.needs_any
    st.none() | st.integers(0, 60),  # kit_offset
)
units_strategies = {units: st.sampled_from(units) for units in (("calendar", "working"), ("working",))}
dep_strategies = [st.lists(st.integers(0, i - 1), unique=True, max_size=min(i, 3)) if i else st.just([])
                  for i in range(16)]


@st.composite
def template_sets(draw, max_size: int = 15, units=("calendar", "working"), with_deps: bool = True,
                  with_conditions: bool = True) -> TemplateSet:
    n = draw(st.integers(1, max_size))
    unit_strategy = units_strategies[units]
    items = []
    for i in range(n):
        anchor, offset, duration, needs_any, kit_offset = draw(template_fields)
        deps = draw(dep_strategies[i]) if with_deps else []
        items.append(make_template(
            f"t{i:02d}", anchor, offset, draw(unit_strategy), duration, [f"t{j:02d}" for j in deps],
            needs_any if with_conditions else (), kit_offset,
        ))
    return TemplateSet(draw(st.permutations(items)))


@st.composite
def milestone_sets(draw) -> dict[MilestoneKind, Milestone]:
    out = {}
    for kind in MILESTONE_KINDS:
        if draw(st.booleans()):
            out[kind] = draw(milestones(kind))
    return out


windows = st.none() | st.integers(0, 60)
certainties = st.sampled_from(list(Certainty))


@st.composite
def milestones(draw, kind: MilestoneKind) -> Milestone:
    date = draw(milestone_dates)
    window = draw(windows)
    return Milestone(kind=kind, date=date, earliest=date - window * DAY if window is not None else None,
                     certainty=draw(certainties))


subjects = st.builds(
    Subject,
    needs=st.frozensets(st.sampled_from(list(Need))),
    situation=st.sampled_from(list(Situation)),
    modality=st.none() | st.sampled_from(list(Modality)),
)


current_fields = st.tuples(st.sampled_from(list(Status)), st.none() | todays, st.integers(0, 4), st.booleans())


@st.composite
def currents(draw, templates: TemplateSet, calendar) -> dict[str, Current]:
    """What the démarches stood at before: some absent, any status, past or future dues (working days)."""
    out = {}
    for t in templates:
        if draw(st.booleans()):
            status, due, pinned, compressed = draw(current_fields)
            out[t.key] = Current(status, calendar.previous_working_day(due) if due is not None else None,
                                 pinned == 0, compressed)
    return out


def feed_back(p: Plan) -> dict[str, Current]:
    return {d.key: Current(d.status, d.due, d.pinned, d.compressed) for d in p.demarches}


def snapshot(p: Plan):
    return [(d.key, d.due, d.start, d.target, d.status, d.compressed, d.pinned, d.anchor, d.anchor_date,
             d.provisional, d.late_vs_anchor) for d in p.demarches]


def is_final_or_pinned(cur: Current | None) -> bool:
    return cur is not None and (cur.pinned or cur.status in FINAL_STATUSES)


# -- a. every due date (and start) is a working day ------------------------------------------------------
@SETTINGS
@given(data=st.data(), templates=template_sets(), subject=subjects, ms=milestone_sets(), today=todays)
def test_due_and_start_are_working_days(data, templates, subject, ms, today, calendar):
    current = data.draw(st.none() | currents(templates, calendar))
    p = plan(templates, subject, ms, calendar, today, current)
    for d in p.demarches:
        if d.due is not None:
            assert calendar.is_working_day(d.due), (d.key, d.due)
            assert calendar.is_working_day(d.start), (d.key, d.start)
            assert d.start <= d.due
        if d.target is not None:
            assert calendar.is_working_day(d.target), (d.key, d.target)


# -- b. a prerequisite is due no later than its dependent's start -----------------------------------------
@SETTINGS
@given(data=st.data(), templates=template_sets(), subject=subjects, ms=milestone_sets(), today=todays)
def test_prerequisites_are_due_before_the_dependent_starts(data, templates, subject, ms, today, calendar):
    current = data.draw(st.none() | currents(templates, calendar))
    p = plan(templates, subject, ms, calendar, today, current)
    by_key = p.by_key()
    for d in p.demarches:
        if d.due is None or not d.is_open or d.pinned:
            continue
        for dep in templates[d.key].depends_on:
            pre = by_key.get(dep)
            # the planner enforces the constraint from open prerequisites, pinned or not
            if pre is None or pre.due is None or not pre.is_open:
                continue
            assert pre.due <= d.start, (dep, pre.due, d.key, d.start)


# -- c. pre-anchor démarches that are not compressed are due by their anchor; a plan without a single
# « délai court » is never at risk; one due after the anchor it prepares is late --------------------------
@SETTINGS
@given(templates=template_sets(), subject=subjects, ms=milestone_sets(), today=todays)
def test_uncompressed_pre_anchor_demarches_are_due_by_their_anchor(templates, subject, ms, today, calendar):
    p = plan(templates, subject, ms, calendar, today)
    assume(p.mode == "full")  # the prévenu kit counts forward from intake
    for d in p.demarches:
        if d.due is None or templates[d.key].offset > 0:
            continue
        if not d.compressed:
            assert d.due <= d.anchor_date, (d.key, d.due, d.anchor_date)
        if d.due > d.anchor_date:
            assert d.late_vs_anchor, d.key
    if not any(d.compressed for d in p.demarches):
        assert not p.at_risk, [d.key for d in p.demarches if d.late_vs_anchor]


# -- c''. late means "cannot be done in time": the démarche's earliest finish (from today, after its
# prerequisites' earliest finish, whole durations) falls after its anchor (fresh plans have no pins) -------
@SETTINGS
@given(templates=template_sets(), subject=subjects, ms=milestone_sets(), today=todays)
def test_late_is_an_earliest_finish_after_what_it_prepares(templates, subject, ms, today, calendar):
    p = plan(templates, subject, ms, calendar, today)
    assume(p.mode == "full")
    by_key = p.by_key()
    floor = calendar.next_working_day(today)
    finish: dict[str, dt.date] = {}
    for t in templates.order:  # prerequisites first
        d = by_key.get(t.key)
        if d is None or d.due is None:
            continue
        begin = max([floor] + [finish[k] for k in t.depends_on if k in finish])
        finish[t.key] = calendar.add_working_days(begin, t.duration)
    for t in templates.order:
        d = by_key.get(t.key)
        if d is None or d.due is None:
            continue
        expected = t.offset <= 0 and max(finish[t.key], d.due) > d.anchor_date
        assert d.late_vs_anchor == expected, (t.key, finish[t.key], d.due, d.anchor_date)


# -- c'. as late as possible: without compression every date is exactly what the rules give ------------------
@SETTINGS
@given(templates=template_sets(), subject=subjects, ms=milestone_sets(), today=todays)
def test_fresh_plan_is_as_late_as_possible(templates, subject, ms, today, calendar):
    p = plan(templates, subject, ms, calendar, today)
    by_key = p.by_key()
    kit = p.mode == "prevenu_kit"
    first_day = calendar.next_working_day(today)
    for d in reversed(p.demarches):  # dependents before their prerequisites
        t = templates[d.key]
        a = p.anchors.get(Anchor.I if kit else t.anchor)
        if a is None:
            assert d.due is None and d.start is None
            continue
        if kit:
            own = calendar.previous_working_day(dt.date.fromordinal(a.date) + t.kit_offset * DAY)
        else:
            base = dt.date.fromordinal(a.earliest if t.offset <= 0 else a.date)
            own = (calendar.add_working_days(base, t.offset) if t.offset_unit is OffsetUnit.WORKING
                   else calendar.previous_working_day(base + t.offset * DAY))
        # each dependent's start as planned backward (from its target, before any compression)
        starts = [calendar.add_working_days(x.target, -templates[x.key].duration) for x in by_key.values()
                  if d.key in templates[x.key].depends_on and x.target is not None]
        # the target is the latest date that the anchor and the dependents' starts allow ...
        assert d.target == min([own, *starts]), d.key
        # ... the due date is the target unless it is past (compression) or a prerequisite is late (squeeze)
        if not d.compressed:
            assert d.due == d.target and d.start == calendar.add_working_days(d.due, -t.duration), d.key
        else:
            assert d.due >= first_day and d.due >= d.target, d.key
        assert d.due >= first_day, d.key


# -- d. replanning is idempotent ---------------------------------------------------------------------------
@SETTINGS
@given(templates=template_sets(), subject=subjects, ms=milestone_sets(), today=todays)
def test_replanning_a_fresh_plan_is_idempotent(templates, subject, ms, today, calendar):
    first = plan(templates, subject, ms, calendar, today)
    again = plan(templates, subject, ms, calendar, today, feed_back(first))
    assert again.changes == []
    assert again.added == []
    assert snapshot(again) == snapshot(first)


@SETTINGS
@given(data=st.data(), templates=template_sets(), subject=subjects, ms=milestone_sets(), today=todays)
def test_replanning_is_idempotent_from_any_starting_point(data, templates, subject, ms, today, calendar):
    """Whatever the démarches stood at (overdue, pinned, final), the plan's own output is a fixed point."""
    first = plan(templates, subject, ms, calendar, today, data.draw(currents(templates, calendar)))
    again = plan(templates, subject, ms, calendar, today, feed_back(first))
    assert again.changes == []
    assert again.added == []
    assert snapshot(again) == snapshot(first)


marks = st.sampled_from(["open", "open", "completed", "cancelled", "failed", "pinned"])
statuses = st.sampled_from(list(Status))
milestone_kinds = st.sampled_from(MILESTONE_KINDS)


# -- e. replanning never moves a completed or pinned démarche --------------------------------------------
@SETTINGS
@given(data=st.data(), templates=template_sets(), subject=subjects, ms=milestone_sets(), today=todays,
       later=st.integers(0, 400))
def test_replanning_never_moves_final_or_pinned_demarches(data, templates, subject, ms, today, later, calendar):
    first = plan(templates, subject, ms, calendar, today)
    current = feed_back(first)
    for key in list(current):
        mark = data.draw(marks)
        c = current[key]
        if mark == "pinned":
            current[key] = Current(data.draw(statuses), c.due, True, c.compressed)
        elif mark != "open":
            current[key] = Current(Status(mark), c.due, False, c.compressed)
    # a milestone changes (moved, added or removed) and time passes
    kind = data.draw(milestone_kinds)
    ms2 = dict(ms)
    if kind in ms2 and data.draw(st.booleans()):
        del ms2[kind]
    else:
        ms2[kind] = data.draw(milestones(kind))
    today2 = today + later * DAY
    p = plan(templates, subject, ms2, calendar, today2, current)
    changed = {c.key: c for c in p.changes}
    assert len(changed) == len(p.changes)
    for d in p.demarches:
        cur = current.get(d.key)
        if cur is None:  # a prévenu's kit grew into the full plan
            assert d.key in p.added
            continue
        if is_final_or_pinned(cur):
            assert d.due == cur.due, d.key
            assert d.status is cur.status and d.pinned == cur.pinned
            assert d.key not in changed
        elif d.due != cur.due:
            assert changed[d.key].old_due == cur.due and changed[d.key].new_due == d.due
        else:
            assert d.key not in changed
    assert p.added == [d.key for d in p.demarches if d.key not in current]


# -- f. moving an anchor by k working days moves unconstrained démarches by k working days ----------------
@SETTINGS
@given(data=st.data(),
       templates=template_sets(units=("working",), with_deps=False),
       needs=st.frozensets(st.sampled_from(list(Need))),
       t_day=milestone_dates, r_day=milestone_dates,
       moved=st.sampled_from([Anchor.T, Anchor.R]),
       k=st.integers(-40, 40).filter(bool))
def test_moving_an_anchor_by_k_working_days_moves_the_plan_by_k(data, templates, needs, t_day, r_day, moved, k,
                                                                 calendar):
    today = D(2023, 1, 2)  # before every date: nothing is compressed
    t_day, r_day = calendar.previous_working_day(t_day), calendar.previous_working_day(r_day)
    subject = Subject(needs=needs)

    def milestones_for(t: dt.date, r: dt.date):
        return {K.TAP_HEARING: Milestone(kind=K.TAP_HEARING, date=t),
                K.EXPECTED_RELEASE: Milestone(kind=K.EXPECTED_RELEASE, date=r)}

    first = plan(templates, subject, milestones_for(t_day, r_day), calendar, today)
    if moved is Anchor.T:
        t2, r2, letters = calendar.add_working_days(t_day, k), r_day, {Anchor.T}
    else:
        t2, r2, letters = t_day, calendar.add_working_days(r_day, k), {Anchor.R, Anchor.J}
    second = plan(templates, subject, milestones_for(t2, r2), calendar, today, feed_back(first))
    before, after = first.by_key(), second.by_key()
    assert set(before) == set(after)
    for key, d in after.items():
        old = before[key]
        assert not old.compressed and not d.compressed
        if templates[key].anchor in letters:
            assert d.due == calendar.add_working_days(old.due, k), key
            assert calendar.working_days_between(old.due, d.due) == k
        else:
            assert d.due == old.due, key
    moved_keys = {key for key in after if templates[key].anchor in letters}
    assert {c.key for c in second.changes} == moved_keys
    assert all(c.old_due == before[c.key].due and c.new_due == after[c.key].due for c in second.changes)
