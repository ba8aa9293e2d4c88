"""Composition root of the ledger: wires settings to real adapters. Nothing connects at import time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from duban.ledger.v1 import ledger_pb2_grpc
from libs.common import clock_control, topics
from libs.common.calendar import load_calendar
from libs.common.clock import Clock
from libs.common.db import UnitOfWorkFactory
from libs.common.grpc_server import RunningServer
from libs.common.kafka import Producer
from libs.common.lights import LightPolicy
from libs.common.outbox import OutboxRelay
from libs.common.runtime import Runtime
from libs.common.service_app import ServiceParts, build_parts, service_clock, start_parts
from services.ledger import consumer
from services.ledger.config import Settings
from services.ledger.grpc_api import SERVICE_NAME, WRITE_METHODS, LedgerServicer
from services.ledger.handlers import Ledger

MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass
class LedgerApp:
    settings: Settings
    ledger: Ledger
    parts: ServiceParts

    @property
    def uow(self) -> UnitOfWorkFactory:
        return self.parts.uow

    @property
    def relay(self) -> OutboxRelay:
        return self.parts.relay

    @property
    def server(self) -> RunningServer | None:
        return self.parts.server


def bootstrap(settings: Settings, clock: Clock | None = None, producer: Producer | None = None) -> LedgerApp:
    parts = build_parts("ledger", settings, MIGRATIONS, topics.LEDGER_EVENTS, producer)
    ledger = Ledger(
        uow=parts.uow,
        clock=service_clock(settings, clock),
        calendar=load_calendar(settings.calendar_dir or None),
        policy=settings.due_policy,
        item_no_pattern=settings.item_no_pattern,
        light_policy=LightPolicy(yellow_within=settings.yellow_within),
        calendar_dir=settings.calendar_dir or None,
    )
    # The ledger's status columns (交办时间, 转期, 办理结果, 销号) follow tracking's events.
    parts.consume(consumer.GROUP, [topics.TRACKING_EVENTS], consumer.handler(ledger))
    return LedgerApp(settings=settings, ledger=ledger, parts=parts)


def start(app: LedgerApp, runtime: Runtime, host: str = "0.0.0.0") -> RunningServer:
    registrations = [(ledger_pb2_grpc.add_LedgerServiceServicer_to_server, LedgerServicer(app.ledger, app.settings),
                      SERVICE_NAME)]
    registrations += clock_control.registrations(app.settings.clock_control, app.ledger.clock)
    return start_parts(app.parts, runtime, registrations, app.settings.grpc_port, host,
                       max_message_bytes=app.settings.import_max_bytes + 1024 * 1024, write_methods=WRITE_METHODS)
