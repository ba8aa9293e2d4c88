"""The parts every service process is made of, assembled one way: database + migrations, unit of work,
producer + outbox relay, consumers, and the gRPC server with health turning SERVING last."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from libs.common import clock_control, eventlog, migrations, topics
from libs.common.clock import Clock, clock_from_setting
from libs.common.config import ReconcileSettings, ServiceSettings
from libs.common.consumer import ConsumerRunner, Handler
from libs.common.db import UnitOfWorkFactory, make_engine
from libs.common.grpc_server import RunningServer, create_server
from libs.common.kafka import Producer, ensure_topics
from libs.common.outbox import OutboxRelay
from libs.common.reconcile import Reconciler
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
    group_prefix: str = ""
    reconcile: ReconcileSettings | None = None
    consumers: list[ConsumerRunner] = field(default_factory=list)
    reconcilers: list[Reconciler] = field(default_factory=list)
    server: RunningServer | None = None

    def consume(self, group: str, topics_: list[str], handler: Handler) -> ConsumerRunner:
        """An idempotent consumer whose effects share this service's database (processed ids included),
        and, for each topic whose source service has an address, the reconciler that repairs its gaps."""
        runner = ConsumerRunner(name=self.group_prefix + group, bootstrap=self.kafka_bootstrap, topics_=topics_,
                                handler=handler, uow=self.uow, producer=self.producer)
        self.consumers.append(runner)
        for topic in topics_:
            source = topics.SOURCE_OF.get(topic, "")
            address = self.reconcile.source_addrs.get(source) if self.reconcile else None
            if address:
                self.reconcilers.append(Reconciler(
                    service=self.service, runner=runner, source=source, topic=topic, address=address,
                    interval_seconds=self.reconcile.interval_seconds,  # type: ignore[union-attr]
                    settle_seconds=self.reconcile.settle_seconds))  # type: ignore[union-attr]
            else:
                logger.info("%s: %s from %s is not reconciled (no address for %s)", self.service, topic,
                            source or "?", source or "its source")
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
                        prepare=lambda: ensure_topics(kafka_bootstrap, [own_topic]),
                        prune=eventlog.pruner(engine, settings.outbox_retention_hours, service))
    return ServiceParts(service, kafka_bootstrap, engine, uow, producer, relay, group_prefix, settings.reconcile)


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
) -> RunningServer:
    """Serve gRPC, run the relay and the consumers in background threads; SERVING once the DB answers."""
    # Every service serves its retained outbox, so its consumers elsewhere can repair their gaps.
    registrations = [*registrations, *eventlog.registrations(parts.engine)]
    server = create_server(service=parts.service, registrations=registrations, port=port, host=host,
                           max_message_bytes=max_message_bytes)
    runtime.spawn("outbox-relay", parts.relay.run)
    for reconciler in parts.reconcilers:
        runtime.spawn(f"reconcile-{reconciler.runner.name}-{reconciler.source}", reconciler.run)
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
