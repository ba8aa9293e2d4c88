"""The GB/T 9704-2012 layout (党政机关公文格式) for every official document the services write as DOCX.

A4, 版心 156 mm x 225 mm (上 37, 下 35, 左 28, 右 26 mm); 正文 3号 仿宋_GB2312, 22 lines of 28 characters
filling the 版心 (7.1: "一般每面排22行，每行排28个字"); 标题 2号 方正小标宋简体 centred; 发文机关标志 in red
小标宋 over the 发文字号 and a red rule as wide as the 版心; 结构层次 一、 黑体, （一） 楷体, 1. and （1） 仿宋;
page numbers 4号 半角宋体 "— 1 —", odd pages right and even pages left, one character in.

Fonts are named as offices have them installed; Word (and LibreOffice through fontconfig, deploy/fonts)
substitutes a face that is not installed, so the names are the fallback chain's first link, not a promise.
The services write their documents' content (tracking's 督办通知, inspection's 督查报告) with these pieces:
`new_document`, `masthead`, `title`, `heading`, `paragraph`, `table`, `figures`, `closing`, `to_bytes`; the
notification service writes its templates' frame with them too (`closing_on_tab`, `picture_line`) and fills
them with docxtpl (`properties`, `repack`).
"""

from __future__ import annotations

import copy
import hashlib
import io
import math
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Emu, Length, Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from PIL import ExifTags, Image

from libs.common.deadline_text import chinese_date

__all__ = [
    "BODY_FONT", "BODY_SIZE", "CHARS_PER_LINE", "CHAR_SPACING_TWIPS", "CONTENT_TYPE", "HEADING_FONT", "INDENT",
    "LATIN_FONT", "LINES_PER_PAGE", "LINE_PITCH", "MARK_SIZE", "PAGE_NUMBER_FONT", "RED", "RULE_GAP",
    "RULE_UNDER_TEXT", "SMALL_SIZE", "SUBHEADING_FONT", "TEXT_HEIGHT", "TEXT_WIDTH", "TITLE_FONT", "TITLE_SIZE",
    "blank", "bottom_rule", "chinese_date", "chinese_datetime", "chinese_number", "period_text", "closing", "font", "heading", "labelled",
    "line_grid", "masthead", "new_document", "off_grid", "page_number", "paragraph", "print_copy", "table",
    "text_width", "title", "title_lines", "to_bytes", "TITLE_CHARS", "Figure", "figures", "FIGURE_BOX", "FIGURE_DPI",
    "closing_on_tab", "figure_size", "picture_line", "properties", "repack",
]

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

BODY_FONT, TITLE_FONT, HEADING_FONT, LATIN_FONT = "仿宋_GB2312", "方正小标宋简体", "黑体", "Times New Roman"
SUBHEADING_FONT = "楷体_GB2312"  # 7.3.3: the second level of headings, （一）
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
SMALL_LINE = Pt(22)  # the exact line height of text smaller than 3号 (tables, captions)
_HEADING_FONTS = {1: HEADING_FONT, 2: SUBHEADING_FONT, 3: BODY_FONT}
# The pictures a document shows, already compressed (JPEG, PNG): deflating them again costs time and saves
# nothing. Only word/media: the template's docProps/thumbnail.jpeg stays deflated, as documents were before.
_STORED_FOLDER = "word/media/"


