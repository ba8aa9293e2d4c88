"""What every evaluation use case needs (wired by bootstrap.py), and who may see whose scores.

A named person's score is seen by that person, their unit's staff who answer for it (the unit's 部门督查员,
acting for its head), the office, the assessment office and leaders - never by other units. A unit's score
is seen by its own staff and by those who see everyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from libs.common import permissions
from libs.common.actor import Actor
from libs.common.calendar import WorkCalendar
from libs.common.clock import OFFICE_TZ, Clock
from libs.common.db import UnitOfWorkFactory
from libs.common.errors import PermissionDenied
from services.evaluation import domain
from services.evaluation.rule_sets import RuleSet

SEES_ALL = permissions.OFFICE_ROLES | {permissions.ASSESSMENT, permissions.LEADER, permissions.PRINCIPAL_LEADER,
                                       permissions.SYSTEM}


@dataclass
class Evaluation:
    uow: UnitOfWorkFactory
    clock: Clock
    calendar: WorkCalendar
    office_name: str = "区委区政府督查室"
    # The accepted rule versions per year, read once: only AcceptRules changes them (and clears this), and the
    # service runs as one process (the chart says why).
    rules_cache: dict[int, list[RuleSet]] = field(default_factory=dict)
    calendar_kept: str = ""  # the calendar version this process has made sure is in calendar_versions

    def today(self) -> dt.date:
        return self.clock.today()

    def now(self) -> dt.datetime:
        return self.clock.now()

    def local_now(self) -> dt.datetime:
        return self.clock.now().astimezone(OFFICE_TZ)


def sees_all(actor: Actor) -> bool:
    return bool(SEES_ALL.intersection(actor.roles))


def may_see(actor: Actor, kind: str, subject_id: str, subject_unit_id: str) -> bool:
    """Whether `actor` may read the score of this subject."""
    if sees_all(actor):
        return True
    if kind == domain.UNIT:
        return bool(actor.unit_id) and subject_id == actor.unit_id
    if actor.person_id and subject_id == actor.person_id:
        return True
    return (permissions.DEPT_SUPERVISOR in actor.roles and bool(actor.unit_id)
            and subject_unit_id == actor.unit_id)


def require(actor: Actor, permission: str, message: str) -> None:
    if not permissions.allowed(actor.roles, permission):
        raise PermissionDenied(f"{permission} not allowed for {actor.roles}", {"role": message})
