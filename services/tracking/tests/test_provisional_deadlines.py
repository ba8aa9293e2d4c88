"""A provisional deadline through the real ledger and tracking services: marked as such in tracking's
view, its light and the 督办通知; then the State Council's table arrives, RecomputeProvisionalDueDates
moves the deadline of a notice already issued, and the units are told: the notice is reprinted as
revised, the revision is on the item (and published as notice.revised), the ledger's history says why."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from contextlib import ExitStack

import grpc
import pytest
from docx import Document

from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2, tracking_pb2
from libs.common import topics
from libs.common.calendar.__main__ import main as calendar_cli
from libs.common.clock import OFFICE_TZ, ManualClock
from libs.common.testing import EventReader, postgres_database, running_service
from services.ledger.tests.conftest import started_ledger
from services.tracking.bootstrap import bootstrap
from services.tracking.config import Settings
from services.tracking.tests.conftest import EVENT_WAIT, OFFICE

PROVISIONAL = "2027年1月8日（暂定，待国务院公布2027年节假日安排后确认）"
REVISED = "办理时限由2027年1月8日调整为2027年1月9日（国务院公布2027年节假日安排）"


def _notice_text(tracking, item_id: str) -> str:
    chunks = tracking.GetDocument(tracking_pb2.GetDocumentRequest(item_id=item_id, kind="notice"), timeout=10)
    doc = Document(io.BytesIO(b"".join(c.data for c in chunks)))
    return "\n".join(p.text for p in doc.paragraphs)


def _wait(read, until, timeout: float = EVENT_WAIT):
    deadline = time.monotonic() + timeout
    while True:
        found = read()
        if until(found):
            return found
        assert time.monotonic() < deadline, f"not reached in {timeout}s: {found}"
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_provisional_deadline_is_marked_then_revised_and_the_units_are_told(broker, tmp_path, kind: str) -> None:
    clock = ManualClock(dt.datetime(2026, 12, 24, 9, tzinfo=OFFICE_TZ))
    calendar_dir = tmp_path / "calendar"
    env = {"DUBAN_CALENDAR_DIR": str(calendar_dir)}
    with ExitStack() as stack:
        if kind == "sqlite":
            ledger_url, tracking_url = f"sqlite:///{tmp_path}/l.db", f"sqlite:///{tmp_path}/t.db"
        else:
            ledger_url = stack.enter_context(postgres_database("duban_prov_ledger"))
            tracking_url = stack.enter_context(postgres_database("duban_prov_tracking"))
        ledger = stack.enter_context(started_ledger(kind, ledger_url, broker, clock, env))
        service = stack.enter_context(running_service(
            bootstrap, Settings.from_env, broker.bootstrap, tracking_url, clock,
            {"DUBAN_SWEEP_INTERVAL_SECONDS": "0", "DUBAN_STORAGE_DIR": str(tmp_path / "files"), **env}))
        tracking = service.stub()
        # The issue's item: registered 24 Dec 2026, complex (10 working days), deadline in 2027.
        item = ledger.register(title="跨年度督办事项", category="complex", registered_on="2026-12-24",
                               co_units=[ledger_pb2.CoUnit(unit_id="jyj", duty="配合")])
        assert item.due_date == "2027-01-08" and item.due_date_provisional  # 元旦 counted: not 7 Jan any more

        def assignment() -> tracking_pb2.Assignment:
            return tracking.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item.id), timeout=5).assignment

        def exists() -> tracking_pb2.Assignment | None:
            try:
                return assignment()
            except grpc.RpcError:
                return None

        a = _wait(exists, lambda a: a is not None)
        assert a.due_date == "2027-01-08" and a.due_date_provisional
        assert "暂定，待国务院公布2027年节假日安排后确认" in a.light_reason
        lights = tracking.ListLights(tracking_pb2.ListLightsRequest(), timeout=5).items
        assert [i.due_date_provisional for i in lights if i.item_id == item.id] == [True]

        tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item.id, contact_name="王芳", actor=OFFICE),
                             timeout=10)
        text = _notice_text(tracking, item.id)
        assert f"请于{PROVISIONAL}前办结" in text and "调休上班日和节假日逢周末的补休尚不确定" in text
        assert "督办通知（修订）" not in text and "本通知于" not in text

        # The State Council publishes 2027: 元旦 1-3 Jan plus Mon 4 Jan off, paid back on Sat 9 Jan.
        table = tmp_path / "2027.json"
        table.write_text(json.dumps({"year": 2027, "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-04"}],
                                     "workdays": [{"name": "元旦调休", "date": "2027-01-09"}]}), encoding="utf-8")
        assert calendar_cli(["install", str(table), "--dir", str(calendar_dir)]) == 0
        reader = EventReader(broker.bootstrap, topics.TRACKING_EVENTS)
        stack.callback(reader.close)
        done = ledger.stub.RecomputeProvisionalDueDates(
            ledger_pb2.RecomputeProvisionalDueDatesRequest(actor=OFFICE), timeout=10)
        assert (done.updated, done.still_provisional) == (1, 0)

        # The ledger: the official deadline, and the history says why in Chinese.
        fixed = ledger.stub.GetItem(ledger_pb2.GetItemRequest(id=item.id), timeout=5).item
        assert fixed.due_date == "2027-01-09" and not fixed.due_date_provisional
        history = ledger.stub.GetItemHistory(ledger_pb2.GetItemHistoryRequest(id=item.id), timeout=5).changes
        assert history[-1].field == "due_date" and history[-1].reason == REVISED

        # Tracking: the new deadline even though the notice was out, no longer provisional, the revision kept.
        a = _wait(assignment, lambda a: a.due_date == "2027-01-09")
        assert not a.due_date_provisional and a.original_due_date == "2027-01-09"
        assert [r.reason for r in a.notice_revisions] == [REVISED]
        assert (a.notice_revisions[0].old_due_date, a.notice_revisions[0].new_due_date) == ("2027-01-08", "2027-01-09")
        assert list(a.notice_revisions[0].calendar_years) == [2027]
        assert "暂定" not in a.light_reason
        # The notice the units download now: marked revised, the new date, when and why.
        text = _notice_text(tracking, item.id)
        assert "督办通知（修订）" in text and "请于2027年1月9日前办结" in text
        assert f"本通知于2026年12月24日修订：{REVISED}。" in text and "暂定" not in text

        # And the units are told by event (what their to-do view shows).
        events = reader.poll_until(lambda evs: any(e.type == "notice.revised" and e.subject == item.id for e in evs))
        revised = next(e for e in events if e.type == "notice.revised" and e.subject == item.id)
        body = revised.decode(events_pb2.NoticeRevised())
        assert sorted(body.unit_ids) == ["fgj", "jyj"] and body.revision.reason == REVISED
        assert body.notice_no == a.notice_no and not body.due_date_provisional
