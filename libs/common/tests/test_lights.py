"""Lights: thresholds, overdue counting in working days, closed items, explanations."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from libs.common.calendar import load_calendar
from libs.common.lights import (
    GREEN,
    RECTIFICATIONS,
    RED,
    REPORTS,
    YELLOW,
    LightPolicy,
    item_light,
    light_of,
    raised_colour,
    sources_raising_to,
)

CAL = load_calendar()
P = LightPolicy(yellow_within=2)
D = dt.date


def test_green_yellow_red() -> None:
    due = D(2026, 11, 30)  # Monday
    assert light_of(CAL, P, due, D(2026, 11, 24)).colour == GREEN  # 4 working days left
    yellow = light_of(CAL, P, due, D(2026, 11, 26))
    assert yellow.colour == YELLOW and yellow.working_days_left == 2
    assert light_of(CAL, P, due, due).reason.startswith("今天到期")
    red = light_of(CAL, P, due, D(2026, 12, 2))
    assert red.colour == RED and red.working_days_left == -2 and "逾期2个工作日" in red.reason


def test_holidays_are_named_in_the_reason() -> None:
    light = light_of(CAL, P, D(2026, 10, 9), D(2026, 9, 28))
    assert light.colour == GREEN and "国庆节" in light.reason and light.working_days_left == 4  # 29, 30 Sep, 8, 9 Oct


def test_closed_items_have_no_light() -> None:
    light = light_of(CAL, P, D(2026, 1, 5), D(2026, 11, 26), closed=True)
    assert (light.colour, light.reason) == ("", "已办结")


def test_missing_year_is_counted_provisionally_and_says_so() -> None:
    # 31 Dec, (元旦 1 Jan: statutory, counted before 2027's table exists), 4-8 Jan: 6 working days.
    light = light_of(CAL, P, D(2027, 1, 8), D(2026, 12, 30))
    assert light.working_days_left == 6 and light.colour == GREEN
    assert "已扣除元旦1天" in light.reason and "暂定，待国务院公布2027年节假日安排后确认" in light.reason


@settings(max_examples=200, deadline=None)
@given(due=st.dates(min_value=D(2024, 1, 10), max_value=D(2026, 12, 20)),
       offset=st.integers(min_value=-30, max_value=30))
def test_colour_follows_days_left(due: dt.date, offset: int) -> None:
    today = due + dt.timedelta(days=offset)
    if not (CAL.has_year(today.year) and CAL.has_year(due.year)):
        return
    light = light_of(CAL, P, due, today)
    if today > due:
        assert light.colour == RED
    elif CAL.working_days_between(today, due) <= 2:
        assert light.colour == YELLOW
    else:
        assert light.colour == GREEN


def test_each_raiser_raises_as_far_as_its_source_says() -> None:
    due, today = D(2026, 12, 20), D(2026, 11, 30)  # 14 working days left: green by the deadline
    assert item_light(CAL, P, due, today, raised={REPORTS: 1}).colour == YELLOW
    red = item_light(CAL, P, due, today, raised={RECTIFICATIONS: 2})
    assert red.colour == RED and red.reason.endswith("；有2项整改逾期未完成") and red.working_days_left == 14
    assert item_light(CAL, P, due, today, raised={REPORTS: 1, RECTIFICATIONS: 1}).colour == RED
    assert item_light(CAL, P, due, today, raised={RECTIFICATIONS: 0}).colour == GREEN
    assert item_light(CAL, P, due, today, raised={"inspection.newer": 1}).colour == YELLOW  # unknown: yellow
    closed = item_light(CAL, P, due, today, closed=True, raised={RECTIFICATIONS: 1})
    assert (closed.colour, closed.reason) == ("", "已办结")
    assert raised_colour({}) == "" and raised_colour({REPORTS: 1, RECTIFICATIONS: 1}) == RED
    assert sources_raising_to(RED) == (RECTIFICATIONS,) and sources_raising_to(YELLOW) == (REPORTS,)
