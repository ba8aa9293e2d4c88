"""Red / yellow / green (红黄绿灯): the one light of an item, a pure function of its deadline, today,
the calendar and what raises it.

Green: more than `yellow_within` working days left. Yellow: due within that many working days
(or today). Red: past the deadline and not closed. An obligation of the item that passed its day unmet
raises the light as far as its source says (`RAISERS`): a progress report not filed to yellow, a
rectification order overdue (立督立纠，限时整改) to red - never lower than the deadline's own colour.
Closed items have no light at all, only "已办结": nothing is due any more. The reason is plain Chinese so
anyone can see why an item has its colour (DESIGN #3): the deadline's words, then each raiser's.

Tracking owns the light (it knows the reports, and keeps what other services publish about its items);
the ledger shows the same light from a projection of the raisers (`item.raisers_changed` events of
tracking and inspection), computed by the same functions here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass

from libs.common.calendar import WorkCalendar
from libs.common.deadline_text import provisional_note

GREEN, YELLOW, RED = "green", "yellow", "red"
NO_LIGHT = ""  # a closed item's: no colour (a green badge made a closed item look like one still running)
CLOSED_REASON = "已办结"
LABELS = {GREEN: "绿灯", YELLOW: "黄灯", RED: "红灯"}


@dataclass(frozen=True)
class LightPolicy:
    yellow_within: int = 2  # working days left at or below which the light turns yellow


@dataclass(frozen=True)
class Light:
    colour: str
    reason: str
    working_days_left: int | None  # negative when overdue; None when closed or not countable


def _holidays_between(calendar: WorkCalendar, start: dt.date, end: dt.date) -> list[str]:
    return [f"{name}{count}天" for name, count in calendar.named_days_off(start, end, provisional=True)]


def light_of(
    calendar: WorkCalendar, policy: LightPolicy, due: dt.date, today: dt.date, closed: bool = False,
    provisional: bool = False,
) -> Light:
    """The deadline's light. Computed once per distinct (calendar, policy, due, today, closed,
    provisional): a page of items has a handful of deadlines, and a Light is immutable."""
    return _light_of(calendar, policy, due, today, closed, provisional)


@functools.lru_cache(maxsize=8192)
def _light_of(
    calendar: WorkCalendar, policy: LightPolicy, due: dt.date, today: dt.date, closed: bool, provisional: bool,
) -> Light:
    if closed:
        return Light(NO_LIGHT, CLOSED_REASON, None)
    # A year without a table is counted as the deadline was: with its statutory holidays (provisional).
    missing = calendar.missing_years(today, due)
    note = f"（{provisional_note(missing or (due.year,))}）" if provisional or missing else ""
    if today > due:
        late = calendar.working_days_between(due, today, provisional=True)
        return Light(RED, f"已超过完成时限{due.isoformat()}，逾期{late}个工作日{note}", -late)
    left = calendar.working_days_between(today, due, provisional=True)
    holidays = _holidays_between(calendar, today, due)
    counted = f"（已扣除{'、'.join(holidays)}）" if holidays else ""
    if left <= policy.yellow_within:
        when = "今天到期" if left == 0 else f"距完成时限{due.isoformat()}仅剩{left}个工作日"
        return Light(YELLOW, f"{when}{counted}{note}", left)
    return Light(GREEN, f"距完成时限{due.isoformat()}还有{left}个工作日{counted}{note}", left)


@dataclass(frozen=True)
class Raiser:
    """How far an obligation past its day raises an item's light, and what the reason says of it."""

    colour: str  # YELLOW or RED
    text: str  # "{n}": how many of the source's obligations are past their day


# The sources of item.raisers_changed (its `source` field), named here because the publisher and every
# reader use them. A new service whose obligations raise the light adds its row and publishes the event.
REPORTS = "tracking.report"  # expected progress reports (tracking)
RECTIFICATIONS = "inspection.rectification"  # rectification orders with a deadline (inspection)
RAISERS = {
    REPORTS: Raiser(YELLOW, "有{n}次进展汇报未按时报送"),
    RECTIFICATIONS: Raiser(RED, "有{n}项整改逾期未完成"),
}
# Order of the colours, for "never lower than the deadline's own".
RANK = {NO_LIGHT: 0, GREEN: 1, YELLOW: 2, RED: 3}


def raiser(source: str) -> Raiser:
    """The source's row; one this version does not know yet (a newer publisher's) raises to yellow and
    names itself, so an unknown obligation is shown rather than dropped."""
    return RAISERS.get(source) or Raiser(YELLOW, source + "{n}")


def sources_raising_to(colour: str) -> tuple[str, ...]:
    """The known sources that raise to `colour` (SQL filters compare the source with these)."""
    return tuple(sorted(source for source, r in RAISERS.items() if r.colour == colour))


def raised_colour(raised: Mapping[str, int]) -> str:
    """The highest colour the obligations past their day raise to (`raised`: how many per source);
    NO_LIGHT when none is."""
    return max((raiser(source).colour for source, n in raised.items() if n), key=RANK.__getitem__, default=NO_LIGHT)


def raised_text(raised: Mapping[str, int]) -> str:
    return "；".join(raiser(source).text.format(n=n) for source, n in sorted(raised.items()) if n)


def item_light(
    calendar: WorkCalendar, policy: LightPolicy, due: dt.date, today: dt.date, closed: bool = False,
    provisional: bool = False, raised: Mapping[str, int] | None = None,
) -> Light:
    """The item's light: the deadline's, raised while obligations are past their day (`raised`: how
    many per source; each source raises as far as RAISERS says), which is what drives urging. Memoised
    like light_of."""
    return _item_light(calendar, policy, due, today, closed, provisional,
                       tuple(sorted(raised.items())) if raised else ())


@functools.lru_cache(maxsize=8192)
def _item_light(
    calendar: WorkCalendar, policy: LightPolicy, due: dt.date, today: dt.date, closed: bool, provisional: bool,
    raised: tuple[tuple[str, int], ...],
) -> Light:
    light = _light_of(calendar, policy, due, today, closed, provisional)
    raised_to = raised_colour(dict(raised))
    if closed or not raised_to:
        return light
    colour = max(light.colour, raised_to, key=RANK.__getitem__)
    return Light(colour, f"{light.reason}；{raised_text(dict(raised))}", light.working_days_left)


def colour_by_dates(due: dt.date, today: dt.date, last_yellow: dt.date, raised: str = NO_LIGHT) -> str:
    """item_light's colour for an open item from dates alone (`last_yellow` from last_yellow_deadline;
    `raised` from raised_colour): what lists and boards compute in SQL for every item at once."""
    if due < today or raised == RED:
        return RED
    if due <= last_yellow or raised == YELLOW:
        return YELLOW
    return GREEN


@functools.lru_cache(maxsize=256)
def last_yellow_deadline(calendar: WorkCalendar, policy: LightPolicy, today: dt.date) -> dt.date:
    """The latest deadline that shows yellow today: earlier deadlines from today on are yellow, later
    ones green, past ones red. The colour only rises as the deadline nears, so one scan forward finds
    the edge; lists then classify any number of items by comparing dates (before today if none is).
    """
    last = today - dt.timedelta(days=1)
    day = today
    for _ in range(400):  # more than a year of holidays between two yellow days cannot happen
        if light_of(calendar, policy, day, today).colour != YELLOW:
            break
        last = day
        day += dt.timedelta(days=1)
    return last
