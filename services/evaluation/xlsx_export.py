"""The assessment's workbook (考核得分表): a year's totals with the 清零 state of each unit, then every entry
with its reason and cause - for the whole district, one department (its own and its people's) or one
person. The same entries give the same bytes (a fixed zip time, a fixed order): a replay is checked by
the digest of this file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from libs.common.vocabulary import SCORE_RULES, SCORE_SUBJECT_KINDS
from libs.common.xlsx_stream import CellStyle, PageSetup, XlsxStream
from services.evaluation import domain

STYLES = (CellStyle(bold=True, size=14, center=True, middle=True), CellStyle(bold=True, center=True, border=True,
                                                                           wrap=True), CellStyle(border=True, wrap=True))
TITLE, HEADER, CELL = 2, 3, 4
STAMP = (2000, 1, 1, 0, 0, 0)
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATES = {domain.COUNTED: "已计入", domain.PENDING: "待决定（年度已冻结）", domain.REJECTED: "不予计入"}


@dataclass(frozen=True)
class Line:
    """One entry as the workbook prints it."""

    subject_kind: str
    subject_id: str
    subject_name: str
    subject_unit_id: str
    item_no: str
    rule: str
    rule_version: int
    points_centi: int
    day: str
    explanation: str
    state: str
    cause: str  # source type topic:partition:offset event id
    calendar_version: str
    entry_id: str


@dataclass(frozen=True)
class TotalLine:
    kind: str
    id: str
    name: str
    unit_id: str
    total_centi: int
    plus_centi: int
    minus_centi: int
    entries: int


def totals_of(lines: Iterable[Line]) -> list[TotalLine]:
    """The counted entries summed per subject, highest first (then by kind and name)."""
    sums: dict[tuple[str, str], list[object]] = {}
    for ln in lines:
        if ln.state != domain.COUNTED:
            continue
        t = sums.setdefault((ln.subject_kind, ln.subject_id), [ln.subject_name, ln.subject_unit_id, 0, 0, 0, 0])
        t[2] = int(t[2]) + ln.points_centi  # type: ignore[call-overload]
        t[3 if ln.points_centi > 0 else 4] = int(t[3 if ln.points_centi > 0 else 4]) + ln.points_centi  # type: ignore[call-overload]
        t[5] = int(t[5]) + 1  # type: ignore[call-overload]
    out = [TotalLine(k, i, str(v[0]), str(v[1]), int(v[2]), int(v[3]), int(v[4]), int(v[5]))  # type: ignore[call-overload]
           for (k, i), v in sums.items()]
    kinds = list(SCORE_SUBJECT_KINDS)
    return sorted(out, key=lambda t: (kinds.index(t.kind), -t.total_centi, t.name, t.id))


def workbook(year: int, scope: str, lines: list[Line], clearance: dict[str, str]) -> bytes:
    """The XLSX of `lines` (already limited to the scope). `clearance`: unit id -> its 清零 words."""
    lines = sorted(lines, key=lambda ln: (ln.subject_kind, ln.subject_id, ln.day, ln.entry_id))
    book = XlsxStream(STYLES, stamp=STAMP)
    book.sheet("得分汇总", widths=(10, 24, 12, 10, 10, 10, 8, 30), setup=PageSetup(freeze_rows=2))
    book.row([f"{year}年度督查考核得分汇总（{scope}）"], style=TITLE, height=28)
    book.row(["对象类别", "对象", "所属单位", "总分", "加分", "减分", "条目数", "清零情况"], style=HEADER)
    names = {ln.subject_id: ln.subject_name for ln in lines if ln.subject_kind == domain.UNIT}
    for t in totals_of(lines):
        book.row([SCORE_SUBJECT_KINDS.get(t.kind, t.kind), t.name or t.id, names.get(t.unit_id, t.unit_id),
                  domain.as_points(t.total_centi), domain.as_points(t.plus_centi), domain.as_points(t.minus_centi),
                  t.entries, clearance.get(t.id, "") if t.kind == domain.UNIT else ""], style=CELL)
    book.sheet("得分明细", widths=(10, 20, 14, 16, 8, 12, 60, 8, 16, 44, 18), setup=PageSetup(freeze_rows=1))
    book.row(["对象类别", "对象", "事项编号", "评分规则", "分值", "日期", "说明", "规则版本", "状态", "依据事件", "日历版本"],
             style=HEADER)
    for ln in lines:
        book.row([SCORE_SUBJECT_KINDS.get(ln.subject_kind, ln.subject_kind), ln.subject_name or ln.subject_id,
                  ln.item_no, SCORE_RULES.get(ln.rule, ln.rule), domain.as_points(ln.points_centi), ln.day,
                  ln.explanation, ln.rule_version, STATES.get(ln.state, ln.state), ln.cause, ln.calendar_version],
                 style=CELL)
    return book.close()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
