"""The daily sweep: today's reminders decided by the pure engine, written to the outbox in one transaction
together with the bookkeeping of what was sent (so a second sweep the same day finds nothing new)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import String, and_, bindparam, func, select, type_coerce, update

from raj_release.domain.demarches import OPEN_VALUES
from raj_release.domain.enums import MilestoneKind, Outcome, Responsible, Role, Stage, Status
from raj_release.reminders.contact import ContactCandidate, contact_reminders
from raj_release.reminders.engine import Candidate, Decider, Item
from raj_release.reminders.messages import Directory, Message, Recipient, build_messages, contact_messages
from raj_release.services import gcpause, outbox
from raj_release.services.consents import cancel_expired, consent_gate
from raj_release.services.context import Context
from raj_release.store import models as m
from raj_release.store.hints import unindexed


@dataclass
class SweepResult:
    day: dt.date
    messages: list[Message]  # decided today
    enqueued: list[Message]  # of which written to the outbox now (the others were already there)
    candidates: int
    contact_candidates: int = 0  # released persons whose contact was checked

    def as_json(self) -> list[dict]:
        return [x.as_json() for x in self.messages]


def horizon(ctx: Context, today: dt.date) -> dt.date:
    """The latest due date that can have a reminder point today (the largest 'before due' of any policy)."""
    cfg = ctx.config
    most = max([cfg.reminders.default.before_due[0] if cfg.reminders.default.before_due else 0,
                cfg.reminders.default.partner.before_due[0] if cfg.reminders.default.partner.before_due else 0]
               + [max(cfg.reminder_policy(t.key).before_due + cfg.reminder_policy(t.key).partner.before_due,
                      default=0) for t in cfg.templates if t.reminders])
    return cfg.calendar.add_working_days(today, most)


def load_candidates(ctx: Context, today: dt.date,
                    each: Callable[[list[Candidate]], None] | None = None) -> list[Candidate]:
    """One query: open démarches due up to the horizon, with their person's binôme and organisation, and
    the applications still waiting for a partner's answer on those on hold (a second query, read on a side
    thread while the first one runs). `each` is given the candidates part by part as they are read (the
    sweep decides each part while PostgreSQL sends the next).

    The dates are read as the driver gives them (ISO text on SQLite, dates on PostgreSQL) and converted
    here: SQLAlchemy's own SQLite date parsing costs more than the query itself on a million démarches."""
    applications = _SIDE.submit(_open_applications, ctx, today)
    waiting: dict[int, list[tuple[str, int]]] | None = None

    def part(cands: list[Candidate]) -> None:
        nonlocal waiting
        if waiting is None:
            waiting = applications.result()
        _with_applications(cands, waiting)
        if each is not None:
            each(cands)

    try:
        return _candidates(ctx, today, part)
    finally:
        if waiting is None:
            applications.result()


# the sweep's side thread: what does not depend on the candidates is read while their query runs
_SIDE = ThreadPoolExecutor(max_workers=2, thread_name_prefix="raj-sweep")
CHUNK = 5000  # rows per chunk streamed from PostgreSQL


