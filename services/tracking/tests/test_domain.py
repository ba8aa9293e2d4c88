"""Tracking's pure rules: notice deadline, working hours, report schedules, extensions, replies."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=300, deadline=None)
@given(today=st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 2, 1)), offset=st.integers(-30, 60),
       missed=st.integers(0, 3), yellow_within=st.integers(-1, 5))
def test_colour_by_dates_is_the_item_light(today: dt.date, offset: int, missed: int, yellow_within: int) -> None:
    """Lists classify by dates in SQL: the same colour as the light with its reason, across holidays,
    year ends and years without a table (2027 here)."""
    from libs.common.lights import LightPolicy, colour_by_dates, last_yellow_deadline

    policy = domain.TrackingPolicy(light=LightPolicy(yellow_within=yellow_within))
    due = today + dt.timedelta(days=offset)
    edge = last_yellow_deadline(CAL, policy.light, today)
    expected = domain.item_light(CAL, policy, due, today, closed=False, missed_reports=missed).colour
    assert colour_by_dates(due, today, edge, missed > 0) == expected


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
