"""The pure reminder engine (raj_release/reminders/engine.py) on hand-made candidates and the real calendar.

Most tests run the engine the way the daily sweep does: once per calendar day, feeding back what it sent
(`sent_points`) into the candidates' `last_*` dates, and look at the days on which something was sent.
February 2027 has no holiday and no closure, so working days there are simply Monday to Friday.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from raj_release.config import load_config, load_reminders, load_templates
from raj_release.domain.enums import Responsible, Status
from raj_release.errors import ConfigError
from raj_release.planning.calendar import WorkingCalendar
from raj_release.reminders.engine import (
    Candidate,
    Decider,
    Due,
    due_reminders,
    partner_date_passed,
    sent_points,
)
from raj_release.reminders.policy import DeliveryPolicy, PartnerPolicy, ReminderPolicy
from raj_release.settings import PROJECT_ROOT

D = dt.date
DUE = D(2027, 2, 10)  # a Wednesday in a month without holidays

# working days around DUE (Feb 2027): before it ...
BEFORE_5, BEFORE_3, BEFORE_1 = D(2027, 2, 3), D(2027, 2, 5), D(2027, 2, 9)
# ... and overdue by N working days
LATE = {1: D(2027, 2, 11), 2: D(2027, 2, 12), 3: D(2027, 2, 15), 4: D(2027, 2, 16), 5: D(2027, 2, 17),
        6: D(2027, 2, 18), 7: D(2027, 2, 19), 8: D(2027, 2, 22), 9: D(2027, 2, 23), 10: D(2027, 2, 24),
        11: D(2027, 2, 25), 12: D(2027, 2, 26), 13: D(2027, 3, 1), 14: D(2027, 3, 2), 15: D(2027, 3, 3),
        16: D(2027, 3, 4), 17: D(2027, 3, 5)}


def cand(demarche_id: int = 1, **kw) -> Candidate:
    base = dict(demarche_id=demarche_id, person_id=demarche_id, person_ref=f"REF-{demarche_id}",
                organisation="org-a", key="intake_fiche", due=DUE, status=Status.PLANNED,
                responsible=Responsible.BIN, as_id="as.1", psy_id="psy.1")
    base.update(kw)
    return Candidate(**base)


@pytest.fixture(scope="module")
def default_policy(config) -> ReminderPolicy:
    p = config.reminders.default
    # the tests below read the shipped config/reminders.yaml: make sure it says what they assume
    assert (p.before_due, p.on_due_day, p.overdue_every, p.escalate_after, p.escalation_every) == ((5, 1), True,
                                                                                                   3, 5, 5)
    assert (p.partner.enabled, p.partner.before_due, p.partner.on_due_day, p.partner.overdue_every) == (
        True, (3,), True, 5)
    return p


@pytest.fixture
def policy_for(default_policy):
    return lambda key: default_policy


def days(start: D, end: D):
    d = start
    while d <= end:
        yield d
        d += dt.timedelta(days=1)


def simulate(candidates, start: D, end: D, calendar, policy_for, skip=()):
    """Run the engine every day like the daily sweep; returns [(day, kind, recipient, person, reason, wd, point)].

    `skip`: days on which the sweep did not run. After each run, what was sent is recorded on the candidates
    as the service does (the latest point per audience)."""
    state = {c.demarche_id: c for c in candidates}
    log = []
    column = {"as": "last_as", "psy": "last_psy", "escalation": "last_escalation", "partner": "last_partner"}
    for d in days(start, end):
        if d in skip:
            continue
        dues = due_reminders(list(state.values()), d, calendar, policy_for)
        for due in dues:
            for i in due.items:
                log.append((d, due.kind, due.recipient, i.candidate.person_ref, i.reason, i.working_days, i.point))
        for audience, points in sent_points(dues).items():
            for did, p in points.items():
                state[did] = dataclasses.replace(state[did], **{column[audience]: p})
    return log


def sent_days(log, kind: str, recipient: str | None = None) -> list[D]:
    return sorted({x[0] for x in log if x[1] == kind and (recipient is None or x[2] == recipient)})


# ---------------------------------------------------------------------------------------------------------
# the points of the default policy


def test_calendar_assumptions(calendar):
    for d in [BEFORE_5, BEFORE_3, BEFORE_1, DUE, *LATE.values()]:
        assert calendar.is_working_day(d), d
    assert calendar.add_working_days(DUE, -5) == BEFORE_5 and calendar.add_working_days(DUE, -1) == BEFORE_1
    assert all(calendar.add_working_days(DUE, n) == d for n, d in LATE.items())


def test_daily_sweeps_send_5_and_1_before_due_day_and_overdue_every_3(calendar, policy_for):
    log = simulate([cand()], D(2027, 1, 18), D(2027, 3, 5), calendar, policy_for)
    expected = [BEFORE_5, BEFORE_1, DUE, LATE[1], LATE[4], LATE[7], LATE[10], LATE[13], LATE[16]]
    assert sent_days(log, "digest", "as.1") == expected
    assert sent_days(log, "digest", "psy.1") == expected
    # what each reminder says: soon (working days left), today, overdue (working days late)
    as_log = [(x[0], x[4], x[5], x[6]) for x in log if x[2] == "as.1"]
    assert as_log == [(BEFORE_5, "soon", 5, BEFORE_5), (BEFORE_1, "soon", 1, BEFORE_1), (DUE, "today", 0, DUE),
                      *[(LATE[n], "overdue", n, LATE[n]) for n in (1, 4, 7, 10, 13, 16)]]


def test_escalation_at_5_working_days_overdue_then_every_5(calendar, policy_for):
    log = simulate([cand(organisation="org-a")], D(2027, 1, 18), D(2027, 3, 5), calendar, policy_for)
    assert sent_days(log, "escalation") == [LATE[5], LATE[10], LATE[15]]
    assert {x[2] for x in log if x[1] == "escalation"} == {"org-a"}  # to the organisation's coordinators
    assert [(x[4], x[5]) for x in log if x[1] == "escalation"] == [("overdue", 5), ("overdue", 10), ("overdue", 15)]


def test_nothing_before_the_first_point_nor_for_far_away_due_dates(calendar, policy_for):
    far = cand(due=D(2027, 3, 31))
    assert due_reminders([far], D(2027, 2, 10), calendar, policy_for) == []
    # 6 working days before the due date: not yet
    assert due_reminders([cand()], calendar.add_working_days(DUE, -6), calendar, policy_for) == []
    assert due_reminders([cand()], BEFORE_5 + dt.timedelta(days=1), calendar, policy_for)  # no bookkeeping


# ---------------------------------------------------------------------------------------------------------
# routing


@pytest.mark.parametrize("responsible, recipients", [
    (Responsible.AS, {("as.1", "as")}),
    (Responsible.PSY, {("psy.1", "psy")}),
    (Responsible.BIN, {("as.1", "as"), ("psy.1", "psy")}),
])
def test_routing_by_responsible(calendar, policy_for, responsible, recipients):
    dues = due_reminders([cand(responsible=responsible)], DUE, calendar, policy_for)
    assert {(d.recipient, d.role) for d in dues} == recipients
    assert all(d.kind == "digest" and len(d.items) == 1 and d.items[0].reason == "today" for d in dues)


def test_escalation_and_partner_go_to_their_own_recipients(calendar, policy_for):
    c = cand(responsible=Responsible.AS, status=Status.ON_HOLD, partner_id="cpas-x", organisation="org-b")
    # day 5 overdue, the binôme and the partner reminded on day 4 and 1: only the escalation point is new
    sent = dataclasses.replace(c, last_as=LATE[4], last_psy=LATE[4], last_partner=LATE[1])
    dues = due_reminders([sent], LATE[5], calendar, policy_for)
    assert [(d.kind, d.recipient, d.role) for d in dues] == [("escalation", "org-b", "coordinator")]
    # day 6: the partner's point (1, 6, 11, ...), the date wished from the partner being past: to the AS
    sent = dataclasses.replace(sent, last_escalation=LATE[5])
    dues = due_reminders([sent], LATE[6], calendar, policy_for)
    assert [(d.kind, d.recipient, d.role) for d in dues] == [("partner_date", "as.1", "as")]
    # on its due day, everything that has a point, each to its own recipient, the AS only for the binôme
    dues = due_reminders([c], DUE, calendar, policy_for)
    assert sorted((d.kind, d.recipient, d.role) for d in dues) == [("digest", "as.1", "as"),
                                                                    ("partner", "cpas-x", "partner")]
    dues = due_reminders([c], LATE[1], calendar, policy_for)
    assert sorted((d.kind, d.recipient, d.role) for d in dues) == [("digest", "as.1", "as"),
                                                                    ("partner_date", "as.1", "as")]


# ---------------------------------------------------------------------------------------------------------
# days that are not worked


@pytest.mark.parametrize("quiet", [D(2026, 11, 14), D(2026, 11, 15), D(2026, 11, 11), D(2026, 12, 28),
                                   D(2026, 12, 25), D(2027, 1, 1)])
def test_nothing_on_weekends_holidays_and_closures(calendar, policy_for, quiet):
    assert not calendar.is_working_day(quiet)
    # candidates with a point due on that day if it were worked: overdue, due that day, due soon, on hold
    cands = [cand(1, due=quiet - dt.timedelta(days=10)), cand(2, due=calendar.next_working_day(quiet)),
             cand(3, due=quiet - dt.timedelta(days=40), status=Status.ON_HOLD, partner_id="cpas-x"),
             cand(4, due=calendar.add_working_days(quiet, 5))]
    assert due_reminders(cands, quiet, calendar, policy_for) == []
    # an urgent sweep computes them anyway
    assert due_reminders(cands, quiet, calendar, policy_for, urgent=True) != []


def test_points_missed_before_a_holiday_wait_for_the_next_working_day(calendar, policy_for):
    # due Monday 9/11/2026; its due-day reminder was sent; the sweep did not run on Tuesday 10/11 (overdue day
    # 1); Wednesday 11/11 is Armistice; Thursday 12/11 sends that missed point once, Friday nothing.
    c = cand(due=D(2026, 11, 9), last_as=D(2026, 11, 9), last_psy=D(2026, 11, 9))
    assert not calendar.is_working_day(D(2026, 11, 11))
    log = simulate([c], D(2026, 11, 10), D(2026, 11, 20), calendar, policy_for, skip={D(2026, 11, 10)})
    digest = [(x[0], x[4], x[5], x[6]) for x in log if x[1] == "digest" and x[2] == "as.1"]
    # late: 10/11 = 1, 12/11 = 2, 13/11 = 3, 16/11 = 4, 17/11 = 5, 18/11 = 6, 19/11 = 7
    assert digest == [(D(2026, 11, 12), "overdue", 2, D(2026, 11, 10)),
                      (D(2026, 11, 16), "overdue", 4, D(2026, 11, 16)),
                      (D(2026, 11, 19), "overdue", 7, D(2026, 11, 19))]


def test_points_wait_over_the_end_of_year_closure(calendar, policy_for):
    # due Wednesday 23/12/2026, reminded that day; 24/12 (overdue day 1) missed; 25/12 Christmas, 28-31/12
    # closure, 1/1 New Year: nothing until Monday 4/1/2027, which sends the 24/12 point once.
    c = cand(due=D(2026, 12, 23), last_as=D(2026, 12, 23), last_psy=D(2026, 12, 23))
    log = simulate([c], D(2026, 12, 24), D(2027, 1, 8), calendar, policy_for, skip={D(2026, 12, 24)})
    digest = [(x[0], x[4], x[5], x[6]) for x in log if x[1] == "digest" and x[2] == "as.1"]
    assert digest == [(D(2027, 1, 4), "overdue", 2, D(2026, 12, 24)),
                      (D(2027, 1, 6), "overdue", 4, D(2027, 1, 6))]
    for quiet in (D(2026, 12, 28), D(2026, 12, 31), D(2027, 1, 2)):
        assert due_reminders([c], quiet, calendar, policy_for) == []


def test_weekend_then_monday_sends_the_latest_missed_point_only(calendar, policy_for):
    # due Monday 15/2/2027; the "1 working day before" point is Friday 12/2, missed (the sweep was down).
    last5 = calendar.add_working_days(D(2027, 2, 15), -5)
    c = cand(due=D(2027, 2, 15), last_as=last5, last_psy=last5)
    assert due_reminders([c], D(2027, 2, 13), calendar, policy_for) == []
    dues = due_reminders([c], D(2027, 2, 15), calendar, policy_for)
    assert [(d.recipient, [(i.reason, i.point) for i in d.items]) for d in dues] == [
        ("as.1", [("today", D(2027, 2, 15))]), ("psy.1", [("today", D(2027, 2, 15))])]


# ---------------------------------------------------------------------------------------------------------
# catching up, moved dates, finished démarches


def test_catch_up_sends_only_the_latest_point_once(calendar, policy_for):
    today = LATE[10]
    behind = cand(last_as=BEFORE_5, last_psy=BEFORE_5)  # five points were missed
    dues = due_reminders([behind], today, calendar, policy_for)
    digests = [d for d in dues if d.kind == "digest"]
    assert len(digests) == 2 and all(len(d.items) == 1 for d in digests)
    assert (digests[0].items[0].reason, digests[0].items[0].point, digests[0].items[0].working_days) == (
        "overdue", LATE[10], 10)
    up_to_date = cand(last_as=LATE[10], last_psy=LATE[10], last_escalation=LATE[10])
    assert due_reminders([up_to_date], today, calendar, policy_for) == []
    # between two points: the last one was sent, nothing new
    assert due_reminders([cand(last_as=LATE[10], last_psy=LATE[10], last_escalation=LATE[10])], LATE[12], calendar,
                         policy_for) == []
    # one point behind on escalation only
    dues = due_reminders([cand(last_as=LATE[10], last_psy=LATE[10], last_escalation=LATE[5])], today, calendar, policy_for)
    assert [(d.kind, d.items[0].point) for d in dues] == [("escalation", LATE[10])]


def test_second_run_the_same_day_finds_nothing(calendar, policy_for):
    c = cand(status=Status.ON_HOLD, partner_id="cpas-x")
    log = simulate([c], LATE[1], LATE[1], calendar, policy_for)
    assert {x[1] for x in log} == {"digest", "partner_date"}
    state = dataclasses.replace(c, last_as=LATE[1], last_psy=LATE[1], last_partner=LATE[1])
    assert due_reminders([state], LATE[1], calendar, policy_for) == []


def test_a_due_date_moved_later_brings_new_points(calendar, policy_for):
    # reminded as overdue (day 4) on 16/2; the due date then moves to Wednesday 10/3/2027
    moved = cand(due=D(2027, 3, 10), last_as=LATE[4], last_psy=LATE[4])
    # the new date's first point is 5 working days before it: 3/3
    assert due_reminders([moved], D(2027, 2, 17), calendar, policy_for) == []
    log = simulate([moved], D(2027, 2, 17), D(2027, 3, 15), calendar, policy_for)
    assert sent_days(log, "digest", "as.1") == [D(2027, 3, 3), D(2027, 3, 9), D(2027, 3, 10), D(2027, 3, 11)]
    assert [x[4] for x in log if x[2] == "as.1"] == ["soon", "soon", "today", "overdue"]
    assert sent_days(log, "escalation") == []  # no longer overdue for 5 days


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CANCELLED, Status.FAILED])
def test_finished_demarches_never_remind(calendar, policy_for, status):
    c = cand(status=status, partner_id="cpas-x")
    assert simulate([c], D(2027, 1, 18), D(2027, 4, 30), calendar, policy_for) == []


@pytest.mark.parametrize("status", [Status.PLANNED, Status.IN_PROGRESS, Status.ON_HOLD])
def test_open_statuses_remind(calendar, policy_for, status):
    assert due_reminders([cand(status=status)], DUE, calendar, policy_for)


# ---------------------------------------------------------------------------------------------------------
# partners


def test_partner_reminders_for_on_hold_demarches_with_a_partner(calendar, policy_for):
    c = cand(status=Status.ON_HOLD, partner_id="cpas-x")
    log = simulate([c], D(2027, 1, 18), D(2027, 3, 5), calendar, policy_for)
    # 3 working days before and the due day; once the date is past, the partner is not reminded of it
    assert sent_days(log, "partner", "cpas-x") == [BEFORE_3, DUE]
    assert [(x[4], x[5]) for x in log if x[1] == "partner"] == [("soon", 3), ("today", 0)]
    # the partner's later points (overdue day 1, then every 5 working days) ask the binôme for a new date
    for worker in ("as.1", "psy.1"):  # the démarche is the binôme's
        assert sent_days(log, "partner_date", worker) == [LATE[1], LATE[6], LATE[11], LATE[16]]
    assert [(x[4], x[5]) for x in log if x[1] == "partner_date" and x[2] == "as.1"] == [
        ("overdue", 1), ("overdue", 6), ("overdue", 11), ("overdue", 16)]
    # the binôme is still reminded as for any open démarche
    assert sent_days(log, "digest", "as.1") == [BEFORE_5, BEFORE_1, DUE, LATE[1], LATE[4], LATE[7], LATE[10],
                                                LATE[13], LATE[16]]


@pytest.mark.parametrize("kw", [
    {"status": Status.ON_HOLD, "partner_id": None},  # waiting, but on no named partner
    {"status": Status.PLANNED, "partner_id": "cpas-x"},
    {"status": Status.IN_PROGRESS, "partner_id": "cpas-x"},
])
def test_no_partner_reminder_unless_on_hold_with_a_partner(calendar, policy_for, kw):
    log = simulate([cand(**kw)], D(2027, 1, 18), D(2027, 3, 5), calendar, policy_for)
    assert sent_days(log, "partner") == []
    assert sent_days(log, "digest")  # the binôme still is


def test_partner_reminders_can_be_disabled_per_template(calendar, default_policy):
    off = default_policy.merged({"partner": {"enabled": False}})
    c = cand(status=Status.ON_HOLD, partner_id="cpas-x", key="quiet_one")
    log = simulate([c], D(2027, 1, 18), D(2027, 3, 5), calendar,
                   lambda k: off if k == "quiet_one" else default_policy)
    assert sent_days(log, "partner") == [] and sent_days(log, "digest")


def test_a_partner_date_is_past_from_the_day_after_it():
    today = D(2027, 3, 10)
    assert partner_date_passed(D(2027, 3, 9), today)
    assert partner_date_passed(D(2026, 8, 11), today)
    assert not partner_date_passed(today, today)  # « souhaité pour aujourd'hui » still goes to the partner
    assert not partner_date_passed(D(2027, 3, 11), today)


@pytest.mark.parametrize("responsible, workers", [
    (Responsible.AS, [("as.1", "as")]), (Responsible.PSY, [("psy.1", "psy")]),
    (Responsible.BIN, [("as.1", "as"), ("psy.1", "psy")]),
    (Responsible.PARTNER, [("as.1", "as"), ("psy.1", "psy")])])
def test_a_past_partner_date_asks_the_responsible_worker_for_a_new_one(calendar, policy_for, responsible,
                                                                        workers):
    c = cand(status=Status.ON_HOLD, partner_id="cpas-x", responsible=responsible)
    dues = [d for d in due_reminders([c], LATE[1], calendar, policy_for) if d.kind.startswith("partner")]
    assert [(d.kind, d.recipient, d.role) for d in dues] == [("partner_date", w, r) for w, r in workers]
    # the point is the partner's: spent once, for both workers, so neither is asked twice for it
    assert sent_points(dues) == {"partner": {c.demarche_id: LATE[1]}}
    again = dataclasses.replace(c, last_as=LATE[1], last_psy=LATE[1], last_partner=LATE[1])
    assert [d for d in due_reminders([again], LATE[1], calendar, policy_for) if d.kind.startswith("partner")] == []


def test_a_new_date_brings_the_partner_reminders_back(calendar, policy_for):
    # asked for a new date on overdue day 1 and 6; on 1/3/2027 the binôme pins 10/3/2027 agreed with the partner
    c = cand(status=Status.ON_HOLD, partner_id="cpas-x", due=D(2027, 3, 10), last_partner=LATE[6],
             last_as=LATE[6], last_psy=LATE[6])
    log = simulate([c], D(2027, 3, 1), D(2027, 3, 12), calendar, policy_for)
    assert sent_days(log, "partner", "cpas-x") == [D(2027, 3, 5), D(2027, 3, 10)]  # 3 days before, due day
    assert sent_days(log, "partner_date") == [D(2027, 3, 11)]  # past again: the binôme, not the partner


def test_one_partner_message_per_person_groups_its_demarches(calendar, policy_for):
    # a partner's message is about one person (issue 12: its reply links, its consent): two démarches of REF-1
    # waiting on cpas-x make one message, REF-2's another
    cs = [cand(1, status=Status.ON_HOLD, partner_id="cpas-x"),
          cand(4, status=Status.ON_HOLD, partner_id="cpas-x", person_id=1, person_ref="REF-1", key="domicile_fix"),
          cand(2, status=Status.ON_HOLD, partner_id="cpas-x", as_id="as.2", psy_id="psy.2"),
          cand(3, status=Status.ON_HOLD, partner_id="ma-y")]
    partner = [d for d in due_reminders(cs, DUE, calendar, policy_for) if d.kind == "partner"]
    assert [(d.recipient, [(i.candidate.person_ref, i.candidate.key) for i in d.items]) for d in partner] == [
        ("cpas-x", [("REF-1", "domicile_fix"), ("REF-1", "intake_fiche")]), ("cpas-x", [("REF-2", "intake_fiche")]),
        ("ma-y", [("REF-3", "intake_fiche")])]


# ---------------------------------------------------------------------------------------------------------
# one digest per recipient


def test_one_digest_per_recipient_grouping_several_persons(calendar, policy_for):
    today = DUE
    cs = [cand(1, as_id="as.1", psy_id="psy.1", due=today),  # due today
          cand(2, as_id="as.1", psy_id="psy.2", due=D(2027, 2, 5)),  # 3 working days late: point on day 1
          cand(3, as_id="as.2", psy_id="psy.1", due=calendar.add_working_days(today, 5)),  # soon (5)
          cand(4, as_id="as.1", psy_id="psy.2", due=calendar.add_working_days(today, 1), key="other",
               responsible=Responsible.PSY)]  # soon (1), psy only
    dues = due_reminders(cs, today, calendar, policy_for)
    digests = {(d.recipient, d.role): d for d in dues if d.kind == "digest"}
    assert set(digests) == {("as.1", "as"), ("psy.1", "psy"), ("psy.2", "psy"), ("as.2", "as")}
    assert len(dues) == len({(d.kind, d.recipient) for d in dues})  # never two for one recipient and kind
    as1 = digests[("as.1", "as")]
    # sorted: overdue first, then today, then soon
    assert [(i.candidate.person_ref, i.reason) for i in as1.items] == [("REF-2", "overdue"), ("REF-1", "today")]
    assert [(i.candidate.person_ref, i.reason) for i in digests[("psy.1", "psy")].items] == [
        ("REF-1", "today"), ("REF-3", "soon")]
    assert [(i.candidate.person_ref, i.candidate.key) for i in digests[("psy.2", "psy")].items] == [
        ("REF-2", "intake_fiche"), ("REF-4", "other")]
    # sent_points keeps one point per démarche and audience
    # (each member of the binôme has their own record: démarche 4 is the psychologue's alone)
    pts = sent_points(dues)
    expected = {1: DUE, 2: calendar.add_working_days(D(2027, 2, 5), 1), 3: today, 4: today}
    assert pts["psy"] == expected
    assert pts["as"] == {k: v for k, v in expected.items() if k != 4}


def test_escalations_one_per_organisation(calendar, policy_for):
    cs = [cand(1, organisation="org-a"), cand(2, organisation="org-a", as_id="as.9"),
          cand(3, organisation="org-b")]
    esc = [d for d in due_reminders(cs, LATE[5], calendar, policy_for) if d.kind == "escalation"]
    assert [(d.recipient, d.role, [i.candidate.person_ref for i in d.items]) for d in esc] == [
        ("org-a", "coordinator", ["REF-1", "REF-2"]), ("org-b", "coordinator", ["REF-3"])]


def test_result_shape(calendar, policy_for):
    dues = due_reminders([cand(status=Status.ON_HOLD, partner_id="p")], LATE[10], calendar, policy_for)
    assert all(isinstance(d, Due) for d in dues)
    assert [d.kind for d in dues] == sorted(d.kind for d in dues)


# ---------------------------------------------------------------------------------------------------------
# decided in parts (the sweep feeds the engine as PostgreSQL streams the candidates), per organisation


def mixed_candidates() -> list[Candidate]:
    """Every route at once: due dates before, on and after the day, the three responsibles, sent points,
    démarches on hold with a partner or applications, finished ones, two organisations."""
    out = []
    dues = [BEFORE_5, BEFORE_1, DUE, LATE[1], LATE[3], LATE[6], LATE[12], D(2027, 1, 20), D(2027, 3, 10)]
    responsibles = [Responsible.AS, Responsible.PSY, Responsible.BIN, Responsible.PARTNER]
    statuses = [Status.PLANNED, Status.IN_PROGRESS, Status.ON_HOLD, Status.ON_HOLD, Status.COMPLETED]
    for n in range(120):
        kw = dict(organisation=("org-a", "org-b")[n % 2], due=dues[n % len(dues)],
                  responsible=responsibles[n % len(responsibles)], status=statuses[n % len(statuses)],
                  person_id=n // 3, person_ref=f"REF-{n // 3:03d}", key=("intake_fiche", "id_card")[n % 2],
                  as_id=f"as.{n % 4}", psy_id=f"psy.{n % 3}")
        if n % 5 in (2, 3):
            kw["partner_id"] = "cpas-x"
        if n % 10 == 3:
            kw["applications"] = (("ma-1", 100 + n), ("ma-0", 200 + n))
        if n % 7 == 0:
            kw["last_as"] = kw["last_psy"] = BEFORE_3
        if n % 11 == 0:
            kw["last_escalation"] = LATE[5]
        out.append(cand(n, **kw))
    return out


@pytest.mark.parametrize("size", [1, 7, 50, 120])
def test_deciding_in_parts_gives_what_deciding_at_once_gives(calendar, policy_for, size):
    cands = mixed_candidates()
    whole = due_reminders(cands, LATE[6], calendar, policy_for, allowed=lambda c, p: c.person_id % 2 == 0)
    assert {d.kind for d in whole} == {"digest", "escalation", "partner", "partner_date", "consent"}
    decider = Decider(LATE[6], calendar, policy_for)
    for i in range(0, len(cands), size):
        decider.add(cands[i:i + size])
    assert decider.dues(allowed=lambda c, p: c.person_id % 2 == 0) == whole


def test_the_gate_is_asked_once_about_the_persons_with_a_partner_point(calendar, policy_for):
    cands = mixed_candidates()
    asked = []

    def gate(persons: set[int]):
        asked.append(persons)
        return lambda c, p: c.person_id % 2 == 0

    decider = Decider(LATE[6], lambda org: calendar, policy_for)
    decider.add(cands)
    dues = decider.dues(gate=gate)
    on_hold = {c.person_id for c in cands if c.status is Status.ON_HOLD and (c.partner_id or c.applications)}
    told = {i.candidate.person_id for d in dues if d.kind in ("partner", "partner_date", "consent") for i in d.items}
    assert len(asked) == 1 and told <= asked[0] <= on_hold
    assert any(d.kind == "consent" for d in dues)  # the gate's answer is the one applied
    # no partner point today: the gate is not asked
    quiet = Decider(LATE[6], calendar, policy_for)
    quiet.add([cand(1)])
    assert quiet.dues(gate=gate) and len(asked) == 1


def test_each_organisation_is_decided_by_its_own_calendar(calendar, policy_for):
    """closures.yaml `organisations:`: a day one organisation closes sends nothing of it, the others' go."""
    closed = WorkingCalendar(closures={**calendar._closures, LATE[1]: "Teamdag"}, recurring=calendar._recurring)
    cands = [cand(1, organisation="org-b", as_id="as.b", psy_id="psy.b"), cand(2, organisation="org-a")]
    decider = Decider(LATE[1], lambda org: closed if org == "org-b" else calendar, policy_for)
    decider.add(cands)
    assert [(d.kind, d.recipient) for d in decider.dues()] == [("digest", "as.1"), ("digest", "psy.1")]
    # the next working day of org-b sends its point; the dues come organisation after organisation, in the
    # order their first candidates came
    decider = Decider(LATE[2], lambda org: closed if org == "org-b" else calendar, policy_for)
    decider.add(cands)
    assert [(d.recipient, d.items[0].candidate.organisation) for d in decider.dues()] == [
        ("as.b", "org-b"), ("psy.b", "org-b"), ("as.1", "org-a"), ("psy.1", "org-a")]
    # one calendar for all: one group, as due_reminders
    one = Decider(LATE[1], calendar, policy_for)
    one.add(cands)
    assert one.dues() == due_reminders(cands, LATE[1], calendar, policy_for)


