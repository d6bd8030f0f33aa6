"""The file active (/persons): search, filters, sort and page in the URL (a GET form; every link keeps them),
counts by stage; each row links to the person's plan (/persons/{ref}, pages/persons.py)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from raj_release import i18n
from raj_release.domain.enums import Situation, Stage
from raj_release.errors import RajError
from raj_release.services.caseload import OUTSIDE, SORTS, binome_workers, list_persons
from raj_release.web.pages import ctx_of, error_page, lang_of, page_of, render, signed_in, today_of

router = APIRouter()

# the query's names, in the order links write them
PARAMS = ("search", "stage", "prison", "situation", "worker", "overdue", "hearing_within", "closed", "sort", "as_of")


def _days(raw: str | None) -> int | None:
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,5}", raw):  # ASCII digits only
        raise RajError("'{days}' is not a number of days (0, 1, 2, ...)", field="hearing_within", days=raw)
    return int(raw)


@router.get("/persons")
def persons_page(request: Request) -> Response:
    v, data = signed_in(request)
    lang = lang_of(v)
    ctx = ctx_of(request)
    q = {k: request.query_params[k].strip() for k in PARAMS if request.query_params.get(k, "").strip()}
    try:
        result = list_persons(
            ctx, today=today_of(request), viewer=v, search=q.get("search"), stage=q.get("stage"),
            prison=q.get("prison"), situation=q.get("situation"), worker=q.get("worker"),
            overdue=q.get("overdue") == "1", hearing_within=_days(q.get("hearing_within")),
            closed=q.get("closed") == "1", sort=q.get("sort") or SORTS[0], page=page_of(request))
        workers = binome_workers(ctx, v)
    except RajError as e:
        return error_page(request, v, data, 422, e)

    def link(**changes) -> str:
        """This view with some parameters changed (None drops one); back to the first page unless `page`."""
        params = {**q, **{k: val for k, val in changes.items() if k != "page"}}
        if changes.get("page", 1) != 1:
            params["page"] = changes["page"]
        return "/persons" + ("?" + urlencode({k: val for k, val in params.items() if val not in (None, "")})
                             if any(val not in (None, "") for val in params.values()) else "")

    prisons = ctx.config.prisons
    return render(request, "persons.html", me=v, csrf=data["c"], title=i18n.tr(lang, "File active"), result=result,
                  q=q, link=link, clear=link(**{k: None for k in PARAMS if k != "as_of"}), today=today_of(request),
                  stages=list(Stage), situations=list(Situation), sorts=SORTS, outside=OUTSIDE,
                  prisons=sorted(((c, p.name.get(lang) or c) for c, p in prisons.items()), key=lambda x: x[1]),
                  prison_name=lambda c: (prisons[c].name.get(lang) or c) if c in prisons else (c or ""),
                  workers=workers, filtered=any(k in q for k in PARAMS if k not in ("sort", "as_of")))
