"""A unit acts only as itself: every write that names a unit refuses another unit's id, in the service
(not only in the gateway). The office may record what a unit reported by phone; the report then shows
the office as who filed it."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest

from duban.common.v1 import common_pb2
from duban.tracking.v1 import tracking_pb2
from services.tracking.tests.conftest import FGJ, JYJ, OFFICE, Pair
from services.tracking.tests.test_idempotency import item_at

ZJJ = common_pb2.Actor(user_id="7", name="孙磊", role="unit_staff", unit_id="zjj")  # undertakes nothing here


def refused(method: Callable[..., object], request: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as err:
        method(request, timeout=10)
    return err.value.code()


def test_no_unit_signs_or_reports_as_another(pair: Pair) -> None:
    item_id = item_at(pair, "notified")
    for actor, unit in ((JYJ, "fgj"), (FGJ, "jyj"), (ZJJ, "fgj"), (ZJJ, "zjj")):
        assert refused(pair.tracking.Acknowledge, tracking_pb2.AcknowledgeRequest(
            item_id=item_id, unit_id=unit, actor=actor)) == grpc.StatusCode.PERMISSION_DENIED
        assert refused(pair.tracking.FileReport, tracking_pb2.FileReportRequest(
            item_id=item_id, unit_id=unit, text="冒名报送", actor=actor)) == grpc.StatusCode.PERMISSION_DENIED
    after = pair.assignment(item_id)
    assert list(after.reports) == [] and not any(u.acknowledged_by.name for u in after.units)


def test_the_office_records_a_units_report_and_shows_it_did(pair: Pair) -> None:
    item_id = item_at(pair, "notified")
    recorded = pair.tracking.FileReport(tracking_pb2.FileReportRequest(
        item_id=item_id, unit_id="fgj", text="电话报送：方案已完成", actor=OFFICE), timeout=10).assignment
    [report] = recorded.reports
    assert (report.unit_id, report.filed_by.name, report.filed_by.unit_id) == ("fgj", "王芳", "dcs")
    own = pair.tracking.FileReport(tracking_pb2.FileReportRequest(
        item_id=item_id, text="本单位报送", actor=JYJ), timeout=10).assignment
    assert own.reports[-1].unit_id == "jyj" and own.reports[-1].filed_by.unit_id == "jyj"
