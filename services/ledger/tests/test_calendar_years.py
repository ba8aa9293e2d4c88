"""A deadline in a year with no official table is flagged, then fixed when the table is installed."""

from __future__ import annotations

import datetime as dt
import json

from duban.ledger.v1 import ledger_pb2
from libs.common.calendar.__main__ import main as calendar_cli
from libs.common.clock import OFFICE_TZ, ManualClock
from services.ledger.tests.conftest import OFFICE, started_ledger


def test_provisional_due_dates_are_recomputed_after_installing_the_year(broker, tmp_path) -> None:
    calendar_dir = tmp_path / "calendar"
    clock = ManualClock(dt.datetime(2026, 12, 25, 9, tzinfo=OFFICE_TZ))
    with started_ledger("sqlite", f"sqlite:///{tmp_path}/cal.db", broker, clock,
                        DUBAN_CALENDAR_DIR=str(calendar_dir)) as ledger:
        item = ledger.register(category="complex", registered_on="2026-12-25")
        # 28-31 Dec, 元旦 1 Jan (statutory), 4-8, 11 Jan: provisional until 2027's table is installed.
        assert item.due_date_provisional and item.due_date == "2027-01-11"
        assert "暂定，待国务院公布2027年节假日安排后确认" in item.light_reason
        same = ledger.stub.RecomputeProvisionalDueDates(ledger_pb2.RecomputeProvisionalDueDatesRequest(), timeout=10)
        assert (same.updated, same.still_provisional) == (0, 1)
        # The State Council's 2027 table (a made-up New Year holiday 1-3 Jan, make-up Saturday 9 Jan here).
        table = tmp_path / "2027.json"
        table.write_text(json.dumps({"year": 2027, "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}],
                                     "workdays": [{"name": "元旦调休", "date": "2027-01-09"}]}), encoding="utf-8")
        assert calendar_cli(["install", str(table), "--dir", str(calendar_dir)]) == 0
        done = ledger.stub.RecomputeProvisionalDueDates(ledger_pb2.RecomputeProvisionalDueDatesRequest(actor=OFFICE),
                                                        timeout=10)
        assert (done.updated, done.still_provisional) == (1, 0)
        fixed = ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=item.id), timeout=5).item
        # 28, 29, 30, 31 Dec, (1 Jan holiday), 4, 5, 6, 7, 8, 9 (make-up Saturday) Jan.
        assert fixed.due_date == "2027-01-09" and not fixed.due_date_provisional
        history = ledger.stub.GetItemHistory(ledger_pb2.GetItemHistoryRequest(id=item.id), timeout=5).changes
        assert history[-1].field == "due_date" and history[-1].new_value == "2027-01-09"
        assert history[-1].reason == "办理时限由2027年1月11日调整为2027年1月9日（国务院公布2027年节假日安排）"
