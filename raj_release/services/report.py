"""The coordinators' weekly report: overdue démarches by worker, prison, démarche and partner, the
messages that could not be delivered, and the partner directory's entries to verify again (not verified for
more than 12 months: services/partners.py `stale_partners`). Sent through the outbox to each coordinator of
each organisation."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from raj_release.domain.demarches import OPEN_VALUES
from raj_release.domain.enums import OutboxStatus, Role
from raj_release.reminders.messages import Message, link, render
from raj_release.services import outbox
from raj_release.services.context import Context
from raj_release.services.partners import stale_partners
from raj_release.store import models as m

TITLES = {
    "fr": {"worker": "Par travailleur·euse", "prison": "Par prison", "demarche": "Par démarche",
           "partner": "Par partenaire attendu"},
    "nl": {"worker": "Per medewerker", "prison": "Per gevangenis", "demarche": "Per stap",
           "partner": "Per partner waarop gewacht wordt"},
}


@dataclass
class OrgOverview:
    organisation: str
    name: str
    total: int
    persons: int
    by_worker: Counter
    by_prison: Counter
    by_demarche: Counter
    by_partner: Counter
    dead: list[dict]


def overview(ctx: Context, today: dt.date) -> dict[str, OrgOverview]:
    """Overdue counts per organisation (one query for démarches, one for dead messages)."""
    q = (select(m.Organisation.code, m.Organisation.name, m.Person.id, m.Person.as_id, m.Person.psy_id,
                m.Person.prison, m.Demarche.key, m.Demarche.partner_id)
         .join(m.Person, m.Person.organisation_id == m.Organisation.id)
         .join(m.Demarche, m.Demarche.person_id == m.Person.id)
         .where(m.Demarche.status.in_(OPEN_VALUES), m.Demarche.due < today, m.Demarche.obsolete.is_(False),
                m.Person.stage != "closed"))
    out: dict[str, OrgOverview] = {}
    persons: dict[str, set[int]] = defaultdict(set)
    with ctx.db.transaction() as s:
        for code, name, pid, as_id, psy_id, prison, key, partner in s.execute(q):
            o = out.get(code) or out.setdefault(code, OrgOverview(code, name, 0, 0, Counter(), Counter(), Counter(),
                                                                  Counter(), []))
            o.total += 1
            persons[code].add(pid)
            o.by_worker[as_id] += 1
            o.by_worker[psy_id] += 1
            o.by_prison[prison] += 1
            o.by_demarche[key] += 1
            if partner:
                o.by_partner[partner] += 1
        orgs = {o.code: o for o in s.scalars(select(m.Organisation))}
        for code, org in orgs.items():
            out.setdefault(code, OrgOverview(code, org.name, 0, 0, Counter(), Counter(), Counter(), Counter(), []))
        # dead messages, each to the organisation it was written for (partner messages included)
        for msg in s.scalars(select(m.OutboxMessage).where(m.OutboxMessage.status == OutboxStatus.DEAD.value)
                             .order_by(m.OutboxMessage.day)):
            if msg.organisation in out:
                out[msg.organisation].dead.append(
                    {"day": msg.day, "kind": msg.kind, "recipient": msg.recipient, "error": msg.last_error or ""})
    for code, o in out.items():
        o.persons = len(persons[code])
    return out


def weekly_report(ctx: Context, today: dt.date, dry_run: bool = False) -> list[Message]:
    """One report per coordinator, enqueued (unless dry_run); returns the messages."""
    week_start = today - dt.timedelta(days=today.weekday())
    labels = ctx.config.templates.by_key
    partners = ctx.config.partners
    ov = overview(ctx, today)
    # the directory is shared by every organisation: each coordinator reads the same entries to verify
    stale = [{"name": p.name, "last_verified": p.last_verified} for p in stale_partners(ctx, today)]
    msgs: list[Message] = []
    with ctx.db.transaction() as s:
        coords = s.execute(select(m.Worker, m.Organisation.code).join(m.Organisation)
                           .where(m.Worker.role == Role.COORDINATOR.value, m.Worker.active.is_(True))).all()
        for w, code in coords:
            o = ov[code]
            lang = w.language if w.language in TITLES else "fr"
            t = TITLES[lang]

            def top(counter: Counter, name=lambda k: k) -> list[tuple[str, int]]:
                return [(name(k), n) for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]

            groups = [
                (t["worker"], top(o.by_worker)),
                (t["prison"], top(o.by_prison)),
                (t["demarche"], top(o.by_demarche, lambda k: labels[k].label_in(lang) if k in labels else k)),
                (t["partner"], top(o.by_partner, lambda k: partners[k].name if k in partners else k)),
            ]
            subject, body = render("report", lang, organisation=o.name, week_start=week_start, day=today,
                                   recipient_name=w.name, total=o.total, persons=o.persons, groups=groups,
                                   dead=o.dead, stale=stale, link=link(ctx.settings.public_url, "/dashboard"))
            # keyed by the week, not the day: running it again later in the week sends nothing new
            msgs.append(Message(w.id, "coordinator", "report", lang, subject, body, (), week_start, "week",
                                organisation=code))
        if not dry_run:
            outbox.enqueue(s, ctx, msgs)
    return msgs
