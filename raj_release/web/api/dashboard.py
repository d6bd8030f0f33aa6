"""/api/dashboard: the coordinators' dashboard (services/dashboard.py refuses other roles)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from raj_release.services.dashboard import dashboard as build
from raj_release.web.api.deps import AsOf, Ctx, Me, today

router = APIRouter()


@router.get("/dashboard", summary="The coordinators' dashboard of the organisation (403 for other roles)")
def dashboard(ctx: Ctx, v: Me, as_of: AsOf = None,
              worker: Annotated[str | None, Query(max_length=60)] = None,
              prison: Annotated[str | None, Query(max_length=60)] = None,
              demarche: Annotated[str | None, Query(max_length=60)] = None,
              partner: Annotated[str | None, Query(max_length=60)] = None,
              page: Annotated[int, Query(ge=1, le=1_000_000, description="page of the overdue list (100 rows)")] = 1,
              ) -> dict:
    filters = {"worker": worker, "prison": prison, "demarche": demarche, "partner": partner}
    d = build(ctx, v, today=today(ctx, as_of), filters=filters, page=page)

    def counts(rows) -> list[dict]:
        return [{"value": value, "overdue": n} for value, n in rows]

    return {"today": d.today.isoformat(), "filters": d.filters,
            "by_worker": counts(d.by_worker), "by_prison": counts(d.by_prison),
            "by_demarche": counts(d.by_demarche), "by_partner": counts(d.by_partner),
            "overdue": {"total": d.overdue_total, "page": d.page, "pages": d.pages,
                        "rows": [r.as_json() for r in d.overdue]},
            "weekly": [{"monday": day.isoformat(), "overdue": n} for day, n in d.weekly],
            "hearings": [{"person": ref, "date": day.isoformat(),
                          "readiness": {r.pillar.value: {"done": r.done, "total": r.total} for r in ready if r.total}}
                         for ref, day, ready in d.hearings],
            "compressed": {"total": d.compressed_total,
                           "most_recent": [{"person": ref, "as": a, "psy": p} for ref, a, p in d.compressed]},
            "dead_messages": [{"day": day.isoformat(), "kind": kind, "recipient": rcpt, "error": err}
                              for day, kind, rcpt, err in d.dead]}
