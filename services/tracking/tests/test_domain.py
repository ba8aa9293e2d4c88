"""Tracking's pure rules: notice deadline, working hours, report schedules, extensions, replies."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.common import lights
from libs.common.calendar import load_calendar
from libs.common.clock import OFFICE_TZ
from libs.common.errors import FailedPrecondition, InvalidInput
from services.tracking import domain

CAL = load_calendar()
P = domain.TrackingPolicy()
D = dt.date


def test_notice_due_two_working_days_after_registration() -> None:
    assert domain.notice_due_on(CAL, P, D(2026, 11, 26)) == D(2026, 11, 30)  # Thu -> Mon
    assert domain.notice_due_on(CAL, P, D(2026, 9, 30)) == D(2026, 10, 9)  # across National Day


def test_acknowledgement_hours_skip_nights_weekends_and_holidays() -> None:
    friday_4pm = dt.datetime(2026, 9, 25 - 1, 16, 0, tzinfo=OFFICE_TZ)  # Thu 24 Sep, 16:00
    due = domain.add_working_hours(CAL, P, friday_4pm, 4)
    # 1 hour on Thursday, then Friday 25 Sep is Mid-Autumn and 26-27 the weekend: Monday 28, 12:00.
    assert due == dt.datetime(2026, 9, 28, 12, 0, tzinfo=OFFICE_TZ)
    early = dt.datetime(2026, 11, 26, 7, 30, tzinfo=OFFICE_TZ)
    assert domain.add_working_hours(CAL, P, early, 2) == dt.datetime(2026, 11, 26, 11, 0, tzinfo=OFFICE_TZ)


def test_weekly_schedule_on_fridays_before_the_deadline() -> None:
    schedule = domain.report_schedule(CAL, ("weekly",), D(2026, 11, 25), D(2026, 12, 8))
    assert [(e.period, e.due_on) for e in schedule] == [("weekly", D(2026, 11, 27)), ("weekly", D(2026, 12, 4))]


def test_monthly_and_quarterly_use_the_last_working_day() -> None:
    schedule = domain.report_schedule(CAL, ("monthly", "quarterly"), D(2026, 8, 3), D(2026, 10, 20))
    assert [(e.period, e.due_on) for e in schedule] == [
        ("monthly", D(2026, 8, 31)),
        ("monthly", D(2026, 9, 30)),
        ("quarterly", D(2026, 9, 30)),
    ]


def test_no_report_is_due_on_the_deadline_itself() -> None:
    schedule = domain.report_schedule(CAL, ("weekly",), D(2026, 11, 30), D(2026, 12, 4))
    assert schedule == []  # the written reply on Friday covers the only week


@settings(max_examples=200, deadline=None)
@given(start=st.dates(min_value=D(2024, 1, 1), max_value=D(2026, 10, 1)), span=st.integers(1, 80))
def test_schedule_dates_are_working_days_inside_the_window(start: dt.date, span: int) -> None:
    due = start + dt.timedelta(days=span)
    for expected in domain.report_schedule(CAL, ("weekly", "monthly", "quarterly"), start, due):
        assert start < expected.due_on < due
        assert CAL.is_working_day(expected.due_on)


def test_cadence_by_category_and_key_tracking() -> None:
    assert P.cadence_for("general", False) == ("weekly",)
    assert P.cadence_for("general", True) == ("weekly", "monthly")
    assert P.cadence_for("complex", False) == ("weekly", "monthly")


def test_extension_only_before_the_deadline_with_reason_and_later_date() -> None:
    due = D(2026, 12, 7)
    domain.check_extension(D(2026, 12, 1), due, "in_progress", "等待审批", D(2026, 12, 21), pending=False, calendar=CAL)
    with pytest.raises(InvalidInput) as late:
        domain.check_extension(D(2026, 12, 8), due, "in_progress", "晚了", D(2026, 12, 21), pending=False, calendar=CAL)
    assert "new_due_date" in late.value.field_errors
    with pytest.raises(InvalidInput) as bad:
        domain.check_extension(D(2026, 12, 1), due, "in_progress", " ", D(2026, 12, 5), pending=False, calendar=CAL)
    assert set(bad.value.field_errors) == {"reason", "new_due_date"}
    with pytest.raises(FailedPrecondition):
        domain.check_extension(D(2026, 12, 1), due, "in_progress", "x", D(2026, 12, 21), pending=True, calendar=CAL)
    with pytest.raises(FailedPrecondition):
        domain.check_extension(D(2026, 12, 1), due, "closed", "x", D(2026, 12, 21), pending=False, calendar=CAL)


def test_an_extension_to_a_day_off_is_refused_with_the_next_working_day() -> None:
    due = D(2026, 12, 7)
    for day_off, next_day in ((D(2026, 12, 19), "2026-12-21"), (D(2027, 1, 1), "2027-01-04")):
        with pytest.raises(InvalidInput) as refused:
            domain.check_extension(D(2026, 12, 1), due, "in_progress", "需协调", day_off, pending=False, calendar=CAL)
        assert refused.value.suggestions == {"new_due_date": next_day}
        assert f"下一个工作日是{next_day}" in refused.value.field_errors["new_due_date"]


def test_late_reply_needs_root_cause_and_measures() -> None:
    domain.check_reply(False, "已完成", "", "")
    with pytest.raises(InvalidInput) as err:
        domain.check_reply(True, "已完成", "", "")
    assert set(err.value.field_errors) == {"root_cause", "measures"}
    assert domain.needs_failure_analysis(D(2026, 12, 8), D(2026, 12, 7), analysed=False)
    assert not domain.needs_failure_analysis(D(2026, 12, 7), D(2026, 12, 7), analysed=False)
    assert not domain.needs_failure_analysis(D(2026, 12, 8), D(2026, 12, 7), analysed=True)
    assert not domain.needs_failure_analysis(D(2026, 12, 8), D(2026, 12, 7), analysed=False, closed=True)


def test_missing_report_turns_a_green_item_yellow() -> None:
    light = domain.item_light(CAL, P, D(2026, 12, 20), D(2026, 11, 30), closed=False, missed_reports=1)
    assert light.colour == "yellow" and "未按时报送" in light.reason
    assert domain.item_light(CAL, P, D(2026, 12, 20), D(2026, 11, 30), closed=True, missed_reports=1).colour == ""


def test_an_overdue_rectification_turns_an_open_item_red() -> None:
    rectified = {lights.RECTIFICATIONS: 1}
    light = domain.item_light(CAL, P, D(2026, 12, 20), D(2026, 11, 30), False, 0, raised=rectified)
    assert light.colour == "red" and light.working_days_left == 14
    assert light.reason == "距完成时限2026-12-20还有14个工作日；有1项整改逾期未完成"
    both = domain.item_light(CAL, P, D(2026, 11, 27), D(2026, 11, 30), False, 2, raised={lights.RECTIFICATIONS: 3})
    assert both.colour == "red"
    assert both.reason == "已超过完成时限2026-11-27，逾期1个工作日；有3项整改逾期未完成；有2次进展汇报未按时报送"
    assert domain.item_light(CAL, P, D(2026, 12, 20), D(2026, 11, 30), True, 0, raised=rectified).colour == ""
    # Tracking's own count wins over a stray one under its source.
    own = domain.item_light(CAL, P, D(2026, 12, 20), D(2026, 11, 30), False, 0, raised={domain.REPORTS: 5})
    assert own.colour == "green"


def test_raised_by_others_counts_what_is_past_its_day() -> None:
    class Row:
        def __init__(self, source: str, due_on: dt.date) -> None:
            self.source, self.due_on = source, due_on

    rows = [Row(lights.RECTIFICATIONS, D(2026, 11, 27)), Row(lights.RECTIFICATIONS, D(2026, 11, 30)),
            Row("inspection.other", D(2026, 11, 1)), Row(lights.RECTIFICATIONS, D(2026, 11, 29))]
    assert domain.raised_by_others(rows, D(2026, 11, 30)) == {lights.RECTIFICATIONS: 2, "inspection.other": 1}
    assert domain.raised_by_others([], D(2026, 11, 30)) == {}


@settings(max_examples=300, deadline=None)
@given(today=st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 2, 1)), offset=st.integers(-30, 60),
       missed=st.integers(0, 3), yellow_within=st.integers(-1, 5),
       others=st.dictionaries(st.sampled_from([lights.RECTIFICATIONS, "inspection.other"]), st.integers(0, 3)))
def test_colour_by_dates_is_the_item_light(today: dt.date, offset: int, missed: int, yellow_within: int,
                                           others: dict[str, int]) -> None:
    """Lists classify by dates in SQL: the same colour as the light with its reason, across holidays,
    year ends and years without a table (2027 here), whatever raises it (reports to yellow, overdue
    rectifications to red, a source this version does not know to yellow)."""
    from libs.common.lights import LightPolicy, colour_by_dates, last_yellow_deadline, raised_colour

    policy = domain.TrackingPolicy(light=LightPolicy(yellow_within=yellow_within))
    due = today + dt.timedelta(days=offset)
    edge = last_yellow_deadline(CAL, policy.light, today)
    expected = domain.item_light(CAL, policy, due, today, closed=False, missed_reports=missed, raised=others).colour
    assert colour_by_dates(due, today, edge, raised_colour({**others, domain.REPORTS: missed})) == expected
    if others.get(lights.RECTIFICATIONS):
        assert expected == "red"


def test_last_yellow_deadline_skips_the_national_day_holiday() -> None:
    from libs.common.lights import LightPolicy, last_yellow_deadline

    # 2026-09-30 (Wed), holiday 10-01..10-07: the next two working days are 10-08 and 10-09; the
    # make-up Saturday 10-10 is the third, so a deadline then is already green.
    assert last_yellow_deadline(CAL, LightPolicy(yellow_within=2), D(2026, 9, 30)) == D(2026, 10, 9)
    assert last_yellow_deadline(CAL, LightPolicy(yellow_within=-1), D(2026, 9, 30)) == D(2026, 9, 29)


def test_one_table_of_status_moves() -> None:
    """Every status the UI names is in the table, every one is reachable from registration, closed
    items only get archived, and a move the table lacks is refused."""
    assert set(domain.TRANSITIONS) == set(domain.STATUS_LABELS)
    reached, todo = {"awaiting_notice"}, ["awaiting_notice"]
    while todo:
        for nxt in domain.TRANSITIONS[todo.pop()] - reached:
            reached.add(nxt)
            todo.append(nxt)
    assert reached == set(domain.STATUS_LABELS)
    assert domain.TRANSITIONS["closed"] == {"archived"} and not domain.TRANSITIONS["archived"]
    assert domain.move("replied", "completion_filled") == "completion_filled"
    with pytest.raises(FailedPrecondition) as err:
        domain.move("closed", "in_progress")
    assert "已销号" in err.value.field_errors["status"]
