"""The ledger's pure rules: registration checks, due dates by category, numbering, history diff."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from libs.common.calendar import load_calendar
from services.ledger import domain

CAL = load_calendar()
UNITS = frozenset({"fgj", "jyj"})


def reg(**kw) -> domain.Registration:
    base: dict[str, Any] = dict(title="事项", content="", source="other", category="general", key_tracking=False,
                lead_unit_id="fgj", known_units=UNITS)
    base.update(kw)
    return domain.Registration(**base)


def test_eight_sources_in_seed_order() -> None:
    assert list(domain.SOURCES) == ["central_decision", "district_meeting", "work_report", "leader_instruction",
                                    "leader_assignment", "system_710", "bulletin_rectification", "other"]


def test_valid_registration_has_no_errors() -> None:
    assert domain.check_registration(reg(co_units=(("jyj", "配合"),))) == {}


def test_every_problem_is_reported_at_once() -> None:
    errors = domain.check_registration(reg(title="", source="x", category="y", lead_unit_id="",
                                           co_units=(("zz", ""),), registered_on="bad", due_date="2026-01-01"))
    assert set(errors) == {"title", "source", "category", "lead_unit_id", "co_units[0].unit_id", "registered_on",
                           "due_date_reason"}


def test_co_unit_equal_to_lead_is_refused() -> None:
    assert "co_units[0].unit_id" in domain.check_registration(reg(co_units=(("fgj", ""),)))


def test_policy_days_are_settings() -> None:
    policy = domain.DuePolicy(general_days=5, complex_days=15)
    start = dt.date(2026, 11, 2)
    assert domain.compute_due_date(CAL, policy, "general", start).value == dt.date(2026, 11, 9)
    assert domain.compute_due_date(CAL, policy, "complex", start).value == dt.date(2026, 11, 23)


@settings(max_examples=200, deadline=None)
@given(start=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 11, 30)))
def test_complex_never_due_before_general(start: dt.date) -> None:
    policy = domain.DuePolicy()
    general = domain.compute_due_date(CAL, policy, "general", start).value
    complex_ = domain.compute_due_date(CAL, policy, "complex", start).value
    assert start < general < complex_
    assert CAL.working_days_between(general, complex_) == 3


def test_diff_lists_only_changed_fields() -> None:
    assert domain.diff({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "x"}) == [("b", "2", "3"), ("c", "", "x")]


def test_normalise_whitespace() -> None:
    assert domain.normalise("  推进  老旧\n小区 ") == "推进 老旧 小区"


def test_assessment_year_is_the_registration_year_unless_given() -> None:
    assert domain.assessment_year_of(0, dt.date(2025, 12, 31)) == 2025
    assert domain.assessment_year_of(2026, dt.date(2025, 12, 31)) == 2026
    assert "assessment_year" not in domain.check_registration(reg())  # 0: the registration year
    assert domain.check_registration(reg(assessment_year=1999)) == {"assessment_year": "考核年度应为2000至2100之间的年份"}
    assert domain.check_registration(reg(assessment_year=2100)) == {}


@given(before=st.one_of(st.none(), st.integers(2000, 2100)), after=st.integers(2000, 2100),
       frozen=st.frozensets(st.integers(2000, 2100), max_size=5))
def test_no_item_enters_or_leaves_a_frozen_year(before: int | None, after: int, frozen: frozenset[int]) -> None:
    refusal = domain.frozen_year_refusal(before, after, frozen)
    moves = before != after
    touches = after in frozen or (before is not None and before in frozen)
    assert (refusal is not None) == (moves and touches)
    if refusal:
        year = before if before is not None and before in frozen else after
        assert refusal.startswith(f"{year}年度考核已确认（冻结），不能再")


def test_frozen_year_refusals_say_which_year_and_what_is_refused() -> None:
    frozen = {2025}
    assert domain.frozen_year_refusal(2025, 2026, frozen) == "2025年度考核已确认（冻结），不能再改动考核年度"
    assert domain.frozen_year_refusal(2026, 2025, frozen) == "2025年度考核已确认（冻结），不能再改动考核年度"
    assert domain.frozen_year_refusal(None, 2025, frozen) == "2025年度考核已确认（冻结），不能再登记考核年度为2025年的事项"
    assert domain.frozen_year_refusal(2025, 2025, frozen) is None
    assert domain.frozen_year_refusal(None, 2026, frozen) is None
