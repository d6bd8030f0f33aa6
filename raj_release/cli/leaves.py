"""`raj leave add|list|remove|pin`: temporary leaves (PS, CP, IEP, DL), which are not a release."""

from __future__ import annotations

from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import JsonOpt, TodayOpt
from raj_release.domain.models import parse_date
from raj_release.i18n import label, tr

RefArg = Annotated[str, typer.Argument(metavar="REF")]
IdArg = Annotated[int, typer.Argument(metavar="ID", help="The leave's number (raj leave list REF).")]


def _table(rows) -> None:
    from rich.table import Table

    lang = shell.LANG
    t = Table("#", tr(lang, "Kind"), tr(lang, "From"), tr(lang, "To"), tr(lang, "Recorded by"),
              title=tr(lang, "Temporary leaves"))
    for r in rows:
        t.add_row(str(r.id), label(r.kind, lang), render.date(r.start), render.date(r.end), r.created_by)
    if not rows:
        render.out.print(tr(lang, "No leave recorded."))
        return
    render.out.print(t)


@shell.words(start="--from", end="--to", leave="ID")
def leave_add(
    ref: RefArg,
    kind: Annotated[str, typer.Option("--kind", help="ps (permission de sortie), cp (congé pénitentiaire), "
                                                     "iep (interruption de l'exécution), dl (détention limitée).")],
    start: Annotated[str, typer.Option("--from", help="First day outside (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day outside (YYYY-MM-DD).")],
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a temporary leave: the plan does not move (a leave is not a release)."""
    from raj_release.services.leaves import add_leave, parse_kind  # at call time: would slow raj --help

    parse_kind(kind)
    d1, d2 = parse_date(start, "--from"), parse_date(end, "--to")
    ctx = shell.context()
    view = add_leave(ctx, ref, kind=kind, start=d1, end=d2, today=shell.today(ctx, today), actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    _table([view])


def leave_list(ref: RefArg, today: TodayOpt = None, as_json: JsonOpt = False) -> None:
    """A person's temporary leaves."""
    from raj_release.services.leaves import leaves_of  # at call time: would slow raj --help

    ctx = shell.context()
    rows = leaves_of(ctx, ref, today=shell.today(ctx, today))
    if as_json:
        return shell.print_json([r.as_json() for r in rows])
    _table(rows)


@shell.words(leave="ID")
def leave_remove(ref: RefArg, leave_id: IdArg, today: TodayOpt = None, as_json: JsonOpt = False) -> None:
    """Delete a leave recorded by mistake (the audit log keeps it)."""
    from raj_release.services.leaves import remove_leave  # at call time: would slow raj --help

    ctx = shell.context()
    view = remove_leave(ctx, ref, leave_id, today=shell.today(ctx, today), actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    render.out.print(tr(shell.LANG, "Leave {id} removed.").format(id=view.id))


@shell.words(leave="ID")
def leave_pin(ref: RefArg, leave_id: IdArg, key: Annotated[str, typer.Argument(metavar="KEY")],
              today: TodayOpt = None, as_json: JsonOpt = False) -> None:
    """Pin a démarche that needs the person outside (eID, admission interview) to the leave's last working day."""
    from raj_release.services.leaves import pin_into_leave  # at call time: would slow raj --help

    ctx = shell.context()
    view = pin_into_leave(ctx, ref, key, leave_id, today=shell.today(ctx, today), actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    render.changes(view)
    render.plan(view)
