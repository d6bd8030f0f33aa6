"""Démarches of a plan: changing a status, pinning and unpinning a due date, and the overdue démarches
across the file active (the list, and the query the dashboard narrows)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field
from sqlalchemy import ColumnElement, Select, select

from raj_release import i18n
from raj_release.domain.demarches import FINAL_STATUSES, OPEN_VALUES, check_change, undoes_done
from raj_release.domain.enums import Status, parse_code
from raj_release.domain.models import check_day, check_reason
from raj_release.errors import Conflict, Named, NotFound, RajError
from raj_release.planning.calendar import WorkingCalendar
from raj_release.services import audit
from raj_release.services.access import Viewer, person_scope
from raj_release.services.context import Context
from raj_release.services.partners import check_partner
from raj_release.services.replan import bump, calendar_of, check_version, iso, load_person, replan, view_of
from raj_release.services.views import DemarcheView, PlanView, View, demarche_view
from raj_release.store import models as m
from raj_release.store.db import aware
from raj_release.store.hints import unindexed


def parse_status(value: str) -> Status:
    return parse_code(Status, value, "status")


def find_demarche(p: m.Person, key: str, ctx: Context) -> m.Demarche:
    row = next((d for d in p.demarches if d.key == key), None)
    if row is None:
        if key not in ctx.config.templates:
            raise NotFound("unknown démarche '{key}' (see demarches.yaml)", field="key", key=key)
        raise NotFound("démarche '{key}' is not in the plan of '{ref}' (it does not apply to this person)",
                       field="key", key=Named.demarche(ctx, key), ref=p.ref)
    return row


def set_status(ctx: Context, ref: str, key: str, status: str, *, today: dt.date, reason: str | None = None,
               partner: str | None = None, actor: str = "system", viewer: Viewer | None = None,
               expected_version: int | None = None) -> DemarcheView:
    """Change a démarche's status along the status machine (domain/demarches.py). Reopening a démarche
    marked done less than UNDO_WINDOW ago needs no reason: that undoes the « Fait » (« annulation de fait »)."""
    new = parse_status(status)
    reason = check_reason(reason)
    partner = (partner or "").strip() or None
    check_change(new, new, reason, partner)  # what the new status needs, before any read
    if partner is not None and ctx.config.partners and partner not in ctx.config.partners:
        raise RajError("unknown partner '{partner}' (see partners.yaml)", field="partner", partner=partner)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        check_version(p, expected_version)
        row = find_demarche(p, key, ctx)
        if partner is not None:
            check_partner(ctx, key, partner)
        old = Status(row.status)
        if old is new and reason == row.reason and partner == row.partner_id:
            return demarche_view(ctx, row, today)
        now = ctx.now()
        if not reason and undoes_done(old, new, aware(row.completed_at), now):
            reason = i18n.tr(p.language, "« Done » undone")  # a « Fait » given by mistake a moment ago
        try:
            check_change(old, new, reason, partner)
        except Conflict as e:
            raise e.again("démarche '{key}' of '{ref}' is {old}: it cannot become {new} (allowed: {allowed})",
                          key=Named.demarche(ctx, key), ref=ref) from None
        audit.record(s, ctx, actor, "demarche.status", "demarche", key, person_id=p.id,
                     old={"status": old.value, "partner": row.partner_id},
                     new={"status": new.value, "partner": partner if new is Status.ON_HOLD else None},
                     reason=reason)
        row.status = new.value
        row.reason = reason
        row.partner_id = partner if new is Status.ON_HOLD else None
        if new is Status.ON_HOLD and partner is not None:
            _waits_on(s, ctx, p, row, partner, today, actor)
        row.completed_at = now if new is Status.COMPLETED else None
        row.updated_at = now
        bump(ctx, p, now)
        return demarche_view(ctx, row, today)


def _waits_on(s, ctx: Context, p: m.Person, row: m.Demarche, partner: str, today: dt.date, actor: str) -> None:
    """A démarche put on hold waiting on a partner is an application to that partner (sent: the binôme
    asked it), so that the partner's reminders carry its reply link like any other application's."""
    live = s.scalar(select(m.Application).where(m.Application.demarche_id == row.id,
                                                m.Application.partner_id == partner))
    if live is None or live.state not in ("sent", "waitlist", "accepted"):
        mark_sent(s, ctx, p, row, partner, today, actor, live)


def mark_sent(s, ctx: Context, p: m.Person, row: m.Demarche, partner: str, today: dt.date, actor: str,
              app: m.Application | None = None) -> m.Application:
    """The application of `row` to `partner` in state sent today, made (or `app` sent again: what an earlier
    answer said is cleared)."""
    now = ctx.now()
    if app is None:
        app = m.Application(person_id=p.id, demarche_id=row.id, key=row.key, partner_id=partner, answers=0,
                            created_by=actor, created_at=now)
        s.add(app)
    app.state, app.sent_on, app.state_on, app.updated_at = "sent", today, today, now
    app.position = app.expected = app.entry = app.answered_on = None
    app.reason = app.documents = app.message = None
    return app


def pin_due(ctx: Context, ref: str, key: str, *, due: dt.date, today: dt.date, reason: str | None = None,
            actor: str = "system", viewer: Viewer | None = None, expected_version: int | None = None) -> PlanView:
    """Pin a démarche's due date by hand: replanning leaves it where it is; the others follow."""
    check_day(due, "due")
    reason = check_reason(reason)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        cal = calendar_of(s, ctx, p)  # the working days of the person's organisation
        if not cal.is_working_day(due):
            raise RajError("{day} is not a working day ({closure}); pick one such as {before}", field="due",
                           day=due, closure=cal.closure_name(due), before=cal.previous_working_day(due))
        check_version(p, expected_version)
        row = find_demarche(p, key, ctx)
        if Status(row.status) in FINAL_STATUSES:
            raise Conflict("démarche '{key}' of '{ref}' is {status}: a finished démarche keeps its date",
                           key=Named.demarche(ctx, key), ref=ref, status=Status(row.status))
        t = ctx.config.templates.by_key.get(key)
        old = {"due": iso(row.due), "pinned": row.pinned}
        row.due, row.pinned = due, True
        row.start = cal.add_working_days(due, -t.duration) if t else due
        row.compressed = False
        row.late_vs_anchor = False
        row.updated_at = ctx.now()
        audit.record(s, ctx, actor, "demarche.pinned", "demarche", key, person_id=p.id, old=old,
                     new={"due": due.isoformat(), "pinned": True}, reason=reason)
        s.flush()
        result, rows = replan(s, ctx, p, today, actor=actor, reason=reason or f"{key} pinned to {due.isoformat()}")
        bump(ctx, p, row.updated_at)
        return view_of(s, ctx, p, today, demarches=rows, result=result)


