"""The assessment's rules as pure functions: shares, weights, caps, rounding, the reasons' wording, and
the rule set's schema."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from libs.common.calendar import load_calendar
from libs.common.errors import InvalidInput
from services.evaluation import domain, rule_sets
from services.evaluation.domain import ItemFacts, Party

RULES = rule_sets.default_for(2026)
CAL = load_calendar()


def item(key_tracking: bool = False, co: int = 1, approved_due: str = "") -> ItemFacts:
    units = [Party("fgj", "区发改局", "fgj", "lead")] + [Party(f"co{i}", f"配合{i}", f"co{i}", "co") for i in range(co)]
    return ItemFacts("i1", "2026-0042", "事项", 2026, key_tracking, units, Party("p1", "张伟", "fgj"),
                     Party("l1", "李明", "dcs"), "2026-05-12", approved_due)


def test_the_issue_example_reads_as_the_office_writes_it() -> None:
    # 2026-05-12 (Tue) closed 05-15 (Fri): 13, 14, 15 = 3 working days late
    drafts = domain.on_closed(item(co=0), "2026-05-15", RULES, CAL)
    lead = next(d for d in drafts if d.subject.kind == "unit")
    assert lead.explanation == "2026-0042 超期3个工作日（原完成时限2026-05-12，无批准转期），2026-05-15销号，-3分"
    assert lead.points_centi == -300 and lead.rule == "closed_late"
    assert {d.subject.kind for d in drafts} == {"unit", "person", "leader"}


def test_an_approved_extension_moves_the_deadline_it_is_counted_against() -> None:
    assert domain.on_closed(item(approved_due="2026-05-20"), "2026-05-15", RULES, CAL)[0].rule == "closed_on_time"
    late = domain.on_closed(item(approved_due="2026-05-14"), "2026-05-15", RULES, CAL)[0]
    assert late.points_centi == -100 and "批准转期后完成时限2026-05-14（原完成时限2026-05-12）" in late.explanation


def test_co_units_share_and_key_tracking_weighs() -> None:
    drafts = {(d.subject.kind, d.subject.id): d for d in domain.on_closed(item(True, 2), "2026-05-15", RULES, CAL)}
    assert drafts[("unit", "fgj")].points_centi == -450
    assert drafts[("unit", "co0")].points_centi == -225 and drafts[("unit", "co1")].points_centi == -225
    assert drafts[("person", "p1")].points_centi == -450
    assert "重点督办、配合单位按0.75倍计" in drafts[("unit", "co0")].explanation


@given(st.integers(min_value=0, max_value=400))
def test_late_points_stop_at_the_cap_and_never_turn_positive(days_after: int) -> None:
    closed = (dt.date(2026, 5, 12) + dt.timedelta(days=days_after)).isoformat()
    drafts = domain.on_closed(item(), closed, RULES, CAL)
    lead = next(d for d in drafts if d.subject.kind == "unit" and d.subject.id == "fgj")
    if lead.rule == "closed_on_time":
        assert days_after == 0 or domain.late_days(CAL, "2026-05-12", closed) == 0
    else:
        assert -1000 <= lead.points_centi < 0
        assert lead.points_centi == max(-100 * domain.late_days(CAL, "2026-05-12", closed), -1000)


@given(st.integers(min_value=-100000, max_value=100000), st.integers(min_value=0, max_value=1000))
def test_scaling_rounds_half_away_from_zero_in_integers(centi: int, factor: int) -> None:
    exact = centi * factor / 100
    got = domain.scaled(centi, factor)
    assert abs(got - exact) <= 0.5
    assert domain.scaled(-centi, factor) == -got


def test_the_same_fact_gives_the_same_entry_id() -> None:
    a = domain.on_closed(item(), "2026-05-15", RULES, CAL)
    b = domain.on_closed(item(), "2026-05-15", RULES, CAL)
    assert [d.id for d in a] == [d.id for d in b] and len({d.id for d in a}) == len(a)


def test_the_rule_in_force_is_the_newest_effective_one() -> None:
    v2 = rule_sets.parse(rule_sets.default_text(), 2, "2026-07-01")
    assert getattr(domain.effective([RULES, v2], "2026-06-30"), "version", 0) == 1
    assert getattr(domain.effective([RULES, v2], "2026-07-01"), "version", 0) == 2


@pytest.mark.parametrize("text, where", [
    ("rules: {closed_late: {points: -1}}", "(根)"),
    ("rules: {no_such_rule: {points: 1}}\nweights: {key_tracking: 1, lead_share: 1, co_share: 0.5}", "rules"),
    ("rules: {closed_late: {points: -1, cap: 3}}\nweights: {key_tracking: 1, lead_share: 1, co_share: 0.5}",
     "rules/closed_late/cap"),
    ("rules: [", "YAML"),
])
def test_a_bad_rule_set_is_refused_naming_the_place(text: str, where: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        rule_sets.parse(text)
    assert where in refused.value.field_errors["yaml"]


def test_points_read_as_chinese_points() -> None:
    assert domain.points_text(-300) == "-3分"
    assert domain.points_text(150) == "+1.5分"
    assert domain.points_text(-225) == "-2.25分"
