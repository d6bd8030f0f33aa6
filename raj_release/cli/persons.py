"""`raj person add`, `raj person list`, `raj caseload` and `raj plan`."""

from __future__ import annotations

from typing import Annotated

import typer

from raj_release.cli import render, shell
from raj_release.cli.shell import JsonOpt, TodayOpt
from raj_release.domain import Milestone, MilestoneKind
from raj_release.domain.models import parse_date


def person_add(
    ref: Annotated[str, typer.Argument(metavar="REF", help="Pseudonymous reference of the person.")],
    as_id: Annotated[str, typer.Option("--as", help="Worker id of the assistant social.")],
    psy_id: Annotated[str, typer.Option("--psy", help="Worker id of the psychologue.")],
    prison: Annotated[str | None, typer.Option("--prison", help="Prison code (config/prisons.yaml); none for a "
                                                                "request from outside.")] = None,
    situation: Annotated[str, typer.Option("--situation", help="condamne or prevenu.")] = "condamne",
    needs: Annotated[str, typer.Option("--needs", help="Comma-separated: housing,cure,substitution,medical,"
                                                       "income,training,debts,sejour,family.")] = "",
    lang: Annotated[str, typer.Option("--lang", help="fr or nl.")] = "fr",
    name: Annotated[str | None, typer.Option("--name", help="Name (optional; stays in the service).")] = None,
    interpreter: Annotated[bool, typer.Option("--interpreter", help="Needs an interpreter.")] = False,
    procedure: Annotated[str | None, typer.Option("--procedure", help="tap or jap.")] = None,
    modality: Annotated[str | None, typer.Option("--modality", help="lc, se, dl or fond_de_peine.")] = None,
    intake: Annotated[str | None, typer.Option("--intake", help="Intake date (default: today).")] = None,
    hearing: Annotated[str | None, typer.Option("--hearing", help="TAP/JAP hearing date, if known.")] = None,
    release: Annotated[str | None, typer.Option("--release", help="Expected release date, if known.")] = None,
    hearing_certainty: Annotated[str, typer.Option("--hearing-certainty",
                                                   help="confirmed, expected or estimated.")] = "confirmed",
    release_certainty: Annotated[str, typer.Option("--release-certainty",
                                                   help="confirmed, expected or estimated.")] = "confirmed",
    stage: Annotated[str, typer.Option("--stage", help="request, first-meetings or followed.")] = "followed",
    origin: Annotated[str, typer.Option("--origin", help="prison, or outside (no --prison then).")] = "prison",
    source: Annotated[str | None, typer.Option("--source", help="Who made the request: person, family, lawyer, "
                                                                "sps, service or other.")] = None,
    followed_on: Annotated[str | None, typer.Option("--followed-on", help="The team meeting that validated the "
                                                                          "follow-up (default: the intake).")] = None,
    plan_now: Annotated[bool, typer.Option("--plan", help="Make the plan now, before the follow-up.")] = False,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a person with their binôme and needs; the plan is made at once."""
    from raj_release.domain.enums import Certainty, parse_code
    from raj_release.services.persons import register_person  # at call time: the services would slow raj --help

    known = [Milestone(kind=k, date=parse_date(v, opt), certainty=parse_code(Certainty, c, opt + "-certainty"))
             for k, v, c, opt in (
                 (MilestoneKind.TAP_HEARING, hearing, hearing_certainty, "--hearing"),
                 (MilestoneKind.EXPECTED_RELEASE, release, release_certainty, "--release")) if v is not None]
    ctx = shell.context()
    view = register_person(ctx, ref=ref, prison=prison, as_id=as_id, psy_id=psy_id, today=shell.today(ctx, today),
                           situation=situation, needs=needs.split(","), language=lang, name=name,
                           interpreter=interpreter, procedure=procedure, modality=modality,
                           intake=shell.opt_date(intake, "--intake"), milestones=known, stage=stage,
                           origin=origin, source=source, followed_on=shell.opt_date(followed_on, "--followed-on"),
                           plan_now=plan_now, actor=shell.actor())
    if as_json:
        return shell.print_json(view.as_json())
    render.plan(view)


@shell.words(stage="--stage", search="--search", sort="--sort", hearing_within="--hearing-within",
             organisation="--organisation", worker="--worker", page="--page", per_page="--per-page")
def person_list(
    stage: Annotated[str | None, typer.Option("--stage", help="request, first-meetings, followed or closed.")] = None,
    search: Annotated[str | None, typer.Option("--search", help="Part of the reference (any case).")] = None,
    closed: Annotated[bool, typer.Option("--closed", help="List closed files with the others.")] = False,
    prison: Annotated[str | None, typer.Option("--prison", help="Prison code, or 'outside'.")] = None,
    situation: Annotated[str | None, typer.Option("--situation", help="condamne or prevenu.")] = None,
    worker: Annotated[str | None, typer.Option("--worker", help="Files of this worker's binômes.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only files with overdue démarches.")] = False,
    hearing_within: Annotated[int | None, typer.Option("--hearing-within", metavar="N",
                                                       help="Only files with a hearing within N days.")] = None,
    sort: Annotated[str, typer.Option("--sort", help="next-due, overdue, hearing or ref.")] = "next-due",
    organisation: Annotated[str | None, typer.Option("--organisation", "--org",
                                                     help="One organisation's files (default: all).")] = None,
    page: Annotated[int, typer.Option("--page", help="Page number.")] = 1,
    per_page: Annotated[int, typer.Option("--per-page", help="Rows a page.")] = 50,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The file active: persons with their stage, open and overdue démarches, next due date and hearing."""
    from raj_release.services.caseload import list_persons  # at call time: the services would slow raj --help

    ctx = shell.context()
    result = list_persons(ctx, today=shell.today(ctx, today), organisation=organisation, search=search, stage=stage,
                          prison=prison, situation=situation, worker=worker, overdue=overdue,
                          hearing_within=hearing_within, closed=closed, sort=sort, page=page, per_page=per_page)
    if as_json:
        return shell.print_json(result.as_json())
    render.persons(result)


@shell.words(organisation="--organisation")
def caseload(
    organisation: Annotated[str | None, typer.Option("--organisation", "--org",
                                                     help="One organisation (default: every one).")] = None,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Each worker's caseload: open files, their overdue démarches, hearings within 60 days."""
    from raj_release.services.caseload import caseloads  # at call time: the services would slow raj --help

    ctx = shell.context()
    rows = caseloads(ctx, today=shell.today(ctx, today), organisation=organisation)
    if as_json:
        return shell.print_json([r.as_json() for r in rows])
    render.caseloads(rows)


def plan(ref: Annotated[str, typer.Argument(metavar="REF")], today: TodayOpt = None,
         as_json: JsonOpt = False) -> None:
    """Show a person's plan de reclassement."""
    from raj_release.services.persons import show_plan  # at call time: the services would slow raj --help

    ctx = shell.context()
    view = show_plan(ctx, ref, today=shell.today(ctx, today))
    if as_json:
        return shell.print_json(view.as_json())
    render.plan(view)
