"""The partner's reply page (issue 12 point 3): the personal link of a partner's message, /r/<secret>, opens a
small page in the PARTNER's language that shows only what the message showed (the organisation, the person's
reference or initials, the démarche, the date wished, the binôme's contact, where the application stands,
until when the link works) and takes the answer: accepted (with a date), waiting list, refused, documents
missing, or a short message. The services decide everything (services/replies.py); this page words it.

Nobody is signed in here: the secret in the URL is the credential, scoped to one application. The form
therefore carries no CSRF token. A CSRF token protects a session cookie's ambient authority from a form on
another site; this page has no cookie and no session, and a forged cross-site form would have to contain
the secret already, i.e. whoever wrote it can answer anyway (docs/decisions.md). The form's `action` is the
page's own URL, and the CSP's `form-action 'self'` keeps it there.

Answers: 200 for the page, 303 back to it after an answer (then « Merci, ... »), 422 for bad input (the page
again with the values kept and one line saying what is wrong; nothing changed), 404 for a link that does
not exist (forged, tampered), 410 for one that no longer works (expired, request closed, consent no longer
given), 429 with Retry-After for an address that failed too often. A refused link is worded in the partner's
language when the link is known (expired, closed, no longer shared), in French and Dutch both when it is not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import zoneinfo
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from raj_release import i18n
from raj_release.domain.enums import PartnerAnswer
from raj_release.errors import RajError
from raj_release.services import replies
from raj_release.services.auth import TooManyAttempts
from raj_release.web.pages import client_of, ctx_of, templates
from raj_release.web.pages.accounts import TARPIT_SECONDS

router = APIRouter()

# every answer of this page: kept by nobody, sent with no Referer (the URL is the secret), not indexed
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}

FIELDS = ("answer", "on", "position", "expected", "reason", "documents", "message")
# the form's label of each field the services may name in a refusal
LABELS = {"date": "Entry or appointment date", "on": "Entry or appointment date",
          "position": "Position on the waiting list", "expected": "Place expected on",
          "reason": "Reason for the refusal", "documents": "Which documents are missing",
          "message": "A short message"}
# why a link does not work: (status, sentence)
REFUSED = {"unknown": (404, "This link is not valid. Check that it was copied whole, or answer the team by "
                            "phone or e-mail."),
           "expired": (410, "This link has expired. Answer the team by phone or e-mail."),
           "closed": (410, "This request is closed: no answer is expected any more."),
           "consent": (410, "This request is no longer shared with you.")}


class BadInput(Exception):
    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field
        self.text = text


def _page(request: Request, status: int, lang: str, headers: dict | None = None, **context) -> HTMLResponse:
    resp = templates.TemplateResponse(request, "reply.html", {"lang": lang, "me": None, **context},
                                      status_code=status)
    for k, v in {**HEADERS, **(headers or {})}.items():
        resp.headers[k] = v
    return resp


def _refused(request: Request, why: str, language: str | None = None) -> HTMLResponse:
    """In the partner's language when the link is known (expired, closed, no longer shared); in French and
    Dutch both for a link that is nobody's."""
    status, text = REFUSED.get(why, REFUSED["unknown"])
    langs = (i18n.language(language),) if language else i18n.LANGUAGES
    return _page(request, status, langs[0], mode="refused",
                 notes=[(lang, i18n.tr(lang, "This link does not work"), i18n.tr(lang, text)) for lang in langs])


async def _too_many(request: Request, e: TooManyAttempts) -> HTMLResponse:
    # answered after a pause, like the login form: a flood of guesses gets about one answer a second per
    # connection (the event loop waits, no thread does)
    await asyncio.sleep(min(TARPIT_SECONDS, e.retry_after))
    notes = [(lang, i18n.tr(lang, "Too many tries"),
              i18n.tr(lang, "Too many links that do not work were tried from your address: try again in "
                            "%(n)s seconds.") % {"n": e.retry_after}) for lang in i18n.LANGUAGES]
    return _page(request, 429, i18n.DEFAULT, {"Retry-After": str(e.retry_after)}, mode="refused", notes=notes)


def _until(request: Request, t: dt.datetime) -> dt.date:
    return t.astimezone(zoneinfo.ZoneInfo(ctx_of(request).settings.timezone)).date()


