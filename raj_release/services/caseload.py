"""The file active and the caseloads.

- `list_persons`: the persons one may see (a worker: their binômes' files; a coordinator: the organisation's;
  the CLI: everyone, or one organisation), searched by reference (a case-insensitive substring), filtered
  (stage, prison, situation, binôme, with overdue démarches, hearing within N days, closed files), sorted
  (next due, most overdue, hearing, reference), counted (how many match, how many in each stage) and one page
  of rows with their open and overdue démarches.
- `caseloads`: for coordinators, each worker's open files, overdue démarches (their own: routed to them, see
  domain/demarches.py `concerns`) and hearings within 60 days.

A row's "next due" is the earliest due date of its open démarches that still apply, an overdue one included
(a date before today is late); the database keeps it on the person (`person.first_due`, migration 0008), so
that 30,000 files sort and filter on it without adding up their million démarches. The few rows of a page
count their démarches in one grouped query.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from pydantic import Field
from sqlalchemy import and_, case, false, func, select
from sqlalchemy.orm import aliased

from raj_release.domain.demarches import OPEN_VALUES, concerns
from raj_release.domain.enums import MilestoneKind, Role, Situation, Stage, parse_code
from raj_release.errors import Forbidden, NotFound, RajError
from raj_release.services import figures
from raj_release.services.access import Viewer, person_scope
from raj_release.services.context import Context
from raj_release.services.views import View
from raj_release.store import models as m
from raj_release.store.hints import contains_any_case

SORTS = ("next-due", "overdue", "hearing", "ref")
PER_PAGE = 50
MAX_PER_PAGE = 500
MAX_HEARING_DAYS = 3650
CASELOAD_HEARING_DAYS = 60
OUTSIDE = "outside"
SEARCH_IN_ONE_PASS = 1000  # a search finding at most this many files is counted and paged from one query  # the prison filter's word for a request from outside (no prison)


class PersonRow(View):
    """A line of the file active."""

    ref: str
    stage: Stage
    prison: str | None = Field(description="prison code (config/prisons.yaml); none for a request from outside")
    situation: str
    as_id: str = Field(serialization_alias="as")
    psy_id: str = Field(serialization_alias="psy")
    as_name: str = Field(description="the assistant social's name")
    psy_name: str = Field(description="the psychologue's name")
    open: int = Field(description="open démarches that still apply")
    overdue: int = Field(description="open démarches due before today")
    next_due: dt.date | None = Field(description="the earliest due date of the open démarches, overdue included")
    hearing: dt.date | None = Field(description="the TAP/JAP hearing date, if known")
    closed_on: dt.date | None


class PersonList(View):
    """One page of the file active, with how many files match and how many of them are in each stage."""

    rows: list[PersonRow]
    total: int = Field(description="files matching the search and filters")
    counts: dict[str, int] = Field(description="files in each stage matching the other filters (closed ones too)")
    page: int
    pages: int
    per_page: int
    sort: str


class CaseloadRow(View):
    """A worker's caseload."""

    worker: str
    name: str
    role: Role
    organisation: str
    open_files: int = Field(description="files of their binômes that are not closed")
    overdue: int = Field(description="overdue démarches routed to them (not their partner's)")
    hearings: int = Field(description="files with a hearing within the horizon (60 days)")


def _open(d=m.Demarche):
    return and_(d.status.in_(OPEN_VALUES), d.obsolete.is_(False))


def _check(ctx: Context, *, stage, prison, situation, hearing_within, sort, page, per_page) -> Stage | None:
    st = parse_code(Stage, stage, "stage") if stage else None
    if sort not in SORTS:
        raise RajError("unknown sort '{sort}'; use one of {allowed}", field="sort", sort=sort, allowed=list(SORTS))
    if prison and prison != OUTSIDE and prison not in ctx.config.prisons:
        raise RajError("unknown prison '{prison}' (see prisons.yaml, or '{outside}')", field="prison", prison=prison,
                       outside=OUTSIDE)
    if situation:
        parse_code(Situation, situation, "situation")
    if hearing_within is not None and not 0 <= hearing_within <= MAX_HEARING_DAYS:
        raise RajError("{days} is not a number of days from 0 to {max}", field="hearing_within",
                       days=hearing_within, max=MAX_HEARING_DAYS)
    if page < 1:
        raise RajError("{page} is not a page number (1, 2, ...)", field="page", page=page)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise RajError("{rows} rows a page: from 1 to {max}", field="per_page", rows=per_page, max=MAX_PER_PAGE)
    return st


