"""Tracking's rules, pure: notice deadline, acknowledgement hours, report schedules, lights, extensions.

Reads like seed Art. 6.2-6.7: the notice goes out within 2 working days of registration; units sign
for it; routine items report weekly, sum up monthly, are checked quarterly; a unit that cannot finish
applies - before the deadline - for an extension its responsible leader signs; a unit that missed its
deadline analyses the root cause before anything else is accepted; the leader signs the completion
report and the item is closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from libs.common import lights, vocabulary
from libs.common.calendar import WorkCalendar
from libs.common.clock import OFFICE_TZ
from libs.common.errors import FailedPrecondition, InvalidInput
from libs.common.lights import GREEN, RED, YELLOW, Light, LightPolicy

OPEN_STATUSES = ("awaiting_notice", "notified", "in_progress", "replied", "completion_filled")
CLOSED_STATUSES = ("closed", "archived")
CHASED_STATUSES = ("awaiting_notice", "notified", "in_progress")  # open and still the unit's turn
# An expected report still owed (not filed, not cancelled by the item's closure): what raises the light.
OWED_REPORTS = ("expected", "missed")

# The item's course (Art. 6.2-6.8): the one table of allowed moves. Signed for by every unit, a notified
# item is in progress; a unit may reply without signing first (its reply shows the notice arrived);
# the leader signs a filled completion report or sends it back to the office.
TRANSITIONS: dict[str, frozenset[str]] = {
    "awaiting_notice": frozenset({"notified"}),
    "notified": frozenset({"in_progress", "replied"}),
    "in_progress": frozenset({"replied"}),
    "replied": frozenset({"completion_filled"}),
    "completion_filled": frozenset({"closed", "replied"}),
    "closed": frozenset({"archived"}),
    "archived": frozenset(),
}


def move(current: str, to: str) -> str:
    """The new status; FailedPrecondition if the table has no such move (a use case's own check with a
    precise message comes first - this is the guard that no path bypasses the table)."""
    if to not in TRANSITIONS.get(current, frozenset()):
        raise FailedPrecondition(f"no move from {current} to {to}",
                                 {"status": f"当前状态（{STATUS_LABELS.get(current, current)}）不能办理此操作"})
    return to
STATUS_LABELS = vocabulary.STATUSES
PERIOD_LABELS = vocabulary.PERIODS
REPORT_KINDS = vocabulary.REPORT_KINDS


@dataclass(frozen=True)
class TrackingPolicy:
    notice_working_days: int = 2
    ack_working_hours: int = 4
    workday_start: dt.time = dt.time(9, 0)
    workday_end: dt.time = dt.time(17, 0)
    cadences: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"general": ("weekly",), "complex": ("weekly", "monthly")}
    )
    light: LightPolicy = LightPolicy()

    def cadence_for(self, category: str, key_tracking: bool) -> tuple[str, ...]:
        periods = self.cadences.get(category, ("weekly",))
        # Key-tracking items are bulletined monthly until done (Art. 7.1): they sum up monthly too.
        if key_tracking and "monthly" not in periods:
            periods = periods + ("monthly",)
        return periods


def _working(calendar: WorkCalendar, day: dt.date) -> bool:
    # A year without a table: its statutory holidays are known, its 调休 swaps not (provisional).
    return calendar.is_working_day(day, provisional=True)


def notice_due_on(calendar: WorkCalendar, policy: TrackingPolicy, registered_on: dt.date) -> dt.date:
    """Art. 6.2: the supervision notice is due within 2 working days of registration."""
    return calendar.add_working_days_provisional(registered_on, policy.notice_working_days).value


def add_working_hours(
    calendar: WorkCalendar, policy: TrackingPolicy, start: dt.datetime, hours: float
) -> dt.datetime:
    """`start` (local, aware) plus office hours on working days only."""
    remaining = dt.timedelta(hours=hours)
    tz = start.tzinfo
    t = start
    while True:
        day = t.date()
        opens = dt.datetime.combine(day, policy.workday_start, tz)
        closes = dt.datetime.combine(day, policy.workday_end, tz)
        if not _working(calendar, day) or t >= closes:
            t = dt.datetime.combine(day + dt.timedelta(days=1), policy.workday_start, tz)
            continue
        t = max(t, opens)
        if remaining <= closes - t:
            return t + remaining
        remaining -= closes - t
        t = dt.datetime.combine(day + dt.timedelta(days=1), policy.workday_start, tz)


def _last_working_day(calendar: WorkCalendar, first: dt.date, last: dt.date) -> dt.date | None:
    day = last
    while day >= first:
        if _working(calendar, day):
            return day
        day -= dt.timedelta(days=1)
    return None


def _periods(period: str, start: dt.date, end: dt.date) -> Iterator[tuple[dt.date, dt.date]]:
    """(first, last) calendar days of each week / month / quarter touching [start, end]."""
    if period == "weekly":
        first = start - dt.timedelta(days=start.weekday())
        while first <= end:
            yield first, first + dt.timedelta(days=6)
            first += dt.timedelta(days=7)
        return
    months = 1 if period == "monthly" else 3
    month = start.month if months == 1 else 3 * ((start.month - 1) // 3) + 1
    first = dt.date(start.year, month, 1)
    while first <= end:
        nxt_month = first.month + months
        nxt = dt.date(first.year + (nxt_month - 1) // 12, (nxt_month - 1) % 12 + 1, 1)
        yield first, nxt - dt.timedelta(days=1)
        first = nxt


@dataclass(frozen=True)
class Expected:
    period: str
    period_start: dt.date
    due_on: dt.date


def report_schedule(
    calendar: WorkCalendar, periods: tuple[str, ...], assigned_on: dt.date, due_date: dt.date
) -> list[Expected]:
    """Every report the units owe between assignment and the deadline, each on its period's last
    working day. None is due on or after the deadline: the written reply covers that (never ask twice)."""
    expected = []
    for period in periods:
        for first, last in _periods(period, assigned_on, due_date):
            due_on = _last_working_day(calendar, max(first, assigned_on), min(last, due_date))
            if due_on is not None and assigned_on < due_on < due_date:
                expected.append(Expected(period, first, due_on))
    return sorted(expected, key=lambda e: (e.due_on, e.period))


def report_light(due_on: dt.date, today: dt.date, filed: bool, cancelled: bool = False) -> str:
    """A report's own light; a report the closure cancelled has none (nothing is awaited)."""
    if cancelled:
        return ""
    if filed:
        return GREEN
    if today > due_on:
        return RED
    return YELLOW if today == due_on else GREEN


