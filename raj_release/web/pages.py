"""The HTML workspace (server-rendered Jinja2 pages). Thin: each route reads the session, calls one
service, renders a template. Every form carries the session's CSRF token; a POST without it is refused."""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from raj_release.domain.enums import MilestoneKind
from raj_release.domain.milestones import TIMELINE_KINDS
from raj_release.domain.models import parse_date
from raj_release import i18n
from raj_release.errors import Conflict, Forbidden, NotFound, RajError
from raj_release.services.access import Viewer, viewer_of
from raj_release.web import charts
from raj_release.web import i18n as web_i18n
from raj_release.web import session as sess

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(env=web_i18n.env)


def _ctx(request: Request):
    return request.app.state.ctx


def _secret(request: Request) -> bytes:
    return request.app.state.secret


def _session(request: Request) -> dict | None:
    return sess.unsign(_secret(request), request.cookies.get(sess.SESSION_COOKIE))


def _viewer(request: Request) -> tuple[Viewer, dict] | None:
    data = _session(request)
    if data is None:
        return None
    v = viewer_of(_ctx(request), data["w"])
    return None if v is None else (v, data)


def _render(request: Request, name: str, status: int = 200, me: Viewer | None = None, csrf: str = "",
            **context) -> HTMLResponse:
    lang = _lang(me)
    return templates.TemplateResponse(request, name, {"lang": lang, "me": me, "csrf": csrf,
                                                      **context}, status_code=status)


def _to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


