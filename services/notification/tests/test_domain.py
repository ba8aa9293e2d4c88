"""Bulletins' rules as pure functions: periods, scope, within time, overdue, numbers, the workflow's moves."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libs.common.errors import FailedPrecondition, InvalidInput
from services.notification import domain
from services.notification.domain import ItemState

D = dt.date
DUE = D(2026, 7, 20)


def item(registered: D, closed: D | None = None, due: D | None = DUE, **kw: object) -> ItemState:
    fields: dict[str, object] = dict(item_id="i1", item_no="2026-001", title="t", category="general",
                                     key_tracking=False, unit_id="fgj", unit_name="区发展和改革局",
                                     registered_on=registered, due_date=due, original_due_date=due,
                                     extended=False, closed_on=closed) | kw
    return ItemState(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "code", "start", "end", "label"), [
    ("quarterly", "2026Q3", D(2026, 7, 1), D(2026, 9, 30), "2026年第三季度"),
    ("quarterly", "2026q1", D(2026, 1, 1), D(2026, 3, 31), "2026年第一季度"),
    ("semiannual", "2026H1", D(2026, 1, 1), D(2026, 6, 30), "2026年上半年"),
    ("semiannual", "2026H2", D(2026, 7, 1), D(2026, 12, 31), "2026年下半年"),
    ("monthly", "2026-02", D(2026, 2, 1), D(2026, 2, 28), "2026年2月"),
    ("monthly", "2026-12", D(2026, 12, 1), D(2026, 12, 31), "2026年12月"),
    ("clearance", "2026", D(2026, 1, 1), D(2026, 12, 31), "2026年度"),
])
def test_periods(kind: str, code: str, start: D, end: D, label: str) -> None:
    period = domain.parse_period(kind, code)
    assert (period.starts_on, period.ends_on, period.label, period.year) == (start, end, label, end.year)


@pytest.mark.parametrize(("kind", "code"), [("quarterly", "2026Q5"), ("quarterly", "2026H1"), ("semiannual", "2026H3"),
                                            ("monthly", "2026-13"), ("monthly", "2026Q1"), ("clearance", "26"),
                                            ("weekly", "2026W1")])
def test_bad_periods_are_refused_with_a_field(kind: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        domain.parse_period(kind, code)
    assert set(refused.value.field_errors) & {"period", "kind"}


def test_a_special_period_needs_its_days() -> None:
    assert domain.parse_period("special", "", "2026-08-01", "2026-08-31").ends_on == D(2026, 8, 31)
    with pytest.raises(InvalidInput):
        domain.parse_period("special", "", "2026-08-31", "2026-08-01")
    with pytest.raises(InvalidInput):
        domain.parse_period("special", "")


@given(st.sampled_from(["quarterly", "semiannual", "monthly"]), st.dates(D(2025, 1, 1), D(2028, 12, 31)))
def test_regular_periods_tile_the_calendar(kind: str, day: D) -> None:
    period = domain.period_of(kind, day)
    assert period.starts_on <= day <= period.ends_on
    after = domain.period_of(kind, period.ends_on + dt.timedelta(days=1))
    assert after.starts_on == period.ends_on + dt.timedelta(days=1)
    assert domain.parse_period(kind, period.code) == period


@given(st.sampled_from(["quarterly", "semiannual", "monthly"]), st.dates(D(2025, 1, 1), D(2027, 12, 31)),
       st.integers(0, 800))
def test_the_catch_up_list_is_every_ended_period_once(kind: str, since: D, days: int) -> None:
    today = since + dt.timedelta(days=days)
    periods = domain.ended_periods(kind, since, today)
    assert all(p.ends_on < today and p.ends_on >= since for p in periods)
    assert len({p.code for p in periods}) == len(periods)
    for before, after in zip(periods, periods[1:], strict=False):
        assert after.starts_on == before.ends_on + dt.timedelta(days=1)
    # the next period after the last listed one has not ended yet
    nxt = domain.period_of(kind, periods[-1].ends_on + dt.timedelta(days=1)) if periods else domain.period_of(kind, since)
    assert nxt.ends_on >= today or nxt.ends_on < since


def test_quarter_and_half_year_end_together() -> None:
    """Two documents when a quarter and a half-year end together: both are due the day after."""
    today = D(2026, 7, 1)
    assert [p.code for p in domain.ended_periods("quarterly", D(2026, 4, 1), today)] == ["2026Q2"]
    assert [p.code for p in domain.ended_periods("semiannual", D(2026, 1, 1), today)] == ["2026H1"]


@given(st.dates(D(2026, 1, 1), D(2026, 12, 31)), st.one_of(st.none(), st.dates(D(2026, 1, 1), D(2026, 12, 31))),
       st.dates(D(2026, 1, 1), D(2026, 12, 31)), st.integers(0, 120))
def test_scope_is_open_at_some_time_in_the_period(registered: D, closed: D | None, start: D, length: int) -> None:
    if closed is not None and closed < registered:
        closed = registered
    end = start + dt.timedelta(days=length)
    it = item(registered, closed)
    days_open = {registered + dt.timedelta(days=n) for n in range(((closed or D(2027, 12, 31)) - registered).days + 1)}
    days = {start + dt.timedelta(days=n) for n in range(length + 1)}
    assert domain.in_scope(it, start, end) == bool(days_open & days)


def test_within_time_counts_against_the_extended_deadline() -> None:
    extended = item(D(2026, 7, 1), closed=D(2026, 7, 28), due=D(2026, 7, 30), original_due_date=D(2026, 7, 10),
                    extended=True)
    assert domain.closed_within_time(extended, D(2026, 9, 30))
    late = item(D(2026, 7, 1), closed=D(2026, 7, 31), due=D(2026, 7, 30))
    assert not domain.closed_within_time(late, D(2026, 9, 30))
    assert not domain.closed_within_time(late, D(2026, 7, 30))  # as of a day before it closed: still open
    assert domain.overdue(late, D(2026, 7, 31)) is False  # closed that day
    assert domain.overdue(item(D(2026, 7, 1), due=D(2026, 7, 30)), D(2026, 7, 31))
    assert not domain.overdue(item(D(2026, 7, 1), due=D(2026, 7, 30)), D(2026, 7, 30))


def test_numbers() -> None:
    assert domain.document_no("平督通〔{year}〕{seq}号", 2026, 3, 1) == "平督通〔2026〕3号"
    assert domain.issue_label(2026, 3) == "2026年第3期"
    with pytest.raises(ValueError):
        domain.check_number_pattern("平督通〔{year}〕号")
    with pytest.raises(ValueError):
        domain.check_number_pattern("平督通〔{yr}〕{seq}号")


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_percent_is_half_up_to_a_tenth(part: int, whole: int) -> None:
    from decimal import ROUND_HALF_UP, Decimal

    expected = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert domain.percent(part, whole) == f"{expected}%"


def test_percent_of_nothing() -> None:
    assert domain.percent(0, 0) == "—"


def test_the_workflow_moves() -> None:
    assert domain.move("draft", "edit") == "edited"
    assert domain.move("returned", "submit") == "submitted"
    assert domain.move("submitted", "approve") == "approved"
    assert domain.move("submitted", "return") == "returned"
    assert domain.move("approved", "publish") == "published"
    for status, act in (("draft", "publish"), ("submitted", "edit"), ("draft", "approve"), ("published", "edit"),
                        ("approved", "edit"), ("published", "publish"), ("returned", "approve")):
        with pytest.raises(FailedPrecondition):
            domain.move(status, act)