REPORTS = lights.REPORTS  # the light raiser source of expected progress reports (tracking's own)


def item_light(
    calendar: WorkCalendar, policy: TrackingPolicy, due: dt.date, today: dt.date, closed: bool,
    missed_reports: int, provisional: bool = False, raised: Mapping[str, int] | None = None,
) -> Light:
    """The item's light (libs.common.lights.item_light), raised while expected reports are missing and
    by what other services' obligations are past their day (`raised`: how many per source, from
    raised_by_others)."""
    counts = {**raised, REPORTS: missed_reports} if raised else {REPORTS: missed_reports}
    return lights.item_light(calendar, policy.light, due, today, closed, provisional, raised=counts)


def raised_by_others(raisers: Iterable[Any], today: dt.date) -> dict[str, int]:
    """Per source, the obligations other services keep open about the item (rows with `source` and
    `due_on`) whose day has passed: what item_light's `raised` counts."""
    counts: dict[str, int] = {}
    for r in raisers:
        if r.due_on < today:
            counts[r.source] = counts.get(r.source, 0) + 1
    return counts


def check_extension(
    today: dt.date, due_date: dt.date, status: str, reason: str, new_due_date: dt.date, pending: bool,
    calendar: WorkCalendar,
) -> None:
    """Designed as a signed decision taken before the deadline, not a way to excuse lateness; the new
    deadline is a working day (the next one is suggested)."""
    if status not in ("notified", "in_progress"):
        raise FailedPrecondition(f"no extension in status {status}", {"status": "当前状态不能申请转期"})
    if pending:
        raise FailedPrecondition("an extension request is already pending", {"extension": "已有待审批的转期申请"})
    errors = {}
    suggestions = {}
    refused = calendar.day_off_refusal(new_due_date)
    if today > due_date:
        errors["new_due_date"] = f"转期须在完成时限（{due_date.isoformat()}）前申请；逾期事项应剖析原因、提出整改措施"
    elif new_due_date <= due_date:
        errors["new_due_date"] = "新的完成时限须晚于现完成时限"
    elif refused is not None:
        errors["new_due_date"], suggestions["new_due_date"] = refused[0], refused[1].isoformat()
    if not reason.strip():
        errors["reason"] = "请说明不能按时办结的原因"
    if errors:
        raise InvalidInput("invalid extension request", errors, suggestions)


def check_unsigned_confirmed(unsigned: list[str], confirmed: bool) -> None:
    """Closing an item an undertaking unit never signed for is the office's conscious choice: without
    its confirmation the completion report is refused, naming the units (`unsigned`: their names)."""
    if unsigned and not confirmed:
        raise FailedPrecondition(
            f"{len(unsigned)} undertaking unit(s) never signed for the notice; confirm_unsigned is required",
            {"confirm_unsigned": f"{'、'.join(unsigned)}尚未签收督办通知。如确认仍要办结，请勾选“确认办结”后再提交"})


