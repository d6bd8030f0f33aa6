"""`raj person edit|transfer|stage|close|reopen`: the life of a file; each prints what the change did to the
plan (added, moved, no longer applies, closed)."""

from __future__ import annotations

from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import JsonOpt, TodayOpt

Ref = Annotated[str, typer.Argument(metavar="REF", help="Reference of the person.")]


def _done(view, as_json: bool) -> None:
    if as_json:
        return shell.print_json(view.as_json())
    render.outcome(view)


@shell.words(needs="--needs", language="--lang", as_id="--as", psy_id="--psy", reason="--reason")
def person_edit(
    ref: Ref,
    needs: Annotated[str | None, typer.Option("--needs", help="The needs, comma-separated (replaces them; '' for "
                                                              "none).")] = None,
    situation: Annotated[str | None, typer.Option("--situation", help="condamne or prevenu.")] = None,
    modality: Annotated[str | None, typer.Option("--modality", help="lc, se, dl, fond_de_peine, or none.")] = None,
    procedure: Annotated[str | None, typer.Option("--procedure", help="tap, jap, or none.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="fr or nl.")] = None,
    interpreter: Annotated[bool | None, typer.Option("--interpreter/--no-interpreter",
                                                     help="Needs an interpreter.")] = None,
    as_id: Annotated[str | None, typer.Option("--as", help="Hand the file to this AS.")] = None,
    psy_id: Annotated[str | None, typer.Option("--psy", help="Hand the file to this psychologue.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required to hand the file over).")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change what is known of the person, or hand the file over; the plan follows."""
    from raj_release.services.lifecycle import edit_person  # at call time: the services would slow raj --help

    ctx = shell.context()
    view = edit_person(ctx, ref, today=shell.today(ctx, today),
                       needs=needs.split(",") if needs is not None else None, situation=situation,
                       modality=modality, procedure=procedure, language=lang, interpreter=interpreter, as_id=as_id,
                       psy_id=psy_id, reason=reason, actor=shell.actor())
    _done(view, as_json)


@shell.words(date="--date")
def person_transfer(
    ref: Ref,
    prison: Annotated[str, typer.Option("--prison", help="The new prison's code (config/prisons.yaml).")],
    date: Annotated[str, typer.Option("--date", help="The day of the transfer.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (audit log).")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The person is transferred to another prison (the competent CPAS follows the prison's commune)."""
    from raj_release.services.lifecycle import transfer_person  # at call time: the services would slow raj --help

    ctx = shell.context()
    view = transfer_person(ctx, ref, prison=prison, date=shell.opt_date(date, "--date"),
                           today=shell.today(ctx, today), reason=reason, actor=shell.actor())
    if not as_json:
        from raj_release.i18n import tr
        from raj_release.services.lifecycle import competent_cpas

        commune = competent_cpas(ctx, view.person.prison, shell.LANG)
        if commune:
            render.out.print(tr(shell.LANG, "Competent CPAS if not domiciled: {commune}").format(commune=commune))
    _done(view, as_json)


@shell.words(stage="STAGE", date="--date")
def person_stage(
    ref: Ref,
    stage: Annotated[str, typer.Argument(metavar="STAGE", help="first-meetings or followed.")],
    date: Annotated[str | None, typer.Option("--date", help="The team meeting that validated the follow-up "
                                                            "(default: today).")] = None,
    plan_now: Annotated[bool, typer.Option("--plan", help="Make the plan now, before the follow-up.")] = False,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a request forward: first meetings, then followed (the plan is made then, or now with --plan)."""
    from raj_release.services.lifecycle import set_stage  # at call time: the services would slow raj --help

    ctx = shell.context()
    view = set_stage(ctx, ref, stage, today=shell.today(ctx, today), date=shell.opt_date(date, "--date"),
                     plan_now=plan_now, actor=shell.actor())
    _done(view, as_json)


@shell.words(detail="--detail", to_service="--to-service", why="--why", reason="--reason", date="--date")
def person_close(
    ref: Ref,
    reason: Annotated[str, typer.Option("--reason", help="finished, handed-over, transferred-out, refused, "
                                                         "deceased, not-met or other.")],
    detail: Annotated[str | None, typer.Option("--detail", help="What the other reason is.")] = None,
    to_service: Annotated[str | None, typer.Option("--to-service", help="The service it is handed over to.")] = None,
    why: Annotated[str | None, typer.Option("--why", help="Why a request was not met: release, transfer, refusal, "
                                                          "elsewhere, lost-interest, no-request.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="The day of the closure (default: today).")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close the file; its open démarches are cancelled with it, and listed."""
    from raj_release.services.lifecycle import close_person  # at call time: the services would slow raj --help

    ctx = shell.context()
    view = close_person(ctx, ref, reason=reason, detail=detail, to_service=to_service, why=why,
                        date=shell.opt_date(date, "--date"), today=shell.today(ctx, today), actor=shell.actor())
    _done(view, as_json)


def person_reopen(
    ref: Ref,
    reason: Annotated[str, typer.Option("--reason", help="Why the file is reopened.")],
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reopen a closed file: back to its stage; the démarches the closure cancelled are planned again."""
    from raj_release.services.lifecycle import reopen_person  # at call time: the services would slow raj --help

    ctx = shell.context()
    view = reopen_person(ctx, ref, reason=reason, today=shell.today(ctx, today), actor=shell.actor())
    _done(view, as_json)
