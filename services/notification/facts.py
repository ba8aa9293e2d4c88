"""What a bulletin says, computed from the items and problems it covers, pure: totals and percentages, the
table per unit, lagging units with their item numbers, red and yellow lists, inspection problems, the chart
of on-time rates, suggested commendations and criticisms, and the problems to be fixed. Every count is the
length of the list it comes from (tests/test_facts.py checks it on generated data), so the DOCX, the page and
the event say the same numbers.

On-time rate (按时办结率) of a unit: items closed within the time over items that were due (closed, or open
past their deadline); an open item not yet due counts for neither.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from libs.common import lights
from libs.common.calendar import WorkCalendar
from libs.common.lights import LightPolicy
from services.notification.domain import (
    ItemState,
    closed_as_of,
    closed_within_time,
    in_scope,
    overdue,
    percent,
)

COMMENDATION, CRITICISM = "commendation", "criticism"
SUGGESTED, KEPT, EDITED, STRUCK, ADDED = "suggested", "kept", "edited", "struck", "added"
RECTIFIED = "rectified"


@dataclass(frozen=True)
class Thresholds:
    """When the system suggests naming a unit (settings; the office decides)."""

    commend_min_closed: int = 3  # commend a unit that closed at least this many, all within the time, none overdue
    criticise_min_overdue: int = 1  # criticise a unit with at least this many overdue items (or an overdue rectification)
    requirement_working_days: int = 10  # a suggested problem is to be fixed within this many working days
    body_cap: int = 20  # lists longer than this are cut in the body (the annex has them all)


@dataclass(frozen=True)
class Problem:
    """An inspection problem (督查发现问题) and its rectification state."""

    finding_id: str
    item_id: str
    item_no: str
    unit_id: str
    unit_name: str
    text: str
    category: str
    severity: str
    rectification_status: str  # ordered | reported | rectified | overdue | none
    due_date: dt.date | None
    relapses: int
    recorded_on: dt.date
    rectified_on: dt.date | None = None


@dataclass(frozen=True)
class Line:
    item: ItemState
    closed: bool
    within_time: bool
    overdue: bool
    light: str  # open items: green | yellow | red; closed: ""
    working_days_late: int


@dataclass(frozen=True)
class UnitTally:
    unit_id: str
    unit_name: str
    in_scope: int
    closed: int
    closed_within_time: int
    extended: int
    overdue: int
    still_open: int
    lagging_item_nos: tuple[str, ...]

    @property
    def due(self) -> int:
        return self.closed + self.overdue

    @property
    def on_time_rate(self) -> float:
        return self.closed_within_time / self.due if self.due else 0.0

    @property
    def on_time_pct(self) -> str:
        return percent(self.closed_within_time, self.due)

    @property
    def lagging(self) -> bool:
        return self.overdue > 0

    @property
    def lagging_reason(self) -> str:
        return f"{self.overdue}件事项逾期未办结" if self.overdue else ""


@dataclass(frozen=True)
class Totals:
    in_scope: int
    closed: int
    closed_within_time: int
    extended: int
    overdue: int
    still_open: int
    red: int
    yellow: int

    @property
    def closed_pct(self) -> str:
        return percent(self.closed, self.in_scope)

    @property
    def within_time_pct(self) -> str:
        return percent(self.closed_within_time, self.closed)

    @property
    def overdue_pct(self) -> str:
        return percent(self.overdue, self.in_scope)


@dataclass(frozen=True)
class Bar:
    unit_id: str
    unit_name: str
    value: float
    label: str
    lagging: bool


@dataclass(frozen=True)
class Tally:
    as_of: dt.datetime
    totals: Totals
    units: tuple[UnitTally, ...]
    lines: tuple[Line, ...]  # every item in scope, in item_no order
    problems: tuple[Problem, ...]

    @property
    def overdue(self) -> list[Line]:
        return [line for line in self.lines if line.overdue]

    @property
    def red(self) -> list[Line]:
        return [line for line in self.lines if line.light == lights.RED]

    @property
    def yellow(self) -> list[Line]:
        return [line for line in self.lines if line.light == lights.YELLOW]

    @property
    def chart(self) -> list[Bar]:
        """The one structure the DOCX's picture and the page's chart are drawn from."""
        return [Bar(u.unit_id, u.unit_name, u.on_time_rate, u.on_time_pct, u.lagging) for u in self.units]


@dataclass(frozen=True)
class Mention:
    id: str
    kind: str  # commendation | criticism
    unit_id: str
    unit_name: str
    basis: str
    text: str
    state: str = SUGGESTED


@dataclass(frozen=True)
class Requirement:
    id: str
    unit_id: str
    unit_name: str
    text: str
    working_days: int = 0
    due_date: dt.date | None = None
    item_id: str = ""
    item_no: str = ""
    finding_id: str = ""
    leader_id: str = ""


def scope(items: Iterable[ItemState], start: dt.date, end: dt.date) -> list[ItemState]:
    return sorted((i for i in items if in_scope(i, start, end)), key=lambda i: (i.item_no, i.item_id))


def tally(items: Sequence[ItemState], problems: Sequence[Problem], as_of: dt.datetime, day: dt.date,
          calendar: WorkCalendar, policy: LightPolicy, raised: Mapping[str, Mapping[str, int]] | None = None) -> Tally:
    """The bulletin's facts over `items` (already in scope) as of `day` (the as-of time's office date).
    `raised`: per item, how many obligations of each source are past their day (libs/common/lights.py)."""
    raised = raised or {}
    lines = []
    for item in items:
        closed, late = closed_as_of(item, day), overdue(item, day)
        colour, days_late = "", 0
        if not closed and item.due_date is not None:
            light = lights.item_light(calendar, policy, item.due_date, day, raised=raised.get(item.item_id))
            colour = light.colour
            days_late = -light.working_days_left if late and light.working_days_left is not None else 0
        lines.append(Line(item, closed, closed_within_time(item, day), late, colour, days_late))
    by_unit: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        by_unit[line.item.unit_id].append(line)
    units = tuple(sorted((_unit(unit_lines) for unit_lines in by_unit.values()),
                         key=lambda u: (-u.on_time_rate if u.due else 1.0, u.unit_name, u.unit_id)))
    totals = Totals(
        in_scope=len(lines), closed=sum(1 for ln in lines if ln.closed),
        closed_within_time=sum(1 for ln in lines if ln.within_time),
        extended=sum(1 for ln in lines if ln.item.extended), overdue=sum(1 for ln in lines if ln.overdue),
        still_open=sum(1 for ln in lines if not ln.closed), red=sum(1 for ln in lines if ln.light == lights.RED),
        yellow=sum(1 for ln in lines if ln.light == lights.YELLOW))
    return Tally(as_of, totals, units, tuple(lines), tuple(problems))


def _unit(lines: list[Line]) -> UnitTally:
    first = lines[0].item
    return UnitTally(
        unit_id=first.unit_id, unit_name=first.unit_name, in_scope=len(lines),
        closed=sum(1 for ln in lines if ln.closed), closed_within_time=sum(1 for ln in lines if ln.within_time),
        extended=sum(1 for ln in lines if ln.item.extended), overdue=sum(1 for ln in lines if ln.overdue),
        still_open=sum(1 for ln in lines if not ln.closed),
        lagging_item_nos=tuple(ln.item.item_no for ln in lines if ln.overdue))


def problems_in(problems: Iterable[Problem], start: dt.date, end: dt.date, item_ids: set[str],
                unit_id: str = "", unlinked: bool = True) -> list[Problem]:
    """Inspection problems open at some time in the period, of the items in scope (and, for district
    bulletins that are not about one cadence only, those tied to no item); a department's only its own."""
    out = [p for p in problems
           if p.recorded_on <= end and (p.rectified_on is None or p.rectified_on >= start)
           and (p.item_id in item_ids or (unlinked and not p.item_id))
           and (not unit_id or p.unit_id == unit_id)]
    return sorted(out, key=lambda p: (p.recorded_on, p.finding_id))


