"""Which reminders are due on `today`, for whom, as one digest per recipient.

Reminders are *points* on the working-day calendar (policy.py). On a given day, a démarche needs a reminder
for a recipient when its latest point on or before today is later than the last point already sent for it.
So a sweep that did not run for three days sends the latest reminder once, not three; a second sweep the
same day finds nothing new; a due date that moves brings new points. Nothing is sent on a day that is not
worked (weekend, holiday, closure): the points wait for the next working day.

Routing: a démarche the AS is responsible for goes to the AS, the psychologue's to the psychologue, the
binôme's (and a partner's) to both; escalations go to the organisation's coordinators; a démarche on hold
waiting on a partner also reminds that partner, as long as the date wished from the partner is not past:
once it is (`partner_date_passed`), the partner's reminder points go to the démarche's responsible
worker(s) instead, as a "partner_date" message asking them to agree a new date with the partner; the
partner hears from the app again once the démarche has a date that is not past.

A démarche sent to several partners at once (applications, issue 12) reminds each partner whose application
is still waiting for an answer (sent, or on a waiting list). Consent gates every partner message: the sweep
gives `allowed(candidate, partner)`, and a partner no current consent covers hears nothing; the point goes
to the responsible worker(s) instead, as a "consent" line of their digest (« consentement manquant pour
<partenaire> (<démarche>) »).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from raj_release.domain.demarches import FINAL_STATUSES, TO_AS, TO_PSY
from raj_release.domain.enums import Responsible, Status
from raj_release.planning.calendar import WorkingCalendar
from raj_release.reminders.policy import ReminderPolicy


@dataclass(slots=True)  # not frozen: the sweep builds ~100,000 of them and frozen __init__ costs 3x
class Candidate:
    """An open démarche as the sweep reads it, with what was already sent for it."""

    demarche_id: int
    person_id: int
    person_ref: str
    organisation: str
    key: str
    due: dt.date
    status: Status
    responsible: Responsible
    as_id: str
    psy_id: str
    partner_id: str | None = None
    last_as: dt.date | None = None  # last reminder point sent to the AS of the binôme
    last_psy: dt.date | None = None  # ... and to the psychologue (each member has their own)
    last_escalation: dt.date | None = None
    last_partner: dt.date | None = None
    # the applications waiting for a partner's answer: (partner id, application id); when empty, the partner
    # of a démarche on hold (`partner_id`) is the one reminded
    applications: tuple[tuple[str, int | None], ...] = ()

    def partners(self) -> tuple[tuple[str, int | None], ...]:
        """The partners this démarche waits on: (partner id, application id or None)."""
        if self.applications:
            return self.applications
        return ((self.partner_id, None),) if self.partner_id else ()


@dataclass(slots=True)
class Item:
    """One line of a digest: a démarche and why it is mentioned today."""

    candidate: Candidate
    reason: str  # "soon", "today", "overdue"
    working_days: int  # days left (soon) or days late (overdue), in working days
    point: dt.date
    partner: str | None = None  # the partner a partner's, a "partner_date" or a "consent" line is about
    application: int | None = None  # the application a partner's line is about (its reply link)


@dataclass(frozen=True, slots=True)
class Due:
    """What a sweep must send: recipient → items, by channel kind."""

    recipient: str  # worker id, partner id, or organisation code for escalations
    role: str  # "as", "psy", "coordinator", "partner"
    kind: str  # "digest", "escalation", "partner", "partner_date" (a new date to agree with the partner),
    # "consent" (a partner no consent covers: said to the responsible worker instead)
    items: tuple[Item, ...]


def section(due: dt.date, today: dt.date) -> str:
    """Where a démarche due on `due` stands on `today`: "overdue" once its due day has passed, "today" on it,
    "soon" before. A digest sent on a working day files its lines by this rule (`_latest_point` applies it on
    ordinals, inlined: the sweep runs it for every candidate; a test holds the two together), and my week
    groups its démarches by it (services/week.py), so that both say the same of the same démarche. (A template
    whose policy sends nothing on the due day has that day's line under "soon", its only point of the day.)"""
    return "overdue" if due < today else "today" if due == today else "soon"


def _latest_point(cal: WorkingCalendar, due_o: int, due_i: int, today_o: int, delta: int,
                  before: tuple[int, ...], on_due: bool, every: int,
                  first_overdue: int = 1) -> tuple[int, str, int] | None:
    """Latest reminder point <= today as (ordinal, reason, working days), or None.
    `due_i` is the calendar's floor index of the due date; `delta` the number of working days from the due
    date to today (negative before the due date)."""
    if today_o < due_o:
        best = None
        for b in before:  # sorted descending: the largest b is the earliest point
            p = cal.add_ordinal(due_o, -b)
            if p <= today_o:
                best = (p, "soon", -delta)
        return best
    if today_o == due_o:
        if on_due:
            return due_o, "today", 0
        before_points = [cal.add_ordinal(due_o, -b) for b in before]
        return (max(before_points), "soon", 0) if before_points else None
    if delta < first_overdue:
        if on_due:
            return due_o, "today", 0
        return None
    k = (delta - first_overdue) // every
    return cal.shift(due_o, due_i, first_overdue + k * every), "overdue", delta




def partner_date_passed(due: dt.date, today: dt.date) -> bool:
    """A date wished from a partner that is before `today` is not asked of the partner again: the
    responsible worker is asked to agree a new one (any past date counts: the day after the due date, the
    partner would otherwise read « date dépassée »)."""
    return due < today


class _Points:
    """A démarche's reminder points on `today` depend only on its template's policy and its due date: computed
    once per (template, due date) and shared by every candidate with the same pair (a sweep reads ~100,000
    candidates over a few thousand such pairs). Each entry: (latest point for the binôme, latest escalation
    point, latest partner point), a point being (ordinal, reason, working days, date) or None."""

    __slots__ = ("cal", "today_o", "today_i", "policy_for", "policies", "memo")

    def __init__(self, today: dt.date, calendar: WorkingCalendar,
                 policy_for: Callable[[str], ReminderPolicy]) -> None:
        self.cal = calendar
        self.today_o = today.toordinal()
        self.today_i = calendar.floor_index(self.today_o)
        self.policy_for = policy_for
        self.policies: dict[str, ReminderPolicy] = {}
        self.memo: dict[tuple[str, dt.date], tuple] = {}

    def policy(self, key: str) -> ReminderPolicy:
        p = self.policies.get(key)
        if p is None:
            p = self.policies[key] = self.policy_for(key)
        return p

    def of(self, key: str, due: dt.date) -> tuple:
        got = self.memo.get((key, due))
        if got is not None:
            return got
        cal, today_o, p = self.cal, self.today_o, self.policy(key)
        due_o = due.toordinal()
        due_i = cal.floor_index(due_o)
        delta = self.today_i - due_i
        hit = _latest_point(cal, due_o, due_i, today_o, delta, p.before_due, p.on_due_day, p.overdue_every)
        esc = None
        if delta >= p.escalate_after:
            esc = _latest_point(cal, due_o, due_i, today_o, delta, (), False, p.escalation_every,
                                first_overdue=p.escalate_after)
            if esc is not None and esc[1] != "overdue":
                esc = None
        ph = None
        if p.partner.enabled:
            pp = p.partner
            ph = _latest_point(cal, due_o, due_i, today_o, delta, pp.before_due, pp.on_due_day, pp.overdue_every)
        got = self.memo[(key, due)] = (_dated(hit), _dated(esc), _dated(ph))
        return got


def _dated(point: tuple[int, str, int] | None) -> tuple[int, str, int, dt.date] | None:
    return None if point is None else (*point, dt.date.fromordinal(point[0]))


Allowed = Callable[[Candidate, str], bool]


def due_reminders(candidates: Iterable[Candidate], today: dt.date, calendar: WorkingCalendar,
                  policy_for: Callable[[str], ReminderPolicy], urgent: bool = False,
                  allowed: Allowed | None = None,
                  gate: Callable[[set[int]], Allowed] | None = None) -> list[Due]:
    """The reminders to send on `today`, grouped per recipient. Empty on a day that is not worked.
    `allowed(candidate, partner)`: whether a current consent lets the partner hear of the démarche (every
    partner may, when None). Or `gate(persons)`, which gives `allowed` once it knows the persons it will be
    asked about: the partner points are decided first, then consent is asked about each of them, so that
    the caller can read those persons' consents at once. A partner's messages are one per person:
    (partner, organisation, person)."""
    decider = Decider(today, calendar, policy_for, urgent)
    decider.add(candidates)
    return decider.dues(allowed, gate)


class _Group:
    """What is decided for the candidates under one calendar (one organisation's, or the only one)."""

    __slots__ = ("worked", "points", "digests", "escalations", "asked")

    def __init__(self, today: dt.date, calendar: WorkingCalendar, points: _Points, urgent: bool) -> None:
        self.worked = urgent or calendar.is_working_day(today)  # nothing is sent on a day not worked
        self.points = points
        self.digests: dict[tuple[str, str], list[Item]] = defaultdict(list)  # (worker, role)
        self.escalations: dict[str, list[Item]] = defaultdict(list)  # organisation
        self.asked: list[Item] = []  # the partner points, each asked about consent once all are known

    def dues(self, today: dt.date, allowed: Allowed | None) -> list[Due]:
        partners: dict[tuple[str, str, int], list[Item]] = defaultdict(list)  # (partner, organisation, person)
        new_dates: dict[tuple[str, str], list[Item]] = defaultdict(list)  # (worker, role): partner dates past
        no_consent: dict[tuple[str, str], list[Item]] = defaultdict(list)  # (worker, role): partners not covered
        for pitem in self.asked:
            c = pitem.candidate
            if allowed is not None and not allowed(c, pitem.partner):
                bucket = no_consent
            elif not partner_date_passed(c.due, today):
                partners[(pitem.partner, c.organisation, c.person_id)].append(pitem)
                continue
            else:
                bucket = new_dates
            if c.responsible in TO_AS:
                bucket[(c.as_id, "as")].append(pitem)
            if c.responsible in TO_PSY:
                bucket[(c.psy_id, "psy")].append(pitem)
        out = [Due(rid, role, "digest", tuple(_sorted(items))) for (rid, role), items in self.digests.items()]
        out += [Due(org, "coordinator", "escalation", tuple(_sorted(items)))
                for org, items in self.escalations.items()]
        out += [Due(pid, "partner", "partner", tuple(_sorted(items))) for (pid, _org, _p), items in partners.items()]
        out += [Due(wid, role, "partner_date", tuple(_sorted(items))) for (wid, role), items in new_dates.items()]
        out += [Due(wid, role, "consent", tuple(_sorted(items))) for (wid, role), items in no_consent.items()]
        out.sort(key=lambda d: (d.kind, d.recipient, d.role, d.items[0].candidate.person_ref if d.items else ""))
        return out


class Decider:
    """`due_reminders` fed in parts: `add` the candidates as they are read (the sweep decides each part
    while the database sends the next), then `dues`. `calendar`: one calendar for every candidate, or a
    function giving an organisation's (each organisation counts working days with its own closures, and is
    then decided apart: its recipients, escalations and partner messages are its own; the dues come
    organisation after organisation, in the order their first candidates came)."""

    def __init__(self, today: dt.date, calendar: WorkingCalendar | Callable[[str], WorkingCalendar],
                 policy_for: Callable[[str], ReminderPolicy], urgent: bool = False) -> None:
        self.today = today
        self.per_organisation = not isinstance(calendar, WorkingCalendar)
        self.calendar = calendar
        self.policy_for = policy_for
        self.urgent = urgent
        self.groups: dict[str | None, _Group] = {}
        self.points: dict[int, _Points] = {}  # per calendar (by identity; each _Points holds its calendar)

    def _group(self, organisation: str | None) -> _Group:
        cal = self.calendar(organisation) if self.per_organisation else self.calendar
        # organisations without closures of their own share the calendar, and so the points
        points = self.points.get(id(cal))
        if points is None:
            points = self.points[id(cal)] = _Points(self.today, cal, self.policy_for)
        g = self.groups[organisation] = _Group(self.today, cal, points, self.urgent)
        return g

    def add(self, candidates: Iterable[Candidate]) -> None:
        groups, per_org, on_hold = self.groups, self.per_organisation, Status.ON_HOLD
        for c in candidates:
            status = c.status
            if status in FINAL_STATUSES:
                continue
            g = groups.get(c.organisation if per_org else None) or self._group(c.organisation if per_org else None)
            if not g.worked:
                continue
            points = g.points
            hit, esc, ph = points.memo.get((c.key, c.due)) or points.of(c.key, c.due)
            if hit is not None:
                to_as = c.responsible in TO_AS and (c.last_as is None or hit[0] > c.last_as.toordinal())
                to_psy = c.responsible in TO_PSY and (c.last_psy is None or hit[0] > c.last_psy.toordinal())
                if to_as or to_psy:
                    item = Item(c, hit[1], hit[2], hit[3])
                    if to_as:
                        g.digests[(c.as_id, "as")].append(item)
                    if to_psy:
                        g.digests[(c.psy_id, "psy")].append(item)
            if esc is not None and (c.last_escalation is None or esc[0] > c.last_escalation.toordinal()):
                g.escalations[c.organisation].append(Item(c, "overdue", esc[2], esc[3]))
            if ph is not None and status is on_hold and (c.partner_id or c.applications) and (
                    c.last_partner is None or ph[0] > c.last_partner.toordinal()):
                g.asked.extend(Item(c, ph[1], ph[2], ph[3], partner, application)
                               for partner, application in c.partners())

    def dues(self, allowed: Allowed | None = None, gate: Callable[[set[int]], Allowed] | None = None) -> list[Due]:
        """What was decided, grouped per recipient; consent asked about each partner point (`due_reminders`)."""
        if gate is not None:
            persons = {i.candidate.person_id for g in self.groups.values() for i in g.asked}
            if persons:
                allowed = gate(persons)
        return [d for g in self.groups.values() if g.worked for d in g.dues(self.today, allowed)]


def _order(i: Item) -> tuple[int, str, str, str]:
    c = i.candidate
    return c.due.toordinal(), c.person_ref, c.key, i.partner or ""


def _sorted(items: list[Item]) -> list[Item]:
    """Overdue first, then today, then soon; by due date, person, démarche and partner within each.
    (Sorted on the last four, then split by reason, the sort being stable. A sweep sorts ~50,000 lines: the
    due date as an ordinal lets the sort compare the keys' first elements as integers, its fastest path.)"""
    items.sort(key=_order)
    out = [i for i in items if i.reason == "overdue"]
    out += [i for i in items if i.reason == "today"]
    out += [i for i in items if i.reason != "overdue" and i.reason != "today"]
    return out


def sent_points(dues: Iterable[Due]) -> Mapping[str, dict[int, dt.date]]:
    """For bookkeeping after enqueueing: {"as"|"psy"|"escalation"|"partner": {demarche_id: point}}.
    A digest counts for its recipient's role in the binôme: each member has their own record. A
    "partner_date" or a "consent" line spends the partner's point (the partner is not reminded of it later).
    Within one Due a démarche has one point (its lines for several partners share it); across Dues the
    latest point counts."""
    out: dict[str, dict[int, dt.date]] = {}
    for d in dues:
        audience = d.role if d.kind == "digest" else "partner" if d.kind in ("partner_date", "consent") else d.kind
        got = {i.candidate.demarche_id: i.point for i in d.items}
        bucket = out.get(audience)
        if bucket is None:
            out[audience] = got
            continue
        for did, point in got.items():
            prev = bucket.get(did)
            if prev is None or point > prev:
                bucket[did] = point
    return {audience: points for audience, points in out.items() if points}
