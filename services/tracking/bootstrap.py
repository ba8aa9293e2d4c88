"""Composition root of tracking: settings to real adapters, the ledger-events consumer and the sweeper."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from duban.inspection.v1 import inspection_pb2_grpc
from duban.tracking.v1 import tracking_pb2_grpc
from libs.common import call_auth
from libs.common.calendar import load_calendar
from libs.common.clock import Clock
from libs.common.kafka import Producer
from libs.common.service_app import App
from libs.common.service_table import service
from libs.common.storage import open_storage
from services.tracking import consumer, jobs
from services.tracking.config import Settings
from services.tracking.context import Tracking
from services.tracking.grpc_api import WRITE_METHODS, TrackingServicer

logger = logging.getLogger(__name__)
ROW = service("tracking")
MIGRATIONS = Path(__file__).with_name("migrations")
TrackingApp = App[Settings, Tracking]


def bootstrap(settings: Settings, clock: Clock | None = None, producer: Producer | None = None) -> TrackingApp:
    app: TrackingApp = App.build(ROW, settings, MIGRATIONS, clock, producer)
    app.core = tracking = Tracking(
        uow=app.uow,
        clock=app.clock,
        calendar=load_calendar(settings.calendar_dir or None),
        policy=settings.policy,
        storage=open_storage(settings.storage),
        org_name=settings.org_name,
        office_name=settings.office_name,
        notice_no_pattern=settings.notice_no_pattern,
        attachment_max_bytes=settings.attachment_max_bytes,
        calendar_dir=settings.calendar_dir or None,
        inspection=inspection_client(app),
    )
    app.serve(tracking_pb2_grpc.add_TrackingServiceServicer_to_server, TrackingServicer(tracking), WRITE_METHODS)
    app.consume(consumer.GROUP, consumer.handler(tracking))
    if settings.sweep_interval_seconds > 0:
        # The embedded scheduler: the same sweep the CronJob runs.
        app.every("sweeper", settings.sweep_interval_seconds, lambda: sweep_and_log(tracking))
    app.max_message_bytes = settings.attachment_max_bytes * 4
    return app


def inspection_client(app: TrackingApp) -> Callable[[], Any] | None:
    """The inspection service, called as tracking (its own key), built on first use; None without an
    address (a stack without inspection: dossiers then hold no inspection material, and say so in the log)."""
    address = app.settings.reconcile.source_addrs.get("inspection", "")
    signer = app.parts.signer
    if not address or signer is None:
        logger.info("tracking: no inspection service (DUBAN_INSPECTION_ADDR or a signing key missing); "
                    "dossiers are built without inspection material")
        return None
    return functools.cache(lambda: inspection_pb2_grpc.InspectionServiceStub(
        call_auth.signed_channel(address, signer, "inspection",
                                 options=[("grpc.max_receive_message_length", 256 * 1024 * 1024)])))


def sweep_and_log(tracking: Tracking) -> None:
    overdue, urged, missed = jobs.run_sweeps(tracking)
    if overdue or urged or missed:
        logger.info("sweep: %s overdue, %s urged, %s reports missed", overdue, urged, missed)
