"""The supervision report of Art. 6.5 (专项 / 综合督查报告) and each unit's 督查反馈意见 (Art. 6.6) as DOCX bytes.

Pure: the plan's findings, verifications, photos and rectification state in (already in Chinese, names not
ids), bytes out; the GB/T 9704 layout comes from libs/common/official_docx.py. The counts, the draft
分析 and the draft 意见建议 are functions of the same data, so the office edits a draft the system wrote
from the facts, and the report's numbers are the facts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Length, Mm, Pt

from libs.common import official_docx as od
from libs.common import vocabulary
from libs.common.official_docx import chinese_date, chinese_datetime, chinese_number, period_text

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


def _ordered(counts: Counter[str], order: Sequence[str]) -> tuple[tuple[str, int], ...]:
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
        by_severity=_ordered(Counter(f.severity_label for f in findings), SEVERITY_ORDER),
        by_category=_ordered(Counter(f.category_label for f in findings), CATEGORY_ORDER),
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


def _names(names: Sequence[str], most: int = 5, noun: str = "个单位") -> str:
    """ "甲、乙、丙", or "甲、乙、丙、丁、戊等7个单位" past `most` names."""
    if len(names) <= most:
        return "、".join(names)
    return "、".join(names[:most]) + f"等{len(names)}{noun}"


def _refs(findings: Iterable[ReportFinding]) -> str:
    return "、".join(f"问题{f.number}" for f in findings)


def _sentence(text: str) -> str:
    """The text ending as a sentence ends (inspectors often leave the full stop off)."""
    text = text.strip()
    core = text.rstrip("”’）)」")  # "……。”" and "（见附件。）" are ended; "……（第2次）" is not
    return text if not core or core[-1] in "。！？；…" else text + "。"


def _item_phrase(items: Sequence[tuple[str, str]]) -> str:
    if not items:
        return "有关工作"
    if len(items) <= 3:
        return "".join(f"“{title}”" for _, title in items) + "事项"
    return f"“{items[0][1]}”等{len(items)}项督查事项"


def _counts_phrase(pairs: Iterable[tuple[str, int]], unit: str = "个") -> str:
    return "、".join(f"{label}{count}{unit}" for label, count in pairs)


def _ledger_text(unit: ReportUnitPart) -> str:
    if unit.ledger_kept is None:
        text = "未检查工作任务台账"
    elif not unit.ledger_kept:
        text = "未建立工作任务台账"
    elif unit.ledger_current is False:
        text = "已建立工作任务台账，但更新不及时"
    elif unit.ledger_current:
        text = "已建立工作任务台账，更新及时"
    else:
        text = "已建立工作任务台账"
    return text + (f"（{unit.ledger_note.strip()}）" if unit.ledger_note.strip() else "") + "。"


def _item_label(item_no: str, title: str) -> str:
    return f"{item_no} {title}".strip() if item_no else title


# --- the drafts -------------------------------------------------------------------------------------------


def draft_analysis(data: SupervisionReportData) -> str:
    """四、分析 as the system drafts it from the counts: plain facts, one paragraph each, blank lines between."""
    c = report_counts(data)
    with_findings = [u for u in data.units if u.findings]
    out = []
    if c.findings_total:
        major_units = [u.unit_name for u in with_findings if any(f.severity_label == MAJOR for f in u.findings)]
        text = (f"（一）问题分布。此次督查发现问题{c.findings_total}个，涉及{len(with_findings)}个单位，"
                f"占被督查单位的{percent(len(with_findings), c.units_total)}。")
        if c.major:
            text += f"其中重大问题{c.major}个，占{percent(c.major, c.findings_total)}，集中在{_names(major_units)}。"
        most = max(len(u.findings) for u in with_findings)
        top = [u.unit_name for u in with_findings if len(u.findings) == most]
        if len(with_findings) > 1:
            text += f"问题最多的是{_names(top)}（{'各' if len(top) > 1 else ''}{most}个）。"
        out.append(text)
        kinds = [f"{label}{count}个（占{percent(count, c.findings_total)}）" for label, count in c.by_category]
        out.append(f"（二）问题类型。从问题类型看，{'、'.join(kinds)}。" if len(kinds) > 1
                   else f"（二）问题类型。发现的问题均为{c.by_category[0][0]}问题。")
    else:
        out.append("（一）问题分布。此次督查未发现问题。")
    if c.items_verified:
        off = [u.unit_name for u in data.units if any(not (v.process_verified and v.result_verified)
                                                       for v in u.verifications)]
        text = f"（{chinese_number(len(out) + 1)}）核实情况。核实事项办理情况{c.items_verified}项次，"
        if c.discrepancies:
            text += (f"办理过程与报告不符{c.process_discrepancies}项次，办理结果与报告不符{c.result_discrepancies}"
                     f"项次，涉及{_names(off)}，报告与实际不符的占{percent(c.discrepancies, c.items_verified)}。")
        else:
            text += "办理过程和办理结果均与报告相符。"
        out.append(text)
    if c.findings_total:
        overdue_units = [u.unit_name for u in data.units
                         if any(rectification_stage(f.rectification) == "overdue" for f in u.findings)]
        text = (f"（{chinese_number(len(out) + 1)}）整改进度。已整改到位{c.rectified}个，整改率"
                f"{percent(c.rectified, c.findings_total)}")
        text += f"（其中当场整改{c.rectified_on_the_spot}个）" if c.rectified_on_the_spot else ""
        text += f"；正在限时整改{c.rectifying}个；回头看未通过、重新限期整改{c.relapsed}个；逾期未整改{c.overdue}个"
        text += f"，涉及{_names(overdue_units)}。" if overdue_units else "。"
        out.append(text)
    if c.ledgers_checked:
        missing = [u.unit_name for u in data.units if u.ledger_kept is False]
        stale = [u.unit_name for u in data.units if u.ledger_kept and u.ledger_current is False]
        text = f"（{chinese_number(len(out) + 1)}）台账管理。检查{c.ledgers_checked}个单位的工作任务台账，"
        if missing or stale:
            parts = [f"{_names(missing)}未建立台账" if missing else "", f"{_names(stale)}台账更新不及时" if stale else ""]
            text += "，".join(p for p in parts if p) + "。"
        else:
            text += "均已建立并及时更新。"
        out.append(text)
    return "\n\n".join(out)


_ADVICE = {  # category -> (heading, what is advised); Art. 7.3 for the gravest
    "弄虚作假": ("严肃查处弄虚作假问题", "建议依照制度第七条第三款，视情节轻重对责任人和责任领导予以批评教育、约谈诫勉或组织处理，"
                                     "并予以通报批评。"),
    "敷衍应付": ("整治敷衍应付问题", "建议责令剖析问题根源，提出整改措施，限时整改到位；整改不到位的予以通报批评。"),
    "推进迟缓": ("加快推进滞后工作", "建议倒排工期、明确责任人，实行周汇报、月总结，督查室重点跟踪，每月通报直至完成。"),
}
LEDGER_CATEGORY = "台账缺失"


def _advice(data: SupervisionReportData, unit: ReportUnitPart | None) -> list[str]:
    """意见建议 drafted from the findings: one per category found, one per unit with major findings, the
    overdue and relapsed, the ledgers, the discrepancies, and the follow-up. For the report (`unit` None)
    the units are named; for one unit's feedback only its own findings count and it is "你单位"."""
    parts = data.units if unit is None else (unit,)

    def who(units: Sequence[ReportUnitPart]) -> str:
        return "你单位" if unit is not None else _names([u.unit_name for u in units])

    paragraphs: list[tuple[str, str]] = []
    findings = [f for u in parts for f in u.findings]
    for label, _ in _ordered(Counter(f.category_label for f in findings), CATEGORY_ORDER):
        if label == LEDGER_CATEGORY:  # with the ledger checks below: one paragraph on ledgers
            continue
        found = [f for f in findings if f.category_label == label]
        units = [u for u in parts if any(f.category_label == label for f in u.findings)]
        heading, advice = _ADVICE.get(label, (f"抓好{label}问题整改", "建议对照问题清单逐项整改，限时整改到位。"))
        paragraphs.append((heading, f"{who(units)}存在{label}问题（{_refs(found)}），{advice}"))
    major = [(u, [f for f in u.findings if f.severity_label == MAJOR]) for u in parts]
    major = [(u, found) for u, found in major if found]
    if major:
        major_facts = "，".join(f"{who([u])}发现重大问题{len(found)}个（{_refs(found)}）" for u, found in major)
        leaders = "你单位" if unit is not None else ("上述单位" if len(major) > 1 else major[0][0].unit_name)
        paragraphs.append(("督办重大问题", f"{major_facts}，建议由分管领导约谈{leaders}主要负责人，督查室跟踪督办，"
                                       "整改结果以书面形式报分管领导。"))
    late = [f for f in findings if rectification_stage(f.rectification) in ("overdue", "relapsed")]
    if late:
        units = [u for u in parts if any(f in late for f in u.findings)]
        paragraphs.append(("紧盯逾期和反复问题", f"{who(units)}有问题逾期未整改或回头看未通过（{_refs(late)}），属有问题不整改、"
                                             "边改边犯的，建议依照制度第七条第三款予以通报批评，重新明确整改时限，督查室组织回头看。"))
    ledger_found = [f for f in findings if f.category_label == LEDGER_CATEGORY]
    no_ledger = [u for u in parts if u.ledger_kept is False or (u.ledger_kept and u.ledger_current is False)]
    if ledger_found or no_ledger:
        units = [u for u in parts if any(f in ledger_found for f in u.findings)]
        ledger_facts = [f"{who(units)}存在{LEDGER_CATEGORY}问题（{_refs(ledger_found)}）"] if ledger_found else []
        if no_ledger:  # the subject once when the same units
            same = ledger_facts and [u.unit_name for u in units] == [u.unit_name for u in no_ledger]
            ledger_facts.append(("" if same else who(no_ledger)) + "未按要求建立或及时更新工作任务台账")
        paragraphs.append(("规范工作任务台账", f"{'，'.join(ledger_facts)}，建议依照制度第七条第三款予以通报批评，限期建立健全工作任务台账，"
                                           "实行常态化、动态化管理。"))
    off = [u for u in parts if any(not (v.process_verified and v.result_verified) for v in u.verifications)]
    if off:
        items = "".join(dict.fromkeys(f"“{v.item_title}”" for u in off for v in u.verifications
                                        if not (v.process_verified and v.result_verified)))
        paragraphs.append(("如实报告办理情况", f"{who(off)}报告的办理情况与核实结果不符（{items}），建议责令书面说明情况，"
                                           "如实报告；属弄虚作假的，依照制度第七条第三款处理。"))
    if unit is None:
        paragraphs.append(("抓好反馈整改", "建议将督查发现的问题和意见建议及时反馈各有关单位，限期以书面形式报告整改落实情况，"
                                       "督查室组织回头看，整改情况纳入年终目标考核。"))
    elif findings:
        paragraphs.append(("抓好整改落实", "请对照问题清单逐项整改，举一反三，建立长效机制，防止问题反弹。"))
    return [f"（{chinese_number(n)}）{heading}。{text}" for n, (heading, text) in enumerate(paragraphs, start=1)]


