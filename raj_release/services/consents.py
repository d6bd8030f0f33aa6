"""The consent register of a person (issue 12 point 1) and the gate it puts on every disclosure to a partner
(point 2). The rules are pure (domain/consents.py); this module keeps the register, finds the consents that
cover a partner, and cancels what waits in the outbox for a partner the person no longer agrees to.

`consent_sharing` (« Recueil consentements ») counts as done once every démarche of the plan that goes to a
partner has a current consent for its purpose and one of its partner types; a withdrawal that leaves one
uncovered reopens it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

from pydantic import Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from raj_release import i18n
from raj_release.domain.consents import Grant, Need, allows, check_period, lacking
from raj_release.domain.demarches import FINAL_STATUSES
from raj_release.domain.enums import ConsentHow, OutboxStatus, Status, parse_code
from raj_release.domain.models import check_day, check_reason
from raj_release.errors import Conflict, Named, NotFound, RajError
from raj_release.services import audit
from raj_release.services.access import Viewer
from raj_release.services.context import Context
from raj_release.services.replan import bump, load_person
from raj_release.services.views import View
from raj_release.store import models as m

CONSENT_KEY = "consent_sharing"


class ConsentView(View):
    id: int
    partner: str | None = Field(description="the partner of the directory the consent names (or null)")
    partner_type: str | None = Field(description="the partner type it names instead: every partner of that type")
    purpose: str = Field(description="the purpose of sharing (config/consents.yaml)")
    given_on: dt.date
    how: ConsentHow = Field(description="signed (a signed form) or oral (in the presence of both binôme members)")
    recorded_by: str
    until: dt.date | None = Field(description="the last day it holds, if it was given for a time")
    withdrawn_on: dt.date | None
    withdraw_reason: str | None
    current: bool = Field(description="it holds on the day the view is seen from")


class MissingConsent(View):
    """A démarche that would reach a partner but no current consent allows it."""

    key: str
    purpose: str
    partner: str | None = Field(default=None, description="the partner it waits on or was sent to, when one is "
                                                          "named; null: any partner of its types")
    partner_types: list[str]


class ConsentsView(View):
    consents: list[ConsentView]
    missing: list[MissingConsent] = Field(description="what the plan would share without a consent: démarches "
                                                      "waiting on (or sent to) a partner no consent covers, and "
                                                      "démarches going to partners for which no consent exists")
    complete: bool = Field(description="every démarche going to a partner has a consent: « Recueil "
                                       "consentements » counts as done")


def consent_view(row: m.Consent, today: dt.date) -> ConsentView:
    return ConsentView.model_construct(
        id=row.id, partner=row.partner_id, partner_type=row.partner_type, purpose=row.purpose,
        given_on=row.given_on, how=ConsentHow(row.how), recorded_by=row.recorded_by, until=row.until,
        withdrawn_on=row.withdrawn_on, withdraw_reason=row.withdraw_reason, current=grant_of(row).current(today))


def grant_of(row: m.Consent) -> Grant:
    return Grant(row.id, row.partner_id, row.partner_type, row.purpose, row.given_on, row.until, row.withdrawn_on)


GRANTS_CHUNK = 5000  # persons per query of grants_of


def grants_of(s: Session, person_ids: Iterable[int] | None = None) -> dict[int, list[Grant]]:
    """The consents of these persons (every person's when None), per person: one query per 5,000 persons,
    read as the driver's plain rows (the sweep asks about thousands of persons at once; person ids are
    integers of our own, compiled as literals)."""
    c = m.Consent
    q = select(c.person_id, *grant_columns())
    if person_ids is None:
        queries = [q]
    else:
        ids = sorted(set(person_ids))
        queries = [q.where(c.person_id.in_(ids[i:i + GRANTS_CHUNK])) for i in range(0, len(ids), GRANTS_CHUNK)]
    out: dict[int, list[Grant]] = defaultdict(list)
    conn = s.connection()
    cursor = conn.connection.cursor()
    try:
        for query in queries:
            cursor.execute(str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})))
            for pid, *row in cursor.fetchall():
                out[pid].append(grant_from(*row))
    finally:
        cursor.close()
    return out


def consent_gate(ctx: Context, s: Session, today: dt.date, persons: Iterable[int] = ()):
    """`allowed(candidate, partner)` for the reminder engine: whether a current consent lets the partner hear
    of the démarche. The consents of `persons` (those the engine will ask about: it gives them to its `gate`)
    are read beforehand (`grants_of`); any other person's are read the first time one of their démarches
    reaches a partner point, and kept for the sweep. Only the persons with a partner point today are read:
    reading the whole register cost the sweep as much as the rest of it, and a query per person cost a round
    trip each on PostgreSQL."""
    wanted = set(persons)
    cache: dict[int, list[Grant]] = {pid: [] for pid in wanted}
    cache.update(grants_of(s, wanted))

    def allowed(cand, partner: str) -> bool:
        grants = cache.get(cand.person_id)
        if grants is None:
            grants = cache[cand.person_id] = grants_of(s, [cand.person_id]).get(cand.person_id, [])
        return partner_allowed(ctx, grants, partner, cand.key, today)

    return allowed


def grant_columns() -> tuple:
    """The columns a Grant is read from, in `grant_from`'s order."""
    c = m.Consent
    return c.id, c.partner_id, c.partner_type, c.purpose, c.given_on, c.until, c.withdrawn_on


