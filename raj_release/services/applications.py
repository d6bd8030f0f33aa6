"""Applications: a démarche sent to one or several partners of its types at once (three maisons d'accueil, two
cure centres), each with its own state: sent, waiting list, accepted, refused, withdrawn (issue 12 point 4;
« Longues listes d'attentes », S1). The partner hears of it only under the person's consent (services/
consents.py): a request with its reply link when sent, a short message when withdrawn.

While an application waits for an answer the démarche is on hold, waiting on partners, and the daily sweep
reminds each partner whose application is still open. An acceptance with an entry or appointment date pins
the démarche to that date; the binôme is then offered to withdraw the other applications in one step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from raj_release import i18n
from raj_release.domain.demarches import FINAL_STATUSES, TO_AS, TO_PSY
from raj_release.domain.enums import ApplicationState, Role, Status, parse_code
from raj_release.domain.models import check_day, check_reason
from raj_release.errors import Conflict, Named, NotFound, RajError
from raj_release.reminders.applications import partner_notice
from raj_release.reminders.messages import Contact, PartnerLine, Recipient, link
from raj_release.services import audit, outbox
from raj_release.services.access import Viewer
from raj_release.services.consents import grants_of, partner_allowed
from raj_release.services.context import Context
from raj_release.services.demarches import find_demarche, mark_sent
from raj_release.services.partners import check_partner
from raj_release.services.replan import bump, load_person, organisation_code, organisation_name
from raj_release.services.views import View
from raj_release.store import models as m

OPEN = (ApplicationState.SENT.value, ApplicationState.WAITLIST.value)  # waiting for the partner's answer
LIVE = OPEN + (ApplicationState.ACCEPTED.value,)  # not refused, not withdrawn
MAX_TEXT = 500  # a partner's message, documents missing: a few lines


class ApplicationView(View):
    id: int
    key: str = Field(description="the démarche sent")
    partner: str = Field(description="the partner of the directory it was sent to")
    partner_name: str
    state: ApplicationState
    sent_on: dt.date
    state_on: dt.date = Field(description="the day of the latest state")
    answered_on: dt.date | None = Field(description="the partner's first answer (the time it took to answer)")
    position: int | None = Field(description="the place on the waiting list")
    expected: dt.date | None = Field(description="when the partner expects a place (waiting list)")
    entry: dt.date | None = Field(description="the entry or appointment date (accepted)")
    reason: str | None = Field(description="why it was refused or withdrawn")
    documents: str | None = Field(description="documents the partner says are missing")
    message: str | None = Field(description="the partner's latest short message")
    consent: bool = Field(description="a current consent lets this partner hear of the démarche")


def application_view(ctx: Context, row: m.Application, consent: bool = True) -> ApplicationView:
    p = ctx.config.partners.get(row.partner_id)
    return ApplicationView.model_construct(
        id=row.id, key=row.key, partner=row.partner_id, partner_name=p.name if p else row.partner_id,
        state=ApplicationState(row.state), sent_on=row.sent_on, state_on=row.state_on, answered_on=row.answered_on,
        position=row.position, expected=row.expected, entry=row.entry, reason=row.reason, documents=row.documents,
        message=row.message, consent=consent)


def parse_state(value: str) -> ApplicationState:
    return parse_code(ApplicationState, value, "state")


def check_text(value: str | None, field: str) -> str | None:
    value = " ".join((value or "").split()) or None
    if value is not None and len(value) > MAX_TEXT:
        raise RajError("at most {max} characters ({given} given)", field=field, max=MAX_TEXT, given=len(value))
    return value


def _rows(s: Session, person_id: int, key: str | None = None) -> list[m.Application]:
    q = select(m.Application).where(m.Application.person_id == person_id)
    if key is not None:
        q = q.where(m.Application.key == key)
    return list(s.scalars(q.order_by(m.Application.key, m.Application.sent_on, m.Application.id)))


def views_of(s: Session, ctx: Context, p: m.Person, today: dt.date, key: str | None = None) -> list[ApplicationView]:
    grants = grants_of(s, [p.id]).get(p.id, [])
    return [application_view(ctx, r, partner_allowed(ctx, grants, r.partner_id, r.key, today))
            for r in _rows(s, p.id, key)]


def applications_of(ctx: Context, ref: str, key: str | None = None, *, today: dt.date,
                    viewer: Viewer | None = None) -> list[ApplicationView]:
    """The person's applications (of one démarche with `key`), by démarche then date sent."""
    with ctx.db.reading() as s:
        p = load_person(s, ref, for_update=False, viewer=viewer)
        if key is not None:
            find_demarche(p, key, ctx)
        return views_of(s, ctx, p, today, key)


# ---------------------------------------------------------------------------------------------------------
# what a partner reads (the same as the reminders: reference or initials, label, date wished, contacts)

