"""The scheduled jobs: overdue items, unacknowledged notices, missing reports -> events and urging.

Set-based and idempotent: each item is announced overdue once per day and each urge is sent once per
day (unique rows decide, and the candidates are read without what today's rows already cover), so the
embedded scheduler, the CronJob and a manual run can overlap safely and a run cut short is simply
finished by the next one. Candidates are read without a write lock and written in chunks of short
transactions, so registrations and acknowledgements never wait for a sweep; while it writes its events
the relay waits and then sends them all (`uow.bulk()`). Closed items are never urged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from sqlalchemy import ColumnElement, ColumnExpressionArgument, Table, and_, exists, func, select, update

from libs.common.bulk import insert_rows
from libs.common.clock import OFFICE_TZ
from libs.common.outbox import EventBatch
from libs.common.runtime import gc_paused
from services.tracking import domain, events, lights_board, metrics
from services.tracking.context import Tracking
from services.tracking.orm import Assignment, AssignmentUnit, ExpectedReport, OverdueMark, Urge

CHASED = domain.CHASED_STATUSES
CHUNK = 5000
UNSIGNED = "notice_unacknowledged"
REPORT_MISSING = "report_missing"


@dataclass
class Overdue:
    item_id: str
    item_no: str
    due_date: dt.date
    unit_ids: list[str]


@dataclass(frozen=True)
class UrgeTo:
    item_id: str
    item_no: str
    unit_id: str
    reason: str
    text: str
    expected_report_id: str = ""


def _chunks(rows: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _late_days(tracking: Tracking, due: dt.date, today: dt.date) -> int:
    # As the light counts them: a year without its table with its statutory holidays (provisional).
    return tracking.calendar.working_days_between(due, today, provisional=True)


def _not_urged_today(today: dt.date, item_id: ColumnExpressionArgument[str], unit_id: ColumnExpressionArgument[str],
                     reason: str, expected_report_id: ColumnExpressionArgument[str] | str) -> ColumnElement[bool]:
    return ~exists().where(and_(Urge.day == today, Urge.item_id == item_id, Urge.unit_id == unit_id,
                                Urge.reason == reason, Urge.expected_report_id == expected_report_id))


# --- what to do (reads, no write lock) ------------------------------------------------------------


def overdue_items(tracking: Tracking, today: dt.date) -> list[Overdue]:
    """Chased items past their deadline not yet announced today, with their units in order."""
    with tracking.uow.read() as tx:
        found = tx.session.connection().execute(
            select(Assignment.item_id, Assignment.item_no, Assignment.due_date, AssignmentUnit.unit_id)
            .join(AssignmentUnit, AssignmentUnit.item_id == Assignment.item_id)
            .where(Assignment.status.in_(CHASED), Assignment.due_date < today,
                   ~exists().where(and_(OverdueMark.item_id == Assignment.item_id, OverdueMark.day == today)))
            .order_by(Assignment.item_id, AssignmentUnit.position)
        ).all()
    items: list[Overdue] = []
    for item_id, item_no, due_date, unit_id in found:  # one row per unit, an item's units together
        if not items or items[-1].item_id != item_id:
            items.append(Overdue(item_id, item_no, due_date, []))
        items[-1].unit_ids.append(unit_id)
    return items


def urges_due(tracking: Tracking, now: dt.datetime, today: dt.date) -> list[UrgeTo]:
    """Units that have not signed their notice in time and reports that are missing, not urged today."""
    with tracking.uow.read() as tx:
        conn = tx.session.connection()
        # From the unsigned units' own index, the item checked per unit (a join would walk every
        # notified item's units first).
        item = Assignment.item_id == AssignmentUnit.item_id
        unsigned = conn.execute(
            select(AssignmentUnit.item_id, select(Assignment.item_no).where(item).scalar_subquery(),
                   AssignmentUnit.unit_id, AssignmentUnit.unit_name)
            .where(AssignmentUnit.acknowledged_at.is_(None), AssignmentUnit.ack_due_at < now,
                   exists().where(item, Assignment.status.in_(("notified", "in_progress"))),
                   _not_urged_today(today, AssignmentUnit.item_id, AssignmentUnit.unit_id, UNSIGNED, ""))
        ).all()
        missed = conn.execute(
            select(ExpectedReport.item_id, Assignment.item_no, ExpectedReport.unit_id, ExpectedReport.period,
                   ExpectedReport.due_on, ExpectedReport.id)
            .join(Assignment, Assignment.item_id == ExpectedReport.item_id)
            .where(ExpectedReport.status == "missed", Assignment.status.in_(CHASED),
                   _not_urged_today(today, ExpectedReport.item_id, ExpectedReport.unit_id, REPORT_MISSING,
                                    ExpectedReport.id))
        ).all()
    return [UrgeTo(i, n, u, UNSIGNED, f"请{name}尽快签收督办通知（{n}）。") for i, n, u, name in unsigned] + [
        UrgeTo(i, n, u, REPORT_MISSING,
               f"督查事项{n}的{domain.PERIOD_LABELS[p]}（应于{d.isoformat()}报送）尚未报送，请尽快报送。", r)
        for i, n, u, p, d, r in missed
    ]


# --- doing it (short write transactions) ----------------------------------------------------------


def _write(tracking: Tracking, table: Table, columns: tuple[str, ...], rows: list[tuple],
           batch: EventBatch) -> None:
    """One short write transaction: the rows that make the sweep idempotent, and their events."""
    with tracking.uow() as tx:
        insert_rows(tx.session.connection(), table, columns, rows)
        tx.publish(batch)
        tx.commit()


def mark_missed_reports(tracking: Tracking, today: dt.date) -> int:
    """Expected reports past their day become missed (one set-based update)."""
    with tracking.uow() as tx:
        marked = tx.session.execute(
            update(ExpectedReport).where(
                ExpectedReport.status == "expected", ExpectedReport.due_on < today,
                # EXISTS, not IN: the reports still expected are looked up first (an IN list made
                # SQLite probe the reports of every chased item: 0.18 s against 0.01 s at 100k).
                exists().where(Assignment.item_id == ExpectedReport.item_id, Assignment.status.in_(CHASED)))
            .values(status="missed").execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult; Session.execute says Result
        tx.commit()
    return marked


def announce_overdue(tracking: Tracking, now: dt.datetime, today: dt.date, items: list[Overdue]) -> None:
    """item.overdue once per item per day (the notification service turns it into reminders)."""
    late = {due: _late_days(tracking, due, today) for due in {i.due_date for i in items}}
    day = today.isoformat()
    for chunk in _chunks(items):
        batch = events.batch(events.ITEM_OVERDUE, events.OVERDUE, now, [
            (i.item_id, events.OVERDUE(item_id=i.item_id, item_no=i.item_no, due_date=i.due_date.isoformat(), day=day,
                                       working_days_late=late[i.due_date], unit_ids=i.unit_ids))
            for i in chunk])
        _write(tracking, cast(Table, OverdueMark.__table__), ("day", "item_id"), [(today, i.item_id) for i in chunk], batch)


def send_urges(tracking: Tracking, now: dt.datetime, today: dt.date, urges: list[UrgeTo]) -> None:
    for chunk in _chunks(urges):
        batch = events.batch(events.ITEM_URGED, events.URGED, now, [
            (u.item_id, events.URGED(item_id=u.item_id, item_no=u.item_no, unit_id=u.unit_id, reason=u.reason,
                                     text=u.text, expected_report_id=u.expected_report_id))
            for u in chunk])
        _write(tracking, cast(Table, Urge.__table__), ("day", "item_id", "unit_id", "reason", "expected_report_id", "text", "at"),
               [(today, u.item_id, u.unit_id, u.reason, u.expected_report_id, u.text, now) for u in chunk], batch)
    for reason in (UNSIGNED, REPORT_MISSING):
        metrics.URGES.labels(reason).inc(sum(1 for u in urges if u.reason == reason))
    if any(u.expected_report_id for u in urges):
        # Each report urged by this run counts one more urge: found by this run's urge rows (one
        # set-based update instead of an IN list per chunk).
        with tracking.uow() as tx:
            tx.session.execute(
                update(ExpectedReport).where(ExpectedReport.id.in_(
                    select(Urge.expected_report_id).where(Urge.day == today, Urge.at == now,
                                                          Urge.reason == REPORT_MISSING)))
                .values(urged=ExpectedReport.urged + 1).execution_options(synchronize_session=False))
            tx.commit()


def _refresh_gauges(tracking: Tracking, today: dt.date) -> None:
    with tracking.uow.read() as tx:
        open_overdue = tx.session.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.status.in_(CHASED), Assignment.due_date < today))
    metrics.OPEN_OVERDUE.set(open_overdue or 0)
    _, total, _ = lights_board.light_board(tracking, [], "")
    for colour in ("red", "yellow", "green"):
        metrics.OPEN_BY_LIGHT.labels(colour).set(getattr(total, colour))


def run_sweeps(tracking: Tracking, as_of: dt.datetime | None = None) -> tuple[int, int, int]:
    """Returns (item.overdue published, urges sent, reports newly marked missed)."""
    with gc_paused():
        return _run_sweeps(tracking, as_of)


def _run_sweeps(tracking: Tracking, as_of: dt.datetime | None) -> tuple[int, int, int]:
    started = time.perf_counter()
    now = as_of or tracking.clock.now()
    today = now.astimezone(OFFICE_TZ).date()

    marked = mark_missed_reports(tracking, today)
    overdue = overdue_items(tracking, today)
    urges = urges_due(tracking, now, today)
    with tracking.uow.bulk() if overdue or urges else contextlib.nullcontext():
        announce_overdue(tracking, now, today, overdue)
        send_urges(tracking, now, today, urges)

    metrics.OVERDUE_PUBLISHED.inc(len(overdue))
    _refresh_gauges(tracking, today)
    metrics.SWEEP_SECONDS.observe(time.perf_counter() - started)
    return len(overdue), len(urges), marked


def announce_statuses(tracking: Tracking) -> int:
    """Publish item.status_changed for every item that has moved, with its current status and move count:
    the ledger's copy catches up with whatever it missed (its upgrade to the one vocabulary mapped only
    what it knew; events were lost past the outbox's retention) and ignores what it already has (its
    copy's count is as high), so running it again is harmless. The admin's `announce-statuses`; returns
    the events written. `previous_status` is empty: a restatement, not a move."""
    now = tracking.clock.now()
    with tracking.uow.read() as tx:
        rows = list(tx.session.execute(select(Assignment.item_id, Assignment.status, Assignment.status_seq)
                                       .where(Assignment.status_seq > 0).order_by(Assignment.item_id)))
    with tracking.uow.bulk():
        for chunk in _chunks(rows):
            with tracking.uow() as tx:
                for item_id, status, seq in chunk:
                    tx.publish(events.restated(item_id, status, seq, now))
                tx.commit()
    return len(rows)
