"""Partner services as the démarches meet them: the directory (config/partners.yaml, after Open Referral
HSDS), which partners a démarche may wait on, and the rule that it waits only on those."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from raj_release.domain.partners import Partner, is_stale, verification_age_days
from raj_release.errors import Named, RajError
from raj_release.services.context import Context
from raj_release.services.views import View


def directory(ctx: Context) -> list[Partner]:
    """Every partner, by type then name (the partners page; channel URLs are the page's to leave out)."""
    return sorted(ctx.config.partners.values(), key=lambda p: (p.type, p.name))


def partners_for(ctx: Context, key: str) -> list[Partner]:
    """The directory's partners a démarche may wait on: those of its own partner types, by name."""
    t = ctx.config.templates.by_key.get(key)
    types = set(t.partner_types) if t else set()
    return sorted((p for p in ctx.config.partners.values() if p.type in types), key=lambda p: p.name)


def check_partner(ctx: Context, key: str, partner: str) -> None:
    """A démarche waits only on a partner of its own types: what a partner receives about it (its label,
    the person's reference) is for that kind of service only (a CPAS never reads « Transmettre
    traitement/posologie »)."""
    p = ctx.config.partners.get(partner)
    t = ctx.config.templates.by_key.get(key)
    if p is None or t is None or p.type in t.partner_types:
        return
    if not t.partner_types:
        raise RajError("démarche '{key}' is done by the service alone: it waits on no partner", field="partner",
                       key=Named(key, t.label))
    from raj_release.services.consents import partner_type_named

    raise RajError("'{partner}' is a {type}; démarche '{key}' waits on a partner of type {types}", field="partner",
                   partner=Named(partner, {"fr": p.name, "nl": p.name}), type=partner_type_named(p.type),
                   key=Named(key, t.label), types=[partner_type_named(x) for x in t.partner_types])


def stale_partners(ctx: Context, today: dt.date) -> list[Partner]:
    """The directory's entries to verify again on `today`: never verified, or last verified more than 12 months
    before (domain/partners.py `is_stale`); the oldest verification first, never-verified ones leading."""
    return sorted((p for p in ctx.config.partners.values() if is_stale(p, today)),
                  key=lambda p: (p.last_verified or dt.date.min, p.name))


class PartnerChoice(View):
    """A partner a démarche may be sent to, with what helps choose: its free places and how fresh the entry is."""

    id: str = Field(description="the partner's id in config/partners.yaml")
    name: str
    type: str = Field(description="its partner type (a code of config/demarches.yaml partner_types)")
    capacity_available: int | None = Field(description="free places when last counted; None when not given")
    capacity_maximum: int | None = Field(description="places in all")
    capacity_updated: dt.date | None = Field(description="the day the places were counted")
    last_verified: dt.date | None = Field(description="the day the entry was last verified")
    verified_by: str | None = Field(description="who verified it (a name or an e-mail address)")
    age_days: int | None = Field(description="days since that verification; None when never verified")
    stale: bool = Field(description="never verified, or not for more than 12 months: to check before relying on it")


def partner_choice(ctx: Context, key: str, today: dt.date) -> list[PartnerChoice]:
    """The partners démarche `key` may be sent to (`partners_for`), by name, each with its capacity and the age of
    its verification on `today` (the plan's partner choice)."""
    out = []
    for p in partners_for(ctx, key):
        cap = p.capacity
        out.append(PartnerChoice(
            id=p.id, name=p.name, type=p.type,
            capacity_available=cap.available if cap else None, capacity_maximum=cap.maximum if cap else None,
            capacity_updated=cap.updated if cap else None, last_verified=p.last_verified, verified_by=p.verified_by,
            age_days=verification_age_days(p, today), stale=is_stale(p, today)))
    return out
