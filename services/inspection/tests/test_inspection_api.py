"""InspectionService against a real server and database, with the ledger beside it and the session broker:
a plan from draft to approval, visits, findings with photos (stripped, deduplicated by the device's key),
escalation to leaders, the rectification course with a failed 回头看 and an overdue sweep, and who sees what.
"""

from __future__ import annotations

import datetime as dt
import io

import grpc
import pytest
from PIL import Image
from sqlalchemy import update

from duban.common.v1 import common_pb2, todo_pb2
from duban.inspection.v1 import events_pb2, inspection_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common import photo_samples, topics
from libs.common.clock import OFFICE_TZ
from libs.common.grpc_errors import from_rpc_error
from libs.common.idempotency import APPLIED, idempotency_keys
from libs.common.testing import EventReader, code_of
from services.inspection.tests.conftest import (
    FGJ,
    HEAD,
    INSPECTOR,
    JYJ,
    LEADER_LI,
    LEADER_ZHAO,
    OFFICE,
    OUTSIDER,
    Trio,
)

# The sample photo's camera position (Xining): what must not survive in the stored copy.
GPS = (36.6171, 101.7782)


def _finding(trio: Trio, plan: inspection_pb2.Plan, item_id: str = "", unit_id: str = "fgj", key: str = "",
             severity: str = "general", photos: int = 1, text: str = "台账记录与实际进度不符",
             idempotency_key: str = "") -> inspection_pb2.FindingResponse:
    request = inspection_pb2.RecordFindingRequest(
        plan_id=plan.id, unit_id=unit_id, item_id=item_id, text=text, category="falsification", severity=severity,
        place="三楼档案室", position=inspection_pb2.GeoPosition(latitude=36.62, longitude=101.78, accuracy_m=12),
        photos=[inspection_pb2.Photo(filename=f"IMG_{n}.jpg", data=photo_samples.jpeg(800, 600, gps=GPS))
                for n in range(photos)],
        client_key=key, actor=INSPECTOR)
    request.device_time.FromDatetime(trio.clock.now())
    metadata = (("idempotency-key", idempotency_key),) if idempotency_key else None
    return trio.inspection.RecordFinding(request, timeout=20, metadata=metadata)


def _download(trio: Trio, kind: str, photo_id: str, actor: common_pb2.Actor) -> bytes:
    chunks = trio.inspection.GetDocument(inspection_pb2.GetDocumentRequest(kind=kind, id=photo_id, actor=actor),
                                         timeout=10)
    return b"".join(c.data for c in chunks)


