"""The streamed ledger export shows exactly what the XlsxWriter export showed (kept here as the
reference): the same sheets, rows and cells for every form and filter, read back with openpyxl."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
import xlsxwriter
from openpyxl import load_workbook
from sqlalchemy import select

from duban.ledger.v1 import ledger_pb2
from services.ledger import repository, xlsx_export
from services.ledger.context import Ledger
from services.ledger.forms import FORMS, NOTE_CELLS, UNIT_LINE_PREFIX, Form
from services.ledger.orm import Item, ItemUnit, Unit
from services.ledger.tests.conftest import LedgerUnderTest


def xlsxwriter_export(ledger: Ledger, form_name: str, query: repository.ItemQuery, org: str) -> bytes:
    """The export as it was written before streaming (XlsxWriter into a temporary file), with the
    cells of today's forms (no unit line on attachment 1, 督查情况 with the item's record)."""
    form = FORMS[form_name]
    notes = any(getter in NOTE_CELLS for _, getter in form.columns)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "old.xlsx"
        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "default_date_format": "yyyy-mm-dd",
                                                   "strings_to_numbers": False, "strings_to_formulas": False,
                                                   "strings_to_urls": False})
        formats = {"title": workbook.add_format({"bold": True, "font_size": 14}),
                   "header": workbook.add_format({"bold": True, "align": "center"})}

        class Sheet:
            unit_id = ""

            def __init__(self, f: Form, name: str, unit_name: str | None) -> None:
                self.ws = workbook.add_worksheet(name)
                for idx, width in enumerate(f.widths):
                    self.ws.set_column(idx, idx, width)
                self.ws.write(0, 0, f.title.format(org=org), formats["title"])
                self.row = 1
                if unit_name is not None:
                    self.ws.write(1, 0, f"{UNIT_LINE_PREFIX}{unit_name}")
                    self.row = 2
                self.ws.write_row(self.row, 0, [text for text, _ in f.columns], formats["header"])
                self.row += 1
                self.getters = [getter for _, getter in f.columns][1:]
                self.count = 0

            def add(self, item: Item) -> None:
                self.count += 1
                self.ws.write_row(self.row, 0, [self.count, *(getter(item) for getter in self.getters)])
                self.row += 1

        base = repository.filtered(query).with_only_columns(*xlsx_export.COLUMNS)
        with ledger.uow.read() as tx:
            session = tx.session
            if form.per_unit:
                units = {u.id: u.name for u in session.scalars(select(Unit).order_by(Unit.id))}
                wanted = [u for u in units if not query.unit_ids or u in query.unit_ids]
                stmt = (base.add_columns(ItemUnit.unit_id.label("sheet_unit"))
                        .join(ItemUnit, ItemUnit.item_id == Item.id).where(ItemUnit.unit_id.in_(wanted))
                        .order_by(ItemUnit.unit_id, Item.registered_on.desc(), Item.seq.desc()))
                used: set[str] = set()
                sheet = None
                for row, item in xlsx_export._with_units(session, stmt, with_notes=notes):
                    if sheet is None or sheet.unit_id != row.sheet_unit:
                        name = units[row.sheet_unit]
                        sheet = Sheet(form, xlsx_export._sheet_name(name, used), name if form.unit_line else None)
                        sheet.unit_id = row.sheet_unit
                    sheet.add(item)
                if sheet is None and len(wanted) == 1:
                    Sheet(form, xlsx_export._sheet_name(units[wanted[0]], used),
                          units[wanted[0]] if form.unit_line else None)
            else:
                sheet = Sheet(form, "台账", None)
                for _, item in xlsx_export._with_units(session, base.order_by(Item.registered_on.desc(),
                                                                               Item.seq.desc()), with_notes=notes):
                    sheet.add(item)
        if not workbook.worksheets():
            Sheet(form, "台账", "" if form.unit_line else None)
        workbook.close()
        return path.read_bytes()


def shown(data: bytes) -> list[tuple[str, list[tuple[object, ...]]]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return [(ws.title, [tuple(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]


@pytest.fixture(scope="module")
def varied(ledger: LedgerUnderTest) -> LedgerUnderTest:
    ledger.register(title="教育 & <项目> 一", lead_unit_id="jyj", registered_on="2026-03-02",
                    responsible_leader_id="ld-li", responsible_person_id="st-liu2", supervisor_id="sv-wang",
                    remarks="  前后有空格  ", content="行一\n行二\r\n回车")
    ledger.register(title="_x0041_ 看似转义", lead_unit_id="fgj", registered_on="2026-03-03",
                    co_units=[ledger_pb2.CoUnit(unit_id="jyj", duty="配合"), ledger_pb2.CoUnit(unit_id="zjj")],
                    category="complex", key_tracking=True, source="work_report", responsible_leader_id="ld-zhao",
                    remarks='"引号" =SUM(A1) 𠀀😀')
    for i in range(5):
        ledger.register(title=f"住建事项{i}", lead_unit_id="zjj", registered_on=f"2026-04-0{i + 1}")
    return ledger


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("unit_ids", [(), ("jyj",), ("dcs",)])
def test_streamed_export_shows_what_xlsxwriter_showed(varied: LedgerUnderTest, form: str,
                                                      unit_ids: tuple[str, ...]) -> None:
    ledger = varied.app.core
    query = repository.ItemQuery(unit_ids=unit_ids)
    name, chunks = xlsx_export.export_ledger(ledger, form, query, "测试单位")
    assert name == xlsx_export.FILENAMES[form]
    ours = b"".join(chunks)
    assert shown(ours) == shown(xlsxwriter_export(ledger, form, query, "测试单位"))
    sheet = load_workbook(io.BytesIO(ours)).worksheets[0]
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 18 and sheet["A1"].value.startswith(
        "测试单位" if form != "unit_ledger" else "单位督查事项管理台账")


def test_no_items_still_gives_the_form(varied: LedgerUnderTest) -> None:
    ledger = varied.app.core
    query = repository.ItemQuery(text="没有这样的事项")
    for form in FORMS:
        _, chunks = xlsx_export.export_ledger(ledger, form, query, "测试单位")
        assert shown(b"".join(chunks)) == shown(xlsxwriter_export(ledger, form, query, "测试单位"))


def test_over_grpc_the_first_chunk_names_the_file(varied: LedgerUnderTest) -> None:
    chunks = list(varied.stub.ExportLedger(ledger_pb2.ExportLedgerRequest(form="full"), timeout=30))
    assert chunks[0].filename == "督查事项台账.xlsx" and chunks[0].content_type == xlsx_export.CONTENT_TYPE
    assert all(not c.filename for c in chunks[1:])
    rows = shown(b"".join(c.data for c in chunks))[0][1]
    assert rows[1][:3] == ("序号", "立项编号", "事项名称") and len(rows) >= 2 + 7
