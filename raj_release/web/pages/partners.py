"""The partner directory, read only (it is edited in config/partners.yaml); channel URLs are never shown.
Each entry shows its capacity and when it was last verified and by whom; entries not verified for more than 12
months are flagged « À vérifier » and counted at the top (`?as_of=` looks at the directory from another day)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from raj_release import i18n
from raj_release.domain.partners import STALE_AFTER_MONTHS, Partner, is_stale, verification_age
from raj_release.errors import RajError
from raj_release.services.partners import directory
from raj_release.web.pages import ctx_of, error_page, lang_of, render, signed_in, today_of

router = APIRouter()


@dataclass(frozen=True)
class Entry:
    """A directory entry as the page shows it on `today`."""

    partner: Partner
    unit: str | None  # what its capacity counts, in the reader's language
    age: tuple[str, int] | None  # ("days" | "months" | "years", n) since its last verification
    stale: bool


@router.get("/partners")
def partners_page(request: Request) -> Response:
    v, data = signed_in(request)
    lang = lang_of(v)
    try:
        today: dt.date = today_of(request)
    except RajError as e:
        return error_page(request, v, data, 422, e)
    entries = [Entry(p, getattr(p.capacity.unit, lang) if p.capacity and p.capacity.unit else None,
                     verification_age(p, today), is_stale(p, today))
               for p in directory(ctx_of(request))]
    return render(request, "partners.html", me=v, csrf=data["c"], title=i18n.tr(lang, "Partner directory"),
                  entries=entries, stale=sum(e.stale for e in entries), months=STALE_AFTER_MONTHS, today=today)
