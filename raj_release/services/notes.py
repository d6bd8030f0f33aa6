"""Notes on a person's plan. The text stays in its tables; the audit log records that a note was added or
corrected, never its text (the trail outlives a purge of the file, the notes do not).

A note is corrected by its author only: the new text replaces it, the earlier one is kept in `note_revision`
and the note reads « corrigée »."""

from __future__ import annotations

import datetime as dt

from pydantic import Field
from sqlalchemy import select

from raj_release.errors import Forbidden, NotFound, RajError
from raj_release.services import audit
from raj_release.services.access import Viewer, visible_person_id
from raj_release.services.context import Context
from raj_release.services.views import View
from raj_release.store import models as m
from raj_release.store.db import aware

MAX_NOTE = 4000


class Revision(View):
    text: str = Field(description="the text before a correction")
    written_at: dt.datetime = Field(description="when that text was written")
    replaced_at: dt.datetime = Field(description="when the correction replaced it")


class NoteView(View):
    id: int
    author: str = Field(description="the worker who wrote it (the only one who may correct it)")
    text: str
    at: dt.datetime = Field(description="when it was written")
    corrected_at: dt.datetime | None = Field(default=None, description="the last correction, if corrected")
    earlier: list[Revision] = Field(default_factory=list, description="the texts before each correction, "
                                                                      "the latest first")


def check_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise RajError("write something", field="note")
    if len(text) > MAX_NOTE:
        raise RajError("at most {max} characters", field="note", max=MAX_NOTE)
    return text


def add_note(ctx: Context, v: Viewer, ref: str, text: str) -> int:
    """Add a note; its id."""
    text = check_text(text)
    with ctx.db.transaction() as s:
        pid = visible_person_id(s, v, ref)
        note = m.Note(person_id=pid, author=v.id, text=text, created_at=ctx.now())
        s.add(note)
        s.flush()
        audit.record(s, ctx, v.id, "note.added", "person", ref, person_id=pid, new={"note": note.id})
        return note.id


def correct_note(ctx: Context, v: Viewer, ref: str, note_id: int, text: str) -> NoteView:
    """Replace the text of one's own note; the earlier text is kept (note_revision). Someone else's note
    is refused; the same text again changes nothing."""
    text = check_text(text)
    with ctx.db.transaction() as s:
        pid = visible_person_id(s, v, ref)
        note = s.scalar(select(m.Note).where(m.Note.id == note_id, m.Note.person_id == pid))
        if note is None:
            raise NotFound("note {note} not found on the plan of '{ref}'", field="note", note=note_id, ref=ref)
        if note.author != v.id:
            raise Forbidden("only its author can correct a note: add a note of your own instead", field="note")
        if note.text != text:
            now = ctx.now()
            s.add(m.NoteRevision(note_id=note.id, text=note.text,
                                 written_at=note.corrected_at or note.created_at, replaced_at=now))
            note.text, note.corrected_at = text, now
            audit.record(s, ctx, v.id, "note.corrected", "person", ref, person_id=pid, new={"note": note.id})
            s.flush()
        return _views(s, [note])[0]


def notes_of(ctx: Context, v: Viewer, ref: str) -> list[NoteView]:
    """The person's notes, the latest first, each with its earlier texts if corrected."""
    with ctx.db.reading() as s:
        pid = visible_person_id(s, v, ref)
        return _views(s, s.scalars(select(m.Note).where(m.Note.person_id == pid)
                                   .order_by(m.Note.created_at.desc(), m.Note.id.desc())).all())


def _views(s, notes: list[m.Note]) -> list[NoteView]:
    corrected = [n.id for n in notes if n.corrected_at is not None]
    earlier: dict[int, list[Revision]] = {}
    if corrected:
        for r in s.scalars(select(m.NoteRevision).where(m.NoteRevision.note_id.in_(corrected))
                           .order_by(m.NoteRevision.replaced_at.desc(), m.NoteRevision.id.desc())):
            earlier.setdefault(r.note_id, []).append(Revision(text=r.text, written_at=aware(r.written_at),
                                                               replaced_at=aware(r.replaced_at)))
    return [NoteView(id=n.id, author=n.author, text=n.text, at=aware(n.created_at), corrected_at=aware(n.corrected_at),
                     earlier=earlier.get(n.id, [])) for n in notes]
