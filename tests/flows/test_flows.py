"""The Prefect flows of flows/jobs.py, run for real against the session's Prefect API (tests/flows/conftest.py).

Few on purpose: each flow run costs 0.2-1 s and the planning/reminder logic is tested without Prefect
elsewhere. These check the wiring: the flows call the services on the database that RAJ_DATABASE_URL names,
deliver to the channels, are idempotent the same day, and stay coarse (two task runs per daily sweep, however
many démarches there are).
"""

from __future__ import annotations

import datetime as dt
import time
from uuid import UUID

import pytest

from raj_release.notify.sink import read_received

DAY = dt.date(2026, 11, 23)  # a Monday; the demo database is loaded as of this day (conftest.DAY)

REMINDER_KINDS = ("digest", "escalation", "partner", "partner_date")


def _ctx():
    from raj_release.services import open_context

    return open_context()


def _outbox(status: str | None = None):
    from raj_release.services.outbox import list_outbox

    return list_outbox(_ctx(), status, limit=10_000)


def _counts() -> dict[str, int]:
    from raj_release.services.outbox import outbox_counts

    return outbox_counts(_ctx())


def _path_of(row) -> str:
    return f"/{'partners' if row.role == 'partner' else 'workers'}/{row.recipient}"


def test_daily_sweep_enqueues_delivers_and_is_idempotent_the_same_day(app_database, sink):
    from flows.jobs import daily_sweep

    app_database("demo")
    pending_before = _counts()["pending"]  # "plan moved" messages the demo's history left in the outbox

    state = daily_sweep(as_of=DAY, return_state=True)
    assert state.is_completed(), state
    out = state.result()
    assert out["day"] == DAY.isoformat()
    sweep = out["sweep"]
    assert sweep["candidates"] > 0
    assert sweep["decided"] > 0
    assert sweep["enqueued"] == sweep["decided"]
    assert out["delivery"] == {"sent": sweep["enqueued"] + pending_before, "retried": 0, "dead": 0, "errors": {}}
    assert _counts() == {"pending": 0, "sent": sweep["enqueued"] + pending_before, "dead": 0, "cancelled": 0}

    # the sink received every reminder of the day, on its recipient's channel, with its subject
    received = read_received(sink)
    assert len(received) == out["delivery"]["sent"]
    todays = [r for r in _outbox("sent") if r.day == DAY and r.kind in REMINDER_KINDS]
    assert len(todays) == sweep["enqueued"]
    # the demo's partner démarche is past its date on DAY: its responsible worker is asked for a new one
    assert {r.kind for r in todays} >= {"digest", "partner_date"}
    got = {(x["path"], x["payload"]["title"]) for x in received}
    for row in todays:
        assert (_path_of(row), row.subject) in got
    assert any("DEMO-" in x["payload"]["message"] for x in received if x["path"].startswith("/workers/as."))
    # DEMO-01 gave no consent: its cure centre hears nothing, its psychologue reads why (issue 12)
    assert not [x for x in received if x["path"].startswith("/partners/") and "DEMO-01" in x["payload"]["message"]]
    [psy] = [x["payload"]["message"] for x in received if x["path"] == "/workers/psy.lambert"
             and "DEMO-01" in x["payload"]["message"]]
    assert "consentement manquant pour Centre de cure fictif « De Brug » (demo)" in psy
    # the demo's applications: each partner got its request (and DEMO-01's cure centre none)
    requests = [r for r in _outbox("sent") if r.kind == "request"]
    assert {r.recipient for r in requests} == {"ma-demo", "ma-escale-demo", "ma-anker-demo", "cure-demo",
                                               "cure-sources-demo"}
    for r in requests:
        assert (_path_of(r), r.subject) in got and "DEMO-01" not in r.subject

    # a second run the same day finds the reminders already in the outbox: nothing new, nothing sent
    again = daily_sweep(as_of=DAY)
    assert again["sweep"]["candidates"] == sweep["candidates"]
    assert again["sweep"]["enqueued"] == 0
    assert again["delivery"]["sent"] == 0
    assert len(read_received(sink)) == len(received)


def test_weekly_report_enqueues_one_report_per_coordinator(app_database, sink):
    from flows.jobs import weekly_report
    from raj_release.services.workers import register_worker

    app_database("demo")
    register_worker(_ctx(), "coord.second", "Second coordinateur (fictif)", "coordinator", "nl",
                    notify=["${RAJ_DEMO_SINK}/workers/coord.second"])

    out = weekly_report(as_of=DAY)

    assert out["report"] == {"reports": 2}
    reports = [r for r in _outbox() if r.kind == "report"]
    assert sorted(r.recipient for r in reports) == ["coord.martin", "coord.second"]
    assert {r.status for r in reports} == {"sent"}
    paths = [x["path"] for x in read_received(sink)]
    assert paths.count("/workers/coord.martin") == 1  # the report (the coordinator gets no "plan moved")
    assert paths.count("/workers/coord.second") == 1


def test_outbox_retry_delivers_pending_messages(app_database, sink):
    from flows.jobs import outbox_retry

    app_database("demo")
    pending = _counts()["pending"]
    assert pending > 0

    out = outbox_retry()

    assert out == {"sent": pending, "retried": 0, "dead": 0, "errors": {}}
    assert _counts() == {"pending": 0, "sent": pending, "dead": 0, "cancelled": 0}
    assert len(read_received(sink)) == pending
    assert outbox_retry() == {"sent": 0, "retried": 0, "dead": 0, "errors": {}}


@pytest.mark.parametrize("database", ["empty", "demo"])
def test_daily_sweep_runs_exactly_two_coarse_tasks_whatever_the_number_of_demarches(app_database, sink,
                                                                                    database):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId

    from flows.jobs import daily_sweep

    app_database(database)
    state = daily_sweep(as_of=DAY, return_state=True)
    assert state.is_completed(), state
    candidates = state.result()["sweep"]["candidates"]
    assert (candidates == 0) if database == "empty" else (candidates > 20)

    flow_run_id: UUID = state.state_details.flow_run_id
    task_filter = TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run_id]))
    deadline = time.monotonic() + 15  # task-run records may reach the API a moment after the flow returns
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(task_run_filter=task_filter)
            if (len(runs) >= 2 and all(r.state is not None and r.state.is_final() for r in runs)) \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert sorted(r.name.rsplit("-", 1)[0] for r in runs) == [
        "deliver-outbox", "enqueue-reminders"]
    assert all(r.state.is_completed() for r in runs)
