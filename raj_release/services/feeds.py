"""A worker's calendar feed (iCalendar): one VTODO per open démarche that is theirs, so that Outlook or
Thunderbird show the démarches with their due dates and a reminder the day before.

A démarche is the worker's as reminders route it: the AS's démarches to the AS, the psychologue's to the
psychologue, the binôme's and partners' to both. Each VTODO names the person by reference only; it carries
the démarche's label and due date, CLASS:CONFIDENTIAL, and nothing of the person's needs, health or justice
situation.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Alarm, Calendar, Todo
from sqlalchemy import select

from raj_release.domain.enums import OPEN_STATUSES, Responsible
from raj_release.errors import NotFound
from raj_release.services.context import Context
from raj_release.store import models as m

ICAL_STATUS = {"planned": "NEEDS-ACTION", "in-progress": "IN-PROCESS", "on-hold": "IN-PROCESS"}
MINE = {"as": {Responsible.AS, Responsible.BIN, Responsible.PARTNER},
        "psy": {Responsible.PSY, Responsible.BIN, Responsible.PARTNER}}


def open_demarches_of(ctx: Context, worker_id: str) -> tuple[m.Worker, list[tuple]]:
    """(worker, [(démarche id, person ref, key, due, status)]) of the worker's open, dated démarches."""
    templates = ctx.config.templates.by_key
    with ctx.db.transaction() as s:
        w = s.get(m.Worker, worker_id)
        if w is None or not w.active:
            raise NotFound(f"worker {worker_id!r} not found")
        # the worker's persons first, through the two indexed columns (an OR over them would scan every
        # démarche), then their démarches by person
        persons = {pid: (ref, a, p) for pid, ref, a, p in s.execute(
            select(m.Person.id, m.Person.ref, m.Person.as_id, m.Person.psy_id).where(m.Person.as_id == worker_id)
            .union(select(m.Person.id, m.Person.ref, m.Person.as_id, m.Person.psy_id)
                   .where(m.Person.psy_id == worker_id)))}
        # by person only: with a status condition too, SQLite (without ANALYZE statistics) prefers the
        # status/due index and reads every open démarche of the database
        open_ = {x.value for x in OPEN_STATUSES}
        found = [r for r in s.execute(
            select(m.Demarche.id, m.Demarche.person_id, m.Demarche.key, m.Demarche.due, m.Demarche.status)
            .where(m.Demarche.person_id.in_(list(persons)))).all()
            if r[3] is not None and r[4] in open_] if persons else []
        rows = sorted(((did, *persons[pid][:1], key, due, status, *persons[pid][1:])
                       for did, pid, key, due, status in found), key=lambda r: (r[3], r[1], r[2]))
        s.expunge(w)
    out = []
    for did, ref, key, due, status, as_id, psy_id in rows:
        t = templates.get(key)
        resp = t.responsible if t else Responsible.BIN
        if (as_id == worker_id and resp in MINE["as"]) or (psy_id == worker_id and resp in MINE["psy"]):
            out.append((did, ref, key, due, status))
    return w, out


def calendar_feed(ctx: Context, worker_id: str) -> bytes:
    w, rows = open_demarches_of(ctx, worker_id)
    templates = ctx.config.templates.by_key
    stamp = ctx.now()
    cal = Calendar()
    cal.add("prodid", "-//raj-release//plans de reclassement//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "raj-release — démarches" if w.language != "nl" else "raj-release — stappen")
    for did, ref, key, due, status in rows:
        t = templates.get(key)
        summary = f"{ref} · {t.label_in(w.language) if t else key}"
        todo = Todo()
        todo.add("uid", f"demarche-{did}@raj-release")
        todo.add("dtstamp", stamp)
        todo.add("summary", summary)
        todo.add("due", due)
        todo.add("status", ICAL_STATUS.get(status, "NEEDS-ACTION"))
        todo.add("class", "CONFIDENTIAL")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", dt.timedelta(days=-1))
        todo.add_component(alarm)
        cal.add_component(todo)
    return cal.to_ical()
