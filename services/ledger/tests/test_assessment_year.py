"""考核年度: every item carries the year it is scored in (its registration year unless the office moves it),
and once the evaluation service froze a year (its year.frozen, consumed here) no item enters or leaves it."""

from __future__ import annotations

import datetime as dt
import io

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from openpyxl import load_workbook
from sqlalchemy import func, select

from duban.evaluation.v1 import events_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common import topics
from libs.common.cloudevents import CloudEvent, new_event
from libs.common.consumer import InvalidMessage
from libs.common.errors import DomainError, FailedPrecondition, InvalidInput
from libs.common.grpc_errors import from_rpc_error
from services.ledger import consumer
from services.ledger.orm import FrozenYear
from services.ledger.tests.conftest import OFFICE, LedgerUnderTest
from services.ledger.tests.test_xlsx import export

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
EVALUATION = topics.event_source("evaluation")


def frozen_event(year: int, frozen_by: str = "考核办张华") -> CloudEvent:
    at = Timestamp()
    at.FromDatetime(NOW)
    return new_event("year.frozen", EVALUATION, str(year), events_pb2.YearFrozen(
        year=year, as_of=f"{year}-12-31", frozen_at=at, frozen_by=frozen_by), NOW)


def apply_event(ledger: LedgerUnderTest, event: CloudEvent) -> None:
    with ledger.app.core.uow() as tx:
        consumer.handler(ledger.app.core)(tx, event)
        tx.commit()


def _refused(call) -> DomainError:
    with pytest.raises(grpc.RpcError) as err:
        call()
    error = from_rpc_error(err.value)
    assert error is not None, err.value
    return error


def _update(ledger: LedgerUnderTest, item_id: str, **patch) -> ledger_pb2.Item:
    return ledger.stub.UpdateItem(ledger_pb2.UpdateItemRequest(
        id=item_id, actor=OFFICE, patch=ledger_pb2.ItemPatch(**patch)), timeout=10).item


def _get(ledger: LedgerUnderTest, item_id: str) -> ledger_pb2.Item:
    return ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=item_id), timeout=10).item


def test_an_item_is_assessed_in_its_registration_year_by_default(ledger: LedgerUnderTest) -> None:
    today = ledger.register(title="考核年度默认今年")
    assert (today.registered_on, today.assessment_year) == ("2026-11-26", 2026)
    last_year = ledger.register(title="考核年度默认去年立项", registered_on="2025-12-30")
    assert last_year.assessment_year == 2025
    assert _get(ledger, last_year.id).assessment_year == 2025
    listed = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(
        filter=ledger_pb2.ItemFilter(text="考核年度默认")), timeout=10).items
    assert {i.title: i.assessment_year for i in listed} == {"考核年度默认今年": 2026, "考核年度默认去年立项": 2025}


def test_an_item_registered_with_another_assessment_year_keeps_it(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="年末立项明年考核", registered_on="2026-11-20", assessment_year=2027)
    assert (item.registered_on, item.assessment_year) == ("2026-11-20", 2027)
    assert item.item_no.startswith("2026-")  # numbered in its registration year all the same
    error = _refused(lambda: ledger.register(title="考核年度越界", assessment_year=1999))
    assert isinstance(error, InvalidInput)
    assert error.field_errors == {"assessment_year": "考核年度应为2000至2100之间的年份"}


def test_the_office_changes_the_assessment_year_with_history(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="改考核年度", registered_on="2026-11-02")
    updated = ledger.stub.UpdateItem(ledger_pb2.UpdateItemRequest(
        id=item.id, expected_version=1, actor=OFFICE, reason="跨年办理，计入下一年度考核",
        patch=ledger_pb2.ItemPatch(assessment_year=2027)), timeout=10).item
    assert (updated.assessment_year, updated.version) == (2027, 2)
    changes = ledger.stub.GetItemHistory(ledger_pb2.GetItemHistoryRequest(id=item.id), timeout=10).changes
    assert [(c.field, c.old_value, c.new_value, c.reason, c.actor.name) for c in changes[1:]] == [
        ("assessment_year", "2026", "2027", "跨年办理，计入下一年度考核", "督查室王芳")]
    same = _update(ledger, item.id, assessment_year=2027)  # no change: no new version, no history
    assert same.version == 2
    error = _refused(lambda: _update(ledger, item.id, assessment_year=2101))
    assert isinstance(error, InvalidInput) and "assessment_year" in error.field_errors
    assert _get(ledger, item.id).assessment_year == 2027


