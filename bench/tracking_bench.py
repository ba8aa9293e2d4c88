"""Tracking benchmarks: the sweep and the lights over 100k open assignments; register -> visible latency.

Every part is real: the Tansu broker, `python -m services.tracking serve` (and `services.ledger`) as
their own processes, SQLite files and throwaway PostgreSQL databases, gRPC on loopback. Every loop is
bounded in count and time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import resource
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import confluent_kafka
import grpc
from sqlalchemy import create_engine, func, select

from bench import raw_stack, tracking_fixture
from bench.ledger_bench import _registration, _seed_directory
from bench.machine import MONITOR, settle, tree_cpu_seconds
from bench.procs import FIXED_NOW, Deadline, broker, ledger_process, read_topic, sqlite_url, tracking_process
from bench.report import Table, percentile, verdict
from duban.common.v1 import common_pb2
from duban.tracking.v1 import tracking_pb2
from libs.common import topics
from libs.common.cloudevents import from_headers
from libs.common.db import make_engine
from libs.common.outbox import outbox, processed_events
from libs.common.testing import postgres_database
from services.tracking.consumer import GROUP as TRACKING_GROUP
from services.tracking.orm import Assignment, AssignmentUnit

TODAY = dt.datetime.fromisoformat(FIXED_NOW).date()
SWEEP_SECONDS_TARGET = 5.0
LIGHTS_SECONDS_TARGET = 5.0
VISIBLE_P99_TARGET_MS = 100.0
PG_PREFIX = "duban_bench"  # throwaway databases: duban_bench_<random>, dropped afterwards
PAGE_SIZE = 500
LIGHTS_PAGE = 5000
REFERENCE_PAGES = 10
PROBE_DELAY = 0.5  # seconds into the sweep at which a read and a write are sent beside it
OFFICE = common_pb2.Actor(user_id="bench", name="督查室王芳", role="office", unit_id="dcs", person_id="sv-wang")


@dataclass
class Config:
    quick: bool
    assignments: int
    registrations: int
    rate: float = 200.0  # registrations per second, paced
    ref_rate: float = 100.0  # the reference run: half the rate
    ref_registrations: int = 600
    databases: tuple[str, ...] = ("sqlite", "postgres")
    sweep_timeout: float = 120.0  # the client's deadline for one RunSweeps
    drain_seconds: float = 60.0  # upper bound of waiting for the relay to send what the sweep wrote
    lights_seconds: float = 90.0  # upper bound of paging through everything
    sample_every: int = 50  # one registration in this many is also polled with GetAssignment (every 20 ms)

    @classmethod
    def make(cls, quick: bool, databases: tuple[str, ...] | None = None) -> Config:
        config = cls._sized(quick)
        if databases:
            config.databases = databases
        return config

    @classmethod
    def _sized(cls, quick: bool) -> Config:
        if quick:
            return cls(quick, assignments=10_000, registrations=1000, ref_registrations=400)
        return cls(quick, assignments=100_000, registrations=1600)


def _reader_engine(url: str):
    """The benchmark's own read-only view of a service database: deferred transactions, never the write lock."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url, pool_size=1, max_overflow=0)


def _outbox_counts(engine) -> tuple[int, int]:
    """(rows, pending) of a service's outbox."""
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
        pending = conn.execute(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))).scalar_one()
    return rows, pending


def _wait_drained(engine, seconds: float) -> float | None:
    started, deadline = time.perf_counter(), Deadline(seconds)
    while not deadline.passed:
        if _outbox_counts(engine)[1] == 0:
            return time.perf_counter() - started
        time.sleep(0.1)
    return None


# --- T1: the sweep and the lights over N open assignments -----------------------------------------


def _sweep(stub, timeout: float) -> tuple[float, tracking_pb2.RunSweepsResponse]:
    started = time.perf_counter()
    reply = stub.RunSweeps(tracking_pb2.RunSweepsRequest(), timeout=timeout)
    return time.perf_counter() - started, reply


