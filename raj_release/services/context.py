"""What every service needs: the database, the validated configuration, and a clock for audit timestamps.

`today` for planning is never taken from here: every service that plans receives it as a parameter.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from raj_release.config import Config, load_config
from raj_release.errors import RajError
from raj_release.settings import Settings, get_settings
from raj_release.store.db import Database


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Context:
    db: Database
    config: Config
    settings: Settings
    now: Callable[[], dt.datetime] = field(default=_utc_now)

    def local_today(self) -> dt.date:
        """Today's date in the service's time zone (Europe/Brussels), or the day set by RAJ_TODAY: the default
        `today` of the shell and the workspace."""
        if self.settings.today is not None:
            return self.settings.today
        return self.now().astimezone(zoneinfo.ZoneInfo(self.settings.timezone)).date()


def open_context(settings: Settings | None = None, database_url: str | None = None,
                 config_dir: Path | None = None, require_schema: bool = False) -> Context:
    """The context of the settings; with `require_schema`, refuses a database `raj init` has not made."""
    s = settings or get_settings()
    cfg = load_config(Path(config_dir or s.config_dir).resolve())
    db = Database(database_url or s.database_url)
    if require_schema and not db.has_schema():
        raise RajError("database {url} is not initialised: run `raj init` first", url=db.display_url)
    return Context(db=db, config=cfg, settings=s)