# ---------------------------------------------------------------------------------------------------------
# policies


def test_policy_override_per_template(calendar, default_policy):
    special = default_policy.merged({"before_due": [10, 2], "overdue_every": 2, "escalate_after": 3})
    assert special.before_due == (10, 2) and special.overdue_every == 2 and special.escalate_after == 3
    assert special.partner == default_policy.partner and special.on_due_day is True
    policies = {"special": special}
    cs = [cand(1, key="special"), cand(2, key="plain", as_id="as.2", psy_id="psy.2")]
    log = simulate(cs, D(2027, 1, 18), D(2027, 2, 24), calendar, lambda k: policies.get(k, default_policy))
    assert sent_days(log, "digest", "as.1") == [calendar.add_working_days(DUE, -10), calendar.add_working_days(
        DUE, -2), DUE, LATE[1], LATE[3], LATE[5], LATE[7], LATE[9]]
    assert sent_days(log, "digest", "as.2") == [BEFORE_5, BEFORE_1, DUE, LATE[1], LATE[4], LATE[7], LATE[10]]
    esc = [(x[0], x[3]) for x in log if x[1] == "escalation"]
    assert esc == [(LATE[3], "REF-1"), (LATE[5], "REF-2"), (LATE[8], "REF-1"), (LATE[10], "REF-2")]


