"""The audit trail: one event per change, in the change's own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from raj_release.services.context import Context
from raj_release.store.models import AuditEvent


def record(session: Session, ctx: Context, actor: str, action: str, entity: str, entity_key: str,
           person_id: int | None = None, old: Any = None, new: Any = None, reason: str | None = None) -> None:
    session.add(AuditEvent(at=ctx.now(), actor=actor, action=action, person_id=person_id, entity=entity,
                           entity_key=entity_key, old=old, new=new, reason=reason))


def record_many(session: Session, ctx: Context, events: list[dict]) -> None:
    """Several events in one INSERT (executemany): replanning may move dozens of démarches at once.
    Each event is a dict of record()'s keyword arguments."""
    if not events:
        return
    at = ctx.now()
    session.connection().execute(insert(AuditEvent.__table__), [{"at": at, "person_id": None, "old": None, "new": None, "reason": None,
                                          **e} for e in events])
