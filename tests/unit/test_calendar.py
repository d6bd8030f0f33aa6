"""WorkingCalendar: which days a Brussels service works, and working-day arithmetic over them.

`calendar` (tests/conftest.py) is the repo's config/ calendar: Belgian public holidays, 8 May, the recurring
closures of config/closures.yaml (27 Sept, 26 Dec) and the dated closures 28-31 Dec 2026.
`bare` is a WorkingCalendar() without any service closure (holidays and 8 May only).
"""

from __future__ import annotations

import datetime as dt

import pytest

from raj_release.errors import ConfigError
from raj_release.planning.calendar import WorkingCalendar

D = dt.date

# shared/STACK_NOTES.md §6: the Belgian public holidays (the `holidays` package's BE list, checked by hand)
HOLIDAYS_2026 = {
    D(2026, 1, 1): "New Year",
    D(2026, 4, 6): "Easter Monday",
    D(2026, 5, 1): "Labour Day",
    D(2026, 5, 14): "Ascension",
    D(2026, 5, 25): "Whit Monday",
    D(2026, 7, 21): "National Day",
    D(2026, 8, 15): "Assumption",
    D(2026, 11, 1): "All Saints",
    D(2026, 11, 11): "Armistice",
    D(2026, 12, 25): "Christmas",
}
HOLIDAYS_2027 = {
    D(2027, 1, 1): "New Year",
    D(2027, 3, 29): "Easter Monday",
    D(2027, 5, 1): "Labour Day",
    D(2027, 5, 6): "Ascension",
    D(2027, 5, 17): "Whit Monday",
    D(2027, 7, 21): "National Day",
    D(2027, 8, 15): "Assumption",
    D(2027, 11, 1): "All Saints",
    D(2027, 11, 11): "Armistice",
    D(2027, 12, 25): "Christmas",
}
ALL_HOLIDAYS = {**HOLIDAYS_2026, **HOLIDAYS_2027}
SERVICE_CLOSURES_2026 = [D(2026, 12, 28), D(2026, 12, 29), D(2026, 12, 30), D(2026, 12, 31)]


@pytest.fixture(scope="module")
def bare() -> WorkingCalendar:
    return WorkingCalendar()


def days(start: dt.date, end: dt.date):
    d = start
    while d <= end:
        yield d
        d += dt.timedelta(days=1)


def brute_count(cal: WorkingCalendar, a: dt.date, b: dt.date) -> int:
    """Worked days in (a, b], one day at a time: the reference for working_days_between."""
    if b < a:
        return -brute_count(cal, b, a)
    return sum(cal.is_working_day(d) for d in days(a + dt.timedelta(days=1), b))


def brute_add(cal: WorkingCalendar, d: dt.date, n: int) -> dt.date:
    """The n-th working day after (n > 0) or before (n < 0) d, walking one day at a time."""
    step = dt.timedelta(days=1 if n > 0 else -1)
    left = abs(n)
    while left:
        d += step
        if cal.is_working_day(d):
            left -= 1
    return d


# -- which days are worked ----------------------------------------------------------------------------------
def test_weekends_are_not_worked_and_weekdays_are(bare):
    # a plain week of 2026 with no holiday: Mon 2 Mar .. Sun 8 Mar
    week = list(days(D(2026, 3, 2), D(2026, 3, 8)))
    assert [bare.is_working_day(d) for d in week] == [True] * 5 + [False, False]
    assert bare.closure_name(D(2026, 3, 7)) == "week-end"
    assert bare.closure_name(D(2026, 3, 8)) == "week-end"
    assert bare.closure_name(D(2026, 3, 4)) is None


@pytest.mark.parametrize("day", sorted(ALL_HOLIDAYS), ids=lambda d: f"{d}-{ALL_HOLIDAYS[d]}")
def test_every_belgian_public_holiday_of_2026_and_2027_is_not_worked(day, bare, calendar):
    assert not bare.is_working_day(day)
    assert not calendar.is_working_day(day)
    # named as a holiday (by the holidays package, in French), never as a mere week-end
    name = calendar.closure_name(day)
    assert name and name != "week-end"
    assert bare.closure_name(day) == name


