"""A worker's week (the workspace's home page): what is overdue, due this week, on hold, and the dates to come."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from raj_release import i18n
from raj_release.domain.enums import NotHeldReason
from raj_release.errors import RajError
from raj_release.services.partners import partners_for
from raj_release.services.week import my_week
from raj_release.web.pages import ctx_of, error_page, lang_of, render, signed_in, today_of

router = APIRouter()


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/week", status_code=303)


@router.get("/week")
def week(request: Request) -> Response:
    v, data = signed_in(request)
    ctx = ctx_of(request)
    try:
        today = today_of(request)
    except RajError as e:
        return error_page(request, v, data, 422, e)
    w = my_week(ctx, v, today)
    # the partners each démarche may wait on, once per démarche key rather than once per row
    fits = {key: partners_for(ctx, key) for key in {i.key for i in (*w.overdue, *w.this_week, *w.on_hold)}}
    return render(request, "week.html", me=v, csrf=data["c"], title=i18n.tr(lang_of(v), "My week"),
                  week=w, partners_for=lambda key: fits[key], not_held=list(NotHeldReason),
                  error=request.query_params.get("error"))
