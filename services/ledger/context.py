"""What every ledger use case needs (wired by bootstrap.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from libs.common.calendar import WorkCalendar, load_calendar
from libs.common.clock import Clock
from libs.common.db import UnitOfWorkFactory
from libs.common.lights import Light, LightPolicy, light_of
from services.ledger import domain
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

    def reload_calendar(self) -> None:
        """Pick up year tables installed since start-up (the office's admin path for next year)."""
        self.calendar = load_calendar(self.calendar_dir)

    def yellow_window(self) -> tuple[dt.date, dt.date]:
        """(today, last due date that is still yellow today) - the light thresholds as dates."""
        today = self.clock.today()
        first_green = self.calendar.add_working_days_provisional(today, self.light_policy.yellow_within + 1).value
        return today, first_green - dt.timedelta(days=1)

    def light(self, item: Item) -> Light:
        return light_of(
            self.calendar, self.light_policy, item.due_date, self.clock.today(),
            closed=item.status in ("closed", "archived"), provisional=item.due_date_provisional,
        )
