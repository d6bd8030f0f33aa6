"""A person's history from the audit log: who moved which date, when and why; each démarche's changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from raj_release.services.access import Viewer, visible_person_id
from raj_release.services.context import Context
from raj_release.store import models as m

# what the plan's history shows (raj_release/domain/history.py words each one): the plan's changes and the
# file's life (issue 10); not the reads, the leaves and meetings (their own sections) nor the notes
SHOWN = ("person.registered", "milestone.set", "demarche.moved", "demarche.status", "demarche.pinned",
         "demarche.unpinned", "plan.scheduled", "person.edited", "person.handed_over", "person.transferred",
         "person.stage", "person.closed", "person.reopened", "demarche.kept", "demarche.obsolete",
         "demarche.applies", "consent.given", "consent.withdrawn", "application.sent", "application.state")


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    actor: str
    action: str
    key: str
    old: dict | None
    new: dict | None
    reason: str | None
    id: int = 0


def person_history(ctx: Context, v: Viewer, ref: str, limit: int = 500) -> list[Event]:
    with ctx.db.transaction() as s:
        pid = visible_person_id(s, v, ref)
        rows = s.scalars(select(m.AuditEvent).where(m.AuditEvent.person_id == pid,
                                                    m.AuditEvent.action.in_(SHOWN))
                         .order_by(m.AuditEvent.at.desc(), m.AuditEvent.id.desc()).limit(limit)).all()
        return [Event(e.at, e.actor, e.action, e.entity_key, e.old, e.new, e.reason, e.id) for e in rows]


def last_event_id(ctx: Context, v: Viewer, ref: str) -> int:
    """The id of the person's latest audit event (0 for none): what a page saw, for `changes_since`."""
    with ctx.db.reading() as s:
        pid = visible_person_id(s, v, ref)
        return s.scalar(select(func.max(m.AuditEvent.id)).where(m.AuditEvent.person_id == pid)) or 0


def changes_since(ctx: Context, v: Viewer, ref: str, after: int, limit: int = 20) -> list[Event]:
    """What was done to the person's file after the audit event `after` (reads left out), the oldest first:
    what someone else changed meanwhile, when a change is refused as made on a stale read."""
    with ctx.db.reading() as s:
        pid = visible_person_id(s, v, ref)
        rows = s.scalars(select(m.AuditEvent).where(m.AuditEvent.person_id == pid, m.AuditEvent.id > after,
                                                    m.AuditEvent.action != "person.read")
                         .order_by(m.AuditEvent.id).limit(limit)).all()
        return [Event(e.at, e.actor, e.action, e.entity_key, e.old, e.new, e.reason, e.id) for e in rows]
