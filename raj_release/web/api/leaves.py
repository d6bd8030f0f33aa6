"""/api leaves: a person's temporary leaves (not a release), and pinning a démarche into one."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.enums import LeaveKind
from raj_release.services.leaves import LeaveView, add_leave, leaves_of, pin_into_leave, remove_leave
from raj_release.services.views import PlanView
from raj_release.web.api.deps import AsOf, Ctx, Day, Me, today

router = APIRouter()


class LeaveNew(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: LeaveKind
    start: Day = Field(description="the first day outside (YYYY-MM-DD)")
    end: Day = Field(description="the last day outside; not before start")


class PinIntoLeave(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(description="the person's version the client read (409 if it changed)")


@router.get("/persons/{ref}/leaves", summary="A person's temporary leaves", response_model=list[LeaveView])
def list_leaves(ref: str, ctx: Ctx, v: Me, as_of: AsOf = None) -> list[LeaveView]:
    return leaves_of(ctx, ref, today=today(ctx, as_of), viewer=v)


@router.post("/persons/{ref}/leaves", response_model=LeaveView,
             summary="Record a temporary leave (the plan does not move: a leave is not a release)")
def new_leave(ref: str, body: LeaveNew, ctx: Ctx, v: Me, as_of: AsOf = None) -> LeaveView:
    return add_leave(ctx, ref, kind=body.kind.value, start=body.start, end=body.end, today=today(ctx, as_of),
                     actor=v.id, viewer=v)


@router.delete("/persons/{ref}/leaves/{leave_id}", response_model=LeaveView,
               summary="Delete a leave recorded by mistake (the audit log keeps it)")
def delete_leave(ref: str, leave_id: int, ctx: Ctx, v: Me, as_of: AsOf = None) -> LeaveView:
    return remove_leave(ctx, ref, leave_id, today=today(ctx, as_of), actor=v.id, viewer=v)


@router.post("/persons/{ref}/leaves/{leave_id}/pin/{key}", response_model=PlanView,
             summary="Pin a démarche that needs the person outside to the leave's last working day")
def pin_leave(ref: str, leave_id: int, key: str, body: PinIntoLeave, ctx: Ctx, v: Me,
              as_of: AsOf = None) -> PlanView:
    return pin_into_leave(ctx, ref, key, leave_id, today=today(ctx, as_of), actor=v.id, viewer=v,
                          expected_version=body.version)
