"""`raj milestone set`."""

from __future__ import annotations

from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import JsonOpt, TodayOpt
from raj_release.domain.models import parse_date


def milestone_set(
    ref: Annotated[str, typer.Argument(metavar="REF")],
    kind: Annotated[str, typer.Argument(metavar="KIND", help="intake, tap_hearing, expected_release, "
                                        "actual_release, fond_de_peine, admissibility_lc|se|dl|cp|ps")],
    date: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD")],
    earliest: Annotated[str | None, typer.Option("--earliest", help="Earliest plausible date.")] = None,
    latest: Annotated[str | None, typer.Option("--latest", help="Latest plausible date.")] = None,
    certainty: Annotated[str, typer.Option("--certainty", help="confirmed, expected or estimated.")] = "confirmed",
    reason: Annotated[str | None, typer.Option("--reason", help="Why the date is set or moved.")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set or correct a key date; the plan follows and what moved is listed."""
    from raj_release.services.milestones import parse_kind, set_milestone  # at call time: would slow raj --help

    parse_kind(kind)  # the kind's error comes before the date's, in the order of the arguments
    d = parse_date(date, "DATE")
    lo, hi = shell.opt_date(earliest, "--earliest"), shell.opt_date(latest, "--latest")
    ctx = shell.context()
    view = set_milestone(ctx, ref, kind, date=d, today=shell.today(ctx, today), earliest=lo, latest=hi,
                         certainty=certainty, reason=reason, actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    render.changes(view)
    render.plan(view)