def draft_recommendations(data: SupervisionReportData) -> str:
    """五、意见建议 as the system drafts it (see `_advice`), paragraphs separated by blank lines."""
    return "\n\n".join(_advice(data, None))


def unit_recommendations(data: SupervisionReportData, unit_name: str) -> list[str]:
    """The recommendations a unit's feedback carries. From the system's draft: those drafted for that unit
    ("你单位"). From the office's own text: the paragraphs that name this unit and no other, and those that
    name no unit (addressed to all); a paragraph naming other units stays out, so a unit reads only its own."""
    unit = data.unit(unit_name)
    if not data.recommendations.strip():
        return _advice(data, unit)
    others = [u.unit_name for u in data.units if u.unit_name != unit_name]
    # its own name taken out first: another unit's name may be part of it (区住建局 in 平安区住建局)
    return [p for p in paragraphs_of(data.recommendations)
            if not any(name in p.replace(unit_name, "") for name in others)]


def paragraphs_of(text: str) -> list[str]:
    """The office's text as paragraphs: every non-empty line (a blank line or a line break both end one)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- rendering --------------------------------------------------------------------------------------------

# "（一）问题分布。" opening a paragraph: a short first sentence without a comma is the paragraph's heading.
_NUMBERED = re.compile(r"^（[一二三四五六七八九十]+）[^。，；]{1,20}。")
# Widths add up to the 156 mm text width; 14 mm holds "序号" and 26 mm "与报告不符" on one line of 小四.
_VERIFICATION_COLUMNS = (("序号", Mm(14)), ("督查事项", Mm(58)), ("办理过程", Mm(26)), ("办理结果", Mm(26)),
                         ("说明", Mm(32)))
# Two-line headers where the numbers' columns are too narrow for four characters (broken between words).
_UNIT_COLUMNS = (("序号", Mm(14)), ("单位", Mm(36)), ("走访日期", Mm(23)), ("核实\n事项", Mm(16)),
                 ("发现\n问题", Mm(16)), ("重大\n问题", Mm(16)), ("已整改", Mm(18)), ("逾期\n未改", Mm(17)))
TABLE_SIZE, TABLE_LINE = Pt(12), Pt(18)  # 小四: eight columns in 156 mm


def _text(doc: DocxDocument, text: str) -> None:
    """One paragraph of the body; an opening "（一）标题。" in 楷体 as GB/T's second level, the rest 仿宋."""
    if match := _NUMBERED.match(text):
        p = od.paragraph(doc, indent=True)
        od.font(p.add_run(match.group()), od.SUBHEADING_FONT, od.BODY_SIZE)
        od.font(p.add_run(text[match.end():]), od.BODY_FONT, od.BODY_SIZE)
    else:
        od.paragraph(doc, text, indent=True)