def test_override_of_the_partner_policy_keeps_its_other_fields(default_policy):
    p = default_policy.merged({"partner": {"before_due": [7, 2]}})
    assert p.partner.before_due == (7, 2) and p.partner.overdue_every == 5 and p.partner.enabled
    assert p.before_due == default_policy.before_due
    assert default_policy.merged(None) is default_policy and default_policy.merged({}) is default_policy
    # before_due is sorted and deduplicated, largest (earliest point) first
    assert default_policy.merged({"before_due": [1, 5, 5, 3]}).before_due == (5, 3, 1)


def test_no_reminder_on_the_due_day_when_disabled(calendar, default_policy):
    p = default_policy.merged({"on_due_day": False})
    log = simulate([cand()], D(2027, 1, 18), LATE[2], calendar, lambda k: p)
    assert sent_days(log, "digest", "as.1") == [BEFORE_5, BEFORE_1, LATE[1]]


@pytest.mark.parametrize("override, field", [
    ({"before_due": [0]}, "before_due"),
    ({"before_due": [121]}, "before_due"),
    ({"before_due": [-3]}, "before_due"),
    ({"overdue_every": 0}, "overdue_every"),
    ({"overdue_every": 61}, "overdue_every"),
    ({"escalate_after": 0}, "escalate_after"),
    ({"escalation_every": 0}, "escalation_every"),
    ({"escalation_every": "often"}, "escalation_every"),
    ({"every_day": True}, "every_day"),
    ({"partner": {"overdue_every": 0}}, "partner"),
    ({"partner": {"before": [3]}}, "partner"),
    ({"partner": {"before_due": [0]}}, "partner"),
])
def test_invalid_overrides_are_rejected(default_policy, override, field):
    with pytest.raises(ValidationError) as e:
        default_policy.merged(override)
    assert field in str(e.value)


