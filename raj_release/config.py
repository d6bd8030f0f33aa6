"""Loading and validating the YAML files of config/ (the administrator's side of the project).

Every error names the file, the entry and the field, in one line, so that an administrator can fix it
without reading a traceback. Loading is the only I/O here; the models it builds are pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from raj_release.domain.consents import ConsentConfig, Purpose
from raj_release.domain.demarches import Template, TemplateSet
from raj_release.domain.enums import Certainty
from raj_release.domain.partners import Partner
from raj_release.errors import ConfigError
from raj_release.notify.channels import problem
from raj_release.planning.calendar import WorkingCalendar
from raj_release.planning.scheduler import PlanningPolicy
from raj_release.reminders.policy import ReminderPolicy, RemindersConfig


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("{path}: file not found (set RAJ_CONFIG_DIR to a folder that has it)", path=path) from None
    except OSError as e:
        raise ConfigError("{path}: cannot be read ({problem})", path=path, problem=e.strerror) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError("{path}:{where} is not valid YAML: {problem}", path=path, where=where, problem=problem) from None
    except ValueError as e:  # PyYAML builds dates itself: an unquoted 2026-02-30 fails here
        raise ConfigError("{path}: {problem}; dates are written YYYY-MM-DD", path=path,
                          problem=_impossible_date(text) or e) from None
    if not isinstance(data, dict):
        raise ConfigError("{path}: expected a mapping at the top of the file (version: 1, ...)", path=path)
    if data.get("version", 1) != 1:
        raise ConfigError("{path}: field version: only version 1 is understood, got {got}", path=path,
                          got=repr(data.get('version')))
    return data


def _impossible_date(text: str) -> str | None:
    """'line N: 2026-02-30 is not a real date' for the first impossible ISO date in `text`, if any."""
    import re

    for n, line in enumerate(text.splitlines(), 1):
        for iso in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", line):
            try:
                dt.date.fromisoformat(iso)
            except ValueError:
                return f"line {n}: {iso} is not a real date"
    return None


def _first_error(e: ValidationError) -> tuple[str, str]:
    err = e.errors()[0]
    loc = ".".join(str(x) for x in err["loc"] if not isinstance(x, int)) or "(entry)"
    msg = err["msg"].removeprefix("Value error, ")
    return loc, msg


def _entries(path: Path, data: Mapping, section: str) -> list[dict]:
    items = data.get(section)
    if not isinstance(items, list):
        raise ConfigError("{path}: field {section}: expected a list of entries", path=path, section=section)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ConfigError("{path}: {section} entry {n}: expected a mapping, got {got}", path=path, section=section,
                              n=i + 1, got=repr(item))
    return items


def load_templates(config_dir: Path) -> TemplateSet:
    path = Path(config_dir) / "demarches.yaml"
    data = _read_yaml(path)
    raw = _entries(path, data, "demarches")
    kit = {}
    for i, entry in enumerate(_entries(path, data, "prevenu_kit") if "prevenu_kit" in data else []):
        key, offset = entry.get("key"), entry.get("offset")
        if set(entry) - {"key", "offset"}:
            raise ConfigError("{path}: prevenu_kit entry {n}: unknown field(s) {fields}", path=path, n=i + 1,
                              fields=sorted(set(entry) - {'key', 'offset'}))
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ConfigError("{path}: prevenu_kit démarche '{key}', field offset: "
                              "expected a whole number of days >= 0 after intake, got {got}", path=path, key=key,
                              got=repr(offset))
        kit[key] = offset
    templates = []
    keys = set()
    for i, entry in enumerate(raw):
        key = entry.get("key", f"#{i + 1}")
        keys.add(key)
        try:
            templates.append(Template.model_validate({**entry, "kit_offset": kit.get(key)}))
        except ValidationError as e:
            field, msg = _first_error(e)
            raise ConfigError("{path}: démarche '{key}', field {at}: {problem}", path=path, key=key, at=field,
                              problem=msg) from None
    for key in kit:
        if key not in keys:
            raise ConfigError("{path}: prevenu_kit, field key: unknown démarche '{key}'", path=path, key=key)
    try:
        return TemplateSet(templates, source=str(path))
    except ValueError as e:
        raise ConfigError("{problem}", problem=e) from None


class Prison(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,39}$")
    name: dict[str, str]
    commune: dict[str, str] | None = None
    region: str | None = None


def _keyed(path: Path, section: str, model: type[BaseModel], key: str, noun: str) -> dict:
    """Validate every entry of `section` as `model`, keyed by its field `key`; one-line errors."""
    out: dict = {}
    for i, entry in enumerate(_entries(path, _read_yaml(path), section)):
        name = entry.get(key, f"#{i + 1}")
        try:
            item = model.model_validate(entry)
        except ValidationError as e:
            field, msg = _first_error(e)
            raise ConfigError("{path}: {noun} '{name}', field {at}: {problem}", path=path, noun=noun, name=name,
                              at=field, problem=msg) from None
        if getattr(item, key) in out:
            raise ConfigError("{path}: {noun} '{name}' is listed twice (field {key})", path=path, noun=noun,
                              name=getattr(item, key), key=key)
        out[getattr(item, key)] = item
    return out


def load_prisons(config_dir: Path) -> dict[str, Prison]:
    return _keyed(Path(config_dir) / "prisons.yaml", "prisons", Prison, "code", "prison")


class _Recurring(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    name: str


class _Closure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    name: str


def _closure_days(path: Path, data: dict, where: str = "") -> tuple[list, dict]:
    """The `recurring` and `closures` sections of `data` (the file, or one organisation's entry)."""
    recurring, closures = [], {}
    for section, model in (("recurring", _Recurring), ("closures", _Closure)):
        if data.get(section) is None:
            continue
        for i, entry in enumerate(_entries(path, data, section)):
            try:
                item = model.model_validate(entry)
            except ValidationError as e:
                field, msg = _first_error(e)
                raise ConfigError("{path}: {where}{section} entry {n}, field {at}: {problem}", path=path,
                                  where=where, section=section, n=i + 1, at=field, problem=msg) from None
            if isinstance(item, _Recurring):
                try:
                    dt.date(2024, item.month, item.day)  # a leap year: 29 February is a real recurring day
                except ValueError:
                    raise ConfigError("{path}: {where}{section} entry {n}, field day: "
                                      "{month}/{day} is not a day of the year", path=path, where=where,
                                      section=section, n=i + 1, month=item.month, day=item.day) from None
                recurring.append((item.month, item.day, item.name))
            else:
                closures[item.date] = item.name
    return recurring, closures


def load_calendars(config_dir: Path) -> tuple[WorkingCalendar, dict[str, WorkingCalendar]]:
    """The calendar every organisation shares, and each organisation's own (the shared closures plus those of
    its `organisations:` entry in closures.yaml: a Flemish body closes on 11 July, a federal one on 15
    November, a COCOF service on neither)."""
    path = Path(config_dir) / "closures.yaml"
    data = _read_yaml(path)
    recurring, closures = _closure_days(path, data)
    own = data.get("organisations") or {}
    if not isinstance(own, dict):
        raise ConfigError("{path}: organisations must map organisation codes to their closures", path=path)
    calendars = {}
    for code, entry in own.items():
        if not isinstance(entry, dict) or set(entry) - {"recurring", "closures"}:
            raise ConfigError("{path}: organisations, '{code}': give `recurring:` and/or `closures:` lists", path=path,
                              code=code)
        r, c = _closure_days(path, entry, f"organisations, {code!r}, ")
        calendars[str(code)] = WorkingCalendar(closures={**closures, **c}, recurring=[*recurring, *r])
    return WorkingCalendar(closures=closures, recurring=recurring), calendars


def load_calendar(config_dir: Path) -> WorkingCalendar:
    return load_calendars(config_dir)[0]


class _Planning(BaseModel):
    model_config = ConfigDict(extra="forbid")
    release_after_hearing_days: tuple[int, int, int] = (14, 21, 28)
    margin_working_days: dict[Certainty, int] = {Certainty.CONFIRMED: 0, Certainty.EXPECTED: 0,
                                                 Certainty.ESTIMATED: 10}


def _mapping(path: Path, model: type[BaseModel]):
    """A whole file validated as one `model`; the model's defaults if the file does not exist."""
    if not path.exists():
        return model()
    data = _read_yaml(path)
    data.pop("version", None)
    try:
        return model.model_validate(data)
    except ValidationError as e:
        field, msg = _first_error(e)
        raise ConfigError("{path}: field {at}: {problem}", path=path, at=field, problem=msg) from None


def load_policy(config_dir: Path) -> PlanningPolicy:
    path = Path(config_dir) / "planning.yaml"
    p = _mapping(path, _Planning)
    lo, mid, hi = p.release_after_hearing_days
    if not 0 <= lo <= mid <= hi:
        raise ConfigError("{path}: field release_after_hearing_days: expected [earliest, likely, latest] "
                          "in increasing order, got {got}", path=path, got=repr(list(p.release_after_hearing_days)))
    if any(v < 0 for v in p.margin_working_days.values()):
        raise ConfigError("{path}: field margin_working_days: margins must be >= 0", path=path)
    margins = {**PlanningPolicy().margin_working_days, **p.margin_working_days}
    return PlanningPolicy(release_after_hearing_days=(lo, mid, hi), margin_working_days=margins)


def load_partners(config_dir: Path) -> dict[str, Partner]:
    path = Path(config_dir) / "partners.yaml"
    if not path.exists():
        return {}
    out = _keyed(path, "partners", Partner, "id", "partner")
    for p in out.values():
        for lang in p.languages:
            if lang not in ("fr", "nl"):
                raise ConfigError("{path}: partner '{partner}', field languages: '{language}' is not fr or nl",
                                  path=path, partner=p.id, language=lang)
        for url in p.channels:
            _check_channel(path, f"partner {p.id!r}", url)
    return out


def _check_channel(path: Path, where: str, url: str) -> None:
    if (why := problem(url)) is not None:
        raise ConfigError("{path}: {where}, field channels: {problem}", path=path, where=where, problem=why)


def load_reminders(config_dir: Path, templates: TemplateSet | None = None) -> RemindersConfig:
    cfg = _mapping(Path(config_dir) / "reminders.yaml", RemindersConfig)
    for t in (templates or ()):  # a template's override must make a valid policy
        if t.reminders:
            try:
                cfg.default.merged(t.reminders)
            except ValidationError as e:
                field, msg = _first_error(e)
                raise ConfigError("{path}: démarche '{key}', field reminders.{at}: {problem}", path=templates.source,
                                  key=t.key, at=field, problem=msg) from None
    return cfg


def load_consents(config_dir: Path, templates: TemplateSet) -> tuple[ConsentConfig, dict[str, Purpose]]:
    """config/consents.yaml, and each démarche's purpose: the one it names, else its pillar's. A démarche
    whose purpose is unknown, or that lists a partner type its purpose may not concern, is a config error:
    it could never be shared with that partner."""
    path = Path(config_dir) / "consents.yaml"
    data = _read_yaml(path)
    data.pop("version", None)
    try:
        cfg = ConsentConfig.model_validate(data)
    except ValidationError as e:
        field, msg = _first_error(e)
        raise ConfigError("{path}: field {at}: {problem}", path=path, at=field, problem=msg) from None
    by_key = cfg.by_key
    purposes: dict[str, Purpose] = {}
    for t in templates:
        key = t.purpose or cfg.purpose_of_pillar(t.pillar)
        if key is None or key not in by_key:
            raise ConfigError("{path}: démarche '{key}', field purpose: {problem}", path=templates.source, key=t.key,
                              problem=(f"unknown purpose '{key}' (consents.yaml lists {sorted(by_key)})" if key
                                       else f"no purpose of consents.yaml has pillar '{t.pillar.value}': name one"))
        outside = [x for x in t.partner_types if x not in by_key[key].partner_types]
        if outside:
            raise ConfigError("{path}: démarche '{key}', field partner_types: {types} not concerned by its purpose "
                              "'{purpose}' (consents.yaml)", path=templates.source, key=t.key, types=outside,
                              purpose=key)
        purposes[t.key] = by_key[key]
    return cfg, purposes


@dataclass(frozen=True)
class Config:
    """Everything the services need from config/, loaded and validated once per process."""

    directory: Path
    templates: TemplateSet
    calendar: WorkingCalendar
    prisons: Mapping[str, Prison]
    policy: PlanningPolicy
    partners: Mapping[str, Partner]
    reminders: RemindersConfig
    organisation_calendars: Mapping[str, WorkingCalendar] = field(default_factory=dict)
    consents: ConsentConfig | None = None
    purposes: Mapping[str, Purpose] = field(default_factory=dict)  # démarche key -> its purpose of sharing

    def purpose_of(self, key: str) -> Purpose | None:
        """The purpose a consent must name for démarche `key` to reach a partner."""
        return self.purposes.get(key)

    def calendar_for(self, organisation: str | None) -> WorkingCalendar:
        """The working days of an organisation (its own closures on top of the shared ones)."""
        return self.organisation_calendars.get(organisation or "", self.calendar)

    def reminder_policy(self, key: str) -> ReminderPolicy:
        """The reminder policy of démarche `key`: the default with the template's override."""
        cache = self.__dict__.setdefault("_policies", {})
        if key not in cache:
            t = self.templates.by_key.get(key)
            cache[key] = self.reminders.default.merged(t.reminders if t else None)
        return cache[key]


@lru_cache(maxsize=4)
def load_config(config_dir: Path) -> Config:
    d = Path(config_dir)
    if not d.is_dir():
        raise ConfigError("{path}: configuration folder not found (RAJ_CONFIG_DIR)", path=d)
    templates = load_templates(d)
    shared, own = load_calendars(d)
    consents, purposes = load_consents(d, templates)
    return Config(d, templates, shared, load_prisons(d), load_policy(d), load_partners(d),
                  load_reminders(d, templates), own, consents, purposes)
