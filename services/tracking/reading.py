"""Reading assignments: one item, lists for each role's work queue, the leader's signing queue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import lazyload

from libs.common.clock import OFFICE_TZ
from libs.common.errors import InvalidInput
from services.tracking.context import Tracking
from services.tracking.domain import CHASED_STATUSES as CHASED
from services.tracking.orm import Assignment, AssignmentUnit, Extension, OfficeUrge, Urge
from services.tracking.repository import LIST_ORDER, after_token, get_assignment, page_token

VIEWS = ("", "notices_due", "overdue", "unacknowledged", "urged_today")


def get(tracking: Tracking, item_id: str) -> Assignment:
    with tracking.uow.read() as tx:
        return get_assignment(tx, item_id)


def list_assignments(tracking: Tracking, unit_ids: list[str], leader_id: str, status: str, view: str,
                     page_size: int, token: str) -> tuple[list[Assignment], str, int]:
    """Most urgent first (earliest deadline), keyset-paged."""
    if view not in VIEWS:
        raise InvalidInput(f"unknown view {view!r}",
                           {"view": "视图应为 notices_due、overdue、unacknowledged 或 urged_today"})
    today = tracking.today()
    stmt = select(Assignment)
    if unit_ids:
        stmt = stmt.where(exists().where(and_(AssignmentUnit.item_id == Assignment.item_id,
                                              AssignmentUnit.unit_id.in_(unit_ids))))
    if leader_id:
        stmt = stmt.where(Assignment.leader_id == leader_id)
    if status:
        stmt = stmt.where(Assignment.status == status)
    if view == "notices_due":  # the office's desk: every notice still to send, the most urgent first
        stmt = stmt.where(Assignment.status == "awaiting_notice")
    elif view == "overdue":
        stmt = stmt.where(Assignment.status.in_(CHASED), Assignment.due_date < today)
    elif view == "unacknowledged":
        stmt = stmt.where(Assignment.status.in_(("notified", "in_progress")), exists().where(and_(
            AssignmentUnit.item_id == Assignment.item_id, AssignmentUnit.acknowledged_at.is_(None))))
    elif view == "urged_today":  # chased today, by the sweep or by the office itself
        start = dt.datetime.combine(today, dt.time(), OFFICE_TZ)
        stmt = stmt.where(or_(
            exists().where(and_(Urge.item_id == Assignment.item_id, Urge.day == today)),
            exists().where(and_(OfficeUrge.item_id == Assignment.item_id, OfficeUrge.at >= start,
                                OfficeUrge.at < start + dt.timedelta(days=1)))))
    size = min(max(page_size or 50, 1), 500)
    with tracking.uow.read() as tx:
        # The total is counted for the first page only; following pages carry it as 0 (unchanged).
        total = 0 if token else tx.session.scalar(select(func.count()).select_from(stmt.subquery()))
        if token:
            stmt = stmt.where(after_token(token))
        # A list needs each item's light (units, expected reports), not every report's text or urge.
        stmt = stmt.options(lazyload(Assignment.reports), lazyload(Assignment.extensions),
                            lazyload(Assignment.office_urges))
        rows = list(tx.session.scalars(stmt.order_by(*LIST_ORDER).limit(size + 1)))
    return rows[:size], (page_token(rows[size - 1]) if len(rows) > size else ""), total or 0


def leader_queue(tracking: Tracking, leader_id: str) -> tuple[list[Assignment], list[Assignment]]:
    """What waits for this leader's signature: extension requests, completion reports."""
    with tracking.uow.read() as tx:
        pending_ext = list(tx.session.scalars(
            select(Assignment).where(Assignment.leader_id == leader_id, exists().where(and_(
                Extension.item_id == Assignment.item_id, Extension.status == "pending")))
            .order_by(Assignment.due_date)))
        closures = list(tx.session.scalars(
            select(Assignment).where(Assignment.leader_id == leader_id, Assignment.status == "completion_filled")
            .order_by(Assignment.due_date)))
    return pending_ext, closures
