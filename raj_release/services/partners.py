"""Partner services as the démarches meet them: the directory (config/partners.yaml, after Open Referral
HSDS), which partners a démarche may wait on, and the rule that it waits only on those."""

from __future__ import annotations

from raj_release.domain.partners import Partner
from raj_release.errors import Named, RajError
from raj_release.services.context import Context


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
    raise RajError("'{partner}' is a {type}; démarche '{key}' waits on a partner of type {types}", field="partner",
                   partner=partner, type=p.type, key=Named(key, t.label), types=list(t.partner_types))