def cancel_owed_reports(expected: Iterable[Any]) -> int:
    """Closure ends what was still awaited: reports not yet due, or due after the unit had replied (it
    could not file any more), are no longer owed - cancelled, neither due nor counted as missed. A report
    the sweep already marked missed while the unit was still at work stays missed. Returns how many."""
    cancelled = 0
    for e in expected:
        if e.status == "expected":
            e.status = "cancelled"
            cancelled += 1
    return cancelled


def is_late(today: dt.date, due_date: dt.date) -> bool:
    """Past the working deadline (an approved extension moved it; lateness does not)."""
    return today > due_date


def needs_failure_analysis(today: dt.date, due_date: dt.date, analysed: bool, closed: bool = False) -> bool:
    """Art. 6.5: a unit that did not finish in time must analyse the root cause and propose measures
    (in its written reply) before anything else it files is accepted."""
    return not closed and not analysed and is_late(today, due_date)


def missed_reports(expected: Iterable[Any], today: dt.date) -> int:
    """Expected reports whose day has passed without a report (they raise the light and drive urging)."""
    return sum(1 for e in expected if e.status in OWED_REPORTS and e.due_on < today)


def timeline(calendar: WorkCalendar, policy: TrackingPolicy, a: Any) -> list[tuple[dt.date, str]]:
    """Why the item stands where it stands, in plain Chinese, by day: registration, notice, holidays
    and make-up days counted, extensions, reports, reply, closure (`a` is an assignment)."""
    kind = "复杂" if a.category == "complex" else "一般"
    entries: list[tuple[dt.date, str]] = [
        (a.registered_on, f"立项（{a.item_no}），{kind}事项"),
        (a.notice_due_on, f"督办通知应发出的最后一天（立项后{policy.notice_working_days}个工作日）"),
    ]
    if a.notice_issued_at:
        day = a.notice_issued_at.astimezone(OFFICE_TZ).date()
        entries.append((day, f"发出督办通知 {a.notice_no}{'（逾期发出）' if day > a.notice_due_on else ''}"))
    day, end = a.registered_on, max(a.due_date, a.original_due_date)
    while day < end:
        day += dt.timedelta(days=1)
        known = calendar.has_year(day.year)
        if not known and (day == a.registered_on + dt.timedelta(days=1) or (day.month, day.day) == (1, 1)):
            entries.append((day, f"{day.year}年节假日安排国务院尚未公布：暂按法定节假日和周末计算，"
                                 "调休、补休待公布后确认"))
        name = calendar.day_name(day, provisional=True)
        if name:
            counted = ("调休上班，计入工作日" if calendar.is_working_day(day, provisional=True)
                       else "法定节假日，不计工作日")
            entries.append((day, f"{name}：{counted}{'' if known else '（暂定）'}"))
    for ext in a.extensions:
        entries.append((ext.requested_at.astimezone(OFFICE_TZ).date(),
                        f"申请转期至 {ext.new_due_date.isoformat()}：{ext.reason}"))
        if ext.decided_at:
            verdict = "同意" if ext.status == "approved" else "不同意"
            entries.append((ext.decided_at.astimezone(OFFICE_TZ).date(), f"责任领导{verdict}转期"))
    for expected in a.expected:
        state = vocabulary.EXPECTED_STATUSES.get(expected.status, "")
        entries.append((expected.due_on, f"{PERIOD_LABELS[expected.period]}截止（{state}）"))
    if a.original_due_date != a.due_date:
        entries.append((a.original_due_date, "原完成时限（保留，考核以此为准，除非转期已批准）"))
    entries.append((a.due_date, "完成时限"))
    if a.replied_at:
        entries.append((a.replied_at.astimezone(OFFICE_TZ).date(), "承办单位书面回复办理结果"))
    if a.closed_at:
        entries.append((a.closed_at.astimezone(OFFICE_TZ).date(), "责任领导签字，销号"))
    entries.sort(key=lambda e: e[0])
    return entries


def check_reply(late: bool, result: str, root_cause: str, measures: str) -> None:
    errors = {}
    if not result.strip():
        errors["result"] = "请填写办理结果"
    if late and not root_cause.strip():
        errors["root_cause"] = "事项已超过完成时限，须剖析问题根源"
    if late and not measures.strip():
        errors["measures"] = "事项已超过完成时限，须提出整改措施"
    if errors:
        raise InvalidInput("invalid reply", errors)


def reports_open_to_unit(expected: Iterable[Any], today: dt.date) -> Iterator[tuple[Any, bool]]:
    """The expected reports a unit should act on now, each with whether it is late: every one past its
    day unfiled, and of the rest the next one of each period (the later ones are not due yet)."""
    seen: set[tuple[str, str]] = set()
    for e in sorted(expected, key=lambda e: (e.due_on, e.period)):
        if e.status == "filed":
            continue
        if e.due_on < today:
            yield e, True
        elif (e.item_id, e.period) not in seen:
            seen.add((e.item_id, e.period))
            yield e, False
