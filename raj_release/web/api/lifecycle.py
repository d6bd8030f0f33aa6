"""/api: the life of a file — edit what is known, transfer, hand over, move the stage, close (with the list
of démarches it would cancel first) and reopen. Each answers the plan with what the change did (added,
moved, no longer applies, closed)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.enums import CloseReason, Language, Need, NotMetReason, Situation
from raj_release.services.lifecycle import (
    close_person,
    closing_preview,
    edit_person,
    reopen_person,
    set_stage,
    settle_obsolete,
    transfer_person,
)
from raj_release.services.views import MoveView, PlanView
from raj_release.web.api.deps import AsOf, Ctx, Day, Me, today

router = APIRouter()
Version = Field(description="the person's version the client read (409 if it changed)")
Text = Field(default=None, max_length=1000)


class PersonEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    needs: list[Need] | None = Field(default=None, description="the needs (replaces them)")
    situation: Situation | None = None
    modality: str | None = Field(default=None, description="lc, se, dl, fond_de_peine, or '' to clear")
    procedure: str | None = Field(default=None, description="tap, jap, or '' to clear")
    language: Language | None = None
    interpreter: bool | None = None
    as_id: str | None = Field(default=None, alias="as", description="hand the file to this AS (with a reason)")
    psy_id: str | None = Field(default=None, alias="psy", description="hand the file to this psychologue")
    reason: str | None = Text
    version: int = Version


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prison: str = Field(description="the new prison's code (prisons.yaml)")
    date: Day
    reason: str | None = Text
    version: int = Version


class StageChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: Literal["first-meetings", "followed"]
    date: Day | None = Field(default=None, description="the team meeting that validated the follow-up")
    plan: bool = Field(default=False, description="make the plan now")
    version: int = Version


class Closure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: CloseReason
    why: NotMetReason | None = Field(default=None, description="with not-met")
    to_service: str | None = Field(default=None, max_length=1000, description="with handed-over")
    detail: str | None = Field(default=None, max_length=1000, description="with other")
    date: Day | None = None
    version: int = Version


class Reopening(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)
    version: int = Version


class Settle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keep: bool = Field(description="keep it (pinned at its date) or close it (« ne s'applique plus »)")
    version: int = Version


@router.patch("/persons/{ref}", summary="Change what is known of the person, or hand the file over; the plan "
              "follows", response_model=PlanView)
def edit(ref: str, body: PersonEdit, ctx: Ctx, v: Me, as_of: AsOf = None) -> PlanView:
    return edit_person(ctx, ref, today=today(ctx, as_of),
                       needs=[n.value for n in body.needs] if body.needs is not None else None,
                       situation=body.situation.value if body.situation else None, modality=body.modality,
                       procedure=body.procedure, language=body.language.value if body.language else None,
                       interpreter=body.interpreter, as_id=body.as_id, psy_id=body.psy_id, reason=body.reason,
                       actor=v.id, viewer=v, expected_version=body.version)


@router.post("/persons/{ref}/transfer", summary="Transfer the person to another prison", response_model=PlanView)
def transfer(ref: str, body: Transfer, ctx: Ctx, v: Me, as_of: AsOf = None) -> PlanView:
    return transfer_person(ctx, ref, prison=body.prison, date=body.date, today=today(ctx, as_of),
                           reason=body.reason, actor=v.id, viewer=v, expected_version=body.version)


@router.put("/persons/{ref}/stage", summary="Move a request forward (first meetings, followed)",
            response_model=PlanView)
def stage(ref: str, body: StageChange, ctx: Ctx, v: Me, as_of: AsOf = None) -> PlanView:
    return set_stage(ctx, ref, body.stage, today=today(ctx, as_of), date=body.date, plan_now=body.plan,
                     actor=v.id, viewer=v, expected_version=body.version)


@router.get("/persons/{ref}/closing", summary="The open démarches closing the file would cancel",
            response_model=list[MoveView])
def closing(ref: str, ctx: Ctx, v: Me) -> list[MoveView]:
    return closing_preview(ctx, ref, viewer=v)


@router.post("/persons/{ref}/close", summary="Close the file; its open démarches are cancelled with it",
             response_model=PlanView)
def close(ref: str, body: Closure, ctx: Ctx, v: Me, as_of: AsOf = None) -> PlanView:
    return close_person(ctx, ref, reason=body.reason.value, why=body.why.value if body.why else None,
                        to_service=body.to_service, detail=body.detail, date=body.date, today=today(ctx, as_of),
                        actor=v.id, viewer=v, expected_version=body.version)


@router.post("/persons/{ref}/reopen", summary="Reopen a closed file", response_model=PlanView)
def reopen(ref: str, body: Reopening, ctx: Ctx, v: Me, as_of: AsOf = None) -> PlanView:
    return reopen_person(ctx, ref, reason=body.reason, today=today(ctx, as_of), actor=v.id, viewer=v,
                         expected_version=body.version)


@router.post("/persons/{ref}/demarches/{key}/obsolete", summary="Close or keep a démarche that no longer applies",
             response_model=PlanView)
def obsolete(ref: str, key: str, body: Settle, ctx: Ctx, v: Me, as_of: AsOf = None) -> PlanView:
    return settle_obsolete(ctx, ref, key, keep=body.keep, today=today(ctx, as_of), actor=v.id, viewer=v,
                           expected_version=body.version)
