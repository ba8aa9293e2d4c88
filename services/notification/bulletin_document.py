"""The 督查通报 and the 清零 report as DOCX bytes, in the GB/T 9704 layout of libs/common/official_docx.py.

Pure: the bulletin's frozen facts (already in Chinese, names not ids), its texts, mentions and requirements
in, bytes out; the same data gives the same bytes (the approval binds them). Long lists are cut at the
facts' body_cap in the body, which then points to the annex holding them all (附件, after the 落款).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Length, Mm, Pt
from PIL import Image

from duban.notification.v1 import notification_pb2 as pb
from libs.common import official_docx as od
from libs.common.official_docx import chinese_date, chinese_datetime, chinese_number
from services.notification.domain import percent

TABLE_SIZE, TABLE_LINE = Pt(12), Pt(18)  # 小四: nine columns in 156 mm
# Annexes list thousands of items: one paragraph an item, 五号 on 14 pt lines, not a table - LibreOffice
# lays tables out ten times slower than paragraphs and one long table in time growing faster than its rows
# (1,500 items on this machine: one table 171 s, tables of 100 rows 45 s, paragraphs 4.6 s).
ANNEX_SIZE, ANNEX_LINE = Pt(10.5), Pt(14)
_UNIT_COLUMNS = (("序号", Mm(12)), ("单位", Mm(40)), ("事项\n数", Mm(13)), ("已办\n结", Mm(13)), ("按时\n办结", Mm(14)),
                 ("转期", Mm(13)), ("逾期", Mm(13)), ("未办\n结", Mm(13)), ("按时办\n结率", Mm(25)))
_ITEM_COLUMNS = (("序号", Mm(12)), ("事项编号", Mm(26)), ("督查事项", Mm(56)), ("承办单位", Mm(30)),
                 ("完成时限", Mm(20)), ("逾期\n工作日", Mm(12)))
_OPEN_COLUMNS = (("序号", Mm(12)), ("事项编号", Mm(26)), ("督查事项", Mm(44)), ("承办单位", Mm(28)),
                 ("完成时限", Mm(20)), ("未办结原因", Mm(26)))
_PROBLEM_COLUMNS = (("序号", Mm(12)), ("单位", Mm(30)), ("问题", Mm(70)), ("整改情况", Mm(44)))
_CLEAR_COLUMNS = (("序号", Mm(12)), ("单位", Mm(60)), ("事项数", Mm(21)), ("已办结", Mm(21)), ("未办结", Mm(21)),
                  ("办结率", Mm(21)))
RECT_WORDS = {"ordered": "限时整改中", "reported": "已报整改情况，待回头看", "rectified": "已整改到位",
              "overdue": "逾期未整改", "none": "待下达整改要求", "": "待下达整改要求"}
DRAFT_MARK = "（送审稿）"


@dataclass(frozen=True)
class MentionText:
    kind: str  # commendation | criticism
    text: str


@dataclass(frozen=True)
class RequirementText:
    unit_name: str
    text: str
    due: str  # "2026年10月23日前" or "印发之日起10个工作日内"


@dataclass(frozen=True)
class BulletinText:
    kind: str
    title: str
    office_name: str
    document_no: str  # "" until submitted
    issue_label: str  # 2026年第3期
    issued_on: dt.date | None  # None: not yet submitted (a draft, marked 送审稿)
    as_of: dt.datetime  # office local time
    opening: str
    closing: str
    facts: pb.Facts | None = None
    clearance: pb.ClearanceFacts | None = None
    mentions: Sequence[MentionText] = ()
    requirements: Sequence[RequirementText] = ()
    chart_png: bytes = b""
    corrects_document_no: str = ""


# An annex: its title and its entries, one line each (the full list a capped body list points to).
Annex = tuple[str, list[str]]


def paragraphs_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _date(text: str) -> str:
    return chinese_date(dt.date.fromisoformat(text)) if text else ""


def _table(doc: DocxDocument, caption: str, columns: Sequence[tuple[str, Length]], rows: list[list[str]],
           centred: frozenset[int]) -> None:
    if caption:
        p = od.paragraph(doc, caption, font_name=od.HEADING_FONT, size=od.SMALL_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
        p.paragraph_format.keep_with_next = True
    od.table(doc, columns, rows, centred=centred, size=TABLE_SIZE, repeat_header=True, line=TABLE_LINE)
    od.off_grid(od.paragraph(doc), Pt(10))


def _item_rows(lines: Sequence[pb.ItemLine], late: bool = True) -> list[list[str]]:
    return [[str(n), ln.item_no, ln.title, ln.unit_name, _date(ln.due_date),
             str(ln.working_days_late) if late else (ln.reason or "未说明")] for n, ln in enumerate(lines, start=1)]


def _item_entries(lines: Sequence[pb.ItemLine], late: bool = True) -> list[str]:
    """An annex's lines: number, item number, title, then unit, deadline and days late (or the reason)."""
    return [f"{n}．{ln.item_no}　{ln.title}（{ln.unit_name}；完成时限{_date(ln.due_date)}；"
            + (f"逾期{ln.working_days_late}个工作日）" if late else f"未办结原因：{ln.reason or '未说明'}）")
            for n, ln in enumerate(lines, start=1)]