class NotSignedIn(Exception):
    """Raised by `_signed_in`; the application answers with `response` (web/app.py)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _signed_in(request: Request, csrf: str | None = None) -> tuple[Viewer, dict]:
    """The viewer and their session; for a form (`csrf` given), only with the session's CSRF token.
    Otherwise NotSignedIn, with the response to send: the login page, or 403 for a form without its token."""
    got = _viewer(request)
    if got is None:
        raise NotSignedIn(_to_login())
    if csrf is not None and not sess.csrf_ok(got[1].get("c"), csrf):
        raise NotSignedIn(Response("CSRF token missing or wrong", status_code=403))
    return got


def _lang(v: Viewer | None) -> str:
    return i18n.language(v.language if v is not None else None)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/week", status_code=303)


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    resp = _render(request, "login.html", title=i18n.tr("fr", "Sign-in"), csrf=token)
    resp.set_cookie(sess.LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="lax",
                    secure=request.app.state.secure_cookies)
    return resp


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form("")) -> Response:
    from raj_release.services.auth import TooManyAttempts, authenticate

    if not sess.csrf_ok(request.cookies.get(sess.LOGIN_CSRF_COOKIE), csrf):
        return _render(request, "login.html", 403, title=i18n.tr("fr", "Sign-in"), error=i18n.tr("fr", "Form expired or incomplete: reload the page."),
                       csrf=request.cookies.get(sess.LOGIN_CSRF_COOKIE, ""), username=username)
    try:
        v = authenticate(_ctx(request), username.strip(), password)
    except TooManyAttempts as e:
        return _render(request, "login.html", 429, title=i18n.tr("fr", "Sign-in"), error=str(e), csrf=csrf,
                       username=username)
    if v is None:
        return _render(request, "login.html", 401, title=i18n.tr("fr", "Sign-in"), error=i18n.tr("fr", "Wrong username or password."),
                       csrf=csrf, username=username)
    resp = RedirectResponse("/week", status_code=303)
    resp.set_cookie(sess.SESSION_COOKIE, sess.sign(_secret(request), sess.new_session(v.id)), max_age=sess.MAX_AGE,
                    httponly=True, samesite="lax", secure=request.app.state.secure_cookies)
    resp.delete_cookie(sess.LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    data = _session(request)
    if data is None or not sess.csrf_ok(data.get("c"), csrf):
        return Response("CSRF token missing or wrong", status_code=403)
    resp = _to_login()
    resp.delete_cookie(sess.SESSION_COOKIE)
    return resp


def _today(request: Request) -> dt.date:
    raw = request.query_params.get("as_of")
    return parse_date(raw, "as_of") if raw else _ctx(request).local_today()


def _page(request: Request) -> int:
    raw = request.query_params.get("page")
    if raw is None:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise RajError(f"page: {raw!r} is not a page number (1, 2, ...)")
    return int(raw)


@router.get("/week")
def week(request: Request) -> Response:
    from raj_release.services.week import my_week

    v, data = _signed_in(request)
    ctx = _ctx(request)
    try:
        today = _today(request)
    except RajError as e:
        return _render(request, "base.html", 422, me=v, csrf=data["c"], title="", error=str(e))
    w = my_week(ctx, v, today)
    lang = _lang(v)
    return _render(request, "week.html", me=v, csrf=data["c"], title=i18n.tr(lang, "My week"), week=w,
                   partners=sorted(ctx.config.partners.values(), key=lambda p: p.name),
                   error=request.query_params.get("error"))


@router.post("/persons/{ref}/demarches/{key}/status")
def set_status_form(request: Request, ref: str, key: str, status: str = Form(...), version: int = Form(...),
                    reason: str = Form(""), partner: str = Form(""), csrf: str = Form("")) -> Response:
    from raj_release.services.demarches import set_status

    v, data = _signed_in(request, csrf)
    ctx = _ctx(request)
    back = "/week" + (f"?as_of={request.query_params['as_of']}" if "as_of" in request.query_params else "")
    try:
        set_status(ctx, ref, key, status, today=_today(request), reason=reason or None,
                   partner=(partner or None) if status == "on-hold" else None, actor=v.id, viewer=v,
                   expected_version=version)
    except NotFound as e:
        return HTMLResponse(str(e), status_code=404)
    except (Conflict, RajError) as e:
        sep = "&" if "?" in back else "?"
        return RedirectResponse(f"{back}{sep}error={quote(str(e))}", status_code=303)
    return RedirectResponse(back, status_code=303)


def _moved(view) -> str:
    """'key old → new, ...' of the démarches a change moved ('—' if none)."""
    return ", ".join(f"{c.key} {c.old_due or '—'} → {c.new_due}" for c in view.changes) or "—"


def _back_to_plan(request: Request, ref: str, moved: str | None = None, error: str | None = None) -> Response:
    params = []
    if "as_of" in request.query_params:
        params.append(f"as_of={request.query_params['as_of']}")
    if moved is not None:
        params.append(f"moved={quote(moved)}")
    if error:
        params.append(f"error={quote(error)}")
    return RedirectResponse(f"/persons/{quote(ref)}" + ("?" + "&".join(params) if params else ""), status_code=303)


@router.get("/persons/{ref}")
def plan_page(request: Request, ref: str) -> Response:
    from raj_release.services.history import person_history
    from raj_release.services.notes import notes_of
    from raj_release.services.persons import show_plan
    from raj_release.web.charts import Bar, timeline

    v, data = _signed_in(request)
    ctx = _ctx(request)
    try:
        today = _today(request)
        view = show_plan(ctx, ref, today=today, viewer=v)
        history = person_history(ctx, v, ref)
        notes = notes_of(ctx, v, ref)
    except NotFound as e:
        return HTMLResponse(str(e), status_code=404)
    except RajError as e:
        return HTMLResponse(str(e), status_code=422)
    lang = _lang(v)
    by_pillar: dict[str, list] = {}
    for d in view.demarches:
        by_pillar.setdefault(d.pillar, []).append(d)
    marks = [(i18n.label(ms.kind, lang), ms.date) for ms in view.milestones if ms.kind in TIMELINE_KINDS]
    picture = timeline([Bar(d.label, d.pillar, d.start, d.due, d.status, d.overdue) for d in view.demarches], marks, today)
    events_of: dict[str, list] = {}
    for e in history:
        if e.action.startswith("demarche."):
            events_of.setdefault(e.key, []).append(e)
    return _render(request, "plan.html", me=v, csrf=data["c"], title=ref, plan=view, by_pillar=list(by_pillar.items()),
                   timeline=picture, history=history, notes=notes, events_of=events_of,
                   kinds=list(MilestoneKind),
                   moved=request.query_params.get("moved"), error=request.query_params.get("error"))


@router.post("/persons/{ref}/milestones")
def set_milestone_form(request: Request, ref: str, kind: str = Form(...), date: str = Form(...),
                       version: int = Form(...), earliest: str = Form(""), latest: str = Form(""),
                       certainty: str = Form("confirmed"), reason: str = Form(""), csrf: str = Form("")) -> Response:
    from raj_release.services.milestones import set_milestone

    v, data = _signed_in(request, csrf)
    try:
        d = parse_date(date, "date")
        lo = parse_date(earliest, "earliest") if earliest else None
        hi = parse_date(latest, "latest") if latest else None
        view = set_milestone(_ctx(request), ref, kind, date=d, today=_today(request), earliest=lo, latest=hi, certainty=certainty, reason=reason or None,
                             actor=v.id, viewer=v, expected_version=version)
    except NotFound as e:
        return HTMLResponse(str(e), status_code=404)
    except RajError as e:
        return _back_to_plan(request, ref, error=str(e))
    return _back_to_plan(request, ref, moved=_moved(view))


@router.post("/persons/{ref}/demarches/{key}/pin")
def pin_form(request: Request, ref: str, key: str, date: str = Form(...), version: int = Form(...),
             reason: str = Form(""), csrf: str = Form("")) -> Response:
    from raj_release.services.demarches import pin_due

    v, data = _signed_in(request, csrf)
    try:
        view = pin_due(_ctx(request), ref, key, due=parse_date(date, "date"), today=_today(request), reason=reason or None,
                       actor=v.id, viewer=v, expected_version=version)
    except NotFound as e:
        return HTMLResponse(str(e), status_code=404)
    except RajError as e:
        return _back_to_plan(request, ref, error=str(e))
    return _back_to_plan(request, ref, moved=_moved(view))


@router.get("/dashboard")
def dashboard_page(request: Request) -> Response:
    from raj_release.services.dashboard import FILTERS, dashboard

    v, data = _signed_in(request)
    lang = _lang(v)
    ctx = _ctx(request)
    filters = {k: request.query_params[k] for k in FILTERS if request.query_params.get(k)}
    try:
        dash = dashboard(ctx, v, today=_today(request), filters=filters, page=_page(request))
    except Forbidden:
        return _render(request, "base.html", 403, me=v, csrf=data["c"], title="", error=i18n.tr(lang, "For coordinators only."))
    except RajError as e:
        return _render(request, "base.html", 422, me=v, csrf=data["c"], title="", error=str(e))
    as_of = request.query_params.get("as_of")

    def link(name: str, value: str | int) -> str:
        """This view with one more filter (back to the first page), or another page of it."""
        q = {**filters, name: value, **({"as_of": as_of} if as_of else {})}
        return "/dashboard?" + "&".join(f"{k}={quote(str(val))}" for k, val in q.items())

    templates_ = ctx.config.templates.by_key
    partners = ctx.config.partners
    return _render(request, "dashboard.html", me=v, csrf=data["c"], title=i18n.tr(lang, "Dashboard"), dash=dash,
                   as_of=as_of, link=link, ident=lambda x: x,
                   demarche_label=lambda k: templates_[k].label_in(lang) if k in templates_ else k,
                   partner_label=lambda k: partners[k].name if k in partners else k,
                   weekly=charts.weekly_bars(dash.weekly))


@router.get("/partners")
def partners_page(request: Request) -> Response:
    v, data = _signed_in(request)
    lang = _lang(v)
    partners = sorted(_ctx(request).config.partners.values(), key=lambda p: (p.type, p.name))
    return _render(request, "partners.html", me=v, csrf=data["c"], title=i18n.tr(lang, "Partner directory"),
                   partners=partners)


@router.post("/persons/{ref}/notes")
def add_note_form(request: Request, ref: str, text: str = Form(""), csrf: str = Form("")) -> Response:
    from raj_release.services.notes import add_note

    v, data = _signed_in(request, csrf)
    try:
        add_note(_ctx(request), v, ref, text)
    except NotFound as e:
        return HTMLResponse(str(e), status_code=404)
    except RajError as e:
        return _back_to_plan(request, ref, error=str(e))
    return _back_to_plan(request, ref)
