"""What every ledger use case needs (wired by bootstrap.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row

from libs.common import lights
from libs.common.calendar import WorkCalendar, load_calendar
from libs.common.clock import Clock
from libs.common.db import UnitOfWorkFactory
from libs.common.lights import Light, LightPolicy
from libs.common.snapshot import VersionedSnapshot
from services.ledger import domain, repository
from services.ledger.orm import Item


@dataclass
class Ledger:
    """Everything the use cases need, wired by bootstrap.py."""

    uow: UnitOfWorkFactory
    clock: Clock
    calendar: WorkCalendar
    policy: domain.DuePolicy
    item_no_pattern: str
    light_policy: LightPolicy = LightPolicy()
    calendar_dir: str | None = None
    # Units and people, read again only after UpsertUnit/UpsertPerson changed them (libs/common/snapshot.py).
    directory: VersionedSnapshot[repository.Directory] = field(
        default_factory=lambda: VersionedSnapshot(repository.directory_version, repository.load_directory))

    def reload_calendar(self) -> None:
        """Pick up year tables installed since start-up (the office's admin path for next year)."""
        self.calendar = load_calendar(self.calendar_dir)

    def light_edge(self) -> tuple[dt.date, dt.date]:
        """(today, the latest deadline still yellow today): the light thresholds as dates for lists."""
        today = self.clock.today()
        return today, lights.last_yellow_deadline(self.calendar, self.light_policy, today)

    def light(self, item: Item | Row[Any], raised: Mapping[str, int] | None = None, today: dt.date | None = None) -> Light:
        """The item's one light (libs.common.lights.item_light): its deadline, and what the obligations
        past their day (tracking's reports, inspection's rectifications) raise it by (`raised`, from
        repository.raised_counts). `item` may be a row with the same columns (due_date, status,
        due_date_provisional)."""
        return lights.item_light(
            self.calendar, self.light_policy, item.due_date, today or self.clock.today(),
            closed=item.status in domain.CLOSED_STATUSES, provisional=item.due_date_provisional, raised=raised,
        )
