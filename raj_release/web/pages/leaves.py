"""The plan page's temporary leaves: recording and removing one, and pinning a démarche that needs the person
outside into it. `plan_extras` gives plan.html its leaves and meetings sections (pages/persons.py)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from raj_release import i18n
from raj_release.domain.enums import LeaveKind, NotHeldReason, Outcome, Place
from raj_release.domain.models import parse_date
from raj_release.errors import RajError
from raj_release.services.access import Viewer
from raj_release.services.context import Context
from raj_release.services.leaves import add_leave, leaves_of, needs_outside, pin_into_leave, remove_leave
from raj_release.services.views import PlanView
from raj_release.services.visits import With, visits_of
from raj_release.web.pages import back_to_plan, ctx_of, refused, signed_in, today_of

router = APIRouter()


def plan_extras(ctx: Context, v: Viewer, ref: str, today: dt.date, view: PlanView) -> dict:
    """What plan.html shows of leaves and meetings: the leaves, the open démarches that may be pinned into a
    current or future leave, the meetings, and the codes of the forms."""
    leaves = leaves_of(ctx, ref, today=today, viewer=v)
    open_outside = [d for d in view.demarches
                    if d.status.value not in ("completed", "cancelled", "failed") and needs_outside(ctx, d.key)]
    return dict(leaves=leaves, pinnable=open_outside if any(x.pin_day for x in leaves) else [],
                visits=visits_of(ctx, ref, today=today, viewer=v), leave_kinds=list(LeaveKind),
                places=list(Place), withs=list(With), outcomes=list(Outcome), not_held=list(NotHeldReason))


def leave_bands(extras: dict, lang: str) -> list[tuple[str, dt.date, dt.date]]:
    """The timeline's shaded bands: (the kind's label, from, to) per leave."""
    return [(i18n.label(x.kind, lang), x.start, x.end) for x in extras["leaves"]]


def _back(request: Request, ref: str):
    return lambda error: back_to_plan(request, ref, error=error)


@router.post("/persons/{ref}/leaves")
def add_leave_form(request: Request, ref: str, kind: str = Form(...), start: str = Form(...), end: str = Form(...),
                   csrf: str = Form("")) -> Response:
    v, _session = signed_in(request, csrf)
    try:
        add_leave(ctx_of(request), ref, kind=kind, start=parse_date(start, "start"), end=parse_date(end, "end"),
                  today=today_of(request), actor=v.id, viewer=v)
    except RajError as e:
        return refused(request, e, back=_back(request, ref))
    return back_to_plan(request, ref)


@router.post("/persons/{ref}/leaves/{leave_id}/remove")
def remove_leave_form(request: Request, ref: str, leave_id: int, csrf: str = Form("")) -> Response:
    v, _session = signed_in(request, csrf)
    try:
        remove_leave(ctx_of(request), ref, leave_id, today=today_of(request), actor=v.id, viewer=v)
    except RajError as e:
        return refused(request, e, back=_back(request, ref))
    return back_to_plan(request, ref)


@router.post("/persons/{ref}/leaves/{leave_id}/pin")
def pin_into_leave_form(request: Request, ref: str, leave_id: int, key: str = Form(...), version: int = Form(...),
                        csrf: str = Form("")) -> Response:
    v, _session = signed_in(request, csrf)
    try:
        view = pin_into_leave(ctx_of(request), ref, key, leave_id, today=today_of(request), actor=v.id, viewer=v,
                              expected_version=version)
    except RajError as e:
        return refused(request, e, back=_back(request, ref))
    return back_to_plan(request, ref, moved=view.changes)
