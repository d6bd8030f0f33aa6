"""/api milestones: setting or moving a person's key date replans their plan."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.models import parse_date
from raj_release.services.milestones import parse_kind, set_milestone
from raj_release.services.views import PlanView
from raj_release.web.api.deps import AsOf, Ctx, Me, today

router = APIRouter()


class MilestoneChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: str = Field(description="YYYY-MM-DD")
    earliest: str | None = None
    latest: str | None = None
    certainty: str = "confirmed"
    reason: str | None = Field(default=None, max_length=1000)
    version: int


@router.put("/persons/{ref}/milestones/{kind}", summary="Set or move a key date; the plan follows",
            response_model=PlanView)
def set_person_milestone(ref: str, kind: str, body: MilestoneChange, ctx: Ctx, v: Me, as_of: AsOf = None) -> PlanView:
    parse_kind(kind)
    date = parse_date(body.date, "date")
    lo = parse_date(body.earliest, "earliest") if body.earliest else None
    hi = parse_date(body.latest, "latest") if body.latest else None
    return set_milestone(ctx, ref, kind, date=date, today=today(ctx, as_of), earliest=lo, latest=hi,
                         certainty=body.certainty, reason=body.reason, actor=v.id, viewer=v,
                         expected_version=body.version)
