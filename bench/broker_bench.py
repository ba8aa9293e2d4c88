"""`--only broker`: what the broker's durable log costs, and what reconciliation costs at 100,000 events.

B1 runs the same produce/consume loads against Tansu with its log in memory and in PostgreSQL (the
object server of libs/common/pgobjects.py), alternately, in one run: one event at a time (a registration
crossing to tracking) and bursts of 2,000 per flush (the relay after a sweep). B2 fills a source's
outbox with 100,000 sent events and lets a consumer's reconciler check them over gRPC: once with all of
them already applied (the periodic check in a healthy system) and once with none (the broker lost all).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import confluent_kafka
from sqlalchemy import update

from bench.report import Table, percentile
from libs.common import call_auth, eventlog, pgserver
from libs.common.broker import Broker, start_broker
from libs.common.broker_log import durable_broker
from libs.common.cloudevents import CloudEvent
from libs.common.consumer import ConsumerRunner
from libs.common.db import UnitOfWork, UnitOfWorkFactory, make_engine
from libs.common.grpc_server import create_server
from libs.common.kafka import Producer, consumer_config, ensure_topics
from libs.common.outbox import EventBatch, outbox, runtime_metadata
from libs.common.reconcile import Reconciler

TOPIC = "duban.bench.events.v1"


@contextmanager
def _broker(kind: str, state: Path) -> Iterator[Broker]:
    if kind == "memory":
        running = start_broker(0, log_path=state / "broker-memory.log")
        try:
            yield running
        finally:
            running.stop()
        return
    with pgserver.admin_server(state) as admin, durable_broker(admin, state, prefix="duban_bench_broker") as running:
        yield running


def _loads(bootstrap: str, singles: int, bursts: int) -> tuple[list[float], float]:
    """(latencies in ms of `singles` one-event round trips, events/s of `bursts` flushes of 2,000)."""
    topic = f"{TOPIC}.{uuid.uuid4().hex[:6]}"
    ensure_topics(bootstrap, [topic])
    producer = Producer(bootstrap, "bench-broker")
    consumer = confluent_kafka.Consumer(consumer_config(bootstrap, f"bench-{uuid.uuid4().hex[:6]}"))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_END) for p in partitions])
        latencies = []
        for i in range(singles + 5):  # the first five warm the producer and the assignment up
            started = time.perf_counter()
            producer.produce(topic, b"x" * 600, f"k{i}", [])
            producer.flush(10)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                msg = consumer.poll(0.05)
                if msg is not None and not msg.error():
                    break
            if i >= 5:
                latencies.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        for _ in range(bursts):
            for i in range(2000):
                producer.produce(topic, b"y" * 600, f"k{i % 500}", [])
            producer.flush(30)
        return latencies, bursts * 2000 / (time.perf_counter() - started)
    finally:
        consumer.close()


def broker_log_cost(quick: bool, state: Path) -> Table:
    table = Table(
        "B1. Broker: the log in memory and in PostgreSQL, same loads, alternately",
        "One 600-byte event produced, flushed and consumed at a time (a registration on its way to\n"
        "tracking), then bursts of 2,000 events per flush (the relay draining a sweep).",
        ["broker log", "round", "one event p50 ms", "p99 ms", "burst events/s"],
    )
    for round_ in (1, 2):
        for kind in ("memory", "postgres"):
            with _broker(kind, state) as running:
                latencies, rate = _loads(running.bootstrap, 100 if quick else 300, 5 if quick else 20)
            table.add(kind, round_, percentile(latencies, 50), percentile(latencies, 99), round(rate))
    return table


def _uow(url: str) -> UnitOfWorkFactory:
    engine = make_engine(url)
    runtime_metadata.create_all(engine)
    return UnitOfWorkFactory(engine)


def reconcile_cost(quick: bool, state: Path) -> Table:
    count = 10_000 if quick else 100_000
    table = Table(
        f"B2. Reconciliation: one consumer checks {count:,} retained events of a source (SQLite, gRPC)",
        "The source's outbox holds that many sent events; the reconciler reads them 1,000 a call and\n"
        "looks their ids up in processed_events: all applied already (the periodic check), or none.",
        ["case", "events", "repaired", "seconds", "events/s"],
    )
    source = _uow(f"sqlite:///{state}/reconcile-source.db")
    sent_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)  # long settled
    body = b'{"item_id":"x"}'
    with source() as tx:
        tx.publish(EventBatch(TOPIC, "item.urged", "duban/bench", "duban.tracking.v1.ItemUrged", sent_at,
                              [(f"item-{i}", body) for i in range(count)]))
        tx.commit()
    with source.engine.begin() as conn:
        conn.execute(update(outbox).values(sent_at=sent_at))
    signer, trusted = call_auth.generate("bench-sink", "bench-sink-1")
    server = create_server(service="bench-source", registrations=eventlog.registrations(source.engine),
                           verifier=call_auth.Verifier(call_auth.KeySet.from_jwks({"keys": [trusted]}), "bench-source"),
                           port=0,
                           host="127.0.0.1")

    def nothing(tx: UnitOfWork, event: CloudEvent) -> None:
        """The cheapest handler: what is measured is the reconciler's own cost."""

    try:
        for case in ("none applied (broker lost all)", "all applied (periodic check)"):
            sink = _uow(f"sqlite:///{state}/reconcile-sink.db")
            runner = ConsumerRunner(name="bench-sink", bootstrap="127.0.0.1:1", topics_=[TOPIC], handler=nothing,
                                    uow=sink, producer=None)  # type: ignore[arg-type]
            reconciler = Reconciler(service="bench-sink", runner=runner, source="bench-source", topic=TOPIC, signer=signer,
                                    address=f"127.0.0.1:{server.port}", settle_seconds=0)
            if case.startswith("all"):
                with sink.engine.begin() as conn:  # forget the checkpoint, keep the processed ids
                    conn.exec_driver_sql("DELETE FROM reconcile_checkpoints")
            started = time.perf_counter()
            repaired = reconciler.run_once()
            seconds = time.perf_counter() - started
            table.add(case, count, repaired, seconds, round(count / seconds))
            sink.engine.dispose()
    finally:
        server.stop(0)
        source.engine.dispose()
    table.note("the real handlers add their own cost per repaired event (tracking: opening the assignment)")
    return table


def run(quick: bool, state: Path) -> list[Table]:
    return [broker_log_cost(quick, state), reconcile_cost(quick, state)]