def test_holiday_names_are_the_french_ones(calendar):
    assert calendar.closure_name(D(2026, 7, 21)) == "Fête nationale"
    assert calendar.closure_name(D(2026, 12, 25)) == "Noël"
    assert calendar.closure_name(D(2027, 3, 29)) == "Lundi de Pâques"


def test_no_other_weekday_of_2026_is_closed_in_the_bare_calendar(bare):
    """Holidays are exactly the table's weekdays plus 8 May: no Good Friday, no 26 Dec (bank holidays)."""
    closed = {d for d in days(D(2026, 1, 1), D(2026, 12, 31)) if d.weekday() < 5 and not bare.is_working_day(d)}
    expected = {d for d in HOLIDAYS_2026 if d.weekday() < 5} | {D(2026, 5, 8)}
    assert closed == expected
    assert bare.is_working_day(D(2026, 4, 3))  # Good Friday: a bank holiday only
    assert bare.is_working_day(D(2027, 12, 27))  # Monday after Christmas 2027


@pytest.mark.parametrize("year", [2026, 2027, 2031])
def test_8_may_brussels_regional_holiday_is_not_worked(year, bare, calendar):
    may8 = D(year, 5, 8)
    assert not bare.is_working_day(may8)
    assert not calendar.is_working_day(may8)
    assert "8 mai" in calendar.closure_name(may8)
    # 2026-05-08 is a Friday: its neighbours are worked
    if year == 2026:
        assert bare.is_working_day(D(2026, 5, 7))
        assert bare.previous_working_day(may8) == D(2026, 5, 7)
        assert bare.next_working_day(may8) == D(2026, 5, 11)


def test_recurring_closure_27_september_is_not_worked(calendar, bare):
    # 27 Sept 2027 is a Monday (in 2026 it is a Sunday anyway)
    d = D(2027, 9, 27)
    assert d.weekday() == 0
    assert not calendar.is_working_day(d)
    assert "Fédération Wallonie-Bruxelles" in calendar.closure_name(d)
    assert bare.is_working_day(d)  # a service closure, not a public holiday
    # every year, including far ones
    assert not calendar.is_working_day(D(2028, 9, 27))  # a Wednesday
    assert calendar.previous_working_day(d) == D(2027, 9, 24)


def test_other_recurring_closures_of_the_config(calendar, bare):
    assert not calendar.is_working_day(D(2028, 12, 26))  # Tuesday: 26 Dec
    assert bare.is_working_day(D(2028, 12, 26))
    # 11 July and 15 November close Flemish and federal bodies, not a COCOF service (DOMAIN.md §8.6)
    assert calendar.is_working_day(D(2027, 11, 15)) and calendar.is_working_day(D(2028, 7, 11))


def test_closures_belong_to_an_organisation(tmp_path):
    from raj_release.config import load_calendars

    (tmp_path / "closures.yaml").write_text(
        "version: 1\nrecurring:\n  - {month: 9, day: 27, name: COCOF}\norganisations:\n  vlaamse-dienst:\n"
        "    recurring:\n      - {month: 7, day: 11, name: Vlaamse Gemeenschap}\n"
        "    closures:\n      - {date: 2028-03-03, name: Teamdag}\n")
    shared, own = load_calendars(tmp_path)
    flemish = own["vlaamse-dienst"]
    assert shared.is_working_day(D(2028, 7, 11)) and not flemish.is_working_day(D(2028, 7, 11))
    assert shared.is_working_day(D(2028, 3, 3)) and not flemish.is_working_day(D(2028, 3, 3))
    assert not flemish.is_working_day(D(2028, 9, 27))  # the shared closures hold for it too
    (tmp_path / "closures.yaml").write_text("version: 1\norganisations:\n  x: {recurring: [{month: 2, day: 30, "
                                            "name: y}]}\n")
    with pytest.raises(ConfigError, match="organisations, 'x', recurring entry 1, field day"):
        load_calendars(tmp_path)


@pytest.mark.parametrize("day", SERVICE_CLOSURES_2026)
def test_dated_service_closures_are_not_worked(day, calendar, bare):
    assert not calendar.is_working_day(day)
    assert calendar.closure_name(day) == "Fermeture du service entre Noël et Nouvel An"
    assert bare.is_working_day(day)
    # the closure is dated: the same days of 2027 are worked (Tue 28 .. Fri 31 Dec 2027)
    assert calendar.is_working_day(day.replace(year=2027))


