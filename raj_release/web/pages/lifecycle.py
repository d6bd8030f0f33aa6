"""The life of a file from the plan page: what is known of the person (edit, transfer, hand over), the
stage (first meetings, followed, the plan made now), closing (confirmed on a page listing the démarches it
cancels) and reopening, and the obsolete démarches closed or kept. After each change the plan page says
what was added, moved and no longer applies, with labels and DD/MM/YYYY dates."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from raj_release import i18n
from raj_release.domain.enums import CloseReason, NotMetReason
from raj_release.domain.models import parse_date
from raj_release.errors import RajError, StaleVersion
from raj_release.services.access import Viewer
from raj_release.services.lifecycle import (
    close_person,
    closing_preview,
    edit_person,
    reopen_person,
    set_stage,
    settle_obsolete,
    transfer_person,
)
from raj_release.services.persons import show_plan
from raj_release.services.views import PlanView
from raj_release.web.pages import back_to_plan, ctx_of, lang_of, refused, render, signed_in, today_of
from raj_release.web.pages.persons import plan_refused

router = APIRouter()


def outcome_text(view: PlanView, lang: str) -> str:
    """What the change did, in words: one line per list, « label (date) » items."""
    def item(c, moved: bool) -> str:
        if moved:
            return f"{c.label} {i18n.format_date(c.old_due, lang)} → {i18n.format_date(c.new_due, lang)}"
        return f"{c.label} ({i18n.format_date(c.new_due if c.new_due is not None else c.old_due, lang)})"
    lines = []
    for title, items, moved in (
            (i18n.tr(lang, "Added"), view.added, False),
            (i18n.tr(lang, "Moved"), [c for c in view.changes if c.old_due is not None], True),
            (i18n.tr(lang, "No longer applies"), view.no_longer_applies, False),
            (i18n.tr(lang, "Applies again"), view.applies_again, False),
            (i18n.tr(lang, "Closed with the file"), view.closed, False),
            (i18n.tr(lang, "Planned again"), view.reopened, False)):
        if items:
            lines.append(f"{title}: " + "; ".join(item(c, moved) for c in items))
    return "\n".join(lines) or i18n.tr(lang, "The plan did not change.")


def done(request: Request, ref: str, view: PlanView, v: Viewer) -> RedirectResponse:
    params = [f"as_of={request.query_params['as_of']}"] if "as_of" in request.query_params else []
    params.append(f"done={quote(outcome_text(view, lang_of(v)))}")
    return RedirectResponse(f"/persons/{quote(ref)}?" + "&".join(params), status_code=303)


def refusal(request: Request, ref: str, v: Viewer, e: RajError) -> Response:
    """A stale version is a 409 saying so in words; other refusals come back to the plan with their line."""
    lang = lang_of(v)
    if isinstance(e, StaleVersion):  # the fresh plan (409) saying who changed what meanwhile
        return plan_refused(request, ref, v, signed_in(request)[1], e)
    lead = i18n.tr(lang, "Not changed:")
    return refused(request, e, back=lambda error: back_to_plan(request, ref, error=f"{lead} {error}"))


@router.post("/persons/{ref}/edit")
def edit_form(request: Request, ref: str, version: int = Form(...), needs: list[str] = Form([]),
              situation: str = Form(""), modality: str = Form(""), procedure: str = Form(""),
              language: str = Form(""), interpreter: str = Form(""), reason: str = Form(""),
              csrf: str = Form("")) -> Response:
    v, _ = signed_in(request, csrf)
    try:
        view = edit_person(ctx_of(request), ref, today=today_of(request), needs=needs, situation=situation or None,
                           modality=modality, procedure=procedure, language=language or None,
                           interpreter=interpreter == "1", reason=reason or None, actor=v.id, viewer=v,
                           expected_version=version)
    except RajError as e:
        return refusal(request, ref, v, e)
    return done(request, ref, view, v)


@router.post("/persons/{ref}/transfer")
def transfer_form(request: Request, ref: str, version: int = Form(...), prison: str = Form(""),
                  date: str = Form(""), reason: str = Form(""), csrf: str = Form("")) -> Response:
    v, _ = signed_in(request, csrf)
    try:
        view = transfer_person(ctx_of(request), ref, prison=prison, date=parse_date(date, "date"),
                               today=today_of(request), reason=reason or None, actor=v.id, viewer=v,
                               expected_version=version)
    except RajError as e:
        return refusal(request, ref, v, e)
    return done(request, ref, view, v)


@router.post("/persons/{ref}/hand-over")
def hand_over_form(request: Request, ref: str, version: int = Form(...), as_id: str = Form(""),
                   psy_id: str = Form(""), reason: str = Form(""), csrf: str = Form("")) -> Response:
    v, _ = signed_in(request, csrf)
    try:
        view = edit_person(ctx_of(request), ref, today=today_of(request), as_id=as_id, psy_id=psy_id,
                           reason=reason, actor=v.id, viewer=v, expected_version=version)
    except RajError as e:
        return refusal(request, ref, v, e)
    return done(request, ref, view, v)


@router.post("/persons/{ref}/stage")
def stage_form(request: Request, ref: str, version: int = Form(...), stage: str = Form(...),
               date: str = Form(""), plan: str = Form(""), csrf: str = Form("")) -> Response:
    v, _ = signed_in(request, csrf)
    try:
        view = set_stage(ctx_of(request), ref, stage, today=today_of(request),
                         date=parse_date(date, "date") if date else None, plan_now=plan == "1", actor=v.id,
                         viewer=v, expected_version=version)
    except RajError as e:
        return refusal(request, ref, v, e)
    return done(request, ref, view, v)


@router.post("/persons/{ref}/demarches/{key}/obsolete")
def obsolete_form(request: Request, ref: str, key: str, version: int = Form(...), keep: str = Form("0"),
                  csrf: str = Form("")) -> Response:
    v, _ = signed_in(request, csrf)
    try:
        settle_obsolete(ctx_of(request), ref, key, keep=keep == "1", today=today_of(request), actor=v.id,
                        viewer=v, expected_version=version)
    except RajError as e:
        return refusal(request, ref, v, e)
    return back_to_plan(request, ref)


@router.get("/persons/{ref}/close")
def close_page(request: Request, ref: str) -> Response:
    v, data = signed_in(request)
    ctx = ctx_of(request)
    try:
        view = show_plan(ctx, ref, today=today_of(request), viewer=v)
        closing = closing_preview(ctx, ref, viewer=v)
    except RajError as e:
        return refused(request, e)
    return render(request, "person_close.html", me=v, csrf=data["c"], title=ref, person=view.person,
                  closing=closing, reasons=list(CloseReason), whys=list(NotMetReason),
                  error=request.query_params.get("error"))


@router.post("/persons/{ref}/close")
def close_form(request: Request, ref: str, version: int = Form(...), reason: str = Form(""),
               why: str = Form(""), to_service: str = Form(""), detail: str = Form(""), date: str = Form(""),
               csrf: str = Form("")) -> Response:
    v, _ = signed_in(request, csrf)
    try:
        view = close_person(ctx_of(request), ref, reason=reason, why=why or None, to_service=to_service or None,
                            detail=detail or None, date=parse_date(date, "date") if date else None,
                            today=today_of(request), actor=v.id, viewer=v, expected_version=version)
    except RajError as e:
        if isinstance(e, StaleVersion):
            return refusal(request, ref, v, e)
        lead = i18n.tr(lang_of(v), "Not changed:")
        return refused(request, e, back=lambda error: RedirectResponse(
            f"/persons/{quote(ref)}/close?error={quote(f'{lead} {error}')}", status_code=303))
    return done(request, ref, view, v)


@router.post("/persons/{ref}/reopen")
def reopen_form(request: Request, ref: str, version: int = Form(...), reason: str = Form(""),
                csrf: str = Form("")) -> Response:
    v, _ = signed_in(request, csrf)
    try:
        view = reopen_person(ctx_of(request), ref, reason=reason, today=today_of(request), actor=v.id, viewer=v,
                             expected_version=version)
    except RajError as e:
        return refusal(request, ref, v, e)
    return done(request, ref, view, v)
