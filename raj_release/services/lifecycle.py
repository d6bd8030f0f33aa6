"""The life of a file after registration (DOMAIN.md §8.1, §8.3): what is known of the person changes (needs,
situation, modality, procedure, language, interpreter), the person is transferred, the file is handed to
another AS or psychologue, it moves from request to first meetings to followed, it is closed with a reason
and reopened. Every change is audited and replans (services/replan.py): the view says what was added, what
moved and what no longer applies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from raj_release import i18n
from raj_release.domain.demarches import FINAL_STATUSES
from raj_release.domain.enums import (
    CloseReason,
    Language,
    Modality,
    NotMetReason,
    Procedure,
    Situation,
    Stage,
    Status,
    parse_code,
)
from raj_release.domain.models import check_day, check_reason
from raj_release.errors import Conflict, Named, RajError
from raj_release.services import audit
from raj_release.services.access import Viewer
from raj_release.services.context import Context
from raj_release.services.persons import check_binome, parse_needs
from raj_release.services.replan import bump, check_version, iso, load_person, replan, view_of
from raj_release.services.views import DemarcheState, MoveView, Outcome, PlanView
from raj_release.store import models as m

# the order of the stages a file goes through; closing and reopening are their own actions
_ORDER = {Stage.REQUEST: 0, Stage.FIRST_MEETINGS: 1, Stage.FOLLOWED: 2}


def _open(p: m.Person) -> None:
    if p.stage == Stage.CLOSED.value:
        raise Conflict("the file of '{ref}' is closed; reopen it first", field="stage", ref=p.ref)


def _replanned(s: Session, ctx: Context, p: m.Person, today: dt.date, actor: str, reason: str | None,
               now: dt.datetime) -> PlanView:
    s.flush()
    result, rows = replan(s, ctx, p, today, actor=actor, reason=reason)
    bump(ctx, p, now)
    return view_of(s, ctx, p, today, demarches=rows, result=result)


def _opt(enum, value: str | None, field: str):
    """None: keep; "" or "none": clear; else the code."""
    if value is None:
        return ...
    value = value.strip()
    return None if value in ("", "none") else parse_code(enum, value, field)


def edit_person(ctx: Context, ref: str, *, today: dt.date, needs: Iterable[str] | None = None,
                situation: str | None = None, modality: str | None = None, procedure: str | None = None,
                language: str | None = None, interpreter: bool | None = None, as_id: str | None = None,
                psy_id: str | None = None, reason: str | None = None, actor: str = "system",
                viewer: Viewer | None = None, expected_version: int | None = None) -> PlanView:
    """Change what is known of the person (None keeps a field; "" clears the modality or the procedure),
    and the binôme (`as_id`/`psy_id`: a hand-over, with its reason); the plan follows. Nothing changes:
    no event, no new version."""
    new_needs = sorted(n.value for n in parse_needs(needs)) if needs is not None else None
    sit = parse_code(Situation, situation, "situation") if situation else None
    mod = _opt(Modality, modality, "modality")
    proc = _opt(Procedure, procedure, "procedure")
    lang = parse_code(Language, language, "language") if language else None
    reason = check_reason(reason)
    as_id = (as_id or "").strip() or None
    psy_id = (psy_id or "").strip() or None
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        check_version(p, expected_version)
        _open(p)
        wanted = {k: v for k, v in (("needs", new_needs), ("situation", sit.value if sit else None),
                                    ("language", lang.value if lang else None), ("interpreter", interpreter))
                  if v is not None}
        for k, v in (("modality", mod), ("procedure", proc)):
            if v is not ...:
                wanted[k] = v.value if v is not None else None
        old, new = {}, {}
        for k, v in wanted.items():
            if getattr(p, k) != v:
                old[k], new[k] = getattr(p, k), v
        if as_id or psy_id:
            _check_hand_over(s, p, as_id or p.as_id, psy_id or p.psy_id, reason)
            for k, v in (("as_id", as_id), ("psy_id", psy_id)):
                if v and v != getattr(p, k):
                    old[k], new[k] = getattr(p, k), v
        if not new:
            return view_of(s, ctx, p, today)
        now = ctx.now()
        for k, v in new.items():
            setattr(p, k, v)
        p.updated_at = now
        binome = {"as_id", "psy_id"} & new.keys()
        if binome:
            audit.record(s, ctx, actor, "person.handed_over", "person", ref, person_id=p.id,
                         old={k.removesuffix("_id"): old[k] for k in binome},
                         new={k.removesuffix("_id"): new[k] for k in binome}, reason=reason)
        facts = new.keys() - binome
        if facts:
            audit.record(s, ctx, actor, "person.edited", "person", ref, person_id=p.id,
                         old={k: old[k] for k in facts}, new={k: new[k] for k in facts}, reason=reason)
        return _replanned(s, ctx, p, today, actor, reason or "what is known of the person changed", now)


def _check_hand_over(s: Session, p: m.Person, as_id: str, psy_id: str, reason: str | None) -> None:
    if (as_id, psy_id) == (p.as_id, p.psy_id):
        raise Conflict("the file of '{ref}' is already with {as_id} and {psy_id}", field="as_id/psy_id", ref=p.ref,
                       as_id=as_id, psy_id=psy_id)
    if reason is None:
        raise RajError("say why the file changes hands", field="reason")
    found = {w.id: w for w in s.scalars(select(m.Worker).where(m.Worker.id.in_([as_id, psy_id])))}
    as_w, psy_w = found.get(as_id), found.get(psy_id)
    # another organisation's worker does not exist for this file
    as_w = as_w if as_w is not None and as_w.organisation_id == p.organisation_id else None
    psy_w = psy_w if psy_w is not None and psy_w.organisation_id == p.organisation_id else None
    check_binome(as_w, psy_w, as_id, psy_id)


def hand_over(ctx: Context, ref: str, *, today: dt.date, reason: str, as_id: str | None = None,
              psy_id: str | None = None, actor: str = "system", viewer: Viewer | None = None,
              expected_version: int | None = None) -> PlanView:
    """Hand the file to another AS and/or psychologue of the same organisation (active, right roles), with
    a reason. The démarches follow the binôme (they are routed by role)."""
    if not (as_id or "").strip() and not (psy_id or "").strip():
        raise RajError("name the new AS or psychologue", field="as_id/psy_id")
    if check_reason(reason) is None:
        raise RajError("say why the file changes hands", field="reason")
    return edit_person(ctx, ref, today=today, as_id=as_id, psy_id=psy_id, reason=reason, actor=actor,
                       viewer=viewer, expected_version=expected_version)


def transfer_person(ctx: Context, ref: str, *, prison: str, date: dt.date, today: dt.date,
                    reason: str | None = None, actor: str = "system", viewer: Viewer | None = None,
                    expected_version: int | None = None) -> PlanView:
    """The person is transferred to another prison on `date`; the competent CPAS (for a person not
    domiciled) is that of the new prison's commune (prisons.yaml), shown with the plan."""
    prison = (prison or "").strip()
    if prison not in ctx.config.prisons:
        raise RajError("unknown prison '{prison}' (see prisons.yaml)", field="prison", prison=prison)
    check_day(date, "date")
    reason = check_reason(reason)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        check_version(p, expected_version)
        _open(p)
        if p.prison == prison:
            raise Conflict("'{ref}' is already in {prison}", field="prison", ref=ref,
                           prison=Named(prison, ctx.config.prisons[prison].name))
        now = ctx.now()
        audit.record(s, ctx, actor, "person.transferred", "person", ref, person_id=p.id,
                     old={"prison": p.prison, "since": iso(p.prison_since)},
                     new={"prison": prison, "since": date.isoformat()}, reason=reason)
        p.prison, p.prison_since = prison, date
        if p.origin == "outside":
            p.origin = "prison"  # the request came from outside; the person is now in prison
        p.updated_at = now
        return _replanned(s, ctx, p, today, actor, reason or f"transferred to {prison}", now)


