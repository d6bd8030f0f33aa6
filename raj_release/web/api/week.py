"""/api/week: the binôme's week (services/week.py)."""

from __future__ import annotations

from fastapi import APIRouter

from raj_release.services.week import my_week
from raj_release.web.api.deps import AsOf, Ctx, Me, today

router = APIRouter()


@router.get("/week", summary="My week: overdue, due this week, waiting on a partner, and key dates coming up")
def week(ctx: Ctx, v: Me, as_of: AsOf = None) -> dict:
    w = my_week(ctx, v, today(ctx, as_of))

    def items(xs) -> list[dict]:
        return [{"person": i.ref, "demarche": i.key, "label": i.label, "due": i.due.isoformat(),
                 "status": i.status, "partner": i.partner, "version": i.version, "days_late": max(0, i.days_late)}
                for i in xs]

    return {"today": w.today.isoformat(), "week_end": w.week_end.isoformat(), "overdue": items(w.overdue),
            "this_week": items(w.this_week), "on_hold": items(w.on_hold),
            "milestones": [{"person": ref, "kind": kind, "date": day.isoformat(), "certainty": certainty}
                           for ref, kind, day, certainty in w.milestones]}
