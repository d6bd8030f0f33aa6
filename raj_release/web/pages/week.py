"""A worker's week (the workspace's home page): what is overdue, due today, due this week, on hold, the
meetings and the dates to come; and the form its démarche rows share.

The rows are one form for the page (one CSRF token instead of one per row, and one partner list per partner
type instead of a <select> per row: a caseload's week stays small). A row's « Fait » button sends
`done=REF KEY VERSION`; its « Enregistrer » sends `other=N REF KEY VERSION`, and that row's fields are
`status-N`, `partner-N`, `reason-N`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from raj_release import i18n
from raj_release.domain.enums import NotHeldReason
from raj_release.domain.models import KEY_PATTERN, REF_PATTERN
from raj_release.errors import RajError
from raj_release.services.context import Context
from raj_release.services.demarches import set_status
from raj_release.services.partners import partners_for
from raj_release.services.week import Week, my_week
from raj_release.web.pages import back_to_week, ctx_of, error_page, lang_of, refused, render, signed_in, today_of
from raj_release.web.pages.accounts import landing

router = APIRouter()

_REF, _KEY = REF_PATTERN.strip("^$"), KEY_PATTERN.strip("^$")
_DONE = re.compile(rf"({_REF}) ({_KEY}) ([0-9]{{1,9}})")
_OTHER = re.compile(rf"([0-9]{{1,4}}[a-z]) ({_REF}) ({_KEY}) ([0-9]{{1,9}})")


class WeekFormError(RajError):
    """A week's form the page did not send as it is (its message is an English msgid of the web catalog)."""


@dataclass(frozen=True)
class Change:
    """What one of the week's buttons asks: a démarche of a person (at the version the page showed) to a status."""

    ref: str
    key: str
    version: int
    status: str
    partner: str | None = None
    reason: str | None = None


def parse_change(form: dict[str, str]) -> Change:
    """The change the week's form asks for (pure; WeekFormError for anything else than what the page sends)."""
    done, other = form.get("done"), form.get("other")
    if done is not None and other is None:
        m = _DONE.fullmatch(done)
        if m is None:
            raise WeekFormError("This button names no démarche of the week.")
        return Change(m[1], m[2], int(m[3]), "completed")
    if other is not None and done is None:
        m = _OTHER.fullmatch(other)
        if m is None:
            raise WeekFormError("This button names no démarche of the week.")
        n = m[1]
        status = (form.get(f"status-{n}") or "").strip()
        if not status:
            raise WeekFormError("Choose the démarche's new status.", field="status")
        return Change(m[2], m[3], int(m[4]), status, (form.get(f"partner-{n}") or "").strip() or None,
                      (form.get(f"reason-{n}") or "").strip() or None)
    raise WeekFormError("Press the button of one démarche of the week.")


def partner_id(ctx: Context, key: str, typed: str | None) -> str | None:
    """The partner chosen in a row's field: the directory's id, or a partner's name as the list shows it."""
    if not typed or typed in ctx.config.partners:
        return typed
    by_name = {p.name.casefold(): p.id for p in partners_for(ctx, key)}
    return by_name.get(typed.casefold(), typed)


def partner_lists(ctx: Context, w: Week) -> tuple[dict[str, str], list[tuple[str, list]]]:
    """For the page: each démarche key's list id (those that can wait on a partner), and each list once,
    one per partner type (or set of types) of the démarches on the page."""
    templates = ctx.config.templates.by_key
    of_key, lists = {}, {}
    for key in sorted({i.key for i in (*w.overdue, *w.due_today, *w.this_week, *w.on_hold)}):
        t = templates.get(key)
        if t is None or not t.partner_types:
            continue
        list_id = "partners-" + "-".join(t.partner_types)
        if list_id not in lists:
            lists[list_id] = partners_for(ctx, key)
        if lists[list_id]:  # no partner of its types in the directory: nothing to choose
            of_key[key] = list_id
    lists = {k: fits for k, fits in lists.items() if fits}
    return of_key, sorted(lists.items())


@router.get("/")
def home(request: Request) -> RedirectResponse:
    """One's landing page: the accounts for an administrator, my week for everyone else (else the login)."""
    v, _session = signed_in(request)
    return RedirectResponse(landing(v), status_code=303)


@router.get("/week")
def week(request: Request) -> Response:
    v, data = signed_in(request)
    ctx = ctx_of(request)
    try:
        today = today_of(request)
    except RajError as e:
        return error_page(request, v, data, 422, e)
    w = my_week(ctx, v, today)
    of_key, lists = partner_lists(ctx, w)
    partners = ctx.config.partners
    return render(request, "week.html", me=v, csrf=data["c"], title=i18n.tr(lang_of(v), "My week"),
                  week=w, partner_list=of_key.get, partner_lists=lists,
                  partner_name=lambda pid: partners[pid].name if pid in partners else pid,
                  not_held=list(NotHeldReason), as_of=request.query_params.get("as_of"),
                  error=request.query_params.get("error"))


@router.post("/week/demarches")
async def change_from_week(request: Request) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    v, _session = signed_in(request, form.get("csrf", ""))
    ctx = ctx_of(request)
    try:
        c = parse_change(form)
        set_status(ctx, c.ref, c.key, c.status, today=today_of(request), reason=c.reason,
                   partner=partner_id(ctx, c.key, c.partner) if c.status == "on-hold" else None, actor=v.id,
                   viewer=v, expected_version=c.version)
    except WeekFormError as e:
        return back_to_week(request, error=i18n.tr(lang_of(v), e.message))
    except RajError as e:
        return refused(request, e, back=lambda error: back_to_week(request, error=error))
    return back_to_week(request)
