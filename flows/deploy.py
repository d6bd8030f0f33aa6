"""What `prefect --no-prompt deploy` sets up besides the deployments (prefect.yaml's build step).

A lost host must not block the schedules: the flow runs send heartbeats (every HEARTBEAT_SECONDS, set in
the deployments' environment by prefect.yaml), and the automation below, Prefect's documented "detect zombie
flows" pattern, marks CRASHED a run whose heartbeats stopped for ZOMBIE_AFTER_SECONDS without it ending.
Marking it CRASHED releases the deployment concurrency slot it held (outbox-retry's), so the next run starts.

The step is idempotent: deploying again updates the automation instead of adding another.
"""

from __future__ import annotations

import datetime as dt

HEARTBEAT_SECONDS = 30  # Prefect's minimum; prefect.yaml sets PREFECT_FLOWS_HEARTBEAT_FREQUENCY to it
ZOMBIE_AFTER_SECONDS = 90  # three heartbeats missed
ZOMBIE_AUTOMATION = "raj-release: crash flow runs whose heartbeats stopped"


def zombie_automation(within_seconds: int = ZOMBIE_AFTER_SECONDS):
    """The automation (Prefect's "detect zombie flows"): after a run's heartbeat, expect another heartbeat or
    an end within the window, for each run; otherwise set the run CRASHED (not forced: a run that ended
    keeps its state)."""
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    return AutomationCore(
        name=ZOMBIE_AUTOMATION,
        description="A flow run that stopped sending heartbeats without ending (its host or process died) is "
                    "marked CRASHED, which frees its deployment's concurrency slot.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed"},
            match={"prefect.resource.id": ["prefect.flow-run.*"]},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=dt.timedelta(seconds=within_seconds),
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED,
                                    message=f"No heartbeat for {within_seconds} s: its worker's host or "
                                            "process was lost.")],
    )


def ensure_zombie_automation(within_seconds: int | str = ZOMBIE_AFTER_SECONDS) -> dict:
    """A deployment step (prefect.yaml `build`): create the zombie automation, or update it if it exists."""
    from prefect.client.orchestration import get_client

    automation = zombie_automation(int(within_seconds))
    with get_client(sync_client=True) as client:
        found = client.read_automations_by_name(ZOMBIE_AUTOMATION)
        if found:
            client.update_automation(found[0].id, automation)
            for extra in found[1:]:
                client.delete_automation(extra.id)
            automation_id = found[0].id
        else:
            automation_id = client.create_automation(automation)
    return {"zombie_automation_id": str(automation_id)}