def _probe_targets(reader) -> list[tuple[str, str]]:
    """(item id, unit id) of notified assignments whose unit may still sign today: the sweep leaves them alone."""
    now = dt.datetime.fromisoformat(FIXED_NOW).astimezone(dt.UTC)
    with reader.connect() as conn:
        rows = conn.execute(
            select(AssignmentUnit.item_id, AssignmentUnit.unit_id)
            .join(Assignment, Assignment.item_id == AssignmentUnit.item_id)
            .where(
                Assignment.status == "notified",
                AssignmentUnit.acknowledged_at.is_(None),
                AssignmentUnit.ack_due_at > now,
            )
            .order_by(AssignmentUnit.item_id)
            .limit(2)
        ).all()
    if len(rows) < 2:
        raise RuntimeError("fixture: no notified assignment still within its signing hours")
    return [(r.item_id, r.unit_id) for r in rows]


def _probe_calls(stub, target: tuple[str, str]) -> dict[str, Callable[[], object]]:
    item_id, unit_id = target
    return {
        "GetAssignment": lambda: stub.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item_id), timeout=60).assignment,
        "Acknowledge": lambda: stub.Acknowledge(
            tracking_pb2.AcknowledgeRequest(item_id=item_id, unit_id=unit_id, actor=OFFICE), timeout=60
        ).assignment,
    }


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _probe(call: Callable[[], object], delay: float, result: dict) -> None:
    """One call issued `delay` s into the sweep: does the sweep block other work?"""
    time.sleep(delay)
    started = time.perf_counter()
    try:
        call()
        result["seconds"] = time.perf_counter() - started
    except grpc.RpcError as exc:
        elapsed = time.perf_counter() - started
        result["error"] = f"{exc.code().name} ({exc.details()}) after {elapsed:.1f} s"


@dataclass
class Lights:
    seconds: float = 0.0
    pages: int = 0
    listed: int = 0
    total_size: int = 0
    page_ms: list[float] = field(default_factory=list)
    colours: Counter = field(default_factory=Counter)
    complete: bool = False


def _all_lights(stub, seconds: float) -> Lights:
    """ListLights from the first page to the last (page_size 5000): every open item's light and reason."""
    out = Lights()
    deadline = Deadline(seconds)
    token = ""
    started = time.perf_counter()
    while not deadline.passed:
        t0 = time.perf_counter()
        reply = stub.ListLights(tracking_pb2.ListLightsRequest(page_size=LIGHTS_PAGE, page_token=token), timeout=60)
        out.page_ms.append((time.perf_counter() - t0) * 1000)
        out.pages += 1
        out.listed += len(reply.items)
        out.total_size = out.total_size or reply.total_size
        out.colours.update(i.light for i in reply.items)
        token = reply.next_page_token
        if not token:
            out.complete = True
            break
    out.seconds = time.perf_counter() - started
    return out


def _assignment_pages(stub, pages: int) -> list[float]:
    """Reference: the first pages of ListAssignments (whole assignments with units and expected reports)."""
    token, page_ms = "", []
    for _ in range(pages):
        t0 = time.perf_counter()
        reply = stub.ListAssignments(tracking_pb2.ListAssignmentsRequest(page_size=PAGE_SIZE, page_token=token),
                                     timeout=60)
        page_ms.append((time.perf_counter() - t0) * 1000)
        token = reply.next_page_token
        if not token:
            break
    return page_ms


