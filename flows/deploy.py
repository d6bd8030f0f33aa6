"""What `prefect --no-prompt deploy` sets up besides the deployments (prefect.yaml's build step).

A lost host must not block the schedules: the flow runs send heartbeats (every HEARTBEAT_SECONDS, set in
the deployments' environment by prefect.yaml), and the automation below, Prefect's documented "detect zombie
flows" pattern, marks CRASHED a run whose heartbeats stopped for ZOMBIE_AFTER_SECONDS without it ending.
Marking it CRASHED releases the deployment concurrency slot it held (outbox-retry's), so the next run starts.

A run can also be lost before it runs: a worker takes it (PENDING), then its host dies before the run's
process starts, and no heartbeat ever comes. The second automation marks CRASHED a run that stayed PENDING
for PENDING_AFTER_SECONDS without starting, ending or going back to the schedule (a flow-run process starts
in seconds; two minutes is a lost one), so no run is left PENDING for good and a slot it held is freed.

The step is idempotent: deploying again updates the automations instead of adding others.
"""

from __future__ import annotations

import datetime as dt

HEARTBEAT_SECONDS = 30  # Prefect's minimum; prefect.yaml sets PREFECT_FLOWS_HEARTBEAT_FREQUENCY to it
ZOMBIE_AFTER_SECONDS = 90  # three heartbeats missed
ZOMBIE_AUTOMATION = "raj-release: crash flow runs whose heartbeats stopped"
PENDING_AFTER_SECONDS = 120
PENDING_AUTOMATION = "raj-release: crash flow runs left pending by a lost worker"
# what a pending run does next when nothing is lost: it starts, ends, or goes back to waiting
PENDING_MOVES = ("Running", "Completed", "Failed", "Cancelled", "Crashed", "Cancelling", "Paused", "Scheduled",
                 "AwaitingConcurrencySlot", "AwaitingRetry", "Late")


def _crash_when_silent(name: str, description: str, after: str, expect: set[str], within_seconds: int,
                       message: str):
    """An automation that, for each flow run, after event `after`, expects one of `expect` within the window,
    and otherwise sets the run CRASHED (not forced: a run that ended keeps its state)."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    return AutomationCore(
        name=name,
        description=description,
        trigger=EventTrigger(
            after={after},
            expect=expect,
            match={"prefect.resource.id": ["prefect.flow-run.*"]},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=dt.timedelta(seconds=within_seconds),
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED, message=message)],
    )


def zombie_automation(within_seconds: int = ZOMBIE_AFTER_SECONDS):
    """The automation (Prefect's "detect zombie flows"): after a run's heartbeat, expect another heartbeat or
    an end within the window."""
    return _crash_when_silent(
        ZOMBIE_AUTOMATION,
        "A flow run that stopped sending heartbeats without ending (its host or process died) is marked "
        "CRASHED, which frees its deployment's concurrency slot.",
        "prefect.flow-run.heartbeat",
        {"prefect.flow-run.heartbeat", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
         "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed"},
        within_seconds, f"No heartbeat for {within_seconds} s: its worker's host or process was lost.")


def pending_automation(within_seconds: int = PENDING_AFTER_SECONDS):
    """After a run becomes PENDING, expect it to start, end or wait again within the window."""
    return _crash_when_silent(
        PENDING_AUTOMATION,
        "A flow run handed to a worker that never started it (the worker's host died in between) is marked "
        "CRASHED instead of staying PENDING.",
        "prefect.flow-run.Pending", {f"prefect.flow-run.{name}" for name in PENDING_MOVES}, within_seconds,
        f"Pending for {within_seconds} s without starting: its worker's host was lost before the run began.")


def _ensure(client, automation) -> str:
    """Create the automation, or update the one of that name (and delete any duplicate)."""
    found = client.read_automations_by_name(automation.name)
    if found:
        client.update_automation(found[0].id, automation)
        for extra in found[1:]:
            client.delete_automation(extra.id)
        return str(found[0].id)
    return str(client.create_automation(automation))


def ensure_zombie_automation(within_seconds: int | str = ZOMBIE_AFTER_SECONDS,
                             pending_seconds: int | str = PENDING_AFTER_SECONDS) -> dict:
    """A deployment step (prefect.yaml `build`): create the two automations (runs whose heartbeats stopped,
    runs left pending), or update them if they exist."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return {"zombie_automation_id": _ensure(client, zombie_automation(int(within_seconds))),
                "pending_automation_id": _ensure(client, pending_automation(int(pending_seconds)))}
