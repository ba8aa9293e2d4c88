"""Composition root of the ledger: wires settings to real adapters. Nothing connects at import time."""

from __future__ import annotations

from pathlib import Path

from duban.ledger.v1 import ledger_pb2_grpc
from libs.common.calendar import load_calendar
from libs.common.clock import Clock
from libs.common.kafka import Producer
from libs.common.lights import LightPolicy
from libs.common.service_app import App
from libs.common.service_table import service
from services.ledger import consumer, jobs
from services.ledger.config import Settings
from services.ledger.context import Ledger
from services.ledger.grpc_api import WRITE_METHODS, LedgerServicer

ROW = service("ledger")
MIGRATIONS = Path(__file__).with_name("migrations")
LedgerApp = App[Settings, Ledger]


def bootstrap(settings: Settings, clock: Clock | None = None, producer: Producer | None = None) -> LedgerApp:
    app: LedgerApp = App.build(ROW, settings, MIGRATIONS, clock, producer)
    app.core = ledger = Ledger(
        uow=app.uow,
        clock=app.clock,
        calendar=load_calendar(settings.calendar_dir or None),
        policy=settings.due_policy,
        item_no_pattern=settings.item_no_pattern,
        light_policy=LightPolicy(yellow_within=settings.yellow_within),
        calendar_dir=settings.calendar_dir or None,
    )
    # Imports run here, in the ledger's own worker, never in the call that uploads the file.
    import_worker = jobs.ImportWorker(ledger, settings.imports, settings.import_max_bytes)
    app.loops.append(("import-worker", import_worker.run))
    app.serve(ledger_pb2_grpc.add_LedgerServiceServicer_to_server, LedgerServicer(ledger, settings, import_worker),
              WRITE_METHODS)
    # The ledger's status columns (交办时间, 转期, 办理结果, 销号) follow tracking's events.
    app.consume(consumer.GROUP, consumer.handler(ledger))
    app.max_message_bytes = settings.import_max_bytes + 1024 * 1024
    return app
