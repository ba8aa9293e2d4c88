"""A year without a published table is counted with its statutory holidays (放假办法, revision in force
from 2025), checked against the tables the State Council did publish for 2025 and 2026."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.common import deadline_text
from libs.common.calendar import DayKind, WorkCalendar, load_calendar
from libs.common.calendar.statutory import rule_for, statutory_holidays

CAL = load_calendar()
D = dt.date
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_holiday_is_a_day_off_in_the_published_table(year: int) -> None:
    table = CAL.table(year)
    predicted = statutory_holidays(year)
    assert len(predicted) == 13  # 元旦1 + 春节4 + 清明1 + 劳动节2 + 端午1 + 中秋1 + 国庆3 (no overlap these years)
    for day, name in predicted.items():
        assert day in table.holidays and day not in table.workdays, (day, name)
        assert CAL.day_kind(day) == DayKind.HOLIDAY


@pytest.mark.parametrize("year", [2025, 2026])
def test_what_the_rule_cannot_know_is_exactly_the_swaps_and_the_make_up_days(year: int) -> None:
    """What differs between the rule and the published table: days off the rule does not predict. Those
    on weekdays are the 调休 (a weekday off, paid back by a make-up working weekend day) and the 补休
    (a weekday off for a statutory holiday that fell on a weekend) - one for each, no more, no less."""
    table = CAL.table(year)
    predicted = statutory_holidays(year)
    extra_weekdays_off = sorted(d for d in table.holidays if d not in predicted and d.weekday() < 5)
    make_up_working_days = sorted(table.workdays)
    statutory_on_weekends = sorted(d for d in predicted if d.weekday() >= 5)
    assert len(extra_weekdays_off) == len(make_up_working_days) + len(statutory_on_weekends)
    if year == 2025:  # 端午 on Sat 31 May: 补休 Mon 2 June
        assert statutory_on_weekends == [D(2025, 5, 31)] and D(2025, 6, 2) in extra_weekdays_off
    else:  # 清明 Sun 5 Apr, 劳动节 Sat 2 May, 国庆节 Sat 3 Oct
        assert statutory_on_weekends == [D(2026, 4, 5), D(2026, 5, 2), D(2026, 10, 3)]


def test_2026_counted_provisionally_differs_from_the_table_only_around_the_swaps() -> None:
    # Drop 2026's table: the provisional count of a deadline that crosses no swap or 补休 is the official one.
    without = WorkCalendar({y: t for y, t in ((y, CAL.table(y)) for y in CAL.years) if y != 2026})
    assert without.add_working_days_provisional(D(2026, 3, 2), 7).value == CAL.add_working_days(D(2026, 3, 2), 7)
    # Across 元旦 2026 (Thu 1 Jan statutory; Fri 2 Jan swapped for Sun 4 Jan) both give 12 Jan.
    assert without.add_working_days_provisional(D(2025, 12, 31), 7).value == D(2026, 1, 12)
    assert CAL.add_working_days(D(2025, 12, 31), 7) == D(2026, 1, 12)


def test_2027_new_year_is_not_a_working_day_any_more() -> None:
    # The item: registered 2026-12-24, complex (10 working days). Mon-Fri counting gave 7 Jan.
    due = CAL.add_working_days_provisional(D(2026, 12, 24), 10)
    assert due.assumed_years == (2027,) and due.value == D(2027, 1, 8)
    assert not CAL.is_working_day(D(2027, 1, 1), provisional=True)
    assert CAL.day_name(D(2027, 1, 1), provisional=True) == "元旦"
    # 春节 2027: 除夕 5 Feb (Fri) to 初三 8 Feb (Mon), lunar dates from the lunar calendar.
    assert [d for d, n in statutory_holidays(2027).items() if n == "春节"] == [D(2027, 2, 5) + i * DAY for i in range(4)]
    assert CAL.next_working_day(D(2027, 2, 5)) == D(2027, 2, 9)


def test_rule_in_force_each_year() -> None:
    assert rule_for(2024).spring_festival == 3 and rule_for(2024).labour_day == 1
    assert rule_for(2025).spring_festival == 4 and rule_for(2025).spring_from_eve
    # 2024 (the 2013 revision): 春节 from 正月初一 (10 Feb), 劳动节 one day - all off in 2024's table.
    assert all(d in CAL.table(2024).holidays for d in statutory_holidays(2024))


@settings(max_examples=200, deadline=None)
@given(year=st.integers(2027, 2200))
def test_a_provisional_year_has_its_statutory_days_off_and_every_weekend(year: int) -> None:
    holidays = statutory_holidays(year)
    assert all(d.year == year for d in holidays) and 12 <= len(holidays) <= 13  # 中秋 may fall on 国庆
    table = CAL.table(year, provisional=True)
    assert not table.workdays  # the 调休 swaps are unknown until published
    first, last = D(year, 1, 1), D(year, 12, 31)
    weekdays = sum(1 for i in range((last - first).days + 1) if (first + i * DAY).weekday() < 5)
    expected = weekdays - sum(1 for d in holidays if d.weekday() < 5)
    assert CAL.working_days_between(first - DAY, last, provisional=True) == expected


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=D(2024, 1, 1), max_value=D(2035, 12, 31)))
def test_next_working_day_is_the_first_working_day_from_there(day: dt.date) -> None:
    found = CAL.next_working_day(day)
    assert found >= day and CAL.is_working_day(found, provisional=True)
    assert all(not CAL.is_working_day(day + i * DAY, provisional=True) for i in range((found - day).days))


def test_the_wording_says_what_a_provisional_deadline_waits_for() -> None:
    assert deadline_text.due_date_text(D(2027, 1, 7), True) == "2027年1月7日（暂定，待国务院公布2027年节假日安排后确认）"
    assert deadline_text.due_date_text(D(2026, 12, 7), False) == "2026年12月7日"
    explained = deadline_text.provisional_explanation([2027])
    assert "春节4天（除夕起）" in explained and "调休上班日" in explained and "补休尚不确定" in explained
    assert deadline_text.recomputed_text(D(2027, 1, 7), D(2027, 1, 8), [2027]) == \
        "办理时限由2027年1月7日调整为2027年1月8日（国务院公布2027年节假日安排）"
