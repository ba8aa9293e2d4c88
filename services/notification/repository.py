"""Loading bulletins (optionally locked for a change) and their keyset order, and reading the projection
as the facts' inputs: items in a period's scope, their raisers, inspection problems."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import defaultdict
from typing import Any

from sqlalchemy import or_, select, tuple_

from libs.common.db import UnitOfWork
from libs.common.errors import InvalidInput, NotFound
from services.notification import domain, facts
from services.notification.domain import ItemState
from services.notification.orm import Bulletin, KnownFinding, KnownItem, KnownRaiser


def get(tx: UnitOfWork, bulletin_id: str, lock: bool = False) -> Bulletin:
    """One bulletin by id; `lock` serialises concurrent acts on it (a PostgreSQL row lock; SQLite writes
    one transaction at a time anyway)."""
    session = tx.session
    locking = lock and session.get_bind().dialect.name == "postgresql"
    found = session.get(Bulletin, bulletin_id, with_for_update=True) if locking else session.get(Bulletin, bulletin_id)
    if found is None:
        raise NotFound(f"no bulletin {bulletin_id}", {"bulletin_id": "通报不存在"})
    return found


def by_period_key(tx: UnitOfWork, key: str) -> Bulletin | None:
    return tx.session.scalars(select(Bulletin).where(Bulletin.period_key == key)).first()


_ITEM_COLUMNS = (KnownItem.item_id, KnownItem.item_no, KnownItem.title, KnownItem.category, KnownItem.key_tracking,
                 KnownItem.unit_id, KnownItem.unit_name, KnownItem.registered_on, KnownItem.due_date,
                 KnownItem.original_due_date, KnownItem.extended, KnownItem.closed_on, KnownItem.status,
                 KnownItem.reason, KnownItem.leader_id)


def items_in(tx: UnitOfWork, kind: str, start: dt.date, end: dt.date, unit_id: str = "") -> list[ItemState]:
    """The items a bulletin of `kind` over [start, end] covers (open at some time in it), as rows, not
    ORM objects: a quarter may hold ten thousand. Rows still waiting for their item.registered (no
    number yet) are left out."""
    query = select(*_ITEM_COLUMNS).where(KnownItem.registered_on <= end, KnownItem.item_no != "",
                                         or_(KnownItem.closed_on.is_(None), KnownItem.closed_on >= start))
    if kind in domain.CATEGORY_OF:
        query = query.where(KnownItem.category == domain.CATEGORY_OF[kind])
    elif kind == domain.MONTHLY:
        query = query.where(KnownItem.key_tracking.is_(True))
    if unit_id:
        query = query.where(KnownItem.unit_id == unit_id)
    return [ItemState(*row) for row in tx.session.execute(query)]  # type: ignore[call-arg]


def items_of_year(tx: UnitOfWork, year: int) -> list[ItemState]:
    query = select(*_ITEM_COLUMNS).where(KnownItem.registered_on >= dt.date(year, 1, 1),
                                         KnownItem.registered_on <= dt.date(year, 12, 31), KnownItem.item_no != "")
    return [ItemState(*row) for row in tx.session.execute(query)]  # type: ignore[call-arg]


def raised(tx: UnitOfWork, item_ids: set[str], day: dt.date) -> dict[str, dict[str, int]]:
    """Per item, how many of its obligations of each source were past their day on `day`."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    rows = tx.session.execute(select(KnownRaiser.item_id, KnownRaiser.source).where(KnownRaiser.due_on < day))
    for item_id, source in rows:
        if item_id in item_ids:
            out[item_id][source] = out[item_id].get(source, 0) + 1
    return out


def problems(tx: UnitOfWork, end: dt.date) -> list[facts.Problem]:
    rows = tx.session.scalars(select(KnownFinding).where(KnownFinding.recorded_on <= end))
    return [facts.Problem(f.finding_id, f.item_id, f.item_no, f.unit_id, f.unit_name, f.text, f.category, f.severity,
                          f.rect_status, f.due_date, f.relapses, f.recorded_on, f.rectified_on) for f in rows]


def unit_name(tx: UnitOfWork, unit_id: str) -> str:
    return tx.session.scalars(select(KnownItem.unit_name).where(KnownItem.unit_id == unit_id).limit(1)).first() or ""


# Keyset paging of bulletins: newest first (created time, then id).
def bulletin_token(row: Bulletin) -> str:
    return base64.urlsafe_b64encode(json.dumps([row.created_at.isoformat(), row.id]).encode()).decode()


def before_bulletin(token: str) -> Any:
    try:
        at, bulletin_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = (dt.datetime.fromisoformat(at), str(bulletin_id))
    except (ValueError, TypeError):
        raise InvalidInput("bad page_token", {"page_token": "分页标记无效"}) from None
    return tuple_(Bulletin.created_at, Bulletin.id) < tuple_(*cursor)
