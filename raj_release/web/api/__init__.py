"""The JSON API under /api, authenticated by personal access tokens (`raj token create`).

Errors are JSON `{"detail": "..."}` with the right status: 401 without a valid token, 404 for a person
outside one's scope (as for one that does not exist), 409 when the person changed since the version the
client read, 422 for bad input. Every read of a plan and every change goes to the audit log.

One module per concept, named like the services it calls; this module assembles their routes.
"""

from __future__ import annotations

from fastapi import APIRouter

from raj_release.web.api import (
    accounts,
    caseload,
    consents,
    dashboard,
    demarches,
    leaves,
    lifecycle,
    milestones,
    notes,
    persons,
    visits,
    week,
)
from raj_release.web.api.deps import AsOf, Ctx, Me, Unauthorized, context, today, viewer

__all__ = ["AsOf", "Ctx", "Me", "Unauthorized", "context", "router", "today", "viewer"]

router = APIRouter(prefix="/api", tags=["api"])
for _concept in (accounts, caseload, persons, lifecycle, demarches, milestones, leaves, visits, notes, week,
                 dashboard, consents):
    router.include_router(_concept.router)