def person_for_partner(ctx: Context, p: m.Person, partner_id: str) -> str:
    """The person as a partner reads them: the reference, or initials where the directory says so."""
    partner = ctx.config.partners.get(partner_id)
    mode = (partner.identify_person_by if partner and partner.identify_person_by
            else ctx.config.reminders.partner_identifies_person_by)
    if mode == "initials" and p.name:
        return "".join(part[0].upper() + "." for part in p.name.split() if part)
    return p.ref


def contacts_for(s: Session, ctx: Context, p: m.Person, key: str, lang: str) -> tuple[Contact, ...]:
    """Whom the partner answers about `key`: its responsible worker(s), with role and contact."""
    t = ctx.config.templates.by_key.get(key)
    out = []
    for wid, role, to in ((p.as_id, Role.AS, TO_AS), (p.psy_id, Role.PSY, TO_PSY)):
        w = s.get(m.Worker, wid)
        if t is not None and t.responsible in to and w is not None and w.active:
            out.append(Contact(w.name, i18n.label(role, lang), w.contact or ""))
    return tuple(out)


def partner_line(s: Session, ctx: Context, p: m.Person, row: m.Demarche, partner_id: str, today: dt.date,
                 reply: str | None = None) -> PartnerLine:
    partner = ctx.config.partners[partner_id]
    t = ctx.config.templates.by_key.get(row.key)
    # a due date already past is not asked of the partner: « dès que possible » instead (engine.py's rule)
    return PartnerLine(person_for_partner(ctx, p, partner_id), t.label_in(partner.language) if t else row.key,
                       row.due, "asap" if row.due is None or row.due < today else "soon",
                       contacts_for(s, ctx, p, row.key, partner.language), reply)


# ---------------------------------------------------------------------------------------------------------
# reply links: random, stored as a digest, scoped to one application, expiring

def link_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_reply_link(s: Session, ctx: Context, application_id: int) -> str | None:
    """A new personal link for the partner to answer application `application_id` (its URL under
    RAJ_PUBLIC_URL), or None when RAJ_PUBLIC_URL is not set (a link to nowhere helps no partner)."""
    if not ctx.settings.public_url:
        return None
    token = secrets.token_urlsafe(32)
    now = ctx.now()
    days = ctx.config.consents.reply_link_days if ctx.config.consents else 21
    s.add(m.ReplyLink(application_id=application_id, token_hash=link_digest(token), created_at=now,
                      expires_at=now + dt.timedelta(days=days)))
    return link(ctx.settings.public_url, f"/r/{token}")


def _notify_partner(s: Session, ctx: Context, p: m.Person, row: m.Demarche, app: m.Application, kind: str,
                    today: dt.date) -> bool:
    """Enqueue a "request" (with a reply link) or a "withdrawal" to the application's partner, if a current
    consent covers it; returns whether it was enqueued."""
    grants = grants_of(s, [p.id]).get(p.id, [])
    if not partner_allowed(ctx, grants, app.partner_id, row.key, today):
        return False
    partner = ctx.config.partners[app.partner_id]
    reply = new_reply_link(s, ctx, app.id) if kind == "request" else None
    org = organisation_code(s, p)
    org_name = organisation_name(s, p) or org
    msg = partner_notice(kind, Recipient(partner.id, partner.name, partner.language),
                         partner_line(s, ctx, p, row, app.partner_id, today, reply), day=today,
                         scope=f"{kind}-{app.id}-{app.answers}-{int(ctx.now().timestamp())}", organisation=org_name,
                         organisation_code=org, person_id=p.id, key=row.key,
                         days=ctx.config.consents.reply_link_days if ctx.config.consents else 21)
    from raj_release.services.reminders import next_morning

    outbox.enqueue(s, ctx, [msg], not_before=next_morning(ctx, ctx.now()))
    return True


# ---------------------------------------------------------------------------------------------------------
# use cases

