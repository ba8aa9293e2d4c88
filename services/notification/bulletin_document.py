"""The 督查通报 and the 清零 report as DOCX bytes: the office's template (templates/*.docx, GB/T 9704 layout,
`make_templates.py`) filled by docxtpl.

The template holds the frame (版头, title and 期数, headings, the fixed sentences, 落款 and 版记); this module
gives it the variable parts: numbers and names, text paragraphs as lists, the tables, capped lists and
annexes as subdocuments (bulletin_parts.py) and the chart as an inline picture. Pure: the bulletin's frozen
facts (already in Chinese, names not ids), its texts, mentions and requirements in, bytes out; the same data
and template give the same bytes (the approval binds them).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from docx.oxml.ns import nsmap
from docxtpl import DocxTemplate, InlineImage, Listing
from jinja2 import Environment, StrictUndefined
from PIL import Image

from duban.notification.v1 import notification_pb2 as pb
from libs.common import official_docx as od
from libs.common.official_docx import chinese_date, chinese_datetime
from services.notification import bulletin_parts as parts
from services.notification import bulletin_templates
from services.notification.bulletin_parts import Annex
from services.notification.domain import percent

# docxcompose, which docxtpl imports for its subdocuments, maps python-docx's "cp" prefix to the custom
# properties' namespace for the whole process: python-docx then writes its cp:lastModifiedBy under the wrong
# namespace into every document. Its own mapping back (docxcompose's custom properties are not used here).
nsmap["cp"] = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"

RECT_WORDS = {"ordered": "限时整改中", "reported": "已报整改情况，待回头看", "rectified": "已整改到位",
              "overdue": "逾期未整改", "none": "待下达整改要求", "": "待下达整改要求"}
DRAFT_MARK = "（送审稿）"
UNDATED = "\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"  # a draft's 成文日期, written in when issued
# LibreOffice, which prints the PDF the leader approves, fits 19 characters of 2号 in the 156 mm line with
# the substitute faces, not od.TITLE_CHARS (20): "关于…办理情况的" of 20 left "的" alone on the title's 2nd line.
TITLE_CHARS = od.TITLE_CHARS - 1
# Strict: a tag naming nothing (an office's typo) fails the render - and the start-up check - instead of
# printing nothing. Autoescape: the office's and units' words are text, never XML.
JINJA = Environment(undefined=StrictUndefined, autoescape=True)


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


def paragraphs_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _frame(tpl: DocxTemplate, data: BulletinText) -> dict[str, Any]:
    """What both templates print around their sections: 版头, title, 期数, the opening and closing, 落款."""
    return {
        "office_name": data.office_name, "document_no": data.document_no,
        "title": Listing("\n".join(od.title_lines(data.title, TITLE_CHARS))),  # broken by meaning
        "issue_label": data.issue_label, "draft_mark": DRAFT_MARK if data.issued_on is None else "",
        "corrects_document_no": data.corrects_document_no, "opening": paragraphs_of(data.opening),
        "closing": paragraphs_of(data.closing), "as_of": chinese_datetime(data.as_of),
        "issued": chinese_date(data.issued_on) if data.issued_on else UNDATED, "chart": _chart(tpl, data)}


def _chart(tpl: DocxTemplate, data: BulletinText) -> InlineImage | str:
    if not data.chart_png:
        return ""
    with Image.open(io.BytesIO(data.chart_png)) as image:
        width, height = od.figure_size(*image.size, per_row=1)
    return InlineImage(tpl, io.BytesIO(data.chart_png), width=width, height=height)


def context(tpl: DocxTemplate, data: BulletinText) -> dict[str, Any]:
    """Every variable the template of `data`'s kind is given (a clearance report when it has clearance facts);
    template_check.py holds a template's tags against these names."""
    fill = _clearance_sections(data) if data.clearance is not None else _bulletin_sections(data)
    annexes: list[Annex] = []
    out = _frame(tpl, data) | fill(tpl, annexes)  # the sections name the annexes they fill, in order
    return out | {"annex_names": Listing(parts.annex_names(annexes)) if annexes else "",
                  "annexes": parts.annex_block(tpl.new_subdoc, annexes)}


def _render(template: bulletin_templates.Template, data: BulletinText) -> bytes:
    tpl = DocxTemplate(io.BytesIO(template.data))
    tpl.render(context(tpl, data), JINJA)
    when = data.issued_on or data.as_of.date()  # the document's own dates: no clock read, same data same bytes
    od.properties(tpl.docx, f"{data.title}{DRAFT_MARK if data.issued_on is None else ''}", data.office_name, when)
    out = io.BytesIO()
    tpl.save(out)
    return od.repack(out.getvalue(), when)


