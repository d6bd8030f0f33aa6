"""Meetings from the plan page and from my week: recording one, and recording whether it was held."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from raj_release.domain.models import parse_date
from raj_release.errors import RajError
from raj_release.services.visits import add_visit, set_outcome
from raj_release.web.pages import back_to_plan, back_to_week, ctx_of, refused, signed_in, today_of

router = APIRouter()


@router.post("/persons/{ref}/visits")
def add_visit_form(request: Request, ref: str, day: str = Form(...), place: str = Form(...),
                   with_: str = Form("both", alias="with"), outcome: str = Form("planned"), reason: str = Form(""),
                   csrf: str = Form("")) -> Response:
    v, _session = signed_in(request, csrf)
    try:
        add_visit(ctx_of(request), ref, day=parse_date(day, "day"), place=place, with_=with_, outcome=outcome,
                  reason=reason or None, today=today_of(request), actor=v.id, viewer=v)
    except RajError as e:
        return refused(request, e, back=lambda error: back_to_plan(request, ref, error=error))
    return back_to_plan(request, ref)


@router.post("/persons/{ref}/visits/{visit_id}/outcome")
def set_outcome_form(request: Request, ref: str, visit_id: int, outcome: str = Form(...), reason: str = Form(""),
                     back: str = Form("plan"), csrf: str = Form("")) -> Response:
    """From the plan page or from my week (`back=week`): the answer goes back where the form was."""
    v, _session = signed_in(request, csrf)

    def again(error: str | None = None) -> Response:
        return back_to_week(request, error=error) if back == "week" else back_to_plan(request, ref, error=error)

    try:
        set_outcome(ctx_of(request), ref, visit_id, outcome=outcome, reason=reason or None,
                    today=today_of(request), actor=v.id, viewer=v)
    except RajError as e:
        return refused(request, e, back=again)
    return again()
