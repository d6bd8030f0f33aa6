"""The plan page's consents and applications (issue 12 points 1, 2 and 4): the consent register with its forms
(record one, withdraw one), what the plan lacks (« consentement manquant » lines), and per démarche going to
partners its applications, the form that sends it to several partners at once, the form that records where an
application stands and the button that withdraws the others once one partner accepted.

`plan_extras` gives plan.html what it shows of them (pages/persons.py); every form comes back to the plan at
its section, or with its refusal in the reader's words (`plan_refused`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from raj_release import i18n
from raj_release.domain.consents import Grant, allows
from raj_release.domain.demarches import OPEN_STATUSES
from raj_release.domain.enums import ApplicationState, ConsentHow
from raj_release.domain.models import parse_date
from raj_release.domain.partners import verification_age
from raj_release.errors import RajError
from raj_release.services.access import Viewer
from raj_release.services.applications import ApplicationView, applications_of, apply, set_state, withdraw_others
from raj_release.services.consents import CONSENT_KEY, ConsentsView, ConsentView, consents_of, grant, withdraw
from raj_release.services.context import Context
from raj_release.services.partners import partner_choice
from raj_release.services.views import PlanView
from raj_release.web.pages import back_to_plan, ctx_of, lang_of, signed_in, today_of

router = APIRouter()

LIVE = {ApplicationState.SENT, ApplicationState.WAITLIST, ApplicationState.ACCEPTED}
OPEN = {ApplicationState.SENT, ApplicationState.WAITLIST}


@dataclass
class Choice:
    """A partner a démarche may be sent to, as the form shows it."""

    id: str
    name: str
    capacity: str | None  # « 2 places libres sur 12 »
    age: str  # « vérifié il y a 3 mois », « jamais vérifié »
    stale: bool
    allowed: bool  # a current consent covers it for the démarche's purpose


@dataclass
class DemarcheApplications:
    """A démarche going to partners: its applications and whom it may still be sent to."""

    key: str
    label: str
    open: bool  # the démarche is open: it may be sent, its applications changed
    applications: list[ApplicationView] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)  # partners without a live application

    @property
    def offer_withdraw(self) -> bool:
        """One partner accepted while others still have to answer: offer to withdraw them in one step."""
        states = {a.state for a in self.applications}
        return ApplicationState.ACCEPTED in states and bool(states & OPEN)


def plan_extras(ctx: Context, v: Viewer, ref: str, today: dt.date, view: PlanView | None = None) -> dict:
    """What plan.html shows of consents and applications: the register in words, the missing consents as
    compact lines, the démarches going to partners with their applications and choices, and the forms' lists."""
    lang = lang_of(v)
    cv = consents_of(ctx, ref, today=today, viewer=v)
    apps = applications_of(ctx, ref, today=today, viewer=v)
    templates = ctx.config.templates.by_key

    def label_of(key: str) -> str:
        t = templates.get(key)
        return t.label_in(lang) if t else key

    grants = [Grant(c.id, c.partner, c.partner_type, c.purpose, c.given_on, c.until, c.withdrawn_on)
              for c in cv.consents]
    by_key: dict[str, list[ApplicationView]] = {}
    for a in apps:
        by_key.setdefault(a.key, []).append(a)
    rows = []
    for d in (view.demarches if view is not None else []):
        t = templates.get(d.key)
        is_open = d.status in OPEN_STATUSES and view.person.stage != "closed"
        if not (t is not None and t.partner_types and is_open) and d.key not in by_key:
            continue
        item = DemarcheApplications(d.key, label_of(d.key), is_open, by_key.get(d.key, []))
        if is_open:
            live = {a.partner for a in item.applications if a.state in LIVE}
            purpose = ctx.config.purpose_of(d.key)
            item.choices = [_choice(ctx, c, grants, purpose, today, lang) for c in partner_choice(ctx, d.key, today)
                            if c.id not in live]
        if item.applications or item.choices:
            rows.append(item)
    rows.sort(key=lambda r: not r.applications)  # what was sent first (in the plan's order); then what may be
    cfg = ctx.config.consents
    purposes = list(cfg.purposes) if cfg is not None else []
    types = sorted({x for p in purposes for x in p.partner_types}, key=lambda x: i18n.label(x, lang, "PartnerType"))
    directory = sorted(ctx.config.partners.values(), key=lambda p: (i18n.label(p.type, lang, "PartnerType"), p.name))
    consent_step = next((d for d in (view.demarches if view is not None else []) if d.key == CONSENT_KEY), None)
    return dict(consents=cv, consent_rows=[_consent_words(ctx, c, lang) for c in cv.consents],
                missing_lines=missing_lines(ctx, cv, lang), consent_label=label_of(CONSENT_KEY),
                consent_step=consent_step, purposes=[(p.key, getattr(p.label, lang)) for p in purposes],
                consent_types=types, consent_partners=directory, consent_hows=list(ConsentHow),
                app_rows=rows, app_states=list(ApplicationState), today_iso=today.isoformat())


