"""The Prefect flows. Thin: each task is one coarse step that calls a service (never one task per démarche).

- daily-sweep: today's reminders into the outbox, then delivery (working days, 07:30 Europe/Brussels);
- outbox-retry: delivery of what is due for a retry (every 15 minutes);
- weekly-report: the coordinators' overview into the outbox, then delivery (Mondays).
Logs carry counts only: no person, no message text.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from prefect import flow, get_run_logger, task

from raj_release.services import open_context
from raj_release.services.outbox import deliver_in_turn
from raj_release.services.reminders import sweep
from raj_release.services.report import weekly_report as build


@contextmanager
def _ctx():
    """A service context for one task; its connections are closed when the task ends, so a process that
    runs many flows (raj serve) does not accumulate pools."""
    ctx = open_context()
    try:
        yield ctx
    finally:
        ctx.db.dispose()


@task(name="enqueue-reminders")
def enqueue_reminders(as_of: dt.date) -> dict:
    with _ctx() as ctx:
        r = sweep(ctx, as_of)
    return {"candidates": r.candidates, "decided": len(r.messages), "enqueued": len(r.enqueued)}


@task(name="deliver-outbox")
def deliver_outbox() -> dict:
    """Delivery under the one policy of services/outbox.py (at most DELIVERERS at once, over every host and
    flow); when no slot comes free in time the others are delivering everything due: nothing to do here."""
    with _ctx() as ctx:
        report = deliver_in_turn(ctx)
    return report.as_json() if report is not None else {"sent": 0, "retried": 0, "dead": 0, "errors": {},
                                                        "skipped": "every delivery slot was busy"}


@task(name="enqueue-weekly-report")
def enqueue_report(as_of: dt.date) -> dict:
    with _ctx() as ctx:
        return {"reports": len(build(ctx, as_of))}


def _today(as_of: dt.date | None) -> dt.date:
    if as_of is not None:
        return as_of
    with _ctx() as ctx:
        return ctx.local_today()


@flow(name="daily-sweep", log_prints=False)
def daily_sweep(as_of: dt.date | None = None, deliver: bool = True) -> dict:
    """Reminders of `as_of` (default: today in Europe/Brussels) into the outbox, then delivery."""
    day = _today(as_of)
    out = {"day": day.isoformat(), "sweep": enqueue_reminders(day)}
    if deliver:
        out["delivery"] = deliver_outbox()
    get_run_logger().info("daily sweep %s: %s", day, {k: v for k, v in out.items() if k != "day"})
    return out


@flow(name="outbox-retry")
def outbox_retry() -> dict:
    """Deliver what waits in the outbox (first tries and retries whose backoff has passed)."""
    out = deliver_outbox()
    get_run_logger().info("outbox: %s", out)
    return out


@flow(name="weekly-report")
def weekly_report(as_of: dt.date | None = None, deliver: bool = True) -> dict:
    day = _today(as_of)
    out = {"day": day.isoformat(), "report": enqueue_report(day)}
    if deliver:
        out["delivery"] = deliver_outbox()
    get_run_logger().info("weekly report %s: %s", day, out["report"])
    return out
