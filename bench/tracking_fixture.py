"""N open assignments bulk-loaded straight into tracking's tables (fixture only).

Rows are built with tracking's own ORM tables, calendar and rules (notice due 2 working days after
registration, deadlines 7/10 working days, the expected-report schedule of domain.report_schedule), so
they look like what the consumer and the use cases write: a year of registrations weighted to recent
weeks, so a sizeable share is past its deadline; notices issued the next working day, most units
signed for them, some not; expected reports mostly filed, some missed (and chased), those due on the
last working day still 'expected' (today's first sweep marks them missed); a few extensions, replies
and completion reports. History: the previous days' sweeps left their overdue marks and urges.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Engine, Table, func, insert, select

from bench.fixture import LEADERS, OBJECTS, SOURCES, STAFF, SUBJECTS, UNITS, VERBS
from libs.common import migrations
from libs.common.calendar import load_calendar
from libs.common.clock import OFFICE_TZ
from services.tracking import domain
from services.tracking.bootstrap import MIGRATIONS
from services.tracking.orm import (
    Assignment,
    AssignmentUnit,
    ExpectedReport,
    Extension,
    NoticeSequence,
    OverdueMark,
    ProgressReport,
    Urge,
)

CHASED = ("awaiting_notice", "notified", "in_progress")
HISTORY_DAYS = 2  # calendar days of earlier sweeps (the embedded sweep runs every day, weekends too)
DUTIES = ["牵头制定方案并组织实施", "配合做好资金保障", "负责政策指导", "配合开展排查", "按职责做好相关工作"]


@dataclass
class LoadedTracking:
    assignments: int = 0
    units: int = 0
    expected: int = 0
    reports: int = 0
    extensions: int = 0
    history_urges: int = 0
    history_marks: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    overdue: int = 0  # chased and past the deadline: what today's sweep announces
    unacknowledged: int = 0  # units of notified items that never signed (ack deadline passed)
    missed: int = 0  # expected reports already 'missed'
    newly_missed: int = 0  # 'expected' past their day: today's sweep marks them

    @property
    def open(self) -> int:
        """Assignments not closed or archived: those with a light."""
        return sum(n for status, n in self.statuses.items() if status not in ("closed", "archived"))


def _snapshot(pid: str, name: str, unit: str, role: str) -> str:
    return json.dumps({"id": pid, "name": name, "unit_id": unit, "role": role}, ensure_ascii=False)


def load(engine: Engine, count: int, today: dt.date, seed: int = 710, batch: int = 5000) -> LoadedTracking:
    """Migrate tracking's database, then insert `count` open assignments as of `today`."""
    started = time.perf_counter()
    migrations.upgrade(MIGRATIONS, engine)
    calendar = load_calendar()
    policy = domain.TrackingPolicy()
    rng = random.Random(seed)
    unit_name = {u: n for u, n, _ in UNITS}
    unit_ids = [u for u, _, _ in UNITS if u != "dcs"]
    staff = {unit: (pid, name) for pid, name, unit in reversed(STAFF)}
    office = _snapshot("sv-wang", "王芳", "dcs", "office")

    # The working days of the last year, newest first: index k = k working days ago.
    days: list[dt.date] = []
    day = today
    while len(days) < 260:
        if calendar.is_working_day(day):
            days.append(day)
        day -= dt.timedelta(days=1)
    last_working = next(d for d in days if d < today)

    due_cache: dict[tuple[dt.date, int], dt.date] = {}

    def plus(day: dt.date, n: int) -> dt.date:
        if (day, n) not in due_cache:
            due_cache[(day, n)] = calendar.add_working_days_provisional(day, n).value
        return due_cache[(day, n)]

    schedule_cache: dict[tuple[tuple[str, ...], dt.date, dt.date], list[domain.Expected]] = {}

    def schedule(periods: tuple[str, ...], assigned: dt.date, due: dt.date) -> list[domain.Expected]:
        key = (periods, assigned, due)
        if key not in schedule_cache:
            schedule_cache[key] = domain.report_schedule(calendar, periods, assigned, due)
        return schedule_cache[key]

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), OFFICE_TZ).astimezone(dt.UTC)

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    out = LoadedTracking()
    rows: dict[str, list[dict]] = {"a": [], "u": [], "e": [], "r": [], "x": [], "m": [], "g": []}
    notice_seq: Counter = Counter()
    item_seq: Counter = Counter()
    history = [today - dt.timedelta(days=d) for d in range(1, HISTORY_DAYS + 1)]

    def urge_row(item_id: str, unit: str, reason: str, expected_id: str, day: dt.date, text: str) -> dict:
        return {
            "item_id": item_id,
            "unit_id": unit,
            "reason": reason,
            "expected_report_id": expected_id,
            "day": day,
            "text": text,
            "at": at(day, 0, 5),
        }

    for n in range(count):
        # Registration: 40 % within the last 10 working days (mostly still in time), the rest older,
        # thinning out over the year (a long tail of items nobody has closed).
        k = rng.randrange(10) if rng.random() < 0.4 else min(10 + int(rng.expovariate(1 / 30)), len(days) - 1)
        registered = days[k]
        item_seq[registered.year] += 1
        item_no = f"{registered.year}-{item_seq[registered.year]:05d}"
        category = "complex" if rng.random() < 0.3 else "general"
        key_tracking = rng.random() < 0.15
        original_due = plus(registered, 10 if category == "complex" else 7)
        due = original_due
        notice_due = domain.notice_due_on(calendar, policy, registered)
        r = rng.random()
        if k == 0:
            status = "awaiting_notice"
        elif k <= 2:
            status = "awaiting_notice" if r < 0.5 else ("notified" if r < 0.9 else "in_progress")
        else:
            status = (
                "awaiting_notice"
                if r < 0.03
                else "notified"
                if r < 0.13
                else "in_progress"
                if r < 0.83
                else "replied"
                if r < 0.95
                else "completion_filled"
            )
        out.statuses[status] += 1
        lead = rng.choice(unit_ids)
        co = rng.sample([u for u in unit_ids if u != lead], rng.choices((0, 1, 2), (50, 35, 15))[0])
        leader = rng.choice(LEADERS)
        subject = rng.choice(SUBJECTS)
        title = f"{rng.choice(VERBS)}{subject}{rng.choice(OBJECTS)}"
        item_id = new_id()
        created = at(registered, 9, 5)
        issued = None
        assigned = None
        notice_no = ""
        if status != "awaiting_notice":
            assigned = days[k - 1]  # the next working day
            notice_seq[assigned.year] += 1
            notice_no = f"督通〔{assigned.year}〕{notice_seq[assigned.year]}号"
            issued = at(assigned, 8 if assigned == today else 10)  # 'now' is 09:00 on `today`
        # Extensions: some in-progress items got 10 more working days, a few are waiting for the leader.
        extension = None
        if status == "in_progress" and k > 12 and rng.random() < 0.06:
            pending = rng.random() < 0.2
            new_due = plus(original_due, 10)
            if not pending:
                due = new_due
            requested = at(plus(assigned, 2), 15)  # type: ignore[arg-type]
            extension = {
                "id": new_id(),
                "item_id": item_id,
                "unit_id": lead,
                "reason": "涉及多部门协调，资金尚未到位",
                "progress": "已完成方案制定，正在组织实施",
                "old_due_date": original_due,
                "new_due_date": new_due,
                "status": "pending" if pending else "approved",
                "requested_at": requested,
                "requested_by": _snapshot(*staff.get(lead, ("st-chen", "陈静")), lead, "unit_staff"),
                "decided_at": None if pending else requested + dt.timedelta(hours=20),
                "decided_by": "" if pending else _snapshot(leader[0], leader[1], "dcs", "leader"),
                "comment": "" if pending else "同意",
            }
            rows["x"].append(extension)
        replied = status in ("replied", "completion_filled")
        reply_day = min(due, today) if replied else None
        rows["a"].append(
            {
                "item_id": item_id,
                "item_no": item_no,
                "title": title,
                "content": f"按照{leader[2]}{leader[1]}同志要求，{unit_name[lead]}牵头{title}，于完成时限前报送办理情况。",
                "source": rng.choice(SOURCES),
                "category": category,
                "key_tracking": key_tracking,
                "registered_on": registered,
                "notice_due_on": notice_due,
                "notice_no": notice_no,
                "notice_issued_at": issued,
                "notice_key": f"tracking/{item_id}/notice.docx" if issued else "",
                "original_due_date": original_due,
                "due_date": due,
                "status": status,
                "leader_id": leader[0],
                "leader_name": leader[1],
                "lead_unit_id": lead,
                "lead_unit_name": unit_name[lead],
                "version": 1 + (status != "awaiting_notice") * 3,
                "created_at": created,
                "updated_at": issued or created,
                "closed_at": None,
                "archived_at": None,
                "dossier_key": "",
                "reply_result": "已按要求完成各项任务" if replied else "",
                "reply_root_cause": "",
                "reply_measures": "",
                "reply_late": False,
                "replied_at": at(reply_day, 16) if reply_day else None,
                "replied_by": _snapshot(*staff.get(lead, ("st-chen", "陈静")), lead, "unit_staff") if replied else "",
                "completion_kind": "completed" if status == "completion_filled" else "",
                "completion_summary": "按期完成" if status == "completion_filled" else "",
                "completion_within_time": True,
                "completion_filled_at": at(reply_day, 17) if status == "completion_filled" else None,  # type: ignore[arg-type]
                "completion_filled_by": office if status == "completion_filled" else "",
                "completion_key": f"tracking/{item_id}/completion.docx" if status == "completion_filled" else "",
                "signature_opinion": "",
                "signed_at": None,
                "signed_by": "",
                "signature_approved": False,
            }
        )
        # Units: the lead and 0-2 co units; in progress once every unit signed for the notice.
        ack_due = issued + dt.timedelta(hours=4) if issued else None  # 4 office hours, same day
        unsigned_at = rng.randrange(len(co) + 1) if status == "notified" else -1
        for pos, unit in enumerate([lead, *co]):
            signed = issued is not None and pos != unsigned_at
            rows["u"].append(
                {
                    "item_id": item_id,
                    "unit_id": unit,
                    "unit_name": unit_name[unit],
                    "role": "co" if pos else "lead",
                    "duty": DUTIES[0] if pos == 0 else rng.choice(DUTIES[1:]),
                    "position": pos,
                    "ack_due_at": ack_due,
                    "acknowledged_at": issued + dt.timedelta(hours=1 + pos) if signed else None,  # type: ignore[operator]
                    "acknowledged_by": _snapshot(*staff.get(unit, ("st-chen", "陈静")), unit, "unit_staff")
                    if signed
                    else "",
                }
            )
            chased = status in CHASED
            if issued is not None and not signed and chased and ack_due < at(today, 9):  # type: ignore[operator]
                out.unacknowledged += 1
                for h in history:
                    if ack_due < at(h, 0):  # type: ignore[operator]
                        rows["g"].append(
                            urge_row(
                                item_id,
                                unit,
                                "notice_unacknowledged",
                                "",
                                h,
                                f"请{unit_name[unit]}尽快签收督办通知（{item_no}）。",
                            )
                        )
        # Expected reports (the lead consolidates): filed, missed, or due on the last working day.
        if assigned is not None:
            for e in schedule(policy.cadence_for(category, key_tracking), assigned, due):
                expected_id = new_id()
                if e.due_on >= today:
                    state = "expected"
                elif e.due_on >= last_working:
                    state = "expected" if rng.random() < 0.4 else "filed"
                else:
                    state = "missed" if rng.random() < 0.15 else "filed"
                report_id = new_id() if state == "filed" else ""
                urged = 0
                if state == "missed" and status in CHASED:
                    out.missed += 1
                    urged = min((today - e.due_on).days - 1, HISTORY_DAYS)
                    for h in history[:urged]:
                        rows["g"].append(
                            urge_row(
                                item_id,
                                lead,
                                "report_missing",
                                expected_id,
                                h,
                                f"督查事项{item_no}的{domain.PERIOD_LABELS[e.period]}"
                                f"（应于{e.due_on.isoformat()}报送）尚未报送，请尽快报送。",
                            )
                        )
                elif state == "expected" and e.due_on < today and status in CHASED:
                    out.newly_missed += 1
                rows["e"].append(
                    {
                        "id": expected_id,
                        "item_id": item_id,
                        "unit_id": lead,
                        "period": e.period,
                        "period_start": e.period_start,
                        "due_on": e.due_on,
                        "status": state,
                        "report_id": report_id,
                        "urged": urged,
                    }
                )
                if report_id:
                    rows["r"].append(
                        {
                            "id": report_id,
                            "item_id": item_id,
                            "unit_id": lead,
                            "period": e.period,
                            "expected_report_id": expected_id,
                            "text": f"本期{subject}工作按计划推进，已完成阶段任务，下一步将继续抓好落实。",
                            "filed_at": at(e.due_on, 16),
                            "filed_by": _snapshot(*staff.get(lead, ("st-chen", "陈静")), lead, "unit_staff"),
                        }
                    )
        # Earlier sweeps: an overdue mark and an urge of the lead unit for every day it was overdue.
        if status in CHASED and due < today:
            out.overdue += 1
            for h in history:
                if due < h:
                    rows["m"].append({"item_id": item_id, "day": h})
                    rows["g"].append(
                        urge_row(
                            item_id,
                            lead,
                            "overdue",
                            "",
                            h,
                            f"督查事项{item_no}已超过完成时限（{due.isoformat()}），请抓紧办理并书面说明原因。",
                        )
                    )
        if len(rows["a"]) >= batch or n == count - 1:
            _flush(engine, rows, out)
    with engine.begin() as conn:
        conn.execute(insert(cast(Table, NoticeSequence.__table__)), [{"year": y, "last_value": v} for y, v in notice_seq.items()])
        stored = conn.execute(select(func.count()).select_from(Assignment.__table__)).scalar_one()
    if stored != count:
        raise RuntimeError(f"tracking fixture: {stored} assignments stored, {count} wanted")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    out.seconds = time.perf_counter() - started
    return out


_TABLES = (
    ("a", Assignment, "assignments"),
    ("u", AssignmentUnit, "units"),
    ("e", ExpectedReport, "expected"),
    ("r", ProgressReport, "reports"),
    ("x", Extension, "extensions"),
    ("m", OverdueMark, "history_marks"),
    ("g", Urge, "history_urges"),
)


def _flush(engine: Engine, rows: dict[str, list[dict]], out: LoadedTracking) -> None:
    with engine.begin() as conn:
        for key, model, counter in _TABLES:
            if rows[key]:
                conn.execute(insert(cast(Table, model.__table__)), rows[key])
                setattr(out, counter, getattr(out, counter) + len(rows[key]))
                rows[key].clear()
