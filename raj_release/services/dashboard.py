"""The coordinators' dashboard: overdue démarches by worker, prison, démarche and partner (with the list
behind each count), plans that were late when they were made, hearings in the next 60 days with each plan's
readiness, dead notifications, and the overdue count week by week. Everything within the viewer's scope and
the filters given (worker, prison, démarche, partner), a few set-based queries in all.

A worker's count, and the `worker` filter, are that worker's own démarches by responsibility, as their week
shows them and their digest lists them (`domain.demarches.concerns`: the AS's to the AS, the psychologue's to
the psychologue, the binôme's and a partner's to both), not every démarche of the binôme's files."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import operator
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select

from raj_release.domain.demarches import TO_AS, TO_PSY, TemplateSet
from raj_release.domain.enums import OutboxStatus, Pillar, Responsible, Role, Status
from raj_release.errors import Forbidden
from raj_release.planning.readiness import Readiness
from raj_release.services import figures
from raj_release.services.access import Viewer, person_scope
from raj_release.services.context import Context
from raj_release.services.demarches import OverdueRow, narrowed, overdue_query, overdue_row
from raj_release.store import models as m

FILTERS = ("worker", "prison", "demarche", "partner")
PER_PAGE = 100
RECENT_COMPRESSED = 50


@dataclass
class Dashboard:
    today: dt.date
    filters: dict[str, str]
    by_worker: list[tuple[str, int]] = field(default_factory=list)
    by_prison: list[tuple[str, int]] = field(default_factory=list)
    by_demarche: list[tuple[str, int]] = field(default_factory=list)
    by_partner: list[tuple[str, int]] = field(default_factory=list)
    overdue: list[OverdueRow] = field(default_factory=list)  # one page of the drill-down list
    overdue_total: int = 0
    page: int = 1
    pages: int = 1
    compressed: list[tuple[str, str, str]] = field(default_factory=list)  # ref, as, psy: the most recent
    compressed_total: int = 0
    hearings: list[tuple[str, dt.date, list[Readiness]]] = field(default_factory=list)
    dead: list[tuple[dt.date, str, str, str]] = field(default_factory=list)  # day, kind, recipient, error
    weekly: list[tuple[dt.date, int]] = field(default_factory=list)
    applications: list[PartnerApplications] = field(default_factory=list)  # per partner, most open first


@dataclass(frozen=True)
class PartnerApplications:
    """How a partner answers the organisation's applications (issue 12 point 4)."""

    partner: str
    open: int  # sent or on the waiting list: waiting for the partner
    answered: int  # answered (waiting list, accepted, refused, or a first answer by the reply link)
    median_days: float | None  # median of (answer - sent) in days over the answered ones; None: none answered
    refused: int


def _top(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0] or ""))  # no prison: a request from outside


def dashboard(ctx: Context, v: Viewer, *, today: dt.date, filters: dict[str, str] | None = None,
              weeks: int = 12, horizon_days: int = 60, page: int = 1, per_page: int | None = None) -> Dashboard:
    """The coordinators' dashboard of their organisation (Forbidden for other roles). The counts cover every overdue démarche in scope; the list behind them is one page of `per_page`
    rows, most overdue first (a page past the end shows the last one).

    Two read-only units of work run side by side, each on its own snapshot: the overdue figures (counts,
    list and week-by-week, from one snapshot so that they agree) and the plans' panels (hearings with
    their readiness, plans made late, dead messages)."""
    if v.role is not Role.COORDINATOR:
        raise Forbidden("the dashboard is for coordinators")
    f = {k: val for k, val in (filters or {}).items() if k in FILTERS and val}
    per_page = per_page or PER_PAGE
    key = ("dashboard", v.id, v.role, v.organisation_id, today, tuple(sorted(f.items())), weeks, horizon_days,
           page, per_page)
    return figures.kept(ctx, key, lambda: _dashboard(ctx, v, today, f, weeks, horizon_days, page, per_page))


