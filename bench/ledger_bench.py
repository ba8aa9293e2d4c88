"""Ledger benchmarks: registrations over gRPC (+ the outbox relay), list-page latency, XLSX export.

Every part is real: the Tansu broker, `python -m services.ledger serve` as its own process, SQLite
files and a throwaway PostgreSQL database, gRPC on loopback. Every loop is bounded in count and time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import threading
import time
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import grpc
from sqlalchemy import create_engine, func, select

from bench import fixture, raw_stack
from bench.machine import MONITOR, settle
from bench.procs import FIXED_NOW, Deadline, broker, ledger_process, read_topic, sqlite_url
from bench.report import Table, percentile, verdict
from duban.common.v1 import common_pb2
from duban.ledger.v1 import ledger_pb2
from libs.common import topics
from libs.common.cloudevents import from_headers
from libs.common.db import make_engine
from libs.common.outbox import outbox
from libs.common.testing import postgres_database
from services.ledger import repository

TODAY = dt.datetime.fromisoformat(FIXED_NOW).date()
OFFICE = common_pb2.Actor(user_id="bench", name="督查室王芳", role="office", unit_id="dcs")
REG_TARGET = 300.0  # registrations per second
LIST_P99_TARGET_MS = 30.0
EXPORT_SECONDS_TARGET = 15.0
EXPORT_RSS_TARGET_MB = 200.0
PG_PREFIX = "duban_bench"  # throwaway databases: duban_bench_<random>, dropped afterwards


@dataclass
class Config:
    quick: bool
    items: int
    registrations: int
    thread_counts: tuple[int, ...]
    list_samples: int
    databases: tuple[str, ...] = ("sqlite", "postgres")
    reg_seconds: float = 120.0  # upper bound of one registration run
    list_case_seconds: float = 20.0  # upper bound of one list case
    export_seconds: float = 120.0  # the client's deadline for one export

    @classmethod
    def make(cls, quick: bool, databases: tuple[str, ...] | None = None) -> Config:
        config = cls._sized(quick)
        if databases:
            config.databases = databases
        return config

    @classmethod
    def _sized(cls, quick: bool) -> Config:
        if quick:
            return cls(quick, items=10_000, registrations=1000, thread_counts=(1, 8, 16), list_samples=100)
        return cls(quick, items=100_000, registrations=3000, thread_counts=(1, 8, 16), list_samples=200)


# --- A1: registrations ----------------------------------------------------------------------------


def _seed_directory(stub) -> None:
    units, people = fixture._directory_rows()
    for u in units:
        stub.UpsertUnit(ledger_pb2.UpsertUnitRequest(unit=ledger_pb2.Unit(**u)), timeout=10)
    for p in people:
        stub.UpsertPerson(ledger_pb2.UpsertPersonRequest(person=ledger_pb2.Person(**p)), timeout=10)


def _registration(rng: random.Random, n: int) -> ledger_pb2.RegisterItemRequest:
    """What the gateway sends for one registration: full fields, a request id (idempotency key)."""
    units = [u for u, _, _ in fixture.UNITS if u != "dcs"]
    lead = rng.choice(units)
    co = rng.sample([u for u in units if u != lead], rng.choice((0, 1, 2)))
    staff = [pid for pid, _, unit in fixture.STAFF if unit == lead] or ["st-chen"]
    subject = rng.choice(fixture.SUBJECTS)
    return ledger_pb2.RegisterItemRequest(
        title=f"{rng.choice(fixture.VERBS)}{subject}{rng.choice(fixture.OBJECTS)}",
        content=f"按照区政府常务会议要求，牵头单位于完成时限前报送{subject}办理情况。",
        source=rng.choice(fixture.SOURCES),
        category=rng.choice(("general", "general", "complex")),
        key_tracking=rng.random() < 0.15,
        lead_unit_id=lead,
        lead_duty="牵头制定方案并组织实施",
        co_units=[ledger_pb2.CoUnit(unit_id=u, duty="配合做好相关工作") for u in co],
        responsible_leader_id=rng.choice(fixture.LEADERS)[0],
        responsible_person_id=rng.choice(staff),
        supervisor_id="sv-wang",
        actor=OFFICE,
        request_id=f"bench-{n}-{rng.getrandbits(64):016x}",
    )


@dataclass
class RegRun:
    threads: int
    done: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    max_backlog: int
    pending_at_end: int
    drain_seconds: float | None
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def _pending(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))).scalar_one()


def _reader_engine(url: str):
    """The benchmark's own read-only view of the outbox: plain deferred transactions, never the write lock."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url, pool_size=1, max_overflow=0)


