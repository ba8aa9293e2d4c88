"""Inspection's rules as pure functions: what 已整改 means, relapses, deadlines in working days, findings' checks."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libs.common.calendar import load_calendar
from libs.common.errors import FailedPrecondition, InvalidInput
from services.inspection import domain

CALENDAR = load_calendar()
TODAY = dt.date(2026, 11, 26)
rounds = st.lists(st.tuples(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), st.booleans(),
                            st.sampled_from(["", "passed", "failed"])), min_size=1, max_size=5)


def _rounds(raw: list[tuple[dt.date, bool, str]]) -> tuple[domain.Round, ...]:
    # Every round but the last ended in a failed 回头看 (that is what opens the next one).
    return tuple(domain.Round(d, True, "failed") for d, _, _ in raw[:-1]) + (
        domain.Round(raw[-1][0], raw[-1][1] or raw[-1][2] != "", raw[-1][2]),)


@given(rounds, st.dates(dt.date(2026, 1, 1), dt.date(2028, 1, 1)))
def test_only_a_passed_re_inspection_rectifies_an_order(raw: list[tuple[dt.date, bool, str]], today: dt.date) -> None:
    course = _rounds(raw)
    status = domain.rectification_status(domain.ORDERED, course, today)
    assert (status == domain.RECTIFIED) == (course[-1].verdict == domain.PASSED)
    if course[-1].reported and not course[-1].verdict:
        assert status == domain.REPORTED  # reported fixed is not verified fixed
    assert domain.relapses(course) == sum(1 for r in course if r.verdict == domain.FAILED)
    assert domain.awaits_unit(domain.ORDERED, course) == (not course[-1].reported and not course[-1].verdict)


@given(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
def test_an_order_unreported_past_its_day_is_overdue_and_not_before(due: dt.date) -> None:
    course = (domain.Round(due, False, ""),)
    assert domain.rectification_status(domain.ORDERED, course, due) == domain.ORDERED
    assert domain.rectification_status(domain.ORDERED, course, due + dt.timedelta(days=1)) == domain.OVERDUE


def test_a_fix_on_the_spot_is_rectified_at_once() -> None:
    assert domain.rectification_status(domain.ON_SPOT, (domain.Round(dt.date.min, True, ""),), TODAY) == domain.RECTIFIED


@given(st.integers(1, domain.MAX_WORKING_DAYS))
def test_a_deadline_in_working_days_lands_on_a_working_day_that_many_working_days_ahead(days: int) -> None:
    due = domain.deadline(CALENDAR, TODAY, days, None)
    assert CALENDAR.is_working_day(due, provisional=True)
    assert CALENDAR.working_days_between(TODAY, due, provisional=True) == days


def test_a_deadline_set_by_hand_must_be_a_later_working_day_and_the_next_one_is_suggested() -> None:
    with pytest.raises(InvalidInput) as off:
        domain.deadline(CALENDAR, TODAY, 0, dt.date(2026, 11, 28))  # a Saturday
    assert off.value.suggestions == {"due_date": "2026-11-30"}
    with pytest.raises(InvalidInput):
        domain.deadline(CALENDAR, TODAY, 0, TODAY)
    with pytest.raises(InvalidInput):
        domain.deadline(CALENDAR, TODAY, domain.MAX_WORKING_DAYS + 1, None)


def test_a_plan_moves_draft_approved_under_way_done_only() -> None:
    domain.check_move(domain.DRAFT, domain.APPROVED)
    for current, wanted in ((domain.DRAFT, domain.UNDER_WAY), (domain.APPROVED, domain.DONE), (domain.DONE, domain.DRAFT)):
        with pytest.raises(FailedPrecondition):
            domain.check_move(current, wanted)


def test_an_approvable_plan_has_dates_something_to_inspect_and_a_team_leader() -> None:
    bare = domain.PlanCheck("专项督查", "special", None, None, 0, (), "", ())
    assert set(domain.approval_errors(bare)) == {"starts_on", "items", "leader_id"}
    assert domain.draft_errors(bare) == {}
    assert "ends_on" in domain.draft_errors(domain.PlanCheck("x", "special", TODAY, TODAY - dt.timedelta(days=1), 1, (),
                                                             "a", ()))


@given(st.floats(-200, 200), st.floats(-200, 200))
def test_a_position_is_a_wgs84_one_or_refused(lat: float, lon: float) -> None:
    now = dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)
    errors = domain.finding_errors("问题", "other", "general", 0, domain.Position(lat, lon, 5), None, now)
    assert ("position" in errors) == (not (-90 <= lat <= 90 and -180 <= lon <= 180))


def test_a_finding_names_what_was_found_its_category_and_gravity_and_a_sane_device_time() -> None:
    now = dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC)
    errors = domain.finding_errors("", "bad", "huge", domain.MAX_PHOTOS + 1, None, now + dt.timedelta(hours=2), now)
    assert set(errors) == {"text", "category", "severity", "photos", "device_time"}
    assert domain.escalates("major") and not domain.escalates("general")


@given(st.text(max_size=64), st.text(max_size=64))
def test_a_device_key_is_new_once_then_replays_its_own_body_and_refuses_any_other(recorded: str, sent: str) -> None:
    assert domain.keyed(None, sent) == domain.NEW
    assert domain.keyed(sent, sent) == domain.REPLAY
    assert domain.keyed(recorded, sent) == (domain.REPLAY if recorded == sent else domain.REUSED)
