"""The contact alert after release (raj_release/reminders/contact.py), a pure rule with `today` as parameter.

Run like the daily sweep: once per calendar day, feeding back what was sent into the candidate's last points.
February 2027 has no holiday and no closure: its working days are Monday to Friday.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pytest

from raj_release.config import load_reminders
from raj_release.errors import ConfigError
from raj_release.reminders.contact import ContactCandidate, contact_points, contact_reminders, contact_sent
from raj_release.reminders.policy import ContactPolicy
from raj_release.settings import PROJECT_ROOT

D = dt.date
RELEASE = D(2027, 2, 1)  # a Monday
POLICY = ContactPolicy(remind_after=10, escalate_after=5)


def cand(**kw) -> ContactCandidate:
    base = dict(person_id=1, person_ref="REF-1", organisation="org-a", as_id="as.1", psy_id="psy.1",
                released=RELEASE)
    base.update(kw)
    return ContactCandidate(**base)


def run_days(c: ContactCandidate, first: dt.date, last: dt.date, calendar, policy=POLICY):
    """The sweep on every day from first to last: {day: [(kind, recipient, role)]}, feeding back what it sent."""
    sent = {}
    day = first
    while day <= last:
        dues = contact_reminders([c], day, calendar, policy)
        if dues:
            sent[day] = [(d.kind, d.recipient, d.role) for d in dues]
            points = contact_sent(dues)
            c = dataclasses.replace(c, last_point=points.get("contact", {}).get(1, c.last_point),
                                    last_escalation=points.get("contact_escalation", {}).get(1, c.last_escalation))
        day += dt.timedelta(days=1)
    return sent


def test_shipped_config_says_10_and_5(config):
    p = config.reminders.contact_after_release
    assert (p.enabled, p.remind_after, p.escalate_after) == (True, 10, 5)


def test_reminder_after_10_working_days_then_escalation_5_later_each_once(calendar):
    sent = run_days(cand(), RELEASE, D(2027, 3, 31), calendar)
    # 10 working days after Monday 1 February: Monday 15; 5 more: Monday 22
    assert sent == {D(2027, 2, 15): [("reminder", "as.1", "as"), ("reminder", "psy.1", "psy")],
                    D(2027, 2, 22): [("escalation", "org-a", "coordinator")]}


def test_the_items_say_since_when_and_how_long(calendar):
    (as_due, psy_due) = contact_reminders([cand()], D(2027, 2, 15), calendar, POLICY)
    item = as_due.items[0]
    assert (item.since, item.working_days, item.point) == (RELEASE, 10, D(2027, 2, 15))
    assert psy_due.items == as_due.items


def test_a_second_sweep_the_same_day_sends_nothing_new(calendar):
    day = D(2027, 2, 15)
    points = contact_sent(contact_reminders([cand()], day, calendar, POLICY))
    again = cand(last_point=points["contact"][1])
    assert contact_reminders([again], day, calendar, POLICY) == []


def test_a_held_meeting_starts_a_new_silence(calendar):
    # held on Wednesday 10 February: the point is 10 working days after it, Wednesday 24
    sent = run_days(cand(last_held=D(2027, 2, 10)), RELEASE, D(2027, 3, 12), calendar)
    assert sorted(sent) == [D(2027, 2, 24), D(2027, 3, 3)]
    since, point, esc = contact_points(cand(last_held=D(2027, 2, 10)), calendar, POLICY)
    assert (since, point, esc) == (D(2027, 2, 10), D(2027, 2, 24), D(2027, 3, 3))


def test_after_a_reminder_a_new_meeting_brings_new_points(calendar):
    c = cand(last_point=D(2027, 2, 15))  # reminded on the 15th; a meeting held on the 16th
    c = dataclasses.replace(c, last_held=D(2027, 2, 16))
    assert contact_reminders([c], D(2027, 2, 22), calendar, POLICY) == []  # no escalation of the old silence
    assert [d.kind for d in contact_reminders([c], D(2027, 3, 2), calendar, POLICY)] == ["reminder", "reminder"]


def test_a_meeting_held_before_the_release_does_not_count(calendar):
    assert contact_points(cand(last_held=D(2027, 1, 20)), calendar, POLICY)[0] == RELEASE


def test_nothing_on_a_day_not_worked_the_point_waits(calendar):
    # point on Monday 15 February; a sweep that only runs on Saturday 20 finds nothing, Monday 22 sends both
    c = cand()
    assert contact_reminders([c], D(2027, 2, 20), calendar, POLICY) == []
    dues = contact_reminders([c], D(2027, 2, 22), calendar, POLICY)
    assert sorted(d.kind for d in dues) == ["escalation", "reminder", "reminder"]


def test_not_released_yet_or_disabled_gives_nothing(calendar):
    assert contact_reminders([cand(released=D(2027, 3, 1))], D(2027, 2, 26), calendar, POLICY) == []
    off = ContactPolicy(enabled=False)
    assert contact_reminders([cand()], D(2027, 3, 1), calendar, off) == []


def test_one_message_per_member_listing_their_persons_longest_silence_first(calendar):
    a = cand(person_id=1, person_ref="B-1", released=D(2027, 2, 3))
    b = cand(person_id=2, person_ref="A-2", released=D(2027, 2, 1), psy_id="psy.2")
    dues = contact_reminders([a, b], D(2027, 3, 1), calendar, ContactPolicy(remind_after=10, escalate_after=60))
    got = {(d.recipient, d.role): [i.candidate.person_ref for i in d.items] for d in dues}
    assert got == {("as.1", "as"): ["A-2", "B-1"], ("psy.1", "psy"): ["B-1"], ("psy.2", "psy"): ["A-2"]}


@pytest.mark.parametrize("field", ["remind_after", "escalate_after"])
def test_a_bad_contact_policy_is_a_config_error(tmp_path, field):
    folder = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", folder)
    path = folder / "reminders.yaml"
    text = path.read_text(encoding="utf-8")
    block = text[text.index("contact_after_release:"):text.index("delivery:")]
    path.write_text(text.replace(block, block.replace(f"{field}: ", f"{field}: 0  # was ", 1)), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_reminders(folder)
    msg = str(e.value)
    assert "reminders.yaml" in msg and field in msg and "\n" not in msg
