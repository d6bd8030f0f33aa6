"""Key dates of a person: setting or moving one replans the plan and tells the binôme what moved."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError
from sqlalchemy.orm import Session

from raj_release.domain.enums import Certainty, MilestoneKind, parse_code
from raj_release.domain.milestones import Milestone
from raj_release.domain.models import check_day, check_reason
from raj_release.errors import from_validation
from raj_release.reminders.messages import Move, Recipient, milestone_change_text, plan_moved_messages
from raj_release.services import audit, outbox
from raj_release.services.access import Viewer
from raj_release.services.context import Context
from raj_release.services.reminders import next_morning
from raj_release.services.replan import Replanned, bump, check_version, iso, load_person, replan, view_of
from raj_release.services.views import PlanView
from raj_release.store import models as m


def parse_kind(value: str) -> MilestoneKind:
    return parse_code(MilestoneKind, value, "kind")


def set_milestone(ctx: Context, ref: str, kind: str, *, date: dt.date, today: dt.date,
                  earliest: dt.date | None = None, latest: dt.date | None = None, certainty: str = "confirmed",
                  reason: str | None = None, actor: str = "system", viewer: Viewer | None = None,
                  expected_version: int | None = None) -> PlanView:
    """Set or correct a key date; the plan follows, and the view lists what moved."""
    k = parse_kind(kind)
    c = parse_code(Certainty, certainty, "certainty")
    reason = check_reason(reason)
    for what, day in (("date", date), ("earliest", earliest), ("latest", latest)):
        if day is not None:
            check_day(day, what)
    try:
        Milestone(kind=k, date=date, earliest=earliest, latest=latest, certainty=c)  # validates the window
    except ValidationError as e:
        raise from_validation(e.errors(), field="milestone") from None
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        check_version(p, expected_version)
        row = next((x for x in p.milestones if x.kind == k.value), None)
        old = None
        row_old_date = row.date if row is not None else None
        now = ctx.now()
        if row is None:
            row = m.Milestone(kind=k.value, updated_at=now, updated_by=actor)
            p.milestones.append(row)
        else:
            if (row.date, row.earliest, row.latest, row.certainty) == (date, earliest, latest, c.value):
                return view_of(s, ctx, p, today)  # nothing changes: no event, no new version
            old = {"date": iso(row.date), "earliest": iso(row.earliest), "latest": iso(row.latest),
                   "certainty": row.certainty}
        row.date, row.earliest, row.latest, row.certainty = date, earliest, latest, c.value
        row.updated_at, row.updated_by = now, actor
        audit.record(s, ctx, actor, "milestone.set", "milestone", k.value, person_id=p.id, old=old,
                     new={"date": iso(date), "earliest": iso(earliest), "latest": iso(latest),
                          "certainty": c.value}, reason=reason)
        s.flush()
        result, rows = replan(s, ctx, p, today, actor=actor, reason=reason or f"{k.value} set to {date.isoformat()}")
        bump(ctx, p, now)
        _tell_binome(s, ctx, p, k, old_date=row_old_date, new_date=date, result=result, today=today,
                     reason=reason, actor=actor)
        return view_of(s, ctx, p, today, demarches=rows, result=result)


def _tell_binome(s: Session, ctx: Context, p: m.Person, kind: MilestoneKind, *, old_date: dt.date | None,
                 new_date: dt.date, result: Replanned, today: dt.date, reason: str | None, actor: str) -> None:
    """One "your plan moved" message to each member of the binôme, through the outbox (same transaction).

    A sudden release (actual release today or earlier) is urgent: it goes out at once, even on a weekend.
    Other changes wait for the next working morning when they happen on a quiet day.
    """
    moves = [Move(c.key, c.old_due, c.new_due) for c in result.changes if c.old_due is not None]
    if not moves:  # démarches getting their first date were planned, not moved
        return
    recipients = [Recipient(w.id, w.name, w.language, w.role)
                  for w in (s.get(m.Worker, p.as_id), s.get(m.Worker, p.psy_id)) if w is not None and w.active]
    org = s.get(m.Organisation, p.organisation_id)
    templates = ctx.config.templates.by_key

    def label(key: str, lang: str) -> str:
        t = templates.get(key)
        return t.label_in(lang) if t else key

    urgent = kind is MilestoneKind.ACTUAL_RELEASE and new_date <= today
    msgs = plan_moved_messages(p.ref, p.id, moves, recipients, milestone_change_text(kind, old_date, new_date),
                               reason, actor, today, f"{p.ref}@v{p.version}", org.name if org else "",
                               label, urgent=urgent, organisation_code=org.code if org else None,
                               public_url=ctx.settings.public_url)
    outbox.enqueue(s, ctx, msgs, not_before=next_morning(ctx, ctx.now()))