def _capped(doc: DocxDocument, annexes: list[Annex], caption: str, lines: Sequence[pb.ItemLine], cap: int,
            annex_title: str, late: bool = True) -> None:
    """A list in the body, cut at `cap`: the rest is in an annex the body names."""
    columns = _ITEM_COLUMNS if late else _OPEN_COLUMNS
    centred = frozenset({0, 4, 5}) if late else frozenset({0, 4})
    if len(lines) > cap:
        annexes.append((annex_title, _item_entries(lines, late)))
        od.paragraph(doc, f"以下列出前{cap}件，共{len(lines)}件，全部清单见附件{len(annexes)}。", indent=True)
    _table(doc, caption, columns, _item_rows(lines[:cap], late), centred)


def _start(data: BulletinText) -> DocxDocument:
    when = data.issued_on or data.as_of.date()  # the document's own dates: no clock read, same data same bytes
    draft = data.issued_on is None
    doc = od.new_document(f"{data.title}{DRAFT_MARK if draft else ''}", data.office_name, when)
    od.masthead(doc, data.office_name, data.document_no)
    title = od.title(doc, data.title)
    title.paragraph_format.space_after = Pt(0)
    mark = od.paragraph(doc, f"（{data.issue_label}）" + (DRAFT_MARK if draft else ""), font_name=od.SUBHEADING_FONT,
                        align=WD_ALIGN_PARAGRAPH.CENTER)
    mark.paragraph_format.space_after = od.LINE_PITCH
    if data.corrects_document_no:
        od.paragraph(doc, f"本通报更正《{data.corrects_document_no}》，原通报内容以本通报为准。", indent=True)
    for text in paragraphs_of(data.opening):
        od.paragraph(doc, text, indent=True)
    return doc


def _chart(doc: DocxDocument, data: BulletinText, caption: str) -> None:
    if not data.chart_png:
        return
    with Image.open(io.BytesIO(data.chart_png)) as image:
        width, height = image.size
    od.figures(doc, [od.Figure(data.chart_png, width, height, caption)], per_row=1)


def _finish(doc: DocxDocument, data: BulletinText, annexes: list[Annex]) -> bytes:
    for text in paragraphs_of(data.closing):
        od.paragraph(doc, text, indent=True)
    if annexes:
        od.paragraph(doc)
        names = [f"{n}．{title}" for n, (title, *_rest) in enumerate(annexes, start=1)]
        p = od.paragraph(doc, f"附件：{names[0]}", indent=True)
        for name in names[1:]:
            p.runs[-1].add_break()
            od.font(p.add_run(f"\u3000\u3000\u3000{name}"), od.BODY_FONT, od.BODY_SIZE)
    issued = chinese_date(data.issued_on) if data.issued_on else "\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"
    od.closing(doc, data.office_name, issued)
    for n, (title, entries) in enumerate(annexes, start=1):
        brk = od.paragraph(doc)
        brk.add_run().add_break(WD_BREAK.PAGE)
        od.paragraph(doc, f"附件{n}", font_name=od.HEADING_FONT)
        od.title(doc, title)
        for entry in entries:
            od.off_grid(od.paragraph(doc, entry, size=ANNEX_SIZE), ANNEX_LINE)
    return od.to_bytes(doc, data.issued_on or data.as_of.date())


