"""Reading assignments: one item, lists for each role's work queue, the leader's signing queue."""

from __future__ import annotations

import base64
import datetime as dt
import json

from sqlalchemy import and_, exists, func, or_, select, tuple_
from sqlalchemy.orm import lazyload

from libs.common.clock import OFFICE_TZ
from libs.common.errors import InvalidInput
from services.tracking.domain import CHASED_STATUSES as CHASED
from services.tracking.orm import Assignment, AssignmentUnit, Extension, OfficeUrge, Urge
from services.tracking.service import Tracking, get_assignment

VIEWS = ("", "notices_due", "overdue", "unacknowledged", "urged_today")


def get(tracking: Tracking, item_id: str) -> Assignment:
    with tracking.uow.read() as tx:
        return get_assignment(tx, item_id)


# Keyset paging in list order: deadline, item number, item id (numbers are unique within one ledger,
# the id makes the order total whatever feeds this service).
LIST_ORDER = (Assignment.due_date, Assignment.item_no, Assignment.item_id)


def page_token(row) -> str:  # type: ignore[no-untyped-def]  # an Assignment or a row with the LIST_ORDER columns
    return base64.urlsafe_b64encode(json.dumps([row.due_date.isoformat(), row.item_no, row.item_id]).encode()).decode()


def after_token(token: str):  # type: ignore[no-untyped-def]
    """The condition "after the page that ended here" for a page token."""
    try:
        day, item_no, item_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = (dt.date.fromisoformat(day), str(item_no), str(item_id))
    except (ValueError, TypeError):
        raise InvalidInput("bad page_token", {"page_token": "分页标记无效"}) from None
    return tuple_(*LIST_ORDER) > tuple_(*cursor)


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
        # A list needs each item's light (units, expected reports), not every report's text.
        stmt = stmt.options(lazyload(Assignment.reports), lazyload(Assignment.extensions))
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
