"""The item's official papers as DOCX bytes: the 督办通知 (Art. 6.2) and the 督查事项办结报告单 (Art. 6.7, attachment 2)."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Length, Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from libs.common import deadline_text, vocabulary

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# GB/T 9704-2012 (党政机关公文格式): A4, 版心 156 mm x 225 mm (上 37, 下 35, 左 28, 右 26 mm); 正文 3号
# 仿宋_GB2312, 22 lines of 28 characters filling the 版心 (7.1: "一般每面排22行，每行排28个字"); 标题 2号
# 方正小标宋简体 centred; 发文机关标志 in red 小标宋 over the 发文字号 and a red rule as wide as the 版心;
# 一级标题 黑体; page numbers 4号 半角宋体 "— 1 —", odd pages right and even pages left, one character in.
# Word (and LibreOffice through fontconfig, deploy/fonts) substitutes a font that is not installed.
BODY_FONT, TITLE_FONT, HEADING_FONT, LATIN_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体", "Times New Roman"
PAGE_NUMBER_FONT = "宋体"
BODY_SIZE, TITLE_SIZE, SMALL_SIZE = Pt(16), Pt(22), Pt(14)  # 3号, 2号, 4号
MARK_SIZE = Pt(30)  # 发文机关标志: GB/T leaves its size to the office (醒目、美观、庄重)
RED = RGBColor(0xC0, 0x00, 0x00)
INDENT = Pt(32)  # two characters of 三号 text
TEXT_WIDTH, TEXT_HEIGHT = Mm(156), Mm(225)
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
# 28.95 pt: whole twips, rounded down so that 22 lines fit in the 版心 (29 pt would make it 225.1 mm)
LINE_PITCH = Pt(math.floor(TEXT_HEIGHT.pt / LINES_PER_PAGE * 20) / 20)
# 28 characters fill the 156 mm line when each is drawn 0.2 pt closer than its 16 pt (a line grid and this
# spacing, not Word's character grid: LibreOffice lays a linesAndChars grid out at twice the pitch).
CHAR_SPACING_TWIPS = math.floor((TEXT_WIDTH.pt / CHARS_PER_LINE - BODY_SIZE.pt) * 20)
RULE_GAP = Pt(11)  # the red rule 4 mm below the 发文字号
RULE_UNDER_TEXT = Pt(4)
SIGNATURE_LABEL = (
    "签\u3000\u3000\u3000\u3000名："  # the seed's "签        名：", padded to the width of "领导审核意见："
)
REPORT_KINDS = vocabulary.REPORT_KINDS


def chinese_date(d: date) -> str:
    """2026-12-07 -> "2026年12月7日" (no zero padding, as official documents write dates)."""
    return f"{d.year}年{d.month}月{d.day}日"


def chinese_datetime(dt: datetime) -> str:
    """The wall-clock time as given (callers convert to local time first): "2026年12月8日 10:30"."""
    return f"{chinese_date(dt.date())} {dt:%H:%M}"


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


# --- low-level helpers ------------------------------------------------------------------------------------


def _font(
    run: Run, east_asia: str, size: Length | None = None, bold: bool = False, color: RGBColor | None = None
) -> Run:
    run.font.name = LATIN_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    if size is not None:
        run.font.size = size
    run.font.bold = bold or None
    if color is not None:
        run.font.color.rgb = color
    return run


def _para(
    doc_or_cell: DocxDocument | _Cell,
    text: str = "",
    *,
    font: str = BODY_FONT,
    size: Length = BODY_SIZE,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    bold: bool = False,
    color: RGBColor | None = None,
    right_indent: Length | None = None,
) -> Paragraph:
    p = doc_or_cell.add_paragraph()
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE_PITCH if size >= BODY_SIZE else Pt(22)
    if align is not None:
        p.alignment = align
    if indent:
        fmt.first_line_indent = INDENT
    if right_indent is not None:
        fmt.right_indent = right_indent
    if text:
        _font(p.add_run(text), font, size, bold, color)
    return p


def _labelled(doc: DocxDocument, label: str, value: str, *, indent: bool = True) -> Paragraph:
    p = _para(doc, indent=indent)
    _font(p.add_run(label), HEADING_FONT if not indent else BODY_FONT, BODY_SIZE, bold=not indent)
    _font(p.add_run(value), BODY_FONT, BODY_SIZE)
    return p


def _bottom_rule(paragraph: Paragraph, color: str = "C00000", eighths_of_point: int = 18,
                 gap: Length = RULE_UNDER_TEXT) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", str(eighths_of_point)), ("w:space", str(round(gap.pt))),
                       ("w:color", color)):
        bottom.set(qn(key), value)
    border.append(bottom)
    # CT_PPr is a strict sequence: pBdr goes before shd/tabs/.../spacing/ind/jc.
    ppr.insert_element_before(
        border,
        "w:shd",
        "w:tabs",
        "w:suppressAutoHyphens",
        "w:kinsoku",
        "w:wordWrap",
        "w:overflowPunct",
        "w:topLinePunct",
        "w:autoSpaceDE",
        "w:autoSpaceDN",
        "w:bidi",
        "w:adjustRightInd",
        "w:snapToGrid",
        "w:spacing",
        "w:ind",
        "w:contextualSpacing",
        "w:mirrorIndents",
        "w:suppressOverlap",
        "w:jc",
        "w:textDirection",
        "w:textAlignment",
        "w:textboxTightWrap",
        "w:outlineLvl",
        "w:divId",
        "w:cnfStyle",
        "w:rPr",
        "w:sectPr",
        "w:pPrChange",
    )


def _page_number(paragraph: Paragraph, odd: bool) -> None:
    """"— N —" in 4号 宋体, odd pages right and even pages left, one character in from the edge."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    fmt = paragraph.paragraph_format
    fmt.right_indent, fmt.left_indent = (SMALL_SIZE, None) if odd else (None, SMALL_SIZE)
    _font(paragraph.add_run("— "), PAGE_NUMBER_FONT, SMALL_SIZE)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    shown = OxmlElement("w:r")  # the cached result; Word and LibreOffice recompute it on layout
    props = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for key in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(key), PAGE_NUMBER_FONT)
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), str(int(SMALL_SIZE.pt * 2)))
    props.append(fonts)
    props.append(size)
    shown.append(props)
    text = OxmlElement("w:t")
    text.text = "1"
    shown.append(text)
    field.append(shown)
    paragraph._p.append(field)
    _font(paragraph.add_run(" —"), PAGE_NUMBER_FONT, SMALL_SIZE)


