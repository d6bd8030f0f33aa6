"""A person's plan page (readiness, timeline, key dates, démarches with their history, notes) and its notes form."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from raj_release import i18n
from raj_release.domain.demarches import OPEN_STATUSES, TRANSITIONS, undoes_done
from raj_release.domain.enums import (
    Certainty,
    CloseReason,
    Language,
    MilestoneKind,
    Modality,
    Need,
    Origin,
    Procedure,
    Responsible,
    Role,
    Situation,
    Source,
    Stage,
    Status,
    parse_code,
)
from raj_release.domain.milestones import TIMELINE_KINDS, Milestone
from raj_release.domain.models import parse_date
from raj_release.errors import RajError, StaleVersion, from_validation
from raj_release.services.access import Viewer
from raj_release.services.history import changes_since, last_event_id, person_history
from raj_release.services.lifecycle import competent_cpas
from raj_release.services.notes import add_note, correct_note, notes_of
from raj_release.services.partners import partners_for
from raj_release.services.persons import binome_choices, register_person, show_plan
from raj_release.services.views import DemarcheView, PlanView
from raj_release.web import charts
from raj_release.web.pages import (
    back_to_plan,
    consents,
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
        raise from_validation(e.errors(), field=what) from None


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
        return _new_page(request, v, data["c"], values, needs, error=f"{lead} {e.worded(lang_of(v))}", status=422)
    return back_to_plan(request, values["ref"])


@router.get("/persons/{ref}")
def plan_page(request: Request, ref: str) -> Response:
    v, data = signed_in(request)
    return _plan(request, v, data["c"], ref)


def _plan(request: Request, v: Viewer, csrf: str, ref: str, status: int = 200,
          conflict: StaleVersion | None = None, seen: str = "") -> Response:
    """The plan page; after a change refused as made on a stale read (`conflict`), the fresh page with what
    was changed since the page the form was on (`seen`, the last audit event that page showed)."""
    ctx = ctx_of(request)
    try:
        today = today_of(request)
        view = show_plan(ctx, ref, today=today, viewer=v)
        history = person_history(ctx, v, ref)
        notes = notes_of(ctx, v, ref)
        extras = leaves.plan_extras(ctx, v, ref, today, view)
        extras.update(consents.plan_extras(ctx, v, ref, today, view))
        last_seen = last_event_id(ctx, v, ref)
        meanwhile = None
        if conflict is not None:
            meanwhile = (changes_since(ctx, v, ref, int(seen)) if seen.isascii() and seen.isdigit()
                         else list(reversed(history[:5])))  # a form that did not say what it saw: the latest
    except RajError as e:
        return refused(request, e)
    lang = lang_of(v)
    as_list, psy_list = binome_choices(ctx, v)
    names = dict(as_list + psy_list)
    in_words(view, ctx.config.templates.by_key, lang)
    by_pillar: dict[str, list] = {}
    for d in view.demarches:
        by_pillar.setdefault(d.pillar, []).append(d)
    marks = [charts.Mark(i18n.label(ms.kind, lang), ms.date, "hearing" if ms.kind == MilestoneKind.TAP_HEARING
                         else "release") for ms in view.milestones if ms.kind in TIMELINE_KINDS]
    picture = charts.timeline([charts.Bar(d.label, d.pillar, d.start, d.due, d.status, d.overdue, d.compressed)
                               for d in view.demarches], marks, today, bands=leaves.leave_bands(extras, lang),
                              lang=lang)
    labels = {t.key: t.label_in(lang) for t in ctx.config.templates}
    in_plan = {d.key for d in view.demarches}
    depends_of = {d.key: [labels.get(k, k) for k in d.depends_on if k in in_plan] for d in view.demarches}
    events_of: dict[str, list] = {}
    for e in history:
        if e.action.startswith("demarche."):
            events_of.setdefault(e.key, []).append(e)
    fits = {d.key: partners_for(ctx, d.key) for d in view.demarches if d.status in OPEN_STATUSES}
    partner_names = {p.id: p.name for p in ctx.config.partners.values()}
    return render(request, "plan.html", status, me=v, csrf=csrf, title=ref, plan=view,
                  by_pillar=list(by_pillar.items()),
                  timeline=picture, history=history, notes=notes, events_of=events_of, kinds=list(MilestoneKind),
                  moved=moved_of(request.query_params.get("moved"), lambda k: labels.get(k)),
                  ready_title=ready_title(view, lang), depends_of=depends_of, error=request.query_params.get("error"),
                  done=request.query_params.get("done"), cpas=competent_cpas(ctx, view.person.prison, lang),
                  prison_name=_prison_name(ctx, view.person.prison, lang), as_list=as_list, psy_list=psy_list,
                  prisons=sorted(((c, pr.name.get(lang) or c) for c, pr in ctx.config.prisons.items()),
                                 key=lambda x: x[1]),
                  all_needs=list(Need), situations=list(Situation), modalities=list(Modality),
                  procedures=list(Procedure), languages=list(Language), names=names,
                  reasons=list(CloseReason), certainties=list(Certainty), seen=last_seen,
                  in_charge=lambda d: in_charge(d, view.person, names, lang), partners_for=lambda key: fits.get(key, []),
                  reopen_to=lambda d: sorted(TRANSITIONS[d.status] & OPEN_STATUSES, key=list(Status).index),
                  undo=_undoable(ctx, view, request.query_params.get("marked")),
                  can_undo=lambda d: _undoable(ctx, view, d.key) is not None,
                  today_banners=today_banners(view, extras["leaves"], today, lang),
                  meanwhile=meanwhile, conflict=conflict,
                  change_words=lambda e: change_words(e, view, names, lang, partner_names),
                  local=lambda t: t.astimezone(ZoneInfo(ctx.settings.timezone)), **extras)


def plan_refused(request: Request, ref: str, v: Viewer, session: dict, e: RajError, seen: str = "") -> Response:
    """A plan form's refusal: a change made on a stale read gives the fresh plan (409) saying who changed
    what meanwhile, so the worker can redo it there; any other refusal comes back to the plan with its line."""
    if isinstance(e, StaleVersion):
        return _plan(request, v, session["c"], ref, 409, conflict=e, seen=seen)
    return refused(request, e, back=lambda error: back_to_plan(request, ref, error=error))


def _undoable(ctx, view: PlanView, key: str | None) -> DemarcheView | None:
    """The démarche just marked done, while its « Fait » may still be undone without a reason."""
    d = next((d for d in view.demarches if d.key == key), None) if key else None
    if d is None or d.completed_at is None or not undoes_done(d.status, Status.IN_PROGRESS, d.completed_at, ctx.now()):
        return None
    return d


def in_charge(d: DemarcheView, person, names: dict[str, str], lang: str) -> str:
    """Who does the démarche, by name: the AS, the psychologue, or both (the binôme's and a partner's)."""
    as_name, psy_name = names.get(person.as_id, person.as_id), names.get(person.psy_id, person.psy_id)
    if d.responsible == Responsible.AS.value:
        return as_name
    if d.responsible == Responsible.PSY.value:
        return psy_name
    if d.responsible == Responsible.PARTNER.value:
        return i18n.tr(lang, "a partner, followed by %(names)s") % {"names": f"{as_name} + {psy_name}"}
    return f"{as_name} + {psy_name}"


def today_banners(view: PlanView, leave_list, today: dt.date, lang: str) -> list[str]:
    """What today is for the person: released today (the actual release), due out today, on leave today."""
    out = []
    for ms in view.milestones:
        if ms.date == today and ms.kind is MilestoneKind.ACTUAL_RELEASE:
            out.append(i18n.tr(lang, "Released today."))
        elif ms.date == today and ms.kind is MilestoneKind.EXPECTED_RELEASE:
            out.append(i18n.tr(lang, "Release expected today."))
    for x in leave_list:
        if x.start <= today <= x.end:
            out.append(i18n.tr(lang, "On leave today: %(kind)s from %(start)s to %(end)s.") % {
                "kind": i18n.label(x.kind, lang), "start": i18n.format_date(x.start, lang),
                "end": i18n.format_date(x.end, lang)})
    return out


CHANGE_WORDS = {  # what an audit event did, in a few words (the list of what changed meanwhile)
    "demarche.status": "changed the status of",
    "demarche.pinned": "pinned the date of",
    "demarche.unpinned": "unpinned the date of",
    "demarche.moved": "replanning moved",
    "demarche.obsolete": "marked as no longer applying",
    "demarche.applies": "marked as applying again",
    "demarche.kept": "kept",
    "milestone.set": "set the key date",
    "plan.scheduled": "made the plan",
    "person.edited": "changed what is known of the person",
    "person.transferred": "recorded a transfer",
    "person.handed_over": "handed the file over",
    "person.stage": "changed the stage of the file",
    "person.closed": "closed the file",
    "person.reopened": "reopened the file",
    "leave.added": "recorded a leave",
    "leave.removed": "removed a leave",
    "visit.added": "recorded a meeting",
    "visit.outcome": "recorded how a meeting went",
    "note.added": "added a note",
    "note.corrected": "corrected a note",
    "consent.given": "recorded a consent",
    "consent.withdrawn": "recorded the withdrawal of a consent",
    "application.sent": "sent to a partner",
    "application.state": "recorded a partner's answer on",
}


def change_words(e, view: PlanView, names: dict[str, str], lang: str, partners: dict[str, str] | None = None) -> str:
    """« Amélie Dupont changed the status of « Vérifier eID »: done »: who did what to what. `partners`: the
    directory's names (a partner answering through its link acts as `partner:<id>`)."""
    what = i18n.tr(lang, CHANGE_WORDS.get(e.action, "changed the file"))
    who = names.get(e.actor, e.actor)
    if e.actor.startswith("partner:"):  # a partner answering through its reply link
        who = (partners or {}).get(e.actor.removeprefix("partner:")) or i18n.tr(lang, "a partner")
    if e.action.startswith(("demarche.", "application.")):
        label = next((d.label for d in view.demarches if d.key == e.key), e.key)
        text = f"{who} {what} « {label} »"
        if e.action == "demarche.status" and e.new and e.new.get("status"):
            text += f": {i18n.label(e.new['status'], lang, 'Status')}"
        return text
    if e.action == "milestone.set":
        return f"{who} {what} « {i18n.label(e.key, lang, 'MilestoneKind')} »"
    return f"{who} {what}"


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


@router.post("/persons/{ref}/notes/{note_id}")
def correct_note_form(request: Request, ref: str, note_id: int, text: str = Form(""),
                      csrf: str = Form("")) -> Response:
    """Its author corrects a note; the earlier text is kept and the note reads « corrigée »."""
    v, _session = signed_in(request, csrf)
    try:
        correct_note(ctx_of(request), v, ref, note_id, text)
    except RajError as e:
        return refused(request, e, back=lambda error: back_to_plan(request, ref, error=error))
    return RedirectResponse(f"/persons/{quote(ref)}#note-{note_id}", status_code=303)
