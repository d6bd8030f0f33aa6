"""/api milestones: setting or moving a person's key date replans their plan."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.enums import Certainty, MilestoneKind
from raj_release.services.milestones import set_milestone
from raj_release.services.views import PlanView
from raj_release.web.api.deps import AsOf, Ctx, Day, Me, today

router = APIRouter()


class MilestoneChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: Day = Field(description="the key date (YYYY-MM-DD, 1990 to 2100), or its most likely day when uncertain")
    earliest: Day | None = Field(default=None, description="an uncertain date's window: no earlier than")
    latest: Day | None = Field(default=None, description="an uncertain date's window: no later than")
    certainty: Certainty = Certainty.CONFIRMED
    reason: str | None = Field(default=None, max_length=1000, description="why it moved (audit log, binôme's message)")
    version: int = Field(description="the person's version the client read (409 if it changed)")


@router.put("/persons/{ref}/milestones/{kind}", summary="Set or move a key date; the plan follows",
            response_model=PlanView)
def set_person_milestone(ref: str, kind: MilestoneKind, body: MilestoneChange, ctx: Ctx, v: Me,
                         as_of: AsOf = None) -> PlanView:
    return set_milestone(ctx, ref, kind.value, date=body.date, today=today(ctx, as_of), earliest=body.earliest,
                         latest=body.latest, certainty=body.certainty.value, reason=body.reason, actor=v.id,
                         viewer=v, expected_version=body.version)
