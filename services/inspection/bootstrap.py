"""Composition root of inspection: settings to real adapters, the item-events consumer, the sweeper and
the ledger client it names units and people and registers items with."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from duban.inspection.v1 import inspection_pb2_grpc
from duban.ledger.v1 import ledger_pb2_grpc
from libs.common import call_auth
from libs.common.calendar import load_calendar
from libs.common.clock import Clock
from libs.common.config import ConfigError
from libs.common.directory_client import DirectoryClient
from libs.common.kafka import Producer
from libs.common.photos import PhotoLimits
from libs.common.service_app import App
from libs.common.service_table import service
from libs.common.storage import open_storage
from services.inspection import consumer, jobs
from services.inspection.config import Settings
from services.inspection.context import Inspection
from services.inspection.grpc_api import WRITE_METHODS, InspectionServicer

logger = logging.getLogger(__name__)
ROW = service("inspection")
LEDGER = service("ledger")
MIGRATIONS = Path(__file__).with_name("migrations")
InspectionApp = App[Settings, Inspection]


def ledger_stub(app: InspectionApp) -> object:
    """The ledger, called as the inspection service (its own key); built on first use."""
    address = app.settings.reconcile.source_addrs.get("ledger", "")
    if not address:
        raise ConfigError(f"{LEDGER.addr_env} is required: inspection reads the ledger's directory and items")
    if app.parts.signer is None:
        raise ConfigError("DUBAN_CALL_SIGNING_KEY is required: inspection calls the ledger as itself")
    return ledger_pb2_grpc.LedgerServiceStub(call_auth.signed_channel(address, app.parts.signer, "ledger"))


def bootstrap(settings: Settings, clock: Clock | None = None, producer: Producer | None = None) -> InspectionApp:
    app: InspectionApp = App.build(ROW, settings, MIGRATIONS, clock, producer)
    ledger = functools.cache(lambda: ledger_stub(app))
    app.core = inspection = Inspection(
        uow=app.uow,
        clock=app.clock,
        calendar=load_calendar(settings.calendar_dir or None),
        storage=open_storage(settings.storage),
        directory=DirectoryClient(ledger, settings.directory_ttl_seconds),
        ledger=ledger,
        photo_limits=PhotoLimits(max_bytes=settings.photo_max_bytes, max_pixels=settings.photo_max_pixels),
        office_name=settings.office_name,
        plan_no_pattern=settings.plan_no_pattern,
        rectification_working_days=settings.rectification_working_days,
    )
    app.serve(inspection_pb2_grpc.add_InspectionServiceServicer_to_server, InspectionServicer(inspection), WRITE_METHODS)
    app.consume(consumer.GROUP, consumer.handler(inspection))
    if settings.sweep_interval_seconds > 0:
        app.every("sweeper", settings.sweep_interval_seconds, lambda: sweep_and_log(inspection))
    # A finding carries up to nine photos of up to photo_max_bytes each.
    app.max_message_bytes = max(app.max_message_bytes, settings.photo_max_bytes * 10)
    return app


def sweep_and_log(inspection: Inspection) -> None:
    overdue = jobs.run_sweeps(inspection)
    if overdue:
        logger.info("sweep: %s rectifications overdue", overdue)
