"""The scheduled jobs: overdue items, unacknowledged notices, missing reports -> events and urging.

Set-based and idempotent: each item is announced overdue once per day and each urge is sent once per
day (unique rows decide), so the embedded scheduler, the CronJob and a manual run can overlap safely
and a run cut short is simply finished by the next one. Candidates are read without a write lock and
written in chunks of short transactions, so registrations and acknowledgements never wait for a sweep.
Closed items are never urged.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

from sqlalchemy import Table, and_, exists, func, select, update

from duban.tracking.v1 import events_pb2
from libs.common.bulk import insert_rows
from libs.common.clock import OFFICE_TZ
from libs.common.outbox import OutboxEvent
from libs.common.runtime import gc_paused
from services.tracking import domain, events, lights_board, metrics
from services.tracking.orm import Assignment, AssignmentUnit, ExpectedReport, OverdueMark, Urge
from services.tracking.service import Tracking

CHASED = domain.CHASED_STATUSES
CHUNK = 5000


def _chunks(rows: list, size: int = CHUNK):  # type: ignore[no-untyped-def,type-arg]
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _late_days(tracking: Tracking, due: dt.date, today: dt.date) -> int:
    try:
        return tracking.calendar.working_days_between(due, today)
    except LookupError:  # a year without its table: calendar days, not a guess of working days
        return (today - due).days


def _write(tracking: Tracking, table: Table, columns: tuple[str, ...], rows: list[tuple],  # type: ignore[type-arg]
           outbox: list[OutboxEvent]) -> None:
    """One short write transaction: the rows that make the sweep idempotent, and their events."""
    with tracking.uow() as tx:
        insert_rows(tx.session.connection(), table, columns, rows)
        for event in outbox:
            tx.publish(event)
        tx.commit()


def _sweep_overdue(tracking: Tracking, now: dt.datetime, today: dt.date) -> int:
    """item.overdue once per item per day (the notification service turns it into reminders).

    One read finds every candidate with its units (no lock); the marks and events are written chunk
    by chunk.
    """
    with tracking.uow.read() as tx:
        found = tx.session.execute(
            select(Assignment.item_id, Assignment.item_no, Assignment.due_date, AssignmentUnit.unit_id)
            .join(AssignmentUnit, AssignmentUnit.item_id == Assignment.item_id)
            .where(Assignment.status.in_(CHASED), Assignment.due_date < today,
                   ~exists().where(and_(OverdueMark.item_id == Assignment.item_id, OverdueMark.day == today)))
            .order_by(Assignment.item_id, AssignmentUnit.position)
        ).all()
    units_of: dict[str, list[str]] = defaultdict(list)
    rows = []
    for r in found:  # one row per unit, an item's units together and in order
        if r.item_id not in units_of:
            rows.append(r)
        units_of[r.item_id].append(r.unit_id)
    late = {due: _late_days(tracking, due, today) for due in {r.due_date for r in rows}}
    for chunk in _chunks(rows):
        outbox = [events.event(events.ITEM_OVERDUE, r.item_id, events_pb2.ItemOverdue(
            item_id=r.item_id, item_no=r.item_no, due_date=r.due_date.isoformat(), day=today.isoformat(),
            working_days_late=late[r.due_date], unit_ids=units_of[r.item_id]), now) for r in chunk]
        _write(tracking, OverdueMark.__table__, ("day", "item_id"), [(today, r.item_id) for r in chunk], outbox)
    return len(rows)


def _urge_rows(tracking: Tracking, now: dt.datetime, today: dt.date, candidates: list[tuple]) -> int:  # type: ignore[type-arg]
    """candidates: (item_id, item_no, unit_id, reason, text, expected_report_id); once per day each."""
    with tracking.uow.read() as tx:
        already = {(u.item_id, u.unit_id, u.reason, u.expected_report_id)
                   for u in tx.session.execute(select(Urge.item_id, Urge.unit_id, Urge.reason, Urge.expected_report_id)
                                               .where(Urge.day == today))}
    fresh = [c for c in candidates if (c[0], c[2], c[3], c[5]) not in already]
    for chunk in _chunks(fresh):
        rows = [(today, i, u, r, e, t, now) for i, _, u, r, t, e in chunk]
        outbox = [events.event(events.ITEM_URGED, i, events_pb2.ItemUrged(
            item_id=i, item_no=n, unit_id=u, reason=r, text=t, expected_report_id=e), now) for i, n, u, r, t, e in chunk]
        _write(tracking, Urge.__table__, ("day", "item_id", "unit_id", "reason", "expected_report_id", "text", "at"),
               rows, outbox)
        for _, _, _, reason, _, _ in chunk:
            metrics.URGES.labels(reason).inc()
    if any(c[5] for c in fresh):
        # Each report urged by this run counts one more urge: found by this run's urge rows (one
        # set-based update instead of an IN list per chunk).
        with tracking.uow() as tx:
            tx.session.execute(
                update(ExpectedReport).where(ExpectedReport.id.in_(
                    select(Urge.expected_report_id).where(Urge.day == today, Urge.at == now,
                                                          Urge.reason == "report_missing")))
                .values(urged=ExpectedReport.urged + 1).execution_options(synchronize_session=False))
            tx.commit()
    return len(fresh)


def run_sweeps(tracking: Tracking, as_of: dt.datetime | None = None) -> tuple[int, int, int]:
    """Returns (item.overdue published, urges sent, reports newly marked missed)."""
    with gc_paused():
        return _run_sweeps(tracking, as_of)


def _run_sweeps(tracking: Tracking, as_of: dt.datetime | None) -> tuple[int, int, int]:
    started = time.perf_counter()
    now = as_of or tracking.clock.now()
    today = now.astimezone(OFFICE_TZ).date()

    overdue = _sweep_overdue(tracking, now, today)

    # Expected reports past their day become missed (one set-based update).
    with tracking.uow() as tx:
        marked = tx.session.execute(
            update(ExpectedReport).where(
                ExpectedReport.status == "expected", ExpectedReport.due_on < today,
                ExpectedReport.item_id.in_(select(Assignment.item_id).where(Assignment.status.in_(CHASED))))
            .values(status="missed").execution_options(synchronize_session=False)
        ).rowcount
        tx.commit()

    with tracking.uow.read() as tx:
        unsigned = tx.session.execute(
            select(AssignmentUnit.item_id, AssignmentUnit.unit_id, AssignmentUnit.unit_name, Assignment.item_no)
            .join(Assignment, Assignment.item_id == AssignmentUnit.item_id)
            .where(Assignment.status.in_(("notified", "in_progress")), AssignmentUnit.acknowledged_at.is_(None),
                   AssignmentUnit.ack_due_at < now)
        ).all()
        missed = tx.session.execute(
            select(ExpectedReport.id, ExpectedReport.item_id, ExpectedReport.unit_id, ExpectedReport.period,
                   ExpectedReport.due_on, Assignment.item_no)
            .join(Assignment, Assignment.item_id == ExpectedReport.item_id)
            .where(ExpectedReport.status == "missed", Assignment.status.in_(CHASED))
        ).all()
        open_overdue = tx.session.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.status.in_(CHASED), Assignment.due_date < today))
    candidates = [(r.item_id, r.item_no, r.unit_id, "notice_unacknowledged",
                   f"请{r.unit_name}尽快签收督办通知（{r.item_no}）。", "") for r in unsigned]
    candidates += [(r.item_id, r.item_no, r.unit_id, "report_missing",
                    f"督查事项{r.item_no}的{domain.PERIOD_LABELS[r.period]}（应于{r.due_on.isoformat()}报送）尚未报送，请尽快报送。",
                    r.id) for r in missed]
    urged = _urge_rows(tracking, now, today, candidates)

    metrics.OVERDUE_PUBLISHED.inc(overdue)
    metrics.OPEN_OVERDUE.set(open_overdue or 0)
    _, total, _ = lights_board.light_board(tracking, [], "")
    for colour in ("red", "yellow", "green"):
        metrics.OPEN_BY_LIGHT.labels(colour).set(getattr(total, colour))
    metrics.SWEEP_SECONDS.observe(time.perf_counter() - started)
    return overdue, urged, marked