def bench_sweep_and_lights(cfg: Config, state: Path) -> list[Table]:
    n = cfg.assignments
    loads = Table(
        f"T1a. Fixture: {n:,} open assignments bulk-loaded into tracking's tables",
        "Direct inserts through tracking's ORM tables (fixture only). Registered over the last year, weighted to\n"
        "recent weeks; 1-3 units each; expected reports per tracking's schedule (filed / missed / due);\n"
        f"{tracking_fixture.HISTORY_DAYS} earlier days of sweeps (overdue marks + urges). 'overdue': chased "
        "(awaiting notice, notified,\nin progress) and past the deadline; 'unsigned': units past their "
        "4 working hours without signing.",
        [
            "database",
            "assignments",
            "unit rows",
            "expected",
            "filed reports",
            "overdue",
            "unsigned",
            "missed",
            "history urges",
            "load s",
        ],
    )
    sweeps = Table(
        f"T1. Tracking: one sweep over {n:,} open assignments (RunSweeps over gRPC)",
        f"`python -m services.tracking serve`, clock fixed at {FIXED_NOW}, embedded sweeper off; the client\n"
        "times RunSweeps (one transaction: overdue marks, urges, missed reports, the outbox rows). The relay\n"
        "then sends those rows to the broker ('drain s': until none is pending). The 2nd run, same day,\n"
        "must publish nothing. 'tracking CPU': CPU seconds of the tracking process during the call.",
        [
            "database",
            "run",
            "seconds",
            "overdue pub.",
            "urges",
            "missed reports",
            "outbox rows",
            "drain s",
            "tracking CPU s",
            "other CPU",
            "target",
            "result",
        ],
        left=2,
    )
    lights = Table(
        f"T1b. Tracking: lights of all {n:,} open assignments (ListLights, page_size {LIGHTS_PAGE}, over gRPC)",
        "One client pages from the first page to the last (keyset token): each open item's light, reason, deadline,\n"
        "lead unit and missed reports - what the 红黄绿灯 page and REST /api/v1/tracking/lights serve; after the\n"
        "sweep above. 'board s': LightBoard (counts per lead unit and colour over all of them), one call.\n"
        f"'ListAssignments p50': reference, the first {REFERENCE_PAGES} pages of {PAGE_SIZE} whole assignments;\n"
        "'raw gRPC p50': Health/Check on the same tracking process, serially (bench/raw_stack.py), the yardstick\n"
        "of one unary call; 'vs raw' is ListAssignments' p50 in multiples of it.",
        [
            "database",
            "pages",
            "listed",
            "seconds",
            "items/s",
            "page p50 ms",
            "page max ms",
            "red",
            "yellow",
            "green",
            "board s",
            "ListAssignments p50 ms",
            "raw gRPC p50 ms",
            "vs raw",
            "tracking CPU s",
            "other CPU",
            "target",
            "result",
        ],
    )
    for kind in cfg.databases:
        with ExitStack() as stack:
            url = (
                sqlite_url(state, "tracking-sweep")
                if kind == "sqlite"
                else stack.enter_context(postgres_database(PG_PREFIX))
            )
            engine = make_engine(url)
            loaded = tracking_fixture.load(engine, n, TODAY)
            engine.dispose()
            loads.add(
                kind,
                loaded.assignments,
                loaded.units,
                loaded.expected,
                loaded.reports,
                loaded.overdue,
                loaded.unacknowledged,
                loaded.missed,
                loaded.history_urges,
                loaded.seconds,
            )
            reader = _reader_engine(url)
            stack.callback(reader.dispose)
            bus = stack.enter_context(broker(state))
            tracking = stack.enter_context(tracking_process(state, url, bus.bootstrap, name=f"tracking-sweep-{kind}"))
            stub = tracking.stub()
            listed = stub.ListAssignments(tracking_pb2.ListAssignmentsRequest(page_size=1), timeout=60).total_size
            if listed != n:
                raise RuntimeError(f"tracking lists {listed} assignments, fixture loaded {n}")
            alone_target, probe_target = _probe_targets(reader)
            alone = {name: _timed(call) for name, call in _probe_calls(stub, alone_target).items()}
            _wait_drained(reader, 10)  # the acknowledgement's event
            for run in (1, 2):
                settle()
                rows_before, _ = _outbox_counts(reader)
                probes: dict[str, dict] = {}
                threads = []
                if run == 1:
                    for name, call in _probe_calls(stub, probe_target).items():
                        probes[name] = {}
                        threads.append(
                            threading.Thread(target=_probe, args=(call, PROBE_DELAY, probes[name]), daemon=True)
                        )
                        threads[-1].start()
                cpu_before = tracking.cpu_seconds()
                with MONITOR.window() as busy:
                    seconds, reply = _sweep(stub, cfg.sweep_timeout)
                cpu = tracking.cpu_seconds() - cpu_before
                for t in threads:
                    t.join(65)
                rows_after, _ = _outbox_counts(reader)
                rows_after -= 1 if "seconds" in probes.get("Acknowledge", {}) else 0  # item.acknowledged
                for name, result in probes.items():
                    if "seconds" in result:
                        sweeps.note(
                            f"{kind}: {name} sent {PROBE_DELAY} s into the 1st sweep returned after "
                            f"{result['seconds']:.2f} s (alone: {alone[name] * 1000:.0f} ms)"
                        )
                    else:
                        sweeps.note(
                            f"{kind}: {name} sent {PROBE_DELAY} s into the 1st sweep FAILED: {result.get('error')}"
                        )
                drain = _wait_drained(reader, cfg.drain_seconds)
                if run == 1:
                    # Overdue items are announced by item.overdue, not urged (the notification service reminds).
                    want_urges = loaded.unacknowledged + loaded.missed + loaded.newly_missed
                    expected_ok = reply.overdue_published == loaded.overdue and reply.urged == want_urges
                    if not expected_ok:
                        sweeps.note(
                            f"{kind}: expected {loaded.overdue:,} overdue and {want_urges:,} urges from the fixture, "
                            f"got {reply.overdue_published:,} and {reply.urged:,}"
                        )
                    ok = expected_ok and seconds < SWEEP_SECONDS_TARGET and drain is not None
                    target = f"< {SWEEP_SECONDS_TARGET:.0f} s"
                else:
                    ok = reply.overdue_published == 0 and reply.urged == 0 and rows_after == rows_before
                    target = "0 published"
                sweeps.add(
                    kind,
                    "1st" if run == 1 else "2nd, same day",
                    seconds,
                    reply.overdue_published,
                    reply.urged,
                    reply.reports_missed,
                    rows_after - rows_before,
                    drain if drain is not None else f"> {cfg.drain_seconds:.0f}",
                    cpu,
                    busy.other_cores,
                    target,
                    verdict(ok),
                )
            settle()
            cpu_before = tracking.cpu_seconds()
            with MONITOR.window() as busy:
                got = _all_lights(stub, cfg.lights_seconds)
            cpu = tracking.cpu_seconds() - cpu_before
            t0 = time.perf_counter()
            board = stub.LightBoard(tracking_pb2.LightBoardRequest(), timeout=60).total
            board_seconds = time.perf_counter() - t0
            reference = _assignment_pages(stub, REFERENCE_PAGES)
            raw = raw_stack.grpc_health(tracking.address, 1, 300, 20)
            complete = got.complete and got.listed == loaded.open == got.total_size
            if (board.red, board.yellow, board.green) != (got.colours["red"], got.colours["yellow"], got.colours["green"]):
                complete = False
                lights.note(f"{kind}: the board counts {board} differ from the listed lights {dict(got.colours)}")
            lights.add(
                kind,
                got.pages,
                got.listed,
                got.seconds,
                got.listed / got.seconds if got.seconds else 0.0,
                percentile(got.page_ms, 50),
                max(got.page_ms),
                got.colours["red"],
                got.colours["yellow"],
                got.colours["green"],
                board_seconds,
                percentile(reference, 50),
                raw.p50,
                f"{percentile(reference, 50) / raw.p50:.0f}x" if raw.p50 else "-",
                cpu,
                busy.other_cores,
                f"< {LIGHTS_SECONDS_TARGET:.0f} s",
                verdict(complete and got.seconds < LIGHTS_SECONDS_TARGET),
            )
            if not complete:
                lights.note(
                    f"{kind}: stopped after {got.seconds:.0f} s (bound {cfg.lights_seconds:.0f} s) "
                    f"with {got.listed:,} of {loaded.open:,} open items listed (total_size {got.total_size:,})"
                )
    sweeps.note(
        "'missed reports' is RunSweeps' reports_missed: expected reports it marked missed today (the fixture's "
        "weekly reports fall due on Fridays; the missed ones of earlier days are among the urges)"
    )
    return [loads, sweeps, lights]