def test_end_of_2026_with_service_closures(calendar):
    # 24 Dec (Thu) is the last worked day of 2026; 4 Jan 2027 the first of 2027
    assert calendar.next_working_day(D(2026, 12, 25)) == D(2027, 1, 4)
    assert calendar.previous_working_day(D(2027, 1, 3)) == D(2026, 12, 24)
    assert calendar.add_working_days(D(2026, 12, 24), 1) == D(2027, 1, 4)
    assert calendar.add_working_days(D(2027, 1, 4), -1) == D(2026, 12, 24)
    assert calendar.working_days_between(D(2026, 12, 24), D(2027, 1, 4)) == 1


def test_closures_given_directly():
    cal = WorkingCalendar(closures={D(2026, 3, 4): "Journée d'équipe"}, recurring=[(2, 29, "Bissextile")])
    assert not cal.is_working_day(D(2026, 3, 4))
    assert cal.closure_name(D(2026, 3, 4)) == "Journée d'équipe"
    assert not cal.is_working_day(D(2028, 2, 29))  # a Tuesday of a leap year
    assert cal.is_working_day(D(2027, 3, 1))  # 29 Feb does not exist in 2027: nothing moves to 1 March
    assert cal.closure_name(D(2028, 2, 29)) == "Bissextile"


def test_a_closure_on_a_holiday_keeps_the_holiday_name():
    cal = WorkingCalendar(closures={D(2026, 7, 21): "Fermeture"})
    assert cal.closure_name(D(2026, 7, 21)) == "Fête nationale"


# -- working-day arithmetic ------------------------------------------------------------------------------
def test_10_working_days_before_christmas_eve_2026_without_service_closures(bare):
    # shared/STACK_NOTES.md §6
    assert bare.add_working_days(D(2026, 12, 24), -10) == D(2026, 12, 10)


def test_10_working_days_before_8_january_2027_with_and_without_closures(bare, calendar):
    # bare: 7, 6, 5, 4 Jan, (1 Jan), 31, 30, 29, 28, (25-27), 24, 23 Dec
    assert bare.add_working_days(D(2027, 1, 8), -10) == D(2026, 12, 23)
    # with the closures 28-31 Dec: 7, 6, 5, 4 Jan, 24, 23, 22, 21, 18, 17 Dec
    assert calendar.add_working_days(D(2027, 1, 8), -10) == D(2026, 12, 17)


def test_add_working_days_forward_from_a_worked_day(bare, calendar):
    assert bare.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 9)  # Fri -> Mon
    assert bare.add_working_days(D(2026, 4, 2), 2) == D(2026, 4, 7)  # Thu -> Fri, (Easter Mon) -> Tue
    assert bare.add_working_days(D(2026, 5, 7), 1) == D(2026, 5, 11)  # over 8 May and the week-end
    assert calendar.add_working_days(D(2026, 12, 18), 5) == D(2027, 1, 4)


def test_add_working_days_backward_from_a_worked_day(bare):
    assert bare.add_working_days(D(2026, 3, 9), -1) == D(2026, 3, 6)  # Mon -> Fri
    assert bare.add_working_days(D(2026, 5, 26), -1) == D(2026, 5, 22)  # over Whit Monday
    assert bare.add_working_days(D(2026, 5, 15), -1) == D(2026, 5, 13)  # over Ascension


def test_add_working_days_from_a_day_that_is_not_worked(bare, calendar):
    sat = D(2026, 3, 7)
    assert bare.add_working_days(sat, 1) == D(2026, 3, 9)  # the first working day after Saturday
    assert bare.add_working_days(sat, -1) == D(2026, 3, 6)  # the first working day before it
    assert bare.add_working_days(sat, 2) == D(2026, 3, 10)
    assert bare.add_working_days(sat, -2) == D(2026, 3, 5)
    # from a holiday (Armistice 2026, a Wednesday)
    assert bare.add_working_days(D(2026, 11, 11), 1) == D(2026, 11, 12)
    assert bare.add_working_days(D(2026, 11, 11), -1) == D(2026, 11, 10)
    # from inside the service closure
    assert calendar.add_working_days(D(2026, 12, 30), 1) == D(2027, 1, 4)
    assert calendar.add_working_days(D(2026, 12, 30), -1) == D(2026, 12, 24)


