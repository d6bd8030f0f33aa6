"""Persons, milestones and their plan: registering, replanning, showing, pinning, statuses, overdue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Select, bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload

from raj_release.domain import (
    Certainty,
    Milestone,
    MilestoneKind,
    Modality,
    Need,
    Procedure,
    Situation,
    Status,
)
from raj_release.domain.enums import FINAL_STATUSES, OPEN_STATUSES, Language, Role
from raj_release.domain.models import REF_PATTERN
from raj_release.errors import Conflict, NotFound, RajError
from raj_release.planning.readiness import Readiness, readiness
from raj_release.planning.scheduler import Current, Plan, Subject, plan
from raj_release.services import audit
from raj_release.services.context import Context
from raj_release.store import models as m

# ---------------------------------------------------------------------------------------------------------
# parsing of codes: one clear line per mistake


def _code(enum, value: str, what: str):
    try:
        return enum(value)
    except ValueError:
        raise RajError(f"{what}: unknown value {value!r}; use one of {', '.join(e.value for e in enum)}") from None


def parse_needs(values: Iterable[str]) -> frozenset[Need]:
    return frozenset(_code(Need, v.strip(), "--needs") for v in values if v.strip())


def parse_status(value: str) -> Status:
    return _code(Status, value, "status")


def parse_kind(value: str) -> MilestoneKind:
    return _code(MilestoneKind, value, "milestone kind")


# ---------------------------------------------------------------------------------------------------------
# results shown by the CLI and the API


@dataclass
class DemarcheView:
    key: str
    label: str
    due: dt.date | None
    start: dt.date | None
    status: str
    compressed: bool
    pinned: bool
    provisional: bool
    late_vs_anchor: bool
    anchor: str | None
    anchor_source: str | None
    depends_on: list[str]
    responsible: str
    partner_type: str | None
    partner_types: list[str]
    pillar: str
    in_detention: str
    reason: str | None
    partner: str | None
    overdue: bool

    def as_json(self) -> dict:
        d = dict(self.__dict__)
        for k in ("due", "start"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


@dataclass
class PlanView:
    person: dict
    mode: str
    at_risk: bool
    milestones: list[dict]
    demarches: list[DemarcheView]
    readiness: list[Readiness]
    as_of: dt.date
    changes: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "person": self.person,
            "as_of": self.as_of.isoformat(),
            "mode": self.mode,
            "at_risk": self.at_risk,
            "milestones": self.milestones,
            "demarches": [d.as_json() for d in self.demarches],
            "readiness": [{"pillar": r.pillar.value, "done": r.done, "total": r.total} for r in self.readiness],
            "changes": self.changes,
        }


# ---------------------------------------------------------------------------------------------------------
# loading and replanning


def _get_person(s: Session, ref: str, for_update: bool = True, viewer=None) -> m.Person:
    """The person `ref` with milestones and démarches; with a `viewer`, only if in their scope (the same
    "not found" otherwise, so that references cannot be probed)."""
    q = (select(m.Person).where(m.Person.ref == ref)
         .options(selectinload(m.Person.milestones), selectinload(m.Person.demarches)))
    if viewer is not None:
        from raj_release.services.access import person_scope

        q = q.where(person_scope(viewer))
    if for_update and s.bind.dialect.name == "postgresql":
        q = q.with_for_update(of=m.Person)  # serialise concurrent replans of one person
    p = s.scalar(q)
    if p is None:
        raise NotFound(f"person {ref!r} not found" + ("" if viewer is not None else " (see `raj person list`)"))
    return p


def _milestones(p: m.Person) -> dict[MilestoneKind, Milestone]:
    return {MilestoneKind(x.kind): Milestone(kind=x.kind, date=x.date, earliest=x.earliest, latest=x.latest,
                                             certainty=x.certainty) for x in p.milestones}


def _subject(p: m.Person) -> Subject:
    return Subject(needs=frozenset(Need(n) for n in p.needs), situation=Situation(p.situation),
                   modality=Modality(p.modality) if p.modality else None,
                   procedure=Procedure(p.procedure) if p.procedure else None)


def _replan(s: Session, ctx: Context, p: m.Person, today: dt.date, actor: str,
            reason: str | None) -> tuple[Plan, list]:
    """Replan `p` and write what changed; returns the plan and the person's démarche rows as they now stand
    (new ones as plain objects: they are inserted in one statement and not read back)."""
    current = {d.key: Current(Status(d.status), d.due, d.pinned, d.compressed) for d in p.demarches}
    result = plan(ctx.config.templates, _subject(p), _milestones(p), ctx.config.calendar, today, current,
                  ctx.config.policy)
    now = ctx.now()
    rows = {d.key: d for d in p.demarches}
    new_rows, updates, shown = [], [], []
    for pd in result.demarches:
        fields = _planned_fields(pd)
        row = rows.get(pd.key)
        if row is None:
            new_rows.append(dict(person_id=p.id, status=pd.status.value, pinned=False, created_at=now,
                                 updated_at=now, **fields))
            continue
        if row.pinned or Status(row.status) in FINAL_STATUSES:
            continue
        del fields["key"]
        if any(getattr(row, k) != v for k, v in fields.items()):
            updates.append({"b_id": row.id, "b_updated_at": now, **{f"b_{k}": v for k, v in fields.items()}})
            shown.append((row, fields))
    t = m.Demarche.__table__
    conn = s.connection()
    if updates:
        # one executemany for every moved démarche (the ORM's unit of work costs ~0.3 ms a row)
        cols = [*updates[0].keys()]
        conn.execute(update(t).where(t.c.id == bindparam("b_id"))
                     .values({c.removeprefix("b_"): bindparam(c) for c in cols if c != "b_id"}), updates)
    if new_rows:
        # one executemany without RETURNING: the ORM would otherwise insert row by row on SQLite
        conn.execute(insert(t), new_rows)
    # the rows as they now stand, for the view, without reading them back
    now_rows = {k: r for k, r in rows.items()}
    for row, fields in shown:
        now_rows[row.key] = SimpleNamespace(**({c: getattr(row, c) for c in _SHOWN} | fields))
        s.expire(row)  # the ORM copy is stale now
    if new_rows:
        s.expire(p, ["demarches"])
    now_rows = list(now_rows.values()) + [SimpleNamespace(reason=None, partner_id=None, **r) for r in new_rows]
    p.plan_mode = result.mode
    # "made late": a démarche got its first date and that date was already compressed (coordinators' view)
    if any(pd.compressed and (pd.key not in current or current[pd.key].due is None) for pd in result.demarches):
        p.compressed_at_creation = True
    events = [dict(actor=actor, action="demarche.moved", entity="demarche", entity_key=ch.key, person_id=p.id,
                   old={"due": _iso(ch.old_due)}, new={"due": _iso(ch.new_due)}, reason=reason)
              for ch in result.changes if ch.old_due is not None]
    if current:  # at registration the person.registered event holds the whole first plan
        dated = {ch.key: _iso(ch.new_due) for ch in result.changes if ch.old_due is None}
        added = {pd.key: _iso(pd.due) for pd in result.demarches if pd.key in set(result.added)}
        if dated or added:
            events.append(dict(actor=actor, action="plan.scheduled", entity="person", entity_key=p.ref,
                               person_id=p.id, new={"dated": dated, "added": added}, reason=reason))
    audit.record_many(s, ctx, events)
    return result, now_rows


_SHOWN = ("key", "status", "pinned", "reason", "partner_id", "due", "start", "target", "anchor", "anchor_source",
          "provisional", "compressed", "late_vs_anchor")


def _planned_fields(pd) -> dict:
    """The columns of a démarche row that the planner decides."""
    return dict(key=pd.key, due=pd.due, start=pd.start, target=pd.target,
                anchor=pd.anchor.value if pd.anchor else None, anchor_source=pd.anchor_source,
                provisional=pd.provisional, compressed=pd.compressed, late_vs_anchor=pd.late_vs_anchor)


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


# ---------------------------------------------------------------------------------------------------------
# use cases


def register_person(ctx: Context, ref: str, prison: str, as_id: str, psy_id: str, today: dt.date,
                    situation: str = "condamne", needs: Iterable[str] = (), language: str = "fr",
                    name: str | None = None, interpreter: bool = False, procedure: str | None = None,
                    modality: str | None = None, intake: dt.date | None = None,
                    actor: str = "system", milestones: Iterable[Milestone] = ()) -> PlanView:
    """Register a person and make their first plan, in one transaction. `milestones` known at
    registration (a hearing date, an expected release) are stored with it, so the plan is written once."""
    import re

    if not re.fullmatch(REF_PATTERN, ref or ""):
        raise RajError(f"REF: {ref!r} is not a valid reference (letters, digits, '.', '_', '-'; at most 40)")
    if prison not in ctx.config.prisons:
        raise RajError(f"--prison: unknown prison {prison!r}; see {ctx.config.directory / 'prisons.yaml'}")
    sit = _code(Situation, situation, "--situation")
    need_set = parse_needs(needs)
    lang = _code(Language, language, "--lang")
    proc = _code(Procedure, procedure, "--procedure") if procedure else None
    mod = _code(Modality, modality, "--modality") if modality else None
    intake_date = intake or today
    with ctx.db.transaction() as s:
        if s.scalar(select(m.Person.id).where(m.Person.ref == ref)) is not None:
            raise Conflict(f"person {ref!r} already exists")
        found = {w.id: (w, code) for w, code in s.execute(
            select(m.Worker, m.Organisation.code).join(m.Organisation).where(m.Worker.id.in_([as_id, psy_id])))}
        as_w, psy_w = (found.get(as_id) or (None,))[0], (found.get(psy_id) or (None,))[0]
        if as_w is None:
            raise NotFound(f"--as: unknown worker {as_id!r} (see `raj worker list`)")
        if psy_w is None:
            raise NotFound(f"--psy: unknown worker {psy_id!r} (see `raj worker list`)")
        if as_w.role != Role.AS.value:
            raise RajError(f"--as: worker {as_id!r} is {as_w.role}, not an assistant social (as)")
        if psy_w.role != Role.PSY.value:
            raise RajError(f"--psy: worker {psy_id!r} is {psy_w.role}, not a psychologue (psy)")
        if as_w.organisation_id != psy_w.organisation_id:
            raise RajError("--as/--psy: the binôme's two workers belong to different organisations")
        now = ctx.now()
        known = [Milestone(kind=MilestoneKind.INTAKE, date=intake_date)]
        for ms in milestones:
            if ms.kind is MilestoneKind.INTAKE:
                raise RajError("milestones: give the intake date with --intake")
            known.append(ms)
        # The first plan is pure: compute it first, then write person, milestones, démarches and the audit
        # event with one statement each (registering 10,000 persons is a benchmark of its own).
        subject = Subject(needs=need_set, situation=sit, modality=mod, procedure=proc)
        result = plan(ctx.config.templates, subject, {x.kind: x for x in known}, ctx.config.calendar, today,
                      {}, ctx.config.policy)
        person_row = dict(ref=ref, organisation_id=as_w.organisation_id, name=name, prison=prison,
                          language=lang.value, interpreter=interpreter, situation=sit.value,
                          procedure=proc.value if proc else None, modality=mod.value if mod else None,
                          needs=sorted(n.value for n in need_set), as_id=as_id, psy_id=psy_id, version=1,
                          plan_mode=result.mode, compressed_at_creation=any(d.compressed for d in result.demarches),
                          created_at=now, updated_at=now)
        conn = s.connection()
        pid = conn.execute(insert(m.Person.__table__).returning(m.Person.__table__.c.id), person_row).scalar_one()
        ms_rows = [dict(person_id=pid, kind=x.kind.value, date=x.date, earliest=x.earliest, latest=x.latest,
                        certainty=x.certainty.value, updated_at=now, updated_by=actor) for x in known]
        conn.execute(insert(m.Milestone.__table__), ms_rows)
        dem_rows = [dict(person_id=pid, status=d.status.value, pinned=False, created_at=now, updated_at=now,
                         **_planned_fields(d)) for d in result.demarches]
        if dem_rows:
            conn.execute(insert(m.Demarche.__table__), dem_rows)
        audit.record_many(s, ctx, [dict(
            actor=actor, action="person.registered", entity="person", entity_key=ref, person_id=pid,
            new={"prison": prison, "situation": sit.value, "needs": person_row["needs"], "as": as_id,
                 "psy": psy_id, "intake": intake_date.isoformat(),
                 "milestones": {x.kind.value: x.date.isoformat() for x in known},
                 "plan": {d.key: _iso(d.due) for d in result.demarches}})])
        # the view is built from what was written, without reading it back
        fresh = SimpleNamespace(id=pid, **person_row,
                                milestones=[SimpleNamespace(**r) for r in ms_rows],
                                demarches=[SimpleNamespace(reason=None, partner_id=None, **r) for r in dem_rows])
        return _view(s, ctx, fresh, today, found[as_id][1])


def set_milestone(ctx: Context, ref: str, kind: str, date: dt.date, today: dt.date,
                  earliest: dt.date | None = None, latest: dt.date | None = None,
                  certainty: str = "confirmed", reason: str | None = None, actor: str = "system",
                  viewer=None, expected_version: int | None = None) -> PlanView:
    k = parse_kind(kind)
    c = _code(Certainty, certainty, "--certainty")
    try:
        Milestone(kind=k, date=date, earliest=earliest, latest=latest, certainty=c)  # validates the window
    except ValidationError as e:
        raise RajError(f"milestone {k.value}: {e.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    with ctx.db.transaction() as s:
        p = _get_person(s, ref, viewer=viewer)
        _check_version(p, expected_version)
        row = next((x for x in p.milestones if x.kind == k.value), None)
        old = None
        row_old_date = row.date if row is not None else None
        now = ctx.now()
        if row is None:
            row = m.Milestone(kind=k.value, updated_at=now, updated_by=actor)
            p.milestones.append(row)
        else:
            if (row.date, row.earliest, row.latest, row.certainty) == (date, earliest, latest, c.value):
                return _view(s, ctx, p, today)  # nothing changes: no event, no new version
            old = {"date": _iso(row.date), "earliest": _iso(row.earliest), "latest": _iso(row.latest),
                   "certainty": row.certainty}
        row.date, row.earliest, row.latest, row.certainty = date, earliest, latest, c.value
        row.updated_at, row.updated_by = now, actor
        audit.record(s, ctx, actor, "milestone.set", "milestone", k.value, person_id=p.id, old=old,
                     new={"date": _iso(date), "earliest": _iso(earliest), "latest": _iso(latest),
                          "certainty": c.value}, reason=reason)
        s.flush()
        result, rows = _replan(s, ctx, p, today, actor, reason or f"{k.value} set to {date.isoformat()}")
        p.version += 1
        p.updated_at = now
        _tell_binome(s, ctx, p, k, old_date=row_old_date, new_date=date, result=result, today=today,
                     reason=reason, actor=actor)
        view = _view(s, ctx, p, today, demarches=rows)
        view.changes = [{"key": ch.key, "old_due": _iso(ch.old_due), "new_due": _iso(ch.new_due)}
                        for ch in result.changes]
        return view


def _tell_binome(s: Session, ctx: Context, p: m.Person, kind: MilestoneKind, old_date, new_date, result: Plan,
                 today: dt.date, reason: str | None, actor: str) -> None:
    """One "your plan moved" message to each member of the binôme, through the outbox (same transaction).

    A sudden release (actual release today or earlier) is urgent: it goes out at once, even on a weekend.
    Other changes wait for the next working morning when they happen on a quiet day.
    """
    from raj_release.domain.labels import milestone_change_text
    from raj_release.reminders.messages import Move, Recipient, plan_moved_messages
    from raj_release.services import outbox
    from raj_release.services.reminders import next_morning

    moves = [Move(c.key, c.old_due, c.new_due) for c in result.changes if c.old_due is not None]
    if not moves:  # démarches getting their first date were planned, not moved
        return
    recipients = [Recipient(w.id, w.name, w.language, w.role)
                  for w in (s.get(m.Worker, p.as_id), s.get(m.Worker, p.psy_id)) if w is not None and w.active]
    org = s.get(m.Organisation, p.organisation_id)
    templates = ctx.config.templates.by_key

    def label(key: str, lang: str) -> str:
        t = templates.get(key)
        return t.label_in(lang) if t else key

    urgent = kind is MilestoneKind.ACTUAL_RELEASE and new_date <= today
    msgs = plan_moved_messages(p.ref, p.id, moves, recipients, milestone_change_text(kind, old_date, new_date),
                               reason, actor, today, f"{p.ref}@v{p.version}", org.name if org else "",
                               label, urgent=urgent)
    outbox.enqueue(s, ctx, msgs, not_before=next_morning(ctx, ctx.now()))


# status machine: which moves are allowed; reopening a final démarche needs a reason
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PLANNED: frozenset({Status.IN_PROGRESS, Status.ON_HOLD, Status.COMPLETED, Status.CANCELLED,
                               Status.FAILED}),
    Status.IN_PROGRESS: frozenset({Status.PLANNED, Status.ON_HOLD, Status.COMPLETED, Status.CANCELLED,
                                   Status.FAILED}),
    Status.ON_HOLD: frozenset({Status.PLANNED, Status.IN_PROGRESS, Status.COMPLETED, Status.CANCELLED,
                               Status.FAILED}),
    Status.COMPLETED: frozenset({Status.IN_PROGRESS}),
    Status.CANCELLED: frozenset({Status.PLANNED}),
    Status.FAILED: frozenset({Status.PLANNED, Status.IN_PROGRESS}),
}
NEEDS_REASON = frozenset({Status.CANCELLED, Status.FAILED})


def _check_version(p: m.Person, expected: int | None) -> None:
    if expected is not None and p.version != expected:
        raise Conflict(f"person {p.ref!r} was changed meanwhile (version {p.version}, yours {expected}): "
                       "reload and try again")


def set_status(ctx: Context, ref: str, key: str, status: str, today: dt.date, reason: str | None = None,
               partner: str | None = None, actor: str = "system", viewer=None,
               expected_version: int | None = None) -> DemarcheView:
    new = parse_status(status)
    reason = (reason or "").strip() or None
    if new in NEEDS_REASON and not reason:
        word = "not applicable (cancelled)" if new is Status.CANCELLED else "failed"
        raise RajError(f"--reason: a démarche marked {word} needs a reason (--reason TEXT)")
    partner = (partner or "").strip() or None
    if partner is not None and new is not Status.ON_HOLD:
        raise RajError(f"--partner: only a démarche on hold waits on a partner (status on-hold, not {new.value})")
    if partner is not None and ctx.config.partners and partner not in ctx.config.partners:
        raise RajError(f"--partner: unknown partner {partner!r} (see {ctx.config.directory / 'partners.yaml'})")
    with ctx.db.transaction() as s:
        p = _get_person(s, ref, viewer=viewer)
        _check_version(p, expected_version)
        row = _demarche(p, key, ctx)
        old = Status(row.status)
        if old is new and reason == row.reason and partner == row.partner_id:
            return _demarche_view(ctx, row, today)
        if old is not new and new not in TRANSITIONS[old]:
            raise Conflict(f"démarche {key!r} of {ref!r} is {old.value}: it cannot become {new.value} "
                           f"(allowed: {', '.join(sorted(s_.value for s_ in TRANSITIONS[old])) or 'none'})")
        if old in FINAL_STATUSES and new in OPEN_STATUSES and not reason:
            raise RajError(f"--reason: reopening a {old.value} démarche needs a reason (--reason TEXT)")
        now = ctx.now()
        audit.record(s, ctx, actor, "demarche.status", "demarche", key, person_id=p.id,
                     old={"status": old.value, "partner": row.partner_id},
                     new={"status": new.value, "partner": partner if new is Status.ON_HOLD else None},
                     reason=reason)
        row.status = new.value
        row.reason = reason
        row.partner_id = partner if new is Status.ON_HOLD else None
        row.completed_at = now if new is Status.COMPLETED else None
        row.updated_at = now
        p.version += 1
        p.updated_at = now
        return _demarche_view(ctx, row, today)


def pin_due(ctx: Context, ref: str, key: str, due: dt.date, today: dt.date, reason: str | None = None,
            actor: str = "system", viewer=None, expected_version: int | None = None) -> PlanView:
    cal = ctx.config.calendar
    if not cal.is_working_day(due):
        raise RajError(f"DATE: {due.isoformat()} is not a working day ({cal.closure_name(due)}); "
                       f"pick one such as {cal.previous_working_day(due).isoformat()}")
    with ctx.db.transaction() as s:
        p = _get_person(s, ref, viewer=viewer)
        _check_version(p, expected_version)
        row = _demarche(p, key, ctx)
        if Status(row.status) in FINAL_STATUSES:
            raise Conflict(f"démarche {key!r} of {ref!r} is {row.status}: a finished démarche keeps its date")
        t = ctx.config.templates.by_key.get(key)
        old = {"due": _iso(row.due), "pinned": row.pinned}
        row.due, row.pinned = due, True
        row.start = cal.add_working_days(due, -t.duration) if t else due
        row.compressed = False
        row.late_vs_anchor = False
        row.updated_at = ctx.now()
        audit.record(s, ctx, actor, "demarche.pinned", "demarche", key, person_id=p.id, old=old,
                     new={"due": due.isoformat(), "pinned": True}, reason=reason)
        s.flush()
        result, rows = _replan(s, ctx, p, today, actor, reason or f"{key} pinned to {due.isoformat()}")
        p.version += 1
        p.updated_at = row.updated_at
        view = _view(s, ctx, p, today, demarches=rows)
        view.changes = [{"key": ch.key, "old_due": _iso(ch.old_due), "new_due": _iso(ch.new_due)}
                        for ch in result.changes]
        return view


def unpin(ctx: Context, ref: str, key: str, today: dt.date, actor: str = "system") -> PlanView:
    with ctx.db.transaction() as s:
        p = _get_person(s, ref)
        row = _demarche(p, key, ctx)
        if not row.pinned:
            raise Conflict(f"démarche {key!r} of {ref!r} is not pinned")
        row.pinned = False
        audit.record(s, ctx, actor, "demarche.unpinned", "demarche", key, person_id=p.id,
                     old={"due": _iso(row.due), "pinned": True}, new={"pinned": False})
        s.flush()
        result, rows = _replan(s, ctx, p, today, actor, f"{key} unpinned")
        p.version += 1
        p.updated_at = ctx.now()
        view = _view(s, ctx, p, today, demarches=rows)
        view.changes = [{"key": ch.key, "old_due": _iso(ch.old_due), "new_due": _iso(ch.new_due)}
                        for ch in result.changes]
        return view


def show_plan(ctx: Context, ref: str, today: dt.date, viewer=None) -> PlanView:
    """The plan; read through the workspace or the API (`viewer`), the read is written to the audit log."""
    with ctx.db.transaction() as s:
        p = _get_person(s, ref, for_update=False, viewer=viewer)
        if viewer is not None:
            audit.record(s, ctx, viewer.id, "person.read", "person", ref, person_id=p.id)
        return _view(s, ctx, p, today)


def _demarche(p: m.Person, key: str, ctx: Context) -> m.Demarche:
    row = next((d for d in p.demarches if d.key == key), None)
    if row is None:
        if key not in ctx.config.templates:
            raise NotFound(f"unknown démarche {key!r} (see {ctx.config.directory / 'demarches.yaml'})")
        raise NotFound(f"démarche {key!r} is not in the plan of {p.ref!r} (it does not apply to this person)")
    return row


def _demarche_view(ctx: Context, d: m.Demarche, today: dt.date, language: str = "fr") -> DemarcheView:
    t = ctx.config.templates.by_key.get(d.key)
    return DemarcheView(
        key=d.key, label=t.label_in(language) if t else d.key, due=d.due, start=d.start, status=d.status,
        compressed=d.compressed, pinned=d.pinned, provisional=d.provisional, late_vs_anchor=d.late_vs_anchor,
        anchor=d.anchor, anchor_source=d.anchor_source,
        depends_on=list(t.depends_on) if t else [], responsible=t.responsible.value if t else "",
        partner_type=t.partner_type if t else None, partner_types=list(t.partner_types) if t else [],
        pillar=t.pillar.value if t else "", in_detention=t.in_detention.value if t else "",
        reason=d.reason, partner=d.partner_id,
        overdue=d.due is not None and d.due < today and Status(d.status) in OPEN_STATUSES,
    )


def _view(s: Session, ctx: Context, p, today: dt.date, org_code: str | None = None,
          demarches: list | None = None) -> PlanView:
    """The plan as shown; `demarches` are the rows to show when they were just written (else p.demarches)."""
    order = {t.key: i for i, t in enumerate(ctx.config.templates.order)}
    source = p.demarches if demarches is None else demarches
    rows = sorted(source, key=lambda d: (d.due or dt.date.max, order.get(d.key, 10**6)))
    views = [_demarche_view(ctx, d, today, p.language) for d in rows]
    ms = sorted(p.milestones, key=lambda x: x.date)
    hearing = next((x.date for x in ms if x.kind == MilestoneKind.TAP_HEARING.value), None)
    release = next((x.date for x in ms if x.kind in (MilestoneKind.ACTUAL_RELEASE.value,
                                                      MilestoneKind.EXPECTED_RELEASE.value,
                                                      MilestoneKind.FOND_DE_PEINE.value)), None)
    if org_code is None:
        org_code = s.scalar(select(m.Organisation.code).where(m.Organisation.id == p.organisation_id))
    person = {"ref": p.ref, "name": p.name, "prison": p.prison, "language": p.language,
              "interpreter": p.interpreter, "situation": p.situation, "procedure": p.procedure,
              "modality": p.modality, "needs": list(p.needs), "as": p.as_id, "psy": p.psy_id,
              "organisation": org_code, "version": p.version,
              "compressed_at_creation": p.compressed_at_creation}
    milestones = [{"kind": x.kind, "date": x.date.isoformat(), "earliest": _iso(x.earliest),
                   "latest": _iso(x.latest), "certainty": x.certainty, "updated_by": x.updated_by}
                  for x in ms]
    at_risk = any(v.status in {s_.value for s_ in OPEN_STATUSES} and (v.compressed or v.late_vs_anchor)
                  for v in views)
    ready = readiness(ctx.config.templates, ((d.key, Status(d.status), d.due) for d in rows), hearing or release)
    return PlanView(person=person, mode=p.plan_mode, at_risk=at_risk, milestones=milestones, demarches=views,
                    readiness=ready, as_of=today)


# ---------------------------------------------------------------------------------------------------------
# lists


@dataclass(frozen=True)
class OverdueRow:
    person: str
    key: str
    label: str
    due: dt.date
    days_overdue: int
    working_days_overdue: int
    status: str
    responsible: str
    as_id: str
    psy_id: str
    prison: str
    partner: str | None = None  # the partner waited on, when on hold

    def as_json(self) -> dict:
        d = dict(self.__dict__)
        d["due"] = self.due.isoformat()
        d["as"] = d.pop("as_id")
        d["psy"] = d.pop("psy_id")
        return d


def narrowed(q: Select, worker: str | None = None, prison: str | None = None, organisation: str | None = None,
             viewer=None, demarche: str | None = None, partner: str | None = None) -> tuple[Select, ColumnElement]:
    """`q` (a query over démarches joined to their persons) narrowed to a worker's persons, a prison, an
    organisation, a viewer's scope, a démarche or a partner; and the status column to filter on.

    When the persons are narrowed, that status column is one no index matches, so that the query goes
    through the persons' indexes and then their démarches by person; otherwise through the (status, due)
    index (store/hints.py)."""
    from raj_release.services.access import person_scope
    from raj_release.store.hints import unindexed

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


def overdue_query(today: dt.date, worker: str | None = None, prison: str | None = None,
                  organisation: str | None = None, viewer=None, demarche: str | None = None,
                  partner: str | None = None) -> Select:
    """Open démarches due before `today`, most overdue first: (key, due, status, ref, as, psy, prison,
    partner) rows."""
    q = (select(m.Demarche.key, m.Demarche.due, m.Demarche.status, m.Person.ref, m.Person.as_id,
                m.Person.psy_id, m.Person.prison, m.Demarche.partner_id)
         .join(m.Person, m.Person.id == m.Demarche.person_id)
         .order_by(m.Demarche.due, m.Person.ref, m.Demarche.key))
    q, status = narrowed(q, worker, prison, organisation, viewer, demarche, partner)
    return q.where(status.in_([x.value for x in OPEN_STATUSES]), m.Demarche.due < today)


def overdue_row(ctx: Context, today: dt.date, row) -> OverdueRow:
    """An `overdue_query` row with its label and how late it is (calendar and working days)."""
    key, due, status, ref, as_id, psy_id, prison_code, partner = row
    t = ctx.config.templates.by_key.get(key)
    return OverdueRow(person=ref, key=key, label=t.label.fr if t else key, due=due,
                      days_overdue=(today - due).days,
                      working_days_overdue=ctx.config.calendar.working_days_between(due, today),
                      status=status, responsible=t.responsible.value if t else "", as_id=as_id,
                      psy_id=psy_id, prison=prison_code, partner=partner)


def list_overdue(ctx: Context, today: dt.date, worker: str | None = None, prison: str | None = None,
                 organisation: str | None = None, viewer=None) -> list[OverdueRow]:
    """Open démarches due before `today`, most overdue first (one query)."""
    with ctx.db.reading() as s:
        rows = s.connection().execute(overdue_query(today, worker, prison, organisation, viewer)).all()
    return [overdue_row(ctx, today, r) for r in rows]


@dataclass(frozen=True)
class PersonRow:
    ref: str
    prison: str
    situation: str
    as_id: str
    psy_id: str
    open: int
    overdue: int
    next_due: dt.date | None

    def as_json(self) -> dict:
        return {"ref": self.ref, "prison": self.prison, "situation": self.situation, "as": self.as_id,
                "psy": self.psy_id, "open": self.open, "overdue": self.overdue,
                "next_due": _iso(self.next_due)}


def list_persons(ctx: Context, today: dt.date, viewer=None) -> list[PersonRow]:
    from sqlalchemy import case, func

    open_ = m.Demarche.status.in_([x.value for x in OPEN_STATUSES])
    q = (select(m.Person.ref, m.Person.prison, m.Person.situation, m.Person.as_id, m.Person.psy_id,
                func.count(case((open_, 1))),
                func.count(case((open_ & (m.Demarche.due < today), 1))),
                func.min(case((open_ & (m.Demarche.due >= today), m.Demarche.due))))
         .outerjoin(m.Demarche, m.Demarche.person_id == m.Person.id)
         .group_by(m.Person.id).order_by(m.Person.ref))
    if viewer is not None:
        from raj_release.services.access import person_scope

        q = q.where(person_scope(viewer))
    with ctx.db.reading() as s:
        return [PersonRow(*r) for r in s.execute(q).all()]