def apply(ctx: Context, ref: str, key: str, partners: list[str], *, today: dt.date, actor: str = "system",
          viewer: Viewer | None = None) -> list[ApplicationView]:
    """Send démarche `key` to each of `partners` (of its partner types): an application each, in state
    sent, and a request with a reply link to each partner. Every partner must be covered by a current
    consent for the démarche's purpose: otherwise nothing is sent and the refusal names what is missing."""
    wanted = []
    for pid in partners:
        pid = (pid or "").strip()
        if pid and pid not in wanted:
            wanted.append(pid)
    if not wanted:
        raise RajError("name at least one partner to send the démarche to", field="partner")
    for pid in wanted:
        if pid not in ctx.config.partners:
            raise RajError("unknown partner '{partner}' (see partners.yaml)", field="partner", partner=pid)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        if p.stage == "closed":
            raise Conflict("the file of '{ref}' is closed", ref=ref)
        row = find_demarche(p, key, ctx)
        if Status(row.status) in FINAL_STATUSES:
            raise Conflict("démarche '{key}' of '{ref}' is {status}: nothing is sent for a finished démarche",
                           key=Named.demarche(ctx, key), ref=ref, status=Status(row.status))
        grants = grants_of(s, [p.id]).get(p.id, [])
        purpose = ctx.config.purpose_of(key)
        for pid in wanted:
            check_partner(ctx, key, pid)
            if not partner_allowed(ctx, grants, pid, key, today):
                raise RajError("consent missing for {partner} ({key}): no current consent of '{ref}' covers this "
                               "partner for « {purpose} »; record it first", field="partner",
                               partner=ctx.config.partners[pid].name, key=Named.demarche(ctx, key), ref=ref,
                               purpose=purpose.label.fr if purpose else "")
        existing = {a.partner_id: a for a in _rows(s, p.id, key)}
        now = ctx.now()
        out = []
        for pid in wanted:
            app = existing.get(pid)
            if app is not None and app.state in LIVE:
                raise Conflict("démarche '{key}' was already sent to {partner} ({state})", field="partner",
                               key=Named.demarche(ctx, key), partner=ctx.config.partners[pid].name,
                               state=ApplicationState(app.state))
            old = app.state if app is not None else None
            app = mark_sent(s, ctx, p, row, pid, today, actor, app)
            s.flush()
            audit.record(s, ctx, actor, "application.sent", "application", key, person_id=p.id,
                         old={"state": old} if old else None, new={"partner": pid, "state": "sent"})
            _notify_partner(s, ctx, p, row, app, "request", today)
            out.append(app)
        if row.status != Status.ON_HOLD.value:  # waiting on partners now
            audit.record(s, ctx, actor, "demarche.status", "demarche", key, person_id=p.id,
                         old={"status": row.status, "partner": row.partner_id},
                         new={"status": Status.ON_HOLD.value, "partner": wanted[0]})
            row.status, row.reason = Status.ON_HOLD.value, None
        row.partner_id = row.partner_id or wanted[0]
        row.updated_at = now
        bump(ctx, p, now)
        return [application_view(ctx, a) for a in out]


def set_state(ctx: Context, ref: str, key: str, partner: str, state: str, *, today: dt.date,
              on: dt.date | None = None, position: int | None = None, expected: dt.date | None = None,
              reason: str | None = None, actor: str = "system", viewer: Viewer | None = None) -> ApplicationView:
    """Record where an application stands, as the binôme learned it (by phone, by mail): sent, waitlist
    (position, expected date: `on`), accepted (entry or appointment date: `on`, which pins the démarche),
    refused (with a reason), withdrawn (the partner gets a short message). Audited."""
    new = parse_state(state)
    reason = check_reason(reason)
    if on is not None:
        check_day(on, "date")
    if position is not None and not 1 <= position <= 10_000:
        raise RajError("a position on a waiting list is a whole number from 1", field="position")
    if new is ApplicationState.REFUSED and not reason:
        raise RajError("a refusal needs its reason", field="reason")
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        row = find_demarche(p, key, ctx)
        app = next((a for a in _rows(s, p.id, key) if a.partner_id == partner), None)
        if app is None:
            raise NotFound("démarche '{key}' of '{ref}' was not sent to '{partner}'", field="partner",
                           key=Named.demarche(ctx, key), ref=ref, partner=partner)
        if new is ApplicationState.SENT and app.state in LIVE:
            raise Conflict("the application to {partner} is already {state}", field="state",
                           partner=ctx.config.partners.get(partner).name if partner in ctx.config.partners
                           else partner, state=ApplicationState(app.state))
        if new is ApplicationState.WAITLIST:
            expected = expected or on
        change(s, ctx, p, row, app, new, today=today, position=position, expected=expected,
               entry=on if new is ApplicationState.ACCEPTED else None, reason=reason, actor=actor)
        bump(ctx, p)
        grants = grants_of(s, [p.id]).get(p.id, [])
        return application_view(ctx, app, partner_allowed(ctx, grants, app.partner_id, key, today))


