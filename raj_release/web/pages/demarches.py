"""A démarche's forms: its status (from my week) and a due date pinned by hand (from the plan page)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from raj_release.domain.models import parse_date
from raj_release.errors import RajError
from raj_release.services.demarches import pin_due, set_status
from raj_release.web.pages import back_to_plan, back_to_week, ctx_of, refused, signed_in, today_of

router = APIRouter()


@router.post("/persons/{ref}/demarches/{key}/status")
def set_status_form(request: Request, ref: str, key: str, status: str = Form(...), version: int = Form(...),
                    reason: str = Form(""), partner: str = Form(""), csrf: str = Form("")) -> Response:
    v, _session = signed_in(request, csrf)
    try:
        set_status(ctx_of(request), ref, key, status, today=today_of(request), reason=reason or None,
                   partner=(partner or None) if status == "on-hold" else None, actor=v.id, viewer=v,
                   expected_version=version)
    except RajError as e:
        return refused(request, e, back=lambda error: back_to_week(request, error=error))
    return back_to_week(request)


@router.post("/persons/{ref}/demarches/{key}/pin")
def pin_form(request: Request, ref: str, key: str, date: str = Form(...), version: int = Form(...),
             reason: str = Form(""), csrf: str = Form("")) -> Response:
    v, _session = signed_in(request, csrf)
    try:
        view = pin_due(ctx_of(request), ref, key, due=parse_date(date, "date"), today=today_of(request),
                       reason=reason or None, actor=v.id, viewer=v, expected_version=version)
    except RajError as e:
        return refused(request, e, back=lambda error: back_to_plan(request, ref, error=error))
    return back_to_plan(request, ref, moved=view.changes)
