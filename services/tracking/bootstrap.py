"""Composition root of tracking: settings to real adapters, the ledger-events consumer and the sweeper."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from duban.tracking.v1 import tracking_pb2_grpc
from libs.common import clock_control, topics
from libs.common.calendar import load_calendar
from libs.common.clock import Clock
from libs.common.grpc_server import RunningServer
from libs.common.kafka import Producer
from libs.common.runtime import Runtime
from libs.common.service_app import ServiceParts, build_parts, service_clock, start_parts
from libs.common.storage import open_storage
from services.tracking import consumer, sweeps
from services.tracking.config import Settings
from services.tracking.grpc_api import SERVICE_NAME, WRITE_METHODS, TrackingServicer
from services.tracking.service import Tracking

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass
class TrackingApp:
    settings: Settings
    tracking: Tracking
    parts: ServiceParts

    @property
    def uow(self):  # type: ignore[no-untyped-def]
        return self.parts.uow


def bootstrap(settings: Settings, clock: Clock | None = None, producer: Producer | None = None) -> TrackingApp:
    parts = build_parts("tracking", settings, MIGRATIONS, topics.TRACKING_EVENTS, producer)
    tracking = Tracking(
        uow=parts.uow,
        clock=service_clock(settings, clock),
        calendar=load_calendar(settings.calendar_dir or None),
        policy=settings.policy,
        storage=open_storage(settings.storage),
        org_name=settings.org_name,
        office_name=settings.office_name,
        notice_no_pattern=settings.notice_no_pattern,
        attachment_max_bytes=settings.attachment_max_bytes,
        calendar_dir=settings.calendar_dir or None,
    )
    parts.consume(consumer.GROUP, [topics.LEDGER_EVENTS], consumer.handler(tracking))
    return TrackingApp(settings, tracking, parts)


def sweeper(tracking: Tracking, interval: float):  # type: ignore[no-untyped-def]
    """The embedded scheduler: the same sweep the CronJob runs, every `interval` seconds."""

    def loop(stop: threading.Event) -> None:
        while not stop.wait(interval):
            try:
                overdue, urged, missed = sweeps.run_sweeps(tracking)
                if overdue or urged or missed:
                    logger.info("sweep: %s overdue, %s urged, %s reports missed", overdue, urged, missed)
            except Exception:  # noqa: BLE001 - the next run tries again; the error is logged
                logger.exception("sweep failed")

    return loop


def start(app: TrackingApp, runtime: Runtime, host: str = "0.0.0.0") -> RunningServer:
    registrations = [(tracking_pb2_grpc.add_TrackingServiceServicer_to_server, TrackingServicer(app.tracking),
                      SERVICE_NAME)]
    registrations += clock_control.registrations(app.settings.clock_control, app.tracking.clock)
    if app.settings.sweep_interval_seconds > 0:
        runtime.spawn("sweeper", sweeper(app.tracking, app.settings.sweep_interval_seconds))
    return start_parts(app.parts, runtime, registrations, app.settings.grpc_port, host,
                       max_message_bytes=app.settings.attachment_max_bytes * 4, write_methods=WRITE_METHODS)
