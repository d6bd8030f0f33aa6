"""A démarche's forms, from my week and from the plan page: its status (done, in progress, waiting on a
partner, not applicable or failed, reopened; « Fait » undone for a few minutes), a due date pinned by hand
and the pin removed. The answer goes back where the form was (`back`: the week or the plan, nothing else)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from raj_release.domain.enums import Status
from raj_release.domain.models import parse_date
from raj_release.errors import RajError
from raj_release.services.demarches import pin_due, set_status, unpin
from raj_release.web.pages import back_to_plan, back_to_week, ctx_of, refused, signed_in, today_of
from raj_release.web.pages.persons import plan_refused

router = APIRouter()

BACKS = frozenset({"week", "plan"})  # where a status form may send its answer: never an address of the form's


def _back(value: str) -> str:
    return value if value in BACKS else "week"


def _to_plan(request: Request, ref: str, key: str, marked: bool = False) -> RedirectResponse:
    """The plan again at the démarche's row; `marked`: it was just marked done, at the notice that offers
    to undo it."""
    params = [f"as_of={request.query_params['as_of']}"] if "as_of" in request.query_params else []
    if marked:
        params.append(f"marked={quote(key)}")
    anchor = "undo" if marked else f"d-{quote(key)}"
    return RedirectResponse(f"/persons/{quote(ref)}" + ("?" + "&".join(params) if params else "") + f"#{anchor}",
                            status_code=303)


@router.post("/persons/{ref}/demarches/{key}/status")
def set_status_form(request: Request, ref: str, key: str, status: str = Form(...), version: int = Form(...),
                    reason: str = Form(""), partner: str = Form(""), back: str = Form("week"), seen: str = Form(""),
                    csrf: str = Form("")) -> Response:
    v, session = signed_in(request, csrf)
    back = _back(back)
    try:
        set_status(ctx_of(request), ref, key, status, today=today_of(request), reason=reason or None,
                   partner=(partner or None) if status == "on-hold" else None, actor=v.id, viewer=v,
                   expected_version=version)
    except RajError as e:
        if back == "plan":
            return plan_refused(request, ref, v, session, e, seen)
        return refused(request, e, back=lambda error: back_to_week(request, error=error))
    if back == "plan":
        return _to_plan(request, ref, key, marked=status == Status.COMPLETED.value)
    return back_to_week(request)


@router.post("/persons/{ref}/demarches/{key}/pin")
def pin_form(request: Request, ref: str, key: str, date: str = Form(...), version: int = Form(...),
             reason: str = Form(""), seen: str = Form(""), csrf: str = Form("")) -> Response:
    v, session = signed_in(request, csrf)
    try:
        view = pin_due(ctx_of(request), ref, key, due=parse_date(date, "date"), today=today_of(request),
                       reason=reason or None, actor=v.id, viewer=v, expected_version=version)
    except RajError as e:
        return plan_refused(request, ref, v, session, e, seen)
    return back_to_plan(request, ref, moved=view.changes)


@router.post("/persons/{ref}/demarches/{key}/unpin")
def unpin_form(request: Request, ref: str, key: str, version: int = Form(...), seen: str = Form(""),
               csrf: str = Form("")) -> Response:
    """The date goes back to the planner's; the plan is replanned and the page says what moved."""
    v, session = signed_in(request, csrf)
    try:
        view = unpin(ctx_of(request), ref, key, today=today_of(request), actor=v.id, viewer=v,
                     expected_version=version)
    except RajError as e:
        return plan_refused(request, ref, v, session, e, seen)
    return back_to_plan(request, ref, moved=view.changes)
