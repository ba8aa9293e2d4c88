"""The bulletin's numbers are the lengths of its lists (every count equals the list it comes from), the
units' rows add up to the totals, and the suggestions follow from the facts - on generated items."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from libs.common.calendar import load_calendar
from libs.common.clock import OFFICE_TZ
from libs.common.lights import LightPolicy
from services.notification import facts
from services.notification.domain import ItemState, closed_within_time, in_scope, overdue, percent

CALENDAR = load_calendar()
POLICY = LightPolicy()
START, END = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
AS_OF = dt.datetime(2026, 10, 9, 9, 0, tzinfo=OFFICE_TZ)
UNITS = [("fgj", "区发展和改革局"), ("jyj", "区教育局"), ("czj", "区财政局"), ("sh", "三合镇")]


@st.composite
def items(draw: st.DrawFn) -> list[ItemState]:
    out = []
    for n in range(draw(st.integers(0, 25))):
        registered = draw(st.dates(dt.date(2026, 4, 1), dt.date(2026, 10, 8)))
        due = registered + dt.timedelta(days=draw(st.integers(5, 60)))
        extended = draw(st.booleans())
        closed = draw(st.one_of(st.none(), st.dates(registered, dt.date(2026, 11, 30))))
        unit = draw(st.sampled_from(UNITS))
        out.append(ItemState(
            item_id=f"id{n}", item_no=f"2026-{n:03d}", title=f"事项{n}", category="general", key_tracking=False,
            unit_id=unit[0], unit_name=unit[1], registered_on=registered,
            due_date=due + dt.timedelta(days=10) if extended else due, original_due_date=due, extended=extended,
            closed_on=closed, leader_id="ld-li"))
    return out


def _problems(rows: list[ItemState]) -> list[facts.Problem]:
    return [facts.Problem(f"f{i}", r.item_id, r.item_no, r.unit_id, r.unit_name, "台账不全", "台账缺失", "general",
                          "overdue" if i % 2 else "ordered", dt.date(2026, 8, 1), 0, dt.date(2026, 7, 15))
            for i, r in enumerate(rows[:3])]


@settings(max_examples=80, deadline=None)
@given(items())
def test_every_number_equals_the_list_it_comes_from(rows: list[ItemState]) -> None:
    day = AS_OF.date()
    scoped = facts.scope(rows, START, END)
    assert [r.item_id for r in scoped] == sorted((r.item_id for r in rows if in_scope(r, START, END)),
                                                key=lambda i: int(i[2:]))
    t = facts.tally(scoped, _problems(scoped), AS_OF, day, CALENDAR, POLICY)
    tot = t.totals
    assert tot.in_scope == len(t.lines) == len(scoped)
    assert tot.overdue == len(t.overdue) == sum(1 for r in scoped if overdue(r, day))
    assert tot.red == len(t.red) and tot.yellow == len(t.yellow)
    assert tot.closed == len([ln for ln in t.lines if ln.closed])
    assert tot.closed_within_time == len([r for r in scoped if closed_within_time(r, day)])
    assert tot.extended == len([r for r in scoped if r.extended])
    assert tot.still_open == tot.in_scope - tot.closed
    assert tot.overdue <= tot.still_open and tot.closed_within_time <= tot.closed
    # every overdue item is red (past its deadline), and red/yellow are open items only
    assert {ln.item.item_id for ln in t.overdue} <= {ln.item.item_id for ln in t.red}
    assert all(not ln.closed for ln in t.red + t.yellow)
    # the units' rows add up to the totals, and each names exactly its overdue items
    for field in ("in_scope", "closed", "closed_within_time", "extended", "overdue", "still_open"):
        assert sum(getattr(u, field) for u in t.units) == getattr(tot, field), field
    for u in t.units:
        assert list(u.lagging_item_nos) == [ln.item.item_no for ln in t.overdue if ln.item.unit_id == u.unit_id]
        assert u.lagging == (u.overdue > 0)
        assert u.on_time_pct == percent(u.closed_within_time, u.closed + u.overdue)
    assert [b.unit_id for b in t.chart] == [u.unit_id for u in t.units]
    assert tot.closed_pct == percent(tot.closed, tot.in_scope)


@settings(max_examples=50, deadline=None)
@given(items(), st.integers(1, 5), st.integers(1, 3))
def test_suggestions_follow_from_the_facts(rows: list[ItemState], commend: int, criticise: int) -> None:
    scoped = facts.scope(rows, START, END)
    t = facts.tally(scoped, _problems(scoped), AS_OF, AS_OF.date(), CALENDAR, POLICY)
    th = facts.Thresholds(commend_min_closed=commend, criticise_min_overdue=criticise)
    mentions = facts.suggest_mentions(t, th)
    units = {u.unit_id: u for u in t.units}
    late_rect = {p.unit_id for p in t.problems if p.rectification_status == "overdue"}
    for m in mentions:
        if m.kind == facts.COMMENDATION:
            u = units[m.unit_id]
            assert u.closed >= commend and u.overdue == 0 and u.closed_within_time == u.closed
        else:
            assert (m.unit_id in units and units[m.unit_id].overdue >= criticise) or m.unit_id in late_rect
        assert m.unit_name in m.text
    commended = {m.unit_id for m in mentions if m.kind == facts.COMMENDATION}
    criticised = {m.unit_id for m in mentions if m.kind == facts.CRITICISM}
    assert not commended & criticised
    assert commended == {u.unit_id for u in t.units if u.closed >= commend and u.overdue == 0
                         and u.closed_within_time == u.closed and u.unit_id not in late_rect}
    requirements = facts.suggest_requirements(t, th)
    assert len({r.id for r in requirements}) == len(requirements)
    named = facts.named_units(t, mentions, requirements)
    assert set(named) >= {u.unit_id for u in t.units if u.lagging} | criticised


@settings(max_examples=50, deadline=None)
@given(items())
def test_clearance_lists_every_item_of_the_year(rows: list[ItemState]) -> None:
    c = facts.clearance(rows, 2026, AS_OF, dt.date(2026, 12, 20), CALENDAR, POLICY)
    assert c.total == len([r for r in rows if r.registered_on.year == 2026])
    assert c.closed + len(c.not_closed) == c.total
    assert c.cleared == (c.closed == c.total)
    assert sum(u.still_open for u in c.units) == len(c.not_closed)


def test_a_quarter_by_hand() -> None:
    """Three items of one unit: one closed in time after an extension, one closed late, one overdue."""
    def it(n: int, due: dt.date, closed: dt.date | None, extended: bool = False) -> ItemState:
        return ItemState(f"i{n}", f"2026-00{n}", f"事项{n}", "general", False, "fgj", "区发展和改革局",
                         dt.date(2026, 7, 1), due, due, extended, closed)
    rows = [it(1, dt.date(2026, 7, 20), dt.date(2026, 7, 18), extended=True),
            it(2, dt.date(2026, 7, 20), dt.date(2026, 7, 22)), it(3, dt.date(2026, 8, 20), None),
            it(4, dt.date(2026, 10, 30), None)]
    t = facts.tally(facts.scope(rows, START, END), [], AS_OF, AS_OF.date(), CALENDAR, POLICY)
    assert (t.totals.in_scope, t.totals.closed, t.totals.closed_within_time, t.totals.extended, t.totals.overdue,
            t.totals.still_open) == (4, 2, 1, 1, 1, 2)
    (unit,) = t.units
    assert unit.on_time_pct == "33.3%" and unit.lagging_item_nos == ("2026-003",)
    assert t.overdue[0].working_days_late > 0
    assert [ln.item.item_no for ln in t.red] == ["2026-003"] and not t.yellow
