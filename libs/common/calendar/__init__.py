"""The working-day calendar: deadlines count PRC official working days, never a weekends-only guess.

`WorkCalendar.add_working_days(start, n)` is the n-th working day after `start` (the start day itself
does not count, as an office counts "立项后7个工作日"). A date in a year with no table raises
`CalendarYearMissing`; callers that must still give an answer use the provisional variants
(`add_working_days_provisional`, `provisional=True`), which count such a year with its statutory
holidays (`statutory.py`: known from the 放假办法 years ahead) and every weekend off, and say which years
they had to count that way, so the result is flagged rather than silently wrong. Only the year's 调休
swaps and 补休 days are unknown until its table is published.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from libs.common.calendar.statutory import rule_for, statutory_holidays
from libs.common.calendar.tables import CalendarTableError, YearTable, load_tables

__all__ = [
    "CalendarTableError",
    "ProvisionalDate",
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
    assumed_years: tuple[int, ...]  # years counted provisionally (statutory holidays only): no table yet

    @property
    def provisional(self) -> bool:
        return bool(self.assumed_years)


def provisional_table(year: int) -> YearTable:
    """What is known of a year before its table is published: its statutory holidays, no make-up days."""
    return YearTable(year=year, source=f"暂定：{rule_for(year).source}", holidays=statutory_holidays(year))


def _working_in(table: YearTable, day: dt.date) -> bool:
    if day in table.workdays:
        return True
    return day not in table.holidays and day.weekday() < 5


WEEKDAY_NAMES = "一二三四五六日"


class WorkCalendar:
    def __init__(self, tables: Mapping[int, YearTable]) -> None:
        self._tables = dict(tables)
        # year -> working days up to and including each day; -year: the same counted provisionally (no table)
        self._cumulative: dict[int, list[int]] = {}
        self._days_off: tuple[list[dt.date], list[str]] | None = None  # named days off, in date order

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(self._tables))

    @functools.cached_property
    def tables_text(self) -> str:
        """The loaded tables as one text: each year and its source, then every day off and every make-up
        working day with its name (what `version` is the digest of; a reader keeps it to count again later)."""
        lines = [f"{t.year}|{t.source}" for t in sorted(self._tables.values(), key=lambda t: t.year)]
        for t in sorted(self._tables.values(), key=lambda t: t.year):
            lines += [f"h{d.isoformat()}{name}" for d, name in sorted(t.holidays.items())]
            lines += [f"w{d.isoformat()}{name}" for d, name in sorted(t.workdays.items())]
        return "\n".join(lines)

    @functools.cached_property
    def version(self) -> str:
        """What counts were made on: sha256 (first 16 hex) of tables_text. A count that names it can be
        checked against the same tables later (a score names it; the evaluation service keeps the text)."""
        return hashlib.sha256(self.tables_text.encode()).hexdigest()[:16]

    def has_year(self, year: int) -> bool:
        return year in self._tables

    def missing_years(self, start: dt.date, end: dt.date) -> tuple[int, ...]:
        """The years from start's to end's (either order) that have no table: counted provisionally."""
        first, last = sorted((start.year, end.year))
        return tuple(y for y in range(first, last + 1) if y not in self._tables)

    def table(self, year: int, provisional: bool = False) -> YearTable:
        """The year's published table; with `provisional`, a year without one gets its statutory holidays."""
        try:
            return self._tables[year]
        except KeyError:
            if provisional:
                return provisional_table(year)
            raise CalendarYearMissing(year) from None

    def day_kind(self, day: dt.date, provisional: bool = False) -> DayKind:
        table = self.table(day.year, provisional)
        if day in table.workdays:
            return DayKind.MAKEUP_WORKDAY
        if day in table.holidays:
            return DayKind.HOLIDAY
        return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY

    def day_name(self, day: dt.date, provisional: bool = False) -> str | None:
        """The holiday or make-up day's name, for explaining a deadline in plain Chinese."""
        table = self.table(day.year, provisional)
        return table.holidays.get(day) or table.workdays.get(day)

    def is_working_day(self, day: dt.date, provisional: bool = False) -> bool:
        return _working_in(self.table(day.year, provisional), day)

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day on or after `day` (provisionally counted in a year without a table)."""
        while not self.is_working_day(day, provisional=True):
            day += _DAY
        return day

    def day_off_refusal(self, day: dt.date) -> tuple[str, dt.date] | None:
        """A deadline set by hand (at registration, in a correction, in an extension request) must fall on
        a working day - a unit cannot hand in work on a Saturday or on 国庆节: None if it does, else the
        message for the field and the next working day to offer instead. A year without a table is
        judged on its statutory holidays and weekends (provisional)."""
        if self.is_working_day(day, provisional=True):
            return None
        suggested = self.next_working_day(day)
        why = self.day_name(day, provisional=True) or f"星期{WEEKDAY_NAMES[day.weekday()]}"
        note = "" if self.has_year(day.year) else f"（{day.year}年节假日安排未公布，按法定节假日判断）"
        return f"{day.isoformat()}是{why}，不是工作日{note}；下一个工作日是{suggested.isoformat()}", suggested

    def _counts(self, year: int, provisional: bool = False) -> list[int]:
        """Working days of `year` from 1 January up to and including each day (index: day of year - 1),
        built once per year. A year without a table raises, or with `provisional` is counted with its
        statutory holidays."""
        key = -year if provisional and year not in self._tables else year
        counts = self._cumulative.get(key)
        if counts is None:
            table = self.table(year, provisional)  # a missing year raises here unless provisional
            counts, running, d = [], 0, dt.date(year, 1, 1)
            while d.year == year:
                running += _working_in(table, d)
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
            counts = self._counts(year, provisional=assumed is not None)
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
        """Like add_working_days, but a year without a table is counted with its statutory holidays (its
        调休 and 补休 unknown), and the result says which years were counted so."""
        assumed: set[int] = set()
        value = self._add(start, n, assumed)
        return ProvisionalDate(value, tuple(sorted(assumed)))

    def _upto(self, day: dt.date, provisional: bool = False) -> int:
        """Working days from 1 January of day's year up to and including day (a year's table, once)."""
        return self._counts(day.year, provisional)[day.timetuple().tm_yday - 1]

    def working_days_between(self, start: dt.date, end: dt.date, provisional: bool = False) -> int:
        """Working days in (start, end]; negative when end is before start. Constant time per year:
        lights for 100,000 items count their days without walking the calendar each time. A year
        without a table raises, or with `provisional` is counted with its statutory holidays."""
        if end < start:
            return -self.working_days_between(end, start, provisional)
        if start.year == end.year:
            return self._upto(end, provisional) - self._upto(start, provisional)
        total = self._upto(dt.date(start.year, 12, 31), provisional) - self._upto(start, provisional)
        for year in range(start.year + 1, end.year):
            total += self._upto(dt.date(year, 12, 31), provisional)
        return total + self._upto(end, provisional)

    def named_days_off(self, start: dt.date, end: dt.date, provisional: bool = False) -> list[tuple[str, int]]:
        """The named days off in (start, end] of the years with a table (with `provisional`, also the
        statutory holidays of those without), as (holiday name, days) in the order they come: what a
        light's reason says it left out. Two bisections in a sorted list instead of a walk over every
        day between."""
        if self._days_off is None:
            off = sorted((d, name) for year, table in self._tables.items() for d, name in table.holidays.items()
                         if d.year == year and d not in table.workdays and name)
            self._days_off = ([d for d, _ in off], [name for _, name in off])
        days, names = self._days_off
        lo, hi = bisect_right(days, start), bisect_right(days, end)
        found = names[lo:hi]
        missing = self.missing_years(start, end) if provisional and end > start else ()
        if missing:  # the years without a table have their statutory holidays, merged in date order
            extra = [(d, name) for year in missing for d, name in statutory_holidays(year).items() if start < d <= end]
            found = [name for _, name in sorted([*zip(days[lo:hi], found, strict=True), *extra])]
        counted: dict[str, int] = {}
        for name in found:
            counted[name] = counted.get(name, 0) + 1
        return list(counted.items())


def load_calendar(extra_dir: str | None = None) -> WorkCalendar:
    return WorkCalendar(load_tables(extra_dir))
