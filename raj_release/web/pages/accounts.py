"""Signing in and out. The login form carries its own CSRF token (a cookie), there being no session yet."""

from __future__ import annotations

import asyncio
import secrets

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from raj_release import i18n
from raj_release.services.access import Viewer
from raj_release.services.auth import TooManyAttempts, authenticate
from raj_release.services.sessions import end_session, open_session
from raj_release.web import session as sess
from raj_release.web.pages import client_of, ctx_of, render, session_token, signed_in, to_login

router = APIRouter()


def _login_page(request: Request, status: int = 200, **context) -> HTMLResponse:
    # nobody is signed in yet: the login page is French, the pages' default
    return render(request, "login.html", status, title=i18n.tr(i18n.DEFAULT, "Sign-in"), **context)


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    resp = _login_page(request, csrf=token)
    resp.set_cookie(sess.LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="lax",
                    secure=request.app.state.secure_cookies)
    return resp


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
        return _login_page(request, 429, error=str(e), csrf=csrf, username=username)
    return await run_in_threadpool(_answer, request, v, csrf, username)


def _answer(request: Request, v: Viewer | None, csrf: str, username: str) -> Response:
    """The answer to a try that was not slowed down: the session, or "wrong" (run in the thread pool)."""
    if v is None:
        return _login_page(request, 401, error=i18n.tr(i18n.DEFAULT, "Wrong username or password."), csrf=csrf,
                           username=username)
    resp = RedirectResponse("/week", status_code=303)
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
