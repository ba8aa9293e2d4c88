"""A ledger of N realistic items, bulk-loaded straight into the ledger's tables (fixture only).

Registering 100k items through gRPC would take minutes; the list and export benchmarks need the
data, not the registration path (which the registration benchmark measures). Rows are built with the
ledger's own ORM tables and calendar, so they look like registered items: numbers per year without
gaps, due dates 7/10 working days after registration on the official calendar, lead and co units
with name snapshots, people snapshots, and a realistic life cycle (old items mostly closed, some
still open and overdue, recent ones registered or assigned).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, Table, func, insert, select

from libs.common import migrations
from libs.common.calendar import load_calendar
from libs.common.clock import OFFICE_TZ
from services.ledger.bootstrap import MIGRATIONS
from services.ledger.orm import Item, ItemSequence, ItemUnit, Person, Unit

# The demo stack's units and people (scripts/demo_data.py) plus the rest of a district's departments
# and townships, so demo_data.load() can run on top of this fixture.
UNITS = [
    ("dcs", "区委区政府督查室", "office"),
    ("fgj", "区发展和改革局", "department"),
    ("jyj", "区教育局", "department"),
    ("zjj", "区住房和城乡建设局", "department"),
    ("wjj", "区卫生健康局", "department"),
    ("czj", "区财政局", "department"),
    ("shz", "三合镇", "township"),
    ("gaj", "区公安分局", "department"),
    ("mzj", "区民政局", "department"),
    ("rsj", "区人力资源和社会保障局", "department"),
    ("zrj", "区自然资源局", "department"),
    ("sthj", "区生态环境局", "department"),
    ("jtj", "区交通运输局", "department"),
    ("nyj", "区农业农村局", "department"),
    ("swj", "区商务局", "department"),
    ("wlj", "区文体旅游局", "department"),
    ("yjj", "区应急管理局", "department"),
    ("scj", "区市场监督管理局", "department"),
    ("paz", "平安镇", "township"),
    ("xxz", "小峡镇", "township"),
    ("gcx", "古城乡", "township"),
]
LEADERS = [
    ("ld-li", "李明", "副区长"),
    ("ld-zhao", "赵强", "区长"),
    ("ld-sun", "孙丽", "副区长"),
    ("ld-qian", "钱伟", "副区长"),
]
SUPERVISORS = [("sv-wang", "王芳", "督查室主任"), ("sv-ma", "马骏", "")]
STAFF = [  # the demo's named staff first, then one contact per remaining unit
    ("st-chen", "陈静", "fgj"),
    ("st-liu1", "刘洋", "fgj"),
    ("st-liu2", "刘洋", "jyj"),
    ("st-zhou", "周涛", "zjj"),
    ("st-wu", "吴敏", "wjj"),
    ("st-he", "何平", "shz"),
    ("st-czj", "郑华", "czj"),
    ("st-gaj", "冯军", "gaj"),
    ("st-mzj", "褚红", "mzj"),
    ("st-rsj", "卫东", "rsj"),
    ("st-zrj", "蒋勇", "zrj"),
    ("st-sthj", "沈洁", "sthj"),
    ("st-jtj", "韩磊", "jtj"),
    ("st-nyj", "杨帆", "nyj"),
    ("st-swj", "朱丹", "swj"),
    ("st-wlj", "秦岚", "wlj"),
    ("st-yjj", "尤斌", "yjj"),
    ("st-scj", "许静", "scj"),
    ("st-paz", "何刚", "paz"),
    ("st-xxz", "吕梅", "xxz"),
    ("st-gcx", "施洋", "gcx"),
]
VERBS = ["推进", "落实", "完成", "加快", "做好", "开展", "督促", "研究解决", "全面排查", "统筹推进"]
SUBJECTS = [
    "老旧小区改造",
    "义务教育学位保障",
    "重大项目投资",
    "基层医疗机构设备配置",
    "人居环境整治",
    "营商环境优化",
    "农村饮水安全",
    "河湖长制",
    "安全生产专项整治",
    "食品安全监管",
    "城区停车难",
    "农民工工资支付",
    "高标准农田建设",
    "乡村振兴示范村",
    "生态环境突出问题",
    "森林防火",
    "城乡低保动态管理",
    "就业创业服务",
    "招商引资项目",
    "文旅融合发展",
    "背街小巷改造",
    "供暖保障",
    "燃气管道更新",
    "道路交通安全",
    "防汛抗旱准备",
    "电商进农村",
    "养老服务设施",
    "托育服务",
    "校园周边环境",
    "政务服务事项",
    "污水处理设施",
    "垃圾分类",
    "村级集体经济",
    "易地搬迁后续扶持",
    "信访积案化解",
    "耕地保护",
]
OBJECTS = ["工作", "前期工作", "整改落实", "专项行动", "年度任务", "问题整改", "方案制定", "督查反馈问题整改"]
DUTIES = ["牵头制定方案并组织实施", "配合做好资金保障", "负责政策指导", "配合开展排查", "按职责做好相关工作"]
SOURCES = [
    "central_decision",
    "district_meeting",
    "work_report",
    "leader_instruction",
    "leader_assignment",
    "system_710",
    "bulletin_rectification",
    "other",
]
# The word the text-filter benchmark searches for: one subject of 36 (about 3 % of items match).
TEXT_TERM = "老旧小区"


@dataclass(frozen=True)
class Loaded:
    items: int
    item_units: int
    seconds: float
    order: list[tuple[dt.date, str]]  # (registered_on, item_no) newest first: the ledger's list order
    statuses: Counter


def _directory_rows() -> tuple[list[dict], list[dict]]:
    units = [{"id": i, "name": n, "kind": k, "active": True} for i, n, k in UNITS]
    people = [
        {"id": i, "name": n, "unit_id": "dcs", "role": "leader", "title": t, "active": True} for i, n, t in LEADERS
    ]
    people += [
        {"id": i, "name": n, "unit_id": "dcs", "role": "supervisor", "title": t, "active": True}
        for i, n, t in SUPERVISORS
    ]
    people += [{"id": i, "name": n, "unit_id": u, "role": "staff", "title": "", "active": True} for i, n, u in STAFF]
    return units, people


def load(engine: Engine, count: int, today: dt.date, seed: int = 2026, batch: int = 5000) -> Loaded:
    """Migrate the database, then insert the directory and `count` items registered up to `today`."""
    import time

    started = time.perf_counter()
    migrations.upgrade(MIGRATIONS, engine)
    calendar = load_calendar()
    rng = random.Random(seed)
    unit_rows, people_rows = _directory_rows()
    unit_name = {u["id"]: u["name"] for u in unit_rows}
    staff_by_unit: dict[str, list[tuple[str, str]]] = {}
    for pid, name, unit in STAFF:
        staff_by_unit.setdefault(unit, []).append((pid, name))
    unit_ids = [u for u in unit_name if u != "dcs"]

    # Registration days: the working days from 2024-01-02 to today, about the same number each day.
    days = []
    day = dt.date(2024, 1, 2)
    while day <= today:
        if calendar.is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    per_day = [count // len(days)] * len(days)
    for i in rng.sample(range(len(days)), count % len(days)):
        per_day[i] += 1

    due_cache: dict[tuple[dt.date, str], tuple[dt.date, bool]] = {}

    def due_for(registered: dt.date, category: str) -> tuple[dt.date, bool]:
        key = (registered, category)
        if key not in due_cache:
            result = calendar.add_working_days_provisional(registered, 10 if category == "complex" else 7)
            due_cache[key] = (result.value, result.provisional)
        return due_cache[key]

    seq_by_year: dict[int, int] = {}
    statuses: Counter = Counter()
    order: list[tuple[dt.date, str]] = []
    items: list[dict] = []
    links: list[dict] = []
    n_items = n_links = 0
    with engine.begin() as conn:
        conn.execute(insert(cast(Table, Unit.__table__)), unit_rows)
        conn.execute(insert(cast(Table, Person.__table__)), people_rows)
    for day, n in zip(days, per_day, strict=True):
        created = dt.datetime.combine(day, dt.time(9, 0), OFFICE_TZ).astimezone(dt.UTC)
        for _ in range(n):
            seq = seq_by_year.get(day.year, 0) + 1
            seq_by_year[day.year] = seq
            item_no = f"{day.year}-{seq:04d}"
            category = "complex" if rng.random() < 0.3 else "general"
            due, provisional = due_for(day, category)
            age = (today - day).days
            if age > 45:
                status = (
                    "archived"
                    if (age > 365 and rng.random() < 0.6)
                    else ("closed" if rng.random() < 0.92 else "in_progress")
                )
            elif due < today:
                status = "closed" if rng.random() < 0.6 else "in_progress"
            else:
                status = "notified" if rng.random() < 0.7 else "awaiting_notice"
            statuses[status] += 1
            lead = rng.choice(unit_ids)
            co = rng.sample([u for u in unit_ids if u != lead], rng.choices((0, 1, 2), (50, 35, 15))[0])
            leader = rng.choice(LEADERS)
            person = rng.choice(staff_by_unit.get(lead, [("st-chen", "陈静")]))
            supervisor = rng.choice(SUPERVISORS)
            subject = rng.choice(SUBJECTS)
            title = f"{rng.choice(VERBS)}{subject}{rng.choice(OBJECTS)}"
            closed = status in ("closed", "archived")
            item_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            items.append(
                {
                    "id": item_id,
                    "item_no": item_no,
                    "year": day.year,
                    "seq": seq,
                    "title": title,
                    "content": f"按照{leader[2] or '区政府'}{leader[1]}同志要求，{unit_name[lead]}牵头{title}，"
                    f"于完成时限前报送办理情况。",
                    "source": rng.choice(SOURCES),
                    "category": category,
                    "key_tracking": rng.random() < 0.15,
                    "lead_unit_id": lead,
                    "responsible_leader_id": leader[0],
                    "responsible_leader_name": leader[1],
                    "responsible_leader_unit": unit_name["dcs"],
                    "responsible_person_id": person[0],
                    "responsible_person_name": person[1],
                    "responsible_person_unit": unit_name[lead],
                    "supervisor_id": supervisor[0],
                    "supervisor_name": supervisor[1],
                    "supervisor_unit": unit_name["dcs"],
                    "registered_on": day,
                    "assigned_on": None if status == "awaiting_notice" else day + dt.timedelta(days=1),
                    "due_date": due,
                    "due_date_reason": "",
                    "due_date_provisional": provisional,
                    "status": status,
                    "supervision_status": "已跟踪督办" if status != "awaiting_notice" else "",
                    "result": "已按期办结" if closed else "",
                    "closure_signature": leader[1] if closed else "",
                    "extension_reason": "",
                    "extension_signature": "",
                    "remarks": "",
                    "legacy_no": "",
                    "import_key": None,
                    "request_id": None,
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            links.append(
                {
                    "item_id": item_id,
                    "unit_id": lead,
                    "unit_name": unit_name[lead],
                    "role": "lead",
                    "duty": rng.choice(DUTIES[:1]),
                    "position": 0,
                }
            )
            for pos, unit in enumerate(co, start=1):
                links.append(
                    {
                        "item_id": item_id,
                        "unit_id": unit,
                        "unit_name": unit_name[unit],
                        "role": "co",
                        "duty": rng.choice(DUTIES[1:]),
                        "position": pos,
                    }
                )
            order.append((day, item_no))
            if len(items) >= batch:
                n_items, n_links = n_items + len(items), n_links + len(links)
                _flush(engine, items, links)
    n_items, n_links = n_items + len(items), n_links + len(links)
    _flush(engine, items, links)
    with engine.begin() as conn:
        conn.execute(insert(cast(Table, ItemSequence.__table__)), [{"year": y, "last_value": v} for y, v in seq_by_year.items()])
        stored = conn.execute(select(func.count()).select_from(Item.__table__)).scalar_one()
    if stored != count:
        raise RuntimeError(f"fixture: {stored} items stored, {count} wanted")
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load anyway; SQLite gets no ANALYZE (the ledger never runs one).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    order.sort(reverse=True)
    return Loaded(n_items, n_links, time.perf_counter() - started, order, statuses)


def _flush(engine: Engine, items: list[dict], links: list[dict]) -> None:
    if not items:
        return
    with engine.begin() as conn:
        conn.execute(insert(cast(Table, Item.__table__)), items)
        conn.execute(insert(cast(Table, ItemUnit.__table__)), links)
    items.clear()
    links.clear()