def test_once_a_year_is_frozen_no_item_moves_into_or_out_of_it(ledger: LedgerUnderTest) -> None:
    in_2024 = ledger.register(title="2024年度事项", registered_on="2024-06-03")
    in_2026 = ledger.register(title="2026年度事项")
    apply_event(ledger, frozen_event(2024))

    # Out of the frozen year, and into it: refused, the field named, nothing changed.
    out = _refused(lambda: _update(ledger, in_2024.id, assessment_year=2026))
    assert isinstance(out, FailedPrecondition)
    assert out.field_errors == {"assessment_year": "2024年度考核已确认（冻结），不能再改动考核年度"}
    into = _refused(lambda: _update(ledger, in_2026.id, assessment_year=2024))
    assert isinstance(into, FailedPrecondition)
    assert into.field_errors == {"assessment_year": "2024年度考核已确认（冻结），不能再改动考核年度"}
    assert (_get(ledger, in_2024.id).assessment_year, _get(ledger, in_2026.id).version) == (2024, 1)
    # Registering into it (given, or by a registration date in it): refused as well.
    for fields in ({"assessment_year": 2024}, {"registered_on": "2024-12-30"}):
        refused = _refused(lambda fields=fields: ledger.register(title="登记到冻结年度", **fields))
        assert isinstance(refused, FailedPrecondition), fields
        assert refused.field_errors == {"assessment_year": "2024年度考核已确认（冻结），不能再登记考核年度为2024年的事项"}
    # Its other fields, and the years around it, stay the office's to change.
    assert _update(ledger, in_2024.id, title="2024年度事项（改名）").version == 2
    assert _update(ledger, in_2024.id, assessment_year=2024).version == 2  # the same year: no move
    assert _update(ledger, in_2026.id, assessment_year=2025).assessment_year == 2025
    moved = ledger.register(title="2024年立项计入2025年度", registered_on="2024-12-30", assessment_year=2025)
    assert moved.assessment_year == 2025


def test_a_year_frozen_again_is_kept_once_and_a_bad_event_is_dead_lettered(ledger: LedgerUnderTest) -> None:
    apply_event(ledger, frozen_event(2023, "考核办张华"))
    apply_event(ledger, frozen_event(2023, "考核办李伟"))  # confirmed again (or delivered twice): one row, the last word
    with ledger.app.core.uow.read() as tx:
        assert tx.session.scalar(select(func.count()).select_from(FrozenYear).where(FrozenYear.year == 2023)) == 1
        assert tx.session.get(FrozenYear, 2023).frozen_by == "考核办李伟"  # type: ignore[union-attr]
    with pytest.raises(InvalidMessage):
        apply_event(ledger, frozen_event(0))
    # Evaluation's other events are not the ledger's business.
    apply_event(ledger, new_event("score.changed", EVALUATION, "unit:fgj", events_pb2.ScoreChanged(year=2023), NOW))


def test_the_full_export_has_the_assessment_year_last_and_the_import_reads_it_back(ledger: LedgerUnderTest) -> None:
    item = ledger.register(title="导出考核年度", lead_unit_id="jyj", registered_on="2026-10-09", assessment_year=2027)
    _, data = export(ledger, "full", text="导出考核年度")
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][-1] == "考核年度" and rows[2][2] == item.title and rows[2][-1] == 2027
    # The seed's forms keep the seed's columns.
    for form in ("ledger_710", "unit_ledger"):
        _, seed = export(ledger, form, unit_id="jyj")
        headers = {c for row in load_workbook(io.BytesIO(seed), read_only=True).worksheets[0].iter_rows(
            max_row=4, values_only=True) for c in row}
        assert "考核年度" not in headers, form
    # Read back: the year comes with the row; a frozen one is the row's error, not the job's end.
    sheet.cell(row=3, column=3).value = "导出考核年度（再导入）"
    sheet.append([None, None, "导入到冻结年度", *rows[2][3:-1], 2024])
    out = io.BytesIO()
    book.save(out)
    apply_event(ledger, frozen_event(2024))
    job = ledger.import_file(out.getvalue(), mode="good_rows")
    assert (job.state, job.created, job.error_rows) == ("finished", 1, 1), job
    assert [(e.field, e.message.split(": ", 1)[1]) for e in job.errors] == [
        ("assessment_year", "2024年度考核已确认（冻结），不能再登记考核年度为2024年的事项")]
    again = ledger.stub.ListItems(ledger_pb2.ListItemsRequest(
        filter=ledger_pb2.ItemFilter(text="导出考核年度（再导入）")), timeout=10).items
    assert [i.assessment_year for i in again] == [2027]