def competent_cpas(ctx: Context, prison: str | None, lang: str) -> str | None:
    """The commune whose CPAS is competent for a detainee who is not domiciled: the prison's (DOMAIN.md §3.3)."""
    pr = ctx.config.prisons.get(prison or "")
    if pr is None or not pr.commune:
        return None
    return pr.commune.get(lang) or next(iter(pr.commune.values()))


def set_stage(ctx: Context, ref: str, stage: str, *, today: dt.date, date: dt.date | None = None,
              plan_now: bool = False, reason: str | None = None, actor: str = "system",
              viewer: Viewer | None = None, expected_version: int | None = None) -> PlanView:
    """Move the file forward: request → first meetings → followed (validated in team meeting on `date`,
    default today: the plan is made then). `plan_now` makes the plan before the follow-up is validated (the
    binôme asks), also without moving the stage. No going back; closing is `close_person`."""
    st = parse_code(Stage, stage, "stage")
    if st is Stage.CLOSED:
        raise RajError("closing a file takes a reason: close it rather", field="stage")
    if date is not None:
        check_day(date, "date")
        if st is not Stage.FOLLOWED:
            raise RajError("only the follow-up's validation has a date", field="date")
    reason = check_reason(reason)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        check_version(p, expected_version)
        _open(p)
        cur = Stage(p.stage)
        if _ORDER[st] < _ORDER[cur]:
            raise Conflict("the file of '{ref}' is {stage}: it cannot go back to {new}", field="stage", ref=ref,
                           stage=cur, new=st)
        if st is cur and not (plan_now and not p.planned):
            if plan_now:
                raise Conflict("the file of '{ref}' is already {stage} and its plan is made", field="stage", ref=ref,
                               stage=cur)
            raise Conflict("the file of '{ref}' is already {stage}", field="stage", ref=ref, stage=cur)
        now = ctx.now()
        old = {"stage": cur.value, "planned": p.planned}
        p.stage = st.value
        if st is Stage.FOLLOWED:
            p.followed_on = date or today
        p.planned = p.planned or plan_now or st is Stage.FOLLOWED
        audit.record(s, ctx, actor, "person.stage", "person", ref, person_id=p.id, old=old,
                     new={"stage": st.value, "planned": p.planned, "followed_on": iso(p.followed_on)},
                     reason=reason)
        p.updated_at = now
        return _replanned(s, ctx, p, today, actor, reason or f"stage {st.value}", now)