def _config_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", folder)
    return folder


def _override_intake_fiche(folder: Path, yaml_line: str) -> None:
    path = folder / "demarches.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "    responsible: AS  # AS | PSY | BIN | partner\n"
    assert text.count(anchor) == 1
    path.write_text(text.replace(anchor, anchor + f"    reminders: {yaml_line}\n"), encoding="utf-8")


def test_template_override_from_config(tmp_path):
    folder = _config_copy(tmp_path)
    _override_intake_fiche(folder, "{before_due: [10, 5, 1], partner: {overdue_every: 2}}")
    cfg = load_config(folder)
    p = cfg.reminder_policy("intake_fiche")
    assert p.before_due == (10, 5, 1) and p.partner.overdue_every == 2 and p.partner.before_due == (3,)
    assert cfg.reminder_policy("eid_check") == cfg.reminders.default
    assert cfg.reminder_policy("no_such_key") == cfg.reminders.default


def test_invalid_template_override_is_a_config_error(tmp_path):
    folder = _config_copy(tmp_path)
    _override_intake_fiche(folder, "{overdue_every: 0}")
    with pytest.raises(ConfigError) as e:
        load_reminders(folder, load_templates(folder))
    msg = str(e.value)
    assert "demarches.yaml" in msg and "intake_fiche" in msg and "reminders.overdue_every" in msg
    assert "\n" not in msg