def grant_from(cid: int, partner, ptype, purpose, given, until, withdrawn) -> Grant:
    """A Grant from a row of `grant_columns()` (dates as the driver gives them: ISO text on SQLite)."""
    return Grant(cid, partner, ptype, purpose, as_date(given), as_date(until), as_date(withdrawn))


def as_date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def partner_allowed(ctx: Context, grants: Iterable[Grant], partner_id: str, key: str, today: dt.date) -> bool:
    """Whether démarche `key` may be told to partner `partner_id` on `today` under these consents."""
    p = ctx.config.partners.get(partner_id)
    return p is not None and allows(grants, p.id, p.type, ctx.config.purpose_of(key), today)


def _types_of(ctx: Context) -> dict[str, str]:
    return {p.id: p.type for p in ctx.config.partners.values()}


def missing_of(ctx: Context, p: m.Person, grants: list[Grant], today: dt.date,
               waited: Mapping[str, list[str]] | None = None) -> list[MissingConsent]:
    """What the plan of `p` would share without consent: each open démarche going to partners with no
    consent for its purpose and types; and each partner it waits on or was sent to (`waited`: key → partner
    ids) that no current consent covers."""
    out: list[MissingConsent] = []
    needs = _needs(ctx, p)
    for n in lacking(needs, grants, today, _types_of(ctx)):
        out.append(MissingConsent.model_construct(key=n.key, purpose=n.purpose, partner=None,
                                                  partner_types=list(n.partner_types)))
    flagged = {x.key for x in out}
    for key, partners in sorted((waited or {}).items()):
        if key in flagged:
            continue
        t = ctx.config.templates.by_key.get(key)
        for pid in partners:
            if not partner_allowed(ctx, grants, pid, key, today):
                purpose = ctx.config.purpose_of(key)
                out.append(MissingConsent.model_construct(key=key, purpose=purpose.key if purpose else "",
                                                          partner=pid,
                                                          partner_types=list(t.partner_types) if t else []))
    return out


def _needs(ctx: Context, p: m.Person) -> list[Need]:
    out = []
    for d in p.demarches:
        t = ctx.config.templates.by_key.get(d.key)
        if (t is None or not t.partner_types or d.key == CONSENT_KEY or d.obsolete
                or Status(d.status) in FINAL_STATUSES):
            continue
        purpose = ctx.config.purpose_of(d.key)
        if purpose is not None:
            out.append(Need(d.key, purpose.key, t.partner_types))
    return out


def waited_partners(s: Session, p: m.Person) -> dict[str, list[str]]:
    """The partners each open démarche of `p` waits on or was sent to (open applications, and the partner
    of a démarche on hold), by démarche key."""
    out: dict[str, list[str]] = defaultdict(list)
    open_states = ("sent", "waitlist", "accepted")
    by_id = {d.id: d for d in p.demarches}
    for key, partner, did in s.execute(select(m.Application.key, m.Application.partner_id, m.Application.demarche_id)
                                       .where(m.Application.person_id == p.id,
                                              m.Application.state.in_(open_states))):
        d = by_id.get(did)
        if d is not None and Status(d.status) not in FINAL_STATUSES and partner not in out[key]:
            out[key].append(partner)
    for d in p.demarches:
        if d.status == Status.ON_HOLD.value and d.partner_id and d.partner_id not in out[d.key]:
            out[d.key].append(d.partner_id)
    return dict(out)


def _consent_rows(s: Session, person_id: int) -> list[m.Consent]:
    return list(s.scalars(select(m.Consent).where(m.Consent.person_id == person_id)
                          .order_by(m.Consent.given_on, m.Consent.id)))


