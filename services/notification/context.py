"""What every notification use case needs (wired by bootstrap.py), and who may see and act on what.

Who sees what: a published bulletin everyone (the portal's 通报 board; units filter for where they are
named); the office every bulletin; the principal leader (主要领导) those submitted to them and after; a
department's supervisor the internal bulletins of their own department.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from libs.common import permissions, printing
from libs.common.actor import Actor
from libs.common.calendar import WorkCalendar
from libs.common.clock import OFFICE_TZ, Clock
from libs.common.config import ConfigError
from libs.common.db import UnitOfWorkFactory
from libs.common.directory_client import DirectoryClient
from libs.common.errors import NotFound, PermissionDenied
from libs.common.lights import LightPolicy
from libs.common.storage import Storage
from services.notification import domain
from services.notification.bulletin_templates import Templates, committed
from services.notification.facts import Thresholds
from services.notification.orm import Bulletin


def _docx_to_pdf(data: bytes) -> bytes:
    return printing.to_pdf(data, ".docx")


@dataclass
class Notification:
    uow: UnitOfWorkFactory
    clock: Clock
    calendar: WorkCalendar
    storage: Storage
    ledger: Callable[[], object]  # () -> LedgerServiceStub signed as the notification service
    light: LightPolicy = field(default_factory=LightPolicy)
    office_name: str = "区委区政府督查室"
    org_name: str = "海东市平安区"
    document_no_pattern: str = "平督通〔{year}〕{seq}号"
    thresholds: Thresholds = field(default_factory=Thresholds)
    bulletins_since: dt.date = dt.date(2026, 1, 1)
    clearance_from: str = "12-01"
    ledger_timeout_seconds: int = 10
    to_pdf: Callable[[bytes], bytes] = _docx_to_pdf  # LibreOffice headless (libs/common/printing.py)
    directory: DirectoryClient | None = None  # the ledger's units and people: whom reminders reach
    templates: Templates = field(default_factory=committed)  # the DOCX templates, read and checked at start-up

    def today(self) -> dt.date:
        return self.clock.today()

    def local_now(self) -> dt.datetime:
        return self.clock.now().astimezone(OFFICE_TZ)

    def reminders_directory(self) -> DirectoryClient:
        if self.directory is None:
            raise ConfigError("notification has no directory client: reminders cannot find their recipients")
        return self.directory


def require(actor: Actor, permission: str, message: str) -> None:
    if not permissions.allowed(actor.roles, permission):
        raise PermissionDenied(f"{permission} not allowed for {actor.roles}", {"role": message})


def is_office(actor: Actor) -> bool:
    return bool(permissions.OFFICE_ROLES.intersection(actor.roles)) or permissions.SYSTEM in actor.roles


def is_principal(actor: Actor) -> bool:
    return permissions.PRINCIPAL_LEADER in actor.roles


def is_department(actor: Actor, scope_unit_id: str) -> bool:
    """A department's supervisor on its own internal bulletins (Art. 3)."""
    return bool(scope_unit_id) and permissions.DEPT_SUPERVISOR in actor.roles and actor.unit_id == scope_unit_id


def may_see(actor: Actor, bulletin: Bulletin) -> bool:
    if bulletin.status == domain.PUBLISHED or is_office(actor) or permissions.ASSESSMENT in actor.roles:
        return True
    if is_principal(actor) and bulletin.status in (domain.SUBMITTED, domain.APPROVED, domain.RETURNED):
        return True
    return is_department(actor, bulletin.scope_unit_id)


def require_view(actor: Actor, bulletin: Bulletin) -> None:
    if not may_see(actor, bulletin):
        # Not found, not forbidden: a draft naming units is not for everyone to know of.
        raise NotFound(f"bulletin {bulletin.id} not visible to {actor.user_id}", {"bulletin_id": "通报不存在"})


def require_drafter(actor: Actor, scope_unit_id: str) -> None:
    """Drafting, editing, submitting: the office (district-wide and any department's), or a department's
    supervisor for its own internal bulletins."""
    require(actor, "bulletins.draft", "只有督查室（或部门督查员对本部门内部事项）可以起草通报")
    if not is_office(actor) and not is_department(actor, scope_unit_id):
        raise PermissionDenied(f"{actor.user_id} may not draft for {scope_unit_id or 'the district'}",
                               {"scope_unit_id": "部门督查员只能起草本部门内部事项的通报"})