def test_invalid_reminders_yaml_is_a_config_error(tmp_path):
    folder = _config_copy(tmp_path)
    path = folder / "reminders.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("overdue_every: 3", "overdue_every: 0", 1),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_reminders(folder)
    assert "reminders.yaml" in str(e.value) and "overdue_every" in str(e.value)


def test_partner_policy_defaults():
    assert PartnerPolicy() == ReminderPolicy().partner
    assert PartnerPolicy(before_due=(1, 3)).before_due == (3, 1)


# ---------------------------------------------------------------------------------------------------------
# delivery backoff


def test_backoff_doubles_and_is_capped():
    p = DeliveryPolicy()
    assert [p.backoff(n) for n in range(1, 10)] == [300, 600, 1200, 2400, 4800, 9600, 19200, 21600, 21600]
    assert p.backoff(0) == 300
    q = DeliveryPolicy(backoff_first_seconds=1, backoff_max_seconds=5)
    assert [q.backoff(n) for n in range(1, 7)] == [1, 2, 4, 5, 5, 5]
    assert DeliveryPolicy(backoff_first_seconds=60, backoff_max_seconds=60).backoff(30) == 60


def test_shipped_delivery_policy(config):
    d = config.reminders.delivery
    assert (d.max_attempts, d.backoff_first_seconds, d.backoff_max_seconds) == (6, 300, 21600)
    assert d.backoff(1) < d.backoff(2) < d.backoff(3)


@pytest.mark.parametrize("field, value", [("max_attempts", 0), ("backoff_first_seconds", 0),
                                          ("backoff_max_seconds", 0), ("timeout_seconds", 0)])
def test_delivery_policy_validated(field, value):
    with pytest.raises(ValidationError):
        DeliveryPolicy(**{field: value})
