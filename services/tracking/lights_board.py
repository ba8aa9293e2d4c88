"""红黄绿灯 over every open item: the list of lights and the board of counts per lead unit.

An item's light depends only on its deadline, today, its missed reports and what other services keep
open about it past its day (domain.item_light), so both are plain SQL: a light filter or a count is a
comparison of the deadline with today and with the last deadline that is still yellow
(lights.last_yellow_deadline), raised by the missed reports (to yellow) and the other raisers (as far
as their source says); reasons are computed once per distinct (deadline, raisers) key, not once per
item. Nothing is loaded through the ORM.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import (
    Case,
    ColumnElement,
    Exists,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
)

from libs.common.errors import InvalidInput
from libs.common.lights import GREEN, RED, YELLOW, last_yellow_deadline, sources_raising_to
from services.tracking import domain
from services.tracking.context import Tracking
from services.tracking.orm import Assignment, AssignmentUnit, ExpectedReport, ItemRaiser
from services.tracking.repository import LIST_ORDER, after_token, page_token

S = TypeVar("S", bound=Select)

LIGHTS = ("", RED, YELLOW, GREEN)
RED_SOURCES = sources_raising_to(RED)
MAX_PAGE = 5000


@dataclass(frozen=True)
class ItemLight:
    item_id: str
    item_no: str
    title: str
    status: str
    due_date: dt.date
    due_date_provisional: bool
    lead_unit_id: str
    lead_unit_name: str
    light: str
    light_reason: str
    missed_reports: int


@dataclass(frozen=True)
class BoardRow:
    unit_id: str
    unit_name: str
    red: int = 0
    yellow: int = 0
    green: int = 0


def _missed_count(today: dt.date) -> ScalarSelect[int]:
    """Per item (correlated): expected reports past their day and not filed - domain.missed_reports."""
    return (select(func.count()).select_from(ExpectedReport)
            .where(ExpectedReport.item_id == Assignment.item_id, ExpectedReport.status.in_(domain.OWED_REPORTS),
                   ExpectedReport.due_on < today)
            .correlate(Assignment).scalar_subquery())


def _scoped(stmt: S, unit_ids: list[str], leader_id: str) -> S:
    # "Not closed" rather than "one of the open statuses": it selects the same items, and SQLite then
    # walks the (due_date, item_no) index for a page instead of sorting every open item for each one.
    stmt = stmt.where(Assignment.status.not_in(domain.CLOSED_STATUSES))
    if unit_ids:
        stmt = stmt.where(exists().where(and_(AssignmentUnit.item_id == Assignment.item_id,
                                              AssignmentUnit.unit_id.in_(unit_ids))))
    if leader_id:
        stmt = stmt.where(Assignment.leader_id == leader_id)
    return stmt


def _raised(today: dt.date, sources: tuple[str, ...] | None = None) -> Exists:
    """Per item (correlated): another service's obligation past its day (of `sources` only, if given)."""
    found = exists().where(ItemRaiser.item_id == Assignment.item_id, ItemRaiser.due_on < today)
    return found.where(ItemRaiser.source.in_(sources)) if sources is not None else found


def _colour(today: dt.date, last_yellow: dt.date, missed: ColumnElement[int], raised_red: ColumnElement[bool],
            raised: ColumnElement[bool]) -> Case[str]:
    """lights.colour_by_dates as a SQL expression: missed reports raise to yellow (lights.RAISERS says so
    for domain.REPORTS), other raisers to red if their source raises to red, else to yellow."""
    return case((or_(Assignment.due_date < today, raised_red), RED),
                (or_(Assignment.due_date <= last_yellow, missed > 0, raised), YELLOW), else_=GREEN)


# Per item and source, the other services' obligations past their day, for a page of items at once.
_RAISED_OF = (select(ItemRaiser.item_id, ItemRaiser.source, func.count())
              .where(ItemRaiser.item_id.in_(bindparam("ids", expanding=True)), ItemRaiser.due_on < bindparam("today"))
              .group_by(ItemRaiser.item_id, ItemRaiser.source))


