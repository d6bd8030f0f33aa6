"""« Version pour la personne »: the plan as the person reads it, in their language, to print or to download
as PDF (WeasyPrint). The sheet is rendered in the PERSON's language (handout_sheet.html), the page around it
(menu, the worker's buttons) in the viewer's."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from raj_release import i18n
from raj_release.errors import RajError
from raj_release.services.handout import HandoutView, person_handout
from raj_release.web.i18n import TEMPLATES, env
from raj_release.web.pages import ctx_of, error_response, lang_of, refused, render, signed_in, today_of

router = APIRouter()
STYLESHEET = TEMPLATES.parent / "static" / "raj.css"


def _sheet(view: HandoutView) -> Markup:
    return Markup(env.get_template("handout_sheet.html").render(lang=view.language, h=view))


def _read(request: Request, ref: str) -> tuple:
    v, data = signed_in(request)
    view = person_handout(ctx_of(request), ref, today=today_of(request), viewer=v)
    return v, data, view


@router.get("/persons/{ref}/for-person")
def handout_page(request: Request, ref: str) -> Response:
    try:
        v, data, view = _read(request, ref)
    except RajError as e:
        return refused(request, e)
    return render(request, "handout.html", me=v, csrf=data["c"], title=i18n.tr(lang_of(v), "Version for the person"),
                  h=view, sheet=_sheet(view), person_language=i18n.label(view.language, lang_of(v), "Language"))


@router.get("/persons/{ref}/for-person.pdf")
def handout_pdf(request: Request, ref: str) -> Response:
    try:
        v, _data, view = _read(request, ref)
    except RajError as e:
        return refused(request, e)
    try:
        import weasyprint  # imported here: it loads pango, which only this page needs
    except (ImportError, OSError):
        return error_response(request, 503, i18n.tr(lang_of(v), "The PDF cannot be made on this server: print "
                                                                 "the page from the browser instead."))
    doc = env.get_template("handout_pdf.html").render(lang=view.language, h=view, sheet=_sheet(view))
    pdf = weasyprint.HTML(string=doc).write_pdf(stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))])
    name = f"plan-{view.ref}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}"})
