"""The rules of bulletins (seed Art. 7.1), pure: periods and their cadences, which items a period's bulletin
covers, what "closed within the time" and "overdue" mean, the numbers (期数, 文号) and the workflow's moves.

Quarterly bulletins cover general items, half-yearly ones complex items, monthly ones the items under key
tracking until each is done; the year-end clearance (清零) every item registered in the year. An item is in
a period's scope when it was open at some time in the period: registered by its end and not closed before
its start. No clock is read here: the as-of time is passed in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from libs.common.errors import FailedPrecondition, InvalidInput

QUARTERLY, SEMIANNUAL, MONTHLY, SPECIAL, CLEARANCE = "quarterly", "semiannual", "monthly", "special", "clearance"
REGULAR_KINDS = (QUARTERLY, SEMIANNUAL, MONTHLY)
KINDS = (*REGULAR_KINDS, SPECIAL, CLEARANCE)
KIND_LABELS = {QUARTERLY: "季度通报", SEMIANNUAL: "半年通报", MONTHLY: "月度通报", SPECIAL: "专项通报",
               CLEARANCE: "清零报告"}
# Which items each regular kind reports on (Art. 7.1): general quarterly, complex half-yearly, key tracking monthly.
CATEGORY_OF = {QUARTERLY: "general", SEMIANNUAL: "complex"}
_QUARTERS = "一二三四"

# The workflow: generated draft -> office edits -> submitted -> the principal leader approves or returns it
# -> published (immutable). Returned goes back to the office, which edits and submits again.
DRAFT, EDITED, SUBMITTED, RETURNED, APPROVED, PUBLISHED = "draft", "edited", "submitted", "returned", "approved", "published"
STATUSES = (DRAFT, EDITED, SUBMITTED, RETURNED, APPROVED, PUBLISHED)
# A list's filter, not a status: every bulletin not yet published (the office's 在办通报 beside the board).
IN_WORK = "in_work"
UNPUBLISHED = (DRAFT, EDITED, SUBMITTED, RETURNED, APPROVED)
STATUS_LABELS = {DRAFT: "草稿", EDITED: "已修改", SUBMITTED: "待主要领导审批", RETURNED: "已退回修改",
                 APPROVED: "已批准待印发", PUBLISHED: "已印发"}
EDITABLE = frozenset({DRAFT, EDITED, RETURNED})
MOVES: dict[str, frozenset[str]] = {
    "edit": EDITABLE,
    "submit": EDITABLE,
    "approve": frozenset({SUBMITTED}),
    "return": frozenset({SUBMITTED}),
    "publish": frozenset({APPROVED}),
}
AFTER = {"edit": EDITED, "submit": SUBMITTED, "approve": APPROVED, "return": RETURNED, "publish": PUBLISHED}
_WORDS = {"edit": "修改", "submit": "报批", "approve": "批准", "return": "退回", "publish": "印发"}


def move(status: str, act: str) -> str:
    """The status after `act`; refused (FailedPrecondition, in plain Chinese) where the workflow has no such move."""
    if status not in MOVES[act]:
        raise FailedPrecondition(f"cannot {act} a bulletin that is {status}",
                                 {"status": f"通报当前为“{STATUS_LABELS.get(status, status)}”，不能{_WORDS[act]}"})
    return AFTER[act]


@dataclass(frozen=True)
class Period:
    kind: str
    code: str  # 2026Q3 | 2026H1 | 2026-07 | 2026 | "" (special)
    starts_on: dt.date
    ends_on: dt.date
    label: str

    @property
    def year(self) -> int:
        return self.ends_on.year


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)


def parse_period(kind: str, code: str, starts_on: str = "", ends_on: str = "") -> Period:
    """The period a bulletin covers: `2026Q3` (quarterly), `2026H1` (semiannual), `2026-07` (monthly),
    `2026` (clearance); a special bulletin gives its own first and last day."""
    code = code.strip().upper() if kind != MONTHLY else code.strip()
    bad = InvalidInput(f"bad period {code!r} for {kind}", {"period": _PERIOD_HINTS.get(kind, "期间格式不正确")})
    if kind == QUARTERLY and (m := re.fullmatch(r"(\d{4})Q([1-4])", code)):
        year, q = int(m[1]), int(m[2])
        return Period(kind, code, dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q),
                      f"{year}年第{_QUARTERS[q - 1]}季度")
    if kind == SEMIANNUAL and (m := re.fullmatch(r"(\d{4})H([12])", code)):
        year, h = int(m[1]), int(m[2])
        return Period(kind, code, dt.date(year, 6 * h - 5, 1), _month_end(year, 6 * h),
                      f"{year}年{'上' if h == 1 else '下'}半年")
    if kind == MONTHLY and (m := re.fullmatch(r"(\d{4})-(\d{2})", code)) and 1 <= int(m[2]) <= 12:
        year, month = int(m[1]), int(m[2])
        return Period(kind, code, dt.date(year, month, 1), _month_end(year, month), f"{year}年{month}月")
    if kind == CLEARANCE and re.fullmatch(r"\d{4}", code):
        year = int(code)
        return Period(kind, code, dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}年度")
    if kind == SPECIAL:
        try:
            start, end = dt.date.fromisoformat(starts_on), dt.date.fromisoformat(ends_on)
        except ValueError:
            raise InvalidInput("special bulletin needs starts_on and ends_on",
                               {"starts_on": "专项通报须填写起止日期（YYYY-MM-DD）"}) from None
        if end < start:
            raise InvalidInput("ends_on before starts_on", {"ends_on": "截止日期不能早于起始日期"})
        return Period(kind, "", start, end, f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日")
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}", {"kind": "通报类别应为季度、半年、月度、专项或清零"})
    raise bad


_PERIOD_HINTS = {QUARTERLY: "季度通报的期间形如 2026Q3", SEMIANNUAL: "半年通报的期间形如 2026H1",
                 MONTHLY: "月度通报的期间形如 2026-07", CLEARANCE: "清零报告的期间为年份，如 2026"}


def period_of(kind: str, day: dt.date) -> Period:
    """The regular period of `kind` containing `day`."""
    if kind == QUARTERLY:
        return parse_period(kind, f"{day.year}Q{(day.month - 1) // 3 + 1}")
    if kind == SEMIANNUAL:
        return parse_period(kind, f"{day.year}H{1 if day.month <= 6 else 2}")
    if kind == MONTHLY:
        return parse_period(kind, f"{day.year}-{day.month:02d}")
    if kind == CLEARANCE:
        return parse_period(kind, str(day.year))
    raise ValueError(f"{kind} has no regular periods")


def ended_periods(kind: str, since: dt.date, today: dt.date) -> list[Period]:
    """Every period of `kind` that ended before `today` and after `since` (the job's catch-up list), oldest
    first: a period missed while the job was down is drafted at the next run."""
    out: list[Period] = []
    period = period_of(kind, since)
    while period.ends_on < today:
        if period.ends_on >= since:
            out.append(period)
        period = period_of(kind, period.ends_on + dt.timedelta(days=1))
    return out


def has_ended(period: Period, today: dt.date) -> bool:
    return period.ends_on < today


def clearance_opens(year: int, month_day: str) -> dt.date:
    """The day of December (or whatever `month_day`, MM-DD, says) from which the year's 清零 is reported."""
    month, day = (int(p) for p in month_day.split("-"))
    return dt.date(year, month, day)


# -- an item as the bulletin sees it -------------------------------------------------------------------


@dataclass(frozen=True)
class ItemState:
    """What the bulletins know of an item (from the ledger's and tracking's events)."""

    item_id: str
    item_no: str
    title: str
    category: str  # general | complex
    key_tracking: bool
    unit_id: str  # lead unit
    unit_name: str
    registered_on: dt.date
    due_date: dt.date | None  # the working deadline, after approved extensions
    original_due_date: dt.date | None
    extended: bool  # an approved extension (转期)
    closed_on: dt.date | None  # the leader signed the completion report (销号)
    status: str = ""
    reason: str = ""  # the unit's extension reason or last progress (why it is not closed)
    leader_id: str = ""


def in_scope(item: ItemState, start: dt.date, end: dt.date) -> bool:
    """Open at some time in [start, end]: registered by its end, not closed before its start."""
    return item.registered_on <= end and (item.closed_on is None or item.closed_on >= start)


def reported_by(kind: str, item: ItemState) -> bool:
    """Whether a bulletin of `kind` reports on items like this one (Art. 7.1's cadences)."""
    if kind in CATEGORY_OF:
        return item.category == CATEGORY_OF[kind]
    if kind == MONTHLY:
        return item.key_tracking
    return True


def closed_as_of(item: ItemState, day: dt.date) -> bool:
    return item.closed_on is not None and item.closed_on <= day


def closed_within_time(item: ItemState, day: dt.date) -> bool:
    """Closed (by `day`) no later than its working deadline after approved extensions."""
    return closed_as_of(item, day) and item.due_date is not None and item.closed_on <= item.due_date  # type: ignore[operator]


def overdue(item: ItemState, day: dt.date) -> bool:
    """Open on `day` and past its working deadline."""
    return not closed_as_of(item, day) and item.due_date is not None and item.due_date < day


# -- numbers ---------------------------------------------------------------------------------------------


def check_number_pattern(pattern: str) -> str:
    """A document-number pattern names {seq} (and may name {year}, {issue}); refused at start-up otherwise."""
    if "{seq}" not in pattern:
        raise ValueError(f"the document number pattern {pattern!r} must contain {{seq}}")
    try:
        pattern.format(year=2026, seq=1, issue=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"the document number pattern {pattern!r} is not a pattern: {exc}") from exc
    return pattern


def document_no(pattern: str, year: int, seq: int, issue: int) -> str:
    """e.g. 平督通〔2026〕3号 from 平督通〔{year}〕{seq}号."""
    return pattern.format(year=year, seq=seq, issue=issue)


def issue_label(year: int, issue: int) -> str:
    """期数 as printed: 2026年第3期 (0: not yet numbered)."""
    return f"{year}年第{issue}期" if issue else "（报批时编号）"


def percent(part: int, whole: int) -> str:
    """`part` of `whole` as printed, one decimal, half up, exactly (integer arithmetic): 6/7 is 85.7%."""
    if whole <= 0:
        return "—"
    permille = (2000 * part + whole) // (2 * whole)
    return f"{permille // 10}.{permille % 10}%"