def _grid(section_properties: BaseOxmlElement) -> None:
    """The 22-line grid (Word's 文档网格: 只指定行网格, 每页 22 行)."""
    grid = section_properties.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section_properties.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))  # twentieths of a point


def _new_document(title: str, author: str, when: date) -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    # The page number's top 7 mm below the 版心: its 4号 line (about 5 mm) ends 23 mm above the edge.
    section.footer_distance = Mm(23)
    _grid(section._sectPr)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = LATIN_FONT, BODY_SIZE
    normal_run = normal.element.get_or_add_rPr()
    normal_run.get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    spacing = OxmlElement("w:spacing")  # 28 characters a line (CT_RPr: spacing after the fonts, before sz)
    spacing.set(qn("w:val"), str(CHAR_SPACING_TWIPS))
    normal_run.insert_element_before(spacing, "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight",
                                     "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl",
                                     "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], odd=True)
    _page_number(section.even_page_footer.paragraphs[0], odd=False)
    stamp = datetime.combine(when, time(0, 0))
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, author, author
    props.created = props.modified = stamp
    props.revision = 1
    return doc


def _masthead(doc: DocxDocument, office: str, number: str = "") -> None:
    """版头: the 发文机关标志 in red 小标宋 centred, two blank lines, the 发文字号 centred, and the red rule
    4 mm below it as wide as the 版心 (with no number, the rule under the mark)."""
    mark = _para(doc, office, font=TITLE_FONT, size=MARK_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, color=RED)
    mark.paragraph_format.line_spacing = Pt(MARK_SIZE.pt * 1.5)
    if number:
        _para(doc)
        _para(doc)
        _bottom_rule(_para(doc, number, align=WD_ALIGN_PARAGRAPH.CENTER), gap=RULE_GAP)
    else:
        _bottom_rule(mark, gap=RULE_GAP)


def _text_width(text: str) -> float:
    """Width in characters of 三号 text: Arabic digits and Latin letters are half a character."""
    return sum(0.5 if ch.isascii() else 1 for ch in text)


def _to_bytes(doc: DocxDocument, when: date) -> bytes:
    """Save and re-pack with a fixed timestamp on every member so the same data gives the same bytes."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # keep the order: [Content_Types].xml must stay first
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, src.read(info))
    return out.getvalue()


def _title(doc: DocxDocument, text: str) -> None:
    """标题: 2号小标宋 centred, a blank line below the red rule and above the 主送机关."""
    p = _para(doc, text, font=TITLE_FONT, size=TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
    p.paragraph_format.line_spacing = Pt(LINE_PITCH.pt * 1.25)
    p.paragraph_format.space_before, p.paragraph_format.space_after = LINE_PITCH, LINE_PITCH


def _closing(doc: DocxDocument, signer: str, when: str) -> None:
    """落款 of a document without a seal (GB/T 9704 7.3.5.2): a blank line after the text, the 成文日期
    two characters in from the right and the 署名 centred over it (the longer of the two takes the two
    characters, the other is centred on it)."""
    signer_width, date_width = _text_width(signer), _text_width(when)
    widest = max(signer_width, date_width)
    _para(doc)
    for text, width in ((signer, signer_width), (when, date_width)):
        _para(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT,
              right_indent=Pt(INDENT.pt + (widest - width) / 2 * BODY_SIZE.pt))


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
    doc = _new_document(f"督办通知 {data.notice_no}", data.office_name, data.issued_on)
    _masthead(doc, data.office_name, data.notice_no)
    _title(doc, "督办通知（修订）" if data.revision_note else "督办通知")

    addressees = "、".join([data.lead_unit[0], *(name for name, _ in data.co_units)])
    _para(doc, f"{addressees}：")
    _para(
        doc,
        f"根据《{data.org_name}“710”工作定期督查通报制度（试行）》，现将“{data.title}”事项交由你单位办理，"
        "请高度重视，认真抓好落实。有关事项通知如下：",
        indent=True,
    )

    _para(doc, "一、督办事项", font=HEADING_FONT, indent=True)
    category = data.category_label + ("（重点跟踪事项，每月通报直至办结）" if data.key_tracking else "")
    for label, value in (
        ("立项编号：", data.item_no),
        ("事项名称：", data.title),
        ("事项内容：", data.content),
        ("事项来源：", data.source_label),
        ("事项类别：", category),
        ("立项时间：", chinese_date(data.registered_on)),
    ):
        _labelled(doc, label, value)

    _para(doc, "二、承办单位及职责", font=HEADING_FONT, indent=True)
    for line in unit_lines(data):
        _para(doc, line, indent=True)
    if data.co_units:
        _para(doc, "主办单位牵头负责，协办单位按职责分工密切配合。", indent=True)

    _para(doc, "三、完成时限", font=HEADING_FONT, indent=True)
    due = deadline_text.due_date_text(data.due_date, data.due_date_provisional)
    _para(doc, f"请于{due}前办结，并以书面形式报送办理结果。", indent=True)
    if data.due_date_provisional:
        _para(doc, deadline_text.provisional_explanation([data.due_date.year]), indent=True)
    if data.revision_note:
        _para(doc, data.revision_note, indent=True, bold=True)

    _para(doc, "四、办理要求", font=HEADING_FONT, indent=True)
    for n, requirement in enumerate(data.requirements, start=1):
        _para(doc, f"{n}．{requirement}", indent=True)
    if not data.requirements:
        _para(doc, "按照事项内容抓好落实。", indent=True)

    # Art. 6.3 (weekly report) and 6.5 (written reply, extension approved by the leader, root-cause analysis).
    _para(doc, "五、报送要求", font=HEADING_FONT, indent=True)
    _para(
        doc,
        f"{data.report_cadence_label}。不能按时办结的，须经分管领导同意后说明原因，申请转期；"
        "未按要求落实的，须剖析问题根源，提出整改措施。",
        indent=True,
    )

    _para(doc, "六、联系方式", font=HEADING_FONT, indent=True)
    _para(doc, f"联系人：{data.contact_name}\u3000\u3000联系电话：{data.contact_phone}", indent=True)

    _closing(doc, data.office_name, chinese_date(data.issued_on))
    return _to_bytes(doc, data.issued_on)


# --- 督查事项办结报告单 ------------------------------------------------------------------------------------


def _blank(p: Paragraph, width: int) -> None:
    run = _font(p.add_run("\u3000" * width), BODY_FONT, BODY_SIZE)
    run.font.underline = True


_EXTENSION_COLUMNS = (  # widths add up to the 156 mm text width
    ("序号", Mm(14)),
    ("转期理由", Mm(34)),
    ("原完成时限", Mm(44)),
    ("转期后时限", Mm(44)),
    ("批准人", Mm(20)),
)


def _extension_table(doc: DocxDocument, extensions: tuple[tuple[str, date, date, str], ...]) -> None:
    table = doc.add_table(rows=1, cols=len(_EXTENSION_COLUMNS))
    table.style, table.alignment, table.autofit = doc.styles["Table Grid"], WD_TABLE_ALIGNMENT.CENTER, False
    rows = [[label for label, _ in _EXTENSION_COLUMNS]]
    rows += [
        [str(n), reason, chinese_date(old), chinese_date(new), approver]
        for n, (reason, old, new, approver) in enumerate(extensions, start=1)
    ]
    for r, values in enumerate(rows):
        cells = table.rows[0].cells if r == 0 else table.add_row().cells
        for c, (cell, text) in enumerate(zip(cells, values, strict=True)):
            if r == 0 or c in (0, 4):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(cell.paragraphs[0].add_run(text), HEADING_FONT if r == 0 else BODY_FONT, SMALL_SIZE)
    # Word reads the cell widths, LibreOffice the grid columns: set both.
    for column, (_, width) in zip(table.columns, _EXTENSION_COLUMNS, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def render_completion_report_docx(data: CompletionReportData) -> bytes:
    """Attachment 2 as the seed lays it out, filled in; unsigned forms keep blank space to sign by hand.
    After the form, an appendix lists the 办理结果 and the 转期 records the leader signs against."""
    doc = _new_document(f"督查事项办结报告单 {data.item_no}", data.unit_name, data.filled_on)
    _masthead(doc, data.unit_name)  # the office that fills the form; a form has no 发文字号
    _title(doc, "督查事项办结报告单")
    _para(doc, f"{data.leader_name}同志：")
    _para(doc, completion_sentence(data), indent=True)
    _closing(doc, data.unit_name, chinese_date(data.filled_on))
    _para(doc)

    opinion = _labelled(doc, "领导审核意见：", data.leader_opinion, indent=False)
    if data.leader_opinion:
        _para(doc)
    else:  # three ruled lines to write on; they also leave the space before the signature
        _blank(opinion, 18)
        for _ in range(3):
            _blank(_para(doc), 25)
    signature = _labelled(doc, SIGNATURE_LABEL, "", indent=False)
    if data.signed_at is not None:
        _font(signature.add_run(f"{data.signed_by}\u3000\u3000{chinese_datetime(data.signed_at)}"), BODY_FONT)
    else:
        _blank(signature, 6)
        _font(signature.add_run("\u3000日期：\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"), BODY_FONT)

    _para(doc)
    _bottom_rule(_para(doc, "附：办理情况", font=HEADING_FONT), color="808080", eighths_of_point=6)
    _labelled(doc, "办理结果：", data.result_summary or "（未填写）", indent=False)
    _labelled(doc, "转期记录：", f"共{len(data.extensions)}次" if data.extensions else "无", indent=False)
    if data.extensions:
        _extension_table(doc, data.extensions)
    return _to_bytes(doc, data.filled_on)