def consents_view(s: Session, ctx: Context, p: m.Person, today: dt.date) -> ConsentsView:
    rows = _consent_rows(s, p.id)
    grants = [grant_of(r) for r in rows]
    missing = missing_of(ctx, p, grants, today, waited_partners(s, p))
    return ConsentsView.model_construct(consents=[consent_view(r, today) for r in rows], missing=missing,
                                        complete=not lacking(_needs(ctx, p), grants, today, _types_of(ctx)))


def consents_of(ctx: Context, ref: str, *, today: dt.date, viewer: Viewer | None = None) -> ConsentsView:
    """The person's consents (current, past and withdrawn) and what the plan lacks."""
    with ctx.db.reading() as s:
        p = load_person(s, ref, for_update=False, viewer=viewer)
        return consents_view(s, ctx, p, today)


def partner_type_named(code: str) -> Named:
    """A partner type as a refusal names it: its code in English, its words for a reader."""
    return Named(code, {lang: i18n.label(code, lang, "PartnerType") for lang in i18n.LANGUAGES})


def _check_target(ctx: Context, partner: str | None, partner_type: str | None, purpose: str) -> tuple:
    partner = (partner or "").strip() or None
    partner_type = (partner_type or "").strip() or None
    if (partner is None) == (partner_type is None):
        raise RajError("name either a partner or a partner type (one of them)", field="partner")
    cfg = ctx.config.consents
    purposes = cfg.by_key if cfg is not None else {}
    if purpose not in purposes:
        raise RajError("unknown purpose '{purpose}' (allowed: {allowed})", field="purpose", purpose=purpose,
                       allowed=sorted(purposes))
    if partner is not None:
        p = ctx.config.partners.get(partner)
        if p is None:
            raise RajError("unknown partner '{partner}' (see partners.yaml)", field="partner", partner=partner)
        ptype = p.type
    else:
        known = {x for t in ctx.config.templates for x in t.partner_types} | {
            p.type for p in ctx.config.partners.values()}
        if partner_type not in known:
            raise RajError("unknown partner type '{type}' (allowed: {allowed})", field="partner_type",
                           type=partner_type, allowed=sorted(known))
        ptype = partner_type
    if ptype not in purposes[purpose].partner_types:
        raise RajError("the purpose '{purpose}' does not concern a partner of type {type} (it concerns {types})",
                       field="purpose", purpose=Named(purpose, purposes[purpose].label), type=partner_type_named(ptype),
                       types=[partner_type_named(x) for x in purposes[purpose].partner_types])
    return partner, partner_type


def grant(ctx: Context, ref: str, *, purpose: str, today: dt.date, partner: str | None = None,
          partner_type: str | None = None, given_on: dt.date | None = None, until: dt.date | None = None,
          how: str = "signed", actor: str = "system", viewer: Viewer | None = None) -> ConsentView:
    """Record a consent the person gave (audited). Completes « Recueil consentements » when the plan then
    has every consent it needs."""
    purpose = (purpose or "").strip()
    partner, partner_type = _check_target(ctx, partner, partner_type, purpose)
    manner = parse_code(ConsentHow, how, "how")
    given_on = check_day(given_on or today, "date")
    if until is not None:
        check_day(until, "until")
    if given_on > today:
        raise RajError("{day} is after today ({today}): a consent is recorded once it is given", field="date",
                       day=given_on, today=today)
    check_period(given_on, until)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        row = m.Consent(person_id=p.id, partner_id=partner, partner_type=partner_type, purpose=purpose,
                        given_on=given_on, how=manner.value, recorded_by=actor, until=until, created_at=ctx.now())
        s.add(row)
        s.flush()
        audit.record(s, ctx, actor, "consent.given", "consent", str(row.id), person_id=p.id,
                     new={"partner": partner, "partner_type": partner_type, "purpose": purpose,
                          "given_on": given_on.isoformat(), "how": manner.value,
                          "until": until.isoformat() if until else None})
        sync_consent_sharing(s, ctx, p, today, actor)
        bump(ctx, p)
        return consent_view(row, today)