def _open_rows(p: m.Person) -> list[m.Demarche]:
    return sorted((d for d in p.demarches if Status(d.status) not in FINAL_STATUSES),
                  key=lambda d: (d.due or dt.date.max, d.key))


def closing_preview(ctx: Context, ref: str, *, viewer: Viewer | None = None) -> list[MoveView]:
    """The open démarches a closure would cancel (listed before one confirms), labels in the person's
    language."""
    with ctx.db.reading() as s:
        p = load_person(s, ref, for_update=False, viewer=viewer)
        _open(p)
        by_key = ctx.config.templates.by_key
        return [MoveView.model_construct(key=d.key, label=by_key[d.key].label_in(p.language) if d.key in by_key
                                         else d.key, old_due=d.due, new_due=None) for d in _open_rows(p)]


def close_person(ctx: Context, ref: str, *, reason: str, today: dt.date, detail: str | None = None,
                 to_service: str | None = None, why: str | None = None, date: dt.date | None = None,
                 actor: str = "system", viewer: Viewer | None = None,
                 expected_version: int | None = None) -> PlanView:
    """Close the file with a reason (handed-over names the service, not-met its NotMetReason, other a
    detail) on `date` (default today); its open démarches are cancelled in the same step, with the
    reason « dossier clôturé : … », and listed in the view (`closed`)."""
    r = parse_code(CloseReason, reason, "reason")
    nm = parse_code(NotMetReason, why, "why") if why else None
    detail = check_reason(detail, "detail")
    to_service = check_reason(to_service, "to_service")
    if r is CloseReason.HANDED_OVER and to_service is None:
        raise RajError("handed over to which service?", field="to_service")
    if r is not CloseReason.HANDED_OVER and to_service is not None:
        raise RajError("only a file handed over goes to another service", field="to_service")
    if r is CloseReason.NOT_MET and nm is None:
        raise RajError("why was the request not met?", field="why")
    if r is not CloseReason.NOT_MET and nm is not None:
        raise RajError("the reason a request was not met goes with the reason {not_met}", field="why",
                       not_met=CloseReason.NOT_MET)
    if r is CloseReason.OTHER and detail is None:
        raise RajError("say what the other reason is", field="detail")
    day = check_day(date or today, "date")
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        check_version(p, expected_version)
        _open(p)
        if r is CloseReason.NOT_MET and p.stage == Stage.FOLLOWED.value:
            raise Conflict("the file of '{ref}' is followed: the person was met", field="reason", ref=ref)
        now = ctx.now()
        lang = p.language
        words = i18n.label(r, lang) + (f" ({i18n.label(nm, lang)})" if nm else "") + \
            (f" — {to_service}" if to_service else "") + (f" — {detail}" if detail else "")
        why_text = f"{i18n.tr(lang, 'file closed')} : {words}"[:1000]
        rows = _open_rows(p)
        closed = [(d.key, d.due, d.due) for d in rows]
        events = []
        for d in rows:
            events.append(dict(actor=actor, action="demarche.status", entity="demarche", entity_key=d.key,
                               person_id=p.id, old={"status": d.status, "partner": d.partner_id},
                               new={"status": Status.CANCELLED.value, "partner": None}, reason=why_text))
            d.status, d.reason, d.partner_id, d.obsolete, d.updated_at = Status.CANCELLED.value, why_text, None, \
                False, now
        audit.record(s, ctx, actor, "person.closed", "person", ref, person_id=p.id,
                     old={"stage": p.stage},
                     new={"stage": Stage.CLOSED.value, "closed_on": day.isoformat(), "reason": r.value,
                          "why": nm.value if nm else None, "to_service": to_service,
                          "cancelled": [d.key for d in rows]}, reason=detail)
        audit.record_many(s, ctx, events)
        p.stage_before_close = p.stage
        p.stage, p.closed_on, p.close_reason = Stage.CLOSED.value, day, r.value
        p.not_met_reason, p.close_detail, p.close_to_service = nm.value if nm else None, detail, to_service
        p.updated_at = now
        bump(ctx, p, now)
        s.flush()
        return view_of(s, ctx, p, today, outcome=Outcome(closed=closed))


