"""An inspected item closes with its inspection on file: the completion report names the supervision
report that covers it, and the dossier's 06_督查 holds the finding with its rectification course, its
photos and the unit's report part. Ledger, tracking and inspection on real servers, one broker."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from docx import Document

from duban.inspection.v1 import inspection_pb2
from duban.tracking.v1 import tracking_pb2, tracking_pb2_grpc
from libs.common import photo_samples
from libs.common.actor import Actor
from libs.common.broker import Broker
from libs.common.errors import PermissionDenied
from libs.common.testing import running_service
from services.inspection import material
from services.inspection.tests.conftest import FGJ, INSPECTOR, LEADER_LI, OFFICE, Trio, running_trio
from services.tracking.bootstrap import bootstrap as tracking_bootstrap
from services.tracking.config import Settings as TrackingSettings


@pytest.fixture(scope="module")
def four(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Trio, tracking_pb2_grpc.TrackingServiceStub]]:
    base = tmp_path_factory.mktemp("dossier")
    with ExitStack() as stack:
        trio = stack.enter_context(running_trio(broker, base))
        ledger_addr = trio.app.settings.reconcile.source_addrs["ledger"]
        assert trio.app.server is not None
        tracking = stack.enter_context(running_service(
            tracking_bootstrap, TrackingSettings.from_env, broker.bootstrap, f"sqlite:///{base}/t.db", trio.clock,
            {"DUBAN_SWEEP_INTERVAL_SECONDS": "0", "DUBAN_STORAGE_DIR": str(base / "tracking-files"),
             "DUBAN_LEDGER_ADDR": ledger_addr,
             "DUBAN_INSPECTION_ADDR": f"127.0.0.1:{trio.app.server.port}"}))
        yield trio, tracking.stub()


def _assignment(tracking: tracking_pb2_grpc.TrackingServiceStub, item_id: str) -> tracking_pb2.Assignment:
    Trio.wait(lambda: _exists(tracking, item_id))
    return tracking.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item_id), timeout=10).assignment


def _exists(tracking: tracking_pb2_grpc.TrackingServiceStub, item_id: str) -> bool:
    import grpc

    try:
        tracking.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item_id), timeout=5)
        return True
    except grpc.RpcError:
        return False


def _file(tracking: tracking_pb2_grpc.TrackingServiceStub, item_id: str, kind: str) -> bytes:
    return b"".join(c.data for c in tracking.GetDocument(tracking_pb2.GetDocumentRequest(
        item_id=item_id, kind=kind), timeout=30))


def test_the_dossier_holds_the_inspection_and_the_completion_report_names_its_report(
        four: tuple[Trio, tracking_pb2_grpc.TrackingServiceStub]) -> None:
    trio, tracking = four
    item = trio.register()
    _assignment(tracking, item.id)
    plan = trio.approved_plan([item.id], units=("fgj",))
    finding = trio.inspection.RecordFinding(inspection_pb2.RecordFindingRequest(
        plan_id=plan.id, unit_id="fgj", item_id=item.id, text="项目推进台账缺少11月记录", category="ledger_missing",
        severity="general", actor=INSPECTOR,
        photos=[inspection_pb2.Photo(filename="现场.jpg", data=photo_samples.jpeg(640, 480))]), timeout=20).finding
    trio.inspection.OrderRectification(inspection_pb2.OrderRectificationRequest(
        finding_id=finding.id, mode="on_spot", on_spot=inspection_pb2.Evidence(text="当场补录11月记录"),
        actor=INSPECTOR), timeout=10)
    report = trio.inspection.DraftReport(inspection_pb2.DraftReportRequest(plan_id=plan.id, actor=OFFICE),
                                         timeout=30).report
    issued = trio.inspection.IssueReport(inspection_pb2.IssueReportRequest(report_id=report.id, actor=OFFICE),
                                         timeout=60).report

    tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(item_id=item.id, contact_name="王芳", actor=OFFICE), timeout=10)
    tracking.FileReply(tracking_pb2.FileReplyRequest(item_id=item.id, result="已完成", actor=FGJ), timeout=10)
    tracking.FillCompletionReport(tracking_pb2.FillCompletionReportRequest(
        item_id=item.id, report_kind="special", confirm_unsigned=True, actor=OFFICE), timeout=30)
    signed = tracking.SignCompletionReport(tracking_pb2.SignCompletionReportRequest(
        item_id=item.id, approve=True, opinion="同意销号", actor=LEADER_LI), timeout=60).assignment
    assert signed.status == "archived"

    completion = "\n".join(p.text for p in Document(io.BytesIO(_file(tracking, item.id, "completion_report"))).paragraphs)
    assert f"并形成专项督查报告（{issued.report_no}《{issued.title}》）" in completion
    with zipfile.ZipFile(io.BytesIO(_file(tracking, item.id, "dossier"))) as archive:
        names = archive.namelist()
        found = [n for n in names if n.startswith("06_督查/问题01_")]
        assert found, names
        text = archive.read(found[0]).decode()
        assert "项目推进台账缺少11月记录" in text and "当场补录11月记录" in text and "台账缺失" in text
        assert any(n.startswith("06_督查/照片/问题01_01_现场") and n.endswith(".jpg") for n in names)
        part = [n for n in names if n.startswith("06_督查/督查报告/") and n.endswith("区发展和改革局反馈意见.docx")]
        assert part and issued.report_no in part[0]
        assert "06_督查" in archive.read("manifest.json").decode()


def test_item_material_is_for_services_only(four: tuple[Trio, tracking_pb2_grpc.TrackingServiceStub]) -> None:
    trio, _ = four
    with pytest.raises(PermissionDenied):
        list(material.item_material(trio.app.core, "any", Actor.from_proto(OFFICE)))
    with pytest.raises(PermissionDenied):
        material.item_reports(trio.app.core, "any", Actor.from_proto(OFFICE))


def test_an_order_past_its_day_turns_the_items_light_red_in_tracking_until_the_re_inspection_passes(
        four: tuple[Trio, tracking_pb2_grpc.TrackingServiceStub]) -> None:
    """The real publisher and the real reader: inspection's raisers through the broker into tracking."""
    import datetime as dt

    from libs.common.clock import OFFICE_TZ

    trio, tracking = four
    item = trio.register(category="complex")
    _assignment(tracking, item.id)
    plan = trio.approved_plan([item.id], units=("fgj",))
    finding = trio.inspection.RecordFinding(inspection_pb2.RecordFindingRequest(
        plan_id=plan.id, unit_id="fgj", item_id=item.id, text="整改台账未建立", category="ledger_missing",
        severity="general", actor=INSPECTOR), timeout=20).finding
    ordered = trio.inspection.OrderRectification(inspection_pb2.OrderRectificationRequest(
        finding_id=finding.id, mode="ordered", working_days=1, requirement="建立整改台账", actor=INSPECTOR),
        timeout=10).finding
    due = dt.date.fromisoformat(ordered.rectification.rounds[0].due_date)
    before = trio.clock.now()
    try:
        trio.clock.set(dt.datetime.combine(due + dt.timedelta(days=1), dt.time(9), OFFICE_TZ))
        Trio.wait(lambda: _assignment(tracking, item.id).light == "red")
        assert "有1项整改逾期未完成" in _assignment(tracking, item.id).light_reason
        trio.inspection.ReportRectification(inspection_pb2.ReportRectificationRequest(
            finding_id=finding.id, report=inspection_pb2.Evidence(text="已建立"), actor=FGJ), timeout=10)
        Trio.wait(lambda: _assignment(tracking, item.id).light != "red")  # reported: it waits for the inspectors
    finally:
        trio.clock.set(before)
