"""`raj visit add|set|list`: meetings (rencontres) with the person and their outcome."""

from __future__ import annotations

from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import JsonOpt, TodayOpt
from raj_release.domain.models import parse_date
from raj_release.i18n import label, tr

RefArg = Annotated[str, typer.Argument(metavar="REF")]
ReasonOpt = Annotated[str | None, typer.Option(
    "--reason", help="With not-held: refusal, strike, transfer, release, absent or other.")]


def _table(rows) -> None:
    from rich.table import Table

    lang = shell.LANG
    if not rows:
        render.out.print(tr(lang, "No meeting recorded."))
        return
    t = Table("#", tr(lang, "Day"), tr(lang, "Place"), tr(lang, "With"), tr(lang, "Outcome"),
              title=tr(lang, "Meetings"))
    for r in rows:
        outcome = label(r.outcome, lang) + (f" — {label(r.reason, lang)}" if r.reason else "")
        if r.awaiting_outcome:
            outcome += " " + tr(lang, "(outcome to record)")
        t.add_row(str(r.id), render.date(r.day), label(r.place, lang),
                  " + ".join(x for x in (r.as_id, r.psy_id) if x), outcome)
    render.out.print(t)


@shell.words(day="DATE", visit="ID", reason="--reason", outcome="--outcome", place="--place")
def visit_add(
    ref: RefArg,
    day: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD")],
    place: Annotated[str, typer.Option("--place", help="prison, service, outside or remote.")],
    with_: Annotated[str, typer.Option("--with", help="Who of the binôme: as, psy or both.")] = "both",
    outcome: Annotated[str, typer.Option("--outcome", help="planned, held or not-held.")] = "planned",
    reason: ReasonOpt = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a meeting, planned or past (held, or not held with its reason)."""
    from raj_release.services.visits import add_visit  # at call time: would slow raj --help

    d = parse_date(day, "DATE")
    ctx = shell.context()
    view = add_visit(ctx, ref, day=d, place=place, with_=with_, outcome=outcome, reason=reason,
                     today=shell.today(ctx, today), actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    _table([view])


@shell.words(visit="ID", reason="--reason", outcome="--outcome")
def visit_set(
    ref: RefArg,
    visit_id: Annotated[int, typer.Argument(metavar="ID", help="The meeting's number (raj visit list REF).")],
    outcome: Annotated[str, typer.Option("--outcome", help="held or not-held.")],
    reason: ReasonOpt = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record whether a meeting was held."""
    from raj_release.services.visits import set_outcome  # at call time: would slow raj --help

    ctx = shell.context()
    view = set_outcome(ctx, ref, visit_id, outcome=outcome, reason=reason, today=shell.today(ctx, today),
                       actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    _table([view])


def visit_list(ref: RefArg, today: TodayOpt = None, as_json: JsonOpt = False) -> None:
    """A person's meetings, earliest first."""
    from raj_release.services.visits import visits_of  # at call time: would slow raj --help

    ctx = shell.context()
    rows = visits_of(ctx, ref, today=shell.today(ctx, today))
    if as_json:
        return shell.print_json([r.as_json() for r in rows])
    _table(rows)
