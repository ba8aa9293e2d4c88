"""The working-day calendar: deadlines count PRC official working days, never a weekends-only guess.

`WorkCalendar.add_working_days(start, n)` is the n-th working day after `start` (the start day itself
does not count, as an office counts "立项后7个工作日"). A date in a year with no table raises
`CalendarYearMissing`; callers that must still give an answer use `add_working_days_provisional`, which
says which years it had to assume weekends-only for, so the result is flagged rather than silently wrong.
"""

from __future__ import annotations

import datetime as dt
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
        self._cumulative: dict[int, list[int]] = {}  # year -> working days up to and including each day

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

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        while n > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def add_working_days_provisional(self, start: dt.date, n: int) -> ProvisionalDate:
        """Like add_working_days, but days in a year without a table count as Mon-Fri, and say so."""
        if n < 0:
            raise ValueError("n must be >= 0")
        assumed: set[int] = set()
        day = start
        while n > 0:
            day += dt.timedelta(days=1)
            if self.has_year(day.year):
                working = self.is_working_day(day)
            else:
                assumed.add(day.year)
                working = day.weekday() < 5
            if working:
                n -= 1
        return ProvisionalDate(day, tuple(sorted(assumed)))

    def _upto(self, day: dt.date) -> int:
        """Working days from 1 January of day's year up to and including day (a year's table, once)."""
        counts = self._cumulative.get(day.year)
        if counts is None:
            self.table(day.year)  # a missing year raises here, never guessed
            counts, running, d = [], 0, dt.date(day.year, 1, 1)
            while d.year == day.year:
                running += self.is_working_day(d)
                counts.append(running)
                d += dt.timedelta(days=1)
            self._cumulative[day.year] = counts
        return counts[day.timetuple().tm_yday - 1]

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


def load_calendar(extra_dir: str | None = None) -> WorkCalendar:
    return WorkCalendar(load_tables(extra_dir))
