"""/api/me: whom the token stands for."""

from __future__ import annotations

from fastapi import APIRouter

from raj_release.web.api.deps import Me

router = APIRouter()


@router.get("/me", summary="Who the token belongs to")
def me(v: Me) -> dict:
    return {"id": v.id, "name": v.name, "role": v.role.value, "organisation": v.organisation,
            "language": v.language}
