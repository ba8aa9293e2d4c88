"""The item's official papers as DOCX bytes: the 督办通知 (Art. 6.2) and the 督查事项办结报告单 (Art. 6.7, attachment 2)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from docx.document import Document as DocxDocument
from docx.shared import Mm

from libs.common import deadline_text, vocabulary
from libs.common import official_docx as od
from libs.common.official_docx import chinese_date, chinese_datetime

# The GB/T 9704 layout (fonts, grid, 版头, 落款) is libs/common/official_docx.py; this module writes the content.
CONTENT_TYPE = od.CONTENT_TYPE
SIGNATURE_LABEL = (
    "签\u3000\u3000\u3000\u3000名："  # the seed's "签        名：", padded to the width of "领导审核意见："
)
REPORT_KINDS = vocabulary.REPORT_KINDS


@dataclass(frozen=True, kw_only=True)
class NoticeData:
    """Everything a 督办通知 says. Units are (name, duty) pairs; labels are already in Chinese."""

    item_no: str
    title: str
    content: str
    source_label: str
    category_label: str
    key_tracking: bool
    lead_unit: tuple[str, str]
    co_units: tuple[tuple[str, str], ...]
    registered_on: date
    issued_on: date
    due_date: date
    requirements: tuple[str, ...]
    contact_name: str
    contact_phone: str
    org_name: str
    office_name: str = "区委区政府督查室"
    notice_no: str
    report_cadence_label: str
    due_date_provisional: bool = False  # counted across a year whose holiday table is not published
    revision_note: str = ""  # set when reprinted after the published calendar moved the deadline


_NOTICE_DATES = ("registered_on", "issued_on", "due_date")


def notice_data_json(data: NoticeData) -> str:
    """The notice's data kept with the assignment, so a revision prints the same notice again."""
    fields = dataclasses.asdict(data)
    for name in _NOTICE_DATES:
        fields[name] = fields[name].isoformat()
    return json.dumps(fields, ensure_ascii=False)


def notice_data_from_json(text: str) -> NoticeData:
    fields: dict[str, Any] = json.loads(text)
    for name in _NOTICE_DATES:
        fields[name] = date.fromisoformat(fields[name])
    fields["lead_unit"] = tuple(fields["lead_unit"])
    fields["co_units"] = tuple(tuple(u) for u in fields["co_units"])
    fields["requirements"] = tuple(fields["requirements"])
    return NoticeData(**fields)


@dataclass(frozen=True, kw_only=True)
class CompletionReportData:
    """Everything a 督查事项办结报告单 says. `completed_within_time` means by the deadline in force: the
    original one, or the new date of the last approved extension. Unsigned: opinion, signer and time empty.
    Extensions are (reason, old_date, new_date, approved_by)."""

    item_no: str
    title: str
    leader_name: str
    registered_on: date
    completed_within_time: bool
    report_kind: str
    unit_name: str
    filled_on: date
    leader_opinion: str = ""
    signed_by: str = ""
    signed_at: datetime | None = None
    result_summary: str = ""
    extensions: tuple[tuple[str, date, date, str], ...] = ()
    # The issued supervision reports covering the item (inspection's), e.g. "督查报告〔2026〕3号": the
    # sentence names them instead of saying only that a report was made.
    reports: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.report_kind not in REPORT_KINDS:
            raise ValueError(f"report_kind must be one of {sorted(REPORT_KINDS)}, not {self.report_kind!r}")
        if bool(self.signed_by) != (self.signed_at is not None):
            raise ValueError("signed_by and signed_at go together: both set when signed, both empty when not")

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


def completion_sentence(data: CompletionReportData) -> str:
    """The seed's sentence with the blanks filled. Two departures, both deliberate:
    - a late item does not claim "在规定时限内办结": an item closed within an approved extension says
      "已办结（经批准转期）", any other late item "已办结（超出规定时限）";
    - the seed writes 督察报告 here but 督查报告 in Art. 6.5; we use 督查报告, the office's own word."""
    if data.completed_within_time and not data.extensions:
        done = "该事项已在规定时限内办结"
    elif data.completed_within_time:
        done = "该事项已办结（经批准转期）"
    else:
        done = "该事项已办结（超出规定时限）"
    return (
        f"{data.title}（{data.item_no}）事项于{chinese_date(data.registered_on)}立项督办。经督促检查，"
        f"{done}，并形成{REPORT_KINDS[data.report_kind]}督查报告"
        f"{'（' + '、'.join(data.reports) + '）' if data.reports else ''}。请签审认可，予以销号。"
    )


# --- 督办通知 ---------------------------------------------------------------------------------------------


def unit_lines(data: NoticeData) -> list[str]:
    """ "主办单位：X（duty）" then one "协办单位：Y（duty）" per co-unit, as the notice prints them."""
    lead, duty = data.lead_unit
    lines = [f"主办单位：{lead}" + (f"（{duty}）" if duty else "")]
    lines += [f"协办单位：{name}" + (f"（{duty}）" if duty else "") for name, duty in data.co_units]
    return lines


