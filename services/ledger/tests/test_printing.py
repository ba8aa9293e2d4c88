"""The 710 ledger and attachment 1 print as an office hands them in: A4 landscape, fit to the page width,
title merged and centred in 宋体, the rows in 仿宋, the header repeated on every page and frozen on
screen; attachment 1 without the unit line the seed's sample lacks; 督查情况 is what the office typed with
the item's record from tracking below it. The printed check converts the exports with LibreOffice."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from openpyxl import load_workbook

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2, tracking_pb2
from libs.common import printing
from libs.common.cloudevents import CloudEvent, new_event
from services.ledger import consumer
from services.ledger.tests.conftest import OFFICE, LedgerUnderTest
from services.ledger.tests.test_xlsx import SEED_710, SEED_ATTACHMENT_1, export

AT = dt.datetime(2026, 3, 4, 2, 30, tzinfo=dt.UTC)  # 10:30 in the office's time zone
PRINT_OUT = Path(os.environ.get("DUBAN_PRINT_OUT", "var/test/print"))  # the pages, to look at


def _ts(when: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def _apply(ledger: LedgerUnderTest, event: CloudEvent) -> None:
    """The event through the ledger's own consumer (its dispatcher table and handlers)."""
    with ledger.app.core.uow() as tx:
        consumer.handler(ledger.app.core)(tx, event)
        tx.commit()


def test_710_ledger_is_set_up_for_a4_landscape(ledger: LedgerUnderTest) -> None:
    ledger.register(title="打印设置检查事项", lead_unit_id="zjj", registered_on="2026-03-02")
    _, data = export(ledger, "ledger_710", unit_id="zjj")
    ws = load_workbook(io.BytesIO(data))["区住房和城乡建设局"]
    assert sorted(str(r) for r in ws.merged_cells.ranges) == ["A1:K1", "A2:K2"]  # title and unit line over the table
    title = ws["A1"]
    assert title.font.name == "宋体" and title.font.b and title.font.sz == 18
    assert title.alignment.horizontal == "center" and title.alignment.vertical == "center"
    assert [c.value for c in ws[3]] == SEED_710 and all(c.font.name == "宋体" and c.font.b for c in ws[3])
    row = ws[4]
    assert row[1].value == "打印设置检查事项" and row[1].font.name == "仿宋" and row[1].alignment.wrap_text
    assert all(c.border.left.style == "thin" and c.border.bottom.style == "thin" for c in row)  # padded cells too
    # numbers, dates and names centred, text from the left; a date keeps its format in the centred style
    assert [c.alignment.horizontal for c in row] == [
        "center", None, "center", "center", "center", "center", None, "center", None, "center", None]
    assert row[3].number_format == "yyyy-mm-dd" and row[3].font.name == "仿宋"
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"  # 9: A4
    fit = ws.sheet_properties.pageSetUpPr
    assert fit is not None and fit.fitToPage and ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$3:$3" and ws.freeze_panes == "A4"
    assert ws.print_options.horizontalCentered and ws.oddFooter is not None
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_attachment_1_has_no_unit_line_and_prints_the_same_way(ledger: LedgerUnderTest) -> None:
    ledger.register(title="附件一打印检查", lead_unit_id="zjj", registered_on="2026-03-02")
    _, data = export(ledger, "unit_ledger", unit_id="zjj")
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws["A1"].value == "单位督查事项管理台账" and [c.value for c in ws[2]] == SEED_ATTACHMENT_1
    assert not any(str(c.value or "").startswith("单位（部门）") for row in ws.iter_rows() for c in row)
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:J1"] and ws["A1"].font.name == "宋体"
    assert ws.print_title_rows == "$2:$2" and ws.freeze_panes == "A3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9 and ws.page_setup.fitToWidth == 1


