"""The raw stack's own speed, measured in the same run as our paths: what the parts underneath can do.

A row of ours is read against these, not only against a bare app making our own call (which hides that
call's cost):
- raw gRPC: `grpc.health.v1.Health/Check` on the very server process being measured (the stack's
  cheapest unary call: no token, no database, no use case);
- raw SQL: the statements a registration needs at the least - one item row, two unit rows, one history
  row and one outbox row in one transaction - through the driver alone (sqlite3 with the service's
  pragmas, psycopg), in the benchmark process.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.procs import Deadline
from bench.report import percentile

# Shaped like the ledger's rows (an item with its text columns, two unit links, a history row, an event).
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS raw_items (id TEXT PRIMARY KEY, item_no TEXT UNIQUE, title TEXT, content TEXT, "
    "source TEXT, category TEXT, lead_unit_id TEXT, due_date TEXT, status TEXT, version INTEGER, created_at TEXT)",
    "CREATE TABLE IF NOT EXISTS raw_item_units (item_id TEXT, unit_id TEXT, role TEXT, duty TEXT, "
    "PRIMARY KEY (item_id, unit_id))",
    "CREATE TABLE IF NOT EXISTS raw_changes (item_id TEXT, at TEXT, field TEXT, new_value TEXT)",
    "CREATE TABLE IF NOT EXISTS raw_outbox (event_id TEXT, topic TEXT, payload BYTEA, created_at TEXT)",
)


@dataclass
class Run:
    threads: int
    done: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)


def threaded(call: Callable[[int], None], threads: int, total: int, seconds: float,
             setup: Callable[[], Callable[[int], None]] | None = None) -> Run:
    """`total` calls spread over `threads` threads (bounded by `seconds`); `setup` makes a per-thread
    call (its own connection) where one is needed."""
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    deadline = Deadline(seconds)

    def worker() -> None:
        own = setup() if setup else call
        while not deadline.passed:
            with lock:
                n = next(counter)
            if n >= total:
                return
            started = time.perf_counter()
            try:
                own(n)
            except Exception:  # noqa: BLE001 - counted; the run goes on
                with lock:
                    errors[0] += 1
                continue
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join(deadline.remaining() + 15)
    return Run(threads, len(latencies), errors[0], time.perf_counter() - started, latencies)


def grpc_health(address: str, threads: int, total: int, seconds: float) -> Run:
    """Health/Check on `address`: the gRPC server's own cost per call."""
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest()
        stub.Check(request, timeout=10)  # type: ignore[attr-defined]  # types-grpcio-health-checking's HealthStub declares no methods
        return threaded(lambda n: stub.Check(request, timeout=10), threads, total, seconds)  # type: ignore[attr-defined]


Rows = tuple[tuple[object, ...], list[tuple[str, str, str, str]], tuple[str, str, str, str], tuple[str, str, bytes, str]]


def _rows(n: int, salt: str) -> Rows:
    item_id = str(uuid.uuid4())
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    item = (item_id, f"{salt}-{n:07d}", f"推进老旧小区改造{n}", "完成3个小区改造方案" * 5, "other", "general", "fgj",
            "2026-12-10", "registered", 1, now)
    units = [(item_id, "fgj", "lead", "牵头"), (item_id, "jyj", "co", "配合")]
    return item, units, (item_id, now, "registered", f"{salt}-{n}"), (item_id, "duban.ledger.events.v1", b"x" * 600, now)


def sqlite_inserts(path: Path, threads: int, total: int, seconds: float) -> Run:
    """One registration's rows per transaction, sqlite3 with the service's pragmas (libs/common/db.py)."""
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    setup_conn = connect()
    for statement in SCHEMA:
        setup_conn.execute(statement.replace("BYTEA", "BLOB"))
    setup_conn.close()
    salt = uuid.uuid4().hex[:6]

    def per_thread() -> Callable[[int], None]:
        conn = connect()

        def insert(n: int) -> None:
            item, units, change, event = _rows(n, salt)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO raw_items VALUES (?,?,?,?,?,?,?,?,?,?,?)", item)
            conn.executemany("INSERT INTO raw_item_units VALUES (?,?,?,?)", units)
            conn.execute("INSERT INTO raw_changes VALUES (?,?,?,?)", change)
            conn.execute("INSERT INTO raw_outbox VALUES (?,?,?,?)", event)
            conn.execute("COMMIT")
        return insert

    return threaded(lambda n: None, threads, total, seconds, setup=per_thread)


def postgres_inserts(url: str, threads: int, total: int, seconds: float) -> Run:
    """The same rows through psycopg, one transaction each."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in SCHEMA:
            conn.execute(statement)
    salt = uuid.uuid4().hex[:6]
    opened: list[psycopg.Connection] = []

    def per_thread() -> Callable[[int], None]:
        conn = psycopg.connect(dsn)
        opened.append(conn)

        def insert(n: int) -> None:
            item, units, change, event = _rows(n, salt)
            with conn.transaction():
                conn.execute("INSERT INTO raw_items VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", item)
                with conn.cursor() as cur:
                    cur.executemany("INSERT INTO raw_item_units VALUES (%s,%s,%s,%s)", units)
                conn.execute("INSERT INTO raw_changes VALUES (%s,%s,%s,%s)", change)
                conn.execute("INSERT INTO raw_outbox VALUES (%s,%s,%s,%s)", event)
        return insert

    try:
        return threaded(lambda n: None, threads, total, seconds, setup=per_thread)
    finally:
        for conn in opened:
            conn.close()