def change(s: Session, ctx: Context, p: m.Person, row: m.Demarche, app: m.Application, new: ApplicationState, *,
           today: dt.date, position: int | None = None, expected: dt.date | None = None,
           entry: dt.date | None = None, reason: str | None = None, actor: str, by_partner: bool = False,
           documents: str | None = None, message: str | None = None) -> None:
    """Move one application to `new` and what follows for the démarche (in the caller's transaction):
    accepted pins the démarche to the entry date and it no longer waits on partners; when no application
    waits any more, the démarche is back in progress; a withdrawal tells the partner."""
    old = app.state
    now = ctx.now()
    app.state, app.state_on, app.updated_at = new.value, today, now
    if new is ApplicationState.WAITLIST:
        app.position, app.expected = position, expected
    if new is ApplicationState.ACCEPTED:
        app.entry = entry
    if new in (ApplicationState.REFUSED, ApplicationState.WITHDRAWN):
        app.reason = reason
    if documents is not None:
        app.documents = documents
    if message is not None:
        app.message = message
    if by_partner:
        app.answers += 1
        app.answered_on = app.answered_on or today
    audit.record(s, ctx, actor, "application.state", "application", row.key, person_id=p.id,
                 old={"partner": app.partner_id, "state": old},
                 new={"partner": app.partner_id, "state": new.value, "position": position,
                      "expected": expected.isoformat() if expected else None,
                      "entry": entry.isoformat() if entry else None, "documents": documents,
                      "by_partner": by_partner}, reason=reason or message)
    if new is ApplicationState.WITHDRAWN and old in LIVE:
        _notify_partner(s, ctx, p, row, app, "withdrawal", today)
    if Status(row.status) in FINAL_STATUSES:
        return
    if new is ApplicationState.ACCEPTED:
        if row.status == Status.ON_HOLD.value:
            _status(s, ctx, p, row, Status.IN_PROGRESS, actor, i18n.tr(p.language, "accepted by %(partner)s") % {
                "partner": ctx.config.partners[app.partner_id].name if app.partner_id in ctx.config.partners
                else app.partner_id})
        if entry is not None and entry >= today:
            _pin(s, ctx, p, row, entry, actor, today)
        return
    live = [a for a in _rows(s, p.id, row.key) if a.state in OPEN]
    if not live and row.status == Status.ON_HOLD.value and new in (ApplicationState.REFUSED,
                                                                   ApplicationState.WITHDRAWN):
        _status(s, ctx, p, row, Status.IN_PROGRESS, actor,
                i18n.tr(p.language, "no application waits for an answer any more"))
    elif row.status == Status.ON_HOLD.value and live and row.partner_id not in {a.partner_id for a in live}:
        row.partner_id = live[0].partner_id


def _status(s: Session, ctx: Context, p: m.Person, row: m.Demarche, new: Status, actor: str, reason: str) -> None:
    audit.record(s, ctx, actor, "demarche.status", "demarche", row.key, person_id=p.id,
                 old={"status": row.status, "partner": row.partner_id}, new={"status": new.value, "partner": None},
                 reason=reason)
    row.status, row.reason, row.partner_id, row.updated_at = new.value, reason, None, ctx.now()


def _pin(s: Session, ctx: Context, p: m.Person, row: m.Demarche, entry: dt.date, actor: str, today: dt.date) -> None:
    """The entry or appointment date becomes the démarche's pinned date (on a working day: the one before
    when it falls on a weekend or a holiday), and the plan follows (replan)."""
    from raj_release.services.replan import calendar_of, iso, replan

    cal = calendar_of(s, ctx, p)
    due = entry if cal.is_working_day(entry) else cal.previous_working_day(entry)
    if due < today:
        due = entry
    t = ctx.config.templates.by_key.get(row.key)
    old = {"due": iso(row.due), "pinned": row.pinned}
    row.due, row.pinned = due, True
    row.start = cal.add_working_days(due, -t.duration) if t else due
    row.compressed = row.late_vs_anchor = False
    row.updated_at = ctx.now()
    reason = i18n.tr(p.language, "entry date given by the partner")
    audit.record(s, ctx, actor, "demarche.pinned", "demarche", row.key, person_id=p.id, old=old,
                 new={"due": due.isoformat(), "pinned": True}, reason=reason)
    s.flush()
    replan(s, ctx, p, today, actor=actor, reason=reason)


def withdraw_others(ctx: Context, ref: str, key: str, *, today: dt.date, reason: str | None = None,
                    actor: str = "system", viewer: Viewer | None = None) -> list[ApplicationView]:
    """Once a partner accepted: withdraw every other application of the démarche still open, in one step
    (each partner gets a short withdrawal message, under consent)."""
    reason = check_reason(reason)
    with ctx.db.transaction() as s:
        p = load_person(s, ref, viewer=viewer)
        row = find_demarche(p, key, ctx)
        rows = _rows(s, p.id, key)
        accepted = [a for a in rows if a.state == ApplicationState.ACCEPTED.value]
        if not accepted:
            raise Conflict("no partner accepted démarche '{key}' of '{ref}': nothing to withdraw for it",
                           key=Named.demarche(ctx, key), ref=ref)
        why = reason or i18n.tr(p.language, "another partner accepted")
        out = []
        for a in rows:
            if a.state in OPEN:
                change(s, ctx, p, row, a, ApplicationState.WITHDRAWN, today=today, reason=why, actor=actor)
                out.append(a)
        bump(ctx, p)
        return [application_view(ctx, a) for a in out]