# --- T2: register -> assignment visible in tracking ----------------------------------------------


@dataclass
class Sent:
    item_id: str
    returned: float  # wall clock (time.time()) when RegisterItem returned: comparable with the services' UTC stamps
    latency_ms: float


@dataclass
class PacedRun:
    sent: list[Sent]
    errors: list[str]
    seconds: float
    polled_ms: list[float]  # the GetAssignment cross-check of every `sample_every`-th item
    polled_missing: int
    max_lag_ms: float = 0.0  # the latest a call left the client after its scheduled time


def _paced_registrations(
    ledger, tracking, count: int, rate: float, sample_every: int, seconds: float, salt: int
) -> PacedRun:
    """RegisterItem at a fixed rate (open loop: the i-th call is due at start + i/rate, whatever the
    earlier ones took), from a few sender threads; a poller checks a sample through GetAssignment."""
    senders = 8
    counter = itertools.count()
    lock = threading.Lock()
    sent: list[Sent] = []
    errors: list[str] = []
    sample: list[tuple[str, float]] = []  # (item id, perf_counter at return) waiting to be seen
    polled: list[float] = []
    deadline = Deadline(seconds)
    done = threading.Event()
    lag = [0.0]
    sampled = [0]
    start = time.perf_counter() + 0.05

    def sender(index: int) -> None:
        rng = random.Random(salt * 100 + index)
        while not deadline.passed:
            with lock:
                n = next(counter)
            if n >= count:
                return
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            elif -delay > lag[0]:
                lag[0] = -delay
            request = _registration(rng, n)
            t0 = time.perf_counter()
            try:
                reply = ledger.RegisterItem(request, timeout=10)
            except grpc.RpcError as exc:
                with lock:
                    errors.append(f"{exc.code().name}: {exc.details()}")
                continue
            t1, wall = time.perf_counter(), time.time()
            with lock:
                sent.append(Sent(reply.item.id, wall, (t1 - t0) * 1000))
                if n % sample_every == 0:
                    sample.append((reply.item.id, t1))
                    sampled[0] += 1

    def poller() -> None:
        pending: list[tuple[str, float]] = []
        poll_deadline = Deadline(seconds + 30)
        while not poll_deadline.passed:
            with lock:
                pending += sample
                sample.clear()
            if not pending and done.is_set():
                return
            still = []
            for item_id, returned in pending:
                try:
                    tracking.GetAssignment(tracking_pb2.GetAssignmentRequest(item_id=item_id), timeout=5)
                    polled.append((time.perf_counter() - returned) * 1000)
                except grpc.RpcError as exc:
                    if exc.code() != grpc.StatusCode.NOT_FOUND:
                        raise
                    still.append((item_id, returned))
            pending = still
            time.sleep(0.02)

    polling = threading.Thread(target=poller, daemon=True)
    polling.start()
    pool = [threading.Thread(target=sender, args=(i,), daemon=True) for i in range(senders)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(deadline.remaining() + 15)
    elapsed = time.perf_counter() - start
    done.set()
    polling.join(35)
    return PacedRun(sent, errors, elapsed, polled, sampled[0] - len(polled), lag[0] * 1000)


def _wait_assignments(reader, want: int, seconds: float) -> int:
    deadline = Deadline(seconds)
    have = 0
    while not deadline.passed:
        with reader.connect() as conn:
            have = conn.execute(select(func.count()).select_from(Assignment.__table__)).scalar_one()
        if have >= want:
            break
        time.sleep(0.2)
    return have


def _produced_at(bootstrap: str, want: int, seconds: float = 30.0) -> dict[str, tuple[str, float]]:
    """item id -> (event id, Kafka timestamp) of its item.registered; the timestamp is CreateTime: when the
    ledger's relay handed the event to its producer."""
    found: dict[str, tuple[str, float]] = {}
    for message in read_topic(bootstrap, topics.LEDGER_EVENTS, "bench-times", lambda: len(found) >= want, seconds):
        event = from_headers(message.headers(), message.value())
        kind, stamp = message.timestamp()
        if event.type == "item.registered" and kind != confluent_kafka.TIMESTAMP_NOT_AVAILABLE:
            found[event.subject] = (event.id, stamp / 1000)
    return found


def _applied_at(reader, group: str) -> dict[str, float]:
    """event id -> when tracking's consumer applied it: processed_at, written in the transaction that
    opens the assignment, just before its commit."""
    with reader.connect() as conn:
        rows = conn.execute(
            select(processed_events.c.event_id, processed_events.c.processed_at).where(
                processed_events.c.consumer == group
            )
        ).all()
    return {event_id: _ts(at) for event_id, at in rows}


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ts(value: dt.datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()


def bench_visibility(cfg: Config, state: Path) -> list[Table]:
    main = Table(
        f"T2. Register -> assignment visible in tracking, paced at {cfg.rate:.0f} registrations/s",
        "`services.ledger` and `services.tracking` as processes on one broker, real clocks; RegisterItem calls "
        "paced (open loop,\n8 sender threads) after tracking's consumer was assigned its partitions; a slower "
        f"run ({cfg.ref_rate:.0f}/s) is the reference.\nVisible = from RegisterItem's return until tracking's "
        "consumer applied item.registered (processed_at of the event,\nwritten just before the commit that "
        f"creates the assignment); 'GetAssignment' polls every {cfg.sample_every}th item (20 ms rounds).",
        [
            "database",
            "paced at",
            "registered",
            "errors",
            "reg/s",
            "register p50 ms",
            "visible p50 ms",
            "p99 ms",
            "max ms",
            "GetAssignment p50/p99 ms",
            "other CPU",
            "target",
            "result",
        ],
        left=2,
    )
    split = Table(
        "T2b. Where the visibility latency goes",
        "relay: RegisterItem's return -> the event's Kafka timestamp (when the ledger's outbox relay produced it);\n"
        "consume: Kafka timestamp -> applied by tracking's consumer (broker, fetch, decode, transaction).\n"
        "Timestamps of three processes on one machine's clock; Kafka's has millisecond resolution.\n"
        f"cores: CPU used during the run by each process (client: this benchmark process), of {os.cpu_count()}.",
        [
            "database",
            "paced at",
            "relay p50 ms",
            "relay p99 ms",
            "relay max ms",
            "consume p50 ms",
            "consume p99 ms",
            "consume max ms",
            "ledger cores",
            "tracking cores",
            "broker cores",
            "client cores",
        ],
        left=2,
    )
    for kind in cfg.databases:
        with ExitStack() as stack:
            if kind == "sqlite":
                ledger_url, tracking_url = sqlite_url(state, "vis-ledger"), sqlite_url(state, "vis-tracking")
            else:
                ledger_url = stack.enter_context(postgres_database(PG_PREFIX))
                tracking_url = stack.enter_context(postgres_database(PG_PREFIX))
            prefix = f"bench-{uuid.uuid4().hex[:8]}-"
            env = {"DUBAN_CONSUMER_GROUP_PREFIX": prefix}
            bus = stack.enter_context(broker(state))
            ledger = stack.enter_context(
                ledger_process(
                    state, ledger_url, bus.bootstrap, name=f"ledger-vis-{kind}", fixed_now=None, extra_env=env
                )
            )
            tracking = stack.enter_context(
                tracking_process(
                    state, tracking_url, bus.bootstrap, name=f"tracking-vis-{kind}", fixed_now=None, extra_env=env
                )
            )
            group = prefix + TRACKING_GROUP
            tracking.wait_log(f"consumer {group} assigned [(", 60)
            l_reader, t_reader = _reader_engine(ledger_url), _reader_engine(tracking_url)
            stack.callback(l_reader.dispose)
            stack.callback(t_reader.dispose)
            l_stub, t_stub = ledger.stub(), tracking.stub()
            _seed_directory(l_stub)
            # Warm-up: topic, producer session, connections, the consumer's first fetches.
            warm = _paced_registrations(l_stub, t_stub, 40, 40.0, 10**9, 20, salt=7)
            opened = len(warm.sent)
            if _wait_assignments(t_reader, opened, 30) < opened:
                raise RuntimeError(f"warm-up: tracking did not open every assignment; log:\n{tracking.log_tail()}")
            for salt, (rate, count, reference) in enumerate(
                ((cfg.rate, cfg.registrations, False), (cfg.ref_rate, cfg.ref_registrations, True)), start=11
            ):
                settle()
                l_cpu, t_cpu, b_cpu, c_cpu = (
                    ledger.cpu_seconds(),
                    tracking.cpu_seconds(),
                    tree_cpu_seconds(bus.process.pid),
                    _own_cpu(),
                )
                with MONITOR.window() as busy:
                    run = _paced_registrations(
                        l_stub, t_stub, count, rate, cfg.sample_every, count / rate + 20, salt=salt
                    )
                cores = [
                    (ledger.cpu_seconds() - l_cpu) / run.seconds,
                    (tracking.cpu_seconds() - t_cpu) / run.seconds,
                    (tree_cpu_seconds(bus.process.pid) - b_cpu) / run.seconds,
                    (_own_cpu() - c_cpu) / run.seconds,
                ]
                opened += len(run.sent)
                have = _wait_assignments(t_reader, opened, 60)
                applied = _applied_at(t_reader, group)
                produced = _produced_at(bus.bootstrap, opened)
                visible, relay, consume = [], [], []
                for s in run.sent:
                    if s.item_id not in produced:
                        continue
                    event_id, produced_at = produced[s.item_id]
                    relay.append((produced_at - s.returned) * 1000)
                    if event_id in applied:
                        visible.append((applied[event_id] - s.returned) * 1000)
                        consume.append((applied[event_id] - produced_at) * 1000)
                achieved = len(run.sent) / run.seconds if run.seconds else 0.0
                p99 = percentile(visible, 99)
                ok = (
                    not run.errors
                    and len(run.sent) == count
                    and have >= opened
                    and len(visible) == len(run.sent)
                    and achieved >= rate * 0.95
                    and p99 < VISIBLE_P99_TARGET_MS
                )
                paced = f"{rate:.0f}/s"
                main.add(
                    kind,
                    paced,
                    len(run.sent),
                    len(run.errors),
                    achieved,
                    percentile([s.latency_ms for s in run.sent], 50),
                    percentile(visible, 50),
                    p99,
                    max(visible) if visible else None,
                    f"{percentile(run.polled_ms, 50):.1f} / {percentile(run.polled_ms, 99):.1f}",
                    busy.other_cores,
                    f"p99 < {VISIBLE_P99_TARGET_MS:.0f} ms" if not reference else "-",
                    verdict(ok) if not reference else "(ref)",
                )
                what = f"{kind} at {paced}"
                if run.errors:
                    main.note(f"{what}: {len(run.errors)} RegisterItem errors, first: {run.errors[0]}")
                if have < opened or len(visible) < len(run.sent):
                    main.note(f"{what}: only {len(visible):,} of {len(run.sent):,} assignments opened within 60 s")
                if run.max_lag_ms > 50:
                    main.note(
                        f"{what}: the client sent calls up to {run.max_lag_ms:,.0f} ms after their scheduled time "
                        "(the ledger did not keep up)"
                    )
                if run.polled_missing:
                    main.note(f"{what}: {run.polled_missing} sampled items never seen by GetAssignment")
                split.add(
                    kind,
                    paced,
                    percentile(relay, 50),
                    percentile(relay, 99),
                    max(relay) if relay else None,
                    percentile(consume, 50),
                    percentile(consume, 99),
                    max(consume) if consume else None,
                    *cores,
                )
    return [main, split]


def run(quick: bool, state: Path, databases: tuple[str, ...] | None = None) -> list[Table]:
    cfg = Config.make(quick)
    if databases:
        cfg.databases = databases
    return bench_sweep_and_lights(cfg, state) + bench_visibility(cfg, state)


__all__ = ["Config", "run"]
