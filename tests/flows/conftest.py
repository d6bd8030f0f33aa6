"""Fixtures of the Prefect flow tests: ONE Prefect API for the whole session, used only by tests/flows.

Prefect reads its settings when it is first imported, so the quiet settings of shared/STACK_NOTES.md §2 are
put in the environment here, at import time, before anything imports prefect (tests/conftest.py imports
raj_release only, which never imports prefect). `prefect_test_harness` then starts one subprocess server on
a temporary SQLite file (15-20 s on a fresh database, once per session) and points PREFECT_API_URL at it.
The flow heartbeat is turned off for the tests: with it, every flow run costs ~1 s more (STACK_NOTES §2).
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

_PREFECT_HOME = tempfile.mkdtemp(prefix="raj-test-prefect-home-")
atexit.register(shutil.rmtree, _PREFECT_HOME, True)
for _k, _v in {
    "PREFECT_HOME": _PREFECT_HOME,
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}.items():
    os.environ.setdefault(_k, _v)
if "prefect" in sys.modules:  # something imported prefect before this file: the settings above came too late
    warnings.warn("prefect was imported before tests/flows/conftest.py: its quiet test settings may not apply",
                  stacklevel=1)

import pytest  # noqa: E402

from raj_release.settings import get_settings  # noqa: E402

DAY = dt.date(2026, 11, 23)  # a Monday


@pytest.fixture(scope="package", autouse=True)  # stopped once the flow tests are done
def prefect_api():
    """One Prefect server for every flow test of the session, with flow heartbeats off."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


class _Clock:
    """Audit and outbox timestamps of the demo fixed on DAY 07:00 UTC (08:00 in Brussels, a working day):
    the "plan moved" messages the demo's history enqueues are then deliverable whatever the real clock says."""

    def __init__(self) -> None:
        self.t = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.t += dt.timedelta(milliseconds=1)
        return self.t


def _build_database(path: Path, demo: bool) -> None:
    """`raj init` (migrations, the default organisation) and, if `demo`, `raj demo --today DAY`."""
    from raj_release.config import load_config
    from raj_release.services.context import Context
    from raj_release.services.demo import load_demo
    from raj_release.services.workers import ensure_organisation
    from raj_release.settings import PROJECT_ROOT, Settings
    from raj_release.store.db import Database
    from raj_release.store.migrate import upgrade

    url = f"sqlite:///{path}"
    db = Database(url)
    try:
        upgrade(db)
        ctx = Context(db=db, config=load_config(PROJECT_ROOT / "config"),
                      settings=Settings(database_url=url, config_dir=PROJECT_ROOT / "config"), now=_Clock())
        ensure_organisation(ctx)
        if demo:
            load_demo(ctx, DAY)
    finally:
        db.dispose()  # the last connection closed checkpoints the WAL: the file alone is the whole database


@pytest.fixture(scope="package")
def database_templates(tmp_path_factory) -> dict[str, Path]:
    """Two initialised databases built once: "empty" (organisation only) and "demo" (the fictitious file)."""
    root = tmp_path_factory.mktemp("flow-dbs")
    out = {}
    for name in ("empty", "demo"):
        out[name] = root / f"{name}.db"
        _build_database(out[name], demo=name == "demo")
    return out


@pytest.fixture
def app_database(database_templates, tmp_path, monkeypatch):
    """Returns a function: ("demo" | "empty") -> path of a fresh copy that RAJ_DATABASE_URL now names.

    The flows open their own service context (raj_release.services.open_context), which reads the
    lru_cached get_settings(): the cache is cleared after the environment changes, and again at the end.
    """

    def use(name: str = "demo") -> Path:
        path = tmp_path / f"{name}.db"
        shutil.copyfile(database_templates[name], path)
        monkeypatch.setenv("RAJ_DATABASE_URL", f"sqlite:///{path}")
        get_settings.cache_clear()
        return path

    yield use
    get_settings.cache_clear()


@pytest.fixture
def sink(tmp_path, monkeypatch):
    """The local JSON endpoint the demo's channels point at (RAJ_DEMO_SINK); yields the received file."""
    from raj_release.notify.sink import running_sink

    with running_sink(tmp_path / "sink") as (url, received):
        monkeypatch.setenv("RAJ_DEMO_SINK", url)
        yield received
