"""The JSON API under /api, authenticated by personal access tokens (`raj token create`).

Errors are JSON `{"detail": "..."}` with the right status: 401 without a valid token, 404 for a person
outside one's scope (as for one that does not exist), 409 when the person changed since the version the
client read, 422 for bad input. Every read of a plan and every change goes to the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.models import parse_date
from raj_release.services.access import Viewer
from raj_release.services.context import Context

router = APIRouter(prefix="/api", tags=["api"])


class Unauthorized(Exception):
    pass


def context(request: Request) -> Context:
    return request.app.state.ctx


def viewer(request: Request, authorization: Annotated[str | None, Header()] = None) -> Viewer:
    from raj_release.services.auth import viewer_for_token

    scheme, _, token = (authorization or "").partition(" ")
    v = viewer_for_token(context(request), token.strip()) if scheme.lower() == "bearer" else None
    if v is None:
        raise Unauthorized()
    return v


Ctx = Annotated[Context, Depends(context)]
Me = Annotated[Viewer, Depends(viewer)]
AsOf = Annotated[str | None, Query(description="The day to act as of (YYYY-MM-DD); default today, Brussels.")]


def _as_of(ctx: Context, as_of: str | None) -> dt.date:
    return parse_date(as_of, "as_of") if as_of is not None else ctx.local_today()


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(description="planned, in-progress, on-hold, completed, cancelled or failed")
    reason: str | None = Field(default=None, max_length=1000, description="required for cancelled and failed")
    partner: str | None = Field(default=None, max_length=60, description="partner id (on-hold only)")
    version: int = Field(description="the person's version the client read (409 if it changed)")


class MilestoneChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: str = Field(description="YYYY-MM-DD")
    earliest: str | None = None
    latest: str | None = None
    certainty: str = "confirmed"
    reason: str | None = Field(default=None, max_length=1000)
    version: int


@router.get("/me", summary="Who the token belongs to")
def me(v: Me) -> dict:
    return {"id": v.id, "name": v.name, "role": v.role.value, "organisation": v.organisation,
            "language": v.language}


@router.get("/persons", summary="The persons one may see, with their open and overdue démarches")
def persons(ctx: Ctx, v: Me, as_of: AsOf = None) -> list[dict]:
    from raj_release.services.persons import list_persons

    return [r.as_json() for r in list_persons(ctx, today=_as_of(ctx, as_of), viewer=v)]


@router.get("/persons/{ref}/plan", summary="A person's plan de reclassement (the read is audited)")
def plan(ref: str, ctx: Ctx, v: Me, as_of: AsOf = None) -> dict:
    from raj_release.services.persons import show_plan

    return show_plan(ctx, ref, today=_as_of(ctx, as_of), viewer=v).as_json()


@router.put("/persons/{ref}/demarches/{key}/status", summary="Change a démarche's status")
def set_demarche_status(ref: str, key: str, body: StatusChange, ctx: Ctx, v: Me, as_of: AsOf = None) -> dict:
    from raj_release.services.demarches import set_status

    d = set_status(ctx, ref, key, body.status, today=_as_of(ctx, as_of), reason=body.reason, partner=body.partner, actor=v.id,
                   viewer=v, expected_version=body.version)
    return d.as_json()


@router.put("/persons/{ref}/milestones/{kind}", summary="Set or move a key date; the plan follows")
def set_person_milestone(ref: str, kind: str, body: MilestoneChange, ctx: Ctx, v: Me, as_of: AsOf = None) -> dict:
    from raj_release.services.milestones import parse_kind, set_milestone

    parse_kind(kind)
    date = parse_date(body.date, "date")
    lo = parse_date(body.earliest, "earliest") if body.earliest else None
    hi = parse_date(body.latest, "latest") if body.latest else None
    return set_milestone(ctx, ref, kind, date=date, today=_as_of(ctx, as_of), earliest=lo, latest=hi, certainty=body.certainty, reason=body.reason,
                         actor=v.id, viewer=v, expected_version=body.version).as_json()


@router.get("/overdue", summary="Open démarches past their due date, in one's scope")
def overdue(ctx: Ctx, v: Me, as_of: AsOf = None) -> list[dict]:
    from raj_release.services.demarches import list_overdue

    return [r.as_json() for r in list_overdue(ctx, today=_as_of(ctx, as_of), viewer=v)]


@router.get("/week", summary="My week: overdue, due this week, waiting on a partner, and key dates coming up")
def week(ctx: Ctx, v: Me, as_of: AsOf = None) -> dict:
    from raj_release.services.week import my_week

    w = my_week(ctx, v, _as_of(ctx, as_of))

    def items(xs) -> list[dict]:
        return [{"person": i.ref, "demarche": i.key, "label": i.label, "due": i.due.isoformat(),
                 "status": i.status, "partner": i.partner, "version": i.version, "days_late": max(0, i.days_late)}
                for i in xs]

    return {"today": w.today.isoformat(), "week_end": w.week_end.isoformat(), "overdue": items(w.overdue),
            "this_week": items(w.this_week), "on_hold": items(w.on_hold),
            "milestones": [{"person": ref, "kind": kind, "date": day.isoformat(), "certainty": certainty}
                           for ref, kind, day, certainty in w.milestones]}


@router.get("/dashboard", summary="The coordinators' dashboard of the organisation (403 for other roles)")
def dashboard(ctx: Ctx, v: Me, as_of: AsOf = None,
              worker: Annotated[str | None, Query(max_length=60)] = None,
              prison: Annotated[str | None, Query(max_length=60)] = None,
              demarche: Annotated[str | None, Query(max_length=60)] = None,
              partner: Annotated[str | None, Query(max_length=60)] = None,
              page: Annotated[int, Query(ge=1, le=1_000_000, description="page of the overdue list (100 rows)")] = 1,
              ) -> dict:
    from raj_release.services.dashboard import dashboard as build

    filters = {"worker": worker, "prison": prison, "demarche": demarche, "partner": partner}
    d = build(ctx, v, today=_as_of(ctx, as_of), filters=filters, page=page)

    def counts(rows) -> list[dict]:
        return [{"value": value, "overdue": n} for value, n in rows]

    return {"today": d.today.isoformat(), "filters": d.filters,
            "by_worker": counts(d.by_worker), "by_prison": counts(d.by_prison),
            "by_demarche": counts(d.by_demarche), "by_partner": counts(d.by_partner),
            "overdue": {"total": d.overdue_total, "page": d.page, "pages": d.pages,
                        "rows": [r.as_json() for r in d.overdue]},
            "weekly": [{"monday": day.isoformat(), "overdue": n} for day, n in d.weekly],
            "hearings": [{"person": ref, "date": day.isoformat(),
                          "readiness": {r.pillar.value: {"done": r.done, "total": r.total} for r in ready if r.total}}
                         for ref, day, ready in d.hearings],
            "compressed": {"total": d.compressed_total,
                           "most_recent": [{"person": ref, "as": a, "psy": p} for ref, a, p in d.compressed]},
            "dead_messages": [{"day": day.isoformat(), "kind": kind, "recipient": rcpt, "error": err}
                              for day, kind, rcpt, err in d.dead]}
