"""ClockControl: lets a test or demo stack move a service's clock (DUBAN_CLOCK_CONTROL=true only).

Production never registers it (the Helm chart has no value for it): time there is the system's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import grpc

from duban.common.v1 import common_pb2, common_pb2_grpc
from libs.common.clock import OFFICE_TZ, Clock, ManualClock, SystemClock
from libs.common.errors import InvalidInput

SERVICE_NAME = common_pb2.DESCRIPTOR.services_by_name["ClockControl"].full_name


class ClockControlServicer(common_pb2_grpc.ClockControlServicer):
    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    def SetTime(  # noqa: N802
        self, request: common_pb2.SetTimeRequest, context: grpc.ServicerContext
    ) -> common_pb2.SetTimeResponse:
        try:
            when = dt.datetime.fromisoformat(request.now)
        except ValueError:
            raise InvalidInput(f"bad time {request.now!r}", {"now": "应为 ISO 8601 时间"}) from None
        self.clock.set(when if when.tzinfo else when.replace(tzinfo=OFFICE_TZ))
        return common_pb2.SetTimeResponse(now=self.clock.now().isoformat())


def controllable_clock(enabled: bool, base: Clock) -> Clock:
    """With control on, a ManualClock starting at the base clock's now; otherwise the base clock."""
    if not enabled or isinstance(base, ManualClock):
        return base
    return ManualClock(SystemClock().now() if isinstance(base, SystemClock) else base.now())


def registrations(enabled: bool, clock: Clock) -> list[tuple[Callable[[Any, Any], None], Any, str]]:
    if not enabled or not isinstance(clock, ManualClock):
        return []
    return [(common_pb2_grpc.add_ClockControlServicer_to_server, ClockControlServicer(clock), SERVICE_NAME)]
