"""`raj demarche set|pin|unpin` and `raj overdue`."""

from __future__ import annotations

from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import JsonOpt, TodayOpt
from raj_release.domain.models import parse_date

RefArg = Annotated[str, typer.Argument(metavar="REF")]
KeyArg = Annotated[str, typer.Argument(metavar="KEY")]


def demarche_set(
    ref: RefArg,
    key: KeyArg,
    status: Annotated[str, typer.Argument(metavar="STATUS", help="planned, in-progress, on-hold, completed, "
                                          "cancelled (not applicable) or failed")],
    reason: Annotated[str | None, typer.Option("--reason", help="Required for cancelled and failed.")] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="Partner waited on (on-hold).")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a démarche's status."""
    from raj_release.services.demarches import parse_status, set_status  # at call time: would slow raj --help

    parse_status(status)  # a wrong status is refused before the database is opened
    ctx = shell.context()
    v = set_status(ctx, ref, key, status, today=shell.today(ctx, today), reason=reason, partner=partner,
                   actor=shell.actor())
    if as_json:
        return shell.print_json(v.as_json())
    render.out.print(f"{ref} · {v.label}: {v.status}" + (f" ({v.reason})" if v.reason else ""))


def demarche_pin(
    ref: RefArg,
    key: KeyArg,
    date: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD, a working day")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why this date.")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pin a démarche's due date by hand: replanning leaves it where it is."""
    from raj_release.services.demarches import pin_due  # at call time: the services would slow raj --help

    d = parse_date(date, "DATE")
    ctx = shell.context()
    view = pin_due(ctx, ref, key, due=d, today=shell.today(ctx, today), reason=reason, actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    render.changes(view)
    render.plan(view)


def demarche_unpin(ref: RefArg, key: KeyArg, today: TodayOpt = None, as_json: JsonOpt = False) -> None:
    """Give a pinned démarche back to the planner."""
    from raj_release.services.demarches import unpin  # at call time: the services would slow raj --help

    ctx = shell.context()
    view = unpin(ctx, ref, key, today=shell.today(ctx, today), actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    render.changes(view)
    render.plan(view)


def overdue(today: TodayOpt = None,
            worker: Annotated[str | None, typer.Option("--worker", help="Only this worker's persons.")] = None,
            prison: Annotated[str | None, typer.Option("--prison", help="Only this prison.")] = None,
            as_json: JsonOpt = False) -> None:
    """Open démarches past their due date, across the file active."""
    from raj_release.services.demarches import list_overdue  # at call time: the services would slow raj --help

    ctx = shell.context()
    d = shell.today(ctx, today)
    rows = list_overdue(ctx, today=d, worker=worker, prison=prison)
    if as_json:
        return shell.print_json([r.as_json() for r in rows])
    render.overdue(rows, d)
