"""The streamed XLSX writer: readers see the cells XlsxWriter's files give them (text with XML
specials, control characters, Excel escapes, edge whitespace, CJK and astral characters; numbers,
dates, booleans, blanks), sheets and styles as written, and bytes leave before the workbook ends."""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from libs.common.xlsx_stream import CellStyle, XlsxStream

D = dt.date
TEXT = st.text(st.characters(codec="utf-8"), max_size=20) | st.sampled_from(
    ["a & b < c > d", "_x0041_", "_x005F_x0041_", " 前后空格 ", "\t缩进", "行一\n行二", "回车\r换行\r\n",
     "\x00\x01\x0b\x1f", "𠀀𝄞 emoji 😀", '"引号" \'单引号\'', "]]>", "=SUM(A1)", "&amp;"])
CELL = st.none() | TEXT | st.integers(-(10**17), 10**17) | st.booleans() | st.dates(D(1900, 3, 1), D(2100, 1, 1)) \
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)
ROWS = st.lists(st.lists(CELL, max_size=8), max_size=12)


def _stream(sheets: list[tuple[str, list[list[object]]]], styles=(), take_every: int = 1) -> bytes:
    book = XlsxStream(styles)
    out = []
    for name, rows in sheets:
        book.sheet(name, (6, 40, 12), width=max((len(r) for r in rows), default=0))
        for i, row in enumerate(rows):
            book.row(row)
            if i % take_every == 0:
                out.append(book.take())
    out.append(book.close())
    return b"".join(out)


def _xlsxwriter(sheets: list[tuple[str, list[list[object]]]]) -> bytes:
    """The file the export wrote before: XlsxWriter, constant memory (so into a file: in_memory would
    turn it off), dates as yyyy-mm-dd."""
    with tempfile.TemporaryDirectory() as tmp:
        return _xlsxwriter_into(Path(tmp) / "old.xlsx", sheets)


def _xlsxwriter_into(path: Path, sheets: list[tuple[str, list[list[object]]]]) -> bytes:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "default_date_format": "yyyy-mm-dd",
                                           "strings_to_numbers": False, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    for name, rows in sheets:
        ws = book.add_worksheet(name)
        for i, w in enumerate((6, 40, 12)):
            ws.set_column(i, i, w)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
    book.close()
    return path.read_bytes()


