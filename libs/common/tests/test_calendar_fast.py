"""The calendar's counted-table arithmetic and the memoised lights equal the day-by-day walks they
replaced (kept here as the reference), over random dates across year ends, holidays, make-up working
days, years without a table (provisional counting) and random calendars."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.common import lights
from libs.common.calendar import CalendarYearMissing, DayKind, ProvisionalDate, WorkCalendar, YearTable, load_calendar
from libs.common.lights import Light, LightPolicy

D = dt.date
DAY = dt.timedelta(days=1)
BUILTIN = load_calendar()


# --- the walks as they were -----------------------------------------------------------------------

def walk_add(cal: WorkCalendar, start: dt.date, n: int) -> dt.date:
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    while n > 0:
        day += DAY
        if cal.is_working_day(day):
            n -= 1
    return day


def walk_add_provisional(cal: WorkCalendar, start: dt.date, n: int) -> ProvisionalDate:
    assumed: set[int] = set()
    day = start
    while n > 0:
        day += DAY
        if not cal.has_year(day.year):
            assumed.add(day.year)
        if cal.is_working_day(day, provisional=True):
            n -= 1
    return ProvisionalDate(day, tuple(sorted(assumed)))


def walk_between(cal: WorkCalendar, start: dt.date, end: dt.date) -> int:
    """Counted day by day; like the calendar, it needs the table of every year from start's to end's."""
    if end < start:
        return -walk_between(cal, end, start)
    for year in range(start.year, end.year + 1):
        cal.table(year)
    count, day = 0, start
    while day < end:
        day += DAY
        count += cal.is_working_day(day)
    return count


def walk_between_provisional(cal: WorkCalendar, start: dt.date, end: dt.date) -> int:
    """Counted day by day, a year without a table with its statutory holidays."""
    if end < start:
        return -walk_between_provisional(cal, end, start)
    count, day = 0, start
    while day < end:
        day += DAY
        count += cal.is_working_day(day, provisional=True)
    return count


def walk_holidays(cal: WorkCalendar, start: dt.date, end: dt.date) -> list[str]:
    """Named days off; in a year without a table, its statutory holidays (which are never worked)."""
    names: dict[str, int] = {}
    day = start
    while day < end:
        day += DAY
        off = not cal.is_working_day(day) if cal.has_year(day.year) else True
        if off and (name := cal.day_name(day, provisional=True)) and cal.day_kind(day, True) == DayKind.HOLIDAY:
            names[name] = names.get(name, 0) + 1
    return [f"{name}{count}天" for name, count in names.items()]


def walk_light_of(cal: WorkCalendar, policy: LightPolicy, due: dt.date, today: dt.date, closed: bool = False,
                  provisional: bool = False) -> Light:
    if closed:
        return Light(lights.NO_LIGHT, lights.CLOSED_REASON, None)
    missing = sorted(set(range(min(today, due).year, max(today, due).year + 1)) - set(cal.years))
    note = f"（暂定，待国务院公布{'、'.join(map(str, missing or [due.year]))}年节假日安排后确认）" \
        if provisional or missing else ""
    if today > due:
        late = walk_between_provisional(cal, due, today)
        return Light(lights.RED, f"已超过完成时限{due.isoformat()}，逾期{late}个工作日{note}", -late)
    left = walk_between_provisional(cal, today, due)
    holidays = walk_holidays(cal, today, due)
    counted = f"（已扣除{'、'.join(holidays)}）" if holidays else ""
    if left <= policy.yellow_within:
        when = "今天到期" if left == 0 else f"距完成时限{due.isoformat()}仅剩{left}个工作日"
        return Light(lights.YELLOW, f"{when}{counted}{note}", left)
    return Light(lights.GREEN, f"距完成时限{due.isoformat()}还有{left}个工作日{counted}{note}", left)


def walk_item_light(cal: WorkCalendar, policy: LightPolicy, due: dt.date, today: dt.date, closed: bool,
                    provisional: bool, raised: Mapping[str, int] | None) -> Light:
    light = walk_light_of(cal, policy, due, today, closed, provisional)
    if closed or not raised or not any(raised.values()):
        return light
    # A source raises as far as its row says (an unknown one to yellow); never below the deadline's.
    to_red = any(n and s in lights.RAISERS and lights.RAISERS[s].colour == lights.RED for s, n in raised.items())
    colour = lights.RED if to_red or light.colour == lights.RED else lights.YELLOW
    return Light(colour, f"{light.reason}；{lights.raised_text(raised)}", light.working_days_left)


def walk_last_yellow(cal: WorkCalendar, policy: LightPolicy, today: dt.date) -> dt.date:
    last, day = today - DAY, today
    for _ in range(400):
        if walk_light_of(cal, policy, day, today).colour != lights.YELLOW:
            break
        last, day = day, day + DAY
    return last


def outcome(f, *args):
    """The value, or the exception's type and year: a missing year must raise the same way."""
    try:
        return "ok", f(*args)
    except CalendarYearMissing as exc:
        return "missing", exc.year
    except ValueError as exc:
        return "value", str(exc)


