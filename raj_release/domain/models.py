"""Pydantic models of the domain: who is followed, by whom, which dates are known, which démarches exist.

These models validate what comes in (configuration files, CLI and API input). The planner's own results are
plain dataclasses (raj_release.planning.scheduler) because it builds hundreds of thousands of them a second.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from raj_release.domain.enums import (
    Anchor,
    Certainty,
    InDetention,
    Language,
    MilestoneKind,
    Modality,
    Need,
    OffsetUnit,
    Pillar,
    Procedure,
    Responsible,
    Role,
    Situation,
)

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
ORG_PATTERN = r"^[a-z][a-z0-9-]{1,39}$"
MAX_OFFSET_DAYS = 730  # two years either side of the anchor; more is a typo, not a plan


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Organisation(Frozen):
    code: str = Field(pattern=ORG_PATTERN)
    name: str = Field(min_length=1, max_length=200)


class Worker(Frozen):
    id: str = Field(pattern=REF_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    language: Language = Language.FR
    organisation: str
    notify: tuple[str, ...] = ()


class Binome(Frozen):
    as_id: str
    psy_id: str


class Person(Frozen):
    """A person followed by a binôme. `ref` is pseudonymous; the name is optional and never leaves the service."""

    ref: str = Field(pattern=REF_PATTERN)
    name: str | None = Field(default=None, max_length=200)
    prison: str
    language: Language = Language.FR
    interpreter: bool = False
    situation: Situation = Situation.CONDAMNE
    procedure: Procedure | None = None
    modality: Modality | None = None
    needs: frozenset[Need] = frozenset()
    binome: Binome
    organisation: str


class Milestone(Frozen):
    """A key date. An uncertain one has a window (earliest, latest) around its most likely date."""

    kind: MilestoneKind
    date: dt.date
    earliest: dt.date | None = None
    latest: dt.date | None = None
    certainty: Certainty = Certainty.CONFIRMED

    @model_validator(mode="after")
    def _window_holds_the_date(self) -> Milestone:
        lo, hi = self.earliest, self.latest
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"window earliest {lo} is after latest {hi}")
        if lo is not None and lo > self.date:
            raise ValueError(f"window earliest {lo} is after the date {self.date}")
        if hi is not None and hi < self.date:
            raise ValueError(f"window latest {hi} is before the date {self.date}")
        return self

    @property
    def plausible_earliest(self) -> dt.date:
        return self.earliest or self.date


class AppliesIf(Frozen):
    """A condition on the person's needs and situation; every field given must hold (AND).

    A condition on modality or procedure holds while the person's value is still unknown: a plan errs
    toward planning a démarche rather than forgetting it.
    """

    needs_any: frozenset[Need] = frozenset()
    needs_all: frozenset[Need] = frozenset()
    situation: frozenset[Situation] = frozenset()
    modality: frozenset[Modality] = frozenset()
    procedure: frozenset[Procedure] = frozenset()

    def holds(self, needs: frozenset[Need], situation: Situation, modality: Modality | None,
              procedure: Procedure | None) -> bool:
        if self.needs_any and not (self.needs_any & needs):
            return False
        if self.needs_all and not self.needs_all <= needs:
            return False
        if self.situation and situation not in self.situation:
            return False
        if self.modality and modality is not None and modality not in self.modality:
            return False
        if self.procedure and procedure is not None and procedure not in self.procedure:
            return False
        return True


class Labels(Frozen):
    fr: str = Field(min_length=1, max_length=200)
    nl: str = Field(min_length=1, max_length=200)


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
    applies_if: AppliesIf = AppliesIf()
    in_detention: InDetention = InDetention.YES
    kit_offset: int | None = Field(default=None, ge=0, le=MAX_OFFSET_DAYS,
                                   description="days after intake in the prévenu minimum kit")
    reminders: dict | None = None  # per-template reminder policy override (validated by the reminders config)

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

    def label_in(self, language: Language | str) -> str:
        return self.label.nl if str(language) == "nl" else self.label.fr

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


def parse_date(value: str, what: str) -> dt.date:
    """Parse an ISO date (YYYY-MM-DD) or raise a one-line error naming the field."""
    from raj_release.errors import RajError

    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise RajError(f"{what}: {value!r} is not a date; write it as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise RajError(f"{what}: {value!r} is not a real calendar date (YYYY-MM-DD)") from None
