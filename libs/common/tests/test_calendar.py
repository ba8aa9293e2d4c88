"""The working-day calendar: official holidays, make-up working days, year ends, missing years."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.common.calendar import CalendarYearMissing, DayKind, load_calendar
from libs.common.calendar.__main__ import main as calendar_cli
from libs.common.calendar.tables import CalendarTableError, parse_table

CAL = load_calendar()
D = dt.date


def test_builtin_years() -> None:
    assert CAL.years == (2024, 2025, 2026)


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (D(2026, 2, 14), DayKind.MAKEUP_WORKDAY),  # Saturday before the Spring Festival
        (D(2026, 2, 16), DayKind.HOLIDAY),  # Monday inside the Spring Festival
        (D(2026, 2, 28), DayKind.MAKEUP_WORKDAY),
        (D(2026, 9, 20), DayKind.MAKEUP_WORKDAY),  # Sunday before National Day
        (D(2026, 10, 7), DayKind.HOLIDAY),
        (D(2026, 10, 10), DayKind.MAKEUP_WORKDAY),
        (D(2026, 10, 11), DayKind.WEEKEND),
        (D(2026, 11, 26), DayKind.WORKDAY),
        (D(2026, 1, 4), DayKind.MAKEUP_WORKDAY),
    ],
)
def test_day_kinds_2026(day: dt.date, kind: DayKind) -> None:
    assert CAL.day_kind(day) == kind


def test_spring_festival_2026_general_item() -> None:
    # Registered Thu 12 Feb: Fri 13, Sat 14 (make-up), then the 9-day holiday, then 24-27 Feb, Sat 28 (make-up).
    assert CAL.add_working_days(D(2026, 2, 12), 7) == D(2026, 2, 28)


def test_national_day_2026_complex_item() -> None:
    # Registered Fri 18 Sep: Sun 20 (make-up) counts, 25 Sep (Mid-Autumn) and 1-7 Oct don't:
    # 20, 21, 22, 23, 24, 28, 29, 30 Sep, 8, 9 Oct.
    assert CAL.add_working_days(D(2026, 9, 18), 10) == D(2026, 10, 9)
    # One day later the make-up Saturday 10 Oct is the tenth working day.
    assert CAL.add_working_days(D(2026, 9, 20), 10) == D(2026, 10, 10)


def test_year_boundary_2024_to_2025() -> None:
    # Mon 30 Dec 2024 + 7: 31 Dec, (1 Jan holiday), 2, 3, 6, 7, 8, 9 Jan.
    assert CAL.add_working_days(D(2024, 12, 30), 7) == D(2025, 1, 9)
    assert CAL.working_days_between(D(2024, 12, 30), D(2025, 1, 9)) == 7


def test_missing_year_raises_not_guesses() -> None:
    with pytest.raises(CalendarYearMissing) as err:
        CAL.add_working_days(D(2026, 12, 25), 10)
    assert err.value.year == 2027
    with pytest.raises(CalendarYearMissing):
        CAL.is_working_day(D(2023, 6, 1))


def test_missing_year_provisional_result_is_flagged() -> None:
    result = CAL.add_working_days_provisional(D(2026, 12, 25), 10)
    assert result.provisional and result.assumed_years == (2027,)
    # 28-31 Dec, then 2027: 1 Jan is 元旦 (statutory, known before the table), 4-8 and 11 Jan.
    assert result.value == D(2027, 1, 11)
    assert not CAL.add_working_days_provisional(D(2026, 11, 26), 7).provisional


def test_extra_year_table_from_directory(tmp_path) -> None:
    (tmp_path / "2027.json").write_text(
        json.dumps({"year": 2027, "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}],
                    "workdays": []}),
        encoding="utf-8",
    )
    cal = load_calendar(str(tmp_path))
    assert cal.years == (2024, 2025, 2026, 2027)
    assert cal.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"holidays": []}, "year"),
        ({"year": 2027, "holidays": [{"from": "2027-13-01", "to": "2027-01-02"}]}, "not a date"),
        ({"year": 2027, "holidays": [{"from": "2027-01-01", "to": "2027-01-01"}],
          "workdays": [{"date": "2027-01-05"}]}, "weekday"),
        ({"year": 2027, "holidays": []}, "no holidays"),
    ],
)
def test_bad_tables_are_refused(doc: dict, message: str) -> None:
    with pytest.raises(CalendarTableError, match=message):
        parse_table(doc)


def test_cli_validate_and_install(tmp_path, capsys) -> None:
    src = tmp_path / "next.json"
    src.write_text(json.dumps({"year": 2027, "holidays": [{"from": "2027-01-01", "to": "2027-01-01"}]}))
    assert calendar_cli(["validate", str(src)]) == 0
    assert calendar_cli(["install", str(src), "--dir", str(tmp_path / "cal")]) == 0
    assert (tmp_path / "cal" / "2027.json").exists()
    src.write_text("{not json")
    assert calendar_cli(["validate", str(src)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


# --- properties -----------------------------------------------------------------------------------

days = st.dates(min_value=D(2024, 1, 1), max_value=D(2026, 11, 30))


@settings(max_examples=300, deadline=None)
@given(start=days, n=st.integers(min_value=0, max_value=20))
def test_add_lands_on_working_day_and_counts_back(start: dt.date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert end >= start
    assert CAL.working_days_between(start, end) == n
    if n > 0:
        assert CAL.is_working_day(end)


@settings(max_examples=300, deadline=None)
@given(start=days, a=st.integers(min_value=0, max_value=10), b=st.integers(min_value=0, max_value=10))
def test_adding_is_additive(start: dt.date, a: int, b: int) -> None:
    assert CAL.add_working_days(CAL.add_working_days(start, a), b) == CAL.add_working_days(start, a + b)


@settings(max_examples=200, deadline=None)
@given(start=days, n=st.integers(min_value=1, max_value=15))
def test_holidays_only_push_deadlines_later(start: dt.date, n: int) -> None:
    weekdays_only = start
    left = n
    while left:
        weekdays_only += dt.timedelta(days=1)
        left -= weekdays_only.weekday() < 5
    # Make-up Saturdays can pull a deadline earlier by at most the make-up days in the window.
    official = CAL.add_working_days(start, n)
    makeups = sum(
        CAL.day_kind(start + dt.timedelta(days=k)) == DayKind.MAKEUP_WORKDAY
        for k in range(1, (official - start).days + 1)
    )
    assert official >= weekdays_only - dt.timedelta(days=3 * makeups)


@settings(max_examples=200, deadline=None)
@given(start=days, n=st.integers(min_value=0, max_value=15))
def test_provisional_equals_official_when_all_years_known(start: dt.date, n: int) -> None:
    result = CAL.add_working_days_provisional(start, n)
    assert not result.provisional
    assert result.value == CAL.add_working_days(start, n)
