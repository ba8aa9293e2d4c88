"""Demo data of the inspection service (督促检查), through its gRPC API like the rest of the demo: an
approved special inspection over three demo items, its team (马骏 leads, 钱海燕 seconded from 区财政局),
visits with ledger and item checks, and four findings with photos at four units, one for each state
someone has to act on:

- 区卫生健康局: its task ledger behind, fixed on the spot (立督立纠);
- 区发展和改革局: ordered with a deadline and reported by the unit, awaiting 回头看 (马骏's re-inspection);
- 区教育局: ordered and already overdue (the unit's to-do, late; the item's light);
- 区住房和城乡建设局: a major problem, escalated to the item's leader (李明) and the office head (张建华).

The inspection happened days ago: the loader moves the service's clock back while it records (ClockControl,
so the service needs DUBAN_CLOCK_CONTROL=true for the duration: `clock_controlled` provides that), then
to now and runs the overdue sweep. A second plan waits for the office head's approval. Loaded once: a
plan with the demo's title means it is there.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import grpc

from duban.common.v1 import common_pb2, common_pb2_grpc
from duban.inspection.v1 import inspection_pb2, inspection_pb2_grpc
from libs.common import call_auth, photo_samples
from libs.common.calendar import WorkCalendar
from libs.common.clock import OFFICE_TZ, SystemClock
from libs.common.grpc_errors import from_rpc_error
from scripts.demo_data import working_days_back

PLAN_TITLE = "重点项目推进和民生实事落实情况专项督查"
DRAFT_TITLE = "第四季度重点工作综合督查"
OFFICE = common_pb2.Actor(user_id="demo", name="王芳", role="office", unit_id="dcs", person_id="sv-wang")
HEAD = common_pb2.Actor(user_id="demo", name="张建华", role="office_head", unit_id="dcs", person_id="sv-zhang")
INSPECTOR = common_pb2.Actor(user_id="demo", name="马骏", role="inspector", unit_id="dcs", person_id="sv-ma")
FGJ = common_pb2.Actor(user_id="demo", name="陈静", role="unit_staff", unit_id="fgj", person_id="st-chen")
# Where the units sit in 平安区 (WGS-84): the device's position and the photos' EXIF.
PLACES = {"fgj": (36.5025, 102.1043), "jyj": (36.5008, 102.1102), "zjj": (36.4987, 102.1068),
          "wjj": (36.5041, 102.1125)}
# The demo's items it inspects (scripts/demo_data.py ITEMS, by title): (unit visited, item title or "").
ITEM_OF = {"zjj": "推进城区老旧小区改造项目前期工作", "jyj": "落实义务教育阶段学位保障方案",
           "fgj": "完成重大项目年度投资计划调度", "wjj": ""}


def _photos(unit: str, when: dt.datetime, count: int, seed: int) -> list[inspection_pb2.Photo]:
    """Generated phone photos (each seed another picture), with the unit's position and the time taken."""
    taken = when.astimezone(OFFICE_TZ).replace(tzinfo=None).isoformat(timespec="seconds")
    return [inspection_pb2.Photo(filename=f"IMG_{when.astimezone(OFFICE_TZ):%Y%m%d_%H%M}_{seed + n:02d}.jpg",
                                 data=photo_samples.jpeg(800, 600, gps=PLACES[unit], taken_at=taken, seed=seed + n))
            for n in range(count)]


class _Demo:
    """The calls of one inspection, each at the time the loader sets."""

    def __init__(self, channel: grpc.Channel, item_ids: dict[str, str]) -> None:
        self.stub = inspection_pb2_grpc.InspectionServiceStub(channel)
        self.clock = common_pb2_grpc.ClockControlStub(channel)
        self.item_ids = item_ids
        self.plan_id = ""

    def at(self, when: dt.datetime) -> dt.datetime:
        self.clock.SetTime(common_pb2.SetTimeRequest(now=when.isoformat()), timeout=10)
        return when

    def finding(self, unit: str, when: dt.datetime, visit_id: str, text: str, category: str, place: str,
                severity: str = "general", photos: int = 2) -> inspection_pb2.Finding:
        lat, lon = PLACES[unit]
        request = inspection_pb2.RecordFindingRequest(
            plan_id=self.plan_id, visit_id=visit_id, unit_id=unit, item_id=self.item_ids.get(ITEM_OF[unit], ""),
            text=text, category=category, severity=severity, place=place, client_key=f"demo-{unit}-1",
            position=inspection_pb2.GeoPosition(latitude=lat, longitude=lon, accuracy_m=8),
            photos=_photos(unit, when, photos, seed=10 * list(PLACES).index(unit)), actor=INSPECTOR)
        request.device_time.FromDatetime(when.astimezone(dt.UTC))
        return self.stub.RecordFinding(request, timeout=30).finding

    def visit(self, unit: str, when: dt.datetime, place: str, current: bool, process: str, result: str,
              note: str, summary: str) -> str:
        item = self.item_ids.get(ITEM_OF[unit], "")
        request = inspection_pb2.RecordVisitRequest(
            plan_id=self.plan_id, unit_id=unit, place=place, ledger_kept=True, ledger_current=current,
            ledger_note="" if current else "11月以来交办事项未登记办理进展", summary=summary, actor=INSPECTOR,
            checks=[inspection_pb2.ItemCheck(item_id=item, process=process, result=result, note=note)] if item else [])
        request.visited_at.FromDatetime(when.astimezone(dt.UTC))
        return self.stub.RecordVisit(request, timeout=10).visit.id


