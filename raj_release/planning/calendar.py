"""Belgian working-day calendar for a Brussels service.

A day is worked unless it is a Saturday or Sunday, a Belgian public holiday (the `holidays` package), the
Brussels regional holiday of 8 May (Fête de l'Iris, closed for Brussels regional services), a recurring
closure (e.g. 27 September) or a dated service closure from config/closures.yaml.

The scheduler adds and subtracts working days hundreds of thousands of times a second, so the calendar keeps,
for a span of years, the sorted list of worked days as ordinals and, for every day of the span, the index of
the last worked day on or before it. Every operation is then one or two list look-ups. The span grows on
demand; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import holidays as holidays_lib

IRIS_DAY = (5, 8, "Fête de la Région de Bruxelles-Capitale (8 mai)")


class WorkingCalendar:
    def __init__(
        self,
        closures: Mapping[dt.date, str] | None = None,
        recurring: Iterable[tuple[int, int, str]] = (),
        years: tuple[int, int] = (2020, 2035),
    ) -> None:
        self._closures = dict(closures or {})
        self._recurring = (IRIS_DAY, *tuple(recurring))
        self._names: dict[int, str] = {}
        self._first_year, self._last_year = years
        self._build(*years)

    # -- construction -------------------------------------------------------------------------------------
    def _build(self, first_year: int, last_year: int) -> None:
        be = holidays_lib.country_holidays("BE", years=range(first_year, last_year + 1), language="fr")
        names: dict[int, str] = {d.toordinal(): str(n) for d, n in be.items()}
        for year in range(first_year, last_year + 1):
            for month, day, name in self._recurring:
                try:
                    names.setdefault(dt.date(year, month, day).toordinal(), name)
                except ValueError:  # 29 February in a common year
                    pass
        for d, name in self._closures.items():
            names.setdefault(d.toordinal(), name)
        base = dt.date(first_year, 1, 1).toordinal()
        end = dt.date(last_year, 12, 31).toordinal()
        worked: list[int] = []
        floor: list[int] = []  # floor[o - base] = index in `worked` of the last worked day <= o (-1 if none)
        for o in range(base, end + 1):
            # date.fromordinal(o).weekday() == (o - 1) % 7 ... ordinal 1 (0001-01-01) was a Monday
            if (o - 1) % 7 < 5 and o not in names:
                worked.append(o)
            floor.append(len(worked) - 1)
        self._names = names
        self._base, self._end = base, end
        self._worked, self._floor = worked, floor
        self._first_year, self._last_year = first_year, last_year
        # keep a year of margin so that look-ups near the span's edges never fall off it
        self._safe_lo, self._safe_hi = base + 400, end - 400

    def _cover(self, ordinal: int, margin_days: int = 0) -> None:
        lo, hi = ordinal - margin_days, ordinal + margin_days
        if lo < self._base + 400 or hi > self._end - 400:
            first = min(self._first_year, dt.date.fromordinal(max(lo, 1)).year - 2)
            last = max(self._last_year, dt.date.fromordinal(hi).year + 2)
            self._build(first, last)

    # -- ordinal operations (the scheduler's hot path) --------------------------------------------------
    def floor_index(self, o: int) -> int:
        """Index (in the worked-day list) of the last worked day on or before ordinal `o`."""
        if o < self._safe_lo or o > self._safe_hi:
            self._cover(o)
        return self._floor[o - self._base]

    def prev_ordinal(self, o: int) -> int:
        """Last worked day on or before `o`."""
        i = self.floor_index(o)  # may rebuild the lists: index them only after
        return self._worked[i]

    def next_ordinal(self, o: int) -> int:
        """First worked day on or after `o`."""
        i = self.floor_index(o)
        if self._worked[i] == o:
            return o
        if i + 1 >= len(self._worked):
            self._cover(o, margin_days=30)
            return self.next_ordinal(o)
        return self._worked[i + 1]

    def add_ordinal(self, o: int, n: int) -> int:
        """The n-th worked day after `o` (n > 0) or before it (n < 0); n == 0 gives `o` itself if worked,
        else the last worked day before it."""
        i = self.floor_index(o)
        if n > 0 or self._worked[i] == o or n == 0:
            j = i + n
        else:  # o is not worked: the last worked day before o is already one step back
            j = i + n + 1
        if 0 <= j < len(self._worked):
            return self._worked[j]
        self._cover(o, margin_days=abs(n) * 2 + 30)
        return self.add_ordinal(o, n)

    def shift(self, o: int, i: int, n: int) -> int:
        """add_ordinal(o, n) for a caller that already holds i = floor_index(o) (the reminder sweep)."""
        j = i + n if (n >= 0 or self._worked[i] == o) else i + n + 1
        if 0 <= j < len(self._worked) and self._safe_lo <= o <= self._safe_hi:
            return self._worked[j]
        return self.add_ordinal(o, n)

    def worked_between(self, a: int, b: int) -> int:
        """Number of worked days d with a < d <= b (negative if b < a)."""
        if b < a:
            return -self.worked_between(b, a)
        self.floor_index(a)  # grow the span to cover both dates first: a rebuild shifts every index
        self.floor_index(b)
        return self.floor_index(b) - self.floor_index(a)

    # -- date API ---------------------------------------------------------------------------------------
    def is_working_day(self, d: dt.date) -> bool:
        o = d.toordinal()
        return self.prev_ordinal(o) == o

    def previous_working_day(self, d: dt.date) -> dt.date:
        """`d` if it is worked, else the last worked day before it."""
        return dt.date.fromordinal(self.prev_ordinal(d.toordinal()))

    def next_working_day(self, d: dt.date) -> dt.date:
        """`d` if it is worked, else the first worked day after it."""
        return dt.date.fromordinal(self.next_ordinal(d.toordinal()))

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        return dt.date.fromordinal(self.add_ordinal(d.toordinal(), n))

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Worked days in (a, b]: how many working days `b` is after `a`."""
        return self.worked_between(a.toordinal(), b.toordinal())

    def closure_name(self, d: dt.date) -> str | None:
        """Why `d` is not worked (holiday or closure name), 'week-end', or None if it is worked."""
        o = d.toordinal()
        self.floor_index(o)
        if o in self._names:
            return self._names[o]
        if d.weekday() >= 5:
            return "week-end"
        return None
