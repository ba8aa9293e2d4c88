"""Inspection's rules, pure (seed Art. 6.4 督促检查, 6.5 督查报告, 7.3): plans and their course, what a
finding must carry, rectification deadlines in working days, what 已整改 means, relapse and overdue.

Today is always passed in; nothing here reads a clock, a database or the network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from libs.common.calendar import WorkCalendar
from libs.common.deadline_text import chinese_date
from libs.common.errors import FailedPrecondition, InvalidInput
from libs.common.vocabulary import (
    CHECK_VERDICTS,
    FINDING_CATEGORIES,
    FINDING_SEVERITIES,
    PLAN_STATUSES,
    RECTIFICATION_MODES,
    REPORT_KINDS,
)

# -- plans (督查工作方案) ---------------------------------------------------------------------------
DRAFT, APPROVED, UNDER_WAY, DONE = "draft", "approved", "under_way", "done"
# Drafted by the office, approved by the office head (督查室主任), carried out, finished. A plan starts
# by itself with its first visit; it may be finished only once under way.
PLAN_MOVES: dict[str, frozenset[str]] = {
    DRAFT: frozenset({APPROVED}),
    APPROVED: frozenset({UNDER_WAY}),
    UNDER_WAY: frozenset({DONE}),
    DONE: frozenset(),
}
TEAM_LEADER, MEMBER = "leader", "member"
TITLE_MAX, TEXT_MAX, NOTE_MAX = 200, 4000, 2000


def check_move(current: str, wanted: str) -> None:
    if wanted not in PLAN_MOVES[current]:
        raise FailedPrecondition(f"a {current} plan cannot become {wanted}",
                                 {"status": f"{PLAN_STATUSES[current]}的方案不能{_PLAN_ACTS.get(wanted, '改为' + PLAN_STATUSES[wanted])}"})


_PLAN_ACTS = {APPROVED: "批准", UNDER_WAY: "开始实施", DONE: "办结"}


@dataclass(frozen=True)
class PlanCheck:
    """A draft as the office wrote it, the fields a plan needs before it can be approved."""

    title: str
    kind: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    item_count: int
    stop_units: tuple[str, ...]
    leader_id: str
    member_ids: tuple[str, ...]


def draft_errors(plan: PlanCheck) -> dict[str, str]:
    """What is wrong with a draft, field by field (empty when it may be saved)."""
    errors: dict[str, str] = {}
    if not plan.title.strip():
        errors["title"] = "请填写督查方案名称"
    elif len(plan.title) > TITLE_MAX:
        errors["title"] = f"方案名称不能超过{TITLE_MAX}字"
    if plan.kind not in REPORT_KINDS:
        errors["kind"] = "请选择专项督查或综合督查"
    if plan.starts_on and plan.ends_on and plan.ends_on < plan.starts_on:
        errors["ends_on"] = "结束日期不能早于开始日期"
    if len(set(plan.stop_units)) != len(plan.stop_units):
        errors["stops"] = "同一单位只能列一次督查点"
    if plan.leader_id and plan.leader_id in plan.member_ids:
        errors["members"] = "组长不必再列为组员"
    if len(set(plan.member_ids)) != len(plan.member_ids):
        errors["members"] = "同一人只能列一次"
    return errors


def approval_errors(plan: PlanCheck) -> dict[str, str]:
    """What an approvable plan must have besides a valid draft: dates, something to inspect, a team."""
    errors = draft_errors(plan)
    if not plan.starts_on or not plan.ends_on:
        errors.setdefault("starts_on", "请填写督查起止日期")
    if not plan.item_count and not plan.stop_units:
        errors.setdefault("items", "请选择督查事项或督查单位")
    if not plan.leader_id:
        errors.setdefault("leader_id", "请指定督查组组长")
    return errors


# -- visits ---------------------------------------------------------------------------------------
def check_errors(process: str, result: str) -> dict[str, str]:
    errors = {}
    if process not in CHECK_VERDICTS:
        errors["process"] = "请选择办理过程是否属实"
    if result not in CHECK_VERDICTS:
        errors["result"] = "请选择办理结果是否属实"
    return errors


# -- findings (问题) ---------------------------------------------------------------------------------
GENERAL, MAJOR = "general", "major"
MAX_PHOTOS = 9


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    accuracy_m: float


def finding_errors(text: str, category: str, severity: str, photos: int, position: Position | None,
                   device_time: dt.datetime | None, now: dt.datetime) -> dict[str, str]:
    """What a finding must carry: what was found, its category and gravity; photos up to MAX_PHOTOS; a
    position, when given, that is a WGS-84 position; a device time not in the future beyond clock skew."""
    errors: dict[str, str] = {}
    if not text.strip():
        errors["text"] = "请描述发现的问题"
    elif len(text) > TEXT_MAX:
        errors["text"] = f"问题描述不能超过{TEXT_MAX}字"
    if category not in FINDING_CATEGORIES:
        errors["category"] = "请选择问题类别（" + "、".join(FINDING_CATEGORIES.values()) + "）"
    if severity not in FINDING_SEVERITIES:
        errors["severity"] = "请选择问题性质（一般或重大）"
    if photos > MAX_PHOTOS:
        errors["photos"] = f"每个问题最多附{MAX_PHOTOS}张照片"
    if position is not None:
        if not (-90 <= position.latitude <= 90 and -180 <= position.longitude <= 180):
            errors["position"] = "定位坐标无效（应为WGS-84经纬度）"
        elif position.accuracy_m < 0:
            errors["position"] = "定位精度无效"
    if device_time is not None and device_time - now > dt.timedelta(hours=1):
        errors["device_time"] = "设备时间晚于服务器时间一小时以上，请校正设备时间"
    return errors


# A device's key (client_key) on a finding, visit or 回头看: a tablet syncing its day retries, and a retry
# must never make a second record.
NEW, REPLAY, REUSED = "new", "replay", "reused"


def keyed(recorded: str | None, sent: str) -> str:
    """What a write under a device key is, given the body's fingerprint recorded under that key (None: the
    key was never used): NEW (record it), REPLAY (the same body again: answer with the first record, change
    nothing) or REUSED (another body under a used key: refuse it, never answer with the first)."""
    if recorded is None:
        return NEW
    return REPLAY if recorded == sent else REUSED


def escalates(severity: str) -> bool:
    """A major finding is reported to the leaders at once (重大问题报告); a general one is not."""
    return severity == MAJOR


# -- rectification (立督立纠，限时整改) ----------------------------------------------------------------
ON_SPOT, ORDERED = "on_spot", "ordered"
REPORTED, RECTIFIED, OVERDUE = "reported", "rectified", "overdue"
PASSED, FAILED = "passed", "failed"
MAX_WORKING_DAYS = 60


@dataclass(frozen=True)
class Round:
    """One order and what came of it (a failed 回头看 opens the next)."""

    due_date: dt.date
    reported: bool
    verdict: str  # "" | passed | failed


def rectification_status(mode: str, rounds: tuple[Round, ...], today: dt.date) -> str:
    """Where a rectification stands. Fixed on the spot: rectified (the inspectors saw it done, with
    evidence). Ordered: only a passed re-inspection makes it rectified - a unit's report alone is
    "reported" (reported fixed is not verified fixed); past the round's day without a report, overdue."""
    if mode == ON_SPOT:
        return RECTIFIED
    last = rounds[-1]
    if last.verdict == PASSED:
        return RECTIFIED
    if last.reported:
        return REPORTED
    return OVERDUE if today > last.due_date else ORDERED


