"""Composition root of the ledger: wires settings to real adapters. Nothing connects at import time."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from duban.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from libs.common import migrations, topics
from libs.common.calendar import load_calendar
from libs.common.clock import Clock, clock_from_setting
from libs.common.db import UnitOfWorkFactory, make_engine
from libs.common.grpc_server import RunningServer, create_server
from libs.common.kafka import Producer, ensure_topics
from libs.common.lights import LightPolicy
from libs.common.outbox import OutboxRelay
from libs.common.runtime import Runtime
from services.ledger.config import Settings
from services.ledger.grpc_api import LedgerServicer
from services.ledger.handlers import Ledger

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
SERVICE_NAME = ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"].full_name


@dataclass
class LedgerApp:
    settings: Settings
    ledger: Ledger
    uow: UnitOfWorkFactory
    relay: OutboxRelay
    server: RunningServer | None = None


def bootstrap(settings: Settings, clock: Clock | None = None, producer: Producer | None = None) -> LedgerApp:
    engine = make_engine(settings.database_url)
    if settings.migrate_on_start:
        migrations.upgrade(MIGRATIONS, engine)
    uow = UnitOfWorkFactory(engine)
    ledger = Ledger(
        uow=uow,
        clock=clock or clock_from_setting(settings.fixed_now),
        calendar=load_calendar(settings.calendar_dir or None),
        policy=settings.due_policy,
        item_no_pattern=settings.item_no_pattern,
        light_policy=LightPolicy(yellow_within=settings.yellow_within),
        calendar_dir=settings.calendar_dir or None,
    )
    producer = producer or Producer(settings.kafka_bootstrap, client_id="ledger")
    relay = OutboxRelay(
        engine, producer, service="ledger", wakeup=uow.events_written,
        prepare=lambda: ensure_topics(settings.kafka_bootstrap, [topics.LEDGER_EVENTS]),
    )
    return LedgerApp(settings=settings, ledger=ledger, uow=uow, relay=relay)


def start(app: LedgerApp, runtime: Runtime, host: str = "0.0.0.0") -> RunningServer:
    """Start the gRPC server and the outbox relay; health turns SERVING once the database answers."""
    server = create_server(
        service="ledger",
        registrations=[(ledger_pb2_grpc.add_LedgerServiceServicer_to_server, LedgerServicer(app.ledger, app.settings), SERVICE_NAME)],
        port=app.settings.grpc_port,
        host=host,
        max_message_bytes=app.settings.import_max_bytes + 1024 * 1024,
    )
    runtime.spawn("outbox-relay", app.relay.run)
    runtime.on_stop(lambda: server.stop(grace=5.0))
    with app.uow.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    server.set_serving(True)
    app.server = server
    return server
