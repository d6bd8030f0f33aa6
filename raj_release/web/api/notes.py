"""/api notes: a person's notes, adding one, and correcting one's own (the earlier text is kept)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from raj_release.services.notes import MAX_NOTE, NoteView, add_note, correct_note, notes_of
from raj_release.web.api.deps import Ctx, Me

router = APIRouter()


class NoteText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=MAX_NOTE, description="the note's text")


@router.get("/persons/{ref}/notes", summary="A person's notes, the latest first", response_model=list[NoteView])
def list_notes(ref: str, ctx: Ctx, v: Me) -> list[NoteView]:
    return notes_of(ctx, v, ref)


@router.post("/persons/{ref}/notes", summary="Add a note", response_model=NoteView)
def new_note(ref: str, body: NoteText, ctx: Ctx, v: Me) -> NoteView:
    nid = add_note(ctx, v, ref, body.text)
    return next(n for n in notes_of(ctx, v, ref) if n.id == nid)


@router.put("/persons/{ref}/notes/{note_id}", response_model=NoteView,
            summary="Correct one's own note (403 for someone else's; the earlier text is kept)")
def correct(ref: str, note_id: int, body: NoteText, ctx: Ctx, v: Me) -> NoteView:
    return correct_note(ctx, v, ref, note_id, body.text)