def chinese_datetime(dt: datetime) -> str:
    """The wall-clock time as given (callers convert to local time first): "2026年12月8日 10:30"."""
    return f"{chinese_date(dt.date())} {dt:%H:%M}"


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 as the headings number them: 1 "一", 10 "十", 12 "十二", 20 "二十", 35 "三十五"."""
    if not 1 <= n <= 99:
        raise ValueError(f"a heading number is 1..99, not {n}")
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")) + (_DIGITS[ones] if ones else "")


def period_text(start: date, end: date) -> str:
    """ "2026年12月1日至5日", "2026年11月28日至12月3日", "2026年12月28日至2027年1月4日", or one day."""
    if start == end:
        return chinese_date(start)
    if start.year != end.year:
        return f"{chinese_date(start)}至{chinese_date(end)}"
    if start.month != end.month:
        return f"{chinese_date(start)}至{end.month}月{end.day}日"
    return f"{chinese_date(start)}至{end.day}日"


def text_width(text: str) -> float:
    """Width in characters of 三号 text: Arabic digits and Latin letters are half a character."""
    return sum(0.5 if ch.isascii() else 1 for ch in text)


def font(
    run: Run, east_asia: str, size: Length | None = None, bold: bool = False, color: RGBColor | None = None
) -> Run:
    """Set the run's faces (Times New Roman for Latin and digits, `east_asia` for Chinese), size, weight, colour.

    The first run of each style is styled through python-docx; later ones get a copy of its properties
    element (the same XML): a report of 500 findings has some ten thousand runs of a handful of styles, and
    python-docx's property setters were a third of its rendering."""
    key = (east_asia, size, bold, str(color) if color is not None else None)
    template = _RUN_STYLES.get(key)
    fresh = run._element.rPr is None  # a run with properties of its own is styled the long way
    if template is not None and fresh:
        run._element.insert(0, copy.deepcopy(template))
        return run
    run.font.name = LATIN_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    if size is not None:
        run.font.size = size
    run.font.bold = bold or None
    if color is not None:
        run.font.color.rgb = color
    styled = run._element.rPr
    if template is None and fresh and styled is not None:
        _RUN_STYLES[key] = copy.deepcopy(styled)
    return run


_RUN_STYLES: dict[tuple[object, ...], BaseOxmlElement] = {}


def paragraph(
    doc_or_cell: DocxDocument | _Cell,
    text: str = "",
    *,
    font_name: str = BODY_FONT,
    size: Length = BODY_SIZE,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    bold: bool = False,
    color: RGBColor | None = None,
    right_indent: Length | None = None,
) -> Paragraph:
    """A paragraph on the grid: no space before or after, exactly one line pitch a line (22 pt for text
    smaller than 3号), the first line two characters in when `indent`. Empty `text`: a blank line."""
    p = doc_or_cell.add_paragraph()
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE_PITCH if size >= BODY_SIZE else SMALL_LINE
    if align is not None:
        p.alignment = align
    if indent:
        fmt.first_line_indent = INDENT
    if right_indent is not None:
        fmt.right_indent = right_indent
    if text:
        font(p.add_run(text), font_name, size, bold, color)
    return p


def labelled(doc: DocxDocument, label: str, value: str, *, indent: bool = True) -> Paragraph:
    """ "label：value" - in the body text (indented, both 仿宋) or as a form's line (label in bold 黑体)."""
    p = paragraph(doc, indent=indent)
    font(p.add_run(label), HEADING_FONT if not indent else BODY_FONT, BODY_SIZE, bold=not indent)
    font(p.add_run(value), BODY_FONT, BODY_SIZE)
    return p


def heading(doc: DocxDocument, text: str, level: int = 1) -> Paragraph:
    """结构层次 (7.3.3), the number written in `text`: 1 "一、" 黑体, 2 "（一）" 楷体, 3 "1." 仿宋; all indented
    two characters like the text, in 3号, and kept on the page of the paragraph after it (a heading never
    ends a page)."""
    p = paragraph(doc, text, font_name=_HEADING_FONTS[level], indent=True)
    p.paragraph_format.keep_with_next = True
    return p


def off_grid(paragraph: Paragraph, line: Length | None = None) -> Paragraph:
    """Take the paragraph off the document's line grid (a picture, a caption, a table cell: on the grid each
    line is rounded up to a whole 28.95 pt pitch), with `line` as its exact line height if given."""
    if line is not None:
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        paragraph.paragraph_format.line_spacing = line
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    paragraph._p.get_or_add_pPr().insert_element_before(
        snap, "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
        "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
        "w:rPr", "w:sectPr", "w:pPrChange")
    return paragraph


def blank(p: Paragraph, width: int) -> None:
    """An underlined space `width` characters wide, to write on by hand."""
    run = font(p.add_run("\u3000" * width), BODY_FONT, BODY_SIZE)
    run.font.underline = True


def bottom_rule(paragraph: Paragraph, color: str = "C00000", eighths_of_point: int = 18,
                gap: Length = RULE_UNDER_TEXT) -> None:
    """A rule under the paragraph across the text width (the red 分隔线 of the 版头 by default)."""
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


