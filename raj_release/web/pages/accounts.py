"""Signing in and out; the accounts page of administrators (create, deactivate, reactivate, reset a password,
end sessions) and coordinators (read only); the one-time link with which an account chooses its password.

The login form and the link's form carry their own CSRF token (a cookie), there being no session yet. A
link's secret is shown once, on the page that answers its creation, and is never written anywhere else.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import zoneinfo
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from raj_release import i18n
from raj_release.domain.enums import Language, Role
from raj_release.errors import Conflict, Forbidden, NotFound, RajError
from raj_release.services import accounts as acc
from raj_release.services.access import Viewer
from raj_release.services.auth import TooManyAttempts, authenticate, link_holder, set_password_by_link
from raj_release.services.sessions import end_session, open_session
from raj_release.web import session as sess
from raj_release.web.pages import client_of, ctx_of, error_page, lang_of, render, session_token, signed_in, to_login

router = APIRouter()


def landing(v: Viewer) -> str:
    """Where an account lands after signing in: an administrator has no week, but the accounts."""
    return "/accounts" if v.role is Role.ADMIN else "/week"


def _login_page(request: Request, status: int = 200, **context) -> HTMLResponse:
    # nobody is signed in yet: the login page is French, the pages' default
    return render(request, "login.html", status, title=i18n.tr(i18n.DEFAULT, "Sign-in"), **context)


def _with_login_csrf(request: Request, resp: HTMLResponse, token: str) -> HTMLResponse:
    resp.set_cookie(sess.LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="lax",
                    secure=request.app.state.secure_cookies)
    return resp


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    welcome = request.query_params.get("welcome") == "1"  # back from choosing one's password
    return _with_login_csrf(request, _login_page(request, csrf=token, welcome=welcome), token)


# A try refused for its wait is answered after this pause (the event loop waits, no thread does): a client
# flooding the login form gets about one answer a second per connection, and the others keep the server.
TARPIT_SECONDS = 1.0


@router.post("/login")
async def login(request: Request, username: str = Form(""), password: str = Form(""),
                csrf: str = Form("")) -> Response:
    if not sess.csrf_ok(request.cookies.get(sess.LOGIN_CSRF_COOKIE), csrf):
        return _login_page(request, 403, error=i18n.tr(i18n.DEFAULT, "Form expired or incomplete: reload the page."),
                           csrf=request.cookies.get(sess.LOGIN_CSRF_COOKIE, ""), username=username)
    try:
        v = await run_in_threadpool(authenticate, ctx_of(request), username.strip(), password,
                                    client=client_of(request))
    except TooManyAttempts as e:
        await asyncio.sleep(min(TARPIT_SECONDS, e.retry_after))
        return _login_page(request, 429, error=e.text(i18n.DEFAULT), csrf=csrf, username=username)
    return await run_in_threadpool(_answer, request, v, csrf, username)


def _answer(request: Request, v: Viewer | None, csrf: str, username: str) -> Response:
    """The answer to a try that was not slowed down: the session, or "wrong" (run in the thread pool)."""
    if v is None:
        return _login_page(request, 401, error=i18n.tr(i18n.DEFAULT, "Wrong username or password."), csrf=csrf,
                           username=username)
    resp = RedirectResponse(landing(v), status_code=303)
    token, _csrf = open_session(ctx_of(request), v.id)
    resp.set_cookie(sess.SESSION_COOKIE, sess.sign(request.app.state.secret, {"s": token}),
                    httponly=True, samesite="lax", secure=request.app.state.secure_cookies)
    resp.delete_cookie(sess.LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    v, session = signed_in(request, csrf)
    end_session(ctx_of(request), session_token(request))  # a replayed cookie is refused from now on
    resp = to_login()
    resp.delete_cookie(sess.SESSION_COOKIE)
    return resp


# ---------------------------------------------------------------------------------------------------------
# the accounts page

# the reader's words for what the services refuse: the field's name, and what it must be when the
# service's own sentence (English, with the value in it) has no translation
LABELS = {"worker": "Username", "name": "Full name", "role": "Role", "language": "Language",
          "organisation": "Organisation", "notify": "Channels", "contact": "Contact", "password": "Password"}
HINTS = {"worker": "1 to 40 letters, digits, dots, dashes or underscores, starting with a letter or a digit",
         "name": "1 to 200 characters", "role": "choose one in the list", "language": "French or Dutch",
         "organisation": "choose one in the list",
         "notify": "one notification address per line (such as mailto://…?to=…), at most 5",
         "contact": "at most 200 characters"}
DONE = {"deactivated": "Account {id} deactivated: its sessions are ended.",
        "activated": "Account {id} is active again.",
        "sessions": "The sessions of {id} are ended.",
        "unchanged": "Nothing to change for {id}."}


def said(lang: str, e: RajError) -> str:
    """A service's refusal as one line in the reader's language, led by the field it is about."""
    text = e.text(lang)
    if isinstance(e, Conflict) and e.template == "worker '{worker}' already exists":
        text = i18n.tr(lang, "already taken by another account")
    elif type(e) in (RajError, NotFound) and e.field in HINTS:  # bad input: the form's own words for what the field must be (the services' name CLI steps)
        text = i18n.tr(lang, HINTS[e.field or ""])
    if e.field not in LABELS:
        return text
    return i18n.tr(lang, "{field}: {text}").format(field=i18n.tr(lang, LABELS[e.field]), text=text)


def _local(ctx, t: dt.datetime | None) -> str:
    if t is None:
        return "—"
    return t.astimezone(zoneinfo.ZoneInfo(ctx.settings.timezone)).strftime("%d/%m/%Y %H:%M")


def _list_page(request: Request, v: Viewer, csrf: str, status: int = 200, error: str | None = None) -> Response:
    ctx, lang = ctx_of(request), lang_of(v)
    org = request.query_params.get("organisation", "").strip() or None
    role = request.query_params.get("role", "").strip() or None
    try:
        orgs = acc.organisations(ctx, v)
        rows = acc.list_accounts(ctx, v, organisation=org, role=role if role in {r.value for r in Role} else None)
    except Forbidden:
        return error_page(request, v, {"c": csrf}, 403, i18n.tr(lang, "For administrators and coordinators only."))
    done, who = request.query_params.get("done"), request.query_params.get("who")
    notice = (i18n.tr(lang, DONE[done]).format(id=who)
              if done in DONE and who in {a.id for a in rows} else None)  # nothing of the URL is said otherwise
    return render(request, "accounts.html", status, me=v, csrf=csrf, title=i18n.tr(lang, "Accounts"),
                  accounts=rows, organisations=orgs, roles=list(Role), org=org, role=role, error=error,
                  notice=notice, manage=v.role is Role.ADMIN, when=lambda t: _local(ctx, t))


@router.get("/accounts")
def accounts_page(request: Request) -> Response:
    v, data = signed_in(request)
    return _list_page(request, v, data["c"])


def _only_admins(request: Request, v: Viewer, data: dict) -> Response | None:
    if v.role is not Role.ADMIN:
        return error_page(request, v, data, 403, i18n.tr(lang_of(v), "For administrators only."))
    return None


NEW_FIELDS = ("worker", "name", "role", "language", "organisation", "notify", "contact")


def _new_page(request: Request, v: Viewer, csrf: str, values: dict, status: int = 200,
              error: str | None = None) -> Response:
    lang = lang_of(v)
    return render(request, "accounts_new.html", status, me=v, csrf=csrf, title=i18n.tr(lang, "New account"),
                  values=values, roles=list(Role), languages=list(Language),
                  organisations=acc.organisations(ctx_of(request), v), error=error)


@router.get("/accounts/new")
def new_account_page(request: Request) -> Response:
    v, data = signed_in(request)
    if (refusal := _only_admins(request, v, data)) is not None:
        return refusal
    return _new_page(request, v, data["c"], {"role": "as", "language": v.language, "organisation": v.organisation})


def _link_page(request: Request, v: Viewer, csrf: str, link: acc.Link, created: bool) -> Response:
    ctx, lang = ctx_of(request), lang_of(v)
    url = f"{str(request.base_url).rstrip('/')}/welcome/{link.secret}"
    return render(request, "accounts_link.html", me=v, csrf=csrf, title=i18n.tr(lang, "One-time link"), link=link,
                  url=url, created=created, until=_local(ctx, link.expires_at))


@router.post("/accounts/new")
async def new_account_form(request: Request) -> Response:
    form = await request.form()
    v, data = signed_in(request, str(form.get("csrf", "")))
    if (refusal := _only_admins(request, v, data)) is not None:
        return refusal
    values = {k: str(form.get(k, "")) for k in NEW_FIELDS}
    try:
        link = await run_in_threadpool(
            acc.create_account, ctx_of(request), v, values["worker"], values["name"], values["role"],
            values["language"], values["organisation"], values["notify"].splitlines(), values["contact"])
    except RajError as e:
        lead = i18n.tr(lang_of(v), "The account was not created:")
        return _new_page(request, v, data["c"], values, 422, f"{lead} {said(lang_of(v), e)}")
    return _link_page(request, v, data["c"], link, created=True)


def _act(request: Request, csrf: str, action) -> Response:
    """One of the list's buttons: the service's refusal on the list page (nothing changed), else `action`'s
    answer."""
    v, data = signed_in(request, csrf)
    if (refusal := _only_admins(request, v, data)) is not None:
        return refusal
    try:
        return action(v, data)
    except NotFound as e:
        return error_page(request, v, data, 404, said(lang_of(v), e))
    except RajError as e:
        return _list_page(request, v, data["c"], 422, said(lang_of(v), e))


def _done(what: str, worker_id: str) -> RedirectResponse:
    return RedirectResponse(f"/accounts?done={what}&who={quote(worker_id)}", status_code=303)


@router.post("/accounts/{worker_id}/active")
def active_form(request: Request, worker_id: str, active: str = Form(""), csrf: str = Form("")) -> Response:
    def run(v: Viewer, _data: dict) -> Response:
        if active not in ("0", "1"):
            raise RajError("choose activate or deactivate")
        changed = acc.set_account_active(ctx_of(request), v, worker_id, active == "1")
        return _done(("activated" if active == "1" else "deactivated") if changed else "unchanged", worker_id)
    return _act(request, csrf, run)


@router.post("/accounts/{worker_id}/reset")
def reset_form(request: Request, worker_id: str, csrf: str = Form("")) -> Response:
    def run(v: Viewer, data: dict) -> Response:
        return _link_page(request, v, data["c"], acc.reset_password(ctx_of(request), v, worker_id), created=False)
    return _act(request, csrf, run)


@router.post("/accounts/{worker_id}/sessions")
def sessions_form(request: Request, worker_id: str, csrf: str = Form("")) -> Response:
    def run(v: Viewer, _data: dict) -> Response:
        acc.end_account_sessions(ctx_of(request), v, worker_id)
        return _done("sessions", worker_id)
    return _act(request, csrf, run)


# ---------------------------------------------------------------------------------------------------------
# the one-time link: its owner chooses a password (nobody is signed in)

def _link_dead(request: Request) -> HTMLResponse:
    lang = i18n.DEFAULT
    return render(request, "base.html", 404, title=i18n.tr(lang, "Choose your password"),
                  error=i18n.tr(lang, "This link does not work (any more): ask an administrator for a new one."))


@router.get("/welcome/{secret}")
def welcome_page(request: Request, secret: str) -> HTMLResponse:
    holder = link_holder(ctx_of(request), secret)
    if holder is None:
        return _link_dead(request)
    token = secrets.token_urlsafe(24)
    lang = i18n.language(holder.language)
    resp = render(request, "accounts_welcome.html", title=i18n.tr(lang, "Choose your password"), holder=holder,
                  csrf=token, secret=secret, lang=lang)
    return _with_login_csrf(request, resp, token)


@router.post("/welcome/{secret}")
def welcome_form(request: Request, secret: str, password: str = Form(""), again: str = Form(""),
                 csrf: str = Form("")) -> Response:
    ctx = ctx_of(request)
    holder = link_holder(ctx, secret)
    if holder is None:
        return _link_dead(request)
    lang = i18n.language(holder.language)

    def again_page(status: int, error: str) -> HTMLResponse:
        return render(request, "accounts_welcome.html", status, title=i18n.tr(lang, "Choose your password"),
                      holder=holder, csrf=request.cookies.get(sess.LOGIN_CSRF_COOKIE, ""), secret=secret, lang=lang,
                      error=error)

    if not sess.csrf_ok(request.cookies.get(sess.LOGIN_CSRF_COOKIE), csrf):
        return again_page(403, i18n.tr(lang, "Form expired or incomplete: reload the page."))
    if password != again:
        return again_page(422, i18n.tr(lang, "Password: the two entries differ."))
    try:
        set_password_by_link(ctx, secret, password)
    except NotFound:
        return _link_dead(request)
    except RajError as e:
        return again_page(422, said(lang, e))
    resp = RedirectResponse("/login?welcome=1", status_code=303)
    resp.delete_cookie(sess.LOGIN_CSRF_COOKIE)
    return resp
