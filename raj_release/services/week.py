"""The binôme's week: what is overdue, what falls due this week, what waits on a partner, and the key
dates coming up, for the persons one follows (a coordinator: the whole organisation)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from raj_release.domain.demarches import OPEN_VALUES, concerns
from raj_release.domain.enums import Role
from raj_release.services.access import Viewer, person_scope
from raj_release.services.context import Context
from raj_release.store import models as m
from raj_release.store.hints import unindexed


@dataclass
class WeekItem:
    ref: str
    key: str
    label: str
    due: dt.date
    status: str
    partner: str | None
    version: int
    days_late: int


@dataclass
class Week:
    today: dt.date
    week_end: dt.date
    overdue: list[WeekItem] = field(default_factory=list)
    this_week: list[WeekItem] = field(default_factory=list)
    on_hold: list[WeekItem] = field(default_factory=list)
    milestones: list[tuple[str, str, dt.date, str]] = field(default_factory=list)  # ref, kind, date, certainty


def my_week(ctx: Context, v: Viewer, today: dt.date, milestone_days: int = 60) -> Week:
    week_end = today + dt.timedelta(days=6 - today.weekday())  # Sunday of this week
    templates = ctx.config.templates.by_key
    lang = v.language
    status = unindexed(m.Demarche.status)  # through the viewer's persons, not the (status, due) index
    live = m.Person.stage != "closed"  # a closed file leaves the week; obsolete démarches wait to be settled
    q = (select(m.Person.ref, m.Person.as_id, m.Person.psy_id, m.Person.version, m.Demarche.key, m.Demarche.due,
                m.Demarche.status, m.Demarche.partner_id)
         .join(m.Demarche, m.Demarche.person_id == m.Person.id)
         .where(person_scope(v), live, status.in_(OPEN_VALUES), m.Demarche.obsolete.is_(False),
                m.Demarche.due.is_not(None), m.Demarche.due <= week_end)
         .order_by(m.Demarche.due, m.Person.ref, m.Demarche.key))
    mq = (select(m.Person.ref, m.Milestone.kind, m.Milestone.date, m.Milestone.certainty)
          .join(m.Milestone, m.Milestone.person_id == m.Person.id)
          .where(person_scope(v), live, m.Milestone.date >= today,
                 m.Milestone.date <= today + dt.timedelta(days=milestone_days), m.Milestone.kind != "intake")
          .order_by(m.Milestone.date, m.Person.ref))
    hold_q = (select(m.Person.ref, m.Person.as_id, m.Person.psy_id, m.Person.version, m.Demarche.key,
                     m.Demarche.due, m.Demarche.status, m.Demarche.partner_id)
              .join(m.Demarche, m.Demarche.person_id == m.Person.id)
              .where(person_scope(v), live, status == "on-hold", m.Demarche.obsolete.is_(False),
                     m.Demarche.due > week_end)
              .order_by(m.Demarche.due, m.Person.ref))
    out = Week(today, week_end)
    with ctx.db.reading() as s:
        rows = s.execute(q).all() + s.execute(hold_q).all()
        out.milestones = [tuple(r) for r in s.execute(mq).all()]
    binome_member = v.role in (Role.AS, Role.PSY)  # a coordinator's week holds every démarche in scope
    for ref, as_id, psy_id, version, key, due, status, partner in rows:
        t = templates.get(key)
        if binome_member and t is not None and not concerns(t.responsible, v.id, as_id, psy_id):
            continue
        item = WeekItem(ref, key, t.label_in(lang) if t else key, due, status, partner, version,
                        (today - due).days)
        if status == "on-hold":
            out.on_hold.append(item)
        elif due < today:
            out.overdue.append(item)
        else:
            out.this_week.append(item)
    return out