def page_number(paragraph: Paragraph, odd: bool) -> None:
    """"— N —" in 4号 宋体, odd pages right and even pages left, one character in from the edge."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    fmt = paragraph.paragraph_format
    fmt.right_indent, fmt.left_indent = (SMALL_SIZE, None) if odd else (None, SMALL_SIZE)
    font(paragraph.add_run("— "), PAGE_NUMBER_FONT, SMALL_SIZE)
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
    font(paragraph.add_run(" —"), PAGE_NUMBER_FONT, SMALL_SIZE)


def line_grid(section_properties: BaseOxmlElement) -> None:
    """The 22-line grid (Word's 文档网格: 只指定行网格, 每页 22 行)."""
    grid = section_properties.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section_properties.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))  # twentieths of a point


def new_document(title: str, author: str, when: date) -> DocxDocument:
    """An empty A4 document with the 版心 margins, the line grid, 3号 仿宋 at 28 characters a line as the
    Normal style, page numbers in the footers, and the properties (title, author, dates at `when`)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    # The page number's top 7 mm below the 版心: its 4号 line (about 5 mm) ends 23 mm above the edge.
    section.footer_distance = Mm(23)
    line_grid(section._sectPr)
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
    page_number(section.footer.paragraphs[0], odd=True)
    page_number(section.even_page_footer.paragraphs[0], odd=False)
    properties(doc, title, author, when)
    return doc


def properties(doc: DocxDocument, title: str, author: str, when: date) -> None:
    """The document's title and author, created and modified at midnight of `when` (no clock read: the same
    data gives the same bytes)."""
    stamp = datetime.combine(when, time(0, 0))
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, author, author
    props.created = props.modified = stamp
    props.revision = 1


def masthead(doc: DocxDocument, office: str, number: str = "") -> None:
    """版头: the 发文机关标志 in red 小标宋 centred, two blank lines, the 发文字号 centred, and the red rule
    4 mm below it as wide as the 版心 (with no number, the rule under the mark)."""
    mark = paragraph(doc, office, font_name=TITLE_FONT, size=MARK_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, color=RED)
    mark.paragraph_format.line_spacing = Pt(MARK_SIZE.pt * 1.5)
    if number:
        paragraph(doc)
        paragraph(doc)
        bottom_rule(paragraph(doc, number, align=WD_ALIGN_PARAGRAPH.CENTER), gap=RULE_GAP)
    else:
        bottom_rule(mark, gap=RULE_GAP)


TITLE_CHARS = int(TEXT_WIDTH.pt / (TITLE_SIZE.pt + CHAR_SPACING_TWIPS / 20))  # 20 characters of 2号 a line
_TITLE_BREAKS = "的、和与及"  # a title line may end after these and keep its words whole


def title_lines(text: str, chars: int = TITLE_CHARS) -> list[str]:
    """The title as it should be set (7.3.1: 回行时要做到词意完整、排列对称): one line if it fits in `chars`,
    else two lines broken after a "的" (or 、和与及) where both fit, the most even such break; a title no
    such break fits is left whole, for the word processor to wrap."""
    if text_width(text) <= chars:
        return [text]
    best: tuple[float, list[str]] | None = None
    for mark in _TITLE_BREAKS:
        for at in (i + 1 for i, ch in enumerate(text) if ch == mark and 0 < i < len(text) - 1):
            first, second = text[:at], text[at:]
            widths = text_width(first), text_width(second)
            if max(widths) <= chars and (best is None or abs(widths[0] - widths[1]) < best[0]):
                best = abs(widths[0] - widths[1]), [first, second]
        if best is not None:  # a break after 的 wins over a more even one after 、
            return best[1]
    return [text]


def title(doc: DocxDocument, text: str) -> Paragraph:
    """标题: 2号小标宋 centred, a blank line below the red rule and above the 主送机关; a long one on two
    lines broken by meaning (`title_lines`)."""
    first, *more = title_lines(text)
    p = paragraph(doc, first, font_name=TITLE_FONT, size=TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
    for line in more:
        p.runs[-1].add_break()
        font(p.add_run(line), TITLE_FONT, TITLE_SIZE)
    p.paragraph_format.line_spacing = Pt(LINE_PITCH.pt * 1.25)
    p.paragraph_format.space_before, p.paragraph_format.space_after = LINE_PITCH, LINE_PITCH
    return p


def closing_on_tab(doc: DocxDocument, signer: str, when: str, widest: float) -> None:
    """`closing` for a template, whose signer and date are tags: both lines centred on one centre tab stop,
    placed where a line `widest` characters wide ends two characters from the right. Each stays centred on
    the other whatever the tags become; an office moves the stop in Word if its names are much longer."""
    stop = Emu(int(TEXT_WIDTH - INDENT - Pt(widest / 2 * BODY_SIZE.pt)))
    paragraph(doc)
    for text in (signer, when):
        p = paragraph(doc, f"\t{text}")
        p.paragraph_format.tab_stops.add_tab_stop(stop, WD_TAB_ALIGNMENT.CENTER)


def picture_line(doc: DocxDocument, text: str) -> Paragraph:
    """A centred paragraph off the grid at single spacing, for a picture put in its place (a template's
    image tag): on the grid's exact line height a picture is cut to one line."""
    p = off_grid(paragraph(doc, text, align=WD_ALIGN_PARAGRAPH.CENTER))
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.space_before = Pt(6)
    p.paragraph_format.keep_with_next = True  # the caption under it
    return p