def test_add_zero_working_days(bare):
    assert bare.add_working_days(D(2026, 3, 4), 0) == D(2026, 3, 4)
    assert bare.add_working_days(D(2026, 3, 8), 0) == D(2026, 3, 6)  # Sunday -> the previous working day


@pytest.mark.parametrize("start", [D(2026, 3, 4), D(2026, 3, 7), D(2026, 12, 26), D(2027, 5, 6), D(2026, 12, 29)])
@pytest.mark.parametrize("n", [-300, -61, -7, -1, 1, 5, 23, 250])
def test_add_working_days_matches_a_day_by_day_walk(start, n, calendar):
    assert calendar.add_working_days(start, n) == brute_add(calendar, start, n)


def test_add_then_subtract_is_identity_on_worked_days(calendar):
    for d in days(D(2026, 11, 1), D(2027, 1, 31)):
        if calendar.is_working_day(d):
            for n in (1, 3, 10, 40):
                assert calendar.add_working_days(calendar.add_working_days(d, n), -n) == d


def test_working_days_between(bare, calendar):
    assert bare.working_days_between(D(2026, 3, 6), D(2026, 3, 9)) == 1  # Fri -> Mon
    assert bare.working_days_between(D(2026, 3, 9), D(2026, 3, 6)) == -1
    assert bare.working_days_between(D(2026, 3, 4), D(2026, 3, 4)) == 0
    assert bare.working_days_between(D(2026, 12, 10), D(2026, 12, 24)) == 10
    # a week with Easter Monday: 4 working days from Sunday to Sunday
    assert bare.working_days_between(D(2026, 4, 5), D(2026, 4, 12)) == 4
    # counting (a, b]: a non-worked end does not count
    assert bare.working_days_between(D(2026, 3, 6), D(2026, 3, 8)) == 0
    # the year 2027 with the service's closures: 365 days, 104 week-end days, 7 holidays on weekdays
    # (1/1, 29/3, 6/5, 17/5, 21/7, 1/11, 11/11), 8 May is a Saturday; closures: 27/9 Mon, 26/12 Sun -> 1 more
    assert calendar.working_days_between(D(2026, 12, 31), D(2027, 12, 31)) == 365 - 104 - 7 - 1
    assert calendar.working_days_between(D(2026, 12, 20), D(2027, 1, 10)) == brute_count(
        calendar, D(2026, 12, 20), D(2027, 1, 10))


def test_working_days_between_inverts_add_working_days(calendar):
    d = D(2026, 10, 5)
    for n in (-120, -15, -1, 0, 1, 17, 200):
        assert calendar.working_days_between(d, calendar.add_working_days(d, n)) == n


def test_previous_and_next_working_day(bare, calendar):
    assert bare.previous_working_day(D(2026, 3, 4)) == D(2026, 3, 4)  # a worked day is itself
    assert bare.next_working_day(D(2026, 3, 4)) == D(2026, 3, 4)
    assert bare.previous_working_day(D(2026, 3, 8)) == D(2026, 3, 6)
    assert bare.next_working_day(D(2026, 3, 7)) == D(2026, 3, 9)
    assert bare.previous_working_day(D(2026, 4, 6)) == D(2026, 4, 3)  # Easter Monday -> Good Friday (worked)
    assert bare.next_working_day(D(2026, 5, 23)) == D(2026, 5, 26)  # Sat, Sun, Whit Monday -> Tue
    assert bare.previous_working_day(D(2026, 12, 27)) == D(2026, 12, 24)
    assert bare.next_working_day(D(2026, 12, 25)) == D(2026, 12, 28)
    assert calendar.next_working_day(D(2026, 12, 25)) == D(2027, 1, 4)


