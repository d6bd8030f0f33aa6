"""Persons followed by a binôme: registering one with their first plan, a person's plan (the file active:
services/caseload.py)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from types import SimpleNamespace

from sqlalchemy import insert, select

from raj_release.domain.enums import (
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
from raj_release.domain.milestones import Milestone
from raj_release.domain.models import REF_PATTERN, check_day
from raj_release.errors import Conflict, Forbidden, NotFound, RajError
from raj_release.planning.scheduler import Subject, plan
from raj_release.services import audit
from raj_release.services.access import Viewer
from raj_release.services.context import Context
from raj_release.services.replan import iso, load_person, new_rows, state_of_new, view_of
from raj_release.services.views import PlanView, person_summary, plan_view
from raj_release.store import models as m


def parse_needs(values: Iterable[str]) -> frozenset[Need]:
    return frozenset(parse_code(Need, v.strip(), "needs") for v in values if v.strip())


def register_person(ctx: Context, *, ref: str, prison: str | None, as_id: str, psy_id: str, today: dt.date,
                    situation: str = "condamne", needs: Iterable[str] = (), language: str = "fr",
                    name: str | None = None, interpreter: bool = False, procedure: str | None = None,
                    modality: str | None = None, intake: dt.date | None = None,
                    milestones: Iterable[Milestone] = (), stage: str = "followed", origin: str = "prison",
                    source: str | None = None, followed_on: dt.date | None = None, plan_now: bool = False,
                    actor: str = "system", viewer: Viewer | None = None) -> PlanView:
    """Register a person and make their first plan, in one transaction. `milestones` known at
    registration (a hearing date, an expected release) are stored with it, so the plan is written once.

    A file starts as a request, first meetings, or followed (the default: a follow-up validated in team
    meeting on `followed_on`, by default the intake). The plan is made for a followed file, or earlier with
    `plan_now`. A request from outside (`origin` "outside", « hors établissement ») has no prison. With a
    `viewer` (the web form, the API), the binôme must be of the viewer's organisation."""
    if viewer is not None and viewer.role is Role.ADMIN:
        raise Forbidden("an administrator manages accounts and registers no person")
    if not re.fullmatch(REF_PATTERN, ref or ""):
        raise RajError("'{ref}' is not a valid reference (letters, digits, '.', '_', '-'; at most 40)",
                       field="ref", ref=ref)
    st = parse_code(Stage, stage, "stage")
    if st is Stage.CLOSED:
        raise RajError("a file cannot be registered closed; use {allowed}", field="stage",
                       allowed=[Stage.REQUEST, Stage.FIRST_MEETINGS, Stage.FOLLOWED])
    org = parse_code(Origin, origin, "origin")
    src = parse_code(Source, source, "source") if source else None
    prison = (prison or "").strip() or None
    if org is Origin.OUTSIDE and prison is not None:
        raise RajError("a request from outside (« hors établissement ») has no prison; leave it out", field="prison")
    if org is Origin.PRISON and prison is None:
        raise RajError("which prison? (for a request from outside, the origin is {outside})", field="prison",
                       outside=Origin.OUTSIDE)
    if prison is not None and prison not in ctx.config.prisons:
        raise RajError("unknown prison '{prison}' (see prisons.yaml)", field="prison", prison=prison)
    sit = parse_code(Situation, situation, "situation")
    need_set = parse_needs(needs)
    lang = parse_code(Language, language, "language")
    proc = parse_code(Procedure, procedure, "procedure") if procedure else None
    mod = parse_code(Modality, modality, "modality") if modality else None
    intake_date = check_day(intake or today, "intake")
    if followed_on is not None and st is not Stage.FOLLOWED:
        raise RajError("only a followed file has the date its follow-up was validated", field="followed_on")
    validated = check_day(followed_on or intake_date, "followed_on") if st is Stage.FOLLOWED else None
    planned = st is Stage.FOLLOWED or plan_now
    with ctx.db.transaction() as s:
        if s.scalar(select(m.Person.id).where(m.Person.ref == ref)) is not None:
            raise Conflict("person '{ref}' already exists", field="ref", ref=ref)
        found = {w.id: (w, code) for w, code in s.execute(
            select(m.Worker, m.Organisation.code).join(m.Organisation).where(m.Worker.id.in_([as_id, psy_id])))}
        as_w, psy_w = (found.get(as_id) or (None,))[0], (found.get(psy_id) or (None,))[0]
        if viewer is not None:  # the workspace: only one's own organisation's workers exist
            as_w = as_w if as_w is not None and as_w.organisation_id == viewer.organisation_id else None
            psy_w = psy_w if psy_w is not None and psy_w.organisation_id == viewer.organisation_id else None
        check_binome(as_w, psy_w, as_id, psy_id)
        now = ctx.now()
        known = [Milestone(kind=MilestoneKind.INTAKE, date=intake_date)]
        for ms in milestones:
            if ms.kind is MilestoneKind.INTAKE:
                raise RajError("give the intake date as the intake, not as a milestone", field="milestones")
            check_day(ms.date, "milestones")
            known.append(ms)
        # The first plan is pure: compute it first, then write person, milestones, démarches and the audit
        # event with one statement each (registering 10,000 persons is a benchmark of its own).
        subject = Subject(needs=need_set, situation=sit, modality=mod, procedure=proc)
        result = plan(ctx.config.templates, subject, {x.kind: x for x in known}, ctx.config.calendar_for(found[as_id][1]), today,
                      {}, ctx.config.policy) if planned else None
        demarches = result.demarches if result is not None else []
        person_row = dict(ref=ref, organisation_id=as_w.organisation_id, name=name, prison=prison,
                          prison_since=None, stage=st.value, origin=org.value, source=src.value if src else None,
                          followed_on=validated, planned=planned, closed_on=None, close_reason=None,
                          not_met_reason=None, close_detail=None, close_to_service=None, stage_before_close=None,
                          language=lang.value, interpreter=interpreter, situation=sit.value,
                          procedure=proc.value if proc else None, modality=mod.value if mod else None,
                          needs=sorted(n.value for n in need_set), as_id=as_id, psy_id=psy_id, version=1,
                          plan_mode=result.mode if result is not None else "full",
                          compressed_at_creation=any(d.compressed for d in demarches),
                          created_at=now, updated_at=now)
        conn = s.connection()
        pid = conn.execute(insert(m.Person.__table__).returning(m.Person.__table__.c.id), person_row).scalar_one()
        ms_rows = [dict(person_id=pid, kind=x.kind.value, date=x.date, earliest=x.earliest, latest=x.latest,
                        certainty=x.certainty.value, updated_at=now, updated_by=actor) for x in known]
        conn.execute(insert(m.Milestone.__table__), ms_rows)
        dem_rows = new_rows(pid, demarches, now)
        if dem_rows:
            conn.execute(insert(m.Demarche.__table__), dem_rows)
        audit.record_many(s, ctx, [dict(
            actor=actor, action="person.registered", entity="person", entity_key=ref, person_id=pid,
            new={"prison": prison, "situation": sit.value, "needs": person_row["needs"], "as": as_id,
                 "psy": psy_id, "intake": intake_date.isoformat(), "stage": st.value, "origin": org.value,
                 "source": person_row["source"], "interpreter": interpreter,
                 "milestones": {x.kind.value: x.date.isoformat() for x in known},
                 "plan": {d.key: iso(d.due) for d in demarches}})])
        # the view is built from what was written, without reading it back
        person = person_summary(SimpleNamespace(**person_row), found[as_id][1])
        return plan_view(ctx, person, [SimpleNamespace(**r) for r in ms_rows],
                         [state_of_new(r) for r in dem_rows], person_row["plan_mode"], today)


