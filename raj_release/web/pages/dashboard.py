"""The coordinators' dashboard: counts that link to their drill-down, filters and page in the URL. A worker's
count and the worker filter are their own démarches by responsibility (services/dashboard.py), as the page
says in a line of text; lateness is in working days, labelled."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from raj_release import i18n
from raj_release.errors import Forbidden, RajError
from raj_release.services.caseload import caseloads
from raj_release.services.dashboard import FILTERS, dashboard
from raj_release.web import charts
from raj_release.web.pages import ctx_of, error_page, lang_of, page_of, render, signed_in, today_of

router = APIRouter()


@router.get("/dashboard")
def dashboard_page(request: Request) -> Response:
    v, data = signed_in(request)
    lang = lang_of(v)
    ctx = ctx_of(request)
    filters = {k: request.query_params[k] for k in FILTERS if request.query_params.get(k)}
    try:
        dash = dashboard(ctx, v, today=today_of(request), filters=filters, page=page_of(request))
        loads = caseloads(ctx, v, today=dash.today)
    except Forbidden:
        return error_page(request, v, data, 403, i18n.tr(lang, "For coordinators only."))
    except RajError as e:
        return error_page(request, v, data, 422, e)
    as_of = request.query_params.get("as_of")

    def link(name: str, value: str | int) -> str:
        """This view with one more filter (back to the first page), or another page of it."""
        q = {**filters, name: value, **({"as_of": as_of} if as_of else {})}
        return "/dashboard?" + "&".join(f"{k}={quote(str(val))}" for k, val in q.items())

    templates = ctx.config.templates.by_key
    partners = ctx.config.partners
    return render(request, "dashboard.html", me=v, csrf=data["c"], title=i18n.tr(lang, "Dashboard"), dash=dash, caseloads=loads,
                  as_of=as_of, link=link, ident=lambda x: x,
                  clear="/dashboard" + (f"?as_of={quote(as_of)}" if as_of else ""),
                  demarche_label=lambda k: templates[k].label_in(lang) if k in templates else k,
                  partner_label=lambda k: partners[k].name if k in partners else k,
                  weekly=charts.weekly_bars(dash.weekly), days_words=lambda d: days_words(d, lang))


def days_words(days: float, lang: str) -> str:
    """« 3 jours », « 4,5 jours », « 1 jour »: a median number of days in words (a decimal comma, in
    both languages)."""
    number = f"{days:g}".replace(".", ",")
    return i18n.ntr(lang, "%(num)s day", "%(num)s days", 1 if days == 1 else 2) % {"num": number}