def _plan(stub: inspection_pb2_grpc.InspectionServiceStub, item_ids: dict[str, str], starts: dt.date,
          ends: dt.date) -> str:
    draft = inspection_pb2.PlanDraft(
        title=PLAN_TITLE, kind="special", starts_on=starts.isoformat(), ends_on=ends.isoformat(),
        item_ids=[item_ids[ITEM_OF[u]] for u in ("zjj", "jyj", "fgj")],
        stops=[inspection_pb2.PlanStop(unit_id=u, place=p) for u, p in (
            ("fgj", "区政务服务中心三楼"), ("jyj", "区教育局二楼会议室"), ("zjj", "城东老旧小区改造项目现场"),
            ("wjj", "区卫生健康局办公室"))],
        leader_id="sv-ma",
        members=[inspection_pb2.PlanMember(person=common_pb2.PersonSnapshot(id="st-qian"), seconded_from_unit_id="czj")],
        leads=[inspection_pb2.Lead(unit_id="zjj", text="群众反映城东片区改造项目迟迟未动工", source="12345热线")],
        training=["督查纪律和廉洁要求", "问题认定标准和取证要求", "督查终端拍照定位操作"],
        preparation="调阅三个事项的台账、交办通知和前期汇报，梳理问题线索")
    deadline = time.monotonic() + 30
    while True:  # inspection learns the items from the ledger's events: a plan naming one it lacks is refused
        try:
            plan = stub.CreatePlan(inspection_pb2.CreatePlanRequest(draft=draft, actor=OFFICE), timeout=10).plan
            break
        except grpc.RpcError as error:
            refusal = from_rpc_error(error)
            if refusal is None or "item_ids" not in refusal.field_errors or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    stub.ApprovePlan(inspection_pb2.ApprovePlanRequest(plan_id=plan.id, comment="同意，按方案实施", actor=HEAD),
                     timeout=10)
    stub.ConfirmTraining(inspection_pb2.PlanActRequest(plan_id=plan.id, actor=INSPECTOR), timeout=10)
    return plan.id