def _choice(ctx: Context, c, grants: list[Grant], purpose, today: dt.date, lang: str) -> Choice:
    if c.capacity_available is None:
        capacity = None
    elif c.capacity_available == 0 and c.capacity_maximum:
        capacity = i18n.tr(lang, "full: no free place out of %(maximum)d") % {"maximum": c.capacity_maximum}
    elif c.capacity_maximum:
        capacity = i18n.ntr(lang, "%(num)d free place out of %(maximum)d", "%(num)d free places out of %(maximum)d",
                            c.capacity_available) % {"num": c.capacity_available, "maximum": c.capacity_maximum}
    else:
        capacity = None
    p = ctx.config.partners[c.id]
    age = verification_age(p, today)
    if age is None:
        words = i18n.tr(lang, "never verified")
    else:
        unit, n = age
        if n == 0:
            ago = i18n.tr(lang, "today")
        elif unit == "days":
            ago = i18n.ntr(lang, "%(num)d day ago", "%(num)d days ago", n) % {"num": n}
        elif unit == "months":
            ago = i18n.ntr(lang, "%(num)d month ago", "%(num)d months ago", n) % {"num": n}
        else:
            ago = i18n.ntr(lang, "%(num)d year ago", "%(num)d years ago", n) % {"num": n}
        words = i18n.tr(lang, "verified %(when)s") % {"when": ago}
    allowed = purpose is not None and allows(grants, p.id, p.type, purpose, today)
    return Choice(c.id, c.name, capacity, words, c.stale, allowed)


@dataclass(frozen=True)
class ConsentWords:
    """A consent of the register, in the reader's words."""

    id: int
    whom: str  # the partner's name, or its type in words
    purpose: str
    given_on: dt.date
    how: str
    recorded_by: str  # a worker id (the template names them)
    until: dt.date | None
    withdrawn_on: dt.date | None
    withdraw_reason: str | None
    current: bool


def _consent_words(ctx: Context, c: ConsentView, lang: str) -> ConsentWords:
    p = ctx.config.partners.get(c.partner) if c.partner else None
    whom = (p.name if p is not None else (c.partner or "")) if c.partner else i18n.label(c.partner_type or "", lang,
                                                                                         "PartnerType")
    return ConsentWords(c.id, whom, _purpose_label(ctx, c.purpose, lang), c.given_on, i18n.label(c.how, lang),
                        c.recorded_by, c.until, c.withdrawn_on, c.withdraw_reason, c.current)


def _purpose_label(ctx: Context, key: str, lang: str) -> str:
    cfg = ctx.config.consents
    p = cfg.by_key.get(key) if cfg is not None else None
    return getattr(p.label, lang) if p is not None else key


def missing_lines(ctx: Context, cv: ConsentsView, lang: str) -> list[str]:
    """What the plan lacks, compact: one line per partner named (« consentement manquant pour <partner>
    (<démarche>) »), and one line per purpose for the démarches no consent covers at all (« <purpose> :
    <démarches> — types de partenaires : ... »)."""
    templates = ctx.config.templates.by_key

    def label_of(key: str) -> str:
        t = templates.get(key)
        return t.label_in(lang) if t else key

    out = []
    by_purpose: dict[str, tuple[list[str], list[str]]] = {}
    for x in cv.missing:
        if x.partner:
            p = ctx.config.partners.get(x.partner)
            out.append(i18n.tr(lang, "consent missing for %(partner)s (%(demarche)s)") % {
                "partner": p.name if p is not None else x.partner, "demarche": label_of(x.key)})
            continue
        labels, types = by_purpose.setdefault(x.purpose, ([], []))
        labels.append(label_of(x.key))
        types += [t for t in x.partner_types if t not in types]
    for purpose, (labels, types) in by_purpose.items():
        out.append(i18n.tr(lang, "%(purpose)s: %(demarches)s — partner types: %(types)s") % {
            "purpose": _purpose_label(ctx, purpose, lang), "demarches": ", ".join(labels),
            "types": ", ".join(i18n.label(t, lang, "PartnerType") for t in types)})
    return out


