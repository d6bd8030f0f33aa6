"""Loading a person with their plan and replanning it: the one place where a plan's rows are written after a
change (a key date set, a démarche pinned or unpinned)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload

from raj_release.domain.demarches import FINAL_STATUSES
from raj_release.domain.enums import MilestoneKind, Modality, Need, Procedure, Situation, Status
from raj_release.domain.milestones import Milestone
from raj_release.errors import NotFound, StaleVersion
from raj_release.planning.scheduler import Change, Current, Plan, PlannedDemarche, Subject, plan
from raj_release.services import audit
from raj_release.services.access import Viewer, person_scope
from raj_release.services.context import Context
from raj_release.services.views import DemarcheState, Outcome, PlanView, person_summary, plan_view
from raj_release.store import models as m


def load_person(s: Session, ref: str, *, for_update: bool = True, viewer: Viewer | None = None) -> m.Person:
    """The person `ref` with milestones and démarches; with a `viewer`, only if in their scope (the same
    "not found" otherwise, so that references cannot be probed)."""
    q = (select(m.Person).where(m.Person.ref == ref)
         .options(selectinload(m.Person.milestones), selectinload(m.Person.demarches)))
    if viewer is not None:
        q = q.where(person_scope(viewer))
    if for_update and s.bind.dialect.name == "postgresql":
        q = q.with_for_update(of=m.Person)  # serialise concurrent replans of one person
    p = s.scalar(q)
    if p is None:
        raise NotFound("person '{ref}' not found", ref=ref)
    return p


def check_version(p: m.Person, expected: int | None) -> None:
    """Refuse a change made on a stale read of the person (the version the client read is not current)."""
    if expected is not None and p.version != expected:
        raise StaleVersion(ref=p.ref, version=p.version, expected=expected)


def bump(ctx: Context, p: m.Person, now: dt.datetime | None = None) -> None:
    """A change of the person's plan: a new version, for the next stale-read check."""
    p.version += 1
    p.updated_at = now or ctx.now()


def milestones_of(p: m.Person) -> dict[MilestoneKind, Milestone]:
    return {MilestoneKind(x.kind): Milestone(kind=x.kind, date=x.date, earliest=x.earliest, latest=x.latest,
                                             certainty=x.certainty) for x in p.milestones}


def subject_of(p: m.Person) -> Subject:
    return Subject(needs=frozenset(Need(n) for n in p.needs), situation=Situation(p.situation),
                   modality=Modality(p.modality) if p.modality else None,
                   procedure=Procedure(p.procedure) if p.procedure else None)


def planned_fields(pd: PlannedDemarche) -> dict:
    """The columns of a démarche row that the planner decides."""
    return dict(key=pd.key, due=pd.due, start=pd.start, target=pd.target,
                anchor=pd.anchor.value if pd.anchor else None, anchor_source=pd.anchor_source,
                provisional=pd.provisional, compressed=pd.compressed, late_vs_anchor=pd.late_vs_anchor)


def new_rows(person_id: int, demarches: list[PlannedDemarche], now: dt.datetime) -> list[dict]:
    """Rows to insert for démarches the plan did not have."""
    return [dict(person_id=person_id, status=d.status.value, pinned=False, obsolete=False, created_at=now,
                 updated_at=now, **planned_fields(d)) for d in demarches]


def state_of_new(row: dict) -> DemarcheState:
    return DemarcheState(row["key"], row["status"], row["due"], row["start"], row["pinned"], row["provisional"],
                         row["compressed"], row["late_vs_anchor"], row["anchor"], row["anchor_source"],
                         obsolete=row.get("obsolete", False))


def iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


@dataclass
class Replanned:
    """What `replan` did: the plan, and the démarches it made obsolete or un-marked (see `Outcome`)."""

    plan: Plan
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def changes(self) -> list[Change]:
        return self.plan.changes

    @property
    def mode(self) -> str:
        return self.plan.mode