def test_a_plan_is_drafted_approved_with_a_number_and_changed_only_with_a_reason(trio: Trio) -> None:
    item = trio.register()
    draft = inspection_pb2.PlanDraft(title="", kind="special")
    with pytest.raises(grpc.RpcError) as refused:
        trio.inspection.CreatePlan(inspection_pb2.CreatePlanRequest(draft=draft, actor=OFFICE), timeout=10)
    error = from_rpc_error(refused.value)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and error is not None
    assert error.field_errors == {"title": "请填写督查方案名称"}
    reader = EventReader(trio.app.settings.kafka_bootstrap, topics.INSPECTION_EVENTS)
    plan = trio.approved_plan([item.id])
    assert plan.status == "approved" and plan.plan_no.startswith("督查方案〔2026〕")
    assert [m.person.name for m in plan.members] == ["马骏", "钱多"]
    assert plan.members[1].seconded_from_unit_name == "区财政局"
    assert [s.unit_name for s in plan.stops] == ["区发展和改革局", "区教育局"]
    assert plan.items[0].item_no == item.item_no and plan.items[0].responsible_leader.name == "李明"
    # Only the office head approves; the office drafts.
    other = trio.inspection.CreatePlan(inspection_pb2.CreatePlanRequest(draft=inspection_pb2.PlanDraft(
        title="另一方案", kind="comprehensive"), actor=OFFICE), timeout=10).plan
    assert code_of(lambda: trio.inspection.ApprovePlan(inspection_pb2.ApprovePlanRequest(
        plan_id=other.id, actor=OFFICE), timeout=10)) == grpc.StatusCode.PERMISSION_DENIED
    # An approved plan changes only with a reason, and the change is recorded.
    changed = inspection_pb2.PlanDraft(title=plan.title, kind=plan.kind, starts_on=plan.starts_on,
                                       ends_on="2026-12-15", item_ids=[item.id],
                                       stops=[inspection_pb2.PlanStop(unit_id="fgj")], leader_id="sv-ma",
                                       members=plan.members[1:])
    assert code_of(lambda: trio.inspection.UpdatePlan(inspection_pb2.UpdatePlanRequest(
        plan_id=plan.id, draft=changed, actor=OFFICE), timeout=10)) == grpc.StatusCode.INVALID_ARGUMENT
    updated = trio.inspection.UpdatePlan(inspection_pb2.UpdatePlanRequest(
        plan_id=plan.id, draft=changed, reason="区教育局另行安排督查", actor=OFFICE), timeout=10).plan
    assert updated.changes[-1].reason == "区教育局另行安排督查"
    assert "删除督查单位：区教育局" in updated.changes[-1].summary and "结束日期" in updated.changes[-1].summary
    assert updated.changes[-1].by.name == "王芳"
    # Members confirm their training; someone not on the team cannot.
    confirmed = trio.inspection.ConfirmTraining(inspection_pb2.PlanActRequest(plan_id=plan.id, actor=INSPECTOR),
                                                timeout=10).plan
    assert confirmed.members[0].HasField("training_confirmed_at")
    assert not confirmed.members[1].HasField("training_confirmed_at")
    events = reader.poll_until(lambda es: any(e.type == "plan.approved" and e.subject == plan.id for e in es))
    approved = next(e for e in events if e.type == "plan.approved" and e.subject == plan.id)
    assert approved.decode(events_pb2.PlanApproved()).item_ids == [item.id]
    reader.close()


