"""Notes on a person's plan. The text stays in its table; the audit log records that a note was added."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from raj_release.errors import RajError
from raj_release.services import audit
from raj_release.services.access import Viewer, visible_person_id
from raj_release.services.context import Context
from raj_release.store import models as m

MAX_NOTE = 4000


@dataclass(frozen=True)
class NoteView:
    author: str
    text: str
    at: dt.datetime


def add_note(ctx: Context, v: Viewer, ref: str, text: str) -> None:
    text = (text or "").strip()
    if not text:
        raise RajError("write something", field="note")
    if len(text) > MAX_NOTE:
        raise RajError("at most {max} characters", field="note", max=MAX_NOTE)
    with ctx.db.transaction() as s:
        pid = visible_person_id(s, v, ref)
        note = m.Note(person_id=pid, author=v.id, text=text, created_at=ctx.now())
        s.add(note)
        s.flush()
        audit.record(s, ctx, v.id, "note.added", "person", ref, person_id=pid, new={"note": note.id})


def notes_of(ctx: Context, v: Viewer, ref: str) -> list[NoteView]:
    with ctx.db.transaction() as s:
        pid = visible_person_id(s, v, ref)
        return [NoteView(n.author, n.text, n.created_at) for n in s.scalars(
            select(m.Note).where(m.Note.person_id == pid).order_by(m.Note.created_at.desc(), m.Note.id.desc()))]
