"""A partner answers from its message (issue 12 point 3; the « referral recipient light » of the HL7 SDOH
closed-loop referrals, ANCHORS.md B3): the personal link in a request or a reminder opens a small page, with
no account, that shows only what the message showed (the person's reference or initials, the démarche, the
date wished, the binôme's contact) and takes the partner's answer: accepted (with a date), waiting list
(position and/or expected date), refused (reason), documents missing (which), or a short message.

The link's secret is random and stored only as its SHA-256; it is scoped to one application and expires.
It stops working, and changes nothing, when it is unknown (forged, tampered), expired, when the démarche or
the file is closed, when the application was refused or withdrawn, or when the consent that allowed the
message no longer holds. Failed look-ups are counted per client address, like failed logins, and slowed
down the same way. An answer is audited as the partner's and reaches the binôme at once through the outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from raj_release import i18n
from raj_release.domain.demarches import FINAL_STATUSES
from raj_release.domain.enums import ApplicationState, PartnerAnswer, Status, parse_code
from raj_release.domain.models import check_day
from raj_release.errors import RajError
from raj_release.reminders.applications import answer_messages, answer_words
from raj_release.reminders.messages import Contact, Recipient
from raj_release.services import outbox
from raj_release.services.applications import (
    LIVE,
    OPEN,
    change,
    check_text,
    contacts_for,
    link_digest,
    person_for_partner,
)
from raj_release.services.auth import FREE_FAILURES_PER_CLIENT, WINDOW, TooManyAttempts, login_delay
from raj_release.services.consents import grants_of, partner_allowed
from raj_release.services.context import Context
from raj_release.services.replan import bump, organisation_code, organisation_name
from raj_release.store import models as m
from raj_release.store.db import aware

LOOKUP = "reply-link"  # the failures of reply-link look-ups, in the login attempts' table


class LinkRefused(RajError):
    """The link does not (or no longer) work: `why` is unknown, expired, closed or consent; `language`, the
    partner's, when the link is known (an unknown one is nobody's)."""

    def __init__(self, why: str, message: str, language: str | None = None) -> None:
        super().__init__(message)
        self.why = why
        self.language = language


@dataclass(frozen=True)
class ReplyView:
    """What the partner's page shows: nothing beyond what its message showed."""

    language: str
    partner_name: str
    organisation: str
    person: str  # reference or initials
    label: str
    due: dt.date | None
    contacts: tuple[Contact, ...]
    state: ApplicationState
    position: int | None
    expected: dt.date | None
    entry: dt.date | None
    expires_at: dt.datetime


def _slowed(s: Session, ctx: Context, client: str | None) -> int:
    """Seconds this client must wait before its next look-up (0: none)."""
    if client is None:
        return 0
    now = ctx.now()
    failures, last = s.execute(select(func.count(), func.max(m.LoginAttempt.at)).where(
        m.LoginAttempt.username == LOOKUP, m.LoginAttempt.client == client,
        m.LoginAttempt.at >= now - WINDOW)).one()
    wait = login_delay(failures, FREE_FAILURES_PER_CLIENT)
    if not wait or last is None:
        return 0
    left = int((aware(last) + dt.timedelta(seconds=wait) - now).total_seconds()) + 1
    return max(left, 0)


def _failed(ctx: Context, client: str | None) -> None:
    with ctx.db.transaction() as s:
        s.execute(delete(m.LoginAttempt).where(m.LoginAttempt.at < ctx.now() - WINDOW))
        s.add(m.LoginAttempt(username=LOOKUP, client=(client or "")[:64] or None, at=ctx.now()))


def _load(s: Session, ctx: Context, token: str, today: dt.date):
    """(link, application, démarche, person) of a working link, or LinkRefused saying why."""
    if not token or len(token) > 100:
        raise LinkRefused("unknown", "this link is not valid")
    link = s.scalar(select(m.ReplyLink).where(m.ReplyLink.token_hash == link_digest(token)))
    if link is None:
        raise LinkRefused("unknown", "this link is not valid")
    app = s.get(m.Application, link.application_id)
    row = s.get(m.Demarche, app.demarche_id) if app is not None else None
    p = s.get(m.Person, app.person_id) if app is not None else None
    partner = ctx.config.partners.get(app.partner_id) if app is not None else None
    lang = partner.language if partner is not None else None
    if app is None or row is None or p is None:
        raise LinkRefused("closed", "this request is closed", lang)
    if aware(link.expires_at) <= ctx.now():
        raise LinkRefused("expired", "this link has expired", lang)
    if (p.stage == "closed" or Status(row.status) in FINAL_STATUSES or row.obsolete
            or app.state not in LIVE or partner is None):
        raise LinkRefused("closed", "this request is closed", lang)
    grants = grants_of(s, [p.id]).get(p.id, [])
    if not partner_allowed(ctx, grants, app.partner_id, app.key, today):
        raise LinkRefused("consent", "this request is no longer shared with you", lang)
    return link, app, row, p


