"""The GB/T 9704 pieces every official document is made of: titles broken by meaning, headings, tables,
figures with their print copies, numbers and periods in words, and deterministic bytes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, UnidentifiedImageError

from libs.common import official_docx as od


def image(width: int, height: int, fmt: str = "JPEG", mode: str = "RGB", color: object = (30, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), color).save(out, fmt)  # type: ignore[arg-type]
    return out.getvalue()


def test_title_lines_break_after_de_when_too_long() -> None:
    assert od.title_lines("督办通知") == ["督办通知"]
    assert od.title_lines("关于2026年第四季度重点工作推进情况的专项督查报告") == [
        "关于2026年第四季度重点工作推进情况的", "专项督查报告"]
    # the most even of the breaks after 的 that fit, and 的 before 、
    assert od.title_lines("关于全区老旧小区改造的推进情况的督查报告和整改意见的说明") == [
        "关于全区老旧小区改造的推进情况的", "督查报告和整改意见的说明"]
    no_break = "关于全区老旧小区改造推进情况与农村人居环境整治工作督查报告"
    assert od.title_lines(no_break.replace("与", "暨")) == [no_break.replace("与", "暨")]  # no break fits: left whole
    assert od.TITLE_CHARS == 20


@given(st.text(alphabet="关于的、和督查报告2026年工作情况", min_size=1, max_size=45))
def test_title_lines_keep_the_text_and_fit(text: str) -> None:
    lines = od.title_lines(text)
    assert "".join(lines) == text and 1 <= len(lines) <= 2
    if len(lines) == 2:
        assert all(od.text_width(line) <= od.TITLE_CHARS for line in lines) and lines[0][-1] in "的、和与及"


@pytest.mark.parametrize(("n", "words"), [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (35, "三十五"),
                                          (99, "九十九")])
def test_chinese_number(n: int, words: str) -> None:
    assert od.chinese_number(n) == words


def test_chinese_number_refuses_what_headings_never_reach() -> None:
    for n in (0, 100):
        with pytest.raises(ValueError):
            od.chinese_number(n)


def test_period_text_names_what_changes() -> None:
    assert od.period_text(date(2026, 12, 1), date(2026, 12, 5)) == "2026年12月1日至5日"
    assert od.period_text(date(2026, 11, 28), date(2026, 12, 3)) == "2026年11月28日至12月3日"
    assert od.period_text(date(2026, 12, 28), date(2027, 1, 4)) == "2026年12月28日至2027年1月4日"
    assert od.period_text(date(2026, 12, 1), date(2026, 12, 1)) == "2026年12月1日"


def test_print_copy_halves_a_large_photo_and_keeps_a_small_one() -> None:
    large = od.print_copy(od.Figure(image(1600, 1200), 1600, 1200, "图1"))
    with Image.open(io.BytesIO(large.image)) as copy:
        assert (copy.format, copy.size) == ("JPEG", (800, 600)) == ("JPEG", (large.width, large.height))
    portrait = od.print_copy(od.Figure(image(3000, 4000), 3000, 4000, "图2"))
    assert (portrait.width, portrait.height) == (450, 600)  # the box's height (55.5 mm at 275 dpi) bounds it
    small = od.Figure(image(640, 480), 0, 0, "图3")  # a wrong declared size: the image's own is read
    assert od.print_copy(small) == od.Figure(small.image, 640, 480, "图3")


def sideways(width: int, height: int) -> bytes:
    """A JPEG stored as the camera held it, red in its top-left corner, with EXIF Orientation 6: a viewer
    turns it 90 degrees clockwise, so upright it is `height` x `width` with the red top-right."""
    picture = Image.new("RGB", (width, height), (255, 255, 255))
    picture.paste((255, 0, 0), (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize(("stored", "upright"), [((400, 300), (300, 400)), ((1600, 1200), (450, 600))])
def test_print_copy_turns_a_photo_upright(stored: tuple[int, int], upright: tuple[int, int]) -> None:
    copy = od.print_copy(od.Figure(sideways(*stored), *stored, "图"))
    with Image.open(io.BytesIO(copy.image)) as shown:
        assert shown.size == upright == (copy.width, copy.height)
        assert ExifTags.Base.Orientation not in shown.getexif()
        rgb = shown.convert("RGB")
        assert rgb.getpixel((upright[0] - 5, 5)) > (200, 0, 0) and rgb.getpixel((5, 5)) > (200, 200, 200)  # type: ignore[operator]


def test_print_copy_prints_transparency_on_white_and_converts_other_formats() -> None:
    png = od.print_copy(od.Figure(image(2000, 1000, "PNG", "RGBA", (0, 0, 0, 0)), 2000, 1000, "图"))
    with Image.open(io.BytesIO(png.image)) as copy:
        darkest = copy.convert("L").getextrema()[0]
        assert copy.format == "JPEG" and isinstance(darkest, int) and darkest > 245
    gif = od.print_copy(od.Figure(image(100, 80, "GIF", "P", 3), 100, 80, "图"))
    assert Image.open(io.BytesIO(gif.image)).format == "JPEG"
    with pytest.raises(UnidentifiedImageError):
        od.print_copy(od.Figure(b"\xff\xd8 not a jpeg", 1600, 1200, "图"))


def _flag(row, name: str) -> bool:
    props = row._tr.trPr
    return props is not None and props.find(qn(name)) is not None


def _doc_with_figures(count: int):
    doc = od.new_document("t", "a", date(2026, 12, 8))
    od.figures(doc, [od.Figure(image(800, 600 if n % 2 else 800), 800, 600 if n % 2 else 800, f"图{n}")
                     for n in range(1, count + 1)])
    return doc


def test_figures_two_to_a_row_a_last_one_centred_rows_unsplit_captions_off_the_grid() -> None:
    doc = _doc_with_figures(3)
    grid = doc.tables[0]
    assert [len(row._tr.tc_lst) for row in grid.rows] == [2, 1]  # the last one alone, in a merged cell
    assert all(_flag(row, "w:cantSplit") for row in grid.rows)
    box_w, box_h = od.FIGURE_BOX
    assert len(doc.inline_shapes) == 3
    assert all(shape.width <= box_w and shape.height <= box_h for shape in doc.inline_shapes)
    assert doc.inline_shapes[0].height == box_h or doc.inline_shapes[0].width == box_w  # as large as fits
    captions = [p for row in grid.rows for tc in row._tr.tc_lst for p in tc.iter(qn("w:p")) if "图" in "".join(p.itertext())]
    assert len(captions) == 3
    assert all(p.find(qn("w:pPr")).find(qn("w:snapToGrid")).get(qn("w:val")) == "0" for p in captions)
    assert od.figures(doc, []) is None


def test_table_widths_header_repeated_and_lines_off_the_grid() -> None:
    doc = od.new_document("t", "a", date(2026, 12, 8))
    grid = od.table(doc, [("序号", Mm(20)), ("事项", Mm(136))], [["1", "甲"], ["2", "乙"]], centred=frozenset({0}),
                    repeat_header=True, line=Pt(18))
    assert [round(c.width.mm) for c in grid.columns] == [20, 136]
    rows = grid.rows
    assert _flag(rows[0], "w:tblHeader") and not _flag(rows[1], "w:tblHeader")
    assert all(_flag(row, "w:cantSplit") for row in rows)
    cell = rows[1].cells[0].paragraphs[0]
    assert cell.paragraph_format.line_spacing == Pt(18) and cell.alignment is not None
    plain = od.table(doc, [("序号", Mm(156))], [["1"]])
    assert plain.rows[0]._tr.trPr is None  # tracking's 转期 table stays as it was


def _slow_table(doc: Any, columns: Sequence[tuple[str, Any]], rows: list[list[str]], centred: frozenset[int],
                line: Any) -> Any:
    """The table as python-docx builds it cell by cell (what od.table did before it copied a pattern row)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    grid = doc.add_table(rows=1, cols=len(columns))
    grid.style, grid.alignment, grid.autofit = doc.styles["Table Grid"], WD_TABLE_ALIGNMENT.CENTER, False
    for r, values in enumerate([[label for label, _ in columns], *rows]):
        cells = grid.rows[0].cells if r == 0 else grid.add_row().cells
        for c, (cell, text) in enumerate(zip(cells, values, strict=True)):
            if r == 0 or c in centred:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            od.font(cell.paragraphs[0].add_run(text), od.HEADING_FONT if r == 0 else od.BODY_FONT, Pt(12))
            od.off_grid(cell.paragraphs[0], line)
    od._set_widths(grid, [width for _, width in columns])
    for n, row in enumerate(grid.rows):
        od._row_properties(row._tr, "w:cantSplit", *(("w:tblHeader",) if n == 0 else ()))
    return grid