def _form_page(request: Request, token: str, view: replies.ReplyView, status: int = 200, values: dict | None = None,
               error: str | None = None, answered: bool = False) -> HTMLResponse:
    lang = i18n.language(view.language)
    names = ", ".join(c.name for c in view.contacts if c.name)
    to = f"{names} ({view.organisation})" if names and view.organisation else names or view.organisation
    return _page(request, status, lang, mode="form", view=view, action=f"/r/{quote(token, safe='')}",
                 values=values or {}, error=error, answered=answered, to=to,
                 until=_until(request, view.expires_at), answers=list(PartnerAnswer))


def _today(request: Request) -> dt.date:
    # Not `today_of`: a page open to anyone holding a link takes no `as_of` from its URL (it would move the
    # day its checks are made on); the service's day is RAJ_TODAY or today in Brussels.
    return ctx_of(request).local_today()


@router.get("/r/{token}")
async def reply_page(request: Request, token: str) -> Response:
    """The page; it changes nothing (a mail scanner that opens the link answers nothing)."""
    try:
        view = await run_in_threadpool(replies.open_link, ctx_of(request), token, today=_today(request),
                                       client=client_of(request))
    except TooManyAttempts as e:
        return await _too_many(request, e)
    except replies.LinkRefused as e:
        return _refused(request, e.why, e.language)
    return _form_page(request, token, view, answered=request.query_params.get("answered") == "1")


def _day(raw: str, field: str) -> dt.date | None:
    """A date as the form gives it (YYYY-MM-DD from a date picker) or as typed (DD/MM/YYYY)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        if m := re.fullmatch(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})", raw):
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    raise BadInput(field, "a date such as 12/03/2027")


def _parsed(values: dict) -> dict:
    """The service's arguments for the chosen answer (the other answers' fields are ignored), or BadInput."""
    kind = values["answer"]
    if kind not in {a.value for a in PartnerAnswer}:
        raise BadInput("answer", "Choose one of the answers.")
    out: dict = {"message": values["message"] or None}
    if kind == PartnerAnswer.ACCEPTED.value:
        out["on"] = _day(values["on"], "on")
    elif kind == PartnerAnswer.WAITLIST.value:
        raw = values["position"].strip()
        if raw and not re.fullmatch(r"[0-9]{1,5}", raw):
            raise BadInput("position", "a whole number from 1")
        out["position"] = int(raw) if raw else None
        out["expected"] = _day(values["expected"], "expected")
    elif kind == PartnerAnswer.REFUSED.value:
        out["reason"] = values["reason"] or None
    elif kind == PartnerAnswer.DOCUMENTS.value:
        out["documents"] = values["documents"] or None
    return out


def _line(lang: str, field: str | None, text: str) -> str:
    if field not in LABELS:
        return text
    return i18n.tr(lang, "{field}: {text}").format(field=i18n.tr(lang, LABELS[field]), text=text)


@router.post("/r/{token}")
async def reply_form(request: Request, token: str) -> Response:
    ctx, client = ctx_of(request), client_of(request)
    today = _today(request)
    try:
        view = await run_in_threadpool(replies.open_link, ctx, token, today=today, client=client)
    except TooManyAttempts as e:
        return await _too_many(request, e)
    except replies.LinkRefused as e:
        return _refused(request, e.why, e.language)
    lang = i18n.language(view.language)
    form = await request.form()
    # only this page's own fields are read: anything else a form names (another application, a person) is ignored
    values = {k: str(form.get(k, ""))[:2000] for k in FIELDS}
    try:
        args = _parsed(values)
        await run_in_threadpool(replies.answer, ctx, token, values["answer"], today=today, client=client, **args)
    except BadInput as e:
        return _form_page(request, token, view, 422, values, _line(lang, e.field, i18n.tr(lang, e.text)))
    except TooManyAttempts as e:
        return await _too_many(request, e)
    except replies.LinkRefused as e:
        return _refused(request, e.why, e.language)
    except RajError as e:
        return _form_page(request, token, view, 422, values, _line(lang, e.field, e.text(lang)))
    resp = RedirectResponse(f"/r/{quote(token, safe='')}?answered=1", status_code=303)
    for k, v in HEADERS.items():
        resp.headers[k] = v
    return resp
