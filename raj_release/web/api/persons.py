"""/api/persons/{ref}/plan: a person's plan (the read is audited); the file active: api/caseload.py."""

from __future__ import annotations

from fastapi import APIRouter

from raj_release.services.persons import show_plan
from raj_release.services.views import PlanView
from raj_release.web.api.deps import AsOf, Ctx, Me, today

router = APIRouter()


@router.get("/persons/{ref}/plan", summary="A person's plan de reclassement (the read is audited)",
            response_model=PlanView)
def plan(ref: str, ctx: Ctx, v: Me, as_of: AsOf = None) -> PlanView:
    return show_plan(ctx, ref, today=today(ctx, as_of), viewer=v)
