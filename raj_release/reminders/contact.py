"""The contact alert after release: which persons' binômes (and coordinators) are told today that no meeting
was held for too long since the person left prison (DOMAIN.md §8.2: « Non continuité du suivi »).

Pure: the service gives the persons as read (their actual release, their last held meeting, the points
already sent) and `today`. The silence runs from the later of the release and the last held meeting; counted
in working days of the calendar, the reminder point is `remind_after` working days after it and the
escalation point `escalate_after` working days after that. A point is sent once (the person's
last_contact_point / last_contact_escalation keep the last one sent): a second sweep the same day, or the
next days of the same silence, send nothing new; a meeting held starts a new silence with new points.
As with the démarches' reminders, nothing is decided on a day that is not worked: the point waits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from raj_release.planning.calendar import WorkingCalendar
from raj_release.reminders.policy import ContactPolicy


@dataclass(slots=True)
class ContactCandidate:
    """A released person whose file is open, with what the sweep needs to decide."""

    person_id: int
    person_ref: str
    organisation: str
    as_id: str
    psy_id: str
    released: dt.date  # the actual release, on or before today
    last_held: dt.date | None = None  # the last meeting held, on or before today
    last_point: dt.date | None = None  # the last reminder point already sent
    last_escalation: dt.date | None = None  # the last escalation point already sent


@dataclass(frozen=True, slots=True)
class ContactItem:
    """One person in a contact message: silent since `since`, for `working_days` working days."""

    candidate: ContactCandidate
    since: dt.date
    working_days: int
    point: dt.date


@dataclass(frozen=True, slots=True)
class ContactDue:
    """What to send: recipient (a worker id, or an organisation code for escalations) → persons."""

    recipient: str
    role: str  # "as", "psy" or "coordinator"
    kind: str  # "reminder" or "escalation"
    items: tuple[ContactItem, ...]


def silence_start(c: ContactCandidate) -> dt.date:
    """The day the silence starts: the later of the release and the last held meeting."""
    return c.released if c.last_held is None or c.last_held < c.released else c.last_held


def contact_points(c: ContactCandidate, calendar: WorkingCalendar,
                   policy: ContactPolicy) -> tuple[dt.date, dt.date, dt.date]:
    """(silence start, reminder point, escalation point) of `c`."""
    since = silence_start(c)
    return (since, *points_after(since, calendar, policy))


def points_after(since: dt.date, calendar: WorkingCalendar, policy: ContactPolicy) -> tuple[dt.date, dt.date]:
    """(reminder point, escalation point) of a silence started on `since`."""
    point = calendar.add_working_days(since, policy.remind_after)
    return point, calendar.add_working_days(point, policy.escalate_after)


def contact_reminders(candidates: Iterable[ContactCandidate], today: dt.date, calendar: WorkingCalendar,
                      policy: ContactPolicy) -> list[ContactDue]:
    """Today's contact reminders (one per binôme member) and escalations (one per organisation), each
    listing its persons by reference. Empty when the alert is disabled or today is not worked."""
    if not policy.enabled or not calendar.is_working_day(today):
        return []
    reminders: dict[tuple[str, str], list[ContactItem]] = defaultdict(list)
    escalations: dict[str, list[ContactItem]] = defaultdict(list)
    # the points and the silence's length depend only on the day the silence started: computed once per day
    # (thousands of released persons share a few hundred such days)
    memo: dict[dt.date, tuple[dt.date, dt.date, int | None]] = {}
    for c in candidates:
        if c.released > today:
            continue
        since = silence_start(c)
        got = memo.get(since)
        if got is None:
            point, esc = points_after(since, calendar, policy)
            got = memo[since] = (point, esc, calendar.working_days_between(since, today) if point <= today else None)
        point, esc, days = got
        if point > today:
            continue
        if esc <= today:
            if c.last_escalation is None or c.last_escalation < esc:
                escalations[c.organisation].append(ContactItem(c, since, days, esc))
        if c.last_point is None or c.last_point < point:
            item = ContactItem(c, since, days, point)
            reminders[(c.as_id, "as")].append(item)
            reminders[(c.psy_id, "psy")].append(item)
    out = [ContactDue(rid, role, "reminder", tuple(_sorted(items))) for (rid, role), items in reminders.items()]
    out += [ContactDue(org, "coordinator", "escalation", tuple(_sorted(items))) for org, items in escalations.items()]
    out.sort(key=lambda d: (d.kind, d.recipient, d.role))
    return out


def _sorted(items: list[ContactItem]) -> list[ContactItem]:
    """The longest silence first, then by reference."""
    items.sort(key=lambda i: (i.since, i.candidate.person_ref))
    return items


def contact_sent(dues: Iterable[ContactDue]) -> dict[str, dict[int, dt.date]]:
    """For bookkeeping after enqueueing: {"contact"|"contact_escalation": {person_id: point}}."""
    out: dict[str, dict[int, dt.date]] = {"contact": {}, "contact_escalation": {}}
    for d in dues:
        bucket = out["contact" if d.kind == "reminder" else "contact_escalation"]
        for i in d.items:
            prev = bucket.get(i.candidate.person_id)
            if prev is None or i.point > prev:
                bucket[i.candidate.person_id] = i.point
    return {k: v for k, v in out.items() if v}