def closing(doc: DocxDocument, signer: str, when: str) -> None:
    """落款 of a document without a seal (GB/T 9704 7.3.5.2): a blank line after the text, the 成文日期
    two characters in from the right and the 署名 centred over it (the longer of the two takes the two
    characters, the other is centred on it)."""
    signer_width, date_width = text_width(signer), text_width(when)
    widest = max(signer_width, date_width)
    paragraph(doc)
    for text, width in ((signer, signer_width), (when, date_width)):
        paragraph(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT,
                  right_indent=Pt(INDENT.pt + (widest - width) / 2 * BODY_SIZE.pt))


def table(
    doc: DocxDocument,
    columns: Sequence[tuple[str, Length]],
    rows: Sequence[Sequence[str]],
    *,
    centred: frozenset[int] = frozenset(),
    size: Length = SMALL_SIZE,
    repeat_header: bool = False,
    line: Length | None = None,
) -> Table:
    """A ruled table centred in the text: a header row in 黑体, then `rows` in 仿宋, 4号 by default.
    `columns` are (header, width); the widths should add up to TEXT_WIDTH. `centred`: the column indexes
    whose cells are centred (headers always are). `repeat_header`: the header row again on every page the
    table runs onto, and no row split across two pages. `line`: the cells' exact line height, off the grid
    (without it a cell's lines follow the page's 28.95 pt grid)."""
    grid = doc.add_table(rows=1, cols=len(columns))
    grid.style, grid.alignment, grid.autofit = doc.styles["Table Grid"], WD_TABLE_ALIGNMENT.CENTER, False
    # The header, and one row built through python-docx as the pattern of every body row; the body rows are
    # copies of it with their texts put in: building each cell through python-docx cost 20 ms a row, and an
    # annex lists thousands (the XML is the same either way).
    header: list[str] = [label for label, _ in columns]
    for r, values in enumerate([header, *([[_PATTERN_TEXT] * len(columns)] if rows else [])]):
        cells = grid.rows[0].cells if r == 0 else grid.add_row().cells
        for c, (cell, text) in enumerate(zip(cells, values, strict=True)):
            if r == 0 or c in centred:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            font(cell.paragraphs[0].add_run(text), HEADING_FONT if r == 0 else BODY_FONT, size)
            if line is not None:
                off_grid(cell.paragraphs[0], line)
    _set_widths(grid, [width for _, width in columns])
    if repeat_header:
        for n, row in enumerate(grid.rows):
            _row_properties(row._tr, "w:cantSplit", *(("w:tblHeader",) if n == 0 else ()))
    if rows:
        pattern = grid.rows[1]._tr
        body = grid._tbl
        for body_values in rows:
            body.append(_body_row(pattern, body_values))
        body.remove(pattern)
    return grid


_PATTERN_TEXT = "\u2063"  # a pattern row's placeholder (never shown: replaced in every copy)
_TEXT_TAG, _SPACE = qn("w:t"), "{http://www.w3.org/XML/1998/namespace}space"


