"""Meetings (rencontres) with the person, the daily unit of the binôme's work (DOMAIN.md §8.2): a day, a place
(prison, the service's premises, outside, remote), who of the binôme takes part, and the outcome: planned,
held, or not held with a reason (refusal, strike or lockdown, transfer, release, absent, other).

The members taking part are stored as worker ids (visit.as_id / visit.psy_id) taken from the person's binôme
when the meeting is recorded: a file handed to another AS later keeps who actually met the person. After the
actual release, the held meetings feed the contact alert of the daily sweep (services/reminders.py).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field
from sqlalchemy import select

from raj_release.domain.enums import NotHeldReason, Outcome, Place, Stage, parse_code
from raj_release.domain.models import check_day
from raj_release.errors import Conflict, NotFound, RajError
from raj_release.services import audit
from raj_release.services.access import Viewer
from raj_release.services.context import Context
from raj_release.services.replan import load_person
from raj_release.services.views import View
from raj_release.store import models as m


class With(StrEnum):
    """Who of the binôme takes part in a meeting."""

    AS = "as"
    PSY = "psy"
    BOTH = "both"


class VisitView(View):
    id: int
    day: dt.date
    place: Place
    with_: With = Field(serialization_alias="with", description="who of the binôme: as, psy or both")
    as_id: str | None = Field(serialization_alias="as", description="the AS taking part (worker id), if any")
    psy_id: str | None = Field(serialization_alias="psy", description="the psychologue taking part, if any")
    outcome: Outcome
    reason: NotHeldReason | None = Field(description="why it was not held (with not-held only)")
    created_by: str
    awaiting_outcome: bool = Field(description="past and still 'planned': its outcome is to be recorded")


def visit_view(row: m.Visit, today: dt.date) -> VisitView:
    with_ = With.BOTH if row.as_id and row.psy_id else (With.AS if row.as_id else With.PSY)
    return VisitView.model_construct(
        id=row.id, day=row.day, place=Place(row.place), with_=with_, as_id=row.as_id, psy_id=row.psy_id,
        outcome=Outcome(row.outcome), reason=NotHeldReason(row.reason) if row.reason else None,
        created_by=row.created_by, awaiting_outcome=row.outcome == Outcome.PLANNED.value and row.day < today)


def check_outcome(outcome: Outcome, reason: str | None, day: dt.date, today: dt.date) -> NotHeldReason | None:
    """The reason as a code: required with not-held, refused otherwise; an outcome only once the day came."""
    r = (reason or "").strip() or None
    if outcome is not Outcome.NOT_HELD:
        if r is not None:
            raise RajError("a reason goes with the outcome {not_held} only (outcome {outcome})", field="reason",
                           not_held=Outcome.NOT_HELD, outcome=outcome)
    elif r is None:
        raise RajError("a meeting not held needs its reason: {allowed}", field="reason", allowed=list(NotHeldReason))
    if outcome is not Outcome.PLANNED and day > today:
        raise RajError("the meeting of {day} has not taken place yet: its outcome is {planned}",
                       field="outcome", day=day, planned=Outcome.PLANNED)
    return parse_code(NotHeldReason, r, "reason") if r is not None else None


def add_visit(ctx: Context, ref: str, *, day: dt.date, place: str, with_: str = "both", outcome: str = "planned",
              reason: str | None = None, today: dt.date, actor: str = "system",
              viewer: Viewer | None = None) -> VisitView:
    """Record a meeting, planned or already past (held or not held)."""
    check_day(day, "day")
    pl = parse_code(Place, place, "place")
    who = parse_code(With, with_, "with")
    out = parse_code(Outcome, outcome, "outcome")
    why = check_outcome(out, reason, day, today)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        if p.stage == Stage.CLOSED.value:
            raise Conflict("the file of '{ref}' is closed: reopen it to record a meeting", ref=ref)
        now = ctx.now()
        row = m.Visit(person_id=p.id, day=day, place=pl.value,
                      as_id=p.as_id if who in (With.AS, With.BOTH) else None,
                      psy_id=p.psy_id if who in (With.PSY, With.BOTH) else None,
                      outcome=out.value, reason=why.value if why else None, created_at=now, created_by=actor,
                      updated_at=now)
        s.add(row)
        s.flush()
        audit.record(s, ctx, actor, "visit.added", "visit", str(row.id), person_id=p.id,
                     new={"day": day.isoformat(), "place": pl.value, "as": row.as_id, "psy": row.psy_id,
                          "outcome": out.value, "reason": row.reason})
        return visit_view(row, today)


def set_outcome(ctx: Context, ref: str, visit_id: int, *, outcome: str, reason: str | None = None,
                today: dt.date, actor: str = "system", viewer: Viewer | None = None) -> VisitView:
    """Record whether a meeting was held (or correct it)."""
    out = parse_code(Outcome, outcome, "outcome")
    if out is Outcome.PLANNED:
        raise RajError("record the outcome as {held} or {not_held}", field="outcome", held=Outcome.HELD,
                       not_held=Outcome.NOT_HELD)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        row = s.get(m.Visit, visit_id)
        if row is None or row.person_id != p.id:
            raise NotFound("meeting {visit} of '{ref}' not found", field="visit", visit=visit_id, ref=ref)
        why = check_outcome(out, reason, row.day, today)
        new_reason = why.value if why else None
        if (row.outcome, row.reason) == (out.value, new_reason):
            return visit_view(row, today)
        audit.record(s, ctx, actor, "visit.outcome", "visit", str(row.id), person_id=p.id,
                     old={"outcome": row.outcome, "reason": row.reason},
                     new={"outcome": out.value, "reason": new_reason})
        row.outcome, row.reason, row.updated_at = out.value, new_reason, ctx.now()
        return visit_view(row, today)


def visits_of(ctx: Context, ref: str, *, today: dt.date, viewer: Viewer | None = None) -> list[VisitView]:
    """The person's meetings, earliest first."""
    with ctx.db.reading() as s:
        p = load_person(s, ref, for_update=False, viewer=viewer)
        return [visit_view(r, today) for r in s.scalars(
            select(m.Visit).where(m.Visit.person_id == p.id).order_by(m.Visit.day, m.Visit.id))]
