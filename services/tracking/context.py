"""What every tracking use case needs (wired by bootstrap.py), and who may act on an assignment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.calendar import WorkCalendar, load_calendar
from libs.common.clock import OFFICE_TZ, Clock
from libs.common.db import UnitOfWorkFactory
from libs.common.errors import PermissionDenied
from libs.common.storage import Storage
from services.tracking.domain import TrackingPolicy
from services.tracking.orm import Assignment
from services.tracking.repository import lead_unit


@dataclass
class Tracking:
    uow: UnitOfWorkFactory
    clock: Clock
    calendar: WorkCalendar
    policy: TrackingPolicy
    storage: Storage
    org_name: str = "海东市平安区政府系统"
    office_name: str = "区委区政府督查室"
    notice_no_pattern: str = "督通〔{year}〕{seq}号"
    attachment_max_bytes: int = 20 * 1024 * 1024
    calendar_dir: str | None = None
    # () -> InspectionServiceStub signed as tracking, or None where no inspection service is configured:
    # its material goes into the dossier and its reports are named on the completion report.
    inspection: Callable[[], Any] | None = None

    def today(self) -> dt.date:
        return self.clock.today()

    def local_now(self) -> dt.datetime:
        return self.clock.now().astimezone(OFFICE_TZ)

    def reload_calendar(self) -> None:
        self.calendar = load_calendar(self.calendar_dir)


def require_unit(actor: Actor, assignment: Assignment, lead_only: bool = False) -> str:
    """The acting unit: the actor's own unit, which must undertake the item (the office may act for it)."""
    permissions.require(actor.roles, "tracking.unit_act")
    units = {u.unit_id for u in assignment.units if not lead_only or u.role == "lead"}
    if permissions.OFFICE_ROLES.intersection(actor.roles):
        return actor.unit_id if actor.unit_id in units else lead_unit(assignment)
    if actor.unit_id not in units:
        what = "牵头单位" if lead_only else "承办单位"
        raise PermissionDenied(f"unit {actor.unit_id} may not act on {assignment.item_no}",
                               {"unit_id": f"只有该事项的{what}可以办理此操作"})
    return actor.unit_id


def acting_unit(actor: Actor, assignment: Assignment, requested: str = "") -> str:
    """The unit an act is done as. Unit staff act only as their own unit (naming another unit is
    refused, not silently swapped); the office may record what a unit gave by phone, naming the unit -
    the act's snapshot keeps that the office recorded it."""
    acting = require_unit(actor, assignment)
    if permissions.OFFICE_ROLES.intersection(actor.roles):
        return requested or acting
    if requested and requested != actor.unit_id:
        raise PermissionDenied(f"unit {actor.unit_id} may not act as {requested}",
                               {"unit_id": "只能以本单位的名义办理"})
    return acting


def require_office(actor: Actor, permission: str) -> None:
    """An act of the supervision office (`permission` from libs/common/permissions.py)."""
    if not permissions.allowed(actor.roles, permission):
        raise PermissionDenied(f"{permission}: supervision office only", {"role": "只有督查室可以办理此操作"})


def require_leader(actor: Actor, assignment: Assignment, act: str) -> None:
    """Only the item's own responsible leader signs (转期签字、销号签字)."""
    if (not permissions.allowed(actor.roles, "tracking.sign") or not actor.person_id
            or actor.person_id != assignment.leader_id):
        raise PermissionDenied(
            f"{act}: only the responsible leader {assignment.leader_id} may sign",
            {"actor": f"只有该事项的责任领导（{assignment.leader_name or '未指定'}）可以{act}"},
        )


