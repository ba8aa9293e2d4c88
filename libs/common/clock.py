"""The injectable clock: all code asks a Clock for "now", so tests move time instead of sleeping."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol
from zoneinfo import ZoneInfo

# The district works on Beijing time; "today" for deadlines is the local date there.
OFFICE_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """An aware datetime (UTC)."""

    def today(self) -> dt.date:
        """The office's local date."""


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(OFFICE_TZ).date()


class ManualClock:
    """A clock that only moves when told to; for tests and for the demo stack's time travel."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(dt.UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def today(self) -> dt.date:
        return self.now().astimezone(OFFICE_TZ).date()

    def advance(self, delta: dt.timedelta) -> None:
        with self._lock:
            self._now += delta

    def set(self, when: dt.datetime) -> None:
        with self._lock:
            self._now = when.astimezone(dt.UTC)


def clock_from_setting(fixed_now: str | None) -> Clock:
    """`DUBAN_FIXED_NOW` (ISO datetime) pins the clock for demos and stack tests; unset means real time."""
    if not fixed_now:
        return SystemClock()
    when = dt.datetime.fromisoformat(fixed_now)
    if when.tzinfo is None:
        when = when.replace(tzinfo=OFFICE_TZ)
    return ManualClock(when)
