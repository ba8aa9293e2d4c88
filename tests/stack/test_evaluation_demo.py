"""The scores `make run` shows (scripts/demo_evaluation.py, loaded into the session's stack by tests/conftest.py):
the demo's two closed items scored on time and late, the inspection's missing task ledger against its unit,
and the year's totals answering with those units."""

from __future__ import annotations

import pytest

from duban.evaluation.v1 import evaluation_pb2 as pb
from duban.evaluation.v1 import evaluation_pb2_grpc
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from scripts import demo_evaluation
from scripts.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.postgres]  # the session's stack, on PostgreSQL


def test_the_demo_items_are_scored_and_totalled(stack: Stack) -> None:
    with stack.channel("ledger") as lc, stack.channel("evaluation") as ec:
        items = ledger_pb2_grpc.LedgerServiceStub(lc).ListItems(ledger_pb2.ListItemsRequest(page_size=200),
                                                                 timeout=10).items
        ids = {i.title: i for i in items}
        evaluation = evaluation_pb2_grpc.EvaluationServiceStub(ec)
        on_time, late = (ids[title] for title, *_ in demo_evaluation.CLOSED)
        year = int(on_time.registered_on[:4])

        def rules(item_id: str) -> dict[str, float]:
            entries = evaluation.ListEntries(pb.ListEntriesRequest(year=year, item_id=item_id,
                                                                   actor=demo_evaluation.ASSESS), timeout=10).entries
            return {f"{e.rule} {e.subject.kind}:{e.subject.id}": e.points for e in entries}

        assert rules(on_time.id) == {"closed_on_time unit:fgj": 2, "closed_on_time person:st-chen": 2,
                                     "closed_on_time leader:ld-li": 2}
        late_points = rules(late.id)  # -1 a working day past its deadline: 5 on a working day
        assert set(late_points) == {"closed_late unit:jyj", "closed_late person:st-liu2", "closed_late leader:ld-li"}
        assert len(set(late_points.values())) == 1 and -10 <= late_points["closed_late unit:jyj"] < 0
        no_ledger = evaluation.ListEntries(pb.ListEntriesRequest(year=year, rule="ledger_not_kept", subject_id="wjj",
                                                                 actor=demo_evaluation.ASSESS), timeout=10).entries
        assert [e.points for e in no_ledger] == [-3]  # the inspection's finding at 区卫生健康局
        totals = evaluation.ListTotals(pb.ListTotalsRequest(year=year, kind="unit", actor=demo_evaluation.ASSESS),
                                       timeout=10).totals
        assert {"fgj", "jyj", "wjj"} <= {t.subject.id for t in totals}
