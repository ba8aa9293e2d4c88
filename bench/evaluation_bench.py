"""Evaluation benchmarks.

E1 - replay of a year from the archive: 1,000,000 archived events (100,000 items, 10 events each, 0.56
entries per event) scored again as `replay --year 2026` does, in a fresh process; beside it the raw stack
reading the same rows (sqlite3 + orjson). Targets (issue): < 60 s (>= 17k events/s), peak RSS < 1 GB.

E2 - the live path: `evaluation serve` as a process on the durable broker; item closures published on
tracking's topic at 200/s; the time from each closure's publication to the first score.changed it caused
on the evaluation topic (read by a plain consumer); beside it the raw broker's produce→consume time at the
same rate. Target: p99 < 200 ms.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import confluent_kafka

from bench import procs
from bench.report import Table, verdict
from duban.common.v1 import common_pb2
from duban.evaluation.v1 import evaluation_pb2 as pb
from duban.evaluation.v1 import evaluation_pb2_grpc
from duban.ledger.v1 import events_pb2 as ledger_events
from duban.ledger.v1 import ledger_pb2
from duban.tracking.v1 import events_pb2 as tracking_events
from libs.common import topics
from libs.common.clock import OFFICE_TZ
from libs.common.cloudevents import new_event
from libs.common.kafka import Producer, ensure_topics

EVENTS = 1_000_000
REPLAY_SECONDS, REPLAY_MB = 60.0, 1024.0
RATE, LIVE_P99_MS = 200, 200.0
ASSESS = common_pb2.Actor(user_id="bench", name="考核办", role="assessment", unit_id="khb")


class EvaluationProcess(procs.ServiceUnderTest):
    service = "evaluation"

    def stub(self) -> evaluation_pb2_grpc.EvaluationServiceStub:
        assert self.channel is not None
        return evaluation_pb2_grpc.EvaluationServiceStub(self.channel)


def run(quick: bool, state: Path) -> list[Table]:
    return [bench_replay(quick, state), bench_live(quick, state)]


def _step(*args: str) -> dict[str, float]:
    reply = subprocess.run([sys.executable, "-m", "bench.evaluation_replay_run", *args], capture_output=True,
                           text=True, timeout=1800, check=False)
    if reply.returncode != 0:
        raise RuntimeError(reply.stderr.strip()[-2000:])
    result: dict[str, float] = json.loads(reply.stdout.strip().splitlines()[-1])
    return result


def bench_replay(quick: bool, state: Path) -> Table:
    events = 100_000 if quick else EVENTS
    home = state / "evaluation-replay"
    table = Table(
        f"E1. Replay of a year from {events:,} archived events",
        f"{events // 10:,} items x 10 events (registered, assigned, 5 x overdue - never scored -, extension approved,\n"
        "report missed, closed / still open) in a fresh evaluation database (SQLite); `replay --year 2026` in a\n"
        f"fresh process. Raw stack: the same rows read with sqlite3 and parsed by orjson. Targets: < "
        f"{REPLAY_SECONDS:g} s for 1,000,000, peak RSS < {REPLAY_MB / 1024:g} GB.",
        ["step", "events", "entries", "seconds", "events/s", "peak RSS MB", "vs raw", "target", "result"])
    prepared = _step("prepare", str(home), str(events))
    table.add("prepare the archive", f"{prepared['events']:,.0f}", "", f"{prepared['prepare_seconds']:.1f}", "", "", "",
              "", "")
    raw = _step("raw", str(home))
    table.add("raw stack: sqlite3 rows + orjson", f"{raw['events']:,.0f}", "", f"{raw['seconds']:.2f}",
              f"{raw['events'] / raw['seconds']:,.0f}", f"{raw['peak_mb']:.0f}", "1.00", "", "")
    r = _step("replay", str(home))
    scale = EVENTS / r["events"]
    table.add("replay (scoring.apply on every event)", f"{r['events']:,.0f}", f"{r['entries']:,.0f}",
              f"{r['seconds']:.2f}", f"{r['events'] / r['seconds']:,.0f}", f"{r['peak_mb']:.0f}",
              f"{r['seconds'] / raw['seconds']:.1f}x", f"< {REPLAY_SECONDS / scale:g} s, < {REPLAY_MB:g} MB",
              verdict(r["seconds"] < REPLAY_SECONDS / scale and r["peak_mb"] < REPLAY_MB))
    return table


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _paced(count: int, send: Callable[[int], None]) -> None:
    started = time.monotonic()
    for i in range(count):
        wait = started + i / RATE - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        send(i)


def _assigned(bootstrap: str, topic: str) -> confluent_kafka.Consumer:
    """A consumer of every partition of `topic` from its end, assigned (no group join to wait for)."""
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex}",
                                         "enable.auto.commit": False, "fetch.wait.max.ms": 10})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_END) for p in partitions])
    return consumer


def _raw_broker(bootstrap: str, count: int) -> list[float]:
    """Produce→consume times of plain records on a topic of their own, at RATE."""
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    producer = Producer(bootstrap, client_id="bench-raw")
    sent: dict[str, float] = {}
    got: list[float] = []
    ensure_topics(bootstrap, [topic])
    consumer = _assigned(bootstrap, topic)
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            m = consumer.poll(0.1)
            if m is not None and not m.error() and m.key() != b"warm":
                got.append(time.monotonic() - sent[(m.key() or b"").decode()])

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(1)

    def send(i: int) -> None:
        sent[str(i)] = time.monotonic()
        producer.produce(topic, value=b"x" * 400, key=str(i), headers=[])

    _paced(count, send)
    producer.flush(10)
    deadline = procs.Deadline(30)
    while len(got) < count and not deadline.passed:
        time.sleep(0.1)
    stop.set()
    reader.join(5)
    consumer.close()
    return got


def bench_live(quick: bool, state: Path) -> Table:
    count = RATE * (5 if quick else 20)
    table = Table(
        f"E2. Live scoring: closures at {RATE}/s on tracking's topic -> score.changed",
        f"{count:,} items registered (ledger's topic) before the run, then their closures published at {RATE}/s;\n"
        "latency = publication of a closure to the first score.changed it caused, read by a plain consumer.\n"
        f"Raw stack: plain records produced and consumed at the same rate. Target: p99 < {LIVE_P99_MS:g} ms.",
        ["path", "events", "reached/s", "p50 ms", "p99 ms", "max ms", "target", "result"])
    home = state / "evaluation-live"
    home.mkdir(parents=True, exist_ok=True)
    with procs.broker(home) as broker:
        raw = _raw_broker(broker.bootstrap, count)
        table.add("raw broker produce -> consume", f"{len(raw):,}", "", f"{_p(raw, 0.5) * 1000:.1f}",
                  f"{_p(raw, 0.99) * 1000:.1f}", f"{max(raw, default=0) * 1000:.1f}", "", "")
        proc = EvaluationProcess(home, procs.sqlite_url(home, "evaluation"), broker.bootstrap, fixed_now=None)
        proc.start()
        try:
            stub = proc.stub()
            producer = Producer(broker.bootstrap, client_id="bench-upstream")
            day = dt.datetime(2026, 6, 1, 9, tzinfo=OFFICE_TZ)
            ids = [str(uuid.uuid4()) for _ in range(count)]
            for i, item_id in enumerate(ids):
                e = new_event("item.registered", topics.event_source("ledger"), item_id, ledger_events.ItemRegistered(
                    item=ledger_pb2.Item(id=item_id, item_no=f"2026-{i:05d}", registered_on="2026-06-01",
                                         due_date="2026-06-10", units=[ledger_pb2.ItemUnit(
                                             unit_id=f"u{i % 30}", unit_name=f"单位{i % 30}", role="lead")],
                                         responsible_person=common_pb2.PersonSnapshot(id=f"p{i % 90}", name="责任人"))),
                    day)
                producer.produce(topics.LEDGER_EVENTS, value=e.data, key=item_id, headers=e.header_pairs())
            producer.flush(30)
            deadline = procs.Deadline(120)
            while stub.GetYear(pb.GetYearRequest(year=2026, actor=ASSESS), timeout=10).events_archived < count:
                if deadline.passed:
                    raise RuntimeError("evaluation did not archive the registrations")
                time.sleep(0.2)
            sent: dict[str, float] = {}
            got: dict[str, float] = {}
            ensure_topics(broker.bootstrap, [topics.EVALUATION_EVENTS])
            consumer = _assigned(broker.bootstrap, topics.EVALUATION_EVENTS)
            stop = threading.Event()

            def read() -> None:
                while not stop.is_set():
                    m = consumer.poll(0.1)
                    if m is None or m.error():
                        continue
                    cause = json.loads(m.value() or b"{}").get("entry", {}).get("cause", {}).get("event_id", "")
                    if cause in sent and cause not in got:
                        got[cause] = time.monotonic() - sent[cause]

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            time.sleep(1)
            closed_at = dt.datetime(2026, 6, 9, 16, tzinfo=OFFICE_TZ)
            started = time.monotonic()

            def send(i: int) -> None:
                e = new_event("item.closed", topics.event_source("tracking"), ids[i],
                              tracking_events.ItemClosed(item_id=ids[i]), closed_at)
                sent[e.id] = time.monotonic()
                producer.produce(topics.TRACKING_EVENTS, value=e.data, key=ids[i], headers=e.header_pairs())

            _paced(count, send)
            producer.flush(10)
            elapsed = time.monotonic() - started
            deadline = procs.Deadline(60)
            while len(got) < count and not deadline.passed:
                time.sleep(0.1)
            stop.set()
            reader.join(5)
            consumer.close()
            latencies = list(got.values())
            p99 = _p(latencies, 0.99) * 1000
            table.add("closure -> score.changed (evaluation serve)", f"{len(latencies):,} of {count:,}",
                      f"{count / elapsed:.0f}", f"{_p(latencies, 0.5) * 1000:.1f}", f"{p99:.1f}",
                      f"{max(latencies, default=0) * 1000:.1f}", f"p99 < {LIVE_P99_MS:g} ms",
                      verdict(len(latencies) == count and p99 < LIVE_P99_MS))
        finally:
            proc.stop()
    return table
