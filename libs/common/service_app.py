"""The parts every service process is made of, assembled one way: database + migrations, unit of work,
producer + outbox relay, consumers, and the gRPC server with health turning SERVING last."""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from libs.common import clock_control, migrations
from libs.common.clock import Clock, clock_from_setting
from libs.common.config import ServiceSettings
from libs.common.consumer import ConsumerRunner, Handler
from libs.common.db import UnitOfWorkFactory, make_engine
from libs.common.grpc_server import RunningServer, create_server
from libs.common.idempotency import IdempotencyStore
from libs.common.idempotency_grpc import IdempotencyInterceptor
from libs.common.kafka import Producer, ensure_topics
from libs.common.outbox import OutboxRelay
from libs.common.runtime import Runtime

logger = logging.getLogger(__name__)


@dataclass
class ServiceParts:
    service: str
    kafka_bootstrap: str
    engine: Engine
    uow: UnitOfWorkFactory
    producer: Producer
    relay: OutboxRelay
    idempotency: IdempotencyStore
    group_prefix: str = ""
    consumers: list[ConsumerRunner] = field(default_factory=list)
    server: RunningServer | None = None

    def consume(self, group: str, topics: list[str], handler: Handler) -> ConsumerRunner:
        """An idempotent consumer whose effects share this service's database (processed ids included)."""
        runner = ConsumerRunner(name=self.group_prefix + group, bootstrap=self.kafka_bootstrap, topics_=topics, handler=handler,
                                uow=self.uow, producer=self.producer)
        self.consumers.append(runner)
        return runner


def build_parts(
    service: str, settings: ServiceSettings, migrations_dir: Path, own_topic: str, producer: Producer | None = None
) -> ServiceParts:
    engine = make_engine(settings.database_url)
    if settings.migrate_on_start:
        migrations.upgrade(migrations_dir, engine)
    kafka_bootstrap, group_prefix = settings.kafka_bootstrap, settings.group_prefix
    uow = UnitOfWorkFactory(engine)
    producer = producer or Producer(kafka_bootstrap, client_id=service)
    relay = OutboxRelay(engine, producer, service=service, wakeup=uow.events_written, hold=uow.relay_hold,
                        prepare=lambda: ensure_topics(kafka_bootstrap, [own_topic]))
    idempotency = IdempotencyStore(uow, service, dt.timedelta(hours=settings.idempotency_retention_hours),
                                   dt.timedelta(seconds=settings.idempotency_lease_seconds))
    return ServiceParts(service, kafka_bootstrap, engine, uow, producer, relay, idempotency, group_prefix)


def service_clock(settings: ServiceSettings, clock: Clock | None = None) -> Clock:
    """The clock a service runs on: the one given (tests), else fixed or real, controllable if enabled."""
    return clock or clock_control.controllable_clock(settings.clock_control, clock_from_setting(settings.fixed_now))


def start_parts(
    parts: ServiceParts,
    runtime: Runtime,
    registrations: Sequence[tuple[Callable[[Any, Any], None], Any, str]],
    port: int,
    host: str = "0.0.0.0",
    max_message_bytes: int = 32 * 1024 * 1024,
    write_methods: Sequence[str] = (),
) -> RunningServer:
    """Serve gRPC, run the relay and the consumers in background threads; SERVING once the DB answers.

    `write_methods` (full method names, declared once beside each servicer) take idempotency keys.
    """
    server = create_server(service=parts.service, registrations=registrations, port=port, host=host,
                           max_message_bytes=max_message_bytes,
                           interceptors=[IdempotencyInterceptor(parts.idempotency, write_methods)])
    runtime.spawn("outbox-relay", parts.relay.run)
    # Expired keys act as new anyway; pruning only keeps the table small (a few rounds per retention).
    runtime.spawn("idempotency-prune", parts.idempotency.prune_loop(
        min(3600.0, parts.idempotency.retention.total_seconds() / 4)))
    for consumer in parts.consumers:
        runtime.spawn(f"consumer-{consumer.name}", consumer.run)
    runtime.on_stop(lambda: server.stop(grace=5.0))
    with parts.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    # Everything built at start-up lives as long as the process: take it out of the collector's
    # generations, so full collections stay ~1 ms instead of ~30 ms pauses in the middle of calls.
    gc.collect()
    gc.freeze()
    server.set_serving(True)
    parts.server = server
    return server
