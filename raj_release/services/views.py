"""What the services answer about a plan: typed views, the same for the CLI (`--json`), the pages and the
JSON API (they are its response models, so /api/openapi.json documents them).

Views are built from rows the services just read or wrote, never by the shells. Field names are the JSON
names, but for the binôme's `as_id` and `psy_id`, serialised as "as" and "psy" (`as` is a Python keyword).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from raj_release.domain.demarches import OPEN_STATUSES, at_risk
from raj_release.domain.enums import MilestoneKind, Status
from raj_release.domain.milestones import release_kind
from raj_release.planning.readiness import Readiness, readiness
from raj_release.planning.scheduler import Change
from raj_release.services.context import Context
from raj_release.store.db import aware


class View(BaseModel):
    """Serialised with `as_json()`: dates as ISO strings, field aliases (`as`) as their JSON names."""

    model_config = ConfigDict(populate_by_name=True)

    def as_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


class DemarcheView(View):
    key: str = Field(description="the démarche's key in config/demarches.yaml")
    label: str = Field(description="its label in the person's language")
    due: dt.date | None
    start: dt.date | None = Field(description="advised start: the due date minus the duration, in working days")
    status: Status
    compressed: bool = Field(description="« délai raccourci »: less time left than it takes (a squeezed start)")
    pinned: bool = Field(description="its due date was set by hand: replanning leaves it")
    provisional: bool = Field(description="planned against a date not yet known for sure")
    late_vs_anchor: bool = Field(description="cannot be done in time for what it prepares (its anchor or a dependent): the plan is at risk")
    anchor: str | None = Field(description="T (hearing), R (expected release), J (actual release) or I (intake)")
    anchor_source: str | None = Field(description="the milestone kind the anchor came from, or 'derived'")
    depends_on: list[str]
    responsible: str = Field(description="AS, PSY, BIN (the binôme) or partner")
    partner_type: str | None
    partner_types: list[str]
    pillar: str
    in_detention: str
    reason: str | None = Field(description="why it was cancelled, failed or reopened")
    partner: str | None = Field(description="the partner it waits on (on-hold)")
    overdue: bool
    obsolete: bool = Field(default=False, description="open, but no longer applies after a change of what is "
                                                      "known of the person: proposed for closing (or keeping)")
    completed_at: dt.datetime | None = Field(default=None, description="when it was marked done (completed)")


class PersonSummary(View):
    ref: str
    name: str | None
    prison: str | None = Field(description="prison code; null for a request from outside (« hors établissement »)")
    prison_since: dt.date | None = Field(default=None, description="the date of the last transfer")
    stage: str = Field(default="followed", description="request, first-meetings, followed or closed")
    origin: str = Field(default="prison", description="prison or outside")
    source: str | None = Field(default=None, description="who made the request")
    followed_on: dt.date | None = Field(default=None, description="the team meeting that validated the follow-up")
    planned: bool = Field(default=True, description="the plan is made (a request's plan may wait)")
    closed_on: dt.date | None = None
    close_reason: str | None = None
    not_met_reason: str | None = None
    close_detail: str | None = None
    close_to_service: str | None = None
    language: str
    interpreter: bool
    situation: str
    procedure: str | None
    modality: str | None
    needs: list[str]
    as_id: str = Field(serialization_alias="as", description="worker id of the assistant social")
    psy_id: str = Field(serialization_alias="psy", description="worker id of the psychologue")
    organisation: str
    version: int = Field(description="changes with every change of the person's plan: send it back to edit")
    compressed_at_creation: bool = Field(description="the plan was already late when it was made")


class MilestoneView(View):
    kind: MilestoneKind
    date: dt.date
    earliest: dt.date | None
    latest: dt.date | None
    certainty: str
    updated_by: str | None


class ReadinessView(View):
    pillar: str
    done: int
    total: int


class MoveView(View):
    """A démarche whose due date a change moved (or dated for the first time: `old_due` null); in the other
    lists of a change (added, no longer applies, ...), `old_due`/`new_due` are its date before and after."""

    key: str
    label: str = Field(default="", description="the démarche's label in the person's language")
    old_due: dt.date | None
    new_due: dt.date | None


class PlanView(View):
    person: PersonSummary
    as_of: dt.date
    mode: str = Field(description="'full', or 'prevenu_kit' (a prévenu without dates: the minimum kit)")
    at_risk: bool
    milestones: list[MilestoneView]
    demarches: list[DemarcheView]
    readiness: list[ReadinessView]
    changes: list[MoveView] = Field(default_factory=list, description="what the change just made moved")
    added: list[MoveView] = Field(default_factory=list, description="démarches the change added to the plan")
    no_longer_applies: list[MoveView] = Field(
        default_factory=list, description="open démarches the change made obsolete (proposed for closing)")
    applies_again: list[MoveView] = Field(default_factory=list,
                                          description="obsolete démarches that apply again after the change")
    closed: list[MoveView] = Field(default_factory=list, description="open démarches a closure cancelled")
    reopened: list[MoveView] = Field(default_factory=list, description="démarches a reopening planned again")


@dataclass(slots=True)
class DemarcheState:
    """A démarche row as it stands, for a view: read from the database or just written (services/replan.py
    builds these from what it wrote, without reading the rows back)."""

    key: str
    status: str
    due: dt.date | None
    start: dt.date | None
    pinned: bool
    provisional: bool
    compressed: bool
    late_vs_anchor: bool
    anchor: str | None
    anchor_source: str | None
    reason: str | None = None
    partner_id: str | None = None
    obsolete: bool = False
    completed_at: dt.datetime | None = None

    @classmethod
    def of(cls, row) -> DemarcheState:
        return cls(row.key, row.status, row.due, row.start, row.pinned, row.provisional, row.compressed,
                   row.late_vs_anchor, row.anchor, row.anchor_source, row.reason, row.partner_id, row.obsolete,
                   row.completed_at)


_OPEN = frozenset(s.value for s in OPEN_STATUSES)


def demarche_view(ctx: Context, d, today: dt.date, language: str = "fr") -> DemarcheView:
    """`d` is a DemarcheState or a démarche row."""
    t = ctx.config.templates.by_key.get(d.key)
    # model_construct: the values come from the database and the planner, validated on their way in; a plan
    # view holds ~30 of these and registering 10,000 persons builds 300,000
    return DemarcheView.model_construct(
        key=d.key, label=t.label_in(language) if t else d.key, due=d.due, start=d.start, status=Status(d.status),
        compressed=d.compressed, pinned=d.pinned, provisional=d.provisional, late_vs_anchor=d.late_vs_anchor,
        anchor=d.anchor, anchor_source=d.anchor_source,
        depends_on=list(t.depends_on) if t else [], responsible=t.responsible.value if t else "",
        partner_type=t.partner_type if t else None, partner_types=list(t.partner_types) if t else [],
        pillar=t.pillar.value if t else "", in_detention=t.in_detention.value if t else "",
        reason=d.reason, partner=d.partner_id,
        overdue=d.due is not None and d.due < today and d.status in _OPEN and not d.obsolete,
        obsolete=bool(d.obsolete) and d.status in _OPEN,
        completed_at=aware(getattr(d, "completed_at", None)) if d.status == Status.COMPLETED.value else None,
    )


def person_summary(p, organisation: str) -> PersonSummary:
    """`p` is a person row (or an object with its columns)."""
    return PersonSummary.model_construct(
        ref=p.ref, name=p.name, prison=p.prison, language=p.language, interpreter=p.interpreter,
        situation=p.situation, procedure=p.procedure, modality=p.modality, needs=list(p.needs), as_id=p.as_id,
        psy_id=p.psy_id, organisation=organisation, version=p.version, compressed_at_creation=p.compressed_at_creation,
        prison_since=p.prison_since, stage=p.stage, origin=p.origin, source=p.source, followed_on=p.followed_on,
        planned=p.planned, closed_on=p.closed_on, close_reason=p.close_reason, not_met_reason=p.not_met_reason,
        close_detail=p.close_detail, close_to_service=p.close_to_service)


def milestone_view(x) -> MilestoneView:
    return MilestoneView.model_construct(kind=MilestoneKind(x.kind), date=x.date, earliest=x.earliest,
                                         latest=x.latest, certainty=x.certainty, updated_by=x.updated_by)


def moves(changes: Iterable[Change], label=lambda key: key) -> list[MoveView]:
    """What a replan moved, as shown after a change (the CLI's table, the page's box, the API's answer)."""
    return [MoveView.model_construct(key=c.key, label=label(c.key), old_due=c.old_due, new_due=c.new_due)
            for c in changes]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a change did to the plan beyond moving dates: (key, due before, due after) of the démarches it
    added, made obsolete, made apply again, closed with the file, reopened with it."""

    added: Sequence[tuple[str, dt.date | None, dt.date | None]] = ()
    no_longer_applies: Sequence[tuple[str, dt.date | None, dt.date | None]] = ()
    applies_again: Sequence[tuple[str, dt.date | None, dt.date | None]] = ()
    closed: Sequence[tuple[str, dt.date | None, dt.date | None]] = ()
    reopened: Sequence[tuple[str, dt.date | None, dt.date | None]] = ()


def plan_view(ctx: Context, person: PersonSummary, milestones: Sequence, demarches: Iterable, mode: str,
              today: dt.date, changes: Iterable[Change] = (), outcome: Outcome | None = None) -> PlanView:
    """The plan as shown: `milestones` are milestone rows, `demarches` démarche rows or DemarcheStates."""
    order = {t.key: i for i, t in enumerate(ctx.config.templates.order)}
    by_key = ctx.config.templates.by_key

    def label(key: str) -> str:
        t = by_key.get(key)
        return t.label_in(person.language) if t else key

    rows = sorted(demarches, key=lambda d: (d.due or dt.date.max, order.get(d.key, 10**6)))
    views = [demarche_view(ctx, d, today, person.language) for d in rows]
    ms = sorted((milestone_view(x) for x in milestones), key=lambda x: x.date)
    dates = {x.kind: x.date for x in ms}
    hearing = dates.get(MilestoneKind.TAP_HEARING)
    rk = release_kind(dates)
    deadline = hearing or (dates[rk] if rk else None)
    ready: list[Readiness] = readiness(ctx.config.templates, ((d.key, Status(d.status), d.due) for d in rows),
                                       deadline)
    return PlanView.model_construct(
        person=person, as_of=today, mode=mode,
        at_risk=at_risk((v.status, v.late_vs_anchor) for v in views if not v.obsolete),
        milestones=ms, demarches=views,
        readiness=[ReadinessView.model_construct(pillar=r.pillar.value, done=r.done, total=r.total) for r in ready],
        changes=moves(changes, label), **_outcome_lists(outcome, label))


def _outcome_lists(outcome: Outcome | None, label) -> dict:
    if outcome is None:
        return {}
    return {name: [MoveView.model_construct(key=k, label=label(k), old_due=a, new_due=b)
                   for k, a, b in getattr(outcome, name)]
            for name in ("added", "no_longer_applies", "applies_again", "closed", "reopened")}