def nos(values: Sequence[str], cap: int = 5) -> str:
    """Item numbers as a sentence names them: the first `cap`, then "等N件"."""
    shown = "、".join(values[:cap])
    return f"{shown}等{len(values)}件" if len(values) > cap else shown


def suggest_mentions(t: Tally, th: Thresholds) -> list[Mention]:
    """通报表扬 for units that closed at least `commend_min_closed` items, all within the time, none overdue
    and no rectification overdue; 通报批评 for units with at least `criticise_min_overdue` overdue items or an overdue rectification."""
    overdue_rect: dict[str, int] = defaultdict(int)
    for p in t.problems:
        if p.rectification_status == "overdue":
            overdue_rect[p.unit_id] += 1
    out = []
    for u in t.units:
        if u.closed >= th.commend_min_closed and u.closed_within_time == u.closed and u.overdue == 0 \
                and not overdue_rect.get(u.unit_id):
            basis = f"在通报范围内的{u.in_scope}件事项中办结{u.closed}件，均在时限内办结，按时办结率{u.on_time_pct}"
            out.append(Mention(f"{COMMENDATION}:{u.unit_id}", COMMENDATION, u.unit_id, u.unit_name, basis,
                               f"{u.unit_name}{basis}，予以通报表扬。"))
    names = {u.unit_id: u.unit_name for u in t.units} | {p.unit_id: p.unit_name for p in t.problems}
    for unit_id in sorted(names, key=lambda k: (names[k], k)):
        unit = next((u for u in t.units if u.unit_id == unit_id), None)
        late = unit.overdue if unit else 0
        rect = overdue_rect.get(unit_id, 0)
        if (late and late >= th.criticise_min_overdue) or rect:
            parts = []
            if late and unit is not None:
                parts.append(f"{late}件事项逾期未办结（{nos(unit.lagging_item_nos)}）")
            if rect:
                parts.append(f"{rect}个督查发现问题逾期未整改")
            basis = "，".join(parts)
            out.append(Mention(f"{CRITICISM}:{unit_id}", CRITICISM, unit_id, names[unit_id], basis,
                               f"{names[unit_id]}{basis}，予以通报批评。"))
    return out