def render_bulletin_docx(data: BulletinText) -> bytes:
    """The 督查通报: 版头, title and 期数, the opening, 一、总体情况 (totals and percentages), 二、各单位办理情况
    (the table per unit and the chart), 三、滞后单位及事项, 四、红黄灯事项, 五、督查发现问题及整改情况,
    六、通报表扬和批评, 七、限时整改要求, the closing, 附件 and 落款; then the annexes."""
    f = data.facts
    assert f is not None
    annexes: list[Annex] = []
    t, cap, as_of = f.totals, f.body_cap or 20, chinese_datetime(data.as_of)
    doc = _start(data)
    od.heading(doc, "一、总体情况")
    od.paragraph(doc, (
        f"纳入本期通报的督查事项共{t.in_scope}件，其中已办结{t.closed}件，办结率{t.closed_pct}；在完成时限内办结"
        f"{t.closed_within_time}件，占已办结事项的{t.within_time_pct}；经批准转期{t.extended}件。截至{as_of}，"
        f"尚未办结{t.still_open}件，其中逾期{t.overdue}件，逾期率{t.overdue_pct}；红灯事项{t.red}件、黄灯事项"
        f"{t.yellow}件。"), indent=True)

    od.heading(doc, "二、各单位办理情况")
    rows = [[str(n), u.unit_name, str(u.in_scope), str(u.closed), str(u.closed_within_time), str(u.extended),
             str(u.overdue), str(u.still_open), u.on_time_pct] for n, u in enumerate(f.units, start=1)]
    rows.append(["", "合计", str(t.in_scope), str(t.closed), str(t.closed_within_time), str(t.extended), str(t.overdue),
                 str(t.still_open), ""])
    _table(doc, "表1  各单位督查事项办理情况", _UNIT_COLUMNS, rows, frozenset({0, 2, 3, 4, 5, 6, 7, 8}))
    _chart(doc, data, "图1  各单位按时办结率（按时办结件数/应办结件数）")

    od.heading(doc, "三、滞后单位及事项")
    lagging = [u for u in f.units if u.lagging]
    if not lagging:
        od.paragraph(doc, "本期无逾期未办结事项的单位。", indent=True)
    for n, u in enumerate(lagging, start=1):
        listed = "、".join(u.lagging_item_nos[:cap]) + (f"等{len(u.lagging_item_nos)}件" if len(u.lagging_item_nos) > cap else "")
        od.paragraph(doc, f"{n}．{u.unit_name}：{u.lagging_reason}（{listed}），按时办结率{u.on_time_pct}。", indent=True)
    if f.overdue:
        _capped(doc, annexes, "表2  逾期未办结事项", f.overdue, cap, "逾期未办结事项清单")

    od.heading(doc, "四、红黄灯事项")
    # Every overdue item is red (表2 and its annex list them); the red list names the others: open, not past
    # their deadline, raised to red (a rectification overdue) - so no item is listed twice.
    late = {ln.item_id for ln in f.overdue}
    raised = [ln for ln in f.red if ln.item_id not in late]
    od.paragraph(doc, f"截至{as_of}，红灯事项{len(f.red)}件（其中逾期未办结{len(f.red) - len(raised)}件，见表2"
                      f"{'及附件1' if len(f.overdue) > cap else ''}）、黄灯事项{len(f.yellow)}件。", indent=True)
    if raised:
        od.heading(doc, "（一）因整改逾期等亮红灯的事项", level=2)
        _capped(doc, annexes, "", raised, cap, "未逾期但亮红灯的事项清单")
    if f.yellow:
        od.heading(doc, "（二）黄灯事项", level=2)
        _capped(doc, annexes, "", f.yellow, cap, "黄灯事项清单")

    od.heading(doc, "五、督查发现问题及整改情况")
    if not f.problems:
        od.paragraph(doc, "本期无督查发现问题。", indent=True)
    else:
        states = [p.rectification_status for p in f.problems]
        od.paragraph(doc, f"本期涉及督查发现问题{len(f.problems)}个，已整改到位{states.count('rectified')}个，"
                          f"正在整改{states.count('ordered') + states.count('reported')}个，逾期未整改"
                          f"{states.count('overdue')}个。", indent=True)
        prow = [[str(n), p.unit_name, p.text, RECT_WORDS.get(p.rectification_status, p.rectification_status)
                 + (f"（期限{_date(p.due_date)}）" if p.due_date and p.rectification_status != "rectified" else "")]
                for n, p in enumerate(f.problems, start=1)]
        if len(prow) > cap:
            annexes.append(("督查发现问题及整改情况清单", [f"{row[0]}．{row[1]}：{row[2]}（{row[3]}）" for row in prow]))
            od.paragraph(doc, f"以下列出前{cap}个，全部清单见附件{len(annexes)}。", indent=True)
        _table(doc, "", _PROBLEM_COLUMNS, prow[:cap], frozenset({0}))

    od.heading(doc, "六、通报表扬和批评")
    for number, (kind, label) in enumerate((("commendation", "通报表扬"), ("criticism", "通报批评")), start=1):
        od.heading(doc, f"（{chinese_number(number)}）{label}", level=2)
        texts = [m.text for m in data.mentions if m.kind == kind]
        if not texts:
            od.paragraph(doc, "无。", indent=True)
        for text in texts:
            od.paragraph(doc, text, indent=True)

    od.heading(doc, "七、限时整改要求")
    if not data.requirements:
        od.paragraph(doc, "无。", indent=True)
    for n, r in enumerate(data.requirements, start=1):
        od.paragraph(doc, f"{n}．{r.unit_name}：{r.text}，{r.due}整改到位。", indent=True)
    return _finish(doc, data, annexes)