def withdraw(ctx: Context, ref: str, consent_id: int, *, reason: str | None, today: dt.date,
             on: dt.date | None = None, actor: str = "system", viewer: Viewer | None = None) -> ConsentView:
    """Withdraw a consent from `on` (today by default, or a day already past), with a reason. What waits in the outbox for the
    partners it covered is cancelled at once (and never sent), unless another consent still covers it."""
    reason = check_reason(reason)
    if not reason:
        raise RajError("a withdrawal needs a reason", field="reason")
    on = check_day(on or today, "date")
    if on > today:
        raise RajError("{day} is after today ({today}): a withdrawal is recorded once the person has said it",
                       field="date", day=on, today=today)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        row = s.get(m.Consent, consent_id)
        if row is None or row.person_id != p.id:
            raise NotFound("consent {consent} of '{ref}' not found", field="consent", consent=consent_id, ref=ref)
        if row.withdrawn_on is not None:
            raise Conflict("consent {consent} of '{ref}' was already withdrawn on {day}", field="consent",
                           consent=consent_id, ref=ref, day=row.withdrawn_on)
        check_period(row.given_on, None, on)
        row.withdrawn_on, row.withdraw_reason, row.withdrawn_by = on, reason, actor
        audit.record(s, ctx, actor, "consent.withdrawn", "consent", str(row.id), person_id=p.id,
                     old={"partner": row.partner_id, "partner_type": row.partner_type, "purpose": row.purpose},
                     new={"withdrawn_on": on.isoformat()}, reason=reason)
        s.flush()
        cancel_uncovered(s, ctx, p.id, today)
        sync_consent_sharing(s, ctx, p, today, actor)
        bump(ctx, p)
        return consent_view(row, today)


def message_allowed(ctx: Context, grants: list[Grant], partner_id: str, items: Iterable[Mapping],
                    today: dt.date) -> bool:
    """Whether a partner's message may still go: every démarche it names is covered on `today`."""
    keys = {i.get("key") for i in items if isinstance(i, Mapping)}
    return bool(keys) and all(partner_allowed(ctx, grants, partner_id, k, today) for k in keys if k)


def cancel_uncovered(s: Session, ctx: Context, person_id: int, today: dt.date) -> int:
    """Cancel the person's partner messages waiting in the outbox that no current consent covers any more
    (status cancelled: visible in the outbox, never sent). Returns how many."""
    o = m.OutboxMessage
    rows = s.execute(select(o.id, o.recipient, o.items).where(
        o.person_id == person_id, o.recipient_type == "partner", o.status == OutboxStatus.PENDING.value)).all()
    if not rows:
        return 0
    grants = grants_of(s, [person_id]).get(person_id, [])
    gone = [mid for mid, partner, items in rows if not message_allowed(ctx, grants, partner, items or [], today)]
    if gone:
        s.execute(update(o).where(o.id.in_(gone)).values(
            status=OutboxStatus.CANCELLED.value, lease_until=None,
            last_error="cancelled: no current consent covers this partner"))
    return len(gone)


def cancel_expired(s: Session, ctx: Context, today: dt.date) -> int:
    """The daily sweep's look at what waits for partners: a consent that ended since (an `until` passed) makes
    its messages cancelled today, visibly, rather than when a deliverer next meets them. Returns how many."""
    o = m.OutboxMessage
    persons = set(s.scalars(select(o.person_id).where(o.recipient_type == "partner", o.person_id.is_not(None),
                                                      o.status == OutboxStatus.PENDING.value)))
    return sum(cancel_uncovered(s, ctx, pid, today) for pid in sorted(persons))


def sync_consent_sharing(s: Session, ctx: Context, p: m.Person, today: dt.date, actor: str) -> None:
    """« Recueil consentements » done when the plan has every consent it needs; reopened when a withdrawal
    leaves a démarche uncovered after it was done."""
    row = next((d for d in p.demarches if d.key == CONSENT_KEY), None)
    if row is None or row.obsolete:
        return
    grants = [grant_of(r) for r in _consent_rows(s, p.id)]
    if not grants:
        return
    missing = lacking(_needs(ctx, p), grants, today, _types_of(ctx))
    status = Status(row.status)
    now = ctx.now()
    if not missing and status not in FINAL_STATUSES:
        new, reason = Status.COMPLETED, i18n.tr(p.language, "every consent the plan needs is recorded")
    elif missing and status is Status.COMPLETED:
        new, reason = Status.IN_PROGRESS, i18n.tr(p.language, "a consent the plan needs was withdrawn")
    else:
        return
    audit.record(s, ctx, actor, "demarche.status", "demarche", CONSENT_KEY, person_id=p.id,
                 old={"status": status.value, "partner": None}, new={"status": new.value, "partner": None},
                 reason=reason)
    row.status, row.reason, row.partner_id = new.value, reason, None
    row.completed_at = now if new is Status.COMPLETED else None
    row.updated_at = now
