"""A worker's calendar feed (iCalendar): one VTODO per open démarche that is theirs, so that Outlook or
Thunderbird show the démarches with their due dates and a reminder the day before.

A démarche is the worker's as reminders route it: the AS's démarches to the AS, the psychologue's to the
psychologue, the binôme's and partners' to both. Each VTODO names the person by reference only; it carries
the démarche's label and due date, CLASS:CONFIDENTIAL, and nothing of the person's needs, health or justice
situation.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from icalendar import Alarm, Calendar, Event, Todo
from sqlalchemy import select

from raj_release.domain.demarches import OPEN_VALUES, Template, concerns
from raj_release.domain.enums import Responsible
from raj_release.errors import NotFound
from raj_release.i18n import label
from raj_release.services import figures
from raj_release.services.context import Context
from raj_release.store import models as m
from raj_release.store.db import aware
from raj_release.store.hints import unindexed

ICAL_STATUS = {"planned": "NEEDS-ACTION", "in-progress": "IN-PROCESS", "on-hold": "IN-PROCESS"}
# components kept, about 400 bytes each: some 20 MB, the feeds of a few dozen workers with a thousand
# démarches each
COMPONENT_CACHE_SIZE = 50_000


def open_demarches_of(ctx: Context, worker_id: str) -> tuple[m.Worker, list[tuple]]:
    """(worker, [(démarche id, person ref, key, due, status, updated_at)]) of the worker's open, dated
    démarches, by due date."""
    templates = ctx.config.templates.by_key
    with ctx.db.reading() as s:
        w = s.get(m.Worker, worker_id)
        if w is None or not w.active:
            raise NotFound("worker '{worker}' not found", worker=worker_id)
        # the worker's persons first, through the two indexed columns (an OR over them would scan every
        # démarche), then their démarches by person
        persons = {pid: (ref, a, p) for pid, ref, a, p in s.execute(
            select(m.Person.id, m.Person.ref, m.Person.as_id, m.Person.psy_id)
            .where(m.Person.as_id == worker_id, m.Person.stage != "closed")
            .union(select(m.Person.id, m.Person.ref, m.Person.as_id, m.Person.psy_id)
                   .where(m.Person.psy_id == worker_id, m.Person.stage != "closed")))}
        # by person: the status kept off the (status, due) index (store/hints.py)
        found = (s.execute(
            select(m.Demarche.id, m.Demarche.person_id, m.Demarche.key, m.Demarche.due, m.Demarche.status,
                   m.Demarche.updated_at)
            .where(m.Demarche.person_id.in_(list(persons)), m.Demarche.due.is_not(None),
                   unindexed(m.Demarche.status).in_(OPEN_VALUES), m.Demarche.obsolete.is_(False))).all()
            if persons else [])
        rows = sorted(((did, *persons[pid][:1], key, due, status, updated, *persons[pid][1:])
                       for did, pid, key, due, status, updated in found), key=lambda r: (r[3], r[1], r[2]))
        s.expunge(w)
    out = []
    for did, ref, key, due, status, updated, as_id, psy_id in rows:
        t = templates.get(key)
        resp = t.responsible if t else Responsible.BIN
        if concerns(resp, worker_id, as_id, psy_id):
            out.append((did, ref, key, due, status, updated))
    return w, out


def calendar_feed(ctx: Context, worker_id: str, events: bool = False) -> bytes:
    """The worker's feed: a VCALENDAR holding one VTODO per open démarche of theirs (Thunderbird and most
    clients list them as tasks), or with `events`, one all-day VEVENT on each due date instead, for
    Outlook, which ignores VTODOs in a subscribed calendar.

    Each component is a pure function of the démarche's row (see `_component`), so the bytes icalendar
    makes for it are kept and reused while the row is unchanged: a calendar client polling the feed costs
    one query and a join, and a changed démarche is serialised again on the next request because its key
    changed. The whole feed is kept while nothing it reads changes (services/figures.py)."""
    return figures.kept(ctx, ("feed", worker_id, events), lambda: _calendar_feed(ctx, worker_id, events))


def _calendar_feed(ctx: Context, worker_id: str, events: bool) -> bytes:
    w, rows = open_demarches_of(ctx, worker_id)
    templates = ctx.config.templates.by_key
    cal = Calendar()
    cal.add("prodid", "-//raj-release//plans de reclassement//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "raj-release — démarches" if w.language != "nl" else "raj-release — stappen")
    head = cal.to_ical()
    cut = head.rindex(b"END:VCALENDAR\r\n")
    parts = []
    for did, ref, key, due, status, updated in rows:
        parts.append(_component("VEVENT" if events else "VTODO", did, f"{ref} · {feed_label(templates.get(key), w.language)}",
                                due, ICAL_STATUS.get(status, "NEEDS-ACTION"), aware(updated)))
    return b"".join((head[:cut], *parts, head[cut:]))


def feed_label(t: Template | None, language: str) -> str:
    """What a calendar shows of a démarche: a neutral word, never its label. Calendars are synced by
    Google, Microsoft or Apple, outside the secret the service keeps: a démarche's own `feed_label`
    (demarches.yaml), else its pillar's neutral name (« Démarche logement », « Rendez-vous santé »)."""
    if t is None:
        return label("identite", language, "FeedPillar")
    if t.feed_label is not None:
        return t.label_in(language, t.feed_label)
    return label(t.pillar.value, language, "FeedPillar")


def warm_feeds(ctx: Context) -> int:
    """Build the feeds of every worker who has one, both forms, so that the components are ready before
    the calendar clients come back after a restart (`raj web` runs this in the background at start).
    Returns how many components were built or found."""
    with ctx.db.reading() as s:
        workers = s.scalars(select(m.Worker.id).where(m.Worker.feed_secret_hash.is_not(None),
                                                      m.Worker.active.is_(True)).order_by(m.Worker.id)).all()
    before = _component.cache_info()
    for worker_id in workers:
        for events in (False, True):
            calendar_feed(ctx, worker_id, events=events)
    after = _component.cache_info()
    return (after.hits + after.misses) - (before.hits + before.misses)


@lru_cache(maxsize=COMPONENT_CACHE_SIZE)
def _component(kind: str, did: int, summary: str, due: dt.date, status: str, revised: dt.datetime) -> bytes:
    """One démarche as a VTODO due on `due`, or as an all-day VEVENT on that day (free time: it does not
    block the agenda). DTSTAMP is when the démarche was last revised (RFC 5545 §3.8.7.2, for a calendar
    without METHOD), so that the same row always gives the same bytes. The reminder rings the day before
    the due date: relative to DUE (RELATED=END) in a VTODO, which has no start, and to the start of the
    event."""
    if kind == "VTODO":
        item = Todo()
        item.add("due", due)
        item.add("status", status)
    else:
        item = Event()
        item.add("dtstart", due)
        item.add("dtend", due + dt.timedelta(days=1))
        item.add("transp", "TRANSPARENT")
    item.add("uid", f"demarche-{did}@raj-release")
    item.add("dtstamp", revised)
    item.add("summary", summary)
    item.add("class", "CONFIDENTIAL")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", dt.timedelta(days=-1), parameters={"RELATED": "END"} if kind == "VTODO" else None)
    item.add_component(alarm)
    return item.to_ical()