def list_persons(ctx: Context, *, today: dt.date, viewer: Viewer | None = None, organisation: str | None = None,
                 search: str | None = None, stage: str | None = None, prison: str | None = None,
                 situation: str | None = None, worker: str | None = None, overdue: bool = False,
                 hearing_within: int | None = None, closed: bool = False, sort: str = "next-due", page: int = 1,
                 per_page: int = PER_PAGE) -> PersonList:
    """The file active in `viewer`'s scope (without a viewer: every organisation's, or `organisation`'s).

    Closed files are left out unless `closed` (then they are listed with the others) or `stage` is
    "closed". `search` is a case-insensitive substring of the reference. `worker` keeps the files of the
    binômes that worker is in. A page past the end shows the last one."""
    st = _check(ctx, stage=stage, prison=prison, situation=situation, hearing_within=hearing_within, sort=sort,
                page=page, per_page=per_page)
    P = m.Person
    hearing = aliased(m.Milestone)
    joined = and_(hearing.person_id == P.id, hearing.kind == MilestoneKind.TAP_HEARING.value)
    where = []
    with ctx.db.reading() as s:
        if viewer is not None:
            where.append(person_scope(viewer))
        if organisation:
            org_id = s.scalar(select(m.Organisation.id).where(m.Organisation.code == organisation))
            if org_id is None:
                raise NotFound("unknown organisation '{organisation}'", field="organisation", organisation=organisation)
            where.append(P.organisation_id == org_id)
        if worker:
            where.append((P.as_id == worker) | (P.psy_id == worker))
        if search and search.strip():
            where.append(contains_any_case(P.ref, search.strip()))
        if prison == OUTSIDE:
            where.append(P.prison.is_(None))
        elif prison:
            where.append(P.prison == prison)
        if situation:
            where.append(P.situation == situation)
        if overdue:
            where.append(P.first_due < today)
        if hearing_within is not None:  # from the hearings of those days (milestone.date's index), not 30,000 files
            soon = m.Milestone.date.between(today, today + dt.timedelta(days=hearing_within))
            where.append(P.id.in_(select(m.Milestone.person_id).where(
                m.Milestone.kind == MilestoneKind.TAP_HEARING.value, soon)))

        def base(*cols, by_hearing: bool = False):
            q = select(*cols).select_from(P)
            if by_hearing:
                q = q.outerjoin(hearing, joined)
            return q.where(*where)

        if sort == "next-due":
            order = (P.first_due.asc().nulls_last(), P.ref)  # PostgreSQL: the index's own order
        elif sort == "hearing":
            order = (hearing.date.asc().nulls_last(), P.ref)
        elif sort == "overdue":
            d = aliased(m.Demarche)
            late = (select(func.count()).where(d.person_id == P.id, _open(d), d.due < today)
                    .correlate(P).scalar_subquery())
            # only the files with overdue démarches have any to count
            order = (case((P.first_due < today, late), else_=0).desc(), P.first_due.asc().nulls_last(), P.ref)
        else:
            order = (P.ref,)

        def shown(stage_: str) -> bool:
            return stage_ == st.value if st is not None else closed or stage_ != Stage.CLOSED.value

        counts = dict.fromkeys(Stage, 0)
        found = None
        if search and search.strip():
            # a search finds few files: one pass gives them all in order, counted and paged here (a search
            # that finds thousands is counted and paged by the database, as the whole list is)
            found = s.execute(base(P.id, P.stage, by_hearing=sort == "hearing").order_by(*order)
                              .limit(SEARCH_IN_ONE_PASS + 1)).all()
            if len(found) > SEARCH_IN_ONE_PASS:
                found = None
        if found is not None:
            for _pid, stage_ in found:
                counts[Stage(stage_)] += 1
            matching = [pid for pid, stage_ in found if shown(stage_)]
            total = len(matching)
            pages = max(1, -(-total // per_page))
            page = min(page, pages)
            ids = matching[(page - 1) * per_page:page * per_page]
        else:
            counts |= {Stage(k): n for k, n in s.execute(base(P.stage, func.count()).group_by(P.stage)).all()}
            total = sum(n for k, n in counts.items() if shown(k.value))
            if st is not None:
                where.append(P.stage == st.value)
            elif not closed:
                where.append(P.stage != Stage.CLOSED.value)
            pages = max(1, -(-total // per_page))
            page = min(page, pages)
            ids = list(s.scalars(base(P.id, by_hearing=sort == "hearing").order_by(*order)
                                 .limit(per_page).offset((page - 1) * per_page)))
        rows = _rows(s, ids, today)
    return PersonList.model_construct(rows=rows, total=total, counts={k.value: n for k, n in counts.items()},
                                      page=page, pages=pages, per_page=per_page, sort=sort)


def _rows(s, ids: list[int], today: dt.date) -> list[PersonRow]:
    """The rows of persons `ids`, in that order: the person, their binôme's names, their hearing, and their
    open and overdue démarches (one grouped query on the page's persons)."""
    if not ids:
        return []
    P, D = m.Person, m.Demarche
    AS, PSY = aliased(m.Worker), aliased(m.Worker)
    hearing = aliased(m.Milestone)
    people = {r.id: r for r in s.execute(
        select(P.id, P.ref, P.stage, P.prison, P.situation, P.as_id, P.psy_id, AS.name.label("as_name"),
               PSY.name.label("psy_name"), P.first_due, P.closed_on, hearing.date.label("hearing"))
        .join(AS, AS.id == P.as_id).join(PSY, PSY.id == P.psy_id)
        .outerjoin(hearing, and_(hearing.person_id == P.id, hearing.kind == MilestoneKind.TAP_HEARING.value))
        .where(P.id.in_(ids))).all()}
    figures = {pid: (n, late) for pid, n, late in s.execute(
        select(D.person_id, func.count(), func.count(case((D.due < today, 1))))
        .where(D.person_id.in_(ids), _open()).group_by(D.person_id)).all()}
    out = []
    for pid in ids:
        r = people[pid]
        n, late = figures.get(pid, (0, 0))
        out.append(PersonRow.model_construct(
            ref=r.ref, stage=Stage(r.stage), prison=r.prison, situation=r.situation, as_id=r.as_id,
            psy_id=r.psy_id, as_name=r.as_name, psy_name=r.psy_name, open=n, overdue=late, next_due=r.first_due,
            hearing=r.hearing, closed_on=r.closed_on))
    return out


def caseloads(ctx: Context, viewer: Viewer | None = None, *, today: dt.date, organisation: str | None = None,
              horizon_days: int = CASELOAD_HEARING_DAYS) -> list[CaseloadRow]:
    """Each AS's and psychologue's caseload: a coordinator's organisation (Forbidden for other roles); without
    a viewer (the CLI), `organisation`'s or every organisation's. Most overdue first."""
    if viewer is not None and viewer.role is not Role.COORDINATOR:
        raise Forbidden("the caseloads are for coordinators")
    who = (viewer.id, viewer.organisation_id) if viewer is not None else None
    return figures.kept(ctx, ("caseloads", who, organisation, today, horizon_days),
                        lambda: _caseloads(ctx, viewer, today, organisation, horizon_days))


def _caseloads(ctx: Context, viewer: Viewer | None, today: dt.date, organisation: str | None,
               horizon_days: int) -> list[CaseloadRow]:
    P, D, W, O = m.Person, m.Demarche, m.Worker, m.Organisation
    templates = ctx.config.templates.by_key
    with ctx.db.reading() as s:
        if viewer is not None:
            org_ids = [viewer.organisation_id]
        elif organisation:
            oid = s.scalar(select(O.id).where(O.code == organisation))
            if oid is None:
                raise NotFound("unknown organisation '{organisation}'", field="organisation", organisation=organisation)
            org_ids = [oid]
        else:
            org_ids = None
        in_orgs = P.organisation_id.in_(org_ids) if org_ids is not None else ~false()
        live = and_(in_orgs, P.stage != Stage.CLOSED.value)
        workers = s.execute(select(W.id, W.name, W.role, O.code).join(O)
                            .where(W.role.in_([Role.AS.value, Role.PSY.value]), W.active.is_(True),
                                   W.organisation_id.in_(org_ids) if org_ids is not None else ~false())
                            .order_by(O.code, W.name, W.id)).all()
        files, hearings, late = Counter(), Counter(), Counter()
        for as_id, psy_id, n in s.execute(select(P.as_id, P.psy_id, func.count()).where(live)
                                          .group_by(P.as_id, P.psy_id)).all():
            files[as_id] += n
            files[psy_id] += n
        soon = (select(P.as_id, P.psy_id, func.count()).join(m.Milestone, m.Milestone.person_id == P.id)
                .where(live, m.Milestone.kind == MilestoneKind.TAP_HEARING.value,
                       m.Milestone.date.between(today, today + dt.timedelta(days=horizon_days)))
                .group_by(P.as_id, P.psy_id))
        for as_id, psy_id, n in s.execute(soon).all():
            hearings[as_id] += n
            hearings[psy_id] += n
        # overdue démarches of the files that have some (first_due before today), by binôme and démarche
        by_key = defaultdict(int)
        for as_id, psy_id, key, n in s.execute(
                select(P.as_id, P.psy_id, D.key, func.count()).join(D, D.person_id == P.id)
                .where(live, P.first_due < today, _open(), D.due < today)
                .group_by(P.as_id, P.psy_id, D.key)).all():
            by_key[(as_id, psy_id, key)] += n
    for (as_id, psy_id, key), n in by_key.items():
        t = templates.get(key)
        for w in (as_id, psy_id):
            if t is None or concerns(t.responsible, w, as_id, psy_id):
                late[w] += n
    rows = [CaseloadRow.model_construct(worker=wid, name=name, role=Role(role), organisation=code,
                                        open_files=files[wid], overdue=late[wid], hearings=hearings[wid])
            for wid, name, role, code in workers]
    return sorted(rows, key=lambda r: (r.organisation, -r.overdue, -r.open_files, r.name))


def binome_workers(ctx: Context, viewer: Viewer) -> list[tuple[str, str]]:
    """(id, name) of the active AS and psychologues of the viewer's organisation, by name: the choices of the
    file active's binôme filter."""
    W = m.Worker
    with ctx.db.reading() as s:
        return [tuple(r) for r in s.execute(
            select(W.id, W.name).where(W.organisation_id == viewer.organisation_id, W.active.is_(True),
                                       W.role.in_([Role.AS.value, Role.PSY.value])).order_by(W.name, W.id)).all()]
