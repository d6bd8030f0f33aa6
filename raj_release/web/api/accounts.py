"""/api/me: whom the token stands for."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from raj_release.domain.enums import Language, Role
from raj_release.services.views import View
from raj_release.web.api.deps import Me

router = APIRouter()


class AccountView(View):
    id: str = Field(description="the worker id (the AS/PSY ids in plans are these)")
    name: str
    role: Role = Field(description="as, psy, coordinator or admin: it decides which persons one sees")
    organisation: str = Field(description="the organisation's code")
    language: Language = Field(description="the language of labels and messages for this account")


@router.get("/me", summary="Who the token belongs to", response_model=AccountView)
def me(v: Me) -> AccountView:
    return AccountView(id=v.id, name=v.name, role=v.role, organisation=v.organisation, language=v.language)