def replan(s: Session, ctx: Context, p: m.Person, today: dt.date, *, actor: str,
           reason: str | None) -> tuple[Replanned, list[DemarcheState]]:
    """Replan `p` and write what changed; returns what it did and the person's démarches as they now stand
    (new ones are inserted in one statement and not read back).

    Open démarches the plan no longer holds (a need removed, a prévenu now condamné) are marked obsolete:
    proposed for closing, never deleted; an obsolete one that applies again is un-marked. A pinned démarche
    is the binôme's own decision (keeping an obsolete démarche pins it) and is never marked. A file whose
    plan is not made yet (a request), or a closed one, is not planned."""
    rows = {d.key: d for d in p.demarches}
    states = {k: DemarcheState.of(r) for k, r in rows.items()}
    if not p.planned or p.stage == "closed":
        return Replanned(Plan(p.plan_mode, [], [], [], {})), list(states.values())
    current = {d.key: Current(Status(d.status), d.due, d.pinned, d.compressed) for d in p.demarches}
    result = plan(ctx.config.templates, subject_of(p), milestones_of(p), calendar_of(s, ctx, p), today, current,
                  ctx.config.policy)
    now = ctx.now()
    added, updates = [], []
    in_plan = {pd.key for pd in result.demarches}
    gone, back = [], []
    for key, row in rows.items():
        if Status(row.status) in FINAL_STATUSES:
            continue
        if key not in in_plan and not row.obsolete and not row.pinned:
            gone.append(row)
        elif key in in_plan and row.obsolete:
            back.append(row)
    for row, flag in [*((r, True) for r in gone), *((r, False) for r in back)]:
        row.obsolete = flag
        row.updated_at = now
        states[row.key].obsolete = flag
    for pd in result.demarches:
        row = rows.get(pd.key)
        if row is None:
            added.append(pd)
            continue
        if row.pinned or Status(row.status) in FINAL_STATUSES:
            continue
        fields = planned_fields(pd)
        del fields["key"]
        if any(getattr(row, k) != v for k, v in fields.items()):
            updates.append({"b_id": row.id, "b_updated_at": now, **{f"b_{k}": v for k, v in fields.items()}})
            st = states[pd.key]
            for k in ("due", "start", "anchor", "anchor_source", "provisional", "compressed", "late_vs_anchor"):
                setattr(st, k, fields[k])
            s.expire(row)  # the ORM copy is stale once the statement below runs
    t = m.Demarche.__table__
    conn = s.connection()
    if updates:
        # one executemany for every moved démarche (the ORM's unit of work costs ~0.3 ms a row)
        cols = [*updates[0].keys()]
        conn.execute(update(t).where(t.c.id == bindparam("b_id"))
                     .values({c.removeprefix("b_"): bindparam(c) for c in cols if c != "b_id"}), updates)
    inserted = new_rows(p.id, added, now)
    if inserted:
        # one executemany without RETURNING: the ORM would otherwise insert row by row on SQLite
        conn.execute(insert(t), inserted)
        s.expire(p, ["demarches"])
        states.update({r["key"]: state_of_new(r) for r in inserted})
    p.plan_mode = result.mode
    # "made late": a démarche got its first date and that date was already compressed (coordinators' view)
    if any(pd.compressed and (pd.key not in current or current[pd.key].due is None) for pd in result.demarches):
        p.compressed_at_creation = True
    events = [dict(actor=actor, action="demarche.moved", entity="demarche", entity_key=ch.key, person_id=p.id,
                   old={"due": iso(ch.old_due)}, new={"due": iso(ch.new_due)}, reason=reason)
              for ch in result.changes if ch.old_due is not None]
    if current:  # at registration the person.registered event holds the whole first plan
        dated = {ch.key: iso(ch.new_due) for ch in result.changes if ch.old_due is None}
        new = {pd.key: iso(pd.due) for pd in added}
        if dated or new:
            events.append(dict(actor=actor, action="plan.scheduled", entity="person", entity_key=p.ref,
                               person_id=p.id, new={"dated": dated, "added": new}, reason=reason))
    events += [dict(actor=actor, action="demarche.obsolete" if r in gone else "demarche.applies",
                    entity="demarche", entity_key=r.key, person_id=p.id, old={"obsolete": r not in gone},
                    new={"obsolete": r in gone}, reason=reason) for r in (*gone, *back)]
    audit.record_many(s, ctx, events)
    due_now = {pd.key: pd.due for pd in result.demarches}
    outcome = Outcome(added=[(pd.key, None, pd.due) for pd in added],
                      no_longer_applies=[(r.key, r.due, r.due) for r in gone],
                      applies_again=[(r.key, r.due, due_now.get(r.key)) for r in back])
    return Replanned(result, outcome), list(states.values())


def calendar_of(s: Session, ctx: Context, p: m.Person):
    """The working days of the person's organisation (its own closures, config/closures.yaml)."""
    return ctx.config.calendar_for(organisation_code(s, p) if ctx.config.organisation_calendars else None)


def organisation_code(s: Session, p) -> str:
    return s.scalar(select(m.Organisation.code).where(m.Organisation.id == p.organisation_id))


def organisation_name(s: Session, p) -> str | None:
    """The name of the person's organisation, as messages and the partner's page sign with it."""
    return s.scalar(select(m.Organisation.name).where(m.Organisation.id == p.organisation_id))


def view_of(s: Session, ctx: Context, p: m.Person, today: dt.date, demarches: list | None = None,
            result: Replanned | None = None, outcome: Outcome | None = None) -> PlanView:
    """The person's plan as shown; after a replan, `demarches` and `result` are what `replan` returned (the
    view then lists what moved, was added, no longer applies); `outcome` overrides the result's."""
    return plan_view(ctx, person_summary(p, organisation_code(s, p)), p.milestones,
                     p.demarches if demarches is None else demarches, p.plan_mode, today,
                     changes=result.changes if result is not None else (),
                     outcome=outcome or (result.outcome if result is not None else None))
