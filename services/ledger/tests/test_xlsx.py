"""Ledger forms as XLSX: the seed's titles and columns, export -> import round trip, bad files."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from duban.ledger.v1 import ledger_pb2
from libs.common.clock import OFFICE_TZ, ManualClock
from services.ledger.tests.conftest import LedgerUnderTest, started_ledger

SEED_710 = ["序号", "工作任务", "交办时间", "完成时限", "责任领导", "责任人", "办理结果", "销号签字", "转期理由", "转期签字", "备注"]
SEED_ATTACHMENT_1 = ["序号", "督查事项", "立项时间", "承办单位", "交办时间", "完成时限", "督查责任人", "督查情况", "办理结果", "备注"]


def export(ledger: LedgerUnderTest, form: str, **filters) -> tuple[str, bytes]:
    chunks = list(ledger.stub.ExportLedger(ledger_pb2.ExportLedgerRequest(
        form=form, filter=ledger_pb2.ItemFilter(**filters)), timeout=60))
    return chunks[0].filename, b"".join(c.data for c in chunks)


def import_(ledger: LedgerUnderTest, content: bytes, filename: str = "台账.xlsx", mode: str = "") -> ledger_pb2.ImportJob:
    return ledger.import_file(content, filename, mode)


@pytest.fixture(scope="module")
def filled(ledger: LedgerUnderTest) -> LedgerUnderTest:
    ledger.register(title="教育项目一", lead_unit_id="jyj", registered_on="2026-03-02", responsible_leader_id="ld-li",
                    responsible_person_id="st-liu2", supervisor_id="sv-wang", remarks="备注一")
    ledger.register(title="发改项目二", lead_unit_id="fgj", co_units=[ledger_pb2.CoUnit(unit_id="jyj", duty="配合")],
                    category="complex", key_tracking=True, source="work_report", registered_on="2026-03-03",
                    responsible_leader_id="ld-zhao", content="详细内容")
    return ledger


def test_710_form_has_seed_title_unit_line_and_columns(filled: LedgerUnderTest) -> None:
    filename, data = export(filled, "ledger_710")
    assert filename.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(data), read_only=True)
    sheet = wb["区教育局"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "海东市平安区政府系统“710”台账（一般或复杂事项）"
    assert rows[1][0] == "单位（部门）：区教育局"
    assert list(rows[2]) == SEED_710
    titles = [r[1] for r in rows[3:]]
    assert "教育项目一" in titles and "发改项目二" in titles  # a co unit's ledger lists the item too
    first = next(r for r in rows[3:] if r[1] == "教育项目一")
    assert isinstance(first[0], int) and first[0] >= 1 and first[4] == "李明" and first[5] == "刘洋" and first[10] == "备注一"


def test_attachment_1_form(filled: LedgerUnderTest) -> None:
    _, data = export(filled, "unit_ledger", unit_id="fgj")
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == ["区发展和改革局"]
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    # As the seed's sample: the title, then the header (no "单位（部门）：" line; 承办单位 names the units).
    assert rows[0][0] == "单位督查事项管理台账" and list(rows[1]) == SEED_ATTACHMENT_1
    assert [r[1] for r in rows[2:]] == ["发改项目二"]
    assert rows[2][3] == "区发展和改革局、区教育局"


def test_round_trip_into_an_empty_ledger(filled: LedgerUnderTest, broker, tmp_path) -> None:
    _, data = export(filled, "full", text="项目")
    with started_ledger("sqlite", f"sqlite:///{tmp_path}/other.db", broker) as other:
        report = import_(other, data)
        assert report.state == "finished" and report.outcome == "imported"
        assert report.errors == [] and report.committed and report.created == 2 and report.rows == 2
        items = {i.title: i for i in other.stub.ListItems(ledger_pb2.ListItemsRequest(), timeout=5).items}
        originals = {i.title: i for i in filled.stub.ListItems(ledger_pb2.ListItemsRequest(
            filter=ledger_pb2.ItemFilter(text="项目")), timeout=5).items}
        assert set(items) == set(originals)
        for title, item in items.items():
            orig = originals[title]
            same = ("content", "source", "category", "key_tracking", "registered_on", "due_date", "remarks")
            assert {f: getattr(item, f) for f in same} == {f: getattr(orig, f) for f in same}
            assert [(u.unit_id, u.role) for u in item.units] == [(u.unit_id, u.role) for u in orig.units]
            assert item.responsible_leader.id == orig.responsible_leader.id
            assert item.legacy_no == orig.item_no
        again = import_(other, data)
        # Nothing new, and the status says so: no item committed, both rows skipped as duplicates.
        assert again.outcome == "imported" and again.created == 0 and again.duplicates == 2 and not again.committed


def test_reimport_into_same_ledger_creates_nothing(filled: LedgerUnderTest) -> None:
    _, data = export(filled, "full", text="项目")
    report = import_(filled, data)
    assert report.created == 0 and report.duplicates == 2


def _sheet(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["督查事项台账"])
    ws.append(["序号", "事项名称", "事项来源", "事项类别", "牵头单位", "责任领导", "立项时间", "完成时限"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


BAD_ROWS = [
    [1, "好的一行", "其他重要事项", "一般事项", "区发展和改革局", "李明", "2026-04-01", None],
    [2, "", "其他重要事项", "一般事项", "区发展和改革局", None, "2026-04-01", None],  # empty title
    [3, "未知单位", "其他重要事项", "一般事项", "火星局", None, "2026-04-01", None],
    [4, "同名人员", "其他重要事项", "一般事项", "区教育局", "刘洋", "2026-04-01", None],  # leader ambiguous
    [5, "日期倒挂", "其他重要事项", "复杂事项", "区教育局", None, "2026-04-10", "2026-04-01"],
    [6, "坏来源", "谣言", "一般事项", "区教育局", None, "2026/04/02", None],
    [7, "另一好行", "《政府工作报告》重点工作任务", "复杂", "区教育局", None, "2026年4月3日", None],
]


def test_all_or_nothing_reports_every_bad_row_and_writes_nothing(filled: LedgerUnderTest) -> None:
    before = filled.stub.ListItems(ledger_pb2.ListItemsRequest(include_total=True), timeout=5).total_size
    report = import_(filled, _sheet(BAD_ROWS))
    assert report.outcome == "rejected" and not report.committed and report.created == 0 and report.item_nos == []
    assert report.passed == 2 and report.error_rows == 5
    by_row = {(e.row, e.field) for e in report.errors}
    assert {(4, "title"), (5, "lead_unit"), (6, "leader"), (7, "due_date"), (8, "source")} <= by_row
    assert all(e.message for e in report.errors)
    after = filled.stub.ListItems(ledger_pb2.ListItemsRequest(include_total=True), timeout=5).total_size
    assert after == before


def test_good_rows_mode_keeps_the_good_ones_and_numbers_stay_gap_free(filled: LedgerUnderTest) -> None:
    report = import_(filled, _sheet(BAD_ROWS), mode="good_rows")
    assert report.outcome == "imported" and report.committed and report.created == 2 and report.error_rows == 5
    assert len({e.row for e in report.errors}) == 5
    numbers = sorted(report.item_nos)
    follow = filled.register(registered_on="2026-04-20")
    seqs = [int(n.split("-")[1]) for n in numbers + [follow.item_no]]
    assert seqs == list(range(seqs[0], seqs[0] + 3))  # rejected rows gave their numbers back
    item = filled.stub.GetItem(ledger_pb2.GetItemRequest(id=numbers[-1]), timeout=5).item
    assert item.source == "work_report" and item.category == "complex" and item.registered_on == "2026-04-03"


def test_seed_710_form_can_be_imported(filled: LedgerUnderTest) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["海东市平安区政府系统“710”台账（一般或复杂事项）"])
    ws.append(["单位（部门）：区住房和城乡建设局"])
    ws.append(SEED_710)
    ws.append([1, "纸质台账事项", "2026-05-06", "2026-05-15", "李明", "陈静", None, None, None, None, "旧台账"])
    out = io.BytesIO()
    wb.save(out)
    report = import_(filled, out.getvalue())
    assert report.errors == [] and report.created == 1
    item = filled.stub.GetItem(ledger_pb2.GetItemRequest(id=report.item_nos[0]), timeout=5).item
    assert item.units[0].unit_id == "zjj" and item.due_date == "2026-05-15" and item.due_date_reason == "按原台账导入"
    assert item.source == "other" and item.remarks == "旧台账"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("notes.txt", b"hello", "not an XLSX file"),
        ("fake.xlsx", b"PK\x03\x04garbage", "cannot be read"),
    ],
)
def test_bad_files_are_refused_at_upload(filled: LedgerUnderTest, filename, content, message) -> None:
    import grpc

    with pytest.raises(grpc.RpcError) as err:
        filled.start_import(content, filename=filename)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in (err.value.details() or "")


def test_a_workbook_without_ledger_rows_fails_its_job_with_the_reason(filled: LedgerUnderTest) -> None:
    out = io.BytesIO()
    Workbook().save(out)
    job = import_(filled, out.getvalue(), filename="empty.xlsx")
    assert job.state == "failed" and "未找到台账数据行" in job.failure and not job.committed


def test_oversized_file_is_refused(filled: LedgerUnderTest) -> None:
    import grpc

    limit = filled.app.settings.import_max_bytes
    with pytest.raises(grpc.RpcError) as err:
        filled.start_import(b"PK" + b"0" * (limit + 1))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "limit" in (err.value.details() or "")


def test_unknown_form_and_mode(filled: LedgerUnderTest) -> None:
    import grpc

    with pytest.raises(grpc.RpcError) as err:
        export(filled, "poster")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as refused:
        filled.start_import(_sheet([]), mode="most")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "mode" in (refused.value.details() or "")


def test_a_provisional_deadline_is_marked_in_every_export_and_counted_again_on_import(broker, tmp_path) -> None:
    clock = ManualClock(dt.datetime(2026, 12, 24, 9, tzinfo=OFFICE_TZ))
    with started_ledger("sqlite", f"sqlite:///{tmp_path}/p.db", broker, clock) as ledger:
        item = ledger.register(title="跨年事项", lead_unit_id="zjj", category="complex", registered_on="2026-12-24")
        final = ledger.register(title="年内事项", lead_unit_id="zjj", registered_on="2026-12-01")
        assert item.due_date_provisional and not final.due_date_provisional
        marked = "2027年1月8日（暂定，待国务院公布2027年节假日安排后确认）"
        for form, column in (("ledger_710", 3), ("unit_ledger", 5), ("full", 14)):
            _, data = export(ledger, form, unit_id="zjj")
            rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
            by_title = {r[1] if form != "full" else r[2]: r for r in rows}
            assert by_title["跨年事项"][column] == marked, form
            assert isinstance(by_title["年内事项"][column], dt.datetime), form  # a final deadline stays a date cell
        # The full form read back: the marked deadline is counted again, not taken as one set by hand.
        _, data = export(ledger, "full", unit_id="zjj")
        book = load_workbook(io.BytesIO(data))
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(min_row=3):
            if row[2].value == "跨年事项":
                row[2].value = "跨年事项（再导入）"
        out = io.BytesIO()
        book.save(out)
        job = import_(ledger, out.getvalue(), mode="good_rows")
        assert job.created >= 1, job
        again = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(
            filter=ledger_pb2.ItemFilter(text="跨年事项（再导入）")), timeout=10).items
        assert [(i.due_date, i.due_date_provisional, i.due_date_reason) for i in again] == [("2027-01-08", True, "")]
