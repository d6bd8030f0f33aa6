"""What every command shares: the --today and --json options, who acts, the service context, JSON output,
and a command's own names for the fields the services refuse."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from raj_release.domain.models import parse_date

if TYPE_CHECKING:
    from raj_release.services.context import Context

LANG = "fr"  # the command line speaks French to its users; its catalog (locale/*/cli.po) has Dutch too

TodayOpt = Annotated[str | None, typer.Option("--today", help="Act as of this date (YYYY-MM-DD).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

# set by the root callback (--actor) and by the command that runs (its field names: `words`)
state: dict = {"actor": None, "words": {}}


def actor() -> str:
    """Who acts, for the audit log: --actor / RAJ_ACTOR, else the user of the shell."""
    if state["actor"]:
        return state["actor"]
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def context(need_schema: bool = True) -> Context:
    # not at the top: the services bring the configuration, the ORM and their libraries, which would make
    # `raj --help` more than twice as slow (the same holds for every service import of the commands)
    from raj_release.services.context import open_context

    return open_context(require_schema=need_schema)


def today(ctx: Context, value: str | None) -> dt.date:
    return parse_date(value, "--today") if value is not None else ctx.local_today()


def opt_date(value: str | None, what: str) -> dt.date | None:
    return parse_date(value, what) if value is not None else None


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def words(**flags: str) -> Callable:
    """This command's names for service fields that other commands name otherwise (a flag here, an argument
    there): `@words(status="--status")`. main() words a refusal with them before the common table."""
    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def run(*args, **kwargs):
            state["words"] = flags
            return command(*args, **kwargs)
        return run
    return decorate
