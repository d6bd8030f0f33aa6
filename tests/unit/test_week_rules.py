"""The pure rules my week shares with the digest, and the week form's reading of its buttons.

- `reminders.engine.section` files a démarche under overdue / today / soon; the digest's engine decides the same
  on ordinals: on every working day, every line it sends is in the section `section` names (Hypothesis).
- `web.pages.week.parse_change` reads what the page's one form sends, and refuses anything else in one line.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raj_release.domain.enums import Responsible, Status
from raj_release.reminders.engine import Candidate, due_reminders, section
from raj_release.web.pages.week import Change, WeekFormError, parse_change

D = dt.date


def test_section_is_overdue_after_the_due_day_today_on_it_soon_before():
    today = D(2026, 11, 23)
    assert section(D(2026, 11, 20), today) == "overdue"
    assert section(D(2026, 11, 22), today) == "overdue"  # a Sunday's démarche is late on Monday
    assert section(today, today) == "today"
    assert section(D(2026, 11, 24), today) == "soon"


@settings(max_examples=200, deadline=None)
@given(today=st.dates(D(2026, 11, 1), D(2027, 12, 31)), offsets=st.lists(st.integers(-60, 12), min_size=1,
                                                                          max_size=8, unique=True),
       on_hold=st.booleans())
def test_the_digest_files_each_line_where_section_says(config, today, offsets, on_hold):
    """Whatever the day and the due dates (holidays, closures and weekends included): a line of a digest sent
    that day is in `section(due, today)`; and every démarche overdue that day is in the digest as overdue
    when nothing was sent for it yet (the week's overdue set is the digest's)."""
    cal = config.calendar
    policy = config.reminders.default
    cands = [Candidate(i, i, f"R-{i}", "org", "intake_fiche", today + dt.timedelta(days=off),
                       Status.ON_HOLD if on_hold else Status.PLANNED, Responsible.BIN, "as.1", "psy.1",
                       "cpas-demo" if on_hold else None)
             for i, off in enumerate(offsets)]
    dues = due_reminders(cands, today, cal, lambda key: policy)
    digest = [i for d in dues if d.kind == "digest" and d.recipient == "as.1" for i in d.items]
    if not cal.is_working_day(today):
        assert dues == []
        return
    for item in digest:
        assert item.reason == section(item.candidate.due, today)
    overdue = {c.demarche_id for c in cands if section(c.due, today) == "overdue"}
    assert {i.candidate.demarche_id for i in digest if i.reason == "overdue"} == overdue
    for item in digest:
        if item.reason == "overdue":  # the same count of working days as the week and the dashboard show
            assert item.working_days == cal.working_days_between(item.candidate.due, today)


def test_parse_change_reads_done_and_other_buttons():
    assert parse_change({"csrf": "x", "done": "DEMO-02 housing_apply 12"}) == Change(
        "DEMO-02", "housing_apply", 12, "completed")
    form = {"other": "3o AF-2026.014 cure_apply 7", "status-3o": "on-hold", "partner-3o": " cure-demo ",
            "reason-3o": "", "status-1o": "cancelled"}  # another row's fields are sent too, and ignored
    assert parse_change(form) == Change("AF-2026.014", "cure_apply", 7, "on-hold", "cure-demo", None)
    form = {"other": "2w P-1 eid_check 1", "status-2w": "cancelled", "reason-2w": " hébergé par sa sœur "}
    assert parse_change(form) == Change("P-1", "eid_check", 1, "cancelled", None, "hébergé par sa sœur")


@pytest.mark.parametrize("form", [
    {},  # no button
    {"done": "P-1 eid_check 1", "other": "1o P-1 eid_check 1"},  # two buttons
    {"done": "P-1 eid_check"},  # no version
    {"done": "P-1 Eid-Check 1"},  # not a démarche key
    {"done": "P-1 eid_check 1; drop"},
    {"other": "P-1 eid_check 1", "status-1o": "failed"},  # no row number
    {"other": "1o P-1 eid_check 1"},  # no status chosen
    {"other": "1o P-1 eid_check 1", "status-1o": "  "},
])
def test_parse_change_refuses_what_the_page_does_not_send(form):
    with pytest.raises(WeekFormError) as e:
        parse_change(form)
    assert "\n" not in str(e.value) and str(e.value)
