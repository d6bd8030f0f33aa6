"""The partner directory, read only (it is edited in config/partners.yaml); channel URLs are never shown."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from raj_release import i18n
from raj_release.services.partners import directory
from raj_release.web.pages import ctx_of, lang_of, render, signed_in

router = APIRouter()


@router.get("/partners")
def partners_page(request: Request) -> Response:
    v, data = signed_in(request)
    partners = directory(ctx_of(request))
    return render(request, "partners.html", me=v, csrf=data["c"], title=i18n.tr(lang_of(v), "Partner directory"),
                  partners=partners)