def render_clearance_docx(data: BulletinText) -> bytes:
    """The 清零 report: 一、总体情况, 二、各单位清零情况 (table and chart), 三、未办结事项及原因, closing, 落款, annex."""
    c = data.clearance
    assert c is not None
    annexes: list[Annex] = []
    cap = 20
    doc = _start(data)
    od.heading(doc, "一、总体情况")
    rest = (f"尚未办结{c.not_closed}件，均已明确原因和办结时限。" if c.not_closed else "已全部清零。")
    od.paragraph(doc, f"{c.year}年度共立项督查事项{c.total}件，截至{chinese_datetime(data.as_of)}已办结{c.closed}件，"
                      f"办结率{c.cleared_pct}；{rest}", indent=True)
    od.heading(doc, "二、各单位清零情况")
    rows = [[str(n), u.unit_name, str(u.in_scope), str(u.closed), str(u.still_open),
             percent(u.closed, u.in_scope)]
            for n, u in enumerate(c.units, start=1)]
    rows.append(["", "合计", str(c.total), str(c.closed), str(c.not_closed), c.cleared_pct])
    _table(doc, "表1  各单位督查事项清零情况", _CLEAR_COLUMNS, rows, frozenset({0, 2, 3, 4, 5}))
    _chart(doc, data, "图1  各单位办结率")
    od.heading(doc, "三、未办结事项及原因")
    if not c.not_closed_items:
        od.paragraph(doc, "无。", indent=True)
    else:
        _capped(doc, annexes, "表2  未办结事项", c.not_closed_items, cap, "未办结事项及原因清单", late=False)
    return _finish(doc, data, annexes)
