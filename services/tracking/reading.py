"""Reading assignments: one item, lists for each role's work queue, the leader's signing queue."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, namedtuple
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import lazyload

from libs.common.clock import OFFICE_TZ
from libs.common.errors import InvalidInput
from services.tracking.context import Tracking
from services.tracking.domain import CHASED_STATUSES as CHASED
from services.tracking.orm import (
    Assignment,
    AssignmentUnit,
    ExpectedReport,
    Extension,
    ItemRaiser,
    OfficeUrge,
    Urge,
)
from services.tracking.repository import LIST_ORDER, after_token, get_assignment, page_token

VIEWS = ("", "notices_due", "overdue", "unacknowledged", "urged_today")


def get(tracking: Tracking, item_id: str) -> Assignment:
    with tracking.uow.read() as tx:
        return get_assignment(tx, item_id)


def _listed(tracking: Tracking, unit_ids: list[str], leader_id: str, status: str, view: str) -> Select:
    """The assignments a list shows (before paging)."""
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
    return stmt


def list_assignments(tracking: Tracking, unit_ids: list[str], leader_id: str, status: str, view: str,
                     page_size: int, token: str) -> tuple[list[Assignment], str, int]:
    """Most urgent first (earliest deadline), keyset-paged."""
    stmt = _listed(tracking, unit_ids, leader_id, status, view)
    size = min(max(page_size or 50, 1), 500)
    with tracking.uow.read() as tx:
        # The total is counted for the first page only; following pages carry it as 0 (unchanged).
        total = 0 if token else tx.session.scalar(select(func.count()).select_from(stmt.subquery()))
        if token:
            stmt = stmt.where(after_token(token))
        # A list needs each item's light (units, expected reports), not every report's text or urge.
        stmt = stmt.options(lazyload(Assignment.reports), lazyload(Assignment.extensions),
                            lazyload(Assignment.office_urges), lazyload(Assignment.attachments))
        rows = list(tx.session.scalars(stmt.order_by(*LIST_ORDER).limit(size + 1)))
    return rows[:size], (page_token(rows[size - 1]) if len(rows) > size else ""), total or 0


# What a listed assignment's message reads (convert.to_proto, brief): its columns, units and expected
# reports as plain rows - a list page without building and tracking ORM objects.
_LIST_COLUMNS = (
    Assignment.item_id, Assignment.item_no, Assignment.title, Assignment.content, Assignment.category,
    Assignment.key_tracking, Assignment.registered_on, Assignment.notice_due_on, Assignment.notice_no,
    Assignment.notice_issued_at, Assignment.original_due_date, Assignment.due_date,
    Assignment.due_date_provisional, Assignment.status,
    Assignment.leader_id, Assignment.leader_name, Assignment.reply_root_cause, Assignment.version,
    Assignment.closed_at, Assignment.archived_at,
)
_UNITS_OF = (select(AssignmentUnit.item_id, AssignmentUnit.unit_id, AssignmentUnit.unit_name, AssignmentUnit.role,
                    AssignmentUnit.duty, AssignmentUnit.acknowledged_at, AssignmentUnit.acknowledged_by,
                    AssignmentUnit.ack_due_at)
             .where(AssignmentUnit.item_id.in_(bindparam("ids", expanding=True)))
             .order_by(AssignmentUnit.item_id, AssignmentUnit.position))
# The relationship's order: (due_on, period, unit_id) within an item.
_EXPECTED_OF = (select(ExpectedReport.item_id, ExpectedReport.id, ExpectedReport.unit_id, ExpectedReport.period,
                       ExpectedReport.period_start, ExpectedReport.due_on, ExpectedReport.status,
                       ExpectedReport.report_id, ExpectedReport.urged)
                .where(ExpectedReport.item_id.in_(bindparam("ids", expanding=True)))
                .order_by(ExpectedReport.item_id, ExpectedReport.due_on, ExpectedReport.period, ExpectedReport.unit_id))
_RAISERS_OF = (select(ItemRaiser.item_id, ItemRaiser.source, ItemRaiser.due_on)
               .where(ItemRaiser.item_id.in_(bindparam("ids", expanding=True))))


def list_assignment_rows(tracking: Tracking, unit_ids: list[str], leader_id: str, status: str, view: str,
                         page_size: int, token: str) -> tuple[list[Any], str, int]:
    """list_assignments as rows: the same page, order, token and total; each row answers what
    convert.to_proto(brief=True) reads of an Assignment (its columns, `units`, `expected`, `raisers`),
    each of the three read for the whole page in one query."""
    stmt = _listed(tracking, unit_ids, leader_id, status, view)
    size = min(max(page_size or 50, 1), 500)
    with tracking.uow.read() as tx:
        total = 0 if token else tx.session.scalar(select(func.count()).select_from(stmt.subquery()))
        if token:
            stmt = stmt.where(after_token(token))
        connection = tx.session.connection()
        result = connection.execute(stmt.with_only_columns(*_LIST_COLUMNS).order_by(*LIST_ORDER).limit(size + 1))
        found = result.all()
        rows, more = found[:size], len(found) > size
        units: dict[str, list[Any]] = defaultdict(list)
        expected: dict[str, list[Any]] = defaultdict(list)
        raisers: dict[str, list[Any]] = defaultdict(list)
        if rows:
            ids = [r.item_id for r in rows]
            for unit in connection.execute(_UNITS_OF, {"ids": ids}).all():
                units[unit.item_id].append(unit)
            for report in connection.execute(_EXPECTED_OF, {"ids": ids}).all():
                expected[report.item_id].append(report)
            for raiser in connection.execute(_RAISERS_OF, {"ids": ids}).all():
                raisers[raiser.item_id].append(raiser)
    listed = cast(Callable[..., Any], namedtuple("listed", [*result.keys(), "units", "expected", "raisers"]))
    page = [listed(*r, units[r.item_id], expected[r.item_id], raisers[r.item_id]) for r in rows]
    return page, (page_token(found[size - 1]) if more else ""), total or 0


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
