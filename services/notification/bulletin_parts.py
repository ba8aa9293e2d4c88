"""The variable blocks a bulletin's template takes as docxtpl subdocuments: the tables, the capped lists with
their note and the annexes, written with libs/common/official_docx.py's pieces as the whole document was
before templates (a table's XML is the same; only where it sits comes from the template).

A block is a python-docx document sharing the template's part (`tpl.new_subdoc()`): its tables take the
template's "Table Grid" style and its pictures go into the rendered document's media.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Length, Mm, Pt

from duban.notification.v1 import notification_pb2 as pb
from libs.common import official_docx as od
from libs.common.official_docx import chinese_date

TABLE_SIZE, TABLE_LINE = Pt(12), Pt(18)  # 小四: nine columns in 156 mm
# Annexes list thousands of items: one paragraph an item, 五号 on 14 pt lines, not a table - LibreOffice
# lays tables out ten times slower than paragraphs and one long table in time growing faster than its rows
# (1,500 items on this machine: one table 171 s, tables of 100 rows 45 s, paragraphs 4.6 s).
ANNEX_SIZE, ANNEX_LINE = Pt(10.5), Pt(14)
# Widths for 小四 (4.2 mm a character) plus the cell's margins (1.9 mm each side): 序号 takes 14 mm, a
# date such as 2026年7月17日 36 mm (LibreOffice spaces its digits) and 逾期工作日 on two lines 17 mm;
# narrower, they broke into columns of single characters.
UNIT_COLUMNS = (("序号", Mm(14)), ("单位", Mm(38)), ("事项\n数", Mm(13)), ("已办\n结", Mm(13)), ("按时\n办结", Mm(14)),
                ("转期", Mm(13)), ("逾期", Mm(13)), ("未办\n结", Mm(13)), ("按时办\n结率", Mm(25)))
ITEM_COLUMNS = (("序号", Mm(14)), ("事项编号", Mm(24)), ("督查事项", Mm(35)), ("承办单位", Mm(30)),
                ("完成时限", Mm(36)), ("逾期\n工作日", Mm(17)))
OPEN_COLUMNS = (("序号", Mm(14)), ("事项编号", Mm(24)), ("督查事项", Mm(32)), ("承办单位", Mm(28)),
                ("完成时限", Mm(36)), ("未办结原因", Mm(22)))
PROBLEM_COLUMNS = (("序号", Mm(14)), ("单位", Mm(30)), ("问题", Mm(68)), ("整改情况", Mm(44)))
CLEAR_COLUMNS = (("序号", Mm(14)), ("单位", Mm(58)), ("事项数", Mm(21)), ("已办结", Mm(21)), ("未办结", Mm(21)),
                 ("办结率", Mm(21)))

# An annex: its title and its entries, one line each (the full list a capped body list points to).
Annex = tuple[str, list[str]]
NewBlock = Callable[[], DocxDocument]  # tpl.new_subdoc


def date_text(text: str) -> str:
    return chinese_date(dt.date.fromisoformat(text)) if text else ""


def table(doc: DocxDocument, caption: str, columns: Sequence[tuple[str, Length]], rows: list[list[str]],
          centred: frozenset[int]) -> None:
    if caption:
        p = od.paragraph(doc, caption, font_name=od.HEADING_FONT, size=od.SMALL_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
        p.paragraph_format.keep_with_next = True
    od.table(doc, columns, rows, centred=centred, size=TABLE_SIZE, repeat_header=True, line=TABLE_LINE)
    od.off_grid(od.paragraph(doc), Pt(10))


def table_block(new: NewBlock, caption: str, columns: Sequence[tuple[str, Length]], rows: list[list[str]],
                centred: frozenset[int]) -> DocxDocument:
    block = new()
    table(block, caption, columns, rows, centred)
    return block


def _item_rows(lines: Sequence[pb.ItemLine], late: bool = True) -> list[list[str]]:
    return [[str(n), ln.item_no, ln.title, ln.unit_name, date_text(ln.due_date),
             str(ln.working_days_late) if late else (ln.reason or "未说明")] for n, ln in enumerate(lines, start=1)]


def _item_entries(lines: Sequence[pb.ItemLine], late: bool = True) -> list[str]:
    """An annex's lines: number, item number, title, then unit, deadline and days late (or the reason)."""
    return [f"{n}．{ln.item_no}　{ln.title}（{ln.unit_name}；完成时限{date_text(ln.due_date)}；"
            + (f"逾期{ln.working_days_late}个工作日）" if late else f"未办结原因：{ln.reason or '未说明'}）")
            for n, ln in enumerate(lines, start=1)]


def capped(new: NewBlock, annexes: list[Annex], caption: str, lines: Sequence[pb.ItemLine], cap: int,
           annex_title: str, late: bool = True) -> DocxDocument | str:
    """A list in the body, cut at `cap`: the rest is in an annex the body names. "" for no lines (the
    template leaves the block out)."""
    if not lines:
        return ""
    block = new()
    columns = ITEM_COLUMNS if late else OPEN_COLUMNS
    centred = frozenset({0, 4, 5}) if late else frozenset({0, 4})
    if len(lines) > cap:
        annexes.append((annex_title, _item_entries(lines, late)))
        od.paragraph(block, f"以下列出前{cap}件，共{len(lines)}件，全部清单见附件{len(annexes)}。", indent=True)
    table(block, caption, columns, _item_rows(lines[:cap], late), centred)
    return block


def problems(new: NewBlock, annexes: list[Annex], rows: list[list[str]], cap: int) -> DocxDocument:
    """The inspection problems' table, cut at `cap` like the item lists."""
    block = new()
    if len(rows) > cap:
        annexes.append(("督查发现问题及整改情况清单", [f"{row[0]}．{row[1]}：{row[2]}（{row[3]}）" for row in rows]))
        od.paragraph(block, f"以下列出前{cap}个，全部清单见附件{len(annexes)}。", indent=True)
    table(block, "", PROBLEM_COLUMNS, rows[:cap], frozenset({0}))
    return block


def annex_names(annexes: Sequence[Annex]) -> str:
    """The 附件 line's list after "附件：", one annex a line, the later ones aligned under the first."""
    return "\n\u3000\u3000\u3000".join(f"{n}．{title}" for n, (title, _entries) in enumerate(annexes, start=1))


def annex_block(new: NewBlock, annexes: Sequence[Annex]) -> DocxDocument | str:
    """The annexes after the 落款, each from a new page: 附件N, its title, one paragraph an entry."""
    if not annexes:
        return ""
    block = new()
    for n, (title, entries) in enumerate(annexes, start=1):
        od.paragraph(block).add_run().add_break(WD_BREAK.PAGE)
        od.paragraph(block, f"附件{n}", font_name=od.HEADING_FONT)
        od.title(block, title)
        for entry in entries:
            od.off_grid(od.paragraph(block, entry, size=ANNEX_SIZE), ANNEX_LINE)
    return block