def _verdict(ok: bool) -> str:
    return "属实" if ok else "与报告不符"


def _photos(doc: DocxDocument, photos: Sequence[ReportPhoto]) -> None:
    shown: list[od.Figure] = []
    for photo in photos:
        try:
            shown.append(od.print_copy(od.Figure(photo.jpeg, photo.width, photo.height, photo.caption)))
        except OSError:  # a damaged stored copy (PIL.UnidentifiedImageError too): the caption still says what it was
            od.paragraph(doc, f"{photo.caption}（照片文件无法读取）", size=od.CAPTION_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
    od.figures(doc, shown)


def _finding(doc: DocxDocument, f: ReportFinding) -> None:
    p = od.paragraph(doc, indent=True)
    od.font(p.add_run(f"问题{f.number}："), od.BODY_FONT, od.BODY_SIZE, bold=True)
    od.font(p.add_run(_sentence(f.text)), od.BODY_FONT, od.BODY_SIZE)
    # One fact a line: run together, a line broke inside "涉及事项" before an item number it cannot split.
    item = _item_label(f.item_no, f.item_title) if f.item_title or f.item_no else "无（未对应具体督查事项）"
    place = f"；发现地点：{f.place.strip()}" if f.place.strip() else ""
    od.paragraph(doc, f"问题类别：{f.category_label}；问题性质：{f.severity_label}问题。", indent=True)
    od.paragraph(doc, f"涉及事项：{item}。", indent=True)
    od.paragraph(doc, f"发现时间：{chinese_datetime(f.found_at)}{place}。", indent=True)
    od.paragraph(doc, f"整改情况：{_sentence(f.rectification)}", indent=True)
    _photos(doc, f.photos)


def _verifications(doc: DocxDocument, unit: ReportUnitPart) -> None:
    od.paragraph(doc, f"台账检查：{_ledger_text(unit)}", indent=True)
    if not unit.verifications:
        od.paragraph(doc, "核实情况：未核实具体事项。", indent=True)
        return
    off = sum(not (v.process_verified and v.result_verified) for v in unit.verifications)
    intro = od.paragraph(doc, f"核实情况：核实事项{len(unit.verifications)}项"
                         + (f"，其中与报告不符{off}项。" if off else "，均属实。"), indent=True)
    intro.paragraph_format.keep_with_next = True
    rows = [[str(n), _item_label(v.item_no, v.item_title), _verdict(v.process_verified), _verdict(v.result_verified),
             v.note] for n, v in enumerate(unit.verifications, start=1)]
    _table(doc, _VERIFICATION_COLUMNS, rows, frozenset({0, 2, 3}))


def _table(doc: DocxDocument, columns: Sequence[tuple[str, Length]], rows: list[list[str]],
           centred: frozenset[int]) -> None:
    od.table(doc, columns, rows, centred=centred, size=TABLE_SIZE, repeat_header=True, line=TABLE_LINE)
    od.off_grid(od.paragraph(doc), Pt(10))  # a little air between the table and the next heading


def _opening(data: SupervisionReportData) -> str:
    team = f"{data.team_leader}任组长，{'、'.join(data.team_members)}为成员的督查组" if data.team_members \
        else f"{data.team_leader}带队的督查组"
    units = _names([u.unit_name for u in data.units])
    return (f"根据《{data.plan_title}》安排，{period_text(data.period_start, data.period_end)}，由{team}，"
            f"通过实地查看、查阅工作任务台账、核实办理过程和办理结果等方式，对{units}{_item_phrase(data.items)}"
            f"落实情况开展了{KINDS[data.kind]}督查。现将督查情况报告如下：")


def _basic(doc: DocxDocument, data: SupervisionReportData, c: ReportCounts) -> None:
    od.heading(doc, "一、基本情况")
    if data.items:
        listed = "；".join(f"{n}．{_item_label(no, title)}" for n, (no, title) in enumerate(data.items, start=1))
        _text(doc, f"此次督查涉及督查事项{len(data.items)}项：{listed}。")
    not_visited = [u.unit_name for u in data.units if u.visited_on is None]
    visited = f"实地走访单位{c.units_visited}个" + (f"（{_names(not_visited)}未走访）" if not_visited else "")
    _text(doc, f"督查组{visited}，核实事项办理情况{c.items_verified}项次，其中办理过程与报告不符"
               f"{c.process_discrepancies}项次、办理结果与报告不符{c.result_discrepancies}项次；检查工作任务台账"
               f"{c.ledgers_checked}个单位，未建立台账{c.ledgers_not_kept}个、台账更新不及时{c.ledgers_not_current}个。")
    if c.findings_total:
        text = f"共发现问题{c.findings_total}个，其中{_counts_phrase((f'{label}问题', n) for label, n in c.by_severity)}；"
        text += f"按类别分，{_counts_phrase(c.by_category)}。"
        text += (f"截至目前，已整改到位{c.rectified}个（当场整改{c.rectified_on_the_spot}个、回头看通过"
                 f"{c.rectified - c.rectified_on_the_spot}个），正在限时整改{c.rectifying}个，回头看未通过、重新限期整改"
                 f"{c.relapsed}个，逾期未整改{c.overdue}个")
        text += f"，其他情况{c.unclassified}个。" if c.unclassified else "。"
        _text(doc, text)
    else:
        _text(doc, "此次督查未发现问题。")
    caption = od.paragraph(doc, "表1  各单位督查情况", font_name=od.HEADING_FONT, size=od.SMALL_SIZE,
                           align=WD_ALIGN_PARAGRAPH.CENTER)
    caption.paragraph_format.keep_with_next = True
    rows = []
    for n, u in enumerate(data.units, start=1):
        stages = [rectification_stage(f.rectification) for f in u.findings]
        rows.append([str(n), u.unit_name, f"{u.visited_on.month}月{u.visited_on.day}日" if u.visited_on else "未走访",
                     str(len(u.verifications)), str(len(u.findings)),
                     str(sum(f.severity_label == MAJOR for f in u.findings)),
                     str(sum(s in ("on_the_spot", "verified") for s in stages)), str(stages.count("overdue"))])
    rows.append(["", "合计", f"{c.units_visited}个单位", str(c.items_verified), str(c.findings_total), str(c.major),
                 str(c.rectified), str(c.overdue)])
    _table(doc, _UNIT_COLUMNS, rows, frozenset({0, 2, 3, 4, 5, 6, 7}))


def _issue_date(data: SupervisionReportData) -> str:
    return chinese_date(data.issued_on) if data.issued_on else "\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"


def _start(data: SupervisionReportData, name: str, number: str) -> DocxDocument:
    when = data.issued_on or data.period_end  # the document's own dates: no clock read, same data same bytes
    draft = data.issued_on is None
    doc = od.new_document(f"{name}{DRAFT_MARK if draft else ''}", data.office_name, when)
    od.masthead(doc, data.office_name, number)
    title = od.title(doc, name)
    if draft:
        title.paragraph_format.space_after = Pt(0)
        mark = od.paragraph(doc, DRAFT_MARK, font_name=od.SUBHEADING_FONT, align=WD_ALIGN_PARAGRAPH.CENTER)
        mark.paragraph_format.space_after = od.LINE_PITCH
    return doc


def render_supervision_report_docx(data: SupervisionReportData) -> bytes:
    """The 督查报告 (Art. 6.5): 版头 with the number, title (and 送审稿 on a draft), the opening, 一、基本情况
    (sentences and the table per unit), 二、发现的主要问题 per unit with the photos two to a row, 三、核实情况,
    四、分析, 五、意见建议 (the office's text, or the system's drafts), and the 落款. Deterministic."""
    c = report_counts(data)
    doc = _start(data, data.title, data.report_no)
    _text(doc, _opening(data))
    _basic(doc, data, c)

    od.heading(doc, "二、发现的主要问题")
    with_findings = [u for u in data.units if u.findings]
    for n, u in enumerate(with_findings, start=1):
        od.heading(doc, f"（{chinese_number(n)}）{u.unit_name}", level=2)
        major = sum(f.severity_label == MAJOR for f in u.findings)
        od.paragraph(doc, f"发现问题{len(u.findings)}个" + (f"，其中重大问题{major}个。" if major else "。"), indent=True)
        for f in u.findings:
            _finding(doc, f)
    clean = [u.unit_name for u in data.units if not u.findings]
    if not with_findings:
        _text(doc, "此次督查未发现问题。")
    elif clean:
        _text(doc, f"{_names(clean)}未发现问题。")

    od.heading(doc, "三、核实情况")
    for n, u in enumerate(data.units, start=1):
        od.heading(doc, f"（{chinese_number(n)}）{u.unit_name}", level=2)
        _verifications(doc, u)

    od.heading(doc, "四、分析")
    for text in paragraphs_of(data.analysis or draft_analysis(data)):
        _text(doc, text)
    od.heading(doc, "五、意见建议")
    for text in paragraphs_of(data.recommendations or draft_recommendations(data)):
        _text(doc, text)

    od.closing(doc, data.office_name, _issue_date(data))
    return od.to_bytes(doc, data.issued_on or data.period_end)


def render_unit_feedback_docx(data: SupervisionReportData, unit_name: str, answer_by: date) -> bytes:
    """The 督查反馈意见 (Art. 6.6) to one unit: its findings with photos, its verifications and ledger check,
    the recommendations addressed to it (`unit_recommendations`), and the request for a written answer on
    the rectification by `answer_by` (Art. 6.5). Nothing of the other units. ValueError for a unit not in
    the report."""
    unit = data.unit(unit_name)
    doc = _start(data, "督查反馈意见", "")
    od.paragraph(doc, f"{unit.unit_name}：")
    when = chinese_date(unit.visited_on) if unit.visited_on else period_text(data.period_start, data.period_end)
    items = [(v.item_no, v.item_title) for v in unit.verifications] or list(data.items)
    how = "实地督查" if unit.visited_on else "督查"
    _text(doc, f"根据《{data.plan_title}》安排，督查组于{when}对你单位{_item_phrase(list(dict.fromkeys(items)))}落实情况"
               f"进行了{how}。现将督查发现的问题和意见建议反馈如下，请认真研究，抓好整改落实。")

    od.heading(doc, "一、发现的问题")
    if unit.findings:
        major = sum(f.severity_label == MAJOR for f in unit.findings)
        _text(doc, f"此次督查发现你单位问题{len(unit.findings)}个" + (f"，其中重大问题{major}个。" if major else "。"))
        for f in unit.findings:
            _finding(doc, f)
    else:
        _text(doc, "此次督查未发现你单位存在问题。")
    od.heading(doc, "二、核实情况")
    _verifications(doc, unit)
    od.heading(doc, "三、意见建议")
    for text in unit_recommendations(data, unit_name) or ["请对照督查要求，持续抓好工作落实。"]:
        _text(doc, text)
    od.heading(doc, "四、整改要求")
    _text(doc, f"请于{chinese_date(answer_by)}前将整改落实情况以书面形式报送{data.office_name}。已整改的问题，说明整改措施和"
               "成效；尚未整改到位的，剖析问题根源，提出整改措施，明确整改时限和责任人；不能按期完成的，经分管领导同意后"
               "说明原因。")
    od.closing(doc, data.office_name, _issue_date(data))
    return od.to_bytes(doc, data.issued_on or data.period_end)