# --- random calendars -----------------------------------------------------------------------------

@st.composite
def year_tables(draw: st.DrawFn, year: int) -> YearTable:
    days = [D(year, 1, 1) + dt.timedelta(days=i) for i in range(366 if year % 4 == 0 else 365)]
    names = st.sampled_from(["元旦", "春节", "国庆节", "", "中秋节"])
    holidays = {d: draw(names) for d in draw(st.lists(st.sampled_from(days), max_size=25))}
    holidays.setdefault(D(year, 1, 1), "元旦")
    # The New Year holiday may begin the December before; such days stay out of the year's counts.
    if draw(st.booleans()):
        holidays[D(year - 1, 12, 31)] = "元旦"
    weekends = [d for d in days if d.weekday() >= 5 and d not in holidays]
    workdays = {d: draw(st.sampled_from(["调休", ""])) for d in draw(st.lists(st.sampled_from(weekends), max_size=8))}
    return YearTable(year=year, source="test", holidays=holidays, workdays=workdays)


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    if draw(st.integers(0, 3)) == 0:
        return BUILTIN
    years = draw(st.lists(st.integers(2023, 2029), min_size=1, max_size=5, unique=True))
    return WorkCalendar({y: draw(year_tables(y)) for y in years})


dates = st.dates(min_value=D(2022, 12, 1), max_value=D(2030, 2, 1)) | st.sampled_from(
    [D(y, 12, 31) for y in range(2022, 2030)] + [D(y, 1, 1) for y in range(2023, 2030)]
    + [D(2026, 2, 14), D(2026, 10, 1), D(2026, 10, 10), D(2024, 2, 29)])


@settings(max_examples=400, deadline=None)
@given(cal=calendars(), start=dates, n=st.integers(-1, 400) | st.integers(0, 12))
def test_add_working_days_equals_the_walk(cal: WorkCalendar, start: dt.date, n: int) -> None:
    assert outcome(cal.add_working_days, start, n) == outcome(walk_add, cal, start, n)
    if n >= 0:
        assert cal.add_working_days_provisional(start, n) == walk_add_provisional(cal, start, n)


@settings(max_examples=400, deadline=None)
@given(cal=calendars(), a=dates, b=dates)
def test_counts_and_named_days_off_equal_the_walk(cal: WorkCalendar, a: dt.date, b: dt.date) -> None:
    assert outcome(cal.working_days_between, a, b) == outcome(walk_between, cal, a, b)
    assert cal.working_days_between(a, b, provisional=True) == walk_between_provisional(cal, a, b)
    assert lights._holidays_between(cal, a, b) == walk_holidays(cal, a, b)


@settings(max_examples=400, deadline=None)
@given(cal=calendars(), due=dates, offset=st.integers(-40, 40), closed=st.booleans(), provisional=st.booleans(),
       raised=st.none() | st.dictionaries(st.sampled_from(["tracking.report", "inspection.rectification", "inspection.fix"]),
                                          st.integers(0, 3)),
       within=st.integers(0, 4))
def test_lights_equal_the_walk_and_stay_equal_when_memoised(
    cal: WorkCalendar, due: dt.date, offset: int, closed: bool, provisional: bool,
    raised: dict[str, int] | None, within: int,
) -> None:
    today = due + dt.timedelta(days=offset)
    policy = LightPolicy(yellow_within=within)
    expected = walk_item_light(cal, policy, due, today, closed, provisional, raised)
    for _ in range(2):  # the second call is answered from the memo
        assert lights.item_light(cal, policy, due, today, closed, provisional, raised) == expected
        assert lights.light_of(cal, policy, due, today, closed=closed, provisional=provisional) == \
            walk_light_of(cal, policy, due, today, closed, provisional)
    assert lights.last_yellow_deadline(cal, policy, today) == walk_last_yellow(cal, policy, today)


def test_a_reloaded_calendar_is_not_answered_from_the_old_ones_memo(tmp_path) -> None:
    policy = LightPolicy()
    before = lights.light_of(BUILTIN, policy, D(2027, 1, 8), D(2026, 12, 30))
    assert "暂定" in before.reason  # 2027 has no table: counted with its statutory holidays
    (tmp_path / "2027.json").write_text(
        '{"year": 2027, "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}]}', encoding="utf-8")
    after = lights.light_of(load_calendar(str(tmp_path)), policy, D(2027, 1, 8), D(2026, 12, 30))
    assert "暂定" not in after.reason and "元旦3天" in after.reason


def test_negative_n_is_refused() -> None:
    with pytest.raises(ValueError):
        BUILTIN.add_working_days(D(2026, 1, 1), -1)
    with pytest.raises(ValueError):
        BUILTIN.add_working_days_provisional(D(2026, 1, 1), -1)