def _body_row(pattern: CT_Row, values: Sequence[str]) -> CT_Row:
    """A copy of the pattern row with `values` as its cells' texts (as python-docx's add_run(text) writes
    them: no w:t for an empty text, xml:space="preserve" where spaces lead or trail, a tab or line break
    as w:tab / w:br)."""
    row = copy.deepcopy(pattern)
    texts = row.findall(f".//{_TEXT_TAG}")
    for node, value in zip(texts, values, strict=True):
        if not value:
            node.getparent().remove(node)
        elif "\t" in value or "\n" in value or "\r" in value:
            run = node.getparent()
            run.remove(node)
            Run(run, None).text = value  # type: ignore[arg-type]  # python-docx's own conversion of tabs and breaks
        else:
            node.text = value
            if value != value.strip():
                node.set(_SPACE, "preserve")
    return row


def _set_widths(grid: Table, widths: Sequence[Length]) -> None:
    # Word reads the cell widths, LibreOffice the grid columns: set both.
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _row_properties(tr: CT_Row, *flags: str) -> None:
    """On/off row properties (w:cantSplit, w:tblHeader), in CT_TrPr's order (cantSplit comes first)."""
    props = tr.get_or_add_trPr()
    for flag in flags:
        props.append(OxmlElement(flag))


@dataclass(frozen=True)
class Figure:
    """A picture with its caption: JPEG or PNG bytes and their size in pixels."""

    image: bytes
    width: int
    height: int
    caption: str


FIGURE_BOX = (Mm(74), Mm(55.5))  # half the text width less the cell margins, 4:3
FIGURE_DPI = 275  # a print copy's resolution at the box's size: a 1600 x 1200 photo halves to 800 x 600
CAPTION_SIZE, CAPTION_LINE = Pt(12), Pt(18)  # 小四


# EXIF Orientation -> the turn that shows the picture upright (as Pillow's ImageOps.exif_transpose turns it).
_UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
            5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}
_SIDEWAYS = (Image.Transpose.TRANSPOSE, Image.Transpose.ROTATE_270, Image.Transpose.TRANSVERSE,
             Image.Transpose.ROTATE_90)


def print_copy(figure: Figure, box: tuple[Length, Length] = FIGURE_BOX, dpi: int = FIGURE_DPI) -> Figure:
    """_print_copy, remembered for the last photos made: a report and each unit's part print the same
    photos at the same size, and decoding them again was a third of issuing a report."""
    key = (hashlib.sha256(figure.image).digest(), int(box[0]), int(box[1]), dpi)
    done = _PRINTED.get(key)
    if done is None:
        made = _print_copy(figure, box, dpi)
        done = (made.image, made.width, made.height)
        with _PRINTED_LOCK:
            _PRINTED[key] = done
            while len(_PRINTED) > _PRINTED_MAX:
                _PRINTED.popitem(last=False)
    return Figure(done[0], done[1], done[2], figure.caption)


_PRINTED: OrderedDict[tuple[bytes, int, int, int], tuple[bytes, int, int]] = OrderedDict()
_PRINTED_LOCK = threading.Lock()
_PRINTED_MAX = 400  # print copies are ~60 KB: at most ~25 MB kept


