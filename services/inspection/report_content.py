"""What the supervision report of Art. 6.5 and each unit's 督查反馈意见 (Art. 6.6) are made of: the plan's
findings, verifications, photos and rectification state (already in Chinese, names not ids) and the counts
derived from them - the one source of the report's numbers, its drafted words and its DOCX."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from libs.common import vocabulary

KINDS = vocabulary.REPORT_KINDS  # special 专项, comprehensive 综合
DRAFT_MARK = "（送审稿）"
MAJOR = "重大"
# The order categories are counted and advised in (Art. 7.3 names them from the gravest); others follow.
CATEGORY_ORDER = ("弄虚作假", "敷衍应付", "推进迟缓", "台账缺失", "其他")
SEVERITY_ORDER = (MAJOR, "一般")
# ReportFinding.rectification opens with the words of its stage; the counts read the stage from them.
RECTIFICATION_STAGES = (
    ("当场整改", "on_the_spot"),
    ("已整改", "verified"),
    ("限时整改中", "rectifying"),
    ("回头看未通过", "relapsed"),
    ("已逾期", "overdue"),
)


@dataclass(frozen=True)
class ReportPhoto:
    caption: str  # e.g. "图1 某某街道 问题3：……（2026年12月3日 10:20 拍摄）"
    jpeg: bytes  # the stored copy (JPEG or PNG bytes; no EXIF)
    width: int
    height: int


@dataclass(frozen=True)
class ReportFinding:
    number: int  # running number in the report
    text: str
    category_label: str  # 弄虚作假 / 敷衍应付 / 推进迟缓 / 台账缺失 / 其他 ...
    severity_label: str  # 一般 / 重大
    item_no: str  # "" when not tied to an item
    item_title: str
    found_at: datetime  # office local time
    place: str
    rectification: str  # the state in words, e.g. "当场整改" / "限时整改中，整改期限2026年12月15日" /
    # "已整改（2026年12月10日回头看通过）" / "回头看未通过，已重新限期至2026年12月22日（第2次）" / "已逾期未整改":
    # the counts read the stage from its opening words (RECTIFICATION_STAGES)
    photos: tuple[ReportPhoto, ...]


@dataclass(frozen=True)
class ReportVerification:  # 核实办理过程、办理结果 of one item at one unit
    item_no: str
    item_title: str
    process_verified: bool  # 办理过程：属实 / 与报告不符
    result_verified: bool  # 办理结果：属实 / 与报告不符
    note: str


@dataclass(frozen=True)
class ReportUnitPart:
    unit_name: str
    visited_on: date | None
    ledger_kept: bool | None  # 台账建立情况 (Art. 7.3 names a ledger not kept); None = not checked
    ledger_current: bool | None
    ledger_note: str
    verifications: tuple[ReportVerification, ...]
    findings: tuple[ReportFinding, ...]


@dataclass(frozen=True)
class SupervisionReportData:
    kind: str  # "special" (专项督查报告) | "comprehensive" (综合督查报告)
    title: str  # e.g. "关于2026年第四季度重点工作推进情况的专项督查报告"
    report_no: str  # e.g. "督查报告〔2026〕3号"; "" on a draft
    org_name: str  # "海东市平安区政府系统"
    office_name: str  # "区委区政府督查室" (the masthead and the signer)
    plan_title: str
    period_start: date
    period_end: date
    team_leader: str
    team_members: tuple[str, ...]  # names, with "（区财政局抽调）" for seconded people
    items: tuple[tuple[str, str], ...]  # (item_no, title) covered by the plan
    units: tuple[ReportUnitPart, ...]
    analysis: str  # the office's text (paragraphs separated by blank lines); "" = use draft_analysis
    recommendations: str  # likewise; "" = use draft_recommendations
    issued_on: date | None  # None: a draft, marked as such on the first page ("（送审稿）")

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, not {self.kind!r}")

    def findings(self) -> list[ReportFinding]:
        return [f for unit in self.units for f in unit.findings]

    def unit(self, name: str) -> ReportUnitPart:
        for part in self.units:
            if part.unit_name == name:
                return part
        raise ValueError(f"no unit {name!r} in the report")


# --- the counts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportCounts:
    """一、基本情况 in numbers. `items_verified` counts verifications (an item at a unit, 项次); a
    discrepancy is a verification whose process or result is 与报告不符. The rectification counts split
    `findings_total`: rectified (on the spot, or passed 回头看) + rectifying + relapsed (failed 回头看, set a
    new deadline) + overdue + unclassified (words none of RECTIFICATION_STAGES opens)."""

    units_total: int
    units_visited: int
    items_verified: int
    process_discrepancies: int
    result_discrepancies: int
    discrepancies: int
    findings_total: int
    by_severity: tuple[tuple[str, int], ...]  # (label, count), gravest first, only labels found
    by_category: tuple[tuple[str, int], ...]  # (label, count) in CATEGORY_ORDER, then as first found
    rectified: int
    rectified_on_the_spot: int
    rectifying: int
    relapsed: int
    overdue: int
    unclassified: int
    ledgers_checked: int
    ledgers_not_kept: int
    ledgers_not_current: int

    @property
    def major(self) -> int:
        return dict(self.by_severity).get(MAJOR, 0)


def rectification_stage(words: str) -> str:
    """The stage a rectification's words open with ("on_the_spot", "verified", "rectifying", "relapsed",
    "overdue"), or "" for words that open with none of them."""
    text = words.strip()
    return next((stage for opening, stage in RECTIFICATION_STAGES if text.startswith(opening)), "")


def ordered(counts: Counter[str], order: Sequence[str]) -> tuple[tuple[str, int], ...]:
    known = [label for label in order if counts[label]]
    return tuple((label, counts[label]) for label in [*known, *(label for label in counts if label not in order)])


def report_counts(data: SupervisionReportData) -> ReportCounts:
    findings = data.findings()
    verifications = [v for unit in data.units for v in unit.verifications]
    stages = Counter(rectification_stage(f.rectification) for f in findings)
    checked = [unit for unit in data.units if unit.ledger_kept is not None]
    return ReportCounts(
        units_total=len(data.units),
        units_visited=sum(unit.visited_on is not None for unit in data.units),
        items_verified=len(verifications),
        process_discrepancies=sum(not v.process_verified for v in verifications),
        result_discrepancies=sum(not v.result_verified for v in verifications),
        discrepancies=sum(not (v.process_verified and v.result_verified) for v in verifications),
        findings_total=len(findings),
        by_severity=ordered(Counter(f.severity_label for f in findings), SEVERITY_ORDER),
        by_category=ordered(Counter(f.category_label for f in findings), CATEGORY_ORDER),
        rectified=stages["on_the_spot"] + stages["verified"],
        rectified_on_the_spot=stages["on_the_spot"],
        rectifying=stages["rectifying"],
        relapsed=stages["relapsed"],
        overdue=stages["overdue"],
        unclassified=stages[""],
        ledgers_checked=len(checked),
        ledgers_not_kept=sum(unit.ledger_kept is False for unit in checked),
        ledgers_not_current=sum(unit.ledger_kept is True and unit.ledger_current is False for unit in checked),
    )


# --- words ------------------------------------------------------------------------------------------------


def percent(part: int, whole: int) -> str:
    """Whole percent, halves up: 1 of 3 -> "33%", 1 of 8 -> "13%"."""
    return f"{(200 * part + whole) // (2 * whole)}%" if whole else "0%"