def load(inspection_addr: str, signer: call_auth.Signer, item_ids: dict[str, str], calendar: WorkCalendar,
         clock_controlled: Callable[[], AbstractContextManager[object]] | None = None) -> bool:
    """Load the inspection demo unless it is there; `item_ids` are the ledger's demo items by title.
    True if it was loaded now."""
    with call_auth.signed_channel(inspection_addr, signer, "inspection") as channel:
        stub = inspection_pb2_grpc.InspectionServiceStub(channel)
        plans = stub.ListPlans(inspection_pb2.ListPlansRequest(page_size=200, actor=OFFICE), timeout=10).plans
        if any(p.title == PLAN_TITLE for p in plans):
            return False
    today = SystemClock().today()
    later = calendar.add_working_days
    approved_on, visited_on, reported_on = (working_days_back(calendar, today, n) for n in (8, 6, 2))
    with clock_controlled() if clock_controlled else nullcontext(), \
            call_auth.signed_channel(inspection_addr, signer, "inspection") as channel:
        demo = _Demo(channel, item_ids)
        stub = demo.stub
        demo.at(dt.datetime.combine(approved_on, dt.time(10), OFFICE_TZ))
        demo.plan_id = _plan(stub, item_ids, visited_on, later(visited_on, 5))
        day = dt.datetime.combine(visited_on, dt.time(9, 30), OFFICE_TZ)

        # 区卫生健康局: the task ledger behind, made good while the team was there (立督立纠).
        visit = demo.visit("wjj", demo.at(day), "区卫生健康局办公室", False, "", "", "",
                           "单位督办事项台账未及时更新，现场督促补登")
        found = demo.finding("wjj", demo.at(day + dt.timedelta(minutes=20)), visit,
                             "督办事项台账未及时更新，11月交办的2件事项未登记办理进展", "ledger_missing", "办公室档案柜")
        stub.OrderRectification(inspection_pb2.OrderRectificationRequest(
            finding_id=found.id, mode="on_spot", actor=INSPECTOR, on_spot=inspection_pb2.Evidence(
                text="已当场补登台账，督查组现场核对无误", photos=_photos("wjj", day + dt.timedelta(minutes=40), 1, 90))),
            timeout=30)

        # 区发展和改革局: figures that do not match, ordered fixed in 10 working days, reported fixed.
        visit = demo.visit("fgj", demo.at(day + dt.timedelta(hours=1)), "区政务服务中心三楼", True, "verified",
                           "discrepancy", "台账记载的10月份投资完成额与项目单位报表不一致", "台账建立规范，个别数据未核实")
        found = demo.finding("fgj", demo.at(day + dt.timedelta(hours=1, minutes=25)), visit,
                             "重大项目年度投资计划调度台账10月份投资完成额与项目单位报表不一致，相差1260万元",
                             "perfunctory", "三楼投资科")
        stub.OrderRectification(inspection_pb2.OrderRectificationRequest(
            finding_id=found.id, mode="ordered", working_days=10, actor=INSPECTOR,
            requirement="逐项核对10月份各项目投资完成额，更正台账并附项目单位确认的报表"), timeout=30)
        reported = found.id

        # 区教育局: building not started as the plan says, 2 working days to explain - long past now.
        visit = demo.visit("jyj", demo.at(day + dt.timedelta(hours=2, minutes=30)), "区教育局二楼会议室", False,
                           "discrepancy", "verified", "汇报称新增学位建设项目已开工，现场未见施工", "事项推进迟缓")
        found = demo.finding("jyj", demo.at(day + dt.timedelta(hours=3)), visit,
                             "学位保障方案明确的城东片区新增学位建设项目未按计划开工，现场未见施工", "slow_progress",
                             "城东片区学校建设项目地块")
        stub.OrderRectification(inspection_pb2.OrderRectificationRequest(
            finding_id=found.id, mode="ordered", working_days=2, actor=INSPECTOR,
            requirement="书面说明未开工原因，报送调整后的开工计划和保障措施"), timeout=30)

        # 区住房和城乡建设局: a major problem, reported to the leaders at once (重大问题报告).
        afternoon = dt.datetime.combine(visited_on, dt.time(14, 30), OFFICE_TZ)
        visit = demo.visit("zjj", demo.at(afternoon), "城东老旧小区改造项目现场", True, "discrepancy", "discrepancy",
                           "台账记载已支付设计费，项目单位未收到", "发现重大问题，已报告")
        found = demo.finding("zjj", demo.at(afternoon + dt.timedelta(minutes=30)), visit,
                             "老旧小区改造项目前期经费中86万元被挪作他用，台账记载为已支付设计费", "falsification",
                             "项目指挥部", severity="major", photos=3)
        stub.OrderRectification(inspection_pb2.OrderRectificationRequest(
            finding_id=found.id, mode="ordered", working_days=15, actor=INSPECTOR,
            requirement="追回挪用资金，查明责任，报送整改报告"), timeout=30)

        # The unit's report, two working days ago: it waits for 马骏's re-inspection.
        demo.at(dt.datetime.combine(reported_on, dt.time(16), OFFICE_TZ))
        stub.ReportRectification(inspection_pb2.ReportRectificationRequest(
            finding_id=reported, actor=FGJ, report=inspection_pb2.Evidence(
                text="已逐项核对并更正台账，附项目单位盖章确认的10月份报表",
                photos=_photos("fgj", dt.datetime.combine(reported_on, dt.time(15), OFFICE_TZ), 1, 95))), timeout=30)
        # Today: a plan for the head to approve, and the sweep that finds 区教育局's order overdue.
        demo.at(SystemClock().now())
        stub.CreatePlan(inspection_pb2.CreatePlanRequest(actor=OFFICE, draft=inspection_pb2.PlanDraft(
            title=DRAFT_TITLE, kind="comprehensive", starts_on=later(today, 3).isoformat(),
            ends_on=later(today, 12).isoformat(), stops=[inspection_pb2.PlanStop(unit_id="shz", place="三合镇政府")],
            leader_id="sv-ma")), timeout=10)
        stub.RunSweeps(inspection_pb2.RunSweepsRequest(), timeout=30)
    return True