def test_a_finding_whose_answer_was_lost_in_a_crash_is_answered_again_on_retry(trio: Trio) -> None:
    """The tablet sends an idempotency key and its client_key. If the service dies after committing the
    finding but before keeping its answer, the key is left 'applied' with no response; the retry (after
    the lease) gets the finding, not 'in flight' forever, and nothing is recorded twice."""
    plan = trio.approved_plan([])
    first = _finding(trio, plan, key="tablet-9-0001", idempotency_key="sync-9-0001")
    t = idempotency_keys.c
    with trio.app.uow.engine.begin() as conn:  # what the crash leaves: applied with the effect, no answer
        lost = conn.execute(update(idempotency_keys).where(t.key == "sync-9-0001").values(
            state=APPLIED, response=None, lease_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
        assert lost.rowcount == 1
    again = _finding(trio, plan, key="tablet-9-0001", idempotency_key="sync-9-0001")
    assert again.duplicate and again.finding.id == first.finding.id
    listed = trio.inspection.ListFindings(inspection_pb2.ListFindingsRequest(plan_id=plan.id, actor=OFFICE), timeout=10)
    assert listed.total_size == 1
    replay = _finding(trio, plan, key="tablet-9-0001", idempotency_key="sync-9-0001")
    assert replay.finding.id == first.finding.id


def test_a_finding_keeps_its_photos_without_their_exif_position_and_a_retry_records_it_once(trio: Trio) -> None:
    item = trio.register()
    plan = trio.approved_plan([item.id])
    first = _finding(trio, plan, item.id, key="tablet-1-0001", photos=2)
    again = _finding(trio, plan, item.id, key="tablet-1-0001", photos=2)
    assert not first.duplicate and again.duplicate and again.finding.id == first.finding.id
    finding = first.finding
    assert finding.item_no == item.item_no and finding.unit_name == "区发展和改革局"
    assert finding.position.datum == "WGS-84" and abs(finding.position.latitude - 36.62) < 1e-9
    assert len(finding.photos) == 2 and finding.photos[0].exif_position.latitude == pytest.approx(GPS[0], abs=1e-4)
    stored = _download(trio, "photo", finding.photos[0].id, INSPECTOR)
    image = Image.open(io.BytesIO(stored))
    assert image.size == (800, 600)
    assert not image.getexif().get_ifd(0x8825), "the stored copy carries no GPS"
    thumb = Image.open(io.BytesIO(_download(trio, "thumbnail", finding.photos[0].id, INSPECTOR)))
    assert max(thumb.size) <= 320
    # Another body under the same key is refused, not answered with the first.
    assert code_of(lambda: _finding(trio, plan, item.id, key="tablet-1-0001", text="另一个问题")) == \
        grpc.StatusCode.INVALID_ARGUMENT
    listed = trio.inspection.ListFindings(inspection_pb2.ListFindingsRequest(plan_id=plan.id, actor=OFFICE),
                                          timeout=10)
    assert listed.total_size == 1
    # Someone not on the team records nothing.
    request = inspection_pb2.RecordFindingRequest(plan_id=plan.id, unit_id="fgj", text="x", category="other",
                                                  severity="general", actor=OUTSIDER)
    assert code_of(lambda: trio.inspection.RecordFinding(request, timeout=10)) == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("data, words", [
    (b"MZ\x90\x00" + b"\x00" * 2000, "格式"),  # a renamed executable
    (b"", "照片"),
])
def test_a_bad_photo_refuses_the_finding_and_stores_nothing(trio: Trio, data: bytes, words: str) -> None:
    plan = trio.approved_plan([])
    request = inspection_pb2.RecordFindingRequest(
        plan_id=plan.id, unit_id="fgj", text="问题", category="other", severity="general", actor=INSPECTOR,
        photos=[inspection_pb2.Photo(filename="evil.jpg", data=data)])
    with pytest.raises(grpc.RpcError) as refused:
        trio.inspection.RecordFinding(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert trio.inspection.ListFindings(inspection_pb2.ListFindingsRequest(plan_id=plan.id, actor=OFFICE),
                                        timeout=10).total_size == 0


def test_a_major_finding_reaches_the_items_leader_and_the_office_head_until_each_has_read_it(trio: Trio) -> None:
    item = trio.register(responsible_leader_id="ld-zhao")
    plan = trio.approved_plan([item.id])
    reader = EventReader(trio.app.settings.kafka_bootstrap, topics.INSPECTION_EVENTS)
    finding = _finding(trio, plan, item.id, severity="major", text="项目资金被挪用").finding
    assert finding.escalation_id
    escalations = trio.inspection.ListEscalations(inspection_pb2.ListEscalationsRequest(
        open_only=True, actor=LEADER_ZHAO), timeout=10).escalations
    mine = next(e for e in escalations if e.id == finding.escalation_id)
    assert [(r.person.name, r.why) for r in mine.recipients] == [("赵强", "responsible_leader"), ("张主任", "office_head")]
    todo = trio.inspection.ListTodo(todo_pb2.ListTodoRequest(leader_id="ld-zhao"), timeout=10)
    assert any(e.kind == "escalation_to_read" and e.ref_id == mine.id for e in todo.entries)
    # 李明 is not addressed: he neither sees nor acknowledges it.
    assert all(e.id != mine.id for e in trio.inspection.ListEscalations(
        inspection_pb2.ListEscalationsRequest(actor=LEADER_LI), timeout=10).escalations)
    assert code_of(lambda: trio.inspection.AcknowledgeEscalation(inspection_pb2.AcknowledgeEscalationRequest(
        escalation_id=mine.id, actor=LEADER_LI), timeout=10)) == grpc.StatusCode.PERMISSION_DENIED
    read = trio.inspection.AcknowledgeEscalation(inspection_pb2.AcknowledgeEscalationRequest(
        escalation_id=mine.id, actor=LEADER_ZHAO), timeout=10).escalation
    assert read.recipients[0].HasField("acknowledged_at") and not read.acknowledged  # the head has not read it yet
    trio.inspection.AcknowledgeEscalation(inspection_pb2.AcknowledgeEscalationRequest(
        escalation_id=mine.id, actor=HEAD), timeout=10)
    events = reader.poll_until(lambda es: sum(1 for e in es if e.type == "escalation.acknowledged"
                                              and mine.id in e.data.decode()) >= 2)
    raised = [e for e in events if e.type == "escalation.raised" and mine.id in e.data.decode()]
    assert len(raised) == 1
    body = raised[0].decode(events_pb2.EscalationChanged())
    assert body.link == f"/inspection/escalations/{mine.id}" and "区发展和改革局" in body.title
    reader.close()


def _due(trio: Trio, finding_id: str) -> str:
    return trio.inspection.GetFinding(inspection_pb2.GetFindingRequest(finding_id=finding_id, actor=OFFICE),
                                      timeout=10).finding.rectification.rounds[-1].due_date


def test_rectification_is_rectified_only_by_a_passed_re_inspection_and_a_failure_counts(trio: Trio) -> None:
    item = trio.register()
    plan = trio.approved_plan([item.id])
    reader = EventReader(trio.app.settings.kafka_bootstrap, topics.INSPECTION_EVENTS)
    finding = _finding(trio, plan, item.id).finding
    ordered = trio.inspection.OrderRectification(inspection_pb2.OrderRectificationRequest(
        finding_id=finding.id, mode="ordered", working_days=3, requirement="补齐台账", actor=INSPECTOR),
        timeout=10).finding
    # 2026-11-26 (Thursday) + 3 working days = Tuesday 2026-12-01.
    assert ordered.rectification.status == "ordered" and ordered.rectification.rounds[0].due_date == "2026-12-01"
    todo = trio.inspection.ListTodo(todo_pb2.ListTodoRequest(unit_ids=["fgj"]), timeout=10).entries
    assert any(e.kind == "rectification_due" and e.ref_id == finding.id for e in todo)
    # Another unit cannot report for it; the unit can.
    evidence = inspection_pb2.Evidence(text="台账已补齐", photos=[inspection_pb2.Photo(
        filename="fix.jpg", data=photo_samples.jpeg(640, 480))])
    assert code_of(lambda: trio.inspection.ReportRectification(inspection_pb2.ReportRectificationRequest(
        finding_id=finding.id, report=evidence, actor=JYJ), timeout=10)) == grpc.StatusCode.PERMISSION_DENIED
    reported = trio.inspection.ReportRectification(inspection_pb2.ReportRectificationRequest(
        finding_id=finding.id, report=evidence, actor=FGJ), timeout=10).finding
    assert reported.rectification.status == "reported"  # reported fixed is not verified fixed
    failed = trio.inspection.VerifyRectification(inspection_pb2.VerifyRectificationRequest(
        finding_id=finding.id, passed=False, verification=inspection_pb2.Evidence(text="仍缺10月台账"),
        working_days=2, actor=INSPECTOR), timeout=10).finding
    assert failed.rectification.status == "ordered" and failed.rectification.relapses == 1
    assert [r.verdict for r in failed.rectification.rounds] == ["failed", ""]
    trio.inspection.ReportRectification(inspection_pb2.ReportRectificationRequest(
        finding_id=finding.id, report=inspection_pb2.Evidence(text="10月台账已补"), actor=FGJ), timeout=10)
    passed = trio.inspection.VerifyRectification(inspection_pb2.VerifyRectificationRequest(
        finding_id=finding.id, passed=True, verification=inspection_pb2.Evidence(text="已核实"), actor=INSPECTOR),
        timeout=10).finding
    assert passed.rectification.status == "rectified" and passed.rectification.relapses == 1
    events = reader.poll_until(lambda es: sum(1 for e in es if e.type == "item.raisers_changed"
                                              and e.subject == item.id) >= 5)
    mine = [e for e in events if e.type.startswith("rectification.") and finding.id in e.data.decode()]
    assert [e.type for e in mine] == ["rectification.ordered", "rectification.reported", "rectification.verified",
                                      "rectification.reported", "rectification.verified"]
    raisers = [e.decode(common_pb2.LightRaisersChanged()) for e in events
               if e.type == "item.raisers_changed" and e.subject == item.id]
    assert [len(r.open) for r in raisers] == [1, 0, 1, 0, 0]  # awaiting the unit: ordered, reissued
    assert raisers[0].source == "inspection.rectification" and raisers[0].open[0].due_on == "2026-12-01"
    reader.close()


def test_an_order_past_its_day_is_announced_overdue_once_by_the_sweep(trio: Trio) -> None:
    item = trio.register()
    plan = trio.approved_plan([item.id])
    finding = _finding(trio, plan, item.id).finding
    trio.inspection.OrderRectification(inspection_pb2.OrderRectificationRequest(
        finding_id=finding.id, mode="ordered", working_days=1, requirement="立即整改", actor=INSPECTOR), timeout=10)
    due = dt.date.fromisoformat(_due(trio, finding.id))
    reader = EventReader(trio.app.settings.kafka_bootstrap, topics.INSPECTION_EVENTS)
    before = trio.clock.now()
    try:
        trio.clock.set(dt.datetime.combine(due + dt.timedelta(days=1), dt.time(9), OFFICE_TZ))
        sweep = inspection_pb2.RunSweepsRequest()
        assert trio.inspection.RunSweeps(sweep, timeout=30).overdue >= 1
        assert trio.inspection.RunSweeps(sweep, timeout=30).overdue == 0  # once
        late = trio.inspection.GetFinding(inspection_pb2.GetFindingRequest(finding_id=finding.id, actor=FGJ),
                                          timeout=10).finding
        assert late.rectification.status == "overdue" and late.rectification.rounds[0].overdue
        todo = trio.inspection.ListTodo(todo_pb2.ListTodoRequest(unit_ids=["fgj"]), timeout=10).entries
        assert any(e.kind == "rectification_due" and e.ref_id == finding.id and e.late for e in todo)
        events = reader.poll_until(lambda es: any(e.type == "rectification.overdue" and finding.id in e.data.decode()
                                                  for e in es))
        assert sum(1 for e in events if e.type == "rectification.overdue" and finding.id in e.data.decode()) == 1
    finally:
        trio.clock.set(before)
        reader.close()


def test_units_see_their_own_findings_leaders_those_of_their_items_inspectors_their_plans(trio: Trio) -> None:
    item = trio.register(responsible_leader_id="ld-li", co_units=[ledger_pb2.CoUnit(unit_id="jyj", duty="配合")])
    plan = trio.approved_plan([item.id])
    at_fgj = _finding(trio, plan, item.id, unit_id="fgj").finding
    at_jyj = _finding(trio, plan, "", unit_id="jyj").finding

    def ids(actor: common_pb2.Actor) -> set[str]:
        return {f.id for f in trio.inspection.ListFindings(inspection_pb2.ListFindingsRequest(
            plan_id=plan.id, actor=actor), timeout=10).findings}

    assert ids(OFFICE) == {at_fgj.id, at_jyj.id} == ids(INSPECTOR)
    assert ids(FGJ) == {at_fgj.id} and ids(JYJ) == {at_jyj.id}
    assert ids(LEADER_LI) == {at_fgj.id} and ids(LEADER_ZHAO) == set()
    assert code_of(lambda: trio.inspection.GetFinding(inspection_pb2.GetFindingRequest(
        finding_id=at_fgj.id, actor=JYJ), timeout=10)) == grpc.StatusCode.NOT_FOUND
    assert code_of(lambda: _download(trio, "photo", at_fgj.photos[0].id, JYJ)) == grpc.StatusCode.NOT_FOUND
    assert code_of(lambda: trio.inspection.GetPlan(inspection_pb2.GetPlanRequest(
        plan_id=plan.id, actor=FGJ), timeout=10)) == grpc.StatusCode.NOT_FOUND
    assert list(trio.inspection.ListPlans(inspection_pb2.ListPlansRequest(actor=OUTSIDER), timeout=10).plans) == []
    assert ids(OUTSIDER) == set()


def test_the_office_registers_a_finding_as_a_ledger_item_once(trio: Trio) -> None:
    plan = trio.approved_plan([])
    finding = _finding(trio, plan, "", unit_id="jyj", text="校舍维修资金未按期拨付").finding
    ask = inspection_pb2.RegisterFindingAsItemRequest(finding_id=finding.id, responsible_leader_id="ld-li",
                                                      actor=OFFICE)
    made = trio.inspection.RegisterFindingAsItem(ask, timeout=20).finding
    assert made.registered_item_no
    again = trio.inspection.RegisterFindingAsItem(ask, timeout=20).finding
    assert again.registered_item_id == made.registered_item_id
    item = trio.ledger.GetItem(ledger_pb2.GetItemRequest(id=made.registered_item_id), timeout=10).item
    assert item.source == "bulletin_rectification" and item.units[0].unit_id == "jyj"
    assert item.origin_finding_id == finding.id  # linked both ways
    assert plan.plan_no in item.remarks and "校舍维修资金" in item.content
    assert code_of(lambda: trio.inspection.RegisterFindingAsItem(inspection_pb2.RegisterFindingAsItemRequest(
        finding_id=finding.id, responsible_leader_id="ld-li", actor=INSPECTOR), timeout=10)) == \
        grpc.StatusCode.PERMISSION_DENIED


def test_a_tablets_retried_visit_and_re_inspection_are_recorded_once_under_their_device_keys(trio: Trio) -> None:
    item = trio.register()
    plan = trio.approved_plan([item.id])

    def visit(key: str, summary: str = "台账基本齐全") -> inspection_pb2.VisitResponse:
        request = inspection_pb2.RecordVisitRequest(
            plan_id=plan.id, unit_id="fgj", ledger_kept=True, ledger_current=True, summary=summary, client_key=key,
            checks=[inspection_pb2.ItemCheck(item_id=item.id, process="verified", result="verified")], actor=INSPECTOR)
        request.visited_at.FromDatetime(trio.clock.now() - dt.timedelta(hours=3))  # captured offline, hours ago
        return trio.inspection.RecordVisit(request, timeout=10)

    first, again = visit("tablet-v-1"), visit("tablet-v-1")
    assert not first.duplicate and again.duplicate and again.visit.id == first.visit.id
    assert code_of(lambda: visit("tablet-v-1", "另一份小结")) == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: visit("k" * 101)) == grpc.StatusCode.INVALID_ARGUMENT
    seen = trio.inspection.GetPlan(inspection_pb2.GetPlanRequest(plan_id=plan.id, actor=OFFICE), timeout=10).plan
    assert [v.id for v in seen.visits] == [first.visit.id]
    assert first.visit.visited_at.ToDatetime(dt.UTC) == trio.clock.now() - dt.timedelta(hours=3)

    finding = _finding(trio, plan, item.id).finding
    trio.inspection.OrderRectification(inspection_pb2.OrderRectificationRequest(
        finding_id=finding.id, mode="ordered", working_days=3, requirement="补齐台账", actor=INSPECTOR), timeout=10)
    trio.inspection.ReportRectification(inspection_pb2.ReportRectificationRequest(
        finding_id=finding.id, report=inspection_pb2.Evidence(text="台账已补齐"), actor=FGJ), timeout=10)

    def verify(key: str, text: str = "现场核实，已整改到位") -> inspection_pb2.FindingResponse:
        return trio.inspection.VerifyRectification(inspection_pb2.VerifyRectificationRequest(
            finding_id=finding.id, passed=True, client_key=key, actor=INSPECTOR,
            verification=inspection_pb2.Evidence(text=text, photos=[inspection_pb2.Photo(
                filename="check.jpg", data=photo_samples.jpeg(640, 480))])), timeout=20)

    verified, retried = verify("tablet-r-1"), verify("tablet-r-1")
    assert not verified.duplicate and retried.duplicate
    assert retried.finding.rectification.status == "rectified" and len(retried.finding.rectification.rounds) == 1
    assert len(retried.finding.rectification.rounds[0].verification.photos) == 1, "one photo, not two"
    assert code_of(lambda: verify("tablet-r-1", "另一次回头看")) == grpc.StatusCode.INVALID_ARGUMENT
    # Another key is a second 回头看: there is nothing left to re-inspect, and the tablet is told so.
    assert code_of(lambda: verify("tablet-r-2")) == grpc.StatusCode.FAILED_PRECONDITION
