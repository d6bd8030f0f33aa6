"""The démarche: its template (config/demarches.yaml), its status machine, who it goes to, and when a plan
of démarches is at risk. Pure rules, no I/O; the services apply them (services/demarches.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import Field, field_validator, model_validator

from raj_release.domain.enums import (
    Anchor,
    InDetention,
    Language,
    Modality,
    Need,
    OffsetUnit,
    Pillar,
    Procedure,
    Responsible,
    Situation,
    Status,
)
from raj_release.domain.models import KEY_PATTERN, Frozen, Labels
from raj_release.errors import Conflict, RajError

MAX_OFFSET_DAYS = 730  # two years either side of the anchor; more is a typo, not a plan

# ---------------------------------------------------------------------------------------------------------
# statuses (FHIR Task's words where they fit)

FINAL_STATUSES = frozenset({Status.COMPLETED, Status.CANCELLED, Status.FAILED})
OPEN_STATUSES = frozenset(set(Status) - FINAL_STATUSES)
OPEN_VALUES = tuple(sorted(s.value for s in OPEN_STATUSES))  # for SQL `IN (...)`

# which moves are allowed; reopening a final démarche needs a reason
TRANSITIONS: Mapping[Status, frozenset[Status]] = {
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


def check_change(old: Status, new: Status, reason: str | None, partner: str | None) -> None:
    """Raise if a démarche may not go from `old` to `new` with this reason and partner (nothing else is
    checked here: whether the partner exists is the directory's business)."""
    if new in NEEDS_REASON and not reason:
        raise RajError("a démarche marked {status} needs a reason", field="reason", status=new)
    if partner is not None and new is not Status.ON_HOLD:
        raise RajError("only a démarche on hold waits on a partner (not {status})", field="partner", status=new)
    if old is new:
        return
    if new not in TRANSITIONS[old]:
        raise Conflict("is {old}: it cannot become {new} (allowed: {allowed})", old=old, new=new,
                       allowed=sorted(TRANSITIONS[old], key=lambda s: s.value))
    if old in FINAL_STATUSES and new in OPEN_STATUSES and not reason:
        raise RajError("reopening a {status} démarche needs a reason", field="reason", status=old)


# « Fait » undone: reopening a démarche marked done a moment ago (completed → in-progress, the status
# machine's one way back) needs no reason of its own: the mistake is the reason (« annulation de fait »)

UNDO_WINDOW = dt.timedelta(minutes=10)


def undoes_done(old: Status, new: Status, completed_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether moving `old` → `new` at `now` undoes a « Fait » given at `completed_at` (within UNDO_WINDOW)."""
    return (old is Status.COMPLETED and new is Status.IN_PROGRESS and completed_at is not None
            and dt.timedelta(0) <= now - completed_at <= UNDO_WINDOW)


# ---------------------------------------------------------------------------------------------------------
# who a démarche goes to: the AS's to the AS, the psychologue's to the psychologue, the binôme's and a
# partner's to both (reminders, my week, calendar feeds)

TO_AS = frozenset({Responsible.AS, Responsible.BIN, Responsible.PARTNER})
TO_PSY = frozenset({Responsible.PSY, Responsible.BIN, Responsible.PARTNER})


def concerns(responsible: Responsible, worker: str, as_id: str, psy_id: str) -> bool:
    """Whether a démarche of the binôme (as_id, psy_id) with this responsible is `worker`'s own."""
    return (worker == as_id and responsible in TO_AS) or (worker == psy_id and responsible in TO_PSY)


# ---------------------------------------------------------------------------------------------------------
# a plan is at risk when an open démarche cannot be done in time for what it prepares (planning/scheduler.py
# decides `late_vs_anchor`); a squeezed start (« délai raccourci ») is a mark on that démarche, not a risk

def at_risk(demarches: Iterable[tuple[Status, bool]]) -> bool:
    """`demarches` are (status, late_vs_anchor)."""
    return any(status not in FINAL_STATUSES and late for status, late in demarches)


# ---------------------------------------------------------------------------------------------------------
# templates (DOMAIN.md §7)

class AppliesIf(Frozen):
    """A condition on the person's needs and situation; every field given must hold (AND).

    A condition on modality or procedure holds while the person's value is still unknown: a plan errs
    toward planning a démarche rather than forgetting it, unless the field is listed in `known`
    (the JAP's own démarches are for a known JAP procedure only, the TAP's hold while it is unknown).
    `needs_none`: none of these needs (`sejour`: eID, mutuelle and RIS do not apply as for others).
    """

    needs_any: frozenset[Need] = frozenset()
    needs_all: frozenset[Need] = frozenset()
    needs_none: frozenset[Need] = frozenset()
    situation: frozenset[Situation] = frozenset()
    modality: frozenset[Modality] = frozenset()
    procedure: frozenset[Procedure] = frozenset()
    known: frozenset[Literal["modality", "procedure"]] = frozenset()

    def holds(self, needs: frozenset[Need], situation: Situation, modality: Modality | None,
              procedure: Procedure | None) -> bool:
        if self.needs_any and not (self.needs_any & needs):
            return False
        if self.needs_all and not self.needs_all <= needs:
            return False
        if self.needs_none & needs:
            return False
        if (modality is None and "modality" in self.known) or (procedure is None and "procedure" in self.known):
            return False
        if self.situation and situation not in self.situation:
            return False
        if self.modality and modality is not None and modality not in self.modality:
            return False
        if self.procedure and procedure is not None and procedure not in self.procedure:
            return False
        return True


class Template(Frozen):
    """One démarche of the default plan (DOMAIN.md §7), as configured in config/demarches.yaml."""

    key: str = Field(pattern=KEY_PATTERN)
    label: Labels
    anchor: Anchor
    offset: int = Field(ge=-MAX_OFFSET_DAYS, le=MAX_OFFSET_DAYS)
    offset_unit: OffsetUnit = OffsetUnit.CALENDAR
    duration: int = Field(ge=0, le=260, description="working days")
    depends_on: tuple[str, ...] = ()
    responsible: Responsible
    partner_types: tuple[str, ...] = ()
    pillar: Pillar
    # the purpose of sharing (config/consents.yaml) when it is not the one of the pillar: what a consent must
    # name for the démarche to reach a partner
    purpose: str | None = Field(default=None, pattern=KEY_PATTERN)
    applies_if: AppliesIf = AppliesIf()
    in_detention: InDetention = InDetention.YES
    kit_offset: int | None = Field(default=None, ge=0, le=MAX_OFFSET_DAYS,
                                   description="days after intake in the prévenu minimum kit")
    reminders: dict | None = None  # per-template reminder policy override (validated by the reminders config)
    feed_label: Labels | None = None  # what calendar feeds show instead of the label (default: the pillar's)
    # the person's version of the plan (« Version pour la personne »): the step in plain words, and what the
    # person brings for it; a démarche without `plain` is the service's own work and is not listed there
    plain: Labels | None = None
    bring: Labels | None = None

    @field_validator("offset", mode="before")
    @classmethod
    def _offset_is_a_whole_number(cls, v: object) -> object:
        # YAML gives "-30d" or 1.5 as str/float; pydantic would round-trip "12" silently: be strict.
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"offset must be a whole number of days, got {v!r}")
        return v

    @model_validator(mode="after")
    def _intake_offsets_go_forward(self) -> Template:
        if self.anchor is Anchor.I and self.offset < 0:
            raise ValueError("a démarche anchored on intake (I) cannot be due before the intake: offset must be >= 0")
        if self.key in self.depends_on:
            raise ValueError("depends_on names the démarche itself")
        return self

    def label_in(self, language: Language | str, labels: Labels | None = None) -> str:
        labels = labels or self.label
        return labels.nl if str(language) == "nl" else labels.fr

    @property
    def partner_type(self) -> str | None:
        return self.partner_types[0] if self.partner_types else None


class TemplateSet:
    """The validated, topologically ordered set of templates (prerequisites before dependents)."""

    def __init__(self, templates: Iterable[Template], source: str = "config/demarches.yaml") -> None:
        items = list(templates)
        by_key: dict[str, Template] = {}
        for t in items:
            if t.key in by_key:
                raise ValueError(f"{source}: démarche {t.key!r} is defined twice (field key)")
            by_key[t.key] = t
        for t in items:
            for dep in t.depends_on:
                if dep not in by_key:
                    raise ValueError(f"{source}: démarche {t.key!r}, field depends_on: unknown démarche {dep!r}")
        self.order: tuple[Template, ...] = tuple(_topological(items, by_key, source))
        self.by_key: Mapping[str, Template] = by_key
        self.source = source

    def __len__(self) -> int:
        return len(self.order)

    def __iter__(self):
        return iter(self.order)

    def __contains__(self, key: object) -> bool:
        return key in self.by_key

    def __getitem__(self, key: str) -> Template:
        return self.by_key[key]


def _topological(items: list[Template], by_key: Mapping[str, Template], source: str) -> list[Template]:
    """Depth-first order keeping the file's order where dependencies allow; a cycle names its path."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    out: list[Template] = []

    def visit(t: Template, path: list[str]) -> None:
        mark = state.get(t.key)
        if mark == 2:
            return
        if mark == 1:
            cycle = " -> ".join(path[path.index(t.key):] + [t.key])
            raise ValueError(f"{source}: démarche {t.key!r}, field depends_on: dependency cycle {cycle}")
        state[t.key] = 1
        for dep in t.depends_on:
            visit(by_key[dep], path + [t.key])
        state[t.key] = 2
        out.append(t)

    for t in items:
        visit(t, [])
    return out