def _bulletin_sections(data: BulletinText) -> Callable[[DocxTemplate, list[Annex]], dict[str, Any]]:
    f = data.facts
    assert f is not None

    def fill(tpl: DocxTemplate, annexes: list[Annex]) -> dict[str, Any]:
        new, t, cap = tpl.new_subdoc, f.totals, f.body_cap or 20
        rows = [[str(n), u.unit_name, str(u.in_scope), str(u.closed), str(u.closed_within_time), str(u.extended),
                 str(u.overdue), str(u.still_open), u.on_time_pct] for n, u in enumerate(f.units, start=1)]
        rows.append(["", "合计", str(t.in_scope), str(t.closed), str(t.closed_within_time), str(t.extended),
                     str(t.overdue), str(t.still_open), ""])
        lagging = [{"unit_name": u.unit_name, "reason": u.lagging_reason, "on_time_pct": u.on_time_pct,
                    "item_nos": "、".join(u.lagging_item_nos[:cap])
                    + (f"等{len(u.lagging_item_nos)}件" if len(u.lagging_item_nos) > cap else "")}
                   for u in f.units if u.lagging]
        # Every overdue item is red (表2 and its annex list them); the red list names the others: open, not past
        # their deadline, raised to red (a rectification overdue) - so no item is listed twice.
        late = {ln.item_id for ln in f.overdue}
        raised = [ln for ln in f.red if ln.item_id not in late]
        out: dict[str, Any] = {
            "t": {name: getattr(t, name) for name in ("in_scope", "closed", "closed_pct", "closed_within_time",
                                                      "within_time_pct", "extended", "still_open", "overdue",
                                                      "overdue_pct", "red", "yellow")},
            "unit_table": parts.table_block(new, "表1  各单位督查事项办理情况", parts.UNIT_COLUMNS, rows,
                                            frozenset({0, 2, 3, 4, 5, 6, 7, 8})),
            "lagging": lagging,
            "overdue_list": parts.capped(new, annexes, "表2  逾期未办结事项", f.overdue, cap, "逾期未办结事项清单"),
            "lights": {"red": len(f.red), "red_overdue": len(f.red) - len(raised), "yellow": len(f.yellow),
                       "annex": "及附件1" if len(f.overdue) > cap else ""},
            "raised_list": parts.capped(new, annexes, "", raised, cap, "未逾期但亮红灯的事项清单"),
            "yellow_list": parts.capped(new, annexes, "", f.yellow, cap, "黄灯事项清单"),
            "problems": "", "problem_list": "",
            "commendations": [m.text for m in data.mentions if m.kind == "commendation"],
            "criticisms": [m.text for m in data.mentions if m.kind == "criticism"],
            "requirements": [{"unit_name": r.unit_name, "text": r.text, "due": r.due} for r in data.requirements],
        }
        if f.problems:
            states = [p.rectification_status for p in f.problems]
            out["problems"] = {"total": len(f.problems), "rectified": states.count("rectified"),
                               "ongoing": states.count("ordered") + states.count("reported"),
                               "overdue": states.count("overdue")}
            prow = [[str(n), p.unit_name, p.text, RECT_WORDS.get(p.rectification_status, p.rectification_status)
                     + (f"（期限{parts.date_text(p.due_date)}）" if p.due_date and p.rectification_status != "rectified"
                        else "")] for n, p in enumerate(f.problems, start=1)]
            out["problem_list"] = parts.problems(new, annexes, prow, cap)
        return out

    return fill


def render_bulletin_docx(data: BulletinText, templates: bulletin_templates.Templates | None = None) -> bytes:
    """The 督查通报: 版头, title and 期数, the opening, 一、总体情况 (totals and percentages), 二、各单位办理情况
    (the table per unit and the chart), 三、滞后单位及事项, 四、红黄灯事项, 五、督查发现问题及整改情况,
    六、通报表扬和批评, 七、限时整改要求, the closing, 附件 and 落款; then the annexes."""
    return _render((templates or bulletin_templates.committed()).bulletin, data)


def _clearance_sections(data: BulletinText) -> Callable[[DocxTemplate, list[Annex]], dict[str, Any]]:
    c = data.clearance
    assert c is not None

    def fill(tpl: DocxTemplate, annexes: list[Annex]) -> dict[str, Any]:
        rows = [[str(n), u.unit_name, str(u.in_scope), str(u.closed), str(u.still_open), percent(u.closed, u.in_scope)]
                for n, u in enumerate(c.units, start=1)]
        rows.append(["", "合计", str(c.total), str(c.closed), str(c.not_closed), c.cleared_pct])
        return {
            "c": {"year": c.year, "total": c.total, "closed": c.closed, "cleared_pct": c.cleared_pct,
                  "not_closed": c.not_closed},
            "unit_table": parts.table_block(tpl.new_subdoc, "表1  各单位督查事项清零情况", parts.CLEAR_COLUMNS, rows,
                                            frozenset({0, 2, 3, 4, 5})),
            "open_list": parts.capped(tpl.new_subdoc, annexes, "表2  未办结事项", c.not_closed_items, 20,
                                      "未办结事项及原因清单", late=False),
        }

    return fill


def render_clearance_docx(data: BulletinText, templates: bulletin_templates.Templates | None = None) -> bytes:
    """The 清零 report: 一、总体情况, 二、各单位清零情况 (table and chart), 三、未办结事项及原因, closing, 落款, annex."""
    return _render((templates or bulletin_templates.committed()).clearance, data)
