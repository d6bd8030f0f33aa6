"""/api/dashboard: the coordinators' dashboard (services/dashboard.py refuses other roles), as documented
response models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from raj_release.domain.enums import Pillar
from raj_release.services.dashboard import dashboard as build
from raj_release.services.demarches import OverdueRow
from raj_release.services.views import View
from raj_release.web.api.deps import AsOf, Ctx, Me, today

router = APIRouter()


class OverdueCount(View):
    value: str = Field(description="the worker id, prison code, démarche key or partner id counted")
    overdue: int = Field(description="its overdue démarches")


class OverduePage(View):
    total: int = Field(description="overdue démarches in scope and filters, on every page")
    page: int = Field(description="this page (a page past the end shows the last one)")
    pages: int
    rows: list[OverdueRow] = Field(description="up to 100 rows, most overdue first")


class WeeklyOverdue(View):
    monday: dt.date
    overdue: int = Field(description="démarches overdue as that Monday began")


class PillarReadiness(View):
    done: int = Field(description="completed démarches of the pillar due by the hearing")
    total: int = Field(description="démarches of the pillar due by the hearing, cancelled ones left out")


class HearingReadiness(View):
    person: str = Field(description="the person's reference")
    date: dt.date = Field(description="the hearing's date")
    readiness: dict[Pillar, PillarReadiness] = Field(description="by pillar; pillars without démarches left out")


class CompressedPlan(View):
    person: str = Field(description="the person's reference")
    as_id: str = Field(serialization_alias="as", description="worker id of the assistant social")
    psy_id: str = Field(serialization_alias="psy", description="worker id of the psychologue")


class CompressedPlans(View):
    total: int = Field(description="plans already late when they were made")
    most_recent: list[CompressedPlan] = Field(description="the 50 most recently made")


class DeadMessage(View):
    day: dt.date = Field(description="the day the message was for")
    kind: str = Field(description="the kind of message (a reminder, a digest, a moved plan...)")
    recipient: str = Field(description="a worker id or a partner id")
    error: str | None = Field(description="the last delivery error")


class PartnerApplicationsView(View):
    partner: str = Field(description="the partner's id in config/partners.yaml")
    open: int = Field(description="its applications waiting for an answer (sent or on its waiting list)")
    answered: int = Field(description="its applications answered (waiting list, accepted or refused, or a first "
                                      "answer through the partner's link)")
    median_days_to_answer: float | None = Field(description=(
        "median days from sending to the first answer, over the answered applications; null when none"))
    refused: int = Field(description="its refusals")


class DashboardView(View):
    today: dt.date = Field(description="the day the dashboard is seen from (as_of)")
    filters: dict[str, str] = Field(description="the filters applied (worker, prison, demarche, partner), given "
                                                "ones only; worker: that worker's own démarches by responsibility")
    by_worker: list[OverdueCount] = Field(description="most first; each worker's own démarches by responsibility "
                                                      "(the AS's to the AS, the psychologue's to the psychologue, "
                                                      "the binôme's and a partner's to both), as their week counts "
                                                      "them")
    by_prison: list[OverdueCount] = Field(description="most first")
    by_demarche: list[OverdueCount] = Field(description="most first")
    by_partner: list[OverdueCount] = Field(description="most first; démarches without a partner left out")
    overdue: OverduePage = Field(description="the overdue démarches behind the counts, one page")
    weekly: list[WeeklyOverdue] = Field(description="the overdue count on each of the last 12 Mondays, oldest first")
    hearings: list[HearingReadiness] = Field(description="hearings of the next 60 days with each plan's readiness")
    compressed: CompressedPlans
    dead_messages: list[DeadMessage] = Field(description="notifications given up on, most recent first (200 at most)")
    applications_by_partner: list[PartnerApplicationsView] = Field(description=(
        "per partner, the organisation's applications (every file): open ones, median time to answer, refusals; "
        "most open first"))


def _counts(rows: list[tuple[str, int]]) -> list[OverdueCount]:
    return [OverdueCount(value=value, overdue=n) for value, n in rows]


@router.get("/dashboard", summary="The coordinators' dashboard of the organisation (403 for other roles)",
            response_model=DashboardView)
def dashboard(ctx: Ctx, v: Me, as_of: AsOf = None,
              worker: Annotated[str | None, Query(max_length=60, description=(
                  "a worker id: their own démarches by responsibility, as their week shows them"))] = None,
              prison: Annotated[str | None, Query(max_length=60)] = None,
              demarche: Annotated[str | None, Query(max_length=60)] = None,
              partner: Annotated[str | None, Query(max_length=60)] = None,
              page: Annotated[int, Query(ge=1, le=1_000_000, description="page of the overdue list (100 rows)")] = 1,
              ) -> DashboardView:
    filters = {"worker": worker, "prison": prison, "demarche": demarche, "partner": partner}
    d = build(ctx, v, today=today(ctx, as_of), filters=filters, page=page)
    return DashboardView(
        today=d.today, filters=d.filters, by_worker=_counts(d.by_worker), by_prison=_counts(d.by_prison),
        by_demarche=_counts(d.by_demarche), by_partner=_counts(d.by_partner),
        overdue=OverduePage(total=d.overdue_total, page=d.page, pages=d.pages, rows=d.overdue),
        weekly=[WeeklyOverdue(monday=day, overdue=n) for day, n in d.weekly],
        hearings=[HearingReadiness(person=ref, date=day, readiness={
            r.pillar: PillarReadiness(done=r.done, total=r.total) for r in ready if r.total})
            for ref, day, ready in d.hearings],
        compressed=CompressedPlans(total=d.compressed_total, most_recent=[
            CompressedPlan(person=ref, as_id=a, psy_id=p) for ref, a, p in d.compressed]),
        dead_messages=[DeadMessage(day=day, kind=kind, recipient=rcpt, error=err) for day, kind, rcpt, err in d.dead],
        applications_by_partner=[PartnerApplicationsView(partner=x.partner, open=x.open, answered=x.answered,
                                                         median_days_to_answer=x.median_days, refused=x.refused)
                                 for x in d.applications])