def relapses(rounds: tuple[Round, ...]) -> int:
    """Failed re-inspections: a problem reported fixed that was not (边改边犯, Art. 7.3)."""
    return sum(1 for r in rounds if r.verdict == FAILED)


def awaits_unit(mode: str, rounds: tuple[Round, ...]) -> bool:
    """The unit owes a rectification report: what raises the item's light once its day has passed. A
    report filed waits for the inspectors, not the unit, so it no longer raises the light."""
    return mode == ORDERED and not rounds[-1].reported and rounds[-1].verdict == ""


def deadline(calendar: WorkCalendar, today: dt.date, working_days: int, due_date: dt.date | None) -> dt.date:
    """The rectification's day: `working_days` working days after today, or a date set by hand (a working
    day, not before tomorrow). Refused with the field that is wrong."""
    if due_date is None:
        if not 1 <= working_days <= MAX_WORKING_DAYS:
            raise InvalidInput(f"working_days {working_days} out of range",
                               {"working_days": f"整改期限应为1至{MAX_WORKING_DAYS}个工作日"})
        # Across a year without its published table, counted with its statutory holidays (provisional).
        return calendar.add_working_days_provisional(today, working_days).value
    if due_date <= today:
        raise InvalidInput(f"due_date {due_date} is not after {today}", {"due_date": "整改期限应晚于今天"})
    refusal = calendar.day_off_refusal(due_date)
    if refusal:
        message, suggestion = refusal
        raise InvalidInput(f"due_date {due_date} is a day off", {"due_date": message},
                           {"due_date": suggestion.isoformat()})
    return due_date


def check_order(mode: str, has_evidence: bool, requirement: str) -> dict[str, str]:
    errors = {}
    if mode not in RECTIFICATION_MODES:
        errors["mode"] = "请选择立督立纠（当场整改）或限时整改"
    elif mode == ON_SPOT and not has_evidence:
        errors["on_spot"] = "当场整改须附整改情况说明或照片"
    elif mode == ORDERED and not requirement.strip():
        errors["requirement"] = "请写明整改要求"
    if len(requirement) > NOTE_MAX:
        errors["requirement"] = f"整改要求不能超过{NOTE_MAX}字"
    return errors


def status_text(status: str, due_date: dt.date | None, relapse_count: int) -> str:
    """The state in words, as reports and pages say it."""
    if status == RECTIFIED:
        return "已整改"
    if status == REPORTED:
        return "已报整改，待回头看"
    when = chinese_date(due_date) if due_date else ""
    again = f"（第{relapse_count + 1}次限期）" if relapse_count else ""
    if status == OVERDUE:
        return f"逾期未整改（整改期限{when}）{again}"
    return f"限时整改中，整改期限{when}{again}"
