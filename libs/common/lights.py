"""Red / yellow / green (红黄绿灯): a pure function of the deadline, today and the calendar.

Green: more than `yellow_within` working days left. Yellow: due within that many working days
(or today). Red: past the deadline and not closed. Closed items are grey-free: they show green with
"已办结". The reason is plain Chinese so anyone can see why an item has its colour (DESIGN #3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from libs.common.calendar import CalendarYearMissing, WorkCalendar

GREEN, YELLOW, RED = "green", "yellow", "red"
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
    names: dict[str, int] = {}
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if calendar.has_year(day.year) and not calendar.is_working_day(day) and (name := calendar.day_name(day)):
            names[name] = names.get(name, 0) + 1
    return [f"{name}{count}天" for name, count in names.items()]


def light_of(
    calendar: WorkCalendar, policy: LightPolicy, due: dt.date, today: dt.date, closed: bool = False,
    provisional: bool = False,
) -> Light:
    if closed:
        return Light(GREEN, "已办结销号", None)
    note = "（完成时限为暂定：该年度节假日安排尚未载入）" if provisional else ""
    try:
        if today > due:
            late = calendar.working_days_between(due, today)
            return Light(RED, f"已超过完成时限{due.isoformat()}，逾期{late}个工作日{note}", -late)
        left = calendar.working_days_between(today, due)
    except CalendarYearMissing as missing:
        days = (due - today).days
        colour = RED if days < 0 else (YELLOW if days <= policy.yellow_within else GREEN)
        return Light(colour, f"{missing.year}年节假日安排未载入，按自然日估算还剩{days}天", None)
    holidays = _holidays_between(calendar, today, due)
    counted = f"（已扣除{'、'.join(holidays)}）" if holidays else ""
    if left <= policy.yellow_within:
        when = "今天到期" if left == 0 else f"距完成时限{due.isoformat()}仅剩{left}个工作日"
        return Light(YELLOW, f"{when}{counted}{note}", left)
    return Light(GREEN, f"距完成时限{due.isoformat()}还有{left}个工作日{counted}{note}", left)


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