def test_supervision_status_is_the_office_text_then_the_items_record(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="督查情况记录事项", lead_unit_id="fgj",
                           co_units=[ledger_pb2.CoUnit(unit_id="jyj", duty="配合")], registered_on="2026-03-02")
    typed = "3月2日已电话了解，正在推进"
    updated = ledger.stub.UpdateItem(ledger_pb2.UpdateItemRequest(
        id=item.id, expected_version=item.version, actor=OFFICE,
        patch=ledger_pb2.ItemPatch(supervision_status=typed)), timeout=10).item
    events = [
        new_event("item.status_changed", "duban/tracking", item.id, events_pb2.ItemStatusChanged(
            item_id=item.id, status="notified", previous_status="awaiting_notice", at=_ts(AT), seq=1), AT),
        new_event("item.urged", "duban/tracking", item.id, events_pb2.ItemUrged(
            item_id=item.id, item_no=item.item_no, unit_id="jyj", reason="notice_unacknowledged",
            text=f"请区教育局尽快签收督办通知（{item.item_no}）。"), AT + dt.timedelta(days=1)),
        new_event("item.urged", "duban/tracking", item.id, events_pb2.ItemUrged(
            item_id=item.id, item_no=item.item_no, unit_id="fgj", reason="office",
            text="电话督办：要求本周五前报送进展，对方答应"), AT + dt.timedelta(days=2)),
        new_event("extension.rejected", "duban/tracking", item.id, events_pb2.ExtensionDecided(
            item_id=item.id, due_date="2026-03-11", extension=tracking_pb2.Extension(
                reason="资金未到位", decided_by=common_pb2.PersonSnapshot(name="李明"),
                decided_at=_ts(AT + dt.timedelta(days=3)))), AT + dt.timedelta(days=3)),
    ]
    for event in reversed(events):  # applied out of order (a repaired event): printed by when it happened
        _apply(ledger, event)
    _, data = export(ledger, "unit_ledger", unit_id="fgj")
    rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    row = next(r for r in rows if r[1] == "督查情况记录事项")
    assert row[7] == "\n".join([
        typed,
        "2026年3月4日 状态：已交办",
        f"2026年3月5日 系统催办（区教育局）：请区教育局尽快签收督办通知（{item.item_no}）。",
        "2026年3月6日 电话督办（区发展和改革局）：要求本周五前报送进展，对方答应",
        "2026年3月7日 转期申请未获李明同意（资金未到位），完成时限仍为2026年3月11日",
    ])
    # What the office typed is kept as typed: the record is printed below it, never written into it.
    after = ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=item.id), timeout=10).item
    assert after.supervision_status == typed and after.version == updated.version + 1  # +1: the status move
    _, full = export(ledger, "full", text="督查情况记录事项")
    full_rows = list(load_workbook(io.BytesIO(full), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert full_rows[2][17] == row[7]  # the full form's 督查情况 says the same


@pytest.mark.slow
@pytest.mark.skipif(not printing.available(), reason="make print-tools installs LibreOffice and poppler-utils")
def test_ledgers_print_on_a4_landscape_with_the_header_on_every_page(ledger: LedgerUnderTest) -> None:
    for n in range(45):  # enough for three pages, with titles that wrap
        item = ledger.register(title=f"第{n + 1}项：推进城区老旧小区改造、背街小巷整治和雨污分流管网建设工程",
                               lead_unit_id="zjj", registered_on="2026-03-02", responsible_leader_id="ld-li",
                               supervisor_id="sv-wang", remarks="按月报送进展")
        if n >= 42:  # the last ones (printed first) with a record in 督查情况
            _apply(ledger, new_event("item.urged", "duban/tracking", item.id, events_pb2.ItemUrged(
                item_id=item.id, item_no=item.item_no, unit_id="zjj", reason="office",
                text="电话督办：请于本周内报送施工进度"), AT))
    for form, headers in (("ledger_710", SEED_710), ("unit_ledger", SEED_ATTACHMENT_1)):
        _, data = export(ledger, form, unit_id="zjj")
        pdf = printing.to_pdf(data, ".xlsx")
        pages = printing.pages(pdf)
        assert len(pages) >= 2, form
        for page in pages:
            assert page.is_a4(landscape=True), (form, page.number, page.width_mm, page.height_mm)
            # Every page has the whole header row, first to last column: the header repeats, and no
            # column went to a page of its own (fit to width).
            line = next((ln for ln in page.text.splitlines() if "序号" in ln), "")
            assert all(h in line.replace(" ", "") for h in headers), (form, page.number, line)
            assert f"第 {page.number} 页，共 {len(pages)} 页" in page.text
        first = pages[0].text
        assert ("“710”台账（一般或复杂事项）" if form == "ledger_710" else "单位督查事项管理台账") in first
        assert "第45项" in first.replace(" ", "") and "□" not in first
        if form == "unit_ledger":
            assert "2026年3月4日电话督办" in first.replace(" ", "")  # 督查情况, wrapped in its column
        assert printing.to_png(pdf, PRINT_OUT, form)
