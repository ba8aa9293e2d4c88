"""The supervision report of Art. 6.5 (专项 / 综合督查报告) and each unit's 督查反馈意见 (Art. 6.6) as DOCX bytes.

Pure: the plan's findings, verifications, photos and rectification state in (already in Chinese, names not
ids), bytes out; the GB/T 9704 layout comes from libs/common/official_docx.py. The counts, the draft
分析 and the draft 意见建议 are functions of the same data, so the office edits a draft the system wrote
from the facts, and the report's numbers are the facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Length, Mm, Pt

from libs.common import official_docx as od
from libs.common.official_docx import chinese_date, chinese_datetime, chinese_number, period_text
from services.inspection.report_content import (
    DRAFT_MARK,
    KINDS,
    MAJOR,
    ReportCounts,
    ReportFinding,
    ReportPhoto,
    ReportUnitPart,
    SupervisionReportData,
    rectification_stage,
    report_counts,
)
from services.inspection.report_text import (
    counts_phrase,
    draft_analysis,
    draft_recommendations,
    item_label,
    item_phrase,
    ledger_text,
    name_list,
    paragraphs_of,
    sentence,
    unit_recommendations,
)

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
    od.font(p.add_run(sentence(f.text)), od.BODY_FONT, od.BODY_SIZE)
    # One fact a line: run together, a line broke inside "涉及事项" before an item number it cannot split.
    item = item_label(f.item_no, f.item_title) if f.item_title or f.item_no else "无（未对应具体督查事项）"
    place = f"；发现地点：{f.place.strip()}" if f.place.strip() else ""
    od.paragraph(doc, f"问题类别：{f.category_label}；问题性质：{f.severity_label}问题。", indent=True)
    od.paragraph(doc, f"涉及事项：{item}。", indent=True)
    od.paragraph(doc, f"发现时间：{chinese_datetime(f.found_at)}{place}。", indent=True)
    od.paragraph(doc, f"整改情况：{sentence(f.rectification)}", indent=True)
    _photos(doc, f.photos)


def _verifications(doc: DocxDocument, unit: ReportUnitPart) -> None:
    od.paragraph(doc, f"台账检查：{ledger_text(unit)}", indent=True)
    if not unit.verifications:
        od.paragraph(doc, "核实情况：未核实具体事项。", indent=True)
        return
    off = sum(not (v.process_verified and v.result_verified) for v in unit.verifications)
    intro = od.paragraph(doc, f"核实情况：核实事项{len(unit.verifications)}项"
                         + (f"，其中与报告不符{off}项。" if off else "，均属实。"), indent=True)
    intro.paragraph_format.keep_with_next = True
    rows = [[str(n), item_label(v.item_no, v.item_title), _verdict(v.process_verified), _verdict(v.result_verified),
             v.note] for n, v in enumerate(unit.verifications, start=1)]
    _table(doc, _VERIFICATION_COLUMNS, rows, frozenset({0, 2, 3}))


def _table(doc: DocxDocument, columns: Sequence[tuple[str, Length]], rows: list[list[str]],
           centred: frozenset[int]) -> None:
    od.table(doc, columns, rows, centred=centred, size=TABLE_SIZE, repeat_header=True, line=TABLE_LINE)
    od.off_grid(od.paragraph(doc), Pt(10))  # a little air between the table and the next heading


def _opening(data: SupervisionReportData) -> str:
    team = f"{data.team_leader}任组长，{'、'.join(data.team_members)}为成员的督查组" if data.team_members \
        else f"{data.team_leader}带队的督查组"
    units = name_list([u.unit_name for u in data.units])
    return (f"根据《{data.plan_title}》安排，{period_text(data.period_start, data.period_end)}，由{team}，"
            f"通过实地查看、查阅工作任务台账、核实办理过程和办理结果等方式，对{units}{item_phrase(data.items)}"
            f"落实情况开展了{KINDS[data.kind]}督查。现将督查情况报告如下：")


def _basic(doc: DocxDocument, data: SupervisionReportData, c: ReportCounts) -> None:
    od.heading(doc, "一、基本情况")
    if data.items:
        listed = "；".join(f"{n}．{item_label(no, title)}" for n, (no, title) in enumerate(data.items, start=1))
        _text(doc, f"此次督查涉及督查事项{len(data.items)}项：{listed}。")
    not_visited = [u.unit_name for u in data.units if u.visited_on is None]
    visited = f"实地走访单位{c.units_visited}个" + (f"（{name_list(not_visited)}未走访）" if not_visited else "")
    _text(doc, f"督查组{visited}，核实事项办理情况{c.items_verified}项次，其中办理过程与报告不符"
               f"{c.process_discrepancies}项次、办理结果与报告不符{c.result_discrepancies}项次；检查工作任务台账"
               f"{c.ledgers_checked}个单位，未建立台账{c.ledgers_not_kept}个、台账更新不及时{c.ledgers_not_current}个。")
    if c.findings_total:
        text = f"共发现问题{c.findings_total}个，其中{counts_phrase((f'{label}问题', n) for label, n in c.by_severity)}；"
        text += f"按类别分，{counts_phrase(c.by_category)}。"
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
        _text(doc, f"{name_list(clean)}未发现问题。")

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
    _text(doc, f"根据《{data.plan_title}》安排，督查组于{when}对你单位{item_phrase(list(dict.fromkeys(items)))}落实情况"
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

