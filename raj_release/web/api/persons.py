"""/api/persons/{ref}/plan: a person's plan (the read is audited); the file active: api/caseload.py."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.enums import Certainty, Language, MilestoneKind, Modality, Need, Procedure, Situation, Source
from raj_release.domain.milestones import Milestone
from raj_release.services.persons import register_person, show_plan
from raj_release.services.views import PlanView
from raj_release.web.api.deps import AsOf, Ctx, Day, Me, today

router = APIRouter()


@router.get("/persons/{ref}/plan", summary="A person's plan de reclassement (the read is audited)",
            response_model=PlanView)
def plan(ref: str, ctx: Ctx, v: Me, as_of: AsOf = None) -> PlanView:
    return show_plan(ctx, ref, today=today(ctx, as_of), viewer=v)


class KnownDate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["tap_hearing", "expected_release"]
    date: Day
    earliest: Day | None = None
    latest: Day | None = None
    certainty: Certainty = Certainty.CONFIRMED


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    ref: str = Field(description="pseudonymous reference")
    stage: Literal["request", "first-meetings", "followed"] = "followed"
    origin: Literal["prison", "outside"] = "prison"
    source: Source | None = None
    prison: str | None = Field(default=None, description="prison code; none for a request from outside")
    situation: Situation = Situation.CONDAMNE
    modality: Modality | None = None
    procedure: Procedure | None = None
    needs: list[Need] = Field(default_factory=list)
    language: Language = Language.FR
    interpreter: bool = False
    as_id: str = Field(alias="as")
    psy_id: str = Field(alias="psy")
    intake: Day | None = None
    followed_on: Day | None = None
    plan: bool = Field(default=False, description="make the plan now, before the follow-up")
    dates: list[KnownDate] = Field(default_factory=list, description="the hearing, the expected release")


@router.post("/persons", summary="Register a person (a request, or a followed file with its plan)",
             response_model=PlanView, status_code=201)
def register(body: Registration, ctx: Ctx, v: Me, as_of: AsOf = None) -> PlanView:
    known = [Milestone(kind=MilestoneKind(k.kind), date=k.date, earliest=k.earliest, latest=k.latest,
                       certainty=k.certainty) for k in body.dates]
    return register_person(ctx, ref=body.ref, prison=body.prison, as_id=body.as_id, psy_id=body.psy_id,
                           today=today(ctx, as_of), situation=body.situation.value,
                           needs=[n.value for n in body.needs], language=body.language.value,
                           interpreter=body.interpreter, procedure=body.procedure.value if body.procedure else None,
                           modality=body.modality.value if body.modality else None, intake=body.intake,
                           milestones=known, stage=body.stage, origin=body.origin,
                           source=body.source.value if body.source else None, followed_on=body.followed_on,
                           plan_now=body.plan, actor=v.id, viewer=v)