# ---------------------------------------------------------------------------------------------------------
# the forms

def _to(request: Request, ref: str, anchor: str) -> Response:
    """The plan again, at the section the form was in."""
    r = back_to_plan(request, ref)
    r.headers["location"] = r.headers["location"] + f"#{anchor}"
    return r


def _refused(request: Request, ref: str, v: Viewer, session: dict, e: RajError, seen: str) -> Response:
    from raj_release.web.pages.persons import plan_refused  # persons imports this module for its plan_extras

    return plan_refused(request, ref, v, session, e, seen)


def _day(raw: str, field_name: str) -> dt.date | None:
    return parse_date(raw, field_name) if raw.strip() else None


@router.post("/persons/{ref}/consents")
def grant_form(request: Request, ref: str, purpose: str = Form(""), partner: str = Form(""),
               partner_type: str = Form(""), date: str = Form(""), until: str = Form(""), how: str = Form("signed"),
               seen: str = Form(""), csrf: str = Form("")) -> Response:
    v, session = signed_in(request, csrf)
    try:
        today = today_of(request)
        grant(ctx_of(request), ref, purpose=purpose, partner=partner or None, partner_type=partner_type or None,
              given_on=_day(date, "date"), until=_day(until, "until"), how=how, today=today, actor=v.id, viewer=v)
    except RajError as e:
        return _refused(request, ref, v, session, e, seen)
    return _to(request, ref, "consents")


@router.post("/persons/{ref}/consents/{consent_id}/withdraw")
def withdraw_form(request: Request, ref: str, consent_id: int, reason: str = Form(""), date: str = Form(""),
                  seen: str = Form(""), csrf: str = Form("")) -> Response:
    v, session = signed_in(request, csrf)
    try:
        withdraw(ctx_of(request), ref, consent_id, reason=reason, on=_day(date, "date"), today=today_of(request),
                 actor=v.id, viewer=v)
    except RajError as e:
        return _refused(request, ref, v, session, e, seen)
    return _to(request, ref, "consents")


@router.post("/persons/{ref}/demarches/{key}/applications")
def apply_form(request: Request, ref: str, key: str, partners: list[str] = Form([]), seen: str = Form(""),
               csrf: str = Form("")) -> Response:
    v, session = signed_in(request, csrf)
    try:
        apply(ctx_of(request), ref, key, partners, today=today_of(request), actor=v.id, viewer=v)
    except RajError as e:
        return _refused(request, ref, v, session, e, seen)
    return _to(request, ref, f"apps-{key}")


@router.post("/persons/{ref}/demarches/{key}/applications/state")
def state_form(request: Request, ref: str, key: str, partner: str = Form(""), state: str = Form(""),
               date: str = Form(""), position: str = Form(""), reason: str = Form(""), seen: str = Form(""),
               csrf: str = Form("")) -> Response:
    v, session = signed_in(request, csrf)
    position = position.strip()
    if position and not re.fullmatch(r"[0-9]{1,5}", position):  # ASCII digits only (str.isdigit takes '²')
        return back_to_plan(request, ref, error=i18n.tr(lang_of(v), "The position is a whole number from 1."))
    try:
        set_state(ctx_of(request), ref, key, partner, state, on=_day(date, "date"),
                  position=int(position) if position else None, reason=reason or None, today=today_of(request),
                  actor=v.id, viewer=v)
    except RajError as e:
        return _refused(request, ref, v, session, e, seen)
    return _to(request, ref, f"apps-{key}")


@router.post("/persons/{ref}/demarches/{key}/applications/withdraw-others")
def withdraw_others_form(request: Request, ref: str, key: str, reason: str = Form(""), seen: str = Form(""),
                         csrf: str = Form("")) -> Response:
    v, session = signed_in(request, csrf)
    try:
        withdraw_others(ctx_of(request), ref, key, reason=reason or None, today=today_of(request), actor=v.id,
                        viewer=v)
    except RajError as e:
        return _refused(request, ref, v, session, e, seen)
    return _to(request, ref, f"apps-{key}")
