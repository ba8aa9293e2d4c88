"""The working-day calendar: deadlines count PRC official working days, never a weekends-only guess.

`WorkCalendar.add_working_days(start, n)` is the n-th working day after `start` (the start day itself
does not count, as an office counts "立项后7个工作日"). A date in a year with no table raises
`CalendarYearMissing`; callers that must still give an answer use `add_working_days_provisional`, which
says which years it had to assume weekends-only for, so the result is flagged rather than silently wrong.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from libs.common.calendar.tables import CalendarTableError, YearTable, load_tables

__all__ = [
    "CalendarTableError",
    "CalendarYearMissing",
    "DayKind",
    "WorkCalendar",
    "YearTable",
    "load_calendar",
]


_DAY = dt.timedelta(days=1)


class CalendarYearMissing(LookupError):
    def __init__(self, year: int) -> None:
        super().__init__(f"no official working-day table is loaded for {year}")
        self.year = year


class DayKind(StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"


@dataclass(frozen=True)
class ProvisionalDate:
    value: dt.date
    assumed_years: tuple[int, ...]  # years counted weekends-only because their table is missing

    @property
    def provisional(self) -> bool:
        return bool(self.assumed_years)


class WorkCalendar:
    def __init__(self, tables: Mapping[int, YearTable]) -> None:
        self._tables = dict(tables)
        # year -> working days up to and including each day; -year: the same counted Mon-Fri (no table)
        self._cumulative: dict[int, list[int]] = {}
        self._days_off: tuple[list[dt.date], list[str]] | None = None  # named days off, in date order

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(self._tables))

    def has_year(self, year: int) -> bool:
        return year in self._tables

    def table(self, year: int) -> YearTable:
        try:
            return self._tables[year]
        except KeyError:
            raise CalendarYearMissing(year) from None

    def day_kind(self, day: dt.date) -> DayKind:
        table = self.table(day.year)
        if day in table.workdays:
            return DayKind.MAKEUP_WORKDAY
        if day in table.holidays:
            return DayKind.HOLIDAY
        return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY

    def day_name(self, day: dt.date) -> str | None:
        """The holiday or make-up day's name, for explaining a deadline in plain Chinese."""
        table = self.table(day.year)
        return table.holidays.get(day) or table.workdays.get(day)

    def is_working_day(self, day: dt.date) -> bool:
        return self.day_kind(day) in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)

    def _counts(self, year: int, assume_weekdays: bool = False) -> list[int]:
        """Working days of `year` from 1 January up to and including each day (index: day of year - 1),
        built once per year. A year without a table raises, or with `assume_weekdays` counts Mon-Fri."""
        key = -year if assume_weekdays and year not in self._tables else year
        counts = self._cumulative.get(key)
        if counts is None:
            if key > 0:
                self.table(year)  # a missing year raises here, never guessed
            working = self.is_working_day if key > 0 else (lambda d: d.weekday() < 5)
            counts, running, d = [], 0, dt.date(year, 1, 1)
            while d.year == year:
                running += working(d)
                counts.append(running)
                d += _DAY
            self._cumulative[key] = counts
        return counts

    def _add(self, start: dt.date, n: int, assumed: set[int] | None) -> dt.date:
        """The n-th working day after start, a year at a time: the year's cumulative counts say how many
        working days it has after the day counted from, and bisecting them finds the one asked for."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        while n > 0:
            first = day + _DAY  # the walk's first day in this year
            year = first.year
            if assumed is not None and year not in self._tables:
                assumed.add(year)
            counts = self._counts(year, assume_weekdays=assumed is not None)
            offset = first.timetuple().tm_yday - 1
            before = counts[offset - 1] if offset else 0  # working days of the year up to `day`
            if before + n <= counts[-1]:
                return dt.date(year, 1, 1) + dt.timedelta(days=bisect_left(counts, before + n))
            n -= counts[-1] - before
            day = dt.date(year, 12, 31)
        return day

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        return self._add(start, n, None)

    def add_working_days_provisional(self, start: dt.date, n: int) -> ProvisionalDate:
        """Like add_working_days, but days in a year without a table count as Mon-Fri, and say so."""
        assumed: set[int] = set()
        value = self._add(start, n, assumed)
        return ProvisionalDate(value, tuple(sorted(assumed)))

    def _upto(self, day: dt.date) -> int:
        """Working days from 1 January of day's year up to and including day (a year's table, once)."""
        return self._counts(day.year)[day.timetuple().tm_yday - 1]

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start. Constant time per year:
        lights for 100,000 items count their days without walking the calendar each time."""
        if end < start:
            return -self.working_days_between(end, start)
        if start.year == end.year:
            return self._upto(end) - self._upto(start)
        total = self._upto(dt.date(start.year, 12, 31)) - self._upto(start)
        for year in range(start.year + 1, end.year):
            total += self._upto(dt.date(year, 12, 31))
        return total + self._upto(end)

    def named_days_off(self, start: dt.date, end: dt.date) -> list[tuple[str, int]]:
        """The named days off in (start, end] of the years with a table, as (holiday name, days) in the
        order they come: what a light's reason says it left out. Two bisections in a sorted list
        instead of a walk over every day between."""
        if self._days_off is None:
            off = sorted((d, name) for year, table in self._tables.items() for d, name in table.holidays.items()
                         if d.year == year and d not in table.workdays and name)
            self._days_off = ([d for d, _ in off], [name for _, name in off])
        days, names = self._days_off
        counted: dict[str, int] = {}
        for name in names[bisect_right(days, start):bisect_right(days, end)]:
            counted[name] = counted.get(name, 0) + 1
        return list(counted.items())


def load_calendar(extra_dir: str | None = None) -> WorkCalendar:
    return WorkCalendar(load_tables(extra_dir))