@settings(max_examples=40, deadline=None)  # two documents per example on a shared machine
@given(st.lists(st.lists(st.text(st.sampled_from("甲乙 1\n\t a"), max_size=6), min_size=3, max_size=3), max_size=6))
def test_table_rows_are_the_xml_python_docx_writes_cell_by_cell(rows: list[list[str]]) -> None:
    """The body rows copied from one pattern row are the XML python-docx writes for each cell: empty
    cells, spaces at the ends, tabs and line breaks included."""
    from lxml import etree  # type: ignore[import-untyped]

    columns = [("序号", Mm(20)), ("事项", Mm(100)), ("说明", Mm(36))]
    fast_doc, slow_doc = od.new_document("t", "a", date(2026, 12, 8)), od.new_document("t", "a", date(2026, 12, 8))
    fast = od.table(fast_doc, columns, rows, centred=frozenset({0}), size=Pt(12), repeat_header=True, line=Pt(18))
    slow = _slow_table(slow_doc, columns, rows, frozenset({0}), Pt(18))
    assert etree.tostring(fast._tbl) == etree.tostring(slow._tbl)


def test_headings_in_their_faces_and_kept_with_the_next_paragraph() -> None:
    doc = od.new_document("t", "a", date(2026, 12, 8))
    faces = [od.heading(doc, text, level)._p.xpath("string(w:r/w:rPr/w:rFonts/@w:eastAsia)")
             for text, level in (("一、", 1), ("（一）", 2), ("1．", 3))]
    assert faces == ["黑体", "楷体_GB2312", "仿宋_GB2312"]
    assert all(p.paragraph_format.keep_with_next and p.paragraph_format.first_line_indent == od.INDENT
               for p in doc.paragraphs)


def test_to_bytes_same_bytes_pictures_stored() -> None:
    doc = _doc_with_figures(2)
    content = od.to_bytes(doc, date(2026, 12, 8))
    assert od.to_bytes(doc, date(2026, 12, 8)) == content
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        kinds = {info.filename: info.compress_type for info in zf.infolist()}
        assert {info.date_time for info in zf.infolist()} == {(2026, 12, 8, 0, 0, 0)}
    media = [name for name in kinds if name.startswith("word/media/")]
    assert len(media) == 2 and all(kinds[name] == zipfile.ZIP_STORED for name in media)
    assert kinds["word/document.xml"] == kinds["docProps/thumbnail.jpeg"] == zipfile.ZIP_DEFLATED
    assert len(Document(io.BytesIO(content)).inline_shapes) == 2