def _print_copy(figure: Figure, box: tuple[Length, Length] = FIGURE_BOX, dpi: int = FIGURE_DPI) -> Figure:
    """The figure as large as it prints in `box` at `dpi`, not larger, with its size read from the image
    itself: an upright JPEG or PNG that small is kept as it is; a bigger one is decoded at a reduced scale
    (the JPEG decoder's own 1/2, 1/4, 1/8), resized if still larger and saved as JPEG (quality 85), as is any
    other format Pillow reads and any picture with an EXIF Orientation (a phone's portrait photo, which a
    word processor that ignores the tag shows on its side), turned upright. Raises PIL.UnidentifiedImageError (an OSError)
    on bytes that are no image."""
    limit_w, limit_h = (round(side.inches * dpi) for side in box)
    with Image.open(io.BytesIO(figure.image)) as opened:
        width, height = opened.size
        turn = _UPRIGHT.get(opened.getexif().get(ExifTags.Base.Orientation, 1))
        shown_w, shown_h = (height, width) if turn in _SIDEWAYS else (width, height)
        scale = min(limit_w / shown_w, limit_h / shown_h, 1)
        if scale == 1 and turn is None and opened.format in ("JPEG", "PNG"):
            return Figure(figure.image, width, height, figure.caption)
        size = (max(1, int(width * scale)), max(1, int(height * scale)))
        # JPEG only: decode at the smallest of the decoder's scales that still gives 95 % of `size` (a
        # 1600 x 1200 photo at half scale, 800 x 600, for a box of 801 x 601), instead of decoding it whole
        # and resizing, which takes five times as long.
        opened.draft("RGB", (max(1, int(size[0] * 0.95)), max(1, int(size[1] * 0.95))))
        picture = opened.convert("RGBA" if opened.mode in ("RGBA", "LA", "P", "PA") else "RGB")
    if picture.mode == "RGBA":  # a PNG's transparency printed on white paper
        flat = Image.new("RGB", picture.size, "white")
        flat.paste(picture, mask=picture.getchannel("A"))
        picture = flat
    picture.thumbnail(size, Image.Resampling.LANCZOS)
    if turn is not None:
        picture = picture.transpose(turn)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)  # no EXIF: the pixels are upright now
    return Figure(out.getvalue(), picture.width, picture.height, figure.caption)


def figures(doc: DocxDocument, items: Sequence[Figure], per_row: int = 2) -> Table | None:
    """Pictures `per_row` to a row of a borderless table across the text width, each as large as fits in
    its cell at its own proportions, its caption (小四 仿宋, centred) below it; a row never splits across
    pages. A last picture alone in its row is centred across the row. Pass print copies (`print_copy`):
    the pictures go in as given."""
    if not items:
        return None
    cell_width = Emu(int(TEXT_WIDTH / per_row))
    grid = doc.add_table(rows=0, cols=per_row)
    grid.alignment, grid.autofit = WD_TABLE_ALIGNMENT.CENTER, False
    for start in range(0, len(items), per_row):
        row = grid.add_row()
        _row_properties(row._tr, "w:cantSplit")
        chunk = items[start:start + per_row]
        cells = row.cells
        if len(chunk) < per_row:
            cells = [cells[0].merge(cells[-1])]
        for cell, item in zip(cells, chunk, strict=False):
            shown = cell.paragraphs[0]
            shown.alignment = WD_ALIGN_PARAGRAPH.CENTER
            shown.paragraph_format.space_before = Pt(6)
            off_grid(shown)
            width, height = figure_size(item.width, item.height, per_row)
            shown.add_run().add_picture(io.BytesIO(item.image), width=width, height=height)
            caption = paragraph(cell, item.caption, size=CAPTION_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
            off_grid(caption, CAPTION_LINE)
            caption.paragraph_format.space_after = Pt(6)
    _set_widths(grid, [cell_width] * per_row)
    return grid


def figure_size(width: int, height: int, per_row: int = 2) -> tuple[Emu, Emu]:
    """The printed size of a picture of `width` x `height` pixels, `per_row` to a row across the text: as
    large as fits in FIGURE_BOX two to a row; alone, the text width less 4 mm and half the text height."""
    cell_width = Emu(int(TEXT_WIDTH / per_row))
    box_w, box_h = (FIGURE_BOX if per_row == 2 else (Emu(int(cell_width - Mm(4))), Emu(int(TEXT_HEIGHT / 2))))
    scale = min(box_w / width, box_h / height)
    return Emu(int(width * scale)), Emu(int(height * scale))


def to_bytes(doc: DocxDocument, when: date) -> bytes:
    """Save and re-pack with a fixed timestamp on every member so the same data gives the same bytes.
    Images are stored as they are (JPEG and PNG are compressed already)."""
    raw = io.BytesIO()
    doc.save(raw)
    return repack(raw.getvalue(), when)


def repack(docx: bytes, when: date) -> bytes:
    """`to_bytes` for a document already saved (a rendered template): every member dated `when`."""
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # keep the order: [Content_Types].xml must stay first
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            stored = info.filename.startswith(_STORED_FOLDER)
            member.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            dst.writestr(member, src.read(info))
    return out.getvalue()