def test_closure_name(calendar):
    assert calendar.closure_name(D(2026, 11, 11)) == "Jour de l'Armistice"
    assert calendar.closure_name(D(2026, 11, 1)) == "Toussaint"  # a Sunday: the holiday's name wins
    assert calendar.closure_name(D(2026, 12, 29)) == "Fermeture du service entre Noël et Nouvel An"
    assert calendar.closure_name(D(2026, 11, 7)) == "week-end"
    assert calendar.closure_name(D(2026, 11, 9)) is None
    assert calendar.closure_name(D(2027, 9, 27)) == "Fête de la Fédération Wallonie-Bruxelles (COCOF)"


# -- dates far outside the initial span (2020-2035): the span grows on demand --------------------------------
def test_far_future_dates():
    cal = WorkingCalendar()
    assert not cal.is_working_day(D(2080, 12, 25))  # Christmas 2080, a Wednesday
    assert not cal.is_working_day(D(2080, 5, 8))  # 8 May 2080, a Wednesday
    assert cal.is_working_day(D(2080, 7, 22))  # a Monday
    assert cal.closure_name(D(2080, 7, 21)) == "Fête nationale"  # a Sunday: the holiday's name wins
    assert cal.next_working_day(D(2080, 12, 25)) == D(2080, 12, 26)  # no 26 Dec in the bare calendar
    ref = WorkingCalendar(years=(2075, 2085))
    for d in days(D(2080, 7, 1), D(2080, 8, 31)):
        assert cal.is_working_day(d) == ref.is_working_day(d)
    assert cal.add_working_days(D(2080, 7, 19), 1) == ref.add_working_days(D(2080, 7, 19), 1)
    assert cal.next_working_day(D(2080, 12, 25)) == ref.next_working_day(D(2080, 12, 25))


def test_far_past_dates():
    cal = WorkingCalendar()
    assert cal.closure_name(D(1995, 12, 25)) == "Noël"
    assert not cal.is_working_day(D(1995, 12, 25))  # a Monday
    assert cal.previous_working_day(D(1995, 12, 25)) == D(1995, 12, 22)
    assert cal.next_working_day(D(1995, 12, 23)) == D(1995, 12, 26)
    assert cal.add_working_days(D(1995, 12, 22), 1) == D(1995, 12, 26)


def test_adding_many_working_days_runs_past_the_span():
    cal = WorkingCalendar()
    ref = WorkingCalendar(years=(1990, 2070))
    start = D(2026, 3, 4)
    for n in (3000, 8000, -3000, -8000):
        assert cal.add_working_days(start, n) == ref.add_working_days(start, n)
    # and the calendar still answers in its original span afterwards
    assert cal.add_working_days(D(2026, 12, 24), -10) == D(2026, 12, 10)


def test_working_days_between_far_future_grows_the_span():
    cal = WorkingCalendar()
    ref = WorkingCalendar(years=(2020, 2060))
    a, b = D(2026, 6, 1), D(2050, 1, 3)
    assert cal.working_days_between(a, b) == ref.working_days_between(a, b)


def test_working_days_between_after_the_span_has_grown():
    """Once both ends are inside the (grown) span the count is right."""
    cal = WorkingCalendar()
    a, b = D(1990, 1, 1), D(2026, 6, 1)
    cal.is_working_day(a)  # grows the span to cover 1990 first
    ref = WorkingCalendar(years=(1985, 2035))
    assert cal.working_days_between(a, b) == ref.working_days_between(a, b)
    assert ref.working_days_between(D(1990, 1, 1), D(1990, 3, 1)) == brute_count(ref, D(1990, 1, 1), D(1990, 3, 1))


@pytest.mark.parametrize(("a", "b"), [
    (D(2021, 1, 4), D(2021, 3, 1)),  # 40 working days; a fresh calendar says -211
    (D(1990, 1, 1), D(2026, 6, 1)),  # 9182; a fresh calendar says 1112
    (D(2026, 6, 1), D(1990, 1, 1)),  # and the other way round
])
def test_working_days_between_a_date_before_the_span_on_a_fresh_calendar(a, b):
    ref = WorkingCalendar(years=(1985, 2035))
    expected = brute_count(ref, a, b) if abs((b - a).days) < 100 else ref.working_days_between(a, b)
    assert WorkingCalendar().working_days_between(a, b) == expected
