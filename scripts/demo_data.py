"""Demo data for the embedded stack: units (some with their heads), people (some with contacts), accounts for
every role, a few items, their tracking (an office urge among it: 陈静's 消息), an inspection
(scripts/demo_inspection.py: its major problem and overdue rectification remind 李明, 张建华 and 区教育局),
bulletins (scripts/demo_notification.py) and two items closed, one in time and one late, that evaluation
scores beside the rest (scripts/demo_evaluation.py).

Idempotent: running it again adds nothing that is already there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager

import grpc
from sqlalchemy import select
from sqlalchemy.orm import Session

from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from libs.common import call_auth
from libs.common.calendar import load_calendar
from libs.common.clock import SystemClock
from libs.common.db import make_engine
from services.gateway import accounts
from services.gateway.orm import User

DEMO_PASSWORD = "duban2026"
UNITS = [
    ("dcs", "区委区政府督查室", "office"), ("fgj", "区发展和改革局", "department"), ("jyj", "区教育局", "department"),
    ("zjj", "区住房和城乡建设局", "department"), ("wjj", "区卫生健康局", "department"),
    ("czj", "区财政局", "department"), ("shz", "三合镇", "township"),
]
PEOPLE = [
    ("ld-li", "李明", "dcs", "leader", "副区长"), ("ld-zhao", "赵强", "dcs", "leader", "区长"),
    ("ld-sun", "孙丽", "dcs", "leader", "副区长"), ("sv-zhang", "张建华", "dcs", "supervisor", "督查室主任"),
    ("sv-wang", "王芳", "dcs", "supervisor", "督查专员"), ("sv-ma", "马骏", "dcs", "supervisor", ""),
    ("st-chen", "陈静", "fgj", "staff", "科长"), ("st-qian", "钱海燕", "czj", "staff", "科长"),
    ("st-liu1", "刘洋", "fgj", "staff", ""), ("st-liu2", "刘洋", "jyj", "staff", "副局长"),
    ("st-zhou", "周涛", "zjj", "staff", ""), ("st-wu", "吴敏", "wjj", "staff", ""), ("st-he", "何平", "shz", "staff", "镇长"),
]
# How reminders reach them (mobile, email); every other contact is left empty
CONTACTS = {"st-chen": ("13909720001", "chenjing@fgj.pingan.gov.cn"), "st-liu2": ("13909720002", "liuyang@jyj.pingan.gov.cn"),
            "ld-li": ("13909720003", ""), "sv-zhang": ("13909720004", "")}
HEADS = {"jyj": "st-liu2", "shz": "st-he"}  # 单位负责人 (their unit's reminders reach them too)
USERS = [  # username, name, role, unit, person
    ("office", "王芳", "office", "dcs", "sv-wang"),
    ("zhuren", "张建华", "office_head", "dcs", "sv-zhang"),
    ("fgj", "陈静", "unit_staff", "fgj", "st-chen"),
    ("jyj", "刘洋", "unit_staff", "jyj", "st-liu2"),
    ("leader", "李明", "leader", "dcs", "ld-li"),
    ("inspector", "马骏", "inspector", "dcs", "sv-ma"),
    ("quzhang", "赵强", "principal_leader", "dcs", "ld-zhao"),
    ("kaohe", "考核办", "assessment", "", ""),
    ("admin", "系统管理员", "admin", "", ""),
]
ITEMS = [  # title, source, category, lead, co, leader, person, working days ago registered, key
    ("推进城区老旧小区改造项目前期工作", "leader_instruction", "complex", "zjj", ["fgj", "czj"], "ld-li", "st-zhou", 3, True),
    ("落实义务教育阶段学位保障方案", "district_meeting", "general", "jyj", [], "ld-sun", "st-liu2", 6, False),
    ("完成重大项目年度投资计划调度", "work_report", "complex", "fgj", ["czj"], "ld-zhao", "st-chen", 12, True),
    ("基层医疗机构设备配置情况核查", "leader_assignment", "general", "wjj", [], "ld-sun", "st-wu", 1, False),
    ("三合镇人居环境整治问题整改", "bulletin_rectification", "general", "shz", ["zjj"], "ld-li", "st-he", 9, False),
    ("贯彻落实优化营商环境部署", "central_decision", "complex", "fgj", ["jyj", "wjj"], "ld-zhao", "st-liu1", 0, False),
]
OFFICE = common_pb2.Actor(user_id="demo", name="演示数据", role="office", unit_id="dcs")


def load(ledger_addr: str, gateway_db_url: str, signer: call_auth.Signer, tracking_addr: str = "",
         inspection_addr: str = "",
         clock_controlled: Callable[[], AbstractContextManager[object]] | None = None,
         notification_addr: str = "", evaluation_addr: str = "") -> list[tuple[str, str, str]]:
    """Load everything through the services' APIs, signed by `signer` (the stack's operator: it names
    the office and unit staff who act, and acts as itself for the directory); returns the demo logins
    (username, role label, unit). The inspection's past is recorded with inspection's clock moved back:
    `clock_controlled()` makes that possible for its duration (None: the service has DUBAN_CLOCK_CONTROL)."""
    with call_auth.signed_channel(ledger_addr, signer, "ledger") as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        for uid, name, kind in UNITS:
            stub.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(id=uid, name=name, kind=kind, active=True)),
                            timeout=10)
        for pid, name, unit, role, title in PEOPLE:
            mobile, email = CONTACTS.get(pid, ("", ""))
            stub.UpsertPerson(ledger_pb2.UpsertPersonRequest(person=ledger_pb2.Person(
                id=pid, name=name, unit_id=unit, role=role, title=title, active=True, mobile=mobile, email=email)),
                timeout=10)
        for uid, name, kind in UNITS:  # heads once their people exist
            if uid in HEADS:
                stub.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(
                    id=uid, name=name, kind=kind, active=True, head_person_id=HEADS[uid])), timeout=10)
        existing = stub.ListItems(ledger_pb2.ListItemsRequest(include_total=True), timeout=10).total_size
        if not existing:
            calendar = load_calendar()
            today = SystemClock().today()
            for title, source, category, lead, co, leader, person, ago, key in ITEMS:
                registered = working_days_back(calendar, today, ago)
                stub.RegisterItem(ledger_pb2.RegisterItemRequest(
                    title=title, source=source, category=category, lead_unit_id=lead, key_tracking=key,
                    co_units=[ledger_pb2.CoUnit(unit_id=u, duty="配合") for u in co], responsible_leader_id=leader,
                    responsible_person_id=person, supervisor_id="sv-wang", registered_on=registered.isoformat(),
                    actor=OFFICE, request_id=f"demo-{title}"), timeout=10)
    if tracking_addr:
        _demo_tracking(ledger_addr, tracking_addr, signer)
    if inspection_addr:
        _demo_inspection(ledger_addr, inspection_addr, signer, clock_controlled)
    if notification_addr:
        from scripts import demo_notification

        demo_notification.load(notification_addr, signer, len(ITEMS))
    if evaluation_addr and tracking_addr:
        from scripts import demo_evaluation

        demo_evaluation.load(ledger_addr, tracking_addr, evaluation_addr, signer, load_calendar())
    engine = make_engine(gateway_db_url)
    with Session(engine) as session:
        for username, name, role, unit, person in USERS:
            if session.scalars(select(User).where(User.username == username)).first() is None:
                accounts.create_user(session, username, name, DEMO_PASSWORD, role, unit, person)
        session.commit()
    engine.dispose()
    from services.gateway.roles import ROLES

    return [(u, ROLES[r], unit) for u, _, r, unit, _ in USERS]


def working_days_back(calendar, today: dt.date, n: int) -> dt.date:
    """The working day `n` working days before `today` (a year without a table counts every day)."""
    day = today
    while n > 0:
        day -= dt.timedelta(days=1)
        if not calendar.has_year(day.year) or calendar.is_working_day(day):
            n -= 1
    return day


def _demo_tracking(ledger_addr: str, tracking_addr: str, signer: call_auth.Signer) -> None:
    """Notices out for most demo items, some signed for, a report filed: the desk shows every state."""
    import time

    from duban.tracking.v1 import tracking_pb2, tracking_pb2_grpc

    with (call_auth.signed_channel(ledger_addr, signer, "ledger") as lc,
          call_auth.signed_channel(tracking_addr, signer, "tracking") as tc):
        ledger = ledger_pb2_grpc.LedgerServiceStub(lc)
        tracking = tracking_pb2_grpc.TrackingServiceStub(tc)
        items = ledger.ListItems(ledger_pb2.ListItemsRequest(filter=ledger_pb2.ItemFilter(), page_size=50), timeout=10).items
        demo = [i for i in items if i.title in {t[0] for t in ITEMS}]
        deadline = time.monotonic() + 30
        for item in demo:
            while True:  # the assignment arrives through the broker
                try:
                    assignment = tracking.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item.id), timeout=5).assignment
                    break
                except grpc.RpcError as exc:
                    if exc.code() != grpc.StatusCode.NOT_FOUND or time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            if assignment.status != "awaiting_notice" or item.title == ITEMS[5][0]:
                continue  # already done on an earlier run; the newest item waits for its notice
            tracking.IssueNotice(tracking_pb2.IssueNoticeRequest(
                item_id=item.id, requirements=["每周五前报送进展情况", "如不能按期办结，须在完成时限前申请转期"],
                contact_name="王芳", contact_phone="0972-8612345", actor=OFFICE), timeout=10)
            lead = next(u for u in item.units if u.role == "lead")
            # The unit acts through the item's responsible person, so pages show who asked by name.
            person = item.responsible_person
            unit_actor = common_pb2.Actor(user_id="demo", name=person.name or "承办单位", role="unit_staff",
                                          unit_id=lead.unit_id, person_id=person.id)
            if item.title != ITEMS[3][0]:  # one unit has not signed yet: it shows on the desk
                tracking.Acknowledge(tracking_pb2.AcknowledgeRequest(item_id=item.id, actor=unit_actor), timeout=10)
            if item.title == ITEMS[2][0]:  # 陈静's 消息: the office chased her by phone
                tracking.UrgeUnit(tracking_pb2.UrgeUnitRequest(
                    item_id=item.id, unit_id=lead.unit_id, method="phone", text="请于本周五前报送年度投资计划调度进展",
                    actor=OFFICE), timeout=10)
            if item.title == ITEMS[0][0]:  # 李明's queue: an extension waiting for his signature
                tracking.RequestExtension(tracking_pb2.RequestExtensionRequest(
                    item_id=item.id, reason="项目需市级部门联合审查，审查意见预计下周反馈",
                    new_due_date=(dt.date.fromisoformat(item.due_date) + dt.timedelta(days=14)).isoformat(),
                    progress="前期方案已完成，已报市级部门审查", actor=unit_actor), timeout=10)


def _demo_inspection(ledger_addr: str, inspection_addr: str, signer: call_auth.Signer,
                     clock_controlled: Callable[[], AbstractContextManager[object]] | None) -> None:
    from scripts import demo_inspection

    with call_auth.signed_channel(ledger_addr, signer, "ledger") as channel:
        items = ledger_pb2_grpc.LedgerServiceStub(channel).ListItems(ledger_pb2.ListItemsRequest(page_size=50),
                                                                      timeout=10).items
    ids = {i.title: i.id for i in items if i.title in {t[0] for t in ITEMS}}
    demo_inspection.load(inspection_addr, signer, ids, load_calendar(), clock_controlled)
