"""The reminders and their outbox: `raj remind`, `raj deliver` and `raj outbox`."""

from __future__ import annotations

from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import LANG, JsonOpt, TodayOpt
from raj_release.i18n import tr


def remind(today: TodayOpt = None,
           dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would be sent.")] = False,
           as_json: JsonOpt = False) -> None:
    """Decide today's reminders and put them in the outbox (one digest per recipient)."""
    from raj_release.services.reminders import sweep  # at call time: the services would slow raj --help

    ctx = shell.context()
    result = sweep(ctx, shell.today(ctx, today), dry_run=dry_run)
    if as_json:
        return shell.print_json(result.as_json())
    day = render.date(result.day)
    if dry_run:
        shown = result.messages
        line = tr(LANG, "{n} message(s) to send (a trial: nothing is recorded) for {day}").format(
            n=len(shown), day=day)
    else:
        shown = result.enqueued
        line = tr(LANG, "{n} message(s) put in the outbox for {day}").format(n=len(shown), day=day)
        if already := len(result.messages) - len(result.enqueued):
            line += tr(LANG, " ({n} already in the outbox)").format(n=already)
    render.out.print(line)
    render.messages(shown)


def deliver(limit: Annotated[int | None, typer.Option("--limit", help="At most this many messages.")] = None,
            wait: Annotated[float, typer.Option("--wait", min=0, max=3600,
                                                help="Seconds to wait for a free delivery slot.")] = 30.0,
            as_json: JsonOpt = False) -> None:
    """Deliver the messages waiting in the outbox (retries with backoff; dead after too many failures), in one
    of the delivery slots the flows share (at most 2 deliverers at once, docs/operations.md)."""
    from raj_release.services.outbox import DELIVERERS, deliver_in_turn  # at call time: keeps raj --help quick

    report = deliver_in_turn(shell.context(), wait_seconds=wait, limit=limit)
    if report is None:  # the deliverers at work send everything due, this run's messages included
        if as_json:
            return shell.print_json({"sent": 0, "retried": 0, "dead": 0, "errors": {}, "busy": True})
        render.out.print(tr(LANG, "{n} deliverers are already at work and send everything due: nothing to do "
                                  "here.").format(n=DELIVERERS))
        return
    if as_json:
        return shell.print_json({**report.as_json(), "busy": False})
    render.out.print(tr(LANG, "Sent: {sent} · to retry: {retried} · dead: {dead}").format(
        sent=report.sent, retried=report.retried, dead=report.dead))
    for err, n in sorted(report.errors.items()):
        render.out.print(f"  {n} × {err}", markup=False)


@shell.words(status="--status")  # an argument of `raj demarche set`, a flag here
def outbox(status: Annotated[str | None, typer.Option("--status", help="pending, sent or dead.")] = None,
           limit: Annotated[int, typer.Option("--limit", help="Newest first, at most this many.")] = 200,
           as_json: JsonOpt = False) -> None:
    """List the outbox."""
    from raj_release.services.outbox import list_outbox  # at call time: the services would slow raj --help

    rows = list_outbox(shell.context(), status, limit=limit)
    if as_json:
        return shell.print_json([r.as_json() for r in rows])
    render.outbox(rows)
