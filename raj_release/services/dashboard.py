"""The coordinators' dashboard: overdue démarches by worker, prison, démarche and partner (with the list
behind each count), plans that were late when they were made, hearings in the next 60 days with each plan's
readiness, dead notifications, and the overdue count week by week. Everything within the viewer's scope and
the filters given (worker, prison, démarche, partner), a few set-based queries in all."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select

from raj_release.domain.enums import OPEN_STATUSES, Status
from raj_release.planning.readiness import Readiness, readiness
from raj_release.services.access import Viewer, person_scope
from raj_release.services.context import Context
from raj_release.services.plans import OverdueRow, list_overdue
from raj_release.store import models as m

FILTERS = ("worker", "prison", "demarche", "partner")


@dataclass
class Dashboard:
    today: dt.date
    filters: dict[str, str]
    by_worker: list[tuple[str, int]] = field(default_factory=list)
    by_prison: list[tuple[str, int]] = field(default_factory=list)
    by_demarche: list[tuple[str, int]] = field(default_factory=list)
    by_partner: list[tuple[str, int]] = field(default_factory=list)
    overdue: list[OverdueRow] = field(default_factory=list)
    compressed: list[tuple[str, str, str]] = field(default_factory=list)  # ref, as, psy
    hearings: list[tuple[str, dt.date, list[Readiness]]] = field(default_factory=list)
    dead: list[tuple[dt.date, str, str, str]] = field(default_factory=list)  # day, kind, recipient, error
    weekly: list[tuple[dt.date, int]] = field(default_factory=list)


def _top(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def dashboard(ctx: Context, v: Viewer, today: dt.date, filters: dict[str, str] | None = None,
              weeks: int = 12, horizon_days: int = 60) -> Dashboard:
    f = {k: val for k, val in (filters or {}).items() if k in FILTERS and val}
    out = Dashboard(today, f)
    rows = [r for r in list_overdue(ctx, today, worker=f.get("worker"), prison=f.get("prison"), viewer=v)
            if f.get("demarche") in (None, r.key) and f.get("partner") in (None, r.partner)]
    out.overdue = rows
    w, p, d, pa = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        w[r.as_id] += 1
        w[r.psy_id] += 1
        p[r.prison] += 1
        d[r.key] += 1
        if r.partner:
            pa[r.partner] += 1
    out.by_worker, out.by_prison, out.by_demarche, out.by_partner = _top(w), _top(p), _top(d), _top(pa)
    open_ = [s.value for s in OPEN_STATUSES]
    with ctx.db.transaction() as s:
        out.compressed = [tuple(r) for r in s.execute(
            select(m.Person.ref, m.Person.as_id, m.Person.psy_id)
            .where(person_scope(v), m.Person.compressed_at_creation.is_(True)).order_by(m.Person.ref)).all()]
        # hearings coming up, with each plan's readiness (one query for their démarches)
        hearings = s.execute(select(m.Person.id, m.Person.ref, m.Milestone.date).join(m.Milestone)
                             .where(person_scope(v), m.Milestone.kind == "tap_hearing", m.Milestone.date >= today,
                                    m.Milestone.date <= today + dt.timedelta(days=horizon_days))
                             .order_by(m.Milestone.date, m.Person.ref)).all()
        dem: dict[int, list] = defaultdict(list)
        if hearings:
            for pid, key, status, due in s.execute(
                    select(m.Demarche.person_id, m.Demarche.key, m.Demarche.status, m.Demarche.due)
                    .where(m.Demarche.person_id.in_([h[0] for h in hearings]))):
                dem[pid].append((key, Status(status), due))
        out.hearings = [(ref, date, readiness(ctx.config.templates, dem[pid], date)) for pid, ref, date in hearings]
        # dead messages to the organisation's workers, and to partners
        org_workers = select(m.Worker.id).where(m.Worker.organisation_id == v.organisation_id)
        out.dead = [tuple(r) for r in s.execute(
            select(m.OutboxMessage.day, m.OutboxMessage.kind, m.OutboxMessage.recipient, m.OutboxMessage.last_error)
            .where(m.OutboxMessage.status == "dead",
                   or_(m.OutboxMessage.recipient.in_(org_workers), m.OutboxMessage.recipient_type == "partner"))
            .order_by(m.OutboxMessage.day.desc()).limit(200)).all()]
        # overdue count on each of the last weeks' Mondays: due before that day and not finished by then
        monday = today - dt.timedelta(days=today.weekday())
        for i in range(weeks - 1, -1, -1):
            day = monday - dt.timedelta(weeks=i)
            at = dt.datetime.combine(day, dt.time(0), dt.UTC)
            still_open = or_(m.Demarche.status.in_(open_),
                             and_(m.Demarche.status == Status.COMPLETED.value, m.Demarche.completed_at >= at),
                             and_(m.Demarche.status.in_([Status.CANCELLED.value, Status.FAILED.value]),
                                  m.Demarche.updated_at >= at))
            n = s.scalar(select(func.count()).select_from(m.Demarche).join(m.Person)
                         .where(person_scope(v), m.Demarche.due < day, still_open))
            out.weekly.append((day, n))
    return out
