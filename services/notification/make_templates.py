"""`python -m services.notification.make_templates [DIR]`: write the bulletin's and the 清零 report's DOCX
templates (templates/bulletin.docx, clearance.docx by default) in the GB/T 9704 layout of
libs/common/official_docx.py, for docxtpl to fill (bulletin_document.py).

The frame is here - 版头, title and 期数, headings, the fixed sentences, 落款 - with the variable parts as
Jinja tags, each written in one run: Word and WPS split a run where it is edited, and a tag split across
runs is what breaks templates. The committed files are this script's output (a test holds them to it);
an office edits a copy in Word and points DUBAN_BULLETIN_TEMPLATE_DIR at its folder.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from libs.common import official_docx as od
from services.notification.bulletin_templates import BULLETIN_FILE, CLEARANCE_FILE, COMMITTED_DIR

STAMP = dt.date(2026, 1, 1)  # the files' own date: the same script writes the same bytes
OFFICE = "区委区政府督查室"  # the 落款's width is set for this name and a date like 2026年10月10日


def _tag(doc: DocxDocument, tag: str) -> None:
    """A paragraph holding only a `{%p ... %}` tag (docxtpl drops the paragraph when rendering)."""
    od.paragraph(doc, tag)


def _each(doc: DocxDocument, loop: str, body: str, empty: str = "") -> None:
    """A paragraph per element of a list (`{%p for %}`), or `empty` when the list is."""
    _tag(doc, f"{{%p {loop} %}}")
    od.paragraph(doc, body, indent=True)
    if empty:
        _tag(doc, "{%p else %}")
        od.paragraph(doc, empty, indent=True)
    _tag(doc, "{%p endfor %}")


def _top(title: str) -> DocxDocument:
    """版头 (mark, 文号, red rule), title, 期数 (and a draft's mark), a correction's note, the opening."""
    doc = od.new_document(title, OFFICE, STAMP)
    od.masthead(doc, "{{ office_name }}", "{{ document_no }}")
    # A draft has no 文号 yet: its two blank lines go, and the rule (on the empty number line) comes up under
    # the mark, as od.masthead sets a document without a number.
    _mark, first_blank, _second_blank, number = doc.paragraphs[:4]
    number.insert_paragraph_before("{%p endif %}")
    first_blank.insert_paragraph_before("{%p if document_no %}")
    od.title(doc, "{{ title }}").paragraph_format.space_after = Pt(0)
    mark = od.paragraph(doc, "（{{ issue_label }}）{{ draft_mark }}", font_name=od.SUBHEADING_FONT,
                        align=WD_ALIGN_PARAGRAPH.CENTER)
    mark.paragraph_format.space_after = od.LINE_PITCH
    _tag(doc, "{%p if corrects_document_no %}")
    od.paragraph(doc, "本通报更正《{{ corrects_document_no }}》，原通报内容以本通报为准。", indent=True)
    _tag(doc, "{%p endif %}")
    _each(doc, "for text in opening", "{{ text }}")
    return doc


def _chart(doc: DocxDocument, caption: str) -> None:
    _tag(doc, "{%p if chart %}")
    od.picture_line(doc, "{{ chart }}")
    shown = od.off_grid(od.paragraph(doc, caption, size=od.CAPTION_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER),
                        od.CAPTION_LINE)
    shown.paragraph_format.space_after = Pt(6)
    _tag(doc, "{%p endif %}")


def _bottom(doc: DocxDocument) -> bytes:
    """The closing, the 附件 line, 落款, then the annexes (each from a new page)."""
    _each(doc, "for text in closing", "{{ text }}")
    _tag(doc, "{%p if annex_names %}")
    od.paragraph(doc)
    od.paragraph(doc, "附件：{{ annex_names }}", indent=True)
    _tag(doc, "{%p endif %}")
    od.closing_on_tab(doc, "{{ office_name }}", "{{ issued }}", max(od.text_width(OFFICE), od.text_width("2026年10月10日")))
    od.paragraph(doc, "{{p annexes }}")
    return od.to_bytes(doc, STAMP)


def bulletin() -> bytes:
    doc = _top("督查通报（模板）")
    od.heading(doc, "一、总体情况")
    od.paragraph(doc, (
        "纳入本期通报的督查事项共{{ t.in_scope }}件，其中已办结{{ t.closed }}件，办结率{{ t.closed_pct }}；在完成时限内"
        "办结{{ t.closed_within_time }}件，占已办结事项的{{ t.within_time_pct }}；经批准转期{{ t.extended }}件。截至"
        "{{ as_of }}，尚未办结{{ t.still_open }}件，其中逾期{{ t.overdue }}件，逾期率{{ t.overdue_pct }}；红灯事项"
        "{{ t.red }}件、黄灯事项{{ t.yellow }}件。"), indent=True)
    od.heading(doc, "二、各单位办理情况")
    od.paragraph(doc, "{{p unit_table }}")
    _chart(doc, "图1  各单位按时办结率（按时办结件数/应办结件数）")
    od.heading(doc, "三、滞后单位及事项")
    _each(doc, "for u in lagging",
          "{{ loop.index }}．{{ u.unit_name }}：{{ u.reason }}（{{ u.item_nos }}），按时办结率{{ u.on_time_pct }}。",
          "本期无逾期未办结事项的单位。")
    od.paragraph(doc, "{{p overdue_list }}")
    od.heading(doc, "四、红黄灯事项")
    od.paragraph(doc, "截至{{ as_of }}，红灯事项{{ lights.red }}件（其中逾期未办结{{ lights.red_overdue }}件，见表2"
                      "{{ lights.annex }}）、黄灯事项{{ lights.yellow }}件。", indent=True)
    for test, heading in (("raised_list", "（一）因整改逾期等亮红灯的事项"), ("yellow_list", "（二）黄灯事项")):
        _tag(doc, f"{{%p if {test} %}}")
        od.heading(doc, heading, level=2)
        od.paragraph(doc, f"{{{{p {test} }}}}")
        _tag(doc, "{%p endif %}")
    od.heading(doc, "五、督查发现问题及整改情况")
    _tag(doc, "{%p if problems %}")
    od.paragraph(doc, "本期涉及督查发现问题{{ problems.total }}个，已整改到位{{ problems.rectified }}个，正在整改"
                      "{{ problems.ongoing }}个，逾期未整改{{ problems.overdue }}个。", indent=True)
    od.paragraph(doc, "{{p problem_list }}")
    _tag(doc, "{%p else %}")
    od.paragraph(doc, "本期无督查发现问题。", indent=True)
    _tag(doc, "{%p endif %}")
    od.heading(doc, "六、通报表扬和批评")
    od.heading(doc, "（一）通报表扬", level=2)
    _each(doc, "for text in commendations", "{{ text }}", "无。")
    od.heading(doc, "（二）通报批评", level=2)
    _each(doc, "for text in criticisms", "{{ text }}", "无。")
    od.heading(doc, "七、限时整改要求")
    _each(doc, "for r in requirements", "{{ loop.index }}．{{ r.unit_name }}：{{ r.text }}，{{ r.due }}整改到位。", "无。")
    return _bottom(doc)


def clearance() -> bytes:
    doc = _top("督查事项清零情况报告（模板）")
    od.heading(doc, "一、总体情况")
    od.paragraph(doc, (
        "{{ c.year }}年度共立项督查事项{{ c.total }}件，截至{{ as_of }}已办结{{ c.closed }}件，办结率{{ c.cleared_pct }}；"
        "{% if c.not_closed %}尚未办结{{ c.not_closed }}件，均已明确原因和办结时限。{% else %}已全部清零。{% endif %}"),
        indent=True)
    od.heading(doc, "二、各单位清零情况")
    od.paragraph(doc, "{{p unit_table }}")
    _chart(doc, "图1  各单位办结率")
    od.heading(doc, "三、未办结事项及原因")
    _tag(doc, "{%p if open_list %}")
    od.paragraph(doc, "{{p open_list }}")
    _tag(doc, "{%p else %}")
    od.paragraph(doc, "无。", indent=True)
    _tag(doc, "{%p endif %}")
    return _bottom(doc)


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else COMMITTED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in ((BULLETIN_FILE, bulletin()), (CLEARANCE_FILE, clearance())):
        (folder / name).write_bytes(data)
        print(f"wrote {folder / name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