def check_binome(as_w: m.Worker | None, psy_w: m.Worker | None, as_id: str, psy_id: str) -> None:
    """The two workers of a binôme exist, are active, have the right roles and one organisation."""
    if as_w is None:
        raise NotFound("unknown worker '{worker}'", field="as_id", worker=as_id)
    if psy_w is None:
        raise NotFound("unknown worker '{worker}'", field="psy_id", worker=psy_id)
    if as_w.role != Role.AS.value:
        raise RajError("worker '{worker}' is {role}, not {wanted}", field="as_id", worker=as_id,
                       role=Role(as_w.role), wanted=Role.AS)
    if psy_w.role != Role.PSY.value:
        raise RajError("worker '{worker}' is {role}, not {wanted}", field="psy_id", worker=psy_id,
                       role=Role(psy_w.role), wanted=Role.PSY)
    for w, f in ((as_w, "as_id"), (psy_w, "psy_id")):
        if not w.active:
            raise RajError("worker '{worker}' is no longer active", field=f, worker=w.id)
    if as_w.organisation_id != psy_w.organisation_id:
        raise RajError("the binôme's two workers belong to different organisations", field="as_id/psy_id")


def binome_choices(ctx: Context, v: Viewer) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The active AS and psychologues of the viewer's organisation, as (id, name), by name (the forms'
    selects)."""
    with ctx.db.reading() as s:
        rows = s.execute(select(m.Worker.id, m.Worker.name, m.Worker.role)
                         .where(m.Worker.organisation_id == v.organisation_id, m.Worker.active.is_(True),
                                m.Worker.role.in_([Role.AS.value, Role.PSY.value]))
                         .order_by(m.Worker.name, m.Worker.id)).all()
    return ([(i, n) for i, n, r in rows if r == Role.AS.value], [(i, n) for i, n, r in rows if r == Role.PSY.value])


def show_plan(ctx: Context, ref: str, *, today: dt.date, viewer: Viewer | None = None) -> PlanView:
    """The plan; read through the workspace or the API (`viewer`), the read is written to the audit log."""
    with ctx.db.transaction() as s:
        p = load_person(s, ref, for_update=False, viewer=viewer)
        if viewer is not None:
            audit.record(s, ctx, viewer.id, "person.read", "person", ref, person_id=p.id)
        return view_of(s, ctx, p, today)
