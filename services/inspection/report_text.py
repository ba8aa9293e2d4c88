"""The words the system drafts for a supervision report from its facts (report_content.py): the 分析 of the
problems found and the 意见建议, for the whole plan and for each unit - a draft the office edits, whose
numbers are the facts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from libs.common.official_docx import chinese_number
from services.inspection.report_content import (
    CATEGORY_ORDER,
    MAJOR,
    ReportFinding,
    ReportUnitPart,
    SupervisionReportData,
    ordered,
    percent,
    rectification_stage,
    report_counts,
)


def name_list(names: Sequence[str], most: int = 5, noun: str = "个单位") -> str:
    """ "甲、乙、丙", or "甲、乙、丙、丁、戊等7个单位" past `most` names."""
    if len(names) <= most:
        return "、".join(names)
    return "、".join(names[:most]) + f"等{len(names)}{noun}"


def _refs(findings: Iterable[ReportFinding]) -> str:
    return "、".join(f"问题{f.number}" for f in findings)


def sentence(text: str) -> str:
    """The text ending as a sentence ends (inspectors often leave the full stop off)."""
    text = text.strip()
    core = text.rstrip("”’）)」")  # "……。”" and "（见附件。）" are ended; "……（第2次）" is not
    return text if not core or core[-1] in "。！？；…" else text + "。"


def item_phrase(items: Sequence[tuple[str, str]]) -> str:
    if not items:
        return "有关工作"
    if len(items) <= 3:
        return "".join(f"“{title}”" for _, title in items) + "事项"
    return f"“{items[0][1]}”等{len(items)}项督查事项"


def counts_phrase(pairs: Iterable[tuple[str, int]], unit: str = "个") -> str:
    return "、".join(f"{label}{count}{unit}" for label, count in pairs)


def ledger_text(unit: ReportUnitPart) -> str:
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


def item_label(item_no: str, title: str) -> str:
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
            text += f"其中重大问题{c.major}个，占{percent(c.major, c.findings_total)}，集中在{name_list(major_units)}。"
        most = max(len(u.findings) for u in with_findings)
        top = [u.unit_name for u in with_findings if len(u.findings) == most]
        if len(with_findings) > 1:
            text += f"问题最多的是{name_list(top)}（{'各' if len(top) > 1 else ''}{most}个）。"
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
                     f"项次，涉及{name_list(off)}，报告与实际不符的占{percent(c.discrepancies, c.items_verified)}。")
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
        text += f"，涉及{name_list(overdue_units)}。" if overdue_units else "。"
        out.append(text)
    if c.ledgers_checked:
        missing = [u.unit_name for u in data.units if u.ledger_kept is False]
        stale = [u.unit_name for u in data.units if u.ledger_kept and u.ledger_current is False]
        text = f"（{chinese_number(len(out) + 1)}）台账管理。检查{c.ledgers_checked}个单位的工作任务台账，"
        if missing or stale:
            parts = [f"{name_list(missing)}未建立台账" if missing else "", f"{name_list(stale)}台账更新不及时" if stale else ""]
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
        return "你单位" if unit is not None else name_list([u.unit_name for u in units])

    paragraphs: list[tuple[str, str]] = []
    findings = [f for u in parts for f in u.findings]
    for label, _ in ordered(Counter(f.category_label for f in findings), CATEGORY_ORDER):
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