def unpin(ctx: Context, ref: str, key: str, *, today: dt.date, actor: str = "system", viewer: Viewer | None = None,
          expected_version: int | None = None) -> PlanView:
    """Give a pinned démarche back to the planner."""
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        check_version(p, expected_version)
        row = find_demarche(p, key, ctx)
        if not row.pinned:
            raise Conflict("démarche '{key}' of '{ref}' is not pinned", key=Named.demarche(ctx, key), ref=ref)
        row.pinned = False
        audit.record(s, ctx, actor, "demarche.unpinned", "demarche", key, person_id=p.id,
                     old={"due": iso(row.due), "pinned": True}, new={"pinned": False})
        s.flush()
        result, rows = replan(s, ctx, p, today, actor=actor, reason=f"{key} unpinned")
        bump(ctx, p)
        return view_of(s, ctx, p, today, demarches=rows, result=result)


# ---------------------------------------------------------------------------------------------------------
# overdue démarches

class OverdueRow(View):
    person: str
    key: str
    label: str
    due: dt.date
    days_overdue: int = Field(description="calendar days since the due date (kept for compatibility: the "
                                          "pages show late_working_days)", json_schema_extra={"deprecated": True})
    working_days_overdue: int = Field(description="the same as late_working_days (kept for compatibility)",
                                      json_schema_extra={"deprecated": True})
    late_working_days: int = Field(description="working days since the due date, on the organisation's "
                                               "calendar (Belgian holidays and its closures): the unit of lateness")
    status: Status
    responsible: str
    as_id: str = Field(serialization_alias="as")
    psy_id: str = Field(serialization_alias="psy")
    prison: str
    partner: str | None = Field(default=None, description="the partner waited on, when on hold")