def suggest_requirements(t: Tally, th: Thresholds) -> list[Requirement]:
    """限时整改: each criticised unit's overdue items, and each overdue rectification, to be fixed within
    `requirement_working_days` of publication."""
    out: list[Requirement] = []
    for u in t.units:
        late = [ln for ln in t.lines if ln.overdue and ln.item.unit_id == u.unit_id]
        if late and len(late) >= th.criticise_min_overdue:
            out.append(Requirement(
                f"r{len(out) + 1}", u.unit_id, u.unit_name,
                f"对逾期未办结的{len(late)}件事项（{nos([ln.item.item_no for ln in late])}）查明原因、限期办结",
                th.requirement_working_days, item_id=late[0].item.item_id, item_no=late[0].item.item_no,
                leader_id=late[0].item.leader_id))
    leaders = {ln.item.item_id: ln.item.leader_id for ln in t.lines}
    for p in t.problems:
        if p.rectification_status == "overdue":
            out.append(Requirement(f"r{len(out) + 1}", p.unit_id, p.unit_name,
                                   f"整改督查发现问题：{p.text[:80]}", th.requirement_working_days,
                                   item_id=p.item_id, item_no=p.item_no, finding_id=p.finding_id,
                                   leader_id=leaders.get(p.item_id, "")))
    return out


def named_units(t: Tally | None, mentions: Iterable[Mention], requirements: Iterable[Requirement]) -> list[str]:
    """Every unit the bulletin names: lagging ones, those commended or criticised (not struck), those
    required to fix a problem."""
    named = [u.unit_id for u in t.units if u.lagging] if t else []
    named += [m.unit_id for m in mentions if m.state != STRUCK and m.unit_id]
    named += [r.unit_id for r in requirements if r.unit_id]
    return sorted(set(named))


# -- 清零 ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clearance:
    year: int
    as_of: dt.datetime
    lines: tuple[Line, ...]  # every item registered in the year
    units: tuple[UnitTally, ...]

    @property
    def total(self) -> int:
        return len(self.lines)

    @property
    def closed(self) -> int:
        return sum(1 for ln in self.lines if ln.closed)

    @property
    def not_closed(self) -> list[Line]:
        return [ln for ln in self.lines if not ln.closed]

    @property
    def cleared(self) -> bool:
        return not self.not_closed

    @property
    def cleared_pct(self) -> str:
        return percent(self.closed, self.total)

    @property
    def chart(self) -> list[Bar]:
        return [Bar(u.unit_id, u.unit_name, u.closed / u.in_scope if u.in_scope else 0.0,
                    percent(u.closed, u.in_scope), u.still_open > 0) for u in self.units]


def clearance(items: Iterable[ItemState], year: int, as_of: dt.datetime, day: dt.date, calendar: WorkCalendar,
              policy: LightPolicy) -> Clearance:
    """Every item registered in `year`, closed or not (the rest with their reasons and units)."""
    of_year = sorted((i for i in items if i.registered_on.year == year), key=lambda i: (i.item_no, i.item_id))
    t = tally(of_year, (), as_of, day, calendar, policy)
    units = tuple(sorted(t.units, key=lambda u: (-u.still_open, u.unit_name, u.unit_id)))
    return Clearance(year, as_of, t.lines, units)
