"""The scheduled jobs: overdue items, unacknowledged notices, missing reports -> events and urging.

Set-based and idempotent: each item is announced overdue once per day and each urge is sent once per
day (unique rows decide), so the embedded scheduler, the CronJob and a manual run can overlap safely.
Closed items are never urged.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

from sqlalchemy import and_, exists, func, select, update

from duban.tracking.v1 import events_pb2
from libs.common.clock import OFFICE_TZ
from services.tracking import domain, events, metrics
from services.tracking.orm import Assignment, AssignmentUnit, ExpectedReport, OverdueMark, Urge
from services.tracking.service import Tracking

CHASED = ("awaiting_notice", "notified", "in_progress")  # open and still the unit's turn
CHUNK = 2000


def _chunks(rows: list, size: int = CHUNK):  # type: ignore[no-untyped-def,type-arg]
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def run_sweeps(tracking: Tracking, as_of: dt.datetime | None = None) -> tuple[int, int, int]:
    """Returns (item.overdue published, urges sent, reports marked missed)."""
    started = time.perf_counter()
    now = as_of or tracking.clock.now()
    today = now.astimezone(OFFICE_TZ).date()
    with tracking.uow() as tx:
        s = tx.session
        urges: list[dict] = []  # type: ignore[type-arg]
        already = {(u.item_id, u.unit_id, u.reason, u.expected_report_id)
                   for u in s.execute(select(Urge.item_id, Urge.unit_id, Urge.reason, Urge.expected_report_id)
                                      .where(Urge.day == today))}

        def urge(item_id: str, item_no: str, unit_id: str, reason: str, text: str, expected_id: str = "") -> None:
            key = (item_id, unit_id, reason, expected_id)
            if key in already:
                return
            already.add(key)
            urges.append({"item_id": item_id, "unit_id": unit_id, "reason": reason, "expected_report_id": expected_id,
                          "day": today, "text": text, "at": now})
            tx.publish(events.event(events.ITEM_URGED, item_id, events_pb2.ItemUrged(
                item_id=item_id, item_no=item_no, unit_id=unit_id, reason=reason, text=text,
                expected_report_id=expected_id), now))

        # 1. Overdue: once per item per day.
        overdue = s.execute(
            select(Assignment.item_id, Assignment.item_no, Assignment.due_date).where(
                Assignment.status.in_(CHASED), Assignment.due_date < today,
                ~exists().where(and_(OverdueMark.item_id == Assignment.item_id, OverdueMark.day == today)))
        ).all()
        units_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for chunk in _chunks([r.item_id for r in overdue]):
            for unit in s.execute(select(AssignmentUnit.item_id, AssignmentUnit.unit_id, AssignmentUnit.role)
                                  .where(AssignmentUnit.item_id.in_(chunk))):
                units_of[unit.item_id].append((unit.unit_id, unit.role))
        late_by: dict[dt.date, int] = {}
        for row in overdue:
            if row.due_date not in late_by:
                late_by[row.due_date] = tracking.calendar.working_days_between(row.due_date, today) \
                    if tracking.calendar.has_year(today.year) else (today - row.due_date).days
            units = units_of[row.item_id]
            tx.publish(events.event(events.ITEM_OVERDUE, row.item_id, events_pb2.ItemOverdue(
                item_id=row.item_id, item_no=row.item_no, due_date=row.due_date.isoformat(), day=today.isoformat(),
                working_days_late=late_by[row.due_date], unit_ids=[u for u, _ in units]), now))
            lead = next((u for u, role in units if role == "lead"), "")
            urge(row.item_id, row.item_no, lead, "overdue",
                 f"督查事项{row.item_no}已超过完成时限（{row.due_date.isoformat()}）{late_by[row.due_date]}个工作日，请抓紧办理并书面说明原因。")
        if overdue:
            s.execute(OverdueMark.__table__.insert(), [{"item_id": r.item_id, "day": today} for r in overdue])

        # 2. Notices not signed for within the working hours allowed.
        unsigned = s.execute(
            select(AssignmentUnit.item_id, AssignmentUnit.unit_id, AssignmentUnit.unit_name, Assignment.item_no)
            .join(Assignment, Assignment.item_id == AssignmentUnit.item_id)
            .where(Assignment.status.in_(("notified", "in_progress")), AssignmentUnit.acknowledged_at.is_(None),
                   AssignmentUnit.ack_due_at < now)
        ).all()
        for row in unsigned:
            urge(row.item_id, row.item_no, row.unit_id, "notice_unacknowledged",
                 f"请{row.unit_name}尽快签收督办通知（{row.item_no}）。")

        # 3. Expected reports past their day: missed, and chased every day until filed.
        s.execute(
            update(ExpectedReport).where(
                ExpectedReport.status == "expected", ExpectedReport.due_on < today,
                ExpectedReport.item_id.in_(select(Assignment.item_id).where(Assignment.status.in_(CHASED))))
            .values(status="missed").execution_options(synchronize_session=False)
        )
        missed = s.execute(
            select(ExpectedReport.id, ExpectedReport.item_id, ExpectedReport.unit_id, ExpectedReport.period,
                   ExpectedReport.due_on, Assignment.item_no)
            .join(Assignment, Assignment.item_id == ExpectedReport.item_id)
            .where(ExpectedReport.status == "missed", Assignment.status.in_(CHASED))
        ).all()
        chased = []
        for row in missed:
            before = len(urges)
            urge(row.item_id, row.item_no, row.unit_id, "report_missing",
                 f"督查事项{row.item_no}的{domain.PERIOD_LABELS[row.period]}（应于{row.due_on.isoformat()}报送）尚未报送，请尽快报送。",
                 row.id)
            if len(urges) > before:
                chased.append(row.id)
        for chunk in _chunks(chased):
            s.execute(update(ExpectedReport).where(ExpectedReport.id.in_(chunk))
                      .values(urged=ExpectedReport.urged + 1).execution_options(synchronize_session=False))
        if urges:
            s.execute(Urge.__table__.insert(), urges)
        open_overdue = s.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.status.in_(CHASED), Assignment.due_date < today))
        tx.commit()
    for u in urges:
        metrics.URGES.labels(u["reason"]).inc()
    metrics.OVERDUE_PUBLISHED.inc(len(overdue))
    metrics.OPEN_OVERDUE.set(open_overdue or 0)
    metrics.SWEEP_SECONDS.observe(time.perf_counter() - started)
    return len(overdue), len(urges), len(missed)
