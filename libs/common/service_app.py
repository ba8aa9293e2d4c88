"""The parts every service process is made of, assembled one way: database + migrations, unit of work,
producer + outbox relay, consumers, background loops, and the gRPC server with health turning SERVING
last; `App` holds them with the service's own use-case context, and `service_main` is every
service's `python -m services.<name>` (serve, migrate, and the service's own jobs)."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, text

from libs.common import call_auth, clock_control, eventlog, migrations, topics
from libs.common.call_auth import Signer
from libs.common.clock import Clock, clock_from_setting
from libs.common.config import ConfigError, ReconcileSettings, ServiceSettings, settings_or_exit
from libs.common.consumer import ConsumerRunner, Handler
from libs.common.db import UnitOfWorkFactory, make_engine
from libs.common.grpc_server import RunningServer, create_server
from libs.common.idempotency import IdempotencyStore
from libs.common.idempotency_grpc import IdempotencyInterceptor
from libs.common.kafka import Producer, ensure_topics
from libs.common.logs import configure_logging
from libs.common.outbox import OutboxRelay
from libs.common.reconcile import Reconciler
from libs.common.runtime import Runtime, serve_forever
from libs.common.service_table import SERVICES, ServiceRow

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
    consumer_skip_before_ms: int = 0  # test stacks only (see ServiceSettings)
    reconcile: ReconcileSettings | None = None
    signer: Signer | None = None  # this service's identity in its calls to others (None: no key given)
    consumers: list[ConsumerRunner] = field(default_factory=list)
    reconcilers: list[Reconciler] = field(default_factory=list)
    server: RunningServer | None = None

    def consume(self, group: str, topics_: list[str], handler: Handler) -> ConsumerRunner:
        """An idempotent consumer whose effects share this service's database (processed ids included),
        and, for each topic whose source service has an address, the reconciler that repairs its gaps."""
        runner = ConsumerRunner(name=self.group_prefix + group, bootstrap=self.kafka_bootstrap, topics_=topics_,
                                handler=handler, uow=self.uow, producer=self.producer,
                                skip_before_ms=self.consumer_skip_before_ms)
        self.consumers.append(runner)
        for topic in topics_:
            source = topics.SOURCE_OF.get(topic, "")
            address = self.reconcile.source_addrs.get(source) if self.reconcile else None
            if address and self.signer is None:
                logger.error("%s: %s from %s is not reconciled: no signing key (DUBAN_CALL_SIGNING_KEY) to "
                             "call %s with", self.service, topic, source, source)
            elif address and self.signer is not None:
                self.reconcilers.append(Reconciler(
                    service=self.service, runner=runner, source=source, topic=topic, address=address,
                    signer=self.signer,
                    interval_seconds=self.reconcile.interval_seconds,  # type: ignore[union-attr]
                    settle_seconds=self.reconcile.settle_seconds))  # type: ignore[union-attr]
            elif source not in {row.name for row in SERVICES}:
                # A topic whose service is still to be built (inspection's, read before it runs): its
                # events, once any are published, come through the broker alone until the service's row
                # exists and its address is set - then its reconciler starts like any other.
                logger.info("%s: %s is read from the broker only, not reconciled: its source service %s is not "
                            "in libs/common/service_table.py yet (no event log to ask)", self.service, topic,
                            source or "?")
            else:
                logger.info("%s: %s from %s is not reconciled: no address for %s (DUBAN_%s_ADDR)", self.service,
                            topic, source, source, source.upper())
        return runner


def build_parts(
    service: str, settings: ServiceSettings, migrations_dir: Path, own_topic: str, producer: Producer | None = None
) -> ServiceParts:
    """The runtime parts of one service process (migrated database, unit of work, producer, relay)."""
    engine = make_engine(settings.database_url)
    if settings.migrate_on_start:
        migrations.upgrade(migrations_dir, engine)
    kafka_bootstrap, group_prefix = settings.kafka_bootstrap, settings.group_prefix
    uow = UnitOfWorkFactory(engine)
    producer = producer or Producer(kafka_bootstrap, client_id=service)
    relay = OutboxRelay(engine, producer, service=service, wakeup=uow.events_written, hold=uow.relay_hold,
                        prepare=lambda: ensure_topics(kafka_bootstrap, [own_topic]),
                        prune=eventlog.pruner(engine, settings.outbox_retention_hours, service))
    idempotency = IdempotencyStore(uow, service, dt.timedelta(hours=settings.idempotency_retention_hours),
                                   dt.timedelta(seconds=settings.idempotency_lease_seconds))
    return ServiceParts(service, kafka_bootstrap, engine, uow, producer, relay, idempotency, group_prefix,
                        settings.consumer_skip_before_ms, settings.reconcile,
                        call_auth.signer_for(settings.call_auth, service))


def service_clock(settings: ServiceSettings, clock: Clock | None = None) -> Clock:
    """The clock a service runs on: the one given (tests), else fixed or real, controllable if enabled."""
    return clock or clock_control.controllable_clock(settings.clock_control, clock_from_setting(settings.fixed_now))


def start_parts(
    parts: ServiceParts,
    runtime: Runtime,
    registrations: Sequence[tuple[Callable[[Any, Any], None], Any, str]],
    port: int,
    verifier: call_auth.Verifier,
    host: str = "0.0.0.0",
    max_message_bytes: int = 32 * 1024 * 1024,
    write_methods: Sequence[str] = (),
) -> RunningServer:
    """Serve gRPC, run the relay and the consumers in background threads; SERVING once the DB answers.

    `write_methods` (full method names, declared once beside each servicer) take idempotency keys.
    `verifier` checks every call's token (libs/common/call_auth.py).
    """
    # Every service serves its retained outbox, so its consumers elsewhere can repair their gaps.
    registrations = [*registrations, *eventlog.registrations(parts.engine)]
    server = create_server(service=parts.service, registrations=registrations, verifier=verifier, port=port,
                           host=host, max_message_bytes=max_message_bytes,
                           interceptors=[IdempotencyInterceptor(parts.idempotency, write_methods)])
    runtime.spawn("outbox-relay", parts.relay.run)
    # Expired keys act as new anyway; pruning only keeps the table small (a few rounds per retention).
    runtime.spawn("idempotency-prune", parts.idempotency.prune_loop(
        min(3600.0, parts.idempotency.retention.total_seconds() / 4)))
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


Registration = tuple[Callable[[Any, Any], None], Any, str]
S = TypeVar("S", bound=ServiceSettings)
C = TypeVar("C")


@dataclass
class App(Generic[S, C]):
    """One service process: its settings, its use cases' context (`core`) and the runtime parts.

    bootstrap.py builds it (`App.build`, then the core, then `serve`/`consume`/`every`); `start` serves
    it; nothing connects before `App.build`.
    """

    row: ServiceRow
    settings: S
    parts: ServiceParts
    clock: Clock
    core: C = None  # type: ignore[assignment]  # set by the service's bootstrap right after build
    registrations: list[Registration] = field(default_factory=list)
    write_methods: list[str] = field(default_factory=list)  # full method names that take idempotency keys
    loops: list[tuple[str, Callable[[threading.Event], None]]] = field(default_factory=list)
    max_message_bytes: int = 32 * 1024 * 1024

    @classmethod
    def build(cls, row: ServiceRow, settings: S, migrations_dir: Path, clock: Clock | None = None,
              producer: Producer | None = None) -> App[S, C]:
        parts = build_parts(row.name, settings, migrations_dir, row.topic, producer)
        return cls(row=row, settings=settings, parts=parts, clock=service_clock(settings, clock))

    @property
    def uow(self) -> UnitOfWorkFactory:
        return self.parts.uow

    @property
    def relay(self) -> OutboxRelay:
        return self.parts.relay

    @property
    def server(self) -> RunningServer | None:
        return self.parts.server

    def serve(self, add_to_server: Callable[[Any, Any], None], servicer: Any, write_methods: Sequence[str] = ()) -> None:
        """Serve `servicer` (a generated add_XServicer_to_server and its implementation) under the
        service's gRPC name from the service table; `write_methods` (declared once beside the servicer)
        take idempotency keys (libs/common/idempotency.py)."""
        self.registrations.append((add_to_server, servicer, self.row.grpc_service))
        self.write_methods.extend(write_methods)

    def consume(self, group: str, handler: Handler, topics_: Sequence[str] | None = None) -> ConsumerRunner:
        """An idempotent consumer of the topics the service table says this service reads."""
        return self.parts.consume(group, list(topics_ if topics_ is not None else self.row.consumes), handler)

    def every(self, name: str, seconds: float, job: Callable[[], object]) -> None:
        """The embedded scheduler: run `job` every `seconds` (the same job a CronJob runs once); a
        failed run is logged and the next one tries again."""

        def loop(stop: threading.Event) -> None:
            while not stop.wait(seconds):
                try:
                    job()
                except Exception:  # noqa: BLE001 - the next run tries again; the error is logged
                    logger.exception("%s: job %s failed", self.row.name, name)

        self.loops.append((name, loop))

    def start(self, runtime: Runtime, host: str | None = None, port: int | None = None) -> RunningServer:
        registrations = self.registrations + clock_control.registrations(self.settings.clock_control, self.clock)
        for name, loop in self.loops:
            runtime.spawn(name, loop)
        return start_parts(self.parts, runtime, registrations, self.settings.grpc_port if port is None else port,
                           call_auth.verifier_for(self.settings.call_auth, self.row.name), host or self.settings.grpc_host, max_message_bytes=self.max_message_bytes,
                           write_methods=self.write_methods)


Command = Callable[[App[Any, Any], argparse.Namespace], int]


def service_main(
    row: ServiceRow,
    settings_from_env: Callable[[], S],
    bootstrap: Callable[[S], App[S, Any]],
    migrations_dir: Path,
    argv: list[str] | None = None,
    commands: Mapping[str, tuple[str, Command]] | None = None,
    arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """`python -m services.<name> [serve|migrate|<job>]`, the same for every service: the image's
    entrypoint, `make run` and the CronJobs. `commands` maps a job's name to (help, run once)."""
    commands = dict(commands or {})
    parser = argparse.ArgumentParser(prog=f"python -m services.{row.name}")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate", *commands],
                        help="; ".join(f"{name}: {text}" for name, (text, _) in commands.items()) or None)
    if arguments:
        arguments(parser)
    args = parser.parse_args(argv)
    settings = settings_or_exit(row.name, settings_from_env)
    configure_logging(row.name, settings.log_level)
    if args.command == "migrate":
        migrations.upgrade(migrations_dir, make_engine(settings.database_url))
        return 0
    if args.command == "serve":
        try:  # refuse to serve unverified before anything connects
            call_auth.verifier_for(settings.call_auth, row.name)
        except ConfigError as exc:
            print(f"{row.name}: configuration error: {exc}", file=sys.stderr)
            return 2
    try:  # what bootstrap checks of its own (notification's templates) ends the same way, without a traceback
        app = bootstrap(settings)
    except ConfigError as exc:
        print(f"{row.name}: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command in commands:
        return commands[args.command][1](app, args)
    return serve_forever(row.name, settings.metrics_port, lambda runtime: app.start(runtime), settings.metrics_host)
