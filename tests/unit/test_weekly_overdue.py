"""`overdue_on`, the week-by-week overdue figure of the dashboard, against its definition read literally."""

from __future__ import annotations

import bisect
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from raj_release.services.dashboard import overdue_on

START = dt.date(2026, 9, 7)  # a Monday
DAYS = [START + dt.timedelta(weeks=i) for i in range(12)]
STARTS = [dt.datetime.combine(d, dt.time(0), dt.UTC) for d in DAYS]

dates = st.dates(min_value=START - dt.timedelta(days=60), max_value=DAYS[-1] + dt.timedelta(days=10))
moments = st.datetimes(min_value=dt.datetime(2026, 7, 1), max_value=dt.datetime(2026, 12, 31),
                       timezones=st.just(dt.UTC))
items = st.lists(st.tuples(dates, st.none() | moments), max_size=60)


def literally(items):
    """Overdue as a day begins: due before it, and still open or finished at or after that moment."""
    return [sum(1 for due, finished in items if due < day and (finished is None or finished >= start))
            for day, start in zip(DAYS, STARTS, strict=True)]


def spans(items):
    """As the dashboard's query gives them: `until` = how many days began before it was finished."""
    return [(due, len(DAYS) if finished is None else bisect.bisect_right(STARTS, finished), 1)
            for due, finished in items]


@given(items)
def test_counts_match_the_definition(items):
    assert overdue_on(DAYS, spans(items)) == literally(items)


@given(items, st.integers(min_value=1, max_value=5))
def test_grouped_spans_count_n_times(items, n):
    assert overdue_on(DAYS, [(due, until, n) for due, until, _ in spans(items)]) == [n * c for c in literally(items)]


def test_edges():
    monday = DAYS[3]
    # due on the Monday itself: not yet overdue that day, overdue the next Monday
    assert overdue_on(DAYS, spans([(monday, None)]))[3:5] == [0, 1]
    # finished exactly as the Monday began still counts that Monday; a second earlier it does not
    assert overdue_on(DAYS, spans([(DAYS[0], STARTS[3])]))[3] == 1
    assert overdue_on(DAYS, spans([(DAYS[0], STARTS[3] - dt.timedelta(seconds=1))]))[3] == 0
    assert overdue_on(DAYS, []) == [0] * len(DAYS)