def list_lights(tracking: Tracking, unit_ids: list[str], leader_id: str, light: str, lead_unit_id: str,
                page_size: int, token: str) -> tuple[list[ItemLight], str, int, dt.date]:
    """Open items, most urgent first (earliest deadline), keyset-paged; total on the first page only."""
    if light not in LIGHTS:
        raise InvalidInput(f"unknown light {light!r}", {"light": "灯应为 red、yellow 或 green"})
    today = tracking.today()
    last_yellow = last_yellow_deadline(tracking.calendar, tracking.policy.light, today)
    missed = _missed_count(today)
    conditions = []
    if lead_unit_id:
        conditions.append(Assignment.lead_unit_id == lead_unit_id)
    if light:
        conditions.append(_colour(today, last_yellow, missed, _raised(today, RED_SOURCES), _raised(today)) == light)
    stmt = _scoped(select(Assignment.item_id, Assignment.item_no, Assignment.title, Assignment.status,
                          Assignment.due_date, Assignment.due_date_provisional, Assignment.lead_unit_id,
                          Assignment.lead_unit_name,
                          missed.label("missed")), unit_ids, leader_id).where(*conditions)
    size = min(max(page_size or 1000, 1), MAX_PAGE)
    with tracking.uow.read() as tx:
        # Counted from the assignments alone: the missed reports only matter when the light is filtered.
        total = 0 if token else tx.session.scalar(
            _scoped(select(func.count()).select_from(Assignment), unit_ids, leader_id).where(*conditions))
        if token:
            stmt = stmt.where(after_token(token))
        rows = tx.session.execute(stmt.order_by(*LIST_ORDER).limit(size + 1)).all()
        raised: dict[str, dict[str, int]] = {}
        if rows:
            for item_id, source, count in tx.session.connection().execute(
                    _RAISED_OF, {"ids": [r.item_id for r in rows[:size]], "today": today}).all():
                raised.setdefault(item_id, {})[source] = count
    reasons: dict[tuple[dt.date, int, bool, tuple[tuple[str, int], ...]], tuple[str, str]] = {}
    items = []
    for item_id, item_no, title, status, due, provisional, lead_id, lead_name, missed_reports in rows[:size]:
        others = raised.get(item_id, {})
        key = (due, missed_reports, provisional, tuple(sorted(others.items())))
        if key not in reasons:
            found = domain.item_light(tracking.calendar, tracking.policy, due, today, False, missed_reports,
                                      provisional, others)
            reasons[key] = (found.colour, found.reason)
        colour, reason = reasons[key]
        items.append(ItemLight(item_id, item_no, title, status, due, provisional, lead_id, lead_name, colour,
                               reason, missed_reports))
    return items, (page_token(rows[size - 1]) if len(rows) > size else ""), total or 0, today


def light_board(tracking: Tracking, unit_ids: list[str], leader_id: str) -> tuple[list[BoardRow], BoardRow, dt.date]:
    """Open items per lead unit and colour, most red first (the overdue board of the office's bulletin)."""
    today = tracking.today()
    last_yellow = last_yellow_deadline(tracking.calendar, tracking.policy.light, today)
    # One pass over the expected reports for all items, instead of one lookup per item.
    missed_by_item = (select(ExpectedReport.item_id, func.count().label("missed"))
                      .where(ExpectedReport.status.in_(domain.OWED_REPORTS), ExpectedReport.due_on < today)
                      .group_by(ExpectedReport.item_id).subquery())
    missed = func.coalesce(missed_by_item.c.missed, 0)
    # And one over the other services' raisers: per item, whether any past its day raises to red.
    raised_by_item = (select(ItemRaiser.item_id,
                             func.max(case((ItemRaiser.source.in_(RED_SOURCES), 1), else_=0)).label("red"))
                      .where(ItemRaiser.due_on < today).group_by(ItemRaiser.item_id).subquery())
    colour = _colour(today, last_yellow, missed, raised_by_item.c.red == 1,
                     raised_by_item.c.item_id.is_not(None)).label("colour")
    stmt = (_scoped(select(Assignment.lead_unit_id, Assignment.lead_unit_name, colour, func.count().label("n"))
                    .outerjoin(missed_by_item, missed_by_item.c.item_id == Assignment.item_id)
                    .outerjoin(raised_by_item, raised_by_item.c.item_id == Assignment.item_id), unit_ids, leader_id)
            .group_by(Assignment.lead_unit_id, Assignment.lead_unit_name, colour))
    with tracking.uow.read() as tx:
        counted = tx.session.execute(stmt).all()
    per_unit: dict[tuple[str, str], dict[str, int]] = {}
    for r in counted:
        per_unit.setdefault((r.lead_unit_id, r.lead_unit_name), {})[r.colour] = r.n
    rows = [BoardRow(unit_id, name, c.get(RED, 0), c.get(YELLOW, 0), c.get(GREEN, 0))
            for (unit_id, name), c in per_unit.items()]
    rows.sort(key=lambda b: (-b.red, -b.yellow, b.unit_name))
    total = BoardRow("", "合计", sum(b.red for b in rows), sum(b.yellow for b in rows), sum(b.green for b in rows))
    return rows, total, today
