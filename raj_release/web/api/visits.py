"""/api visits: a person's meetings (rencontres) and their outcome."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.enums import NotHeldReason, Outcome, Place
from raj_release.services.visits import VisitView, With, add_visit, set_outcome, visits_of
from raj_release.web.api.deps import AsOf, Ctx, Day, Me, today

router = APIRouter()


class VisitNew(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    day: Day
    place: Place
    with_: With = Field(default=With.BOTH, alias="with", description="who of the binôme: as, psy or both")
    outcome: Outcome = Outcome.PLANNED
    reason: NotHeldReason | None = Field(default=None, description="required with not-held, refused otherwise")


class VisitOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome = Field(description="held or not-held")
    reason: NotHeldReason | None = Field(default=None, description="required with not-held, refused otherwise")


@router.get("/persons/{ref}/visits", summary="A person's meetings, earliest first", response_model=list[VisitView])
def list_visits(ref: str, ctx: Ctx, v: Me, as_of: AsOf = None) -> list[VisitView]:
    return visits_of(ctx, ref, today=today(ctx, as_of), viewer=v)


@router.post("/persons/{ref}/visits", response_model=VisitView,
             summary="Record a meeting, planned or past")
def new_visit(ref: str, body: VisitNew, ctx: Ctx, v: Me, as_of: AsOf = None) -> VisitView:
    return add_visit(ctx, ref, day=body.day, place=body.place.value, with_=body.with_.value,
                     outcome=body.outcome.value, reason=body.reason.value if body.reason else None,
                     today=today(ctx, as_of), actor=v.id, viewer=v)


@router.patch("/persons/{ref}/visits/{visit_id}", response_model=VisitView,
              summary="Record whether a meeting was held")
def patch_visit(ref: str, visit_id: int, body: VisitOutcome, ctx: Ctx, v: Me, as_of: AsOf = None) -> VisitView:
    return set_outcome(ctx, ref, visit_id, outcome=body.outcome.value,
                       reason=body.reason.value if body.reason else None, today=today(ctx, as_of),
                       actor=v.id, viewer=v)
