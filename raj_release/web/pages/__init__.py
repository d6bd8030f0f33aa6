"""The HTML workspace (server-rendered Jinja2 pages), one module per concept, named like the services they
call. Thin: each route reads the session, calls one service, renders a template. Every form carries the
session's CSRF token; a POST without it is refused.

This module holds what the concept modules share: the signed-in check, rendering, the query's `as_of` and
`page`, the redirects back to a form's page, and the answer to a service's refusal; and `router`, the
concept routers put together (web/app.py includes it and answers `NotSignedIn`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from raj_release import i18n
from raj_release.domain.models import parse_date
from raj_release.errors import NotFound, RajError
from raj_release.services.access import Viewer, viewer_of
from raj_release.services.context import Context
from raj_release.services.views import MoveView
from raj_release.web import session as sess
from raj_release.web.i18n import env

templates = Jinja2Templates(env=env)


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


def session_of(request: Request) -> dict | None:
    """The signed session cookie's content, if it is one of ours."""
    return sess.unsign(request.app.state.secret, request.cookies.get(sess.SESSION_COOKIE))


def lang_of(v: Viewer | None) -> str:
    return i18n.language(v.language if v is not None else None)


def render(request: Request, name: str, status: int = 200, me: Viewer | None = None, csrf: str = "",
           **context) -> HTMLResponse:
    """Template `name` in the language of `me` (French for nobody: the login page)."""
    return templates.TemplateResponse(request, name, {"lang": lang_of(me), "me": me, "csrf": csrf, **context},
                                      status_code=status)


def error_page(request: Request, v: Viewer, session: dict, status: int, message: str) -> HTMLResponse:
    """The bare layout with `message`, for a page that cannot be shown at all."""
    return render(request, "base.html", status, me=v, csrf=session["c"], title="", error=message)


def to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


class NotSignedIn(Exception):
    """Raised by `signed_in`; the application answers with `response` (web/app.py)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def signed_in(request: Request, csrf: str | None = None) -> tuple[Viewer, dict]:
    """The viewer and their session; for a form (`csrf` given), only with the session's CSRF token.
    Otherwise NotSignedIn, with the response to send: the login page, or 403 for a form without its token."""
    data = session_of(request)
    v = viewer_of(ctx_of(request), data["w"]) if data is not None else None
    if v is None:
        raise NotSignedIn(to_login())
    if csrf is not None and not sess.csrf_ok(data.get("c"), csrf):
        raise NotSignedIn(Response("CSRF token missing or wrong", status_code=403))
    return v, data


def today_of(request: Request) -> dt.date:
    """The query's `as_of` (a day to look at the plans from), or today in Brussels."""
    raw = request.query_params.get("as_of")
    return parse_date(raw, "as_of") if raw else ctx_of(request).local_today()


def page_of(request: Request) -> int:
    raw = request.query_params.get("page")
    if raw is None:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise RajError(f"page: {raw!r} is not a page number (1, 2, ...)")
    return int(raw)


def back_to_week(request: Request, error: str | None = None) -> RedirectResponse:
    """My week again, on the same `as_of`, with the error if any."""
    params = [f"as_of={request.query_params['as_of']}"] if "as_of" in request.query_params else []
    if error is not None:
        params.append(f"error={quote(error)}")
    return RedirectResponse("/week" + ("?" + "&".join(params) if params else ""), status_code=303)


def back_to_plan(request: Request, ref: str, moved: Sequence[MoveView] | None = None,
                 error: str | None = None) -> RedirectResponse:
    """The person's plan again, on the same `as_of`, with what a change moved ('—' for nothing) or the error."""
    params = []
    if "as_of" in request.query_params:
        params.append(f"as_of={request.query_params['as_of']}")
    if moved is not None:
        listed = ", ".join(f"{c.key} {c.old_due or '—'} → {c.new_due}" for c in moved) or "—"
        params.append(f"moved={quote(listed)}")
    if error:
        params.append(f"error={quote(error)}")
    return RedirectResponse(f"/persons/{quote(ref)}" + ("?" + "&".join(params) if params else ""), status_code=303)


def refused(request: Request, e: RajError, back: Callable[[str], Response] | None = None) -> Response:
    """The answer when a service refuses: 404 for what is not found (or out of the viewer's scope: the same
    thing, so that nothing can be probed); otherwise `back` to the form's page saying why, or 422 for a page.
    The one place that words a refusal: `request` is here so that it can be rendered in the layout."""
    if isinstance(e, NotFound):
        return HTMLResponse(str(e), status_code=404)
    if back is not None:
        return back(str(e))
    return HTMLResponse(str(e), status_code=422)


# The concept modules import the helpers above from this package, so they are imported once those exist:
# a cycle at import time only (pages -> pages.week -> pages), and this is its one place.
from raj_release.web.pages import accounts, dashboard, demarches, milestones, partners, persons, week  # noqa: E402

router = APIRouter()
for _concept in (accounts, week, persons, milestones, demarches, dashboard, partners):
    router.include_router(_concept.router, include_in_schema=False)
