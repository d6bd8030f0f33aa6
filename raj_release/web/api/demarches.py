"""/api démarches: changing a démarche's status, and the overdue ones in one's scope."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.enums import Status
from raj_release.services.demarches import OverdueRow, list_overdue, set_status
from raj_release.services.views import DemarcheView
from raj_release.web.api.deps import AsOf, Ctx, Me, today

router = APIRouter()


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status = Field(description="the new status, along the status machine (409 for a change it forbids)")
    reason: str | None = Field(default=None, max_length=1000, description="required for cancelled and failed")
    partner: str | None = Field(default=None, max_length=60, description="partner id (on-hold only)")
    version: int = Field(description="the person's version the client read (409 if it changed)")


@router.put("/persons/{ref}/demarches/{key}/status", summary="Change a démarche's status",
            response_model=DemarcheView)
def set_demarche_status(ref: str, key: str, body: StatusChange, ctx: Ctx, v: Me, as_of: AsOf = None) -> DemarcheView:
    return set_status(ctx, ref, key, body.status.value, today=today(ctx, as_of), reason=body.reason, partner=body.partner,
                      actor=v.id, viewer=v, expected_version=body.version)


@router.get("/overdue", summary="Open démarches past their due date, in one's scope",
            response_model=list[OverdueRow])
def overdue(ctx: Ctx, v: Me, as_of: AsOf = None) -> list[OverdueRow]:
    return list_overdue(ctx, today=today(ctx, as_of), viewer=v)