def _view(s: Session, ctx: Context, link: m.ReplyLink, app: m.Application, row: m.Demarche,
          p: m.Person) -> ReplyView:
    partner = ctx.config.partners[app.partner_id]
    lang = partner.language
    t = ctx.config.templates.by_key.get(row.key)
    org = organisation_name(s, p) or ""
    return ReplyView(lang, partner.name, org, person_for_partner(ctx, p, app.partner_id),
                     t.label_in(lang) if t else row.key, row.due, contacts_for(s, ctx, p, row.key, lang),
                     ApplicationState(app.state), app.position, app.expected, app.entry, aware(link.expires_at))


def open_link(ctx: Context, token: str, *, today: dt.date, client: str | None = None) -> ReplyView:
    """What the partner's page shows for this link; LinkRefused (nothing changed) or TooManyAttempts."""
    with ctx.db.reading() as s:
        wait = _slowed(s, ctx, client)
        if wait:
            raise TooManyAttempts(wait)
        try:
            link, app, row, p = _load(s, ctx, token, today)
            return _view(s, ctx, link, app, row, p)
        except LinkRefused as e:
            refused = e
    if refused.why == "unknown":
        _failed(ctx, client)
    raise refused


def answer(ctx: Context, token: str, kind: str, *, today: dt.date, client: str | None = None,
           on: dt.date | None = None, position: int | None = None, expected: dt.date | None = None,
           reason: str | None = None, documents: str | None = None, message: str | None = None) -> ReplyView:
    """The partner's answer through its link: the application and the démarche follow (an entry date pins
    the démarche), audited as the partner's, and the binôme hears at once (urgent, through the outbox)."""
    what = parse_code(PartnerAnswer, kind, "answer")
    reason, documents, message = (check_text(reason, "reason"), check_text(documents, "documents"),
                                  check_text(message, "message"))
    for day, field in ((on, "date"), (expected, "expected")):
        if day is not None:
            check_day(day, field)
    if position is not None and not 1 <= position <= 10_000:
        raise RajError("a position on a waiting list is a whole number from 1", field="position")
    if what is PartnerAnswer.ACCEPTED and on is None:
        raise RajError("give the entry or appointment date", field="date")
    if what is PartnerAnswer.ACCEPTED and on < today:
        raise RajError("{day} is already past: give the entry or appointment date to come", field="date", day=on)
    if what is PartnerAnswer.WAITLIST and position is None and expected is None:
        raise RajError("give the position on the waiting list and/or the date a place is expected",
                       field="position")
    if what is PartnerAnswer.REFUSED and not reason:
        raise RajError("give the reason of the refusal", field="reason")
    if what is PartnerAnswer.DOCUMENTS and not documents:
        raise RajError("say which documents are missing", field="documents")
    if what is PartnerAnswer.MESSAGE and not message:
        raise RajError("write the message", field="message")
    refused = None
    with ctx.db.transaction() as s:
        wait = _slowed(s, ctx, client)
        if wait:
            raise TooManyAttempts(wait)
        try:
            link, app, row, p = _load(s, ctx, token, today)
        except LinkRefused as e:
            refused = e
        else:
            actor = f"partner:{app.partner_id}"
            state = {PartnerAnswer.ACCEPTED: ApplicationState.ACCEPTED, PartnerAnswer.WAITLIST:
                     ApplicationState.WAITLIST, PartnerAnswer.REFUSED: ApplicationState.REFUSED}.get(
                what, ApplicationState(app.state))
            change(s, ctx, p, row, app, state, today=today, position=position, expected=expected,
                   entry=on if what is PartnerAnswer.ACCEPTED else None, reason=reason, actor=actor,
                   by_partner=True, documents=documents, message=message)
            link.last_used_at = ctx.now()
            bump(ctx, p)
            _tell_binome(s, ctx, p, row, app, what, today, position=position, expected=expected,
                         entry=on if what is PartnerAnswer.ACCEPTED else None, reason=reason, documents=documents,
                         text=message)
            s.flush()
            return _view(s, ctx, link, app, row, p)
    if refused.why == "unknown":
        _failed(ctx, client)
    raise refused


def _tell_binome(s: Session, ctx: Context, p: m.Person, row: m.Demarche, app: m.Application, what: PartnerAnswer,
                 today: dt.date, *, text: str | None, **details) -> None:
    recipients = []
    for wid, role in ((p.as_id, "as"), (p.psy_id, "psy")):
        w = s.get(m.Worker, wid)
        if w is not None and w.active:
            recipients.append(Recipient(w.id, w.name, w.language, role))
    partner = ctx.config.partners[app.partner_id]
    t = ctx.config.templates.by_key.get(row.key)
    others = what is PartnerAnswer.ACCEPTED and s.scalar(select(func.count()).select_from(m.Application).where(
        m.Application.demarche_id == row.id, m.Application.id != app.id, m.Application.state.in_(OPEN))) > 0
    org = organisation_code(s, p)
    org_name = organisation_name(s, p) or org
    words = {lang: answer_words(what.value, lang, **details) for lang in i18n.LANGUAGES}
    msgs = answer_messages(recipients, partner_name=partner.name, person_ref=p.ref, person_id=p.id,
                           label_of=lambda lang: t.label_in(lang) if t else row.key, answer=words, text=text,
                           others=bool(others), day=today, scope=f"answer-{app.id}-{app.answers}",
                           organisation=org_name, organisation_code=org, public_url=ctx.settings.public_url,
                           key=row.key)
    outbox.enqueue(s, ctx, msgs)
