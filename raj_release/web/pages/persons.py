"""A person's plan page (readiness, timeline, key dates, démarches with their history, notes) and its notes form."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from raj_release import i18n
from raj_release.domain.enums import MilestoneKind
from raj_release.domain.milestones import TIMELINE_KINDS
from raj_release.errors import RajError
from raj_release.services.history import person_history
from raj_release.services.notes import add_note, notes_of
from raj_release.services.persons import show_plan
from raj_release.web import charts
from raj_release.web.pages import back_to_plan, ctx_of, lang_of, leaves, refused, render, signed_in, today_of

router = APIRouter()


@router.get("/persons/{ref}")
def plan_page(request: Request, ref: str) -> Response:
    v, data = signed_in(request)
    ctx = ctx_of(request)
    try:
        today = today_of(request)
        view = show_plan(ctx, ref, today=today, viewer=v)
        history = person_history(ctx, v, ref)
        notes = notes_of(ctx, v, ref)
        extras = leaves.plan_extras(ctx, v, ref, today, view)
    except RajError as e:
        return refused(request, e)
    lang = lang_of(v)
    by_pillar: dict[str, list] = {}
    for d in view.demarches:
        by_pillar.setdefault(d.pillar, []).append(d)
    marks = [(i18n.label(ms.kind, lang), ms.date) for ms in view.milestones if ms.kind in TIMELINE_KINDS]
    picture = charts.timeline([charts.Bar(d.label, d.pillar, d.start, d.due, d.status, d.overdue)
                               for d in view.demarches], marks, today, bands=leaves.leave_bands(extras, lang))
    events_of: dict[str, list] = {}
    for e in history:
        if e.action.startswith("demarche."):
            events_of.setdefault(e.key, []).append(e)
    return render(request, "plan.html", me=v, csrf=data["c"], title=ref, plan=view, by_pillar=list(by_pillar.items()),
                  timeline=picture, history=history, notes=notes, events_of=events_of, kinds=list(MilestoneKind),
                  moved=request.query_params.get("moved"), error=request.query_params.get("error"), **extras)


@router.post("/persons/{ref}/notes")
def add_note_form(request: Request, ref: str, text: str = Form(""), csrf: str = Form("")) -> Response:
    v, _session = signed_in(request, csrf)
    try:
        add_note(ctx_of(request), v, ref, text)
    except RajError as e:
        return refused(request, e, back=lambda error: back_to_plan(request, ref, error=error))
    return back_to_plan(request, ref)
