"""Setting a key date from the plan page; the plan follows and the page lists what moved."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from raj_release.domain.models import parse_date
from raj_release.errors import RajError
from raj_release.services.milestones import set_milestone
from raj_release.web.pages import back_to_plan, ctx_of, signed_in, today_of
from raj_release.web.pages.persons import plan_refused

router = APIRouter()


@router.post("/persons/{ref}/milestones")
def set_milestone_form(request: Request, ref: str, kind: str = Form(...), date: str = Form(...),
                       version: int = Form(...), earliest: str = Form(""), latest: str = Form(""),
                       certainty: str = Form("confirmed"), reason: str = Form(""), seen: str = Form(""),
                       csrf: str = Form("")) -> Response:
    v, session = signed_in(request, csrf)
    try:
        d = parse_date(date, "date")
        lo = parse_date(earliest, "earliest") if earliest else None
        hi = parse_date(latest, "latest") if latest else None
        view = set_milestone(ctx_of(request), ref, kind, date=d, today=today_of(request), earliest=lo, latest=hi,
                             certainty=certainty, reason=reason or None, actor=v.id, viewer=v,
                             expected_version=version)
    except RajError as e:
        return plan_refused(request, ref, v, session, e, seen)
    return back_to_plan(request, ref, moved=view.changes)
