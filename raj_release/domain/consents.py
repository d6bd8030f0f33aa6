"""Consent: what the person agreed the binôme may share, with which partner (or kind of partner), for which
purpose (DOMAIN.md §4, §8.4: any work with a partner has « comme condition sine qua none l'accord » of the
person, S2). Pure rules; the services keep the register (services/consents.py).

A consent is given on a day, for a partner or a partner type and a purpose, optionally until a day; it can be
withdrawn on a day. It is *current* on `today` when given on or before today, not past its `until`, and not
withdrawn on or before today. Every disclosure to a partner (a reminder, a request, a reply link, initials
instead of the reference, a withdrawal notice) needs a current consent that covers that partner (or its type)
and the démarche's purpose, and the purpose must concern that kind of partner at all (`Purpose.partner_types`):
a health purpose names only health services, so a health démarche never reaches a CPAS or a commune.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import Field, model_validator

from raj_release.domain.enums import Pillar
from raj_release.domain.models import KEY_PATTERN, Frozen, Labels
from raj_release.errors import RajError


class Purpose(Frozen):
    """A purpose of sharing (config/consents.yaml): its words and the partner types it may concern."""

    key: str = Field(pattern=KEY_PATTERN)
    label: Labels
    partner_types: tuple[str, ...] = Field(min_length=1)
    health: bool = False  # health data: only the partner types listed, all of them care services
    pillars: tuple[Pillar, ...] = ()  # the démarches of these pillars have this purpose unless they name one


class ConsentConfig(Frozen):
    """config/consents.yaml: the purposes, and how long a partner's reply link works."""

    purposes: tuple[Purpose, ...] = Field(min_length=1)
    reply_link_days: int = Field(default=21, ge=1, le=120)

    @model_validator(mode="after")
    def _one_purpose_per_pillar(self) -> ConsentConfig:
        seen: dict[str, str] = {}
        keys: set[str] = set()
        for p in self.purposes:
            if p.key in keys:
                raise ValueError(f"purpose '{p.key}' is listed twice")
            keys.add(p.key)
            for pillar in p.pillars:
                if pillar.value in seen:
                    raise ValueError(f"pillar '{pillar.value}' is given to two purposes ({seen[pillar.value]}, "
                                     f"{p.key})")
                seen[pillar.value] = p.key
        return self

    @property
    def by_key(self) -> Mapping[str, Purpose]:
        return {p.key: p for p in self.purposes}

    def purpose_of_pillar(self, pillar: Pillar) -> str | None:
        return next((p.key for p in self.purposes if pillar in p.pillars), None)


HOW = ("signed", "oral")  # a signed form, or orally in the presence of both members of the binôme


@dataclass(slots=True)  # not frozen: the sweep reads tens of thousands, and a frozen __init__ costs 5x
class Grant:
    """A consent as the rules read it (a row of the register); not changed once read."""

    id: int
    partner_id: str | None  # one partner of the directory ...
    partner_type: str | None  # ... or every partner of a type
    purpose: str
    given_on: dt.date
    until: dt.date | None = None
    withdrawn_on: dt.date | None = None

    def current(self, today: dt.date) -> bool:
        return (self.given_on <= today and (self.until is None or today <= self.until)
                and (self.withdrawn_on is None or today < self.withdrawn_on))

    def names(self, partner_id: str, partner_type: str) -> bool:
        """Whether this consent is about that partner (itself, or its type)."""
        return self.partner_id == partner_id if self.partner_id else self.partner_type == partner_type


def concerns(purpose: Purpose | None, partner_type: str) -> bool:
    """Whether a purpose may concern that kind of partner at all (a health purpose: care services only)."""
    return purpose is not None and partner_type in purpose.partner_types


def covering(grants: Iterable[Grant], partner_id: str, partner_type: str, purpose: Purpose | None,
             today: dt.date) -> Grant | None:
    """The current consent that allows telling partner `partner_id` (of `partner_type`) about a démarche of
    `purpose` on `today`, or None: then nothing about the person goes to that partner."""
    if not concerns(purpose, partner_type):
        return None
    for g in grants:
        if g.purpose == purpose.key and g.names(partner_id, partner_type) and g.current(today):
            return g
    return None


def allows(grants: Iterable[Grant], partner_id: str, partner_type: str, purpose: Purpose | None,
           today: dt.date) -> bool:
    return covering(grants, partner_id, partner_type, purpose, today) is not None


@dataclass(frozen=True, slots=True)
class Need:
    """A démarche of the plan that will be shared with a partner of `partner_types` for `purpose`."""

    key: str
    purpose: str
    partner_types: tuple[str, ...]


def lacking(needs: Iterable[Need], grants: Iterable[Grant], today: dt.date,
            partner_types_of: Mapping[str, str] | None = None) -> list[Need]:
    """The needs no current consent answers: a consent for the need's purpose that names one of its
    partner types, or one partner of those types (`partner_types_of`: partner id → type)."""
    grants = [g for g in grants if g.current(today)]
    types_of = partner_types_of or {}
    out = []
    for n in needs:
        ok = any(g.purpose == n.purpose and ((g.partner_type in n.partner_types) if g.partner_type else
                                             types_of.get(g.partner_id or "") in n.partner_types)
                 for g in grants)
        if not ok:
            out.append(n)
    return out


def check_period(given_on: dt.date, until: dt.date | None, withdrawn_on: dt.date | None = None) -> None:
    """A consent's days in order, or a one-line error naming the field."""
    if until is not None and until < given_on:
        raise RajError("{until} is before the day the consent was given ({given})", field="until", until=until,
                       given=given_on)
    if withdrawn_on is not None and withdrawn_on < given_on:
        raise RajError("{day} is before the day the consent was given ({given})", field="date", day=withdrawn_on,
                       given=given_on)
