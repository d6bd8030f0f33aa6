"""Accounts of the web workspace: `raj user set-password`, `raj token create|list|revoke` (the JSON API's
personal access tokens) and `raj feed create|revoke|show` (the calendar feeds)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import LANG, JsonOpt
from raj_release.errors import RajError
from raj_release.i18n import tr

IdArg = Annotated[str, typer.Argument(metavar="ID")]


def user_set_password(
    worker_id: IdArg,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from standard input.")] = False,
) -> None:
    """Set a worker's password (asked twice at the terminal, or read from stdin)."""
    from raj_release.services.auth import set_password  # at call time: the services would slow raj --help

    ctx = shell.context()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(tr(LANG, "Password: "))
        if getpass.getpass(tr(LANG, "Once more: ")) != password:
            raise RajError("the two entries differ; nothing changed", field="password")
    set_password(ctx, worker_id, password, actor=shell.actor())
    render.out.print(tr(LANG, "Password of {id} saved.").format(id=worker_id))


def token_create(worker_id: IdArg, name: Annotated[str, typer.Option("--name", help="What the token is for.")],
                 as_json: JsonOpt = False) -> None:
    """Create a personal access token; it is shown once."""
    from raj_release.services.auth import create_token  # at call time: the services would slow raj --help

    token = create_token(shell.context(), worker_id, name, actor=shell.actor())
    if as_json:
        return shell.print_json({"worker": worker_id, "name": name, "token": token})
    render.out.print(tr(LANG, "Token « {name} » for {id} (shown once):").format(name=name, id=worker_id))
    render.out.print(token, markup=False)


def token_list(worker_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None,
               as_json: JsonOpt = False) -> None:
    """List tokens (never their value)."""
    from raj_release.services.auth import list_tokens  # at call time: the services would slow raj --help

    rows = list_tokens(shell.context(), worker_id)
    if as_json:
        return shell.print_json([{"worker": t.worker, "name": t.name, "created_at": t.created_at.isoformat(),
                                  "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                                  "revoked": t.revoked} for t in rows])
    render.tokens(rows)


def token_revoke(worker_id: IdArg, name: Annotated[str, typer.Option("--name", help="The token's name.")]) -> None:
    """Revoke a token: it stops working at once."""
    from raj_release.services.auth import revoke_token  # at call time: the services would slow raj --help

    revoke_token(shell.context(), worker_id, name, actor=shell.actor())
    render.out.print(tr(LANG, "Token « {name} » of {id} revoked.").format(name=name, id=worker_id))


def feed_create(worker_id: IdArg, as_json: JsonOpt = False) -> None:
    """Give a worker a new secret calendar-feed address (the previous one stops working)."""
    from raj_release.services.auth import create_feed_secret  # at call time: the services would slow raj --help

    secret = create_feed_secret(shell.context(), worker_id, actor=shell.actor())
    path, events = f"/calendar/{secret}.ics", f"/calendar/{secret}.events.ics"
    if as_json:
        return shell.print_json({"worker": worker_id, "path": path, "events_path": events})
    render.out.print(tr(LANG, "Calendar addresses of {id} (secret), to add after the address of `raj web`:")
                     .format(id=worker_id))
    tasks, days = tr(LANG, "Thunderbird and most calendars (tasks):"), tr(LANG, "Outlook (all-day events):")
    width = max(len(tasks), len(days))
    render.out.print(f"  {tasks:<{width}} {path}", markup=False)
    render.out.print(f"  {days:<{width}} {events}", markup=False)


def feed_revoke(worker_id: IdArg) -> None:
    """Revoke a worker's calendar feed address."""
    from raj_release.services.auth import revoke_feed  # at call time: the services would slow raj --help

    revoke_feed(shell.context(), worker_id, actor=shell.actor())
    render.out.print(tr(LANG, "Calendar of {id} revoked.").format(id=worker_id))


def feed_show(worker_id: IdArg,
              events: Annotated[bool, typer.Option("--events", help="All-day events (Outlook) instead of "
                                                                     "tasks.")] = False) -> None:
    """Print a worker's calendar (iCalendar) on standard output."""
    from raj_release.services.feeds import calendar_feed  # at call time: the services would slow raj --help

    sys.stdout.write(calendar_feed(shell.context(), worker_id, events=events).decode())


def user_logout_everywhere(worker_id: IdArg) -> None:
    """End every web session of an account at once (a lost phone, a shared computer)."""
    from raj_release.services.sessions import log_out_everywhere  # at call time: the services would slow --help

    n = log_out_everywhere(shell.context(), worker_id, actor=shell.actor())
    render.out.print(tr(LANG, "{n} session(s) of {id} ended.").format(n=n, id=worker_id))
