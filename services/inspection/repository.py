"""Loading plans, findings and escalations (optionally locked for a change), and the keyset order of lists."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select, tuple_

from libs.common.db import UnitOfWork
from libs.common.errors import InvalidInput, NotFound
from services.inspection.orm import Escalation, Finding, KnownItem, Plan, PlanMember, Visit

T = TypeVar("T")
_MISSING: dict[type, tuple[str, str]] = {Plan: ("plan_id", "督查方案不存在"), Finding: ("finding_id", "问题不存在"),
            Escalation: ("escalation_id", "重大问题报告不存在")}


def get(tx: UnitOfWork, model: type[T], key: str, lock: bool = False) -> T:
    """One row by id; `lock` serialises concurrent acts on it (a PostgreSQL row lock; SQLite writes one
    transaction at a time anyway)."""
    session = tx.session
    locking = lock and session.get_bind().dialect.name == "postgresql"
    found = session.get(model, key, with_for_update=True) if locking else session.get(model, key)
    if found is None:
        field, message = _MISSING.get(model, ("id", "记录不存在"))
        raise NotFound(f"no {model.__name__} {key}", {field: message})
    return found


@dataclass(frozen=True)
class TeamMember:
    person_id: str


@dataclass(frozen=True)
class PlanBrief:
    """What recording a finding needs of its plan (status, title, team), in two small queries instead of
    the plan with its items, stops, members, leads and changes: findings arrive by the hundred."""

    id: str
    status: str
    title: str
    members: tuple[TeamMember, ...]


def plan_brief(tx: UnitOfWork, plan_id: str) -> PlanBrief:
    row = tx.session.execute(select(Plan.status, Plan.title).where(Plan.id == plan_id)).first()
    if row is None:
        raise NotFound(f"no Plan {plan_id}", {"plan_id": "督查方案不存在"})
    team = tx.session.scalars(select(PlanMember.person_id).where(PlanMember.plan_id == plan_id))
    return PlanBrief(plan_id, row.status, row.title, tuple(TeamMember(p) for p in team))


def plan_status(tx: UnitOfWork, plan_id: str) -> str:
    status = tx.session.scalar(select(Plan.status).where(Plan.id == plan_id))
    if status is None:
        raise NotFound(f"no Plan {plan_id}", {"plan_id": "督查方案不存在"})
    return status


def known_item(tx: UnitOfWork, item_id: str, field: str = "item_id") -> KnownItem:
    found = tx.session.get(KnownItem, item_id) if item_id else None
    if found is None:
        raise InvalidInput(f"no item {item_id!r}", {field: "督查事项不存在"})
    return found


def finding_by_key(tx: UnitOfWork, plan_id: str, client_key: str) -> Finding | None:
    return tx.session.scalars(select(Finding).where(Finding.plan_id == plan_id, Finding.client_key == client_key)).first()


def visit_by_key(tx: UnitOfWork, plan_id: str, client_key: str) -> Visit | None:
    return tx.session.scalars(select(Visit).where(Visit.plan_id == plan_id, Visit.client_key == client_key)).first()


# Keyset paging of findings: recorded time, then id.
FINDING_ORDER = (Finding.recorded_at, Finding.id)


def finding_token(row: Finding) -> str:
    return base64.urlsafe_b64encode(json.dumps([row.recorded_at.isoformat(), row.id]).encode()).decode()


def after_finding(token: str) -> Any:
    try:
        at, finding_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = (dt.datetime.fromisoformat(at), str(finding_id))
    except (ValueError, TypeError):
        raise InvalidInput("bad page_token", {"page_token": "分页标记无效"}) from None
    return tuple_(*FINDING_ORDER) > tuple_(*cursor)


def plan_token(row: Plan) -> str:
    return base64.urlsafe_b64encode(json.dumps([row.created_at.isoformat(), row.id]).encode()).decode()


def before_plan(token: str) -> Any:
    """Plans are listed newest first."""
    try:
        at, plan_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        cursor = (dt.datetime.fromisoformat(at), str(plan_id))
    except (ValueError, TypeError):
        raise InvalidInput("bad page_token", {"page_token": "分页标记无效"}) from None
    return tuple_(Plan.created_at, Plan.id) < tuple_(*cursor)
