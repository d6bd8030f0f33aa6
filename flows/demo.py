"""`raj demo-sweep`: the daily sweep once, through its Prefect flow on Prefect's ephemeral API, delivering to
a local sink (raj_release.notify.sink) instead of real channels."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flows.serve import quiet_prefect_env
from raj_release.notify.sink import read_received, running_sink


@dataclass(frozen=True)
class DemoSweep:
    result: dict  # the flow's: {"day", "sweep": {...}, "delivery": {...}}
    received: list[dict]  # what the sink received, one {"path", "payload"} per message and channel
    received_file: Path


@contextmanager
def _environment(set_: dict[str, str], *, defaults: dict[str, str], unset: tuple[str, ...]) -> Iterator[None]:
    """os.environ changed for the block, and given back as it was afterwards."""
    names = {*set_, *defaults, *unset, "RAJ_DEMO_SINK"}
    saved = {k: os.environ.get(k) for k in names}
    try:
        os.environ.update(set_)
        for k, v in defaults.items():
            os.environ.setdefault(k, v)
        for k in unset:
            os.environ.pop(k, None)
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_demo_sweep(day: dt.date, var_dir: Path) -> DemoSweep:
    """The sweep of `day` with Prefect's home under var_dir/prefect and the sink writing to var_dir/sink."""
    var = Path(var_dir).resolve()
    received_file = var / "sink" / "received.jsonl"
    received_file.unlink(missing_ok=True)
    # the flow runs on Prefect's ephemeral API: no PREFECT_API_URL of a server elsewhere
    env = _environment(quiet_prefect_env(var / "prefect"), defaults={"PREFECT_LOGGING_LEVEL": "WARNING"},
                       unset=("PREFECT_API_URL",))
    with env, running_sink(var / "sink") as (url, received):
        os.environ["RAJ_DEMO_SINK"] = url  # the demo workers' and partners' channels point at it
        # not at the top: Prefect reads its settings (PREFECT_HOME ...) when first imported, so after they are set
        from flows.jobs import daily_sweep

        result = daily_sweep(as_of=day)
    return DemoSweep(result=result, received=read_received(received), received_file=received)
