"""The HTML workspace (server-rendered Jinja2 pages), one module per concept, named like the services they
call. Thin: each route reads the session, calls one service, renders a template. Every form carries the
session's CSRF token; a POST without it is refused.

This module holds what the concept modules share: the signed-in check, rendering, the query's `as_of` and
`page`, the redirects back to a form's page, and the answer to a service's refusal; and `router`, the
concept routers put together (web/app.py includes it and answers `NotSignedIn`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from raj_release import i18n
from raj_release.domain.models import parse_date
from raj_release.errors import NotFound, RajError
from raj_release.services.access import Viewer
from raj_release.services.context import Context
from raj_release.services.sessions import session_viewer
from raj_release.services.views import MoveView
from raj_release.web import session as sess
from raj_release.web.i18n import env

templates = Jinja2Templates(env=env)


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


def session_token(request: Request) -> str | None:
    """The session's token from the signed cookie, if the cookie is one of ours."""
    data = sess.unsign(request.app.state.secret, request.cookies.get(sess.SESSION_COOKIE))
    token = data.get("s") if data is not None else None
    return token if isinstance(token, str) else None


def client_of(request: Request) -> str | None:
    """The address the request came from (a trusted reverse proxy's X-Forwarded-For already applied)."""
    return request.client.host if request.client is not None else None


def lang_of(v: Viewer | None) -> str:
    return i18n.language(v.language if v is not None else None)


def render(request: Request, name: str, status: int = 200, me: Viewer | None = None, csrf: str = "",
           **context) -> HTMLResponse:
    """Template `name` in the language of `me` (French for nobody: the login page)."""
    return templates.TemplateResponse(request, name, {"lang": lang_of(me), "me": me, "csrf": csrf, **context},
                                      status_code=status)


def error_page(request: Request, v: Viewer, session: dict, status: int, message: str | RajError) -> HTMLResponse:
    """The bare layout with `message` (a refusal worded in the viewer's language), for a page that cannot be
    shown at all."""
    error = message.worded(lang_of(v)) if isinstance(message, RajError) else message
    return render(request, "base.html", status, me=v, csrf=session["c"], title="", error=error)


def to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


class NotSignedIn(Exception):
    """Raised by `signed_in`; the application answers with `response` (web/app.py)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def signed_in(request: Request, csrf: str | None = None) -> tuple[Viewer, dict]:
    """The viewer and their session; for a form (`csrf` given), only with the session's CSRF token.
    Otherwise NotSignedIn, with the response to send: the login page, or 403 for a form without its token."""
    live = session_viewer(ctx_of(request), session_token(request))
    if live is None:  # no cookie, a forged one, or a session that ended or expired
        raise NotSignedIn(to_login())
    v, session_csrf = live
    if csrf is not None and not sess.csrf_ok(session_csrf, csrf):
        raise NotSignedIn(Response("CSRF token missing or wrong", status_code=403))
    request.state.viewer = v  # a refusal is worded in the viewer's language (`refused`)
    return v, {"c": session_csrf}


def today_of(request: Request) -> dt.date:
    """The query's `as_of` (a day to look at the plans from), or today in Brussels."""
    raw = request.query_params.get("as_of")
    return parse_date(raw, "as_of") if raw else ctx_of(request).local_today()


def page_of(request: Request) -> int:
    raw = request.query_params.get("page")
    if raw is None:
        return 1
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1:  # ASCII digits: str.isdigit() takes '²'
        raise RajError("'{page}' is not a page number (1, 2, ...)", field="page", page=raw)
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
        params.append(f"moved={quote(moved_param(moved))}")
    if error:
        params.append(f"error={quote(error)}")
    return RedirectResponse(f"/persons/{quote(ref)}" + ("?" + "&".join(params) if params else ""), status_code=303)


def moved_param(moved: Sequence[MoveView]) -> str:
    """What a change moved, for the plan's URL: `key:old:new` items (ISO dates, old empty when the démarche
    got its first date) joined by commas; démarche keys and dates only, nothing of the person."""
    return ",".join(f"{c.key}:{c.old_due.isoformat() if c.old_due else ''}:{c.new_due.isoformat() if c.new_due else ''}"
                    for c in moved)


MAX_MOVED = 200  # more than any plan has démarches


def moved_of(raw: str | None, label: Callable[[str], str | None]) -> list[tuple[str, dt.date | None, dt.date]] | None:
    """The `moved` of the plan's URL read back: (label, old, new) of each démarche, in its order. A forged
    item (a key `label` does not know, a date that is not one, a missing new date) is dropped, never an
    error; None when the URL has no `moved`."""
    if raw is None:
        return None
    out = []
    for item in raw.split(",")[:MAX_MOVED]:
        key, _, dates = item.partition(":")
        old, _, new = dates.partition(":")
        name = label(key)
        if not name or not new:
            continue
        try:
            before = dt.date.fromisoformat(old) if old else None
            after = dt.date.fromisoformat(new)
        except ValueError:
            continue
        out.append((name, before, after))
    return out


def error_response(request: Request, status: int, message: str | RajError) -> HTMLResponse:
    """An error as a page: the escaped layout, in the reader's language (the signed-in viewer's, else
    French), with the menu when someone is signed in. A refusal (`RajError`) is worded for the reader: its
    message translated, led by its field's label (« Motif : ... »). Nothing of the request is echoed unescaped."""
    live = session_viewer(ctx_of(request), session_token(request))
    v, csrf = live if live is not None else (None, "")
    lang = lang_of(v)
    lead = i18n.tr(lang, "Not found.") if status == 404 else i18n.tr(lang, "This could not be done.")
    detail = message.worded(lang) if isinstance(message, RajError) else message
    return render(request, "base.html", status, me=v, csrf=csrf, title=str(status), error=f"{lead} {detail}".strip())


def refused(request: Request, e: RajError, back: Callable[[str], Response] | None = None) -> Response:
    """The answer when a service refuses: 404 for what is not found (or out of the viewer's scope: the same
    thing, so that nothing can be probed); otherwise `back` to the form's page saying why in the viewer's
    words (`RajError.worded`), or 422 for a page."""
    if isinstance(e, NotFound):
        return error_response(request, 404, e)
    if back is not None:
        v = getattr(request.state, "viewer", None)
        if v is None:
            live = session_viewer(ctx_of(request), session_token(request))
            v = live[0] if live is not None else None
        return back(e.worded(lang_of(v)))
    return error_response(request, 422, e)


# The concept modules import the helpers above from this package, so they are imported once those exist:
# a cycle at import time only (pages -> pages.week -> pages), and this is its one place.
from raj_release.web.pages import (  # noqa: E402
    accounts,
    caseload,
    consents,
    dashboard,
    demarches,
    handout,
    leaves,
    lifecycle,
    milestones,
    partners,
    persons,
    replies,
    visits,
    week,
)

router = APIRouter()
for _concept in (accounts, week, caseload, handout, persons, lifecycle, milestones, demarches, leaves, visits,
                 dashboard, partners, replies, consents):
    router.include_router(_concept.router, include_in_schema=False)
