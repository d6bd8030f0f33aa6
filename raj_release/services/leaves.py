"""Temporary leaves (permission de sortie, congé pénitentiaire, interruption de l'exécution de la peine, days
of détention limitée): periods outside prison that are NOT a release (DOMAIN.md §8.3).

A leave never touches the milestones, so it never moves a release-anchored démarche: post-release démarches
do not start with a leave. What a leave offers is a window for the démarches that need the person outside
(template `in_detention: partly`: the eID at the commune, an admission interview): such a démarche can be
pinned into the leave (its due date set to the leave's last working day, with services/demarches.py
`pin_due`, which replans the others around it).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from raj_release import i18n
from raj_release.domain.demarches import FINAL_STATUSES
from raj_release.domain.enums import InDetention, LeaveKind, Status, parse_code
from raj_release.domain.models import check_day
from raj_release.errors import Conflict, Named, NotFound, RajError
from raj_release.services import audit
from raj_release.services.access import Viewer
from raj_release.services.context import Context
from raj_release.services.demarches import find_demarche, pin_due
from raj_release.services.replan import load_person
from raj_release.services.views import PlanView, View
from raj_release.store import models as m

MAX_LEAVE_DAYS = 366  # an IEP can last months; a leave of more than a year is a typo (or a release)


class LeaveView(View):
    id: int
    kind: LeaveKind = Field(description="ps (permission de sortie), cp (congé pénitentiaire), iep (interruption "
                                        "de l'exécution de la peine) or dl (détention limitée)")
    start: dt.date = Field(description="the first day outside")
    end: dt.date = Field(description="the last day outside (the person is back in prison after it)")
    created_by: str
    past: bool = Field(description="the leave ended before the day the view is seen from")
    pin_day: dt.date | None = Field(description="the day a démarche pinned into this leave gets: its last "
                                                "working day, when that is not before today; else null")


def parse_kind(value: str) -> LeaveKind:
    return parse_code(LeaveKind, value, "kind")


def last_working_day(ctx: Context, start: dt.date, end: dt.date) -> dt.date | None:
    """The last working day from `start` to `end`, or None when the leave holds none (a weekend's PS)."""
    cal = ctx.config.calendar
    day = end if cal.is_working_day(end) else cal.previous_working_day(end)
    return day if day >= start else None


def leave_view(ctx: Context, row: m.Leave, today: dt.date) -> LeaveView:
    pin = last_working_day(ctx, row.start, row.end)
    return LeaveView.model_construct(id=row.id, kind=LeaveKind(row.kind), start=row.start, end=row.end,
                                     created_by=row.created_by, past=row.end < today,
                                     pin_day=pin if pin is not None and pin >= today else None)


def check_period(start: dt.date, end: dt.date) -> None:
    check_day(start, "start")
    check_day(end, "end")
    if end < start:
        raise RajError("the leave ends ({end}) before it starts ({start})", field="end", end=end, start=start)
    if (end - start).days >= MAX_LEAVE_DAYS:
        raise RajError("a leave of more than {days} days: is it a release? (set the actual release)",
                       field="end", days=MAX_LEAVE_DAYS)


def add_leave(ctx: Context, ref: str, *, kind: str, start: dt.date, end: dt.date, today: dt.date,
              actor: str = "system", viewer: Viewer | None = None) -> LeaveView:
    """Record a leave. The plan does not move: a leave is not a release."""
    k = parse_kind(kind)
    check_period(start, end)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        row = m.Leave(person_id=p.id, kind=k.value, start=start, end=end, created_at=ctx.now(), created_by=actor)
        s.add(row)
        s.flush()
        audit.record(s, ctx, actor, "leave.added", "leave", str(row.id), person_id=p.id,
                     new={"kind": k.value, "start": start.isoformat(), "end": end.isoformat()})
        return leave_view(ctx, row, today)


def _rows(s: Session, person_id: int) -> list[m.Leave]:
    return list(s.scalars(select(m.Leave).where(m.Leave.person_id == person_id)
                          .order_by(m.Leave.start, m.Leave.id)))


def leaves_of(ctx: Context, ref: str, *, today: dt.date, viewer: Viewer | None = None) -> list[LeaveView]:
    """The person's leaves, earliest first."""
    with ctx.db.reading() as s:
        p = load_person(s, ref, for_update=False, viewer=viewer)
        return [leave_view(ctx, r, today) for r in _rows(s, p.id)]


def _find(s: Session, person_id: int, ref: str, leave_id: int) -> m.Leave:
    row = s.get(m.Leave, leave_id)
    if row is None or row.person_id != person_id:
        raise NotFound("leave {leave} of '{ref}' not found", field="leave", leave=leave_id, ref=ref)
    return row


def remove_leave(ctx: Context, ref: str, leave_id: int, *, today: dt.date, actor: str = "system",
                 viewer: Viewer | None = None) -> LeaveView:
    """Delete a leave recorded by mistake (audited with what it was). Démarches pinned into it keep their date."""
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        row = _find(s, p.id, ref, leave_id)
        view = leave_view(ctx, row, today)
        audit.record(s, ctx, actor, "leave.removed", "leave", str(row.id), person_id=p.id,
                     old={"kind": row.kind, "start": row.start.isoformat(), "end": row.end.isoformat()})
        s.delete(row)
        return view


def needs_outside(ctx: Context, key: str) -> bool:
    """A démarche that needs the person outside (or a visit): it may be pinned into a leave."""
    t = ctx.config.templates.by_key.get(key)
    return t is not None and t.in_detention is InDetention.PARTLY


def pin_into_leave(ctx: Context, ref: str, key: str, leave_id: int, *, today: dt.date, actor: str = "system",
                   viewer: Viewer | None = None, expected_version: int | None = None) -> PlanView:
    """Pin démarche `key` to the leave's last working day (pin_due: the others are replanned around it)."""
    if key in ctx.config.templates.by_key and not needs_outside(ctx, key):
        raise RajError("démarche '{key}' does not need the person outside: it is not pinned into a leave",
                       field="key", key=Named.demarche(ctx, key))
    with ctx.db.reading() as s:
        p = load_person(s, ref, for_update=False, viewer=viewer)
        leave = _find(s, p.id, ref, leave_id)
        row = find_demarche(p, key, ctx)
        if Status(row.status) in FINAL_STATUSES:
            raise Conflict("démarche '{key}' of '{ref}' is {status}: a finished démarche keeps its date",
                           key=Named.demarche(ctx, key), ref=ref, status=Status(row.status))
        kind, start, end, lang = leave.kind, leave.start, leave.end, p.language
    day = last_working_day(ctx, start, end)
    if day is None or day < today:
        raise Conflict("leave {leave} ({start} to {end}) has no working day left to pin a démarche into",
                       field="leave", leave=leave_id, start=start, end=end)
    return pin_due(ctx, ref, key, due=day, today=today, actor=actor, viewer=viewer,
                   expected_version=expected_version,
                   reason=leave_reason(kind, start, end, lang))


def leave_reason(kind: str, start: dt.date, end: dt.date, lang: str) -> str:
    """The reason a pin into a leave records, in words of the person's language (the history shows it):
    « pendant la sortie : congé pénitentiaire du 21/11/2026 au 24/11/2026 »."""
    leave = i18n.tr(lang, "%(kind)s from %(start)s to %(end)s") % {
        "kind": i18n.label(kind, lang, "LeaveKind"), "start": i18n.format_date(start, lang),
        "end": i18n.format_date(end, lang)}
    return i18n.tr(lang, "during the leave: %(leave)s") % {"leave": leave}