def render_notice_docx(data: NoticeData) -> bytes:
    """The 督办通知 of Art. 6.2: red 版头 with the office, number, addressees, the task, 完成时限, 办理要求,
    reporting, contact and the 落款. Deterministic: the same data gives the same bytes."""
    doc = od.new_document(f"督办通知 {data.notice_no}", data.office_name, data.issued_on)
    od.masthead(doc, data.office_name, data.notice_no)
    od.title(doc, "督办通知（修订）" if data.revision_note else "督办通知")

    addressees = "、".join([data.lead_unit[0], *(name for name, _ in data.co_units)])
    od.paragraph(doc, f"{addressees}：")
    od.paragraph(
        doc,
        f"根据《{data.org_name}“710”工作定期督查通报制度（试行）》，现将“{data.title}”事项交由你单位办理，"
        "请高度重视，认真抓好落实。有关事项通知如下：",
        indent=True,
    )

    od.heading(doc, "一、督办事项")
    category = data.category_label + ("（重点跟踪事项，每月通报直至办结）" if data.key_tracking else "")
    for label, value in (
        ("立项编号：", data.item_no),
        ("事项名称：", data.title),
        ("事项内容：", data.content),
        ("事项来源：", data.source_label),
        ("事项类别：", category),
        ("立项时间：", chinese_date(data.registered_on)),
    ):
        od.labelled(doc, label, value)

    od.heading(doc, "二、承办单位及职责")
    for line in unit_lines(data):
        od.paragraph(doc, line, indent=True)
    if data.co_units:
        od.paragraph(doc, "主办单位牵头负责，协办单位按职责分工密切配合。", indent=True)

    od.heading(doc, "三、完成时限")
    due = deadline_text.due_date_text(data.due_date, data.due_date_provisional)
    od.paragraph(doc, f"请于{due}前办结，并以书面形式报送办理结果。", indent=True)
    if data.due_date_provisional:
        od.paragraph(doc, deadline_text.provisional_explanation([data.due_date.year]), indent=True)
    if data.revision_note:
        od.paragraph(doc, data.revision_note, indent=True, bold=True)

    od.heading(doc, "四、办理要求")
    for n, requirement in enumerate(data.requirements, start=1):
        od.paragraph(doc, f"{n}．{requirement}", indent=True)
    if not data.requirements:
        od.paragraph(doc, "按照事项内容抓好落实。", indent=True)

    # Art. 6.3 (weekly report) and 6.5 (written reply, extension approved by the leader, root-cause analysis).
    od.heading(doc, "五、报送要求")
    od.paragraph(
        doc,
        f"{data.report_cadence_label}。不能按时办结的，须经分管领导同意后说明原因，申请转期；"
        "未按要求落实的，须剖析问题根源，提出整改措施。",
        indent=True,
    )

    od.heading(doc, "六、联系方式")
    od.paragraph(doc, f"联系人：{data.contact_name}\u3000\u3000联系电话：{data.contact_phone}", indent=True)

    od.closing(doc, data.office_name, chinese_date(data.issued_on))
    return od.to_bytes(doc, data.issued_on)


# --- 督查事项办结报告单 ------------------------------------------------------------------------------------


_EXTENSION_COLUMNS = (  # widths add up to the 156 mm text width
    ("序号", Mm(14)),
    ("转期理由", Mm(34)),
    ("原完成时限", Mm(44)),
    ("转期后时限", Mm(44)),
    ("批准人", Mm(20)),
)


def _extension_table(doc: DocxDocument, extensions: tuple[tuple[str, date, date, str], ...]) -> None:
    rows = [
        [str(n), reason, chinese_date(old), chinese_date(new), approver]
        for n, (reason, old, new, approver) in enumerate(extensions, start=1)
    ]
    od.table(doc, _EXTENSION_COLUMNS, rows, centred=frozenset({0, 4}))


def render_completion_report_docx(data: CompletionReportData) -> bytes:
    """Attachment 2 as the seed lays it out, filled in; unsigned forms keep blank space to sign by hand.
    After the form, an appendix lists the 办理结果 and the 转期 records the leader signs against."""
    doc = od.new_document(f"督查事项办结报告单 {data.item_no}", data.unit_name, data.filled_on)
    od.masthead(doc, data.unit_name)  # the office that fills the form; a form has no 发文字号
    od.title(doc, "督查事项办结报告单")
    od.paragraph(doc, f"{data.leader_name}同志：")
    od.paragraph(doc, completion_sentence(data), indent=True)
    od.closing(doc, data.unit_name, chinese_date(data.filled_on))
    od.paragraph(doc)

    opinion = od.labelled(doc, "领导审核意见：", data.leader_opinion, indent=False)
    if data.leader_opinion:
        od.paragraph(doc)
    else:  # three ruled lines to write on; they also leave the space before the signature
        od.blank(opinion, 18)
        for _ in range(3):
            od.blank(od.paragraph(doc), 25)
    signature = od.labelled(doc, SIGNATURE_LABEL, "", indent=False)
    if data.signed_at is not None:
        od.font(signature.add_run(f"{data.signed_by}\u3000\u3000{chinese_datetime(data.signed_at)}"), od.BODY_FONT)
    else:
        od.blank(signature, 6)
        od.font(signature.add_run("\u3000日期：\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"), od.BODY_FONT)

    od.paragraph(doc)
    od.bottom_rule(od.paragraph(doc, "附：办理情况", font_name=od.HEADING_FONT), color="808080", eighths_of_point=6)
    od.labelled(doc, "办理结果：", data.result_summary or "（未填写）", indent=False)
    od.labelled(doc, "转期记录：", f"共{len(data.extensions)}次" if data.extensions else "无", indent=False)
    if data.extensions:
        _extension_table(doc, data.extensions)
    return od.to_bytes(doc, data.filled_on)