def _candidates(ctx: Context, today: dt.date, part: Callable[[list[Candidate]], None]) -> list[Candidate]:
    templates = ctx.config.templates.by_key
    d = m.Demarche
    raw = [type_coerce(c, String) for c in (d.due, d.last_as_point, d.last_psy_point, d.last_escalation_point,
                                             d.last_partner_point)]
    q = (select(d.id, d.person_id, m.Person.ref, m.Organisation.code, d.key, d.status, m.Person.as_id,
                m.Person.psy_id, d.partner_id, *raw)
         .join(m.Person, m.Person.id == d.person_id)
         .join(m.Organisation, m.Organisation.id == m.Person.organisation_id)
         .where(d.status.in_(OPEN_VALUES), d.due <= horizon(ctx, today), d.obsolete.is_(False),
                m.Person.stage != "closed"))
    statuses = {s.value: s for s in Status}
    res = {k: t.responsible for k, t in templates.items()}.get
    bin_ = Responsible.BIN
    out: list[Candidate] = []
    with ctx.db.transaction() as s:
        conn = s.connection()
        # The statement is compiled by SQLAlchemy for the dialect (its values are our own codes and a date,
        # rendered as literals); the rows are read as plain tuples from the driver's cursor, which saves a
        # third of the sweep on a million démarches compared with building a Row per result.
        sql = str(q.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        cursor = conn.connection.cursor()
        try:
            if conn.dialect.name == "sqlite":
                # ISO text or None; converted inline (a function call per date costs ~10% of the sweep)
                iso = dt.date.fromisoformat
                cursor.execute(sql)
                out = [Candidate(did, pid, ref, org, key, iso(due), statuses[status], res(key, bin_), as_id,
                                 psy_id, partner, la and iso(la), lpsy and iso(lpsy), le and iso(le), lp and iso(lp))
                       for (did, pid, ref, org, key, status, as_id, psy_id, partner, due, la, lpsy, le, lp)
                       in cursor.fetchall()]
                part(out)
                return out
            # PostgreSQL: the rows are streamed in chunks (libpq's chunked mode), and each chunk is made into
            # candidates, and decided, while the server produces the next one
            chunk: list[tuple] = []

            def take(rows: list[tuple]) -> None:
                cands = [Candidate(did, pid, ref, org, key, due, statuses[status], res(key, bin_), as_id, psy_id,
                                   partner, la, lpsy, le, lp)
                         for (did, pid, ref, org, key, status, as_id, psy_id, partner, due, la, lpsy, le, lp) in rows]
                out.extend(cands)
                part(cands)

            if hasattr(cursor, "stream"):
                rows = cursor.stream(sql, size=CHUNK)
            else:  # another driver: read as it comes
                cursor.execute(sql)
                rows = cursor
            for row in rows:
                chunk.append(row)
                if len(chunk) == CHUNK:
                    take(chunk)
                    chunk = []
            take(chunk)
        finally:
            cursor.close()
    return out


def _open_applications(ctx: Context, today: dt.date) -> dict[int, list[tuple[str, int]]]:
    """The applications still waiting for a partner's answer (sent, or on a waiting list), per démarche on
    hold that the sweep reads (due up to the horizon): a few per démarche waiting on partners."""
    a, d = m.Application, m.Demarche
    q = (select(a.demarche_id, a.partner_id, a.id).join(d, d.id == a.demarche_id)
         .where(a.state.in_(("sent", "waitlist")), d.status == Status.ON_HOLD.value, d.due <= horizon(ctx, today),
                d.obsolete.is_(False))
         .order_by(a.demarche_id, a.id))
    with ctx.db.reading() as s:
        rows = s.connection().execute(q).all()
    found: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for did, partner, aid in rows:
        found[did].append((partner, aid))
    return found


def _with_applications(cands: list[Candidate], waiting: dict[int, list[tuple[str, int]]]) -> list[Candidate]:
    """The candidates on hold with their waiting applications."""
    if waiting:
        on_hold = Status.ON_HOLD
        for c in cands:
            if c.status is on_hold:
                apps = waiting.get(c.demarche_id)
                if apps:
                    c.applications = tuple(apps)
    return cands


def _directory(ctx: Context, s, dry_run: bool = True) -> Directory:
    workers = {w.id: w for w in s.scalars(select(m.Worker).where(m.Worker.active.is_(True)))}
    orgs = {o.id: o for o in s.scalars(select(m.Organisation))}
    org_by_code = {o.code: o for o in orgs.values()}
    coords: dict[str, list[Recipient]] = defaultdict(list)
    for w in workers.values():
        if w.role == Role.COORDINATOR.value:
            coords[orgs[w.organisation_id].code].append(Recipient(w.id, w.name, w.language))
    cfg = ctx.config
    names = {}
    how = cfg.reminders.partner_identifies_person_by

    def partner_person(i: Item) -> str:
        p = cfg.partners.get(i.partner or i.candidate.partner_id or "")
        mode = (p.identify_person_by if p and p.identify_person_by else how)
        if mode == "initials":
            pid = i.candidate.person_id
            if pid not in names:
                names[pid] = s.scalar(select(m.Person.name).where(m.Person.id == pid))
            name = names[pid]
            if name:
                return "".join(part[0].upper() + "." for part in name.split() if part)
        return i.candidate.person_ref

    recipients = {w.id: Recipient(w.id, w.name, w.language, w.role, w.contact or "") for w in workers.values()}

    def partner(pid: str) -> Recipient | None:
        p = cfg.partners.get(pid)
        return Recipient(p.id, p.name, p.language) if p else None

    labels: dict[tuple[str, str], str] = {}

    def label(key: str, lang: str) -> str:
        got = labels.get((key, lang))
        if got is None:
            t = cfg.templates.by_key.get(key)
            got = labels[(key, lang)] = t.label_in(lang) if t else key
        return got

    def reply_link(i: Item) -> str | None:
        """A new personal link for the partner to answer the item's application (none in a dry run: nothing
        is written)."""
        if dry_run or i.application is None:
            return None
        from raj_release.services.applications import new_reply_link

        return new_reply_link(s, ctx, i.application)

    return Directory(organisation_name=lambda code: org_by_code[code].name if code in org_by_code else code,
                     worker=recipients.get, coordinators=lambda code: coords.get(code, []), partner=partner,
                     label=label, partner_person=partner_person,
                     escalate_after=cfg.reminders.default.escalate_after, public_url=ctx.settings.public_url,
                     reply_link=reply_link)


def load_contact_candidates(ctx: Context, today: dt.date) -> list[ContactCandidate]:
    """One query: persons of open files released on or before `today`, with their last held meeting (the
    visit's (person, day) index answers each) and the contact points already sent.

    Read like the démarche candidates (plain tuples from the driver's cursor, ISO text converted here on
    SQLite); the release milestones are scanned rather than looked up by date (nearly every milestone lies
    before today: the date index would only add a lookup per row)."""
    p = m.Person
    last_held = (select(func.max(m.Visit.day))
                 .where(m.Visit.person_id == p.id, m.Visit.outcome == Outcome.HELD.value, m.Visit.day <= today)
                 .correlate(p).scalar_subquery())
    raw = [type_coerce(c, String) for c in (m.Milestone.date, last_held, p.last_contact_point,
                                             p.last_contact_escalation)]
    q = (select(p.id, p.ref, m.Organisation.code, p.as_id, p.psy_id, *raw)
         .join(m.Milestone, and_(m.Milestone.person_id == p.id,
                                 m.Milestone.kind == MilestoneKind.ACTUAL_RELEASE.value))
         .join(m.Organisation, m.Organisation.id == p.organisation_id)
         .where(unindexed(m.Milestone.date) <= today, p.stage != Stage.CLOSED.value))
    with ctx.db.reading() as s:
        conn = s.connection()
        sql = str(q.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        iso = dt.date.fromisoformat
        return [ContactCandidate(pid, ref, org, as_id, psy_id, iso(rel), held and iso(held), lp and iso(lp),
                                 le and iso(le))
                for (pid, ref, org, as_id, psy_id, rel, held, lp, le) in rows]
    return [ContactCandidate(*row) for row in rows]


def _contact_dues(ctx: Context, today: dt.date) -> tuple[list[ContactCandidate], list]:
    """The released persons whose contact is checked today, and the contact alerts due."""
    policy = ctx.config.reminders.contact_after_release
    with gcpause.paused():
        contacts = load_contact_candidates(ctx, today)
        return contacts, [d for org, group in _per_organisation(contacts).items()
                          for d in contact_reminders(group, today, ctx.config.calendar_for(org), policy)]


def _per_organisation(candidates: Sequence) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for c in candidates:
        out[c.organisation].append(c)
    return out


def sweep(ctx: Context, today: dt.date, dry_run: bool = False, contact: bool = True,
          consent: bool = True) -> SweepResult:
    """Decide today's reminders; unless `dry_run`, enqueue them and record what was sent, atomically.
    `contact`: with the contact alert after release; `consent`: partners hear only what a current consent
    allows (the benchmark times the sweep without each of them too). The garbage collector is paused
    meanwhile (`gcpause`): the sweep makes a few hundred thousand short-lived objects and no cycle."""
    with gcpause.paused():
        return _sweep(ctx, today, dry_run, contact, consent)


def _sweep(ctx: Context, today: dt.date, dry_run: bool, contact: bool, consent: bool) -> SweepResult:
    policy = ctx.config.reminders.contact_after_release
    contact = contact and policy.enabled
    # the contact alert after release does not depend on the démarches: on PostgreSQL it is decided on a side
    # thread while the server sends the candidates; SQLite runs its queries in this process, and two of them
    # at once only trade the interpreter's lock row after row (the contact part cost twice as much there)
    side = contact and ctx.db.engine.dialect.name != "sqlite"
    contact_side = _SIDE.submit(_contact_dues, ctx, today) if side else None
    # each organisation counts working days with its own closures (config/closures.yaml); recipients, partner
    # messages and escalations are per organisation: the engine decides organisation by organisation
    decider = Decider(today, ctx.config.calendar_for, ctx.config.reminder_policy)
    try:
        cands = load_candidates(ctx, today, decider.add)
    finally:
        contacts, contact_dues = contact_side.result() if contact_side is not None else ([], [])
    if contact and not side:
        contacts, contact_dues = _contact_dues(ctx, today)
    with ctx.db.reading() as s:
        # the engine decides the partner points first, then asks consent about their persons: read at once
        dues = decider.dues(gate=(lambda persons: consent_gate(ctx, s, today, persons)) if consent else None)
    with ctx.db.transaction() as s:
        directory = _directory(ctx, s, dry_run)
        messages = build_messages(dues, today, directory)
        messages += contact_messages(contact_dues, today, directory, policy.escalate_after)
        if dry_run:
            return SweepResult(today, messages, [], len(cands), len(contacts))
        if consent:
            cancel_expired(s, ctx, today)  # what waits for a partner whose consent ended since it was decided
        if not messages:
            return SweepResult(today, messages, [], len(cands), len(contacts))
        added = outbox.enqueue(s, ctx, messages)
        _record_points(s, added)
        _record_contact_points(s, added)
    return SweepResult(today, messages, added, len(cands), len(contacts))


COLUMNS = {"as": "last_as_point", "psy": "last_psy_point", "escalation": "last_escalation_point",
           "partner": "last_partner_point"}


def _record(s, messages: Sequence[Message], table, columns: dict[str, str], *, contact: bool) -> None:
    """Set each row's last point sent, per audience (the latest of the messages), with one executemany per
    audience; a point never goes back. The démarches' points come from the reminders, the persons' from the
    contact alerts."""
    best: dict[str, dict[int, dt.date]] = {k: {} for k in columns}
    for msg in messages:
        if (msg.kind == "contact") is not contact:
            continue
        for audience, points in msg.points.items():
            for rid, p in points.items():
                if rid not in best[audience] or p > best[audience][rid]:
                    best[audience][rid] = p
    for audience, points in best.items():
        if not points:
            continue
        col = table.c[columns[audience]]
        stmt = (update(table).where(table.c.id == bindparam("rid"))
                .where((col.is_(None)) | (col < bindparam("point"))).values({col: bindparam("point")}))
        s.connection().execute(stmt, [{"rid": r, "point": p} for r, p in points.items()])


CONTACT_COLUMNS = {"contact": "last_contact_point", "contact_escalation": "last_contact_escalation"}


def _record_points(s, messages: Sequence[Message]) -> None:
    _record(s, messages, m.Demarche.__table__, COLUMNS, contact=False)


def _record_contact_points(s, messages: Sequence[Message]) -> None:
    """The same silence after release is not signalled twice."""
    _record(s, messages, m.Person.__table__, CONTACT_COLUMNS, contact=True)


def next_morning(ctx: Context, when: dt.datetime, hour: int = 7, minute: int = 30) -> dt.datetime:
    """When a non-urgent message decided at `when` may go out: at once on a working day after the morning
    sweep's hour, else that working day's (or the next working day's) morning, local time."""
    tz = zoneinfo.ZoneInfo(ctx.settings.timezone)
    local = when.astimezone(tz)
    cal = ctx.config.calendar
    if cal.is_working_day(local.date()) and (local.hour, local.minute) >= (hour, minute):
        return when
    day = local.date() if cal.is_working_day(local.date()) else cal.next_working_day(local.date())
    return dt.datetime.combine(day, dt.time(hour, minute), tz).astimezone(dt.UTC)
