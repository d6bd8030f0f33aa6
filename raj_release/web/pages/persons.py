"""A person's plan page (readiness, timeline, key dates, démarches with their history, notes) and its notes form."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from raj_release import i18n
from raj_release.domain.enums import (
    Certainty,
    CloseReason,
    Language,
    MilestoneKind,
    Modality,
    Need,
    Origin,
    Procedure,
    Role,
    Situation,
    Source,
    Stage,
    parse_code,
)
from raj_release.domain.milestones import TIMELINE_KINDS, Milestone
from raj_release.domain.models import parse_date
from raj_release.errors import RajError
from raj_release.services.history import person_history
from raj_release.services.lifecycle import competent_cpas
from raj_release.services.notes import add_note, notes_of
from raj_release.services.persons import binome_choices, register_person, show_plan
from raj_release.web import charts
from raj_release.web.pages import (
    back_to_plan,
    ctx_of,
    lang_of,
    leaves,
    moved_of,
    refused,
    render,
    signed_in,
    today_of,
)

router = APIRouter()

NEW_FIELDS = ("ref", "stage", "origin", "source", "prison", "situation", "modality", "procedure", "language",
              "interpreter", "as_id", "psy_id", "intake", "hearing", "hearing_certainty", "hearing_earliest",
              "hearing_latest", "release", "release_certainty", "release_earliest", "release_latest", "plan")


def _new_page(request: Request, v, csrf: str, values: dict, needs: list[str], error: str | None = None,
              status: int = 200) -> Response:
    ctx = ctx_of(request)
    lang = lang_of(v)
    as_list, psy_list = binome_choices(ctx, v)
    prisons = sorted(((code, pr.name.get(lang) or code) for code, pr in ctx.config.prisons.items()),
                     key=lambda x: x[1])
    return render(request, "person_new.html", status, me=v, csrf=csrf, title=i18n.tr(lang, "New file"),
                  values=values, needs_checked=set(needs), prisons=prisons, as_list=as_list, psy_list=psy_list,
                  stages=[s for s in Stage if s is not Stage.CLOSED], origins=list(Origin), sources=list(Source),
                  situations=list(Situation), modalities=list(Modality), procedures=list(Procedure),
                  all_needs=list(Need), languages=list(Language), certainties=list(Certainty), error=error)


@router.get("/persons/new")
def new_person_page(request: Request) -> Response:
    v, data = signed_in(request)
    return _new_page(request, v, data["c"], {"stage": "followed", "origin": "prison", "situation": "condamne",
                                            "language": "fr", "as_id": v.id if v.role is Role.AS else "",
                                            "psy_id": v.id if v.role is Role.PSY else ""}, [])


def _known(values: dict, what: str, kind: MilestoneKind) -> Milestone | None:
    if not values.get(what):
        return None
    day = parse_date(values[what], what)
    lo = parse_date(values[f"{what}_earliest"], f"{what}_earliest") if values.get(f"{what}_earliest") else None
    hi = parse_date(values[f"{what}_latest"], f"{what}_latest") if values.get(f"{what}_latest") else None
    try:
        return Milestone(kind=kind, date=day, earliest=lo, latest=hi,
                         certainty=parse_code(Certainty, values.get(f"{what}_certainty") or "confirmed", what))
    except ValidationError as e:
        raise RajError(e.errors()[0]["msg"].removeprefix("Value error, "), field=what) from None


@router.post("/persons/new")
async def new_person_form(request: Request) -> Response:
    form = await request.form()
    v, data = signed_in(request, str(form.get("csrf", "")))
    values = {k: str(form.get(k, "")).strip() for k in NEW_FIELDS}
    needs = [str(x) for x in form.getlist("needs")]
    try:
        known = [x for x in (_known(values, "hearing", MilestoneKind.TAP_HEARING),
                             _known(values, "release", MilestoneKind.EXPECTED_RELEASE)) if x is not None]
        register_person(ctx_of(request), ref=values["ref"], prison=values["prison"] or None, as_id=values["as_id"],
                        psy_id=values["psy_id"], today=today_of(request), situation=values["situation"] or "condamne",
                        needs=needs, language=values["language"] or "fr", interpreter=values["interpreter"] == "1",
                        procedure=values["procedure"] or None, modality=values["modality"] or None,
                        intake=parse_date(values["intake"], "intake") if values["intake"] else None,
                        milestones=known, stage=values["stage"] or "followed", origin=values["origin"] or "prison",
                        source=values["source"] or None, plan_now=values["plan"] == "1", actor=v.id, viewer=v)
    except RajError as e:
        lead = i18n.tr(lang_of(v), "The file was not registered:")
        return _new_page(request, v, data["c"], values, needs, error=f"{lead} {e}", status=422)
    return back_to_plan(request, values["ref"])


@router.get("/persons/{ref}")
def plan_page(request: Request, ref: str) -> Response:
    v, data = signed_in(request)
    ctx = ctx_of(request)
    try:
        today = today_of(request)
        view = show_plan(ctx, ref, today=today, viewer=v)
        history = person_history(ctx, v, ref)
        notes = notes_of(ctx, v, ref)
        extras = leaves.plan_extras(ctx, v, ref, today, view)
    except RajError as e:
        return refused(request, e)
    lang = lang_of(v)
    as_list, psy_list = binome_choices(ctx, v)
    names = dict(as_list + psy_list)
    in_words(view, ctx.config.templates.by_key, lang)
    by_pillar: dict[str, list] = {}
    for d in view.demarches:
        by_pillar.setdefault(d.pillar, []).append(d)
    marks = [(i18n.label(ms.kind, lang), ms.date) for ms in view.milestones if ms.kind in TIMELINE_KINDS]
    picture = charts.timeline([charts.Bar(d.label, d.pillar, d.start, d.due, d.status, d.overdue)
                               for d in view.demarches], marks, today, bands=leaves.leave_bands(extras, lang))
    labels = {t.key: t.label_in(lang) for t in ctx.config.templates}
    in_plan = {d.key for d in view.demarches}
    depends_of = {d.key: [labels.get(k, k) for k in d.depends_on if k in in_plan] for d in view.demarches}
    events_of: dict[str, list] = {}
    for e in history:
        if e.action.startswith("demarche."):
            events_of.setdefault(e.key, []).append(e)
    return render(request, "plan.html", me=v, csrf=data["c"], title=ref, plan=view, by_pillar=list(by_pillar.items()),
                  timeline=picture, history=history, notes=notes, events_of=events_of, kinds=list(MilestoneKind),
                  moved=moved_of(request.query_params.get("moved"), lambda k: labels.get(k)),
                  ready_title=ready_title(view, lang), depends_of=depends_of, error=request.query_params.get("error"),
                  done=request.query_params.get("done"), cpas=competent_cpas(ctx, view.person.prison, lang),
                  prison_name=_prison_name(ctx, view.person.prison, lang), as_list=as_list, psy_list=psy_list,
                  prisons=sorted(((c, pr.name.get(lang) or c) for c, pr in ctx.config.prisons.items()),
                                 key=lambda x: x[1]),
                  all_needs=list(Need), situations=list(Situation), modalities=list(Modality),
                  procedures=list(Procedure), languages=list(Language), names=names,
                  reasons=list(CloseReason), **extras)


def in_words(view, templates, lang: str) -> None:
    """The plan's démarches labelled in the reader's language (the view has the person's)."""
    for d in (*view.demarches, *view.changes):
        t = templates.get(d.key)
        if t is not None:
            d.label = t.label_in(lang)


def ready_title(view, lang: str) -> str:
    """The readiness heading: ready for the hearing, or for the release when there is no hearing to prepare
    (a prévenu, a sentence served to its end)."""
    p = view.person
    if p.situation == Situation.PREVENU.value or p.modality == Modality.FOND_DE_PEINE.value:
        return i18n.tr(lang, "Ready for the release")
    return i18n.tr(lang, "Ready for the hearing")


def _prison_name(ctx, code: str | None, lang: str) -> str | None:
    pr = ctx.config.prisons.get(code or "")
    return (pr.name.get(lang) or code) if pr is not None else None


@router.post("/persons/{ref}/notes")
def add_note_form(request: Request, ref: str, text: str = Form(""), csrf: str = Form("")) -> Response:
    v, _session = signed_in(request, csrf)
    try:
        add_note(ctx_of(request), v, ref, text)
    except RajError as e:
        return refused(request, e, back=lambda error: back_to_plan(request, ref, error=error))
    return back_to_plan(request, ref)