def _dashboard(ctx: Context, v: Viewer, today: dt.date, f: dict[str, str], weeks: int, horizon_days: int,
               page: int, per_page: int) -> Dashboard:
    out = Dashboard(today, f)
    plans = _PANELS.submit(_plan_panels, ctx, v, today, horizon_days, out)
    try:
        _overdue_figures(ctx, v, today, f, weeks, page, per_page, out)
    finally:
        plans.result()
    return out


# the dashboard's second unit of work; SQLite releases the GIL while it reads
_PANELS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="raj-dashboard")


def _overdue_figures(ctx: Context, v: Viewer, today: dt.date, f: dict[str, str], weeks: int, page: int,
                     per_page: int, out: Dashboard) -> None:
    # the overdue count at the start of each of the last weeks' Mondays (00:00 UTC): due before that day
    # and not finished by then
    monday = today - dt.timedelta(days=today.weekday())
    days = [monday - dt.timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    filters_ = dict(prison=f.get("prison"), viewer=v, demarche=f.get("demarche"), partner=f.get("partner"))
    templates = ctx.config.templates
    own = own_demarches(templates, f["worker"]) if f.get("worker") else None
    with ctx.db.reading() as s:
        q = overdue_query(today, **filters_)
        rows = s.connection().execute(q if own is None else q.where(own)).all()  # thousands: counted, one page shown
        # the open ones count on every Monday after their due day; the finished ones until they were finished
        spans = [(due, len(days), 1) for _key, due, *_ in rows]
        spans += s.connection().execute(_finished_late(days, filters_, own)).all()
    out.weekly = list(zip(days, overdue_on(days, spans), strict=True))
    w, p, d, pa = Counter(), Counter(), Counter(), Counter()
    by_key = templates.by_key
    for key, _due, _status, _ref, as_id, psy_id, prison, partner in rows:
        t = by_key.get(key)
        responsible = t.responsible if t is not None else Responsible.BIN  # an unknown key: both, as the week
        if responsible in TO_AS:
            w[as_id] += 1
        if responsible in TO_PSY:
            w[psy_id] += 1
        p[prison] += 1
        d[key] += 1
        if partner:
            pa[partner] += 1
    if f.get("worker"):  # the rows are that worker's own: the other member's count here would be a part of theirs
        w = Counter({f["worker"]: len(rows)}) if rows else Counter()
    out.by_worker, out.by_prison, out.by_demarche, out.by_partner = _top(w), _top(p), _top(d), _top(pa)
    out.overdue_total = len(rows)
    out.pages = max(1, -(-len(rows) // per_page))
    out.page = min(max(1, page), out.pages)
    cal = ctx.config.calendar_for(v.organisation)
    out.overdue = [overdue_row(ctx, today, r, calendar=cal)
                   for r in rows[(out.page - 1) * per_page:out.page * per_page]]


def own_demarches(templates: TemplateSet, worker: str) -> ColumnElement[bool]:
    """A condition on démarche rows joined to their persons: those that are `worker`'s own by responsibility
    (`domain.demarches.concerns` in SQL): in a file where they are the AS, the démarches routed to the AS;
    where they are the psychologue, those routed to the psychologue. A key no template knows goes to both."""
    not_as = [t.key for t in templates if t.responsible not in TO_AS]
    not_psy = [t.key for t in templates if t.responsible not in TO_PSY]
    as_own = m.Person.as_id == worker
    psy_own = m.Person.psy_id == worker
    if not_as:
        as_own = and_(as_own, m.Demarche.key.not_in(not_as))
    if not_psy:
        psy_own = and_(psy_own, m.Demarche.key.not_in(not_psy))
    return or_(as_own, psy_own)


def _plan_panels(ctx: Context, v: Viewer, today: dt.date, horizon_days: int, out: Dashboard) -> None:
    with ctx.db.reading() as s:
        # plans already late when they were made: how many, and the most recent ones
        late_made = (person_scope(v), m.Person.compressed_at_creation.is_(True))
        out.compressed_total = s.scalar(select(func.count()).select_from(m.Person).where(*late_made))
        out.compressed = [tuple(r) for r in s.execute(
            select(m.Person.ref, m.Person.as_id, m.Person.psy_id).where(*late_made)
            .order_by(m.Person.created_at.desc(), m.Person.ref).limit(RECENT_COMPRESSED)).all()]
        # hearings coming up, with each plan's readiness
        hearings = s.execute(select(m.Person.id, m.Person.ref, m.Milestone.date).join(m.Milestone)
                             .where(person_scope(v), m.Person.stage != "closed", m.Milestone.kind == "tap_hearing",
                                    m.Milestone.date >= today,
                                    m.Milestone.date <= today + dt.timedelta(days=horizon_days))
                             .order_by(m.Milestone.date, m.Person.ref)).all()
        ready = _readiness_by_person(s, ctx, [pid for pid, _, _ in hearings])
        out.hearings = [(ref, date, ready[pid]) for pid, ref, date in hearings]
        # dead messages written for the organisation (to its workers, its coordinators and partners)
        out.dead = [tuple(r) for r in s.execute(
            select(m.OutboxMessage.day, m.OutboxMessage.kind, m.OutboxMessage.recipient, m.OutboxMessage.last_error)
            .where(m.OutboxMessage.status == OutboxStatus.DEAD.value, m.OutboxMessage.organisation == v.organisation)
            .order_by(m.OutboxMessage.day.desc()).limit(200)).all()]
        out.applications = applications_by_partner(s.execute(_applications_query(v)).all())


ANSWERS = ("waitlist", "accepted", "refused")  # application states that are a partner's answer
OPEN_APPLICATIONS = ("sent", "waitlist")


def _applications_query(v: Viewer) -> Select:
    """The applications of the organisation (every file, closed ones included: how a partner answered does
    not change when a file closes), grouped by what the figures need: one row per (partner, state, sent,
    answered, state's day), counted."""
    a = m.Application
    return (select(a.partner_id, a.state, a.sent_on, a.answered_on, a.state_on, func.count())
            .join(m.Person, m.Person.id == a.person_id).where(person_scope(v))
            .group_by(a.partner_id, a.state, a.sent_on, a.answered_on, a.state_on))


def _as_day(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def applications_by_partner(rows: Iterable[tuple]) -> list[PartnerApplications]:
    """Per partner: the open applications, the refusals, and the median days to answer. An answer is the
    partner's first one through its link (`answered_on`), else the day the binôme recorded a waiting list,
    an acceptance or a refusal (`state_on`): a partner answering by phone answered too. Pure; rows are
    (partner, state, sent_on, answered_on, state_on, n)."""
    open_, refused, delays = Counter(), Counter(), {}
    for partner, state, sent, answered, state_on, n in rows:
        sent, answered, state_on = _as_day(sent), _as_day(answered), _as_day(state_on)
        if state in OPEN_APPLICATIONS:
            open_[partner] += n
        if state == "refused":
            refused[partner] += n
        day = answered or (state_on if state in ANSWERS else None)
        delays.setdefault(partner, Counter())
        if day is not None and sent is not None:
            delays[partner][max(0, (day - sent).days)] += n
    out = [PartnerApplications(p, open_[p], sum(d.values()), weighted_median(d), refused[p])
           for p, d in delays.items()]
    return sorted(out, key=lambda x: (-x.open, -x.refused, x.partner))


def weighted_median(counts: Counter) -> float | None:
    """The median of values given with their counts ({3: 2, 10: 1} is 3, 3, 10: 3)."""
    total = sum(counts.values())
    if not total:
        return None
    values = sorted(counts)
    def nth(i: int) -> int:  # the i-th value (0-based) of the sorted multiset
        for value in values:
            if i < counts[value]:
                return value
            i -= counts[value]
        return values[-1]
    mid = total // 2
    return float(nth(mid)) if total % 2 else (nth(mid - 1) + nth(mid)) / 2


def _readiness_by_person(s, ctx: Context, person_ids: list[int]) -> dict[int, list[Readiness]]:
    """`readiness()` of each person's plan against their hearing, counted in the database: one row per
    person instead of one per démarche (a large organisation has hundreds of hearings within 60 days).
    The rule is `planning.readiness`'s: démarches due on or before the hearing, cancelled ones left out,
    completed ones done; tests hold the two to the same figures."""
    if not person_ids:
        return {}
    keys = {p: [t.key for t in ctx.config.templates if t.pillar is p] for p in Pillar}
    pillars = [p for p in Pillar if keys[p]]
    done = m.Demarche.status == Status.COMPLETED.value
    sums = []
    for p in pillars:
        mine = m.Demarche.key.in_(keys[p])
        sums += [func.sum(case((and_(mine, done), 1), else_=0)), func.sum(case((mine, 1), else_=0))]
    q = (select(m.Demarche.person_id, *sums)
         .join(m.Milestone, and_(m.Milestone.person_id == m.Demarche.person_id, m.Milestone.kind == "tap_hearing"))
         .where(m.Demarche.person_id.in_(person_ids), m.Demarche.due <= m.Milestone.date,
                m.Demarche.status != Status.CANCELLED.value)
         .group_by(m.Demarche.person_id))
    out = {pid: [Readiness(p, 0, 0) for p in Pillar] for pid in person_ids}
    for pid, *counts in s.connection().execute(q):
        got = {p: Readiness(p, int(counts[2 * i]), int(counts[2 * i + 1])) for i, p in enumerate(pillars)}
        out[pid] = [got.get(p, Readiness(p, 0, 0)) for p in Pillar]
    return out


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), dt.UTC)


def _finished_late(days: list[dt.date], filters_: dict, own: ColumnElement[bool] | None = None) -> Select:
    """(due, until, n) groups of the démarches completed, cancelled or failed since the first of `days`
    and after they fell due: `until` is how many of `days` began before they were finished. Grouped in
    the database: a large organisation finishes thousands of démarches in twelve weeks. `own`: a worker's
    own démarches only (`own_demarches`)."""
    done, ended = Status.COMPLETED.value, [Status.CANCELLED.value, Status.FAILED.value]
    q = select(m.Demarche.due, m.Demarche.status, m.Demarche.completed_at, m.Demarche.updated_at).join(
        m.Person, m.Person.id == m.Demarche.person_id)
    q, status = narrowed(q, **filters_)
    if own is not None:
        q = q.where(own)
    first = _start(days[0])
    # finished on time, a démarche was never overdue
    late = (q.where(m.Demarche.due < days[-1],
                    or_(and_(status == done, m.Demarche.completed_at >= first,
                             m.Demarche.completed_at >= m.Demarche.due),
                        and_(status.in_(ended), m.Demarche.updated_at >= first,
                             m.Demarche.updated_at >= m.Demarche.due)))
            .subquery())
    finished = case((late.c.status == done, late.c.completed_at), else_=late.c.updated_at)
    until = functools.reduce(operator.add, [case((finished >= _start(day), 1), else_=0) for day in days])
    return select(late.c.due, until, func.count()).group_by(late.c.due, until)


def overdue_on(days: list[dt.date], spans: Iterable[tuple[dt.date, int, int]]) -> list[int]:
    """For each of `days` (ascending), how many démarches were overdue as it began. A span (due, until, n)
    is n démarches due on `due` and unfinished as each of days[:until] began (until = len(days) for the
    open ones): they count on those days that fall after `due`. Pure; one pass."""
    delta = [0] * (len(days) + 1)
    for due, until, n in spans:
        lo = bisect.bisect_right(days, due)  # the first day after `due`
        if lo < until:
            delta[lo] += n
            delta[until] -= n
    return list(itertools.accumulate(delta[:-1]))