def _register_run(stub, reader, threads: int, total: int, seconds: float, salt: int) -> RegRun:
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    deadline = Deadline(seconds)
    stop_sampling = threading.Event()
    backlog = [0]

    def worker(index: int) -> None:
        rng = random.Random(salt * 1000 + index)
        while not deadline.passed:
            with lock:
                n = next(counter)
            if n >= total:
                return
            request = _registration(rng, n)
            started = time.perf_counter()
            try:
                stub.RegisterItem(request, timeout=10)
            except grpc.RpcError as exc:
                with lock:
                    errors.append(f"{exc.code().name}: {exc.details()}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)

    def sampler() -> None:
        while not stop_sampling.wait(0.25):
            try:
                backlog[0] = max(backlog[0], _pending(reader))
            except Exception:  # noqa: BLE001 - a busy database only costs a sample
                pass

    sampling = threading.Thread(target=sampler, daemon=True)
    sampling.start()
    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join(deadline.remaining() + 15)
    elapsed = time.perf_counter() - started
    stop_sampling.set()
    sampling.join(5)
    pending = _pending(reader)
    backlog[0] = max(backlog[0], pending)
    drain: float | None = 0.0
    if pending:
        drain, drain_started, drain_deadline = None, time.perf_counter(), Deadline(60)
        while not drain_deadline.passed:
            time.sleep(0.02)
            if not _pending(reader):
                drain = time.perf_counter() - drain_started
                break
    return RegRun(
        threads,
        len(latencies),
        len(errors),
        elapsed,
        latencies,
        backlog[0],
        pending,
        drain,
        errors[0] if errors else "",
    )


def _events_on_topic(bootstrap: str, expected: int, seconds: float = 30.0) -> int:
    """Distinct events (CloudEvents ids) on the ledger's topic, read from the beginning."""
    seen: set[str] = set()
    for message in read_topic(bootstrap, topics.LEDGER_EVENTS, "bench-count", lambda: len(seen) >= expected, seconds):
        seen.add(from_headers(message.headers(), message.value()).id)
    return len(seen)


def bench_registrations(cfg: Config, state: Path) -> list[Table]:
    rate = Table(
        "A1. Ledger: registrations over gRPC",
        f"RegisterItem (full fields + request id, as the gateway sends it) from N client threads, "
        f"{cfg.registrations:,} per run,\nagainst `python -m services.ledger serve` + Tansu broker; the outbox "
        f"relay runs meanwhile. 1 thread is the serial reference.\n'ledger CPU': CPU time of the ledger "
        f"process (all threads, relay included) per registration and in cores;\n'other CPU': cores used by "
        f"processes outside the benchmark meanwhile (of {os.cpu_count()}).",
        [
            "database",
            "threads",
            "registered",
            "errors",
            "seconds",
            "reg/s",
            "p50 ms",
            "p99 ms",
            "ledger CPU ms/reg",
            "ledger cores",
            "other CPU",
            "target",
            "result",
        ],
    )
    raw = Table(
        "A1r. The raw stack underneath, in the same run",
        "What the parts can do alone, from the same number of client threads: 'raw gRPC' is Health/Check on\n"
        "the same ledger process (no token, no database); 'raw SQL' is one registration's rows (item, 2 units,\n"
        "history, outbox) in one transaction through the driver alone (bench/raw_stack.py). 'RegisterItem vs\n"
        "raw' is A1's rate at the same thread count divided by this row's.",
        ["database", "yardstick", "threads", "calls", "errors", "calls/s", "p50 ms", "p99 ms", "RegisterItem vs raw"],
    )
    relay = Table(
        "A1b. Ledger: outbox relay keeping up during those runs",
        "Pending outbox rows sampled every 0.25 s during each run, pending when the last registration\n"
        "returned, and the time until none was pending; then every event must be on the Kafka topic.",
        ["database", "threads", "max backlog", "pending at end", "drain s", "result"],
    )
    rates: dict[tuple[str, int], float] = {}
    for kind in cfg.databases:
        with ExitStack() as stack:
            url = sqlite_url(state, "reg") if kind == "sqlite" else stack.enter_context(postgres_database(PG_PREFIX))
            bus = stack.enter_context(broker(state))
            ledger = stack.enter_context(ledger_process(state, url, bus.bootstrap, name=f"ledger-reg-{kind}"))
            reader = _reader_engine(url)
            stack.callback(reader.dispose)
            stub = ledger.stub()
            _seed_directory(stub)
            _register_run(stub, reader, 4, 40, 60, salt=99)  # warm-up: connections, producer session, topic
            registered = 40
            for threads in cfg.thread_counts:
                settle()
                cpu_before = ledger.cpu_seconds()
                with MONITOR.window() as busy:
                    count = cfg.registrations if threads > 1 else cfg.registrations // 3  # the reference is serial
                    run = _register_run(stub, reader, threads, count, cfg.reg_seconds, salt=threads)
                cpu = ledger.cpu_seconds() - cpu_before  # includes draining the outbox
                registered += run.done
                rates[(kind, threads)] = run.rate
                reached = run.errors == 0 and run.done == count and run.rate >= REG_TARGET
                rate.add(
                    kind,
                    run.threads,
                    run.done,
                    run.errors,
                    run.seconds,
                    run.rate,
                    percentile(run.latencies_ms, 50),
                    percentile(run.latencies_ms, 99),
                    cpu / max(run.done, 1) * 1000,
                    cpu / run.seconds,
                    busy.other_cores,
                    f">= {REG_TARGET:.0f}/s",
                    verdict(reached) if threads > 1 else "(ref)",
                )
                if run.first_error:
                    rate.note(f"{kind}/{threads} threads: {run.errors} errors, first: {run.first_error}")
                drained = run.drain_seconds is not None
                relay.add(
                    kind,
                    run.threads,
                    run.max_backlog,
                    run.pending_at_end,
                    run.drain_seconds if drained else "> 60",
                    verdict(drained),
                )
            for threads in cfg.thread_counts:
                settle()
                count = cfg.registrations if threads > 1 else cfg.registrations // 3
                ours = rates[(kind, threads)]
                sql = (raw_stack.sqlite_inserts(state / "raw.db", threads, count, cfg.reg_seconds) if kind == "sqlite"
                       else raw_stack.postgres_inserts(url, threads, count, cfg.reg_seconds))
                grpc_run = raw_stack.grpc_health(ledger.address, threads, count * 3, cfg.reg_seconds)
                for name, got in (("raw gRPC", grpc_run), ("raw SQL", sql)):
                    raw.add(kind, name, threads, got.done, got.errors, got.rate, got.p50, got.p99,
                            f"{ours / got.rate:.0%}" if got.rate else "-")
            on_topic = _events_on_topic(bus.bootstrap, registered)
            relay.note(
                f"{kind}: {registered:,} items registered, {on_topic:,} events on {topics.LEDGER_EVENTS}"
                + ("" if on_topic >= registered else "  <-- EVENTS MISSING")
            )
    return [rate, raw, relay]


# --- A2: list latency -----------------------------------------------------------------------------


def _token(position: tuple[dt.date, str]) -> str:
    """The ledger's own keyset token for the page that follows this (registered_on, item_no).

    The token holds (registered_on, seq); the fixture numbers items with the default {year}-{seq:04d}.
    """
    seq = int(position[1].rsplit("-", 1)[1])
    return repository.encode_token(SimpleNamespace(registered_on=position[0], seq=seq))  # type: ignore[arg-type]


def _list_cases(loaded: fixture.Loaded, rng: random.Random) -> list[tuple[str, Callable[[], ledger_pb2.ListItemsRequest]]]:
    order = loaded.order
    units = [u for u, _, _ in fixture.UNITS if u != "dcs"]
    deep = [_token(order[rng.randrange(len(order) // 2, len(order) - 100)]) for _ in range(50)]
    item_nos = [order[rng.randrange(len(order))][1] for _ in range(50)]
    f = ledger_pb2.ItemFilter

    def cycle(values):
        it = itertools.cycle(values)
        return lambda: next(it)

    unit, deep_token, item_no = cycle(units), cycle(deep), cycle(item_nos)
    return [
        ("first page", lambda: ledger_pb2.ListItemsRequest(page_size=50)),
        (
            "first page + total (web page: 20 + count)",
            lambda: ledger_pb2.ListItemsRequest(page_size=20, include_total=True),
        ),
        (
            "deep keyset page (older half, random)",
            lambda: ledger_pb2.ListItemsRequest(page_size=50, page_token=deep_token()),
        ),
        ("unit filter (each of 20 units)", lambda: ledger_pb2.ListItemsRequest(page_size=50, filter=f(unit_id=unit()))),
        (
            f"text filter, common word ({fixture.TEXT_TERM})",
            lambda: ledger_pb2.ListItemsRequest(page_size=50, filter=f(text=fixture.TEXT_TERM)),
        ),
        (
            "text filter, an item number (1 match)",
            lambda: ledger_pb2.ListItemsRequest(page_size=50, filter=f(text=item_no())),
        ),
        ("light filter red", lambda: ledger_pb2.ListItemsRequest(page_size=50, filter=f(light="red"))),
        ("light filter yellow", lambda: ledger_pb2.ListItemsRequest(page_size=50, filter=f(light="yellow"))),
        ("light filter green", lambda: ledger_pb2.ListItemsRequest(page_size=50, filter=f(light="green"))),
    ]


def _list_latency(table: Table, kind: str, stub, loaded: fixture.Loaded, cfg: Config) -> None:
    rng = random.Random(7)
    for name, make in _list_cases(loaded, rng):
        for _ in range(5):  # warm-up: caches, prepared statements
            stub.ListItems(make(), timeout=30)
        samples: list[float] = []
        rows = 0
        settle()
        deadline = Deadline(cfg.list_case_seconds)
        with MONITOR.window() as busy:
            for _ in range(cfg.list_samples):
                if deadline.passed:
                    break
                request = make()
                started = time.perf_counter()
                reply = stub.ListItems(request, timeout=30)
                samples.append((time.perf_counter() - started) * 1000)
                rows += len(reply.items)
        p99 = percentile(samples, 99)
        table.add(
            kind,
            name,
            len(samples),
            rows / len(samples),
            percentile(samples, 50),
            p99,
            max(samples),
            busy.other_cores,
            f"< {LIST_P99_TARGET_MS:.0f} ms",
            verdict(p99 < LIST_P99_TARGET_MS),
        )


def _export(stub, form: str, timeout: float, out: Path) -> tuple[float, float, int, str]:
    """(seconds to the last byte, seconds to the first chunk, bytes, filename)."""
    started = time.perf_counter()
    first = None
    size = 0
    filename = ""
    with out.open("wb") as handle:
        for chunk in stub.ExportLedger(ledger_pb2.ExportLedgerRequest(form=form), timeout=timeout):
            if first is None:
                first = time.perf_counter() - started
                filename = chunk.filename
            handle.write(chunk.data)
            size += len(chunk.data)
    return time.perf_counter() - started, first or 0.0, size, filename


def _probe_register(stub, delay: float, seed: int, result: dict) -> None:
    """One registration issued `delay` s into an export: does the export block writers?"""
    time.sleep(delay)
    started = time.perf_counter()
    try:
        stub.RegisterItem(_registration(random.Random(seed), seed), timeout=60)
        result["seconds"] = time.perf_counter() - started
    except grpc.RpcError as exc:
        elapsed = time.perf_counter() - started
        result["error"] = f"{exc.code().name} ({exc.details()}) after {elapsed:.1f} s"


def bench_list_and_export(cfg: Config, state: Path) -> list[Table]:
    loads = Table(
        "A2a. Fixture: a ledger of realistic items, bulk-loaded into the ledger's tables",
        "Direct inserts through the ledger's ORM tables (fixture only; registration is measured in A1).\n"
        "Registered on the working days since 2024-01-02, 7/10 working days to the due date, 0-2 co units.",
        ["database", "items", "unit links", "open", "closed/archived", "load s"],
    )
    lists = Table(
        f"A2. Ledger: ListItems latency over {cfg.items:,} items",
        "One client, sequential calls over gRPC to the ledger process; page_size 50 unless said;\n"
        "each call's time is the client's (request to full reply, lights computed).",
        ["database", "case", "calls", "rows/call", "p50 ms", "p99 ms", "max ms", "other CPU", "target", "result"],
        left=2,
    )
    exports = Table(
        f"A3. Ledger: XLSX export of {cfg.items:,} items (ExportLedger, streamed over gRPC, SQLite)",
        "A fresh ledger process per form; seconds from the call to the last byte; peak RSS is the\n"
        "process's VmHWM from /proc/<pid>/status after the export (it includes start-up).",
        [
            "form",
            "rows",
            "file MB",
            "first chunk s",
            "total s",
            "idle RSS MB",
            "peak RSS MB",
            "other CPU",
            "target",
            "result",
        ],
    )
    for kind in cfg.databases:
        with ExitStack() as stack:
            url = sqlite_url(state, "list") if kind == "sqlite" else stack.enter_context(postgres_database(PG_PREFIX))
            engine = make_engine(url)
            loaded = fixture.load(engine, cfg.items, TODAY)
            engine.dispose()
            open_ = sum(n for status, n in loaded.statuses.items() if status not in ("closed", "archived"))
            loads.add(kind, loaded.items, loaded.item_units, open_, loaded.items - open_, loaded.seconds)
            bus = stack.enter_context(broker(state))
            with ledger_process(state, url, bus.bootstrap, name=f"ledger-list-{kind}") as ledger:
                total = _total(ledger.stub())
                if total != cfg.items:
                    raise RuntimeError(f"ledger lists {total} items, fixture loaded {cfg.items}")
                _list_latency(lists, kind, ledger.stub(), loaded, cfg)
            if kind == "sqlite":
                _exports(exports, cfg, state, url, bus.bootstrap)
    return [loads, lists, exports]


def _total(stub) -> int:
    return stub.ListItems(ledger_pb2.ListItemsRequest(page_size=1, include_total=True), timeout=30).total_size


def _exports(table: Table, cfg: Config, state: Path, url: str, bootstrap: str) -> None:
    for seed, form in enumerate(("full", "ledger_710"), start=500):
        with ledger_process(state, url, bootstrap, name=f"ledger-export-{form}") as ledger:
            rows = _total(ledger.stub())
            settle()
            idle = ledger.status("VmRSS") / 1024
            probe: dict = {}
            prober = threading.Thread(target=_probe_register, args=(ledger.stub(), 1.0, seed, probe), daemon=True)
            prober.start()
            out = state / f"export-{form}.xlsx"
            with MONITOR.window() as busy:
                seconds, first, size, _ = _export(ledger.stub(), form, cfg.export_seconds, out)
            peak = ledger.status("VmHWM") / 1024
            prober.join(65)
            if "seconds" in probe:
                table.note(
                    f"a RegisterItem sent 1 s into the '{form}' export returned after {probe['seconds']:.2f} s "
                    "(alone it takes ~0.01 s)"
                )
            else:
                table.note(f"a RegisterItem sent 1 s into the '{form}' export FAILED: {probe.get('error')}")
        with zipfile.ZipFile(out) as book:  # a real workbook: its sheets are there
            sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        out.unlink()
        ok = seconds < EXPORT_SECONDS_TARGET and peak < EXPORT_RSS_TARGET_MB
        table.add(
            f"{form} ({len(sheets)} sheet{'s' if len(sheets) > 1 else ''})",
            rows,
            size / 1e6,
            first,
            seconds,
            idle,
            peak,
            busy.other_cores,
            f"< {EXPORT_SECONDS_TARGET:.0f} s, < {EXPORT_RSS_TARGET_MB:.0f} MB",
            verdict(ok),
        )


def run(quick: bool, state: Path, databases: tuple[str, ...] | None = None) -> list[Table]:
    cfg = Config.make(quick)
    if databases:
        cfg.databases = databases
    return bench_registrations(cfg, state) + bench_list_and_export(cfg, state)


__all__ = ["Config", "run"]