def _read(data: bytes, read_only: bool) -> list[tuple[str, list[tuple[object, ...]]]]:
    wb = load_workbook(io.BytesIO(data), read_only=read_only)
    return [(ws.title, [tuple(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]


def _trimmed(sheets: list[tuple[str, list[tuple[object, ...]]]]) -> list[tuple[str, list[tuple[object, ...]]]]:
    """Rows without their trailing empty cells (the writers pad rows differently when a row is empty)."""
    out = []
    for name, rows in sheets:
        trimmed = [tuple(r[:max((i + 1 for i, v in enumerate(r) if v is not None), default=0)]) for r in rows]
        while trimmed and not trimmed[-1]:
            trimmed.pop()
        out.append((name, trimmed))
    return out


def _rich_looking(rows: list[list[object]]) -> bool:
    # XlsxWriter writes a constant-memory string that looks like "<r>...</r>" as raw XML: not a model.
    return any(isinstance(v, str) and v.startswith("<r>") and v.endswith("</r>") for r in rows for v in r)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # each writes and reads a workbook
@given(rows=ROWS, more=ROWS)
def test_readers_see_what_xlsxwriters_file_shows(rows: list[list[object]], more: list[list[object]]) -> None:
    if _rich_looking(rows + more):
        return
    sheets = [("台账", rows), ("区教育局 & <二>", more)]
    ours, theirs = _stream(sheets, take_every=3), _xlsxwriter(sheets)
    for read_only in (True, False):
        assert _trimmed(_read(ours, read_only)) == _trimmed(_read(theirs, read_only))


@settings(max_examples=100, deadline=None)
@given(text=TEXT)
def test_text_without_escapes_reads_back_as_written(text: str) -> None:
    (_, rows), = _read(_stream([("s", [[text, 1]])]), read_only=True)
    if not re.search(r"[\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_", text):
        assert rows == [((text or None), 1, None)]


def test_every_part_is_well_formed_xml_and_the_zip_is_sound() -> None:
    data = _stream([("a", [["x", 1, D(2026, 1, 2)]]), ("b", [])])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= set(names)
        for name in names:
            ET.fromstring(z.read(name))


def test_styles_widths_dates_and_padding() -> None:
    book = XlsxStream((CellStyle(bold=True, size=14), CellStyle(bold=True, center=True)))
    book.sheet("台账", (6, 40, 12), width=4)
    book.row(["标题"], 2)
    book.row(["序号", "工作任务", "完成时限", "备注"], 3)
    book.row([1, "任务", D(2026, 11, 30), None])
    book.row([2, "", dt.datetime(2026, 11, 30, 12, 0), True])
    wb = load_workbook(io.BytesIO(book.close()))
    ws = wb["台账"]
    assert ws["A1"].font.b and ws["A1"].font.sz == 14
    assert ws["A2"].font.b and ws["A2"].alignment.horizontal == "center" and ws["B2"].font.b
    assert ws["C3"].value == dt.datetime(2026, 11, 30) and ws["C3"].number_format == "yyyy-mm-dd"
    assert ws["C4"].value == dt.datetime(2026, 11, 30, 12, 0) and ws["D4"].value is True and ws["B4"].value is None
    assert ws.column_dimensions["B"].width == 40.7109375  # as XlsxWriter sets a width of 40
    ro = load_workbook(io.BytesIO(_stream([("s", [["only"], [1, 2, 3, 4]])])), read_only=True)
    assert [tuple(r) for r in ro.worksheets[0].iter_rows(values_only=True)] == [
        ("only", None, None, None), (1, 2, 3, 4)]  # short rows padded to the sheet's width


def test_bytes_leave_before_the_end_and_memory_stays_flat() -> None:
    book = XlsxStream()
    book.sheet("s", (), width=5)
    taken, first_at = 0, None
    for i in range(60_000):
        book.row([i, f"事项{i}", D(2026, 1, 1) + dt.timedelta(days=i % 300), "备注" * (i % 7), None])
        if book.buffered >= 64 * 1024:
            chunk = book.take()
            taken += len(chunk)
            first_at = first_at if first_at is not None else i
            assert book.buffered == 0
    rest = book.close()
    assert first_at is not None and first_at < 20_000  # the first bytes left early, not at the end
    assert taken > 0.8 * (taken + len(rest))  # most of the file left while rows were still coming


def test_print_setup_merges_frozen_rows_and_print_titles() -> None:
    from libs.common.xlsx_stream import PageSetup

    body = CellStyle(border=True, wrap=True, font="仿宋")
    book = XlsxStream((CellStyle(bold=True, size=18, center=True, font="宋体"), body), font="仿宋", font_size=11)
    setup = PageSetup(merges=("A1:C1",), freeze_rows=2, repeat_rows=(2, 2), landscape=True, fit_width=True,
                      center_horizontally=True, margins=(0.5, 0.5, 0.6, 0.6), footer="&C第 &P 页，共 &N 页")
    book.sheet("O'Brien 台账", (6, 40, 12), width=3, setup=setup)
    book.row(["标题"], 2, height=36)
    book.row(["序号", "事项", "日期"], 3)
    book.row([1, "很长的事项", D(2026, 3, 2)], 3, height=30)
    book.row([2], 3)
    book.sheet("plain", (6,))
    book.row(["x"])
    wb = load_workbook(io.BytesIO(book.close()))
    ws = wb["O'Brien 台账"]
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:C1"] and ws.freeze_panes == "A3"
    assert ws.print_title_rows == "$2:$2"  # the sheet name with a quote is quoted in the defined name
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_options.horizontalCentered and ws.page_margins.left == 0.5
    assert ws.oddFooter is not None and ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert ws.row_dimensions[1].height == 36 and ws.row_dimensions[3].height == 30
    assert ws["A1"].font.name == "宋体" and ws["A1"].font.sz == 18 and ws["A1"].alignment.horizontal == "center"
    date = ws["C3"]  # a date in a styled row keeps the row's look, in the date format
    assert date.number_format == "yyyy-mm-dd" and date.border.left.style == "thin" and date.font.name == "仿宋"
    assert ws["B3"].alignment.wrap_text and ws["C4"].border.bottom.style == "thin"  # padding cells styled too
    plain = wb["plain"]
    assert plain["A1"].font.name == "仿宋" and plain.print_title_rows is None and plain.freeze_panes is None
    assert plain.page_setup.orientation == "portrait"
