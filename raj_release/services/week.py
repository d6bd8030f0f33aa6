"""The binôme's week: what is overdue, what falls due today, what falls due later this week, what waits on a
partner, the key dates coming up, this week's meetings and the past meetings whose outcome is still to be
recorded, for the persons one follows (a coordinator: the whole organisation).

The démarches are grouped by the digest's own rule (`reminders.engine.section`): overdue once the due day
has passed, whatever the status (one waiting on a partner included), today on the due day; "waiting on a
partner" holds the on-hold démarches not yet due. A member of a binôme sees their own démarches by
responsibility (`domain.demarches.concerns`), as the digest routes them and the dashboard counts them.
Lateness is in working days of the organisation's calendar (`Config.calendar_for`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from raj_release.domain.demarches import OPEN_VALUES, concerns
from raj_release.domain.enums import Outcome, Place, Role, Stage
from raj_release.reminders.engine import section
from raj_release.services import figures
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
    days_late: int  # calendar days past the due date (negative before it)
    late_working_days: int = 0  # working days past the due date (the organisation's calendar); 0 if not late
    applications: list[ApplicationLine] = field(default_factory=list)  # on hold: where each partner stands


@dataclass(frozen=True)
class ApplicationLine:
    """One partner a démarche on hold was sent to, and where its application stands (compact: for my week)."""

    partner: str
    state: str  # an ApplicationState value
    position: int | None  # on a waiting list


@dataclass
class MeetingItem:
    """A meeting of the week (or a past one still 'planned')."""

    ref: str
    id: int
    day: dt.date
    place: Place
    as_id: str | None
    psy_id: str | None
    outcome: Outcome


@dataclass
class Week:
    today: dt.date
    week_end: dt.date
    overdue: list[WeekItem] = field(default_factory=list)  # due before today, on hold included
    due_today: list[WeekItem] = field(default_factory=list)  # « aujourd'hui », on hold included
    this_week: list[WeekItem] = field(default_factory=list)  # due after today up to Sunday, not on hold
    on_hold: list[WeekItem] = field(default_factory=list)
    milestones: list[tuple[str, str, dt.date, str]] = field(default_factory=list)  # ref, kind, date, certainty
    meetings: list[MeetingItem] = field(default_factory=list)  # this week's, Monday to Sunday
    to_record: list[MeetingItem] = field(default_factory=list)  # before this week, still planned


MEETINGS_BACK_DAYS = 90  # past meetings still 'planned' older than this are not asked for any more


def my_week(ctx: Context, v: Viewer, today: dt.date, milestone_days: int = 60) -> Week:
    """The viewer's week (kept while nothing it reads changes: services/figures.py)."""
    return figures.kept(ctx, ("week", v.id, v.role, v.organisation_id, v.language, today, milestone_days),
                        lambda: _my_week(ctx, v, today, milestone_days))


def _my_week(ctx: Context, v: Viewer, today: dt.date, milestone_days: int) -> Week:
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
        meetings = s.execute(meetings_query(v, today, week_end)).all()
    week_start = week_end - dt.timedelta(days=6)
    for ref, vid, day, place, as_id, psy_id, outcome in meetings:
        item = MeetingItem(ref, vid, day, Place(place), as_id, psy_id, Outcome(outcome))
        (out.meetings if day >= week_start else out.to_record).append(item)
    binome_member = v.role in (Role.AS, Role.PSY)  # a coordinator's week holds every démarche in scope
    cal = ctx.config.calendar_for(v.organisation)
    for ref, as_id, psy_id, version, key, due, status, partner in rows:
        t = templates.get(key)
        if binome_member and t is not None and not concerns(t.responsible, v.id, as_id, psy_id):
            continue
        where = section(due, today)
        item = WeekItem(ref, key, t.label_in(lang) if t else key, due, status, partner, version,
                        (today - due).days, cal.working_days_between(due, today) if where == "overdue" else 0)
        if where == "overdue":
            out.overdue.append(item)
        elif where == "today":
            out.due_today.append(item)
        elif status == "on-hold":
            out.on_hold.append(item)
        else:
            out.this_week.append(item)
    out.on_hold.sort(key=lambda i: (i.due, i.ref, i.key))  # this week's and later ones, read apart
    held = [i for i in (*out.overdue, *out.due_today, *out.on_hold) if i.status == "on-hold"]
    if held:
        with ctx.db.reading() as s:
            lines = s.execute(applications_query(v)).all()
        by_item: dict[tuple[str, str], list[ApplicationLine]] = {}
        for ref, key, partner, state, position in lines:
            by_item.setdefault((ref, key), []).append(ApplicationLine(partner, state, position))
        for i in held:
            i.applications = by_item.get((i.ref, i.key), [])
    return out


def applications_query(v: Viewer):
    """The applications of the viewer's démarches on hold (open files), withdrawn ones left out: one query
    for the whole week, by person, démarche and date sent."""
    a = m.Application
    return (select(m.Person.ref, a.key, a.partner_id, a.state, a.position)
            .join(m.Person, m.Person.id == a.person_id)
            .join(m.Demarche, m.Demarche.id == a.demarche_id)
            .where(person_scope(v), m.Person.stage != Stage.CLOSED.value,
                   unindexed(m.Demarche.status) == "on-hold", a.state != "withdrawn")
            .order_by(m.Person.ref, a.key, a.sent_on, a.id))



def meetings_query(v: Viewer, today: dt.date, week_end: dt.date):
    """The viewer's meetings of this week (Monday to Sunday), and those before it still 'planned' (back
    MEETINGS_BACK_DAYS days), of open files; a member of a binôme: those they take part in."""
    week_start = week_end - dt.timedelta(days=6)
    vt = m.Visit
    q = (select(m.Person.ref, vt.id, vt.day, vt.place, vt.as_id, vt.psy_id, vt.outcome)
         .join(m.Person, m.Person.id == vt.person_id)
         .where(person_scope(v), m.Person.stage != Stage.CLOSED.value,
                vt.day >= today - dt.timedelta(days=MEETINGS_BACK_DAYS), vt.day <= week_end,
                (vt.day >= week_start) | (vt.outcome == Outcome.PLANNED.value))
         .order_by(vt.day, m.Person.ref, vt.id))
    if v.role in (Role.AS, Role.PSY):
        q = q.where((vt.as_id == v.id) | (vt.psy_id == v.id))
    return q