def reopen_person(ctx: Context, ref: str, *, reason: str, today: dt.date, actor: str = "system",
                  viewer: Viewer | None = None, expected_version: int | None = None) -> PlanView:
    """Reopen a closed file: back to the stage it had, and the démarches the closure cancelled are planned
    again (those the binôme had finished or cancelled before stay as they were), then replanned: dates
    move, and those that no longer apply are marked obsolete."""
    reason = check_reason(reason)
    if reason is None:
        raise RajError("say why the file is reopened", field="reason")
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        check_version(p, expected_version)
        if p.stage != Stage.CLOSED.value:
            raise Conflict("the file of '{ref}' is not closed ({stage})", field="stage", ref=ref, stage=Stage(p.stage))
        closing = s.scalar(select(m.AuditEvent).where(m.AuditEvent.person_id == p.id,
                                                      m.AuditEvent.action == "person.closed")
                           .order_by(m.AuditEvent.id.desc()).limit(1))
        cancelled = set((closing.new or {}).get("cancelled", [])) if closing is not None else set()
        now = ctx.now()
        back = Stage(p.stage_before_close or Stage.FOLLOWED.value)
        audit.record(s, ctx, actor, "person.reopened", "person", ref, person_id=p.id,
                     old={"stage": p.stage, "closed_on": iso(p.closed_on), "reason": p.close_reason},
                     new={"stage": back.value, "reopened": sorted(cancelled)}, reason=reason)
        reopened = []
        events = []
        for d in p.demarches:
            if d.key in cancelled and d.status == Status.CANCELLED.value:
                events.append(dict(actor=actor, action="demarche.status", entity="demarche", entity_key=d.key,
                                   person_id=p.id, old={"status": d.status, "partner": None},
                                   new={"status": Status.PLANNED.value, "partner": None}, reason=reason))
                d.status, d.reason, d.updated_at = Status.PLANNED.value, reason, now
                reopened.append(d)
        audit.record_many(s, ctx, events)
        p.stage, p.stage_before_close, p.closed_on = back.value, None, None
        p.close_reason = p.not_met_reason = p.close_detail = p.close_to_service = None
        p.updated_at = now
        s.flush()
        result, rows = replan(s, ctx, p, today, actor=actor, reason=reason)
        bump(ctx, p, now)
        due = {r.key: r.due for r in rows}
        o = result.outcome
        outcome = Outcome(added=o.added, no_longer_applies=o.no_longer_applies, applies_again=o.applies_again,
                          reopened=[(d.key, None, due.get(d.key)) for d in reopened])
        return view_of(s, ctx, p, today, demarches=rows, result=result, outcome=outcome)


def settle_obsolete(ctx: Context, ref: str, key: str, *, keep: bool, today: dt.date, actor: str = "system",
                    viewer: Viewer | None = None, expected_version: int | None = None) -> PlanView:
    """An obsolete démarche proposed for closing: close it (cancelled, « ne s'applique plus ») or keep it
    (then pinned at its date: the binôme decided it stays, and replanning leaves it)."""
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        check_version(p, expected_version)
        d = next((x for x in p.demarches if x.key == key), None)
        if d is None or not d.obsolete or Status(d.status) in FINAL_STATUSES:
            raise Conflict("démarche '{key}' of '{ref}' is not proposed for closing", field="key",
                           key=Named.demarche(ctx, key), ref=ref)
        now = ctx.now()
        if keep:
            audit.record(s, ctx, actor, "demarche.kept", "demarche", key, person_id=p.id,
                         old={"obsolete": True}, new={"obsolete": False, "pinned": True})
            d.obsolete, d.pinned = False, True
        else:
            text = i18n.tr(p.language, "no longer applies")
            audit.record(s, ctx, actor, "demarche.status", "demarche", key, person_id=p.id,
                         old={"status": d.status, "partner": d.partner_id},
                         new={"status": Status.CANCELLED.value, "partner": None}, reason=text)
            d.status, d.reason, d.partner_id, d.obsolete = Status.CANCELLED.value, text, None, False
        d.updated_at = now
        bump(ctx, p, now)
        s.flush()
        return view_of(s, ctx, p, today, demarches=[DemarcheState.of(x) for x in p.demarches])