def narrowed(q: Select, *, worker: str | None = None, prison: str | None = None, organisation: str | None = None,
             viewer: Viewer | None = None, demarche: str | None = None,
             partner: str | None = None) -> tuple[Select, ColumnElement]:
    """`q` (a query over démarches joined to their persons) narrowed to a worker's persons, a prison, an
    organisation, a viewer's scope, a démarche or a partner; and the status column to filter on.

    When the persons are narrowed, that status column is one no index matches, so that the query goes
    through the persons' indexes and then their démarches by person; otherwise through the (status, due)
    index (store/hints.py)."""
    if worker:
        q = q.where((m.Person.as_id == worker) | (m.Person.psy_id == worker))
    if prison:
        q = q.where(m.Person.prison == prison)
    if organisation:
        q = q.join(m.Organisation, m.Organisation.id == m.Person.organisation_id).where(
            m.Organisation.code == organisation)
    if viewer is not None:
        q = q.where(person_scope(viewer))
    if demarche:
        q = q.where(m.Demarche.key == demarche)
    if partner:
        q = q.where(m.Demarche.partner_id == partner)
    by_person = bool(worker or prison or organisation or viewer is not None)
    return q, unindexed(m.Demarche.status) if by_person else m.Demarche.status


def overdue_query(today: dt.date, **narrow) -> Select:
    """Open démarches due before `today`, most overdue first: (key, due, status, ref, as, psy, prison,
    partner) rows; `narrow` as `narrowed`."""
    q = (select(m.Demarche.key, m.Demarche.due, m.Demarche.status, m.Person.ref, m.Person.as_id,
                m.Person.psy_id, m.Person.prison, m.Demarche.partner_id)
         .join(m.Person, m.Person.id == m.Demarche.person_id)
         .order_by(m.Demarche.due, m.Person.ref, m.Demarche.key))
    q, status = narrowed(q, **narrow)
    # a person with an overdue démarche has their first due date before today (person.first_due, kept by the
    # database): the persons' index then leaves out the files with nothing late
    return q.where(status.in_(OPEN_VALUES), m.Demarche.due < today, m.Demarche.obsolete.is_(False),
                   m.Person.stage != "closed", m.Person.first_due < today)


def overdue_row(ctx: Context, today: dt.date, row, calendar: WorkingCalendar | None = None) -> OverdueRow:
    """An `overdue_query` row with its label and how late it is (calendar and working days; working days on
    `calendar`, the organisation's: `Config.calendar_for`, else the shared one)."""
    key, due, status, ref, as_id, psy_id, prison_code, partner = row
    t = ctx.config.templates.by_key.get(key)
    late = (calendar or ctx.config.calendar).working_days_between(due, today)
    return OverdueRow.model_construct(
        person=ref, key=key, label=t.label.fr if t else key, due=due, days_overdue=(today - due).days,
        working_days_overdue=late, late_working_days=late, status=Status(status),
        responsible=t.responsible.value if t else "", as_id=as_id, psy_id=psy_id, prison=prison_code, partner=partner)


def list_overdue(ctx: Context, *, today: dt.date, worker: str | None = None, prison: str | None = None,
                 organisation: str | None = None, viewer: Viewer | None = None) -> list[OverdueRow]:
    """Open démarches due before `today`, most overdue first (one query)."""
    with ctx.db.reading() as s:
        rows = s.connection().execute(overdue_query(today, worker=worker, prison=prison,
                                                    organisation=organisation, viewer=viewer)).all()
    cal = ctx.config.calendar_for(organisation or (viewer.organisation if viewer is not None else None))
    return [overdue_row(ctx, today, r, calendar=cal) for r in rows]
